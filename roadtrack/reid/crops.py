"""Crops and network input for the neural embedders: one frame, all its boxes, one batch.

Every neural embedder shares this path: check the frame, cut each box out (clipped to the frame),
resize it to the network's input size, then normalise the whole batch at once.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from roadtrack.core import Detections

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def check_frame(frame: object) -> np.ndarray:
    """Return ``frame`` if it is an (H, W, 3) uint8 BGR image with H, W > 0, else raise ValueError."""
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame: expected an (H, W, 3) uint8 BGR numpy array, got {type(frame).__name__}")
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8 or 0 in frame.shape:
        raise ValueError(f"frame: expected (H, W, 3) uint8 BGR, got shape {frame.shape} dtype {frame.dtype}")
    return frame


def box_array(detections: Detections | np.ndarray) -> np.ndarray:
    """(N, 4) float64 xyxy from a `Detections` or anything `Detections` accepts as boxes."""
    if isinstance(detections, Detections):
        return detections.xyxy
    return Detections(detections).xyxy


def pixel_boxes(xyxy: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Round boxes to whole pixels and clip them to the frame.

    Args:
        xyxy: (N, 4) float boxes, pixels; may reach outside the frame.
        width, height: frame size, pixels.

    Returns:
        ``(boxes, valid)``: (N, 4) int64 clipped boxes and (N,) bool, False where no pixel is left
        (a box wholly outside the frame, or narrower than half a pixel).
    """
    boxes = np.round(np.asarray(xyxy, np.float64)).astype(np.int64).reshape(-1, 4)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes, valid


@dataclasses.dataclass(frozen=True)
class Preprocess:
    """How a network wants its crops.

    Attributes:
        input_hw: (height, width) of the network input, pixels.
        mean, std: per-channel normalisation in the network's channel order, on the 0-1 scale.
        rgb: True if the network expects RGB (frames are BGR), False for BGR.
    """

    input_hw: tuple[int, int]
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    rgb: bool = True

    def __post_init__(self) -> None:
        hw = tuple(int(v) for v in self.input_hw)
        if len(hw) != 2 or min(hw) < 1:
            raise ValueError(f"input_hw: expected (height, width) >= 1, got {self.input_hw}")
        mean, std = tuple(float(v) for v in self.mean), tuple(float(v) for v in self.std)
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError(f"mean and std need 3 values each and std > 0, got mean={self.mean}, std={self.std}")
        object.__setattr__(self, "input_hw", hw)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    def crops(self, frame: np.ndarray, xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cut out and resize every box.

        Args:
            frame: (H, W, 3) uint8 BGR image (checked).
            xyxy: (N, 4) boxes, pixels; clipped to the frame.

        Returns:
            ``(crops, valid)``: (N, h, w, 3) uint8 BGR crops at ``input_hw`` (all zero where ``valid`` is False)
            and (N,) bool, False for boxes with no pixel inside the frame.
        """
        frame = check_frame(frame)
        height, width = frame.shape[:2]
        boxes, valid = pixel_boxes(xyxy, width, height)
        h, w = self.input_hw
        out = np.zeros((len(boxes), h, w, 3), np.uint8)
        for row in np.flatnonzero(valid):
            x1, y1, x2, y2 = boxes[row]
            cv2.resize(frame[y1:y2, x1:x2], (w, h), dst=out[row], interpolation=cv2.INTER_LINEAR)
        return out, valid

    def blob(self, crops: np.ndarray) -> np.ndarray:
        """(N, h, w, 3) uint8 BGR crops -> (N, 3, h, w) float32 network input, C-contiguous."""
        order = [2, 1, 0] if self.rgb else [0, 1, 2]
        scale = (1.0 / (255.0 * np.asarray(self.std, np.float32))).astype(np.float32)
        shift = (np.asarray(self.mean, np.float32) / np.asarray(self.std, np.float32)).astype(np.float32)
        chw = crops.transpose(0, 3, 1, 2)[:, order].astype(np.float32)
        chw *= scale[None, :, None, None]
        chw -= shift[None, :, None, None]
        return np.ascontiguousarray(chw)


def finish(features: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """L2-normalise rows; rows of empty crops become all-zero.

    Args:
        features: (N, D) raw embeddings.
        valid: (N,) bool, False for boxes with no pixel inside the frame.

    Returns:
        (N, D) float32: unit rows for valid crops, zero rows otherwise, so that an empty crop has cosine
        similarity 0 with everything (no appearance evidence) instead of an arbitrary network output.
    """
    features = np.asarray(features, np.float32)
    if not np.all(np.isfinite(features)):
        raise ValueError("embedder produced NaN or inf features; check the model's weights and input format")
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    out = features / np.maximum(norms, 1e-12)
    out[~valid] = 0.0
    return out
