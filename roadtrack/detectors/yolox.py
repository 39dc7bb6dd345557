"""YOLOX detector for ONNX exports, run by onnxruntime or OpenVINO with our own pre- and post-processing.

YOLOX (Ge et al., 2021) is anchor-free: each cell of the stride-8, -16 and -32 feature maps predicts one box. A
standard export (``tools/export_onnx.py`` without ``--decode_in_inference``) outputs, per image, one row per cell,
levels in stride order and cells row by row within a level (x fastest)::

    (tx, ty, tw, th, objectness, class_0 ... class_{C-1})      objectness and class scores already sigmoid-ed

and the box is ``cx = (tx + grid_x) * stride``, ``cy = (ty + grid_y) * stride``, ``w = exp(tw) * stride``,
``h = exp(th) * stride`` in network-input pixels. The score of a cell is ``objectness * max class score``.
Inputs are BGR, 0-255, letterboxed into the top-left corner with grey (114) padding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.core.interfaces import Detector
from roadtrack.core.registry import register
from roadtrack.detectors import postprocess as pp
from roadtrack.detectors.coco import coco80_names
from roadtrack.detectors.labels import ClassMapSpec, ClassSelection
from roadtrack.detectors.runtime import OnnxModel

STRIDES = (8, 16, 32)
# Pre-0.2.0 YOLOX weights ("legacy") expect RGB scaled to 0-1 and normalised with ImageNet statistics.
_LEGACY_MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
_LEGACY_STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


def grid(input_hw: tuple[int, int], strides: Sequence[int] = STRIDES) -> tuple[np.ndarray, np.ndarray]:
    """Cell offsets and strides of every output row of a YOLOX head.

    Args:
        input_hw: (height, width) of the network input, pixels; each must be divisible by the largest stride.
        strides: feature-map strides, in output order.

    Returns:
        (A, 2) float32 cell (x, y) indices and (A, 1) float32 strides, A = sum of (H / s) * (W / s).

    Example:
        >>> cells, s = grid((64, 32))     # 8x4 + 4x2 + 2x1 = 42 cells
        >>> cells.shape, cells[:5].tolist(), s[32].item(), cells[32].tolist()
        ((42, 2), [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [0.0, 1.0]], 16.0, [0.0, 0.0])
    """
    cells, sizes = [], []
    for s in strides:
        ys, xs = np.mgrid[0:input_hw[0] // s, 0:input_hw[1] // s]
        cells.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
        sizes.append(np.full((xs.size, 1), s))
    return np.concatenate(cells).astype(np.float32), np.concatenate(sizes).astype(np.float32)


def decode_boxes(raw: np.ndarray, cells: np.ndarray, strides: np.ndarray) -> np.ndarray:
    """Grid-relative (A, 4) ``tx, ty, tw, th`` -> (A, 4) float64 xyxy in network-input pixels.

    Example:
        >>> decode_boxes(np.array([[0.5, 0.5, 0.0, np.log(2)]]), np.array([[3.0, 1.0]]), np.array([[8.0]])).tolist()
        [[24.0, 4.0, 32.0, 20.0]]
    """
    raw = np.asarray(raw, np.float64)
    centre = (raw[:, :2] + cells) * strides
    # exp overflows to inf for garbage inputs; a box larger than 2^20 input pixels is garbage anyway.
    half = np.exp(np.minimum(raw[:, 2:4], 20.0)) * strides / 2
    return np.concatenate([centre - half, centre + half], axis=1)


@register("detector", "yolox")
class YoloxDetector(Detector):
    """YOLOX (any size: nano ... x) from an ONNX export, without torch.

    Args:
        weights: the ``.onnx`` file, e.g. ``models/yolox_nano/yolox_nano.onnx`` (input 1x3x416x416).
        conf: keep boxes whose score (objectness x class score) is above this, in [0, 1].
        classes: None for all, or output class ids/names to keep (ROAD names when ``class_map`` is set).
        iou: class-wise NMS IoU threshold in [0, 1] (YOLOX's demo uses 0.45).
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"``.
        max_det: at most this many boxes per frame, best first.
        backend: ``"onnxruntime"``, ``"openvino"`` or ``"auto"`` (onnxruntime when installed).
        class_map: map the model's classes to other labels, e.g. ``"road"`` (see `roadtrack.detectors.labels`).
        class_names: the model's class names (id -> name); default: the 80 COCO classes for an 80-class model.
        legacy: the export expects RGB with ImageNet normalisation (YOLOX before 0.2.0), not raw BGR.
        decoded: the export already outputs pixel boxes (exported with ``--decode_in_inference``).
        threads: runtime threads; None = all cores.

    Attributes:
        class_names: output class id -> name.
        input_hw: (height, width) of the network input, pixels.
        num_classes: classes the model predicts.
        batch: None when a whole batch of frames runs in one call (up to 8 at a time), 1 when the export's fixed
            batch could not be lifted (no ``onnx`` package, or a graph that depends on it).
        backend, device: the runtime and device in use.

    Raises:
        FileNotFoundError: missing weights.
        ValueError: not a YOLOX export (wrong output layout or cell count), bad options.

    Example:
        >>> det = YoloxDetector("models/yolox_nano/yolox_nano.onnx", classes=["Ped", "Car"], class_map="road")  # doctest: +SKIP
        >>> det.detect([frame])[0].class_ids      # 0 = Ped, 1 = Car                                  # doctest: +SKIP
    """

    def __init__(
        self,
        weights: str | Path,
        conf: float = 0.25,
        classes: Sequence[int | str] | None = None,
        iou: float = 0.45,
        device: str = "auto",
        max_det: int = 300,
        backend: str = "auto",
        class_map: ClassMapSpec | None = None,
        class_names: Mapping[int, str] | Sequence[str] | None = None,
        legacy: bool = False,
        decoded: bool = False,
        threads: int | None = None,
    ) -> None:
        pp.check_options(conf, iou, max_det)
        path = Path(weights)
        if path.is_file() and path.suffix.lower() != ".onnx":
            raise ValueError(f"cannot load weights {path}: expected a YOLOX .onnx export")
        self._model = OnnxModel(path, backend=backend, device=device, threads=threads)
        self.input_hw = self._model.input_hw
        self._cells, self._strides = grid(self.input_hw)
        shape = self._model.output_shape
        if len(shape) != 3 or shape[2] < 6 or shape[1] != len(self._cells):
            raise ValueError(
                f"cannot load weights {path}: not a YOLOX export: expected an output of shape (B, {len(self._cells)}, "
                f"5 + classes) (cells of strides {'/'.join(map(str, STRIDES))} on a {self.input_hw[0]}x"
                f"{self.input_hw[1]} input), got {shape}"
            )
        self.num_classes = shape[2] - 5
        names = _model_names(class_names, self.num_classes, path)
        self._selection = ClassSelection.build(names, classes, class_map)
        self.class_names = self._selection.names
        self.conf, self.iou, self.max_det = float(conf), float(iou), int(max_det)
        self.legacy, self.decoded = bool(legacy), bool(decoded)
        self.backend, self.device, self.batch = self._model.backend, self._model.device, self._model.batch

    def detect(self, frames: Sequence[np.ndarray], frame_ids: Sequence[int] | None = None) -> list[Detections]:
        """Detect objects in BGR frames; the whole batch runs in one call when the export allows it.

        Args:
            frames: (H, W, 3) uint8 BGR images; sizes may differ.
            frame_ids: unused (accepted for the `Detector` interface); must match ``frames`` in length.

        Returns:
            One `Detections` per frame: xyxy in frame pixels (float64), scores in [0, 1], output class ids.
        """
        frames = pp.check_frames(frames, frame_ids)
        if not frames:
            return []
        boxed = [pp.letterbox(f, self.input_hw, center=False) for f in frames]
        images = np.stack([image for image, _ in boxed])
        if self.legacy:
            blob = (pp.to_blob(images, rgb=True, scale=1 / 255) - _LEGACY_MEAN) / _LEGACY_STD
        else:
            blob = pp.to_blob(images, rgb=False, scale=1)
        raw = self._model.run(blob)
        return [self._decode(rows, geometry) for rows, (_, geometry) in zip(raw, boxed)]

    def _decode(self, rows: np.ndarray, geometry: pp.Letterbox) -> Detections:
        """One image's (A, 5 + C) output -> `Detections` in frame pixels."""
        # objectness bounds the score (class scores are <= 1), so most cells are dropped before the class argmax.
        cand = np.flatnonzero(rows[:, 4] > self.conf)
        class_scores = rows[cand, 5:]
        class_ids = class_scores.argmax(axis=1)
        scores = rows[cand, 4] * class_scores[np.arange(len(cand)), class_ids]
        good = scores > self.conf
        cand, class_ids, scores = cand[good], class_ids[good], scores[good]
        if self.decoded:
            cx, cy, w, h = rows[cand, :4].astype(np.float64).T
            xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        else:
            xyxy = decode_boxes(rows[cand, :4], self._cells[cand], self._strides[cand])
        return pp.finish(xyxy, scores, class_ids, self._selection, self.iou, self.max_det, geometry)


def _model_names(names: Mapping[int, str] | Sequence[str] | None, num_classes: int, path: Path) -> dict[int, str]:
    if names is None:
        return coco80_names() if num_classes == 80 else {i: f"class{i}" for i in range(num_classes)}
    table = dict(names) if isinstance(names, Mapping) else dict(enumerate(names))
    table = {int(k): str(v) for k, v in table.items()}
    if sorted(table) != list(range(num_classes)):
        raise ValueError(f"class_names: {path.name} predicts {num_classes} classes, so give names for ids "
                         f"0..{num_classes - 1}; got {len(table)} names")
    return table
