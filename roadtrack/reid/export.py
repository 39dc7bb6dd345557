"""Export torch embedders to ONNX with a dynamic batch axis, checked against torch.

The file holds the network only (normalised (B, 3, h, w) crops in, (B, D) raw features out); the crop size,
mean, std and channel order go into its metadata, so `roadtrack.reid.ONNXEmbedder` needs no options for it.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from roadtrack.io.atomic import atomic_write
from roadtrack.reid.torch_embedder import TorchEmbedder

TOLERANCE = 1e-4
CHECK_BATCH = 3


def export_onnx(embedder: TorchEmbedder, out: str | Path, opset: int = 17, tolerance: float = TOLERANCE,
                seed: int = 0) -> float:
    """Write ``embedder.model`` as ONNX and check onnxruntime reproduces torch.

    The check runs a batch of ``CHECK_BATCH`` random crops (batch > 1 proves the batch axis is dynamic)
    through torch (float32, CPU) and through the exported file. Nothing is written unless the check passes,
    and then atomically.

    Args:
        embedder: a torch embedder (``OSNetEmbedder``, ``MobileNetV2Embedder``, ...).
        out: path of the ``.onnx`` file to write.
        opset: ONNX opset version.
        tolerance: largest allowed absolute difference between the two outputs.
        seed: seed of the random check input.

    Returns:
        The largest absolute difference between torch and onnxruntime outputs.

    Raises:
        ValueError: when the outputs differ by more than ``tolerance``.
        ImportError: when torch, onnx or onnxruntime is missing.

    Example:
        >>> from roadtrack.reid.torch_embedder import OSNetEmbedder
        >>> export_onnx(OSNetEmbedder("osnet_x1_0_market.pth"), "osnet_x1_0.onnx")   # doctest: +SKIP
        2.1e-06
    """
    if not isinstance(embedder, TorchEmbedder):
        raise TypeError(f"only torch embedders can be exported, got {type(embedder).__name__}")
    out = Path(out)
    model = embedder.model.float().to("cpu").eval()  # in place: the embedder's own module
    try:
        data, expected, got = _export_and_run(model, embedder, opset, seed)
    finally:  # the embedder keeps its device and precision whatever happens
        embedder.model = model.to(embedder.device).half() if embedder.fp16 else model.to(embedder.device)
    diff = float(np.abs(got - expected).max()) if got.shape == expected.shape else float("inf")
    if not diff <= tolerance:
        raise ValueError(f"export check failed: onnxruntime output {got.shape} differs from torch {expected.shape} "
                         f"by {diff:.3g} (> {tolerance:g})")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out, "wb") as f:
        f.write(data)
    return diff


def _export_and_run(model, embedder: TorchEmbedder, opset: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Serialised ONNX model with metadata, and torch's and onnxruntime's outputs on one random batch."""
    import onnx
    import onnxruntime as ort
    import torch

    h, w = embedder.preprocess.input_hw
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its own deprecation
        torch.onnx.export(model, (torch.zeros(1, 3, h, w),), buffer, dynamo=False, opset_version=opset,
                          input_names=["images"], output_names=["output"],
                          dynamic_axes={"images": {0: "batch"}, "output": {0: "batch"}})
    proto = onnx.load_from_string(buffer.getvalue())
    for key, value in embedder.onnx_metadata().items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    data = proto.SerializeToString()
    x = np.random.default_rng(seed).standard_normal((CHECK_BATCH, 3, h, w)).astype(np.float32)
    with torch.inference_mode():
        expected = model(torch.from_numpy(x)).numpy()
    got = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"images": x})[0]
    return data, expected, got
