"""Detectors: frames in, `Detections` out. Each registers under ``"detector"``.

Registered names:

- ``"ultralytics"``: any local Ultralytics weights, YOLO (v3/v5u/v8/v11/...) or RT-DETR (needs ultralytics).
- ``"yolo-openvino"``: YOLOv8-style OpenVINO exports run natively, no torch (needs openvino).
- ``"yolox"``: YOLOX ONNX exports with our own decoding, on onnxruntime or OpenVINO (no torch).
- ``"torchvision"``: Faster R-CNN, RetinaNet, FCOS and SSD/SSDlite from a local state dict (needs torch).
- ``"precomputed"``: detections read from a MOTChallenge, KITTI or COCO-json file.
- ``"callable"``: any function returning N x 6 ``[x1, y1, x2, y2, score, class]`` arrays.

All take a confidence threshold, a class filter (``classes``) and a ``class_map`` onto the ROAD agents or other
labels (`roadtrack.detectors.labels`). Optional packages are imported when a detector is built, not here.
"""

from roadtrack.detectors.callable import CallableDetector
from roadtrack.detectors.labels import ROAD_AGENTS, ROAD_WAYMO_AGENTS, ClassMap, ClassSelection
from roadtrack.detectors.precomputed import PrecomputedDetector
from roadtrack.detectors.torchvision_models import TorchvisionDetector
from roadtrack.detectors.ultralytics import UltralyticsDetector
from roadtrack.detectors.yolo_openvino import YoloOpenVINODetector
from roadtrack.detectors.yolox import YoloxDetector

__all__ = [
    "CallableDetector", "ClassMap", "ClassSelection", "PrecomputedDetector", "ROAD_AGENTS", "ROAD_WAYMO_AGENTS",
    "TorchvisionDetector", "UltralyticsDetector", "YoloOpenVINODetector", "YoloxDetector",
]
