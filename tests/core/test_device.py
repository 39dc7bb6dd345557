"""`resolve_device` / `openvino_device`: spellings, CUDA availability, and life without torch."""

from __future__ import annotations

import sys

import pytest

from conftest import require_module
from roadtrack.core import device as device_mod
from roadtrack.core.device import openvino_device, resolve_device


@pytest.fixture
def cuda_count(monkeypatch):
    """Pretend torch sees ``n`` CUDA GPUs."""

    def set_count(n: int) -> None:
        monkeypatch.setattr(device_mod, "_cuda_device_count", lambda: n)

    return set_count


@pytest.mark.parametrize(
    "request_, gpus, expected",
    [
        ("cpu", 0, "cpu"),
        (" CPU ", 2, "cpu"),
        ("auto", 0, "cpu"),
        ("auto", 2, "cuda:0"),
        ("cuda", 1, "cuda:0"),
        ("cuda:1", 2, "cuda:1"),
        ("CUDA:0", 1, "cuda:0"),
    ],
)
def test_resolve_device(cuda_count, request_, gpus, expected):
    cuda_count(gpus)
    assert resolve_device(request_) == expected


@pytest.mark.parametrize(
    "request_, gpus, match",
    [
        ("gpu", 1, "unknown device 'gpu'"),
        ("cuda:", 1, "unknown device"),
        ("cuda:-1", 1, "unknown device"),
        ("cuda:x", 1, "unknown device"),
        ("cuda0", 1, "unknown device"),
        ("", 1, "unknown device"),
        (0, 1, "must be a string"),
        (None, 1, "must be a string"),
        ("cuda", 0, "no CUDA GPU is available"),
        ("cuda:0", 0, "no CUDA GPU is available"),
        ("cuda:1", 1, r"only 1 CUDA GPU\(s\) available"),
    ],
)
def test_resolve_device_rejects(cuda_count, request_, gpus, match):
    cuda_count(gpus)
    with pytest.raises(ValueError, match=match):
        resolve_device(request_)


def test_auto_without_torch_is_cpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    assert device_mod._cuda_device_count() == 0
    assert resolve_device("auto") == "cpu"
    assert resolve_device() == "cpu"
    with pytest.raises(ValueError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_real_torch_agrees():
    torch = require_module("torch")  # optional; the mocked cases above cover the logic
    expected = "cuda:0" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == expected


@pytest.mark.parametrize(
    "request_, expected",
    [("cpu", "CPU"), ("auto", "AUTO"), ("cuda", "GPU"), ("cuda:1", "GPU"), (" Cuda:0 ", "GPU")],
)
def test_openvino_device(request_, expected):
    assert openvino_device(request_) == expected


@pytest.mark.parametrize("request_", ["gpu", "GPU", "intel:gpu", "npu", ""])
def test_openvino_device_rejects(request_):
    with pytest.raises(ValueError, match="unknown device"):
        openvino_device(request_)
