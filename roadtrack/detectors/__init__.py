"""Detectors: frames in, `Detections` out. Each registers under ``"detector"``.

Registered names: ``"precomputed"`` (detections read from a file), ``"ultralytics"`` (any local Ultralytics
weights; needs the optional ultralytics package) and ``"yolo-openvino"`` (YOLOv8 OpenVINO exports run natively;
needs the optional openvino package). Optional packages are imported when a detector is built, not here.
"""

from roadtrack.detectors.precomputed import PrecomputedDetector
from roadtrack.detectors.ultralytics import UltralyticsDetector
from roadtrack.detectors.yolo_openvino import YoloOpenVINODetector

__all__ = ["PrecomputedDetector", "UltralyticsDetector", "YoloOpenVINODetector"]
