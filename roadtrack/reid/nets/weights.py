"""Put weights into torch embedding networks: checkpoints, BatchNorm folding and ONNX initializers.

This module imports torch; `roadtrack.reid` only imports it from inside torch-based embedders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from roadtrack.reid.nets.osnet import ConvBN, LiteConv3x3, OSNet


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a torch checkpoint as a flat state dict.

    Accepts a bare state dict or one wrapped as ``{"state_dict": ...}`` / ``{"model": ...}`` (torchreid saves
    ``.pth.tar`` files that way), with or without DataParallel's ``module.`` prefix.

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
        ValueError: when the file is not a readable torch checkpoint holding tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights not found: {path}")
    try:
        data: Any = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"cannot load weights {path}: not a torch state-dict checkpoint "
                         f"(torch.load with weights_only=True failed: {type(exc).__name__})") from exc
    for key in ("state_dict", "model"):
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
    if not isinstance(data, dict) or not data or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ValueError(f"cannot load weights {path}: expected a state dict of tensors")
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in data.items()}


def load_matching(model: nn.Module, state: dict[str, torch.Tensor], source: str, what: str) -> None:
    """``model.load_state_dict(state)`` with a one-line ValueError naming the first mismatch.

    Args:
        model: the network to fill.
        state: tensors by parameter name.
        source: file name for the message.
        what: architecture for the message (``"an OSNet x0_25"``).
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        detail = (f"{len(missing)} missing (e.g. {missing[0]})" if missing else
                  f"{len(unexpected)} unexpected (e.g. {unexpected[0]})" if unexpected else
                  f"{wrong[0]} has shape {tuple(state[wrong[0]].shape)}, expected {tuple(own[wrong[0]].shape)}")
        raise ValueError(f"cannot load weights {source}: not {what} checkpoint: {detail}")
    model.load_state_dict(state, strict=False)


def fold_batchnorm(conv: nn.Conv2d | nn.Linear, bn: nn.BatchNorm2d | nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of ``conv`` followed by ``bn`` (eval mode) as one layer.

    W' = W * g / sqrt(v + eps) per output channel; b' = (b - m) * g / sqrt(v + eps) + beta.
    """
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    weight = conv.weight.detach() * scale.reshape(-1, *([1] * (conv.weight.dim() - 1)))
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
    return weight, (bias - bn.running_mean) * scale + bn.bias.detach()


def fuse_osnet(model: OSNet) -> OSNet:
    """A fused (BatchNorm folded) copy of an unfused OSNet in eval mode; outputs agree to float rounding."""
    if model.fused:
        return model
    fused = OSNet(model.variant, fused=True)
    own = fused.state_dict()
    state = {k: v for k, v in model.state_dict().items() if k in own}  # plain convolutions, gates, fc
    for name, module in model.named_modules():
        if isinstance(module, ConvBN):
            conv, bn, conv_name = module.conv, module.bn, f"{name}.conv"
        elif isinstance(module, LiteConv3x3):  # BatchNorm follows the depthwise convolution
            conv, bn, conv_name = module.conv2, module.bn, f"{name}.conv2"
        else:
            continue
        state[f"{conv_name}.weight"], state[f"{conv_name}.bias"] = fold_batchnorm(conv, bn)
    fused.load_state_dict(state)
    return fused.eval()


def _usage_order(model: nn.Module, example: torch.Tensor) -> list[nn.Module]:
    """Leaf modules holding tensors, in the order a forward pass first calls them."""
    order: list[nn.Module] = []
    seen: set[int] = set()

    def record(module: nn.Module, _inputs: Any) -> None:
        if id(module) not in seen:
            seen.add(id(module))
            order.append(module)

    hooks = [m.register_forward_pre_hook(record) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d))]
    try:
        with torch.no_grad():
            model(example)
    finally:
        for hook in hooks:
            hook.remove()
    return order


def _module_tensors(module: nn.Module) -> list[torch.Tensor]:
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return [module.weight, module.bias, module.running_mean, module.running_var]
    return [t for t in (module.weight, module.bias) if t is not None]


def _onnx_weights_in_graph_order(model_proto) -> list[tuple[str, Any]]:
    """(name, array) of the initializers the Conv/Gemm/BatchNormalization nodes use, first use first."""
    from onnx import numpy_helper

    initializers = {t.name: t for t in model_proto.graph.initializer}
    out, seen = [], set()
    for node in model_proto.graph.node:
        if node.op_type not in ("Conv", "Gemm", "BatchNormalization"):
            continue
        for name in node.input[1:]:
            if name in initializers and name not in seen:
                seen.add(name)
                array = numpy_helper.to_array(initializers[name])
                if node.op_type == "Gemm" and name == node.input[1] and not any(
                        a.name == "transB" and a.i == 1 for a in node.attribute):
                    array = array.T  # Gemm without transB stores (in, out); torch's Linear holds (out, in)
                out.append((name, array))
    return out


def load_onnx_initializers(model: nn.Module, onnx_path: str | Path, input_hw: tuple[int, int] = (256, 128)) -> nn.Module:
    """Copy an ONNX export's weights into ``model``, matching them by the order the graph uses them.

    Exporters rename (and fold BatchNorm into) most tensors, so names cannot be matched; but the graph lists
    its layers in execution order, as a forward pass of the same architecture calls its modules. ``model``
    must be the architecture the file was exported from, with the same folding (e.g. ``OSNet(fused=True)``).

    Args:
        model: network to fill (changed in place and returned).
        onnx_path: the ``.onnx`` file.
        input_hw: an input size the model accepts, for the forward pass that records its module order.

    Raises:
        FileNotFoundError: when ``onnx_path`` does not exist.
        ValueError: when the counts or any shape differ (the file holds another architecture).
    """
    from roadtrack.reid.onnx_graph import load_model

    proto = load_model(onnx_path)
    weights = _onnx_weights_in_graph_order(proto)
    modules = _usage_order(model.eval(), torch.zeros(1, 3, *input_hw))
    targets = [t for m in modules for t in _module_tensors(m)]
    what = f"{type(model).__name__} {getattr(model, 'variant', '')}".strip()
    if len(weights) != len(targets):
        raise ValueError(f"cannot load ONNX weights {onnx_path}: it holds {len(weights)} layer tensors, "
                         f"{what} has {len(targets)}; wrong architecture or variant")
    for k, ((name, array), target) in enumerate(zip(weights, targets)):
        if tuple(array.shape) != tuple(target.shape):
            raise ValueError(f"cannot load ONNX weights {onnx_path}: tensor {k} ({name}) has shape {tuple(array.shape)}, "
                             f"{what} expects {tuple(target.shape)}; wrong architecture or variant")
    with torch.no_grad():
        for (_, array), target in zip(weights, targets):
            target.copy_(torch.from_numpy(array.copy()))
    return model


def _variant_for_width(c0: int, source: str) -> str:
    from roadtrack.reid.nets.osnet import WIDTHS

    for variant, widths in WIDTHS.items():
        if widths[0] == c0:
            return variant
    raise ValueError(f"cannot load weights {source}: its first convolution has {c0} channels, which is no OSNet "
                     f"width ({', '.join(f'{v}: {w[0]}' for v, w in WIDTHS.items())})")


def build_osnet(weights: str | Path | None = None, variant: str | None = None, fused: bool = True) -> OSNet:
    """An OSNet in eval mode, from a torchreid checkpoint, an ONNX export, or random initialisation.

    Args:
        weights: a torchreid checkpoint (``.pth``, ``.pth.tar``, ``.pt``: a state dict, maybe wrapped in
            ``{"state_dict": ...}``; the classifier is dropped), an OSNet ``.onnx`` export (BatchNorm folded;
            loads only into ``fused=True``), or None for random initialisation.
        variant: ``"x1_0"``, ``"x0_75"``, ``"x0_5"`` or ``"x0_25"``; None to infer it from the weights
            (``"x1_0"`` without weights).
        fused: return the BatchNorm-folded inference variant (same outputs, fewer layers); False keeps
            BatchNorm, for training (not possible from ONNX weights).

    Raises:
        FileNotFoundError: naming ``weights`` when it does not exist.
        ValueError: for weights of another architecture or variant.

    Example:
        >>> model = build_osnet("../shared/models/reid/osnet_x0_25_msmt17.onnx")   # doctest: +SKIP
        >>> model.variant, model.fused                                            # doctest: +SKIP
        ('x0_25', True)
    """
    if weights is None:
        return OSNet(variant or "x1_0", fused=fused).eval()
    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"weights not found: {path}")
    if path.suffix.lower() == ".onnx":
        if not fused:
            raise ValueError(f"cannot load weights {path} into an unfused OSNet: the ONNX export has BatchNorm "
                             "folded into its convolutions; use fused=True")
        from roadtrack.reid.onnx_graph import load_model

        first = _onnx_weights_in_graph_order(load_model(path))
        if not first or first[0][1].ndim != 4 or first[0][1].shape[1] != 3:
            raise ValueError(f"cannot load weights {path}: not an OSNet export (no 3-channel first convolution)")
        variant = variant or _variant_for_width(first[0][1].shape[0], str(path))
        return load_onnx_initializers(OSNet(variant, fused=True), path).eval()
    state = {k: v for k, v in read_state_dict(path).items() if not k.startswith("classifier.")}
    if variant is None:
        stem = state.get("conv1.conv.weight")
        if stem is None or stem.dim() != 4:
            raise ValueError(f"cannot load weights {path}: not an OSNet checkpoint (no conv1.conv.weight)")
        variant = _variant_for_width(int(stem.shape[0]), str(path))
    model = OSNet(variant)
    load_matching(model, state, str(path), f"an OSNet {variant}")
    return fuse_osnet(model.eval()) if fused else model.eval()
