"""Pre- and post-processing shared by the detectors: frame checks, letterbox, input blobs, class-wise NMS, box
rescaling, and the final selection of a frame's boxes (`finish`).

The geometry follows Ultralytics' ``LetterBox`` for static-shape exports (resize keeping the aspect ratio, then
centre padding), so a native runtime fed by `letterbox` sees the same pixels as ``YOLO.predict``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Sequence

import cv2
import numpy as np

from roadtrack.core.detections import Detections

if TYPE_CHECKING:  # labels imports this module; the selection is only duck-typed here
    from roadtrack.detectors.labels import ClassSelection

PAD_VALUE = 114  # Ultralytics' grey: the value the models were trained to see in padding


@dataclasses.dataclass(frozen=True)
class Letterbox:
    """How one frame was mapped into the network input.

    Attributes:
        orig_hw: (height, width) of the frame, pixels.
        input_hw: (height, width) of the network input, pixels.
        gain: resize ratio ``min(input_h / h, input_w / w)``.
        resized_wh: (width, height) of the resized frame before padding, pixels (each side rounded, at least 1).
        pad: (left, top, right, bottom) padding, pixels.
    """

    orig_hw: tuple[int, int]
    input_hw: tuple[int, int]
    gain: float
    resized_wh: tuple[int, int]
    pad: tuple[int, int, int, int]

    @property
    def scale_xy(self) -> tuple[float, float]:
        """Actual (x, y) scale after rounding the resized size; boxes are mapped with these."""
        return self.resized_wh[0] / self.orig_hw[1], self.resized_wh[1] / self.orig_hw[0]


def letterbox_params(orig_hw: tuple[int, int], input_hw: tuple[int, int], center: bool = True) -> Letterbox:
    """Compute the letterbox geometry of an (h, w) frame for an (h, w) network input.

    Args:
        orig_hw: (height, width) of the frame, pixels.
        input_hw: (height, width) of the network input, pixels.
        center: pad both sides equally (Ultralytics); False puts the image in the top-left corner and all
            padding right and below (YOLOX).

    Example:
        >>> letterbox_params((576, 768), (640, 640)).pad
        (0, 80, 0, 80)
        >>> letterbox_params((576, 768), (416, 416), center=False).pad
        (0, 0, 0, 104)
    """
    h, w = int(orig_hw[0]), int(orig_hw[1])
    ih, iw = int(input_hw[0]), int(input_hw[1])
    gain = min(ih / h, iw / w)
    new_w, new_h = max(round(w * gain), 1), max(round(h * gain), 1)
    if not center:
        return Letterbox((h, w), (ih, iw), gain, (new_w, new_h), (0, 0, iw - new_w, ih - new_h))
    dw, dh = (iw - new_w) / 2, (ih - new_h) / 2
    # The -0.1/+0.1 sends an odd pixel of padding to the right/bottom, as Ultralytics does.
    left, right = round(dw - 0.1), round(dw + 0.1)
    top, bottom = round(dh - 0.1), round(dh + 0.1)
    return Letterbox((h, w), (ih, iw), gain, (new_w, new_h), (left, top, right, bottom))


def letterbox(
    image: np.ndarray, input_hw: tuple[int, int], pad_value: int = PAD_VALUE, center: bool = True
) -> tuple[np.ndarray, Letterbox]:
    """Resize ``image`` keeping its aspect ratio (bilinear) and pad it to ``input_hw``.

    Args:
        image: (H, W, 3) uint8 image.
        input_hw: (height, width) of the output.
        pad_value: grey level of the padding.
        center: centre the image (True) or put it in the top-left corner (False); see `letterbox_params`.

    Returns:
        The (input_h, input_w, 3) uint8 image and its `Letterbox` geometry.
    """
    geometry = letterbox_params(image.shape[:2], input_hw, center)
    if (image.shape[1], image.shape[0]) != geometry.resized_wh:
        image = cv2.resize(image, geometry.resized_wh, interpolation=cv2.INTER_LINEAR)
    left, top, right, bottom = geometry.pad
    padded = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(pad_value,) * 3)
    return padded, geometry


def to_blob(images: np.ndarray, rgb: bool, scale: float) -> np.ndarray:
    """Letterboxed images -> network input.

    Args:
        images: (B, H, W, 3) uint8 BGR.
        rgb: swap to RGB channel order (Ultralytics models) or keep BGR (YOLOX).
        scale: multiplier of the 0-255 values (1/255 for Ultralytics, 1 for YOLOX).

    Returns:
        (B, 3, H, W) float32, C-contiguous.
    """
    chw = (images[..., ::-1] if rgb else images).transpose(0, 3, 1, 2)
    blob = np.ascontiguousarray(chw).astype(np.float32)
    if scale != 1:
        blob *= np.float32(scale)
    return blob


def to_input(frame_xyxy: np.ndarray, geometry: Letterbox) -> np.ndarray:
    """Map (N, 4) xyxy boxes from frame pixels to network-input pixels (the inverse of `to_frame` before clipping)."""
    sx, sy = geometry.scale_xy
    left, top = geometry.pad[:2]
    return np.asarray(frame_xyxy, np.float64).reshape(-1, 4) * [sx, sy, sx, sy] + [left, top, left, top]


def to_frame(input_xyxy: np.ndarray, geometry: Letterbox) -> np.ndarray:
    """Map (N, 4) xyxy boxes from network-input pixels back to frame pixels: undo padding and gain, clip to the frame.

    Returns:
        (N, 4) float64 xyxy, pixels, inside ``[0, w] x [0, h]``.
    """
    sx, sy = geometry.scale_xy
    left, top = geometry.pad[:2]
    boxes = (np.asarray(input_xyxy, np.float64).reshape(-1, 4) - [left, top, left, top]) / [sx, sy, sx, sy]
    h, w = geometry.orig_hw
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
    return boxes


def pairwise_iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one (4,) xyxy box with (M, 4) xyxy boxes -> (M,). Zero-area unions give IoU 0."""
    lt = np.maximum(box[:2], others[:, :2])
    rb = np.minimum(box[2:], others[:, 2:])
    inter = np.prod((rb - lt).clip(min=0), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(others[:, 2:] - others[:, :2], axis=1)
    union = area + areas - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def nms(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float, class_ids: np.ndarray | None = None) -> np.ndarray:
    """Greedy non-maximum suppression, per class when ``class_ids`` is given.

    A box is dropped when its IoU with a higher-scoring kept box of the same class is strictly above
    ``iou_threshold`` (torchvision's rule, which Ultralytics uses).

    Args:
        xyxy: (N, 4) boxes, any consistent unit.
        scores: (N,) scores.
        iou_threshold: IoU in [0, 1].
        class_ids: optional (N,) ints; boxes of different classes never suppress each other.

    Returns:
        (K,) int64 indices of kept boxes, highest score first.

    Example:
        >>> nms(np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30.]]), np.array([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    scores = np.asarray(scores, np.float64).reshape(-1)
    order = np.argsort(-scores, kind="stable")
    classes = None if class_ids is None else np.asarray(class_ids).reshape(-1)
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        overlaps = pairwise_iou(xyxy[best], xyxy[rest]) > iou_threshold
        if classes is not None:
            overlaps &= classes[rest] == classes[best]
        order = rest[~overlaps]
    return np.asarray(keep, np.int64)


def finish(
    xyxy: np.ndarray,
    scores: np.ndarray,
    class_ids: np.ndarray,
    selection: "ClassSelection",
    iou: float,
    max_det: int,
    geometry: Letterbox,
) -> Detections:
    """The last steps every box decoder shares: map classes, class-wise NMS, keep the best, back to frame pixels.

    Class-wise NMS groups boxes by *output* class, so classes that a ``class_map`` merges suppress each other.

    Args:
        xyxy: (N, 4) candidate boxes in network-input pixels (already above the confidence threshold).
        scores: (N,) their scores.
        class_ids: (N,) their model class ids.
        selection: the detector's `ClassSelection` (class filter and mapping).
        iou: NMS IoU threshold.
        max_det: keep at most this many boxes, best first.
        geometry: the frame's letterbox.

    Returns:
        `Detections` in frame pixels (clipped), scores descending, output class ids.
    """
    keep, out_ids = selection.map_ids(class_ids)
    if not keep.any():
        return Detections.empty()
    xyxy, scores, out_ids = np.asarray(xyxy, np.float64)[keep], np.asarray(scores, np.float64)[keep], out_ids[keep]
    order = nms(xyxy, scores, iou, out_ids)[:max_det]
    return Detections(to_frame(xyxy[order], geometry), scores[order], out_ids[order])


def check_options(conf: float, iou: float | None = None, max_det: int | None = None, batch: int | None = None) -> None:
    """Validate the options detectors share.

    Raises:
        ValueError: ``conf`` or ``iou`` outside [0, 1], or ``max_det``/``batch`` below 1.
    """
    for name, value in (("conf", conf), ("iou", iou)):
        if value is not None and not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    for name, value in (("max_det", max_det), ("batch", batch)):
        if value is not None and int(value) < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")


def check_frames(frames: Sequence[np.ndarray], frame_ids: Sequence[int] | None = None) -> list[np.ndarray]:
    """Validate a batch of BGR frames.

    Args:
        frames: sequence of (H, W, 3) uint8 arrays, or one (B, H, W, 3) uint8 array.
        frame_ids: optional, must have one id per frame.

    Returns:
        The frames as a list.

    Raises:
        ValueError: naming the first bad frame and what was expected.
    """
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4:
            raise ValueError(
                f"frames: expected a list of (H, W, 3) images or a (B, H, W, 3) array, got shape {frames.shape}"
            )
        frames = list(frames)
    frames = list(frames)
    for i, frame in enumerate(frames):
        if not isinstance(frame, np.ndarray):
            raise ValueError(f"frames[{i}]: expected a numpy array, got {type(frame).__name__}")
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] == 0 or frame.shape[1] == 0:
            raise ValueError(f"frames[{i}]: expected shape (H, W, 3) BGR, got {frame.shape}")
        if frame.dtype != np.uint8:
            raise ValueError(f"frames[{i}]: expected dtype uint8 (0-255 BGR), got {frame.dtype}")
    if frame_ids is not None and len(frame_ids) != len(frames):
        raise ValueError(f"frame_ids: expected {len(frames)} ids, one per frame, got {len(frame_ids)}")
    return frames


def resolve_classes(classes: Sequence[int | str] | None, names: dict[int, str]) -> np.ndarray | None:
    """Turn a class filter given as ids and/or names into sorted unique int64 ids.

    Args:
        classes: None (keep all classes) or a sequence of class ids and/or names of ``names``.
        names: the model's class id -> name table.

    Raises:
        ValueError: for an unknown name or id, listing the valid ones.
    """
    if classes is None:
        return None
    if isinstance(classes, (str, int, np.integer)):
        classes = [classes]
    by_name = {name: idx for idx, name in names.items()}
    ids = []
    for c in classes:
        if isinstance(c, str):
            if c not in by_name:
                valid = ", ".join(f"{i}: {n}" for i, n in sorted(names.items()))
                raise ValueError(f"unknown class name {c!r}; valid classes are {valid}")
            ids.append(by_name[c])
        elif isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if names and int(c) not in names:
                raise ValueError(f"unknown class id {c}; valid ids are 0..{max(names)}")
            ids.append(int(c))
        else:
            raise ValueError(f"classes: expected class ids or names, got {c!r}")
    return np.unique(np.asarray(ids, np.int64))
