"""Compute-device names: one spelling (``"cpu"``, ``"cuda:N"``) for every stage, mapped per runtime.

torch is optional, so it is imported only inside `resolve_device` and a missing torch means "no CUDA".
"""

from __future__ import annotations

import re

_DEVICE_FORM = re.compile(r"^(auto|cpu|cuda(?::(\d+))?)$")


def _parse(device: str) -> re.Match:
    if not isinstance(device, str):
        raise ValueError(f"device must be a string like 'auto', 'cpu', 'cuda' or 'cuda:1', got {device!r}")
    match = _DEVICE_FORM.match(device.strip().lower())
    if match is None:
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N' (N a GPU index)")
    return match


def _cuda_device_count() -> int:
    """Number of CUDA devices torch can use; 0 when torch is not installed."""
    try:
        import torch
    except ImportError:
        return 0
    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def resolve_device(device: str = "auto") -> str:
    """Turn a device request into a concrete device name.

    Args:
        device: ``"auto"`` (first CUDA GPU when torch sees one, else CPU), ``"cpu"``, ``"cuda"`` (= ``"cuda:0"``)
            or ``"cuda:N"``. Case and surrounding spaces are ignored.

    Returns:
        ``"cpu"`` or ``"cuda:N"``.

    Raises:
        ValueError: for any other spelling (e.g. ``"gpu"``), or when CUDA (or GPU N) is asked for but unavailable.

    Example:
        >>> resolve_device("cpu")
        'cpu'
    """
    match = _parse(device)
    kind = match.group(1)
    if kind == "cpu":
        return "cpu"
    count = _cuda_device_count()
    if kind == "auto":
        return "cuda:0" if count > 0 else "cpu"
    index = int(match.group(2) or 0)
    if count == 0:
        raise ValueError(
            f"device {device!r} asks for CUDA, but no CUDA GPU is available "
            "(torch is not installed, is a CPU-only build, or sees no GPU); use device='cpu' or 'auto'"
        )
    if index >= count:
        raise ValueError(f"device {device!r}: only {count} CUDA GPU(s) available (indices 0..{count - 1})")
    return f"cuda:{index}"


def openvino_device(device: str = "auto") -> str:
    """Map a roadtrack device name to an OpenVINO device name.

    OpenVINO's GPU plugin drives Intel GPUs, not CUDA, so ``"cuda"`` here only means "run on the GPU plugin";
    availability is checked by the caller against ``openvino.Core().available_devices``.

    Args:
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Returns:
        ``"AUTO"``, ``"CPU"`` or ``"GPU"``.

    Raises:
        ValueError: for any other spelling.

    Example:
        >>> openvino_device("cpu"), openvino_device("cuda:1")
        ('CPU', 'GPU')
    """
    kind = _parse(device).group(1)
    if kind == "auto":
        return "AUTO"
    return "CPU" if kind == "cpu" else "GPU"
