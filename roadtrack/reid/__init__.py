"""Appearance embedders (behind `roadtrack.core.Embedder`).

Registered names: ``osnet-onnx`` (the default person ReID, no torch), ``onnx`` (any ONNX model),
``histogram`` (no weights), and the torch models ``osnet``, ``mobilenetv2``, ``resnet18``, ``resnet50``.
Importing this package never imports torch: torch-based classes import it when built.
"""

from roadtrack.reid.base import CropEmbedder
from roadtrack.reid.histogram import ColorHistogramEmbedder
from roadtrack.reid.onnx_embedder import ONNXEmbedder, OSNetONNXEmbedder
from roadtrack.reid.torch_embedder import (
    MobileNetV2Embedder, OSNetEmbedder, ResNet18Embedder, ResNet50Embedder, TorchEmbedder, TorchvisionEmbedder,
)

__all__ = [
    "ColorHistogramEmbedder", "CropEmbedder", "MobileNetV2Embedder", "ONNXEmbedder", "OSNetEmbedder", "OSNetONNXEmbedder",
    "ResNet18Embedder", "ResNet50Embedder", "TorchEmbedder", "TorchvisionEmbedder",
]
