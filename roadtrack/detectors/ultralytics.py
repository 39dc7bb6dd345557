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
from roadtrack.detectors.labels import ClassMapSpec, ClassSelection

_CONFIG_SUFFIXES = {".yaml", ".yml"}  # Ultralytics would build an untrained model from these
_NATIVE_FORMATS = {"pt", "torchscript"}  # run any batch size; exported formats may have a fixed one
_ARCHS = ("auto", "yolo", "rtdetr")


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


def _load(ultralytics: Any, path: Path, arch: str) -> tuple[Any, str]:
    """Open ``path`` with the Ultralytics model class of its architecture; returns (model, "yolo" | "rtdetr")."""
    if arch == "auto" and "rtdetr" in path.name.lower():
        arch = "rtdetr"
    if arch == "rtdetr":
        return ultralytics.RTDETR(str(path)), arch
    model = ultralytics.YOLO(str(path), task="detect")
    # A .pt checkpoint is unpickled right away; YOLO() would run an RT-DETR network with YOLO's post-processing.
    if arch == "auto" and type(model.model).__name__.startswith("RTDETR"):
        return ultralytics.RTDETR(str(path)), "rtdetr"
    return model, "yolo"


def _half_precision_arg() -> dict[str, Any]:
    # Ultralytics 8.4 replaced the `half` flag (now deprecated, warning on every call) with `quantize=16`.
    from ultralytics.cfg import DEFAULT_CFG_DICT

    return {"quantize": 16} if "quantize" in DEFAULT_CFG_DICT else {"half": True}


@register("detector", "ultralytics")
class UltralyticsDetector(Detector):
    """Run local Ultralytics weights (``.pt``, ``.onnx``, ``*_openvino_model/``, ...) as a roadtrack `Detector`.

    Args:
        weights: path to local weights. Never downloaded: a missing path raises `FileNotFoundError`.
        conf: keep boxes scoring above this, in [0, 1].
        classes: None for all classes, or output class ids and/or names (the model's, e.g. ``["person", "car"]``;
            mapped ones such as ``["Ped", "Car"]`` when ``class_map`` is set).
        iou: NMS IoU threshold in [0, 1].
        imgsz: inference size, pixels (exports with a fixed size use their own).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (see `roadtrack.core.device.resolve_device`).
        half: FP16 inference where the backend supports it.
        max_det: at most this many boxes per frame.
        batch: at most this many frames per model call; exports with a fixed batch size use that instead.
        arch: ``"yolo"`` (YOLOv3/v5u/v8/v11/...), ``"rtdetr"`` (RT-DETR) or ``"auto"``: RT-DETR when the file name
            contains ``"rtdetr"`` or a ``.pt`` checkpoint holds an RT-DETR model, else YOLO.
        class_map: map the model's classes to other labels, e.g. ``"road"`` (see `roadtrack.detectors.labels`).
            Ultralytics runs NMS per model class, so boxes of two model classes merged by the map do not
            suppress each other.

    Attributes:
        class_names: output class id -> name: the model's ``names``, or the mapped labels with ``class_map``.
        arch: ``"yolo"`` or ``"rtdetr"``, as loaded.

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
        arch: str = "auto",
        class_map: ClassMapSpec | None = None,
    ) -> None:
        path = Path(weights)
        if not path.exists():  # before ultralytics is touched: it would try to download the name
            raise FileNotFoundError(f"weights not found: {path}")
        if path.suffix.lower() in _CONFIG_SUFFIXES:
            raise ValueError(f"cannot load weights {path}: a model config file, not trained weights")
        pp.check_options(conf, iou, max_det, batch)
        if arch not in _ARCHS:
            raise ValueError(f"unknown arch {arch!r}; choose from {', '.join(_ARCHS)}")
        if int(imgsz) < 32:
            raise ValueError(f"imgsz must be at least 32, got {imgsz}")
        self.device = resolve_device(device)
        ultralytics = _import_ultralytics()

        self._predict_args = dict(
            conf=float(conf), iou=float(iou), imgsz=int(imgsz), device=self.device, max_det=int(max_det), verbose=False,
        )
        if half:
            self._predict_args.update(_half_precision_arg())
        try:
            self._model, self.arch = _load(ultralytics, path, arch)
            # Exported formats load on the first predict; run it now so unloadable weights fail here, not mid-video.
            self._model.predict(np.zeros((64, 64, 3), np.uint8), **self._predict_args)
        except Exception as exc:  # torch, onnxruntime and openvino each raise their own types
            raise ValueError(f"cannot load weights {path}: {type(exc).__name__}: {exc}") from exc
        self._selection = ClassSelection.build(self._model.names, classes, class_map)
        self.class_names = self._selection.names
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
            One `Detections` per frame: xyxy in frame pixels (float64), scores, output class ids.
        """
        frames = pp.check_frames(frames, frame_ids)
        model_ids = self._selection.model_ids
        classes = None if model_ids is None else model_ids.tolist()
        out: list[Detections] = []
        for start in range(0, len(frames), self.batch):
            if classes == []:  # the class filter leaves nothing this model can find
                out.extend(Detections.empty() for _ in frames[start:start + self.batch])
                continue
            results = self._model.predict(frames[start:start + self.batch], classes=classes, **self._predict_args)
            out.extend(self._selection.apply(self._to_detections(r.boxes)) for r in results)
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
