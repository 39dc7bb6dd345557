"""Native YOLOv8 detector for Ultralytics-exported OpenVINO models: needs only openvino, numpy and OpenCV.

It reproduces ``YOLO(folder).predict`` for static-shape exports: the same letterbox, the same decoding of the
(B, 4 + nc, anchors) head output and the same class-wise NMS, so boxes agree with Ultralytics to float rounding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import yaml

from roadtrack.core.detections import Detections
from roadtrack.core.device import openvino_device
from roadtrack.core.interfaces import Detector
from roadtrack.core.registry import register
from roadtrack.detectors import postprocess as pp
from roadtrack.detectors.labels import ClassMapSpec, ClassSelection
from roadtrack.detectors.runtime import pick_openvino_device


_MAX_CHUNK = 8  # frames per inference for dynamic-batch exports


def find_openvino_xml(weights: str | Path) -> Path:
    """Locate the IR ``.xml`` of an ``*_openvino_model`` folder (or accept the ``.xml`` itself).

    Raises:
        FileNotFoundError: when ``weights`` does not exist.
        ValueError: when it is not an IR model (no or several ``.xml`` files, missing ``.bin``).
    """
    path = Path(weights)
    if not path.exists():
        raise FileNotFoundError(f"weights not found: {path}")
    if path.is_dir():
        xmls = sorted(path.glob("*.xml"))
        if len(xmls) != 1:
            found = "no .xml file" if not xmls else f"several .xml files ({', '.join(x.name for x in xmls)})"
            raise ValueError(f"cannot load weights {path}: expected one OpenVINO .xml model in the folder, "
                             f"found {found}")
        path = xmls[0]
    elif path.suffix.lower() != ".xml":
        raise ValueError(f"cannot load weights {path}: expected an *_openvino_model folder or its .xml file")
    if not path.with_suffix(".bin").is_file():
        raise ValueError(f"cannot load weights {path}: the weights file {path.with_suffix('.bin').name} is missing")
    return path


def _read_metadata(xml: Path) -> dict:
    meta_path = xml.parent / "metadata.yaml"
    if not meta_path.is_file():
        return {}
    try:
        meta = yaml.safe_load(meta_path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"cannot load weights {xml.parent}: unreadable metadata.yaml: {exc}") from exc
    return meta if isinstance(meta, dict) else {}


@register("detector", "yolo-openvino")
class YoloOpenVINODetector(Detector):
    """YOLOv8-style detector running an Ultralytics OpenVINO export directly on OpenVINO.

    Args:
        weights: the ``*_openvino_model`` folder written by ``yolo export format=openvino`` (or its ``.xml``).
            ``metadata.yaml`` beside the model supplies the input size and class names.
        conf: keep boxes whose best class score is above this, in [0, 1].
        classes: None for all classes, or output class ids and/or names (e.g. ``["person", 2]``; ROAD names such
            as ``["Ped"]`` when ``class_map`` is set).
        iou: NMS IoU threshold in [0, 1]; boxes of different (output) classes never suppress each other.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"`` (the OpenVINO GPU plugin, i.e. an Intel GPU).
        max_det: at most this many boxes per frame, highest scores first.
        class_map: map the model's classes to other labels, e.g. ``"road"`` (see `roadtrack.detectors.labels`).

    Attributes:
        class_names: output class id -> name (the export's metadata names unless ``class_map`` is set).
        input_hw: (height, width) of the network input, pixels.

    Example:
        >>> det = YoloOpenVINODetector("models/yolov8n_int8_openvino_model", classes=["person"])  # doctest: +SKIP
        >>> [len(d) for d in det.detect([pets_frame_0, pets_frame_100])]  # PETS09-S2L1 video frames  # doctest: +SKIP
        [3, 7]
    """

    def __init__(
        self,
        weights: str | Path,
        conf: float = 0.25,
        classes: Sequence[int | str] | None = None,
        iou: float = 0.7,
        device: str = "auto",
        max_det: int = 300,
        class_map: ClassMapSpec | None = None,
    ) -> None:
        pp.check_options(conf, iou, max_det)
        openvino_device(device)  # validates the spelling before any file is read
        xml = find_openvino_xml(weights)
        meta = _read_metadata(xml)
        if meta.get("task", "detect") != "detect":
            raise ValueError(f"cannot load weights {weights}: a {meta['task']!r} model, not a detection model")
        if meta.get("end2end") or (meta.get("args") or {}).get("nms"):
            raise ValueError(f"cannot load weights {weights}: exports with built-in NMS are not supported")

        try:
            import openvino as ov  # optional dependency: imported only when this detector is built
        except ImportError as exc:
            raise ImportError(
                "YoloOpenVINODetector needs the optional openvino package: pip install 'roadtrack[openvino]'"
            ) from exc

        core = ov.Core()
        try:
            model = core.read_model(str(xml))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses with the parser's message
            raise ValueError(f"cannot load weights {weights}: {exc}") from exc
        if len(model.inputs) != 1 or model.input(0).get_partial_shape().rank.get_length() != 4:
            raise ValueError(f"cannot load weights {weights}: expected one (B, 3, H, W) input")
        shape = model.input(0).get_partial_shape()
        self.input_hw = self._input_size(meta, shape, weights)
        if shape[2].is_dynamic or shape[3].is_dynamic:
            # Dynamic exports are run at the metadata size, i.e. always a full square letterbox.
            model.reshape(ov.PartialShape([shape[0], 3, *self.input_hw]))
        # None = any batch size; an int = the export's fixed batch, filled up with blank images.
        self._batch = None if shape[0].is_dynamic else shape[0].get_length()

        out_shape = model.output(0).get_partial_shape()
        if out_shape.rank.get_length() != 3 or out_shape[1].is_dynamic:
            raise ValueError(
                f"cannot load weights {weights}: expected a (B, 4 + classes, anchors) output, got {out_shape}"
            )
        self._nc = out_shape[1].get_length() - 4
        names = meta.get("names") or {i: f"class{i}" for i in range(self._nc)}
        names = dict(enumerate(names)) if isinstance(names, list) else names
        model_names = {int(k): str(v) for k, v in names.items()}
        if len(model_names) != self._nc:
            raise ValueError(
                f"cannot load weights {weights}: {len(model_names)} class names for {self._nc} class outputs"
            )

        self.conf, self.iou, self.max_det = float(conf), float(iou), int(max_det)
        self._selection = ClassSelection.build(model_names, classes, class_map)
        self.class_names = self._selection.names
        self.device = pick_openvino_device(device, core.available_devices)
        # LATENCY runs one inference at a time on all cores: right for frame-by-frame tracking on small CPUs.
        config = {"PERFORMANCE_HINT": "LATENCY"}
        try:
            self._compiled = core.compile_model(model, self.device, config)
        except Exception as exc:
            raise ValueError(f"cannot load weights {weights}: {exc}") from exc
        self._request = self._compiled.create_infer_request()

    @staticmethod
    def _input_size(meta: dict, shape, weights) -> tuple[int, int]:
        imgsz = meta.get("imgsz")
        if imgsz is not None:
            hw = (imgsz, imgsz) if isinstance(imgsz, int) else tuple(imgsz)
            return int(hw[0]), int(hw[-1])
        if shape[2].is_static and shape[3].is_static:
            return shape[2].get_length(), shape[3].get_length()
        raise ValueError(f"cannot load weights {weights}: dynamic input size and no imgsz in metadata.yaml")

    def detect(self, frames: Sequence[np.ndarray], frame_ids: Sequence[int] | None = None) -> list[Detections]:
        """Detect objects in BGR frames.

        Args:
            frames: (H, W, 3) uint8 BGR images; sizes may differ.
            frame_ids: unused (accepted for the `Detector` interface); must match ``frames`` in length.

        Returns:
            One `Detections` per frame: xyxy in frame pixels (float64), scores in [0, 1], output class ids.
        """
        frames = pp.check_frames(frames, frame_ids)
        # Chunks of the export's batch (or _MAX_CHUNK): 40 float32 640x640 inputs at once would take ~200 MB.
        step = self._batch or _MAX_CHUNK
        out: list[Detections] = []
        for start in range(0, len(frames), step):
            boxed = [pp.letterbox(f, self.input_hw) for f in frames[start:start + step]]
            raw = self._infer(np.stack([img for img, _ in boxed]))
            out.extend(self._decode(pred, geometry) for pred, (_, geometry) in zip(raw, boxed))
        return out

    def _infer(self, images: np.ndarray) -> np.ndarray:
        """(b, H, W, 3) uint8 BGR letterboxed images, b <= the export's batch -> (b, 4 + nc, anchors) float32."""
        blob = pp.to_blob(images, rgb=True, scale=1 / 255)  # what the network was trained on
        n = len(blob)
        if self._batch is not None and n < self._batch:  # a fixed-batch export needs a full batch: add blanks
            blob = np.concatenate([blob, np.zeros((self._batch - n, *blob.shape[1:]), np.float32)])
        self._request.infer({0: blob})
        return self._request.get_output_tensor(0).data[:n].copy()

    def _decode(self, pred: np.ndarray, geometry: pp.Letterbox) -> Detections:
        """One image's (4 + nc, anchors) output -> `Detections` in frame pixels."""
        class_scores = pred[4:4 + self._nc]
        # Score = best class score (YOLOv8 has no objectness); argmax only for the few anchors above conf.
        keep = np.flatnonzero(class_scores.max(axis=0) > self.conf)
        class_ids = class_scores[:, keep].argmax(axis=0)
        scores = class_scores[class_ids, keep]
        cx, cy, w, h = pred[:4, keep].astype(np.float64)
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        return pp.finish(xyxy, scores, class_ids, self._selection, self.iou, self.max_det, geometry)
