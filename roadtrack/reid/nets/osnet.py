"""OSNet (Zhou et al., "Omni-Scale Feature Learning for Person Re-Identification", ICCV 2019) in torch.

This module imports torch; `roadtrack.reid` only imports it from inside torch-based embedders.

Architecture (paper, Table 1), for a 256x128 input and width multiplier w in {1, 0.75, 0.5, 0.25}:

    conv1  7x7/2 conv (c0) + max-pool 3x3/2                       -> 64x32
    conv2  2 OS blocks (c1), 1x1 conv + 2x2/2 average pool        -> 32x16
    conv3  2 OS blocks (c2), 1x1 conv + 2x2/2 average pool        -> 16x8
    conv4  2 OS blocks (c3)
    conv5  1x1 conv (c3), global average pool, fc c3 -> 512 (+ BN, ReLU)

with (c0, c1, c2, c3) = w * (64, 256, 384, 512). An OS block reduces its input to c/4 channels, runs four
streams of 1, 2, 3 and 4 "lite" 3x3 convolutions (pointwise 1x1 then depthwise 3x3), weights each stream
with a shared channel gate (squeeze-excitation: global pool, 1x1 conv to c/64, ReLU, 1x1 conv, sigmoid),
sums them, expands back to c channels and adds the (projected, if the width changes) input.

Module and parameter names follow torchreid's checkpoints (``conv2.0.conv2a.conv1.weight``, ``fc.1.running_var``),
so its state dicts load as they are. ``fused=True`` builds the inference variant whose convolutions carry the
folded BatchNorm as a bias (how ONNX exports store it).
"""

from __future__ import annotations

import torch
from torch import nn

WIDTHS = {
    "x1_0": (64, 256, 384, 512),
    "x0_75": (48, 192, 288, 384),
    "x0_5": (32, 128, 192, 256),
    "x0_25": (16, 64, 96, 128),
}
FEATURE_DIM = 512
_GATE_REDUCTION = 16
_BOTTLENECK = 4


class ConvBN(nn.Module):
    """Convolution, BatchNorm (or, fused, a bias) and optionally ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0, relu: bool = True,
                 fused: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, bias=fused)
        self.bn = nn.Identity() if fused else nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True) if relu else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


class LiteConv3x3(nn.Module):
    """Pointwise 1x1 convolution (no bias), depthwise 3x3 convolution, BatchNorm, ReLU."""

    def __init__(self, channels: int, fused: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 1, bias=False)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=fused)
        self.bn = nn.Identity() if fused else nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv2(self.conv1(x))))


class ChannelGate(nn.Module):
    """Squeeze-excitation gate shared by the four streams of an OS block: x * sigmoid(fc2(relu(fc1(pool(x)))))."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        hidden = max(channels // _GATE_REDUCTION, 1)
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=True)
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean(dim=(2, 3), keepdim=True)))))
        return x * weight


class OSBlock(nn.Module):
    """Omni-scale residual block: four streams of 1-4 lite 3x3 convolutions, gated and summed."""

    def __init__(self, cin: int, cout: int, fused: bool = False) -> None:
        super().__init__()
        mid = cout // _BOTTLENECK
        self.conv1 = ConvBN(cin, mid, 1, fused=fused)
        self.conv2a = LiteConv3x3(mid, fused)
        self.conv2b = nn.Sequential(*[LiteConv3x3(mid, fused) for _ in range(2)])
        self.conv2c = nn.Sequential(*[LiteConv3x3(mid, fused) for _ in range(3)])
        self.conv2d = nn.Sequential(*[LiteConv3x3(mid, fused) for _ in range(4)])
        self.gate = ChannelGate(mid)
        self.conv3 = ConvBN(mid, cout, 1, relu=False, fused=fused)
        self.downsample = ConvBN(cin, cout, 1, relu=False, fused=fused) if cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.conv1(x)
        # All streams first, then the gates: the order the reference export runs them in (and so the order of
        # its weights, which `roadtrack.reid.nets.weights.load_onnx_initializers` relies on).
        streams = [self.conv2a(x1), self.conv2b(x1), self.conv2c(x1), self.conv2d(x1)]
        mixed = self.gate(streams[0])
        for stream in streams[1:]:
            mixed = mixed + self.gate(stream)
        out = self.conv3(mixed)
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + identity)


class OSNet(nn.Module):
    """OSNet feature extractor.

    Args:
        variant: width, one of ``"x1_0"``, ``"x0_75"``, ``"x0_5"``, ``"x0_25"``.
        fused: True for the inference variant with BatchNorm folded into the convolutions' biases.
        num_classes: size of the training classifier (``model.classifier``); 0 for none.

    ``forward`` maps (B, 3, H, W) normalised RGB crops (256x128 as trained) to (B, 512) features (after the
    fc layer's ReLU; not normalised) in every mode; for training, ``model.classifier(features)`` gives logits.

    Example:
        >>> model = OSNet("x0_25").eval()
        >>> model(torch.zeros(2, 3, 256, 128)).shape
        torch.Size([2, 512])
    """

    def __init__(self, variant: str = "x1_0", fused: bool = False, num_classes: int = 0) -> None:
        super().__init__()
        if variant not in WIDTHS:
            raise ValueError(f"unknown OSNet variant {variant!r}; choose from {', '.join(WIDTHS)}")
        c0, c1, c2, c3 = WIDTHS[variant]
        self.variant, self.fused = variant, fused
        self.conv1 = ConvBN(3, c0, 7, stride=2, padding=3, fused=fused)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = self._stage(c0, c1, reduce=True, fused=fused)
        self.conv3 = self._stage(c1, c2, reduce=True, fused=fused)
        self.conv4 = self._stage(c2, c3, reduce=False, fused=fused)
        self.conv5 = ConvBN(c3, c3, 1, fused=fused)
        self.fc = nn.Sequential(nn.Linear(c3, FEATURE_DIM), nn.BatchNorm1d(FEATURE_DIM), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(FEATURE_DIM, num_classes) if num_classes > 0 else None
        self._init_weights()

    @staticmethod
    def _stage(cin: int, cout: int, reduce: bool, fused: bool) -> nn.Sequential:
        layers: list[nn.Module] = [OSBlock(cin, cout, fused), OSBlock(cout, cout, fused)]
        if reduce:
            layers.append(nn.Sequential(ConvBN(cout, cout, 1, fused=fused), nn.AvgPool2d(2, stride=2)))
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.conv4(self.conv3(self.conv2(x))))
        return self.fc(torch.flatten(x.mean(dim=(2, 3)), 1))
