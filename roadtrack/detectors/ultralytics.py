"""Detector backed by Ultralytics (YOLOv5u/v8/11, RT-DETR): any local weights ``YOLO(path)`` can run.

Ultralytics (AGPL-3.0) and torch are optional: they are imported inside the constructor only. Ultralytics fetches
unknown weight names such as ``"yolov8n.pt"`` from the internet when the file is missing; this wrapper checks the
path first and sets ``YOLO_OFFLINE=1`` so that never happens.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.core.device import resolve_device
from roadtrack.core.interfaces import Detector
from roadtrack.core.registry import register
from roadtrack.detectors import postprocess as pp

_CONFIG_SUFFIXES = {".yaml", ".yml"}  # Ultralytics would build an untrained model from these
_NATIVE_FORMATS = {"pt", "torchscript"}  # run any batch size; exported formats may have a fixed one


def _import_ultralytics() -> Any:
    # Both guards must be set before the first ultralytics import: it reads them once at import time.
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")  # no pip installs of missing runtimes behind our back
    try:
        import ultralytics
    except ImportError as exc:
        raise ImportError(
            "UltralyticsDetector needs the optional ultralytics package: pip install 'roadtrack[yolo]'"
        ) from exc
    return ultralytics


def _half_precision_arg() -> dict[str, Any]:
    # Ultralytics 8.4 replaced the `half` flag (now deprecated, warning on every call) with `quantize=16`.
    from ultralytics.cfg import DEFAULT_CFG_DICT

    return {"quantize": 16} if "quantize" in DEFAULT_CFG_DICT else {"half": True}


@register("detector", "ultralytics")
class UltralyticsDetector(Detector):
    """Run local Ultralytics weights (``.pt``, ``.onnx``, ``*_openvino_model/``, ...) as a roadtrack `Detector`.

    Args:
        weights: path to local weights. Never downloaded: a missing path raises `FileNotFoundError`.
            A file name containing ``"rtdetr"`` is loaded as RT-DETR.
        conf: keep boxes scoring above this, in [0, 1].
        classes: None for all classes, or class ids and/or names of the model (e.g. ``["person", "car"]``).
        iou: NMS IoU threshold in [0, 1].
        imgsz: inference size, pixels (exports with a fixed size use their own).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (see `roadtrack.core.device.resolve_device`).
        half: FP16 inference where the backend supports it.
        max_det: at most this many boxes per frame.
        batch: at most this many frames per model call; exports with a fixed batch size use that instead.

    Attributes:
        class_names: class id -> name, the model's ``names``.

    Raises:
        FileNotFoundError: ``weights`` does not exist.
        ValueError: ``cannot load weights <path>: <reason>`` when Ultralytics cannot load them; bad options.

    Example:
        >>> det = UltralyticsDetector("models/yolov8n_int8_openvino_model", classes=["person"])  # doctest: +SKIP
        >>> [len(d) for d in det.detect([pets_frame_0, pets_frame_100])]  # PETS09-S2L1 video frames  # doctest: +SKIP
        [3, 7]
    """

    def __init__(
        self,
        weights: str | Path,
        conf: float = 0.25,
        classes: Sequence[int | str] | None = None,
        iou: float = 0.7,
        imgsz: int = 640,
        device: str = "auto",
        half: bool = False,
        max_det: int = 300,
        batch: int = 16,
    ) -> None:
        path = Path(weights)
        if not path.exists():  # before ultralytics is touched: it would try to download the name
            raise FileNotFoundError(f"weights not found: {path}")
        if path.suffix.lower() in _CONFIG_SUFFIXES:
            raise ValueError(f"cannot load weights {path}: a model config file, not trained weights")
        if not 0.0 <= conf <= 1.0 or not 0.0 <= iou <= 1.0:
            raise ValueError(f"conf and iou must lie in [0, 1], got conf={conf}, iou={iou}")
        if int(batch) < 1 or int(max_det) < 1 or int(imgsz) < 32:
            raise ValueError(f"need batch >= 1, max_det >= 1 and imgsz >= 32, got {batch}, {max_det}, {imgsz}")
        self.device = resolve_device(device)
        ultralytics = _import_ultralytics()

        self._predict_args = dict(
            conf=float(conf), iou=float(iou), imgsz=int(imgsz), device=self.device, max_det=int(max_det), verbose=False,
        )
        if half:
            self._predict_args.update(_half_precision_arg())
        try:
            is_rtdetr = "rtdetr" in path.name.lower()
            self._model = ultralytics.RTDETR(str(path)) if is_rtdetr else ultralytics.YOLO(str(path), task="detect")
            # Exported formats load on the first predict; run it now so unloadable weights fail here, not mid-video.
            self._model.predict(np.zeros((64, 64, 3), np.uint8), **self._predict_args)
        except Exception as exc:  # torch, onnxruntime and openvino each raise their own types
            raise ValueError(f"cannot load weights {path}: {type(exc).__name__}: {exc}") from exc
        self.class_names = {int(k): str(v) for k, v in self._model.names.items()}
        self.classes = pp.resolve_classes(classes, self.class_names)
        self.batch = min(int(batch), self._fixed_batch() or int(batch))

    def _fixed_batch(self) -> int | None:
        """The export's fixed batch size, or None when the model runs any batch size."""
        backend = getattr(self._model.predictor, "model", None)
        if backend is None or getattr(backend, "format", "pt") in _NATIVE_FORMATS or getattr(backend, "dynamic", False):
            return None
        return max(int(getattr(backend, "batch", 1)), 1)

    def detect(self, frames: Sequence[np.ndarray], frame_ids: Sequence[int] | None = None) -> list[Detections]:
        """Detect objects in BGR frames with one predict call per chunk of ``batch`` frames.

        Args:
            frames: (H, W, 3) uint8 BGR images; sizes may differ.
            frame_ids: unused (accepted for the `Detector` interface); must match ``frames`` in length.

        Returns:
            One `Detections` per frame: xyxy in frame pixels (float64), scores, the model's class ids.
        """
        frames = pp.check_frames(frames, frame_ids)
        classes = None if self.classes is None else self.classes.tolist()
        out: list[Detections] = []
        for start in range(0, len(frames), self.batch):
            results = self._model.predict(frames[start:start + self.batch], classes=classes, **self._predict_args)
            out.extend(self._to_detections(r.boxes) for r in results)
        return out

    @staticmethod
    def _to_detections(boxes: Any) -> Detections:
        if boxes is None or len(boxes) == 0:
            return Detections.empty()
        return Detections(
            boxes.xyxy.cpu().numpy().astype(np.float64),
            boxes.conf.cpu().numpy().astype(np.float64),
            boxes.cls.cpu().numpy().astype(np.int64),
        )
