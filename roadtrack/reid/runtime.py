"""Run an in-memory ONNX model with onnxruntime or OpenVINO, with threading fit for sharing a process.

A tracker runs the detector and the embedder one after the other in one process. Two things then matter on
a small CPU: an idle runtime must not keep its worker threads spinning (onnxruntime does by default, and
that slowed the peers' detector from 22 to 35 ms/frame), and the embedder's thread count must not exceed the
cores the detector wants. `benchmarks/embedders.py --same-process` measures both.
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

from roadtrack.core.device import openvino_device

BACKENDS = ("auto", "onnxruntime", "openvino")
Runner = Callable[[np.ndarray], np.ndarray]


def _cuda_index(device: str) -> int | None:
    """None for CPU or auto, else the CUDA index; validates the spelling without importing torch."""
    kind = openvino_device(device)  # raises ValueError for spellings other than auto/cpu/cuda[:N]
    if kind != "GPU":
        return None
    match = re.search(r":(\d+)$", device.strip())
    return int(match.group(1)) if match else 0


def onnxruntime_runner(model_bytes: bytes, device: str = "auto", threads: int | None = None,
                       spinning: bool = False) -> tuple[Runner, str]:
    """An onnxruntime session for ``model_bytes``.

    Args:
        model_bytes: a serialised ONNX model with one input.
        device: ``"auto"`` (CUDA when onnxruntime has its CUDA provider, else CPU), ``"cpu"`` or ``"cuda[:N]"``.
        threads: intra-op threads on CPU; None lets onnxruntime use every core.
        spinning: False: worker threads never busy-wait. True: they busy-wait between the operators of a run
            (faster when the cores are otherwise idle, much slower when other processes compete for them) and
            stop as soon as the run returns (``session.force_spinning_stop``). Either way the session gives the
            cores back when it returns, unlike onnxruntime's default, which keeps spinning afterwards.

    Returns:
        ``(run, device_name)``: ``run`` maps a (B, C, H, W) float32 array to the first output.

    Raises:
        ValueError: when CUDA is requested but onnxruntime has no CUDA provider, or the model does not load.
    """
    import onnxruntime as ort

    index = _cuda_index(device)
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if index is not None and not has_cuda:
        raise ValueError(f"device {device!r}: this onnxruntime build has no CUDA provider; use device='cpu'")
    use_cuda = has_cuda and (index is not None or device.strip().lower() == "auto")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers etc. are not the user's problem
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = int(threads)
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.add_session_config_entry("session.force_spinning_stop", "1")
    providers = ([("CUDAExecutionProvider", {"device_id": index or 0})] if use_cuda else []) + ["CPUExecutionProvider"]
    try:
        session = ort.InferenceSession(model_bytes, options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ValueError(f"onnxruntime cannot load the model: {str(exc).splitlines()[0]}") from exc
    name = session.get_inputs()[0].name

    def run(blob: np.ndarray) -> np.ndarray:
        return session.run(None, {name: blob})[0]

    return run, f"cuda:{index or 0}" if use_cuda else "cpu"


def openvino_runner(model_bytes: bytes, device: str = "auto", threads: int | None = None,
                    spinning: bool = False) -> tuple[Runner, str]:
    """An OpenVINO compiled model for ``model_bytes`` (ONNX read from memory).

    Args:
        model_bytes: a serialised ONNX model with one input.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"`` (the OpenVINO GPU plugin, i.e. an Intel GPU).
        threads: CPU inference threads; None lets OpenVINO choose.
        spinning: ignored (OpenVINO's TBB workers manage their own waiting).

    Returns:
        ``(run, device_name)`` as for `onnxruntime_runner`.

    Raises:
        ValueError: when the device is not available or the model does not load.
    """
    import openvino as ov

    core = ov.Core()
    kind = openvino_device(device)
    if kind == "GPU" and not any(d.startswith("GPU") for d in core.available_devices):
        raise ValueError(f"device {device!r}: OpenVINO sees no GPU (available: {', '.join(core.available_devices)})")
    target = "CPU" if kind == "AUTO" and core.available_devices == ["CPU"] else kind
    # f32: OpenVINO's CPU default may be bf16, which moves OSNet features by ~0.2 on CPUs that offer it.
    config: dict[str, object] = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
    if threads is not None:
        config["INFERENCE_NUM_THREADS"] = int(threads)
    try:
        compiled = core.compile_model(core.read_model(model_bytes), target, config)
    except Exception as exc:
        raise ValueError(f"OpenVINO cannot load the model: {str(exc).splitlines()[0]}") from exc
    request = compiled.create_infer_request()

    def run(blob: np.ndarray) -> np.ndarray:
        request.infer({0: blob})
        return request.get_output_tensor(0).data.copy()

    return run, target.lower()


def make_runner(model_bytes: bytes, backend: str = "auto", device: str = "auto",
                threads: int | None = None, spinning: bool = False) -> tuple[Runner, str, str]:
    """Build a runner on the requested backend.

    ``"auto"`` means onnxruntime, the faster of the two for OSNet on the 2-core CPU measured in
    ``benchmarks/results_reid.md``, falling back to OpenVINO when onnxruntime is not installed.

    Returns:
        ``(run, backend_name, device_name)``.

    Raises:
        ValueError: for an unknown backend.
        ImportError: when the requested backend (or, for ``"auto"``, both) is not installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if backend == "auto":
        try:
            import onnxruntime  # noqa: F401
            backend = "onnxruntime"
        except ImportError:
            try:
                import openvino  # noqa: F401
                backend = "openvino"
            except ImportError as exc:
                raise ImportError("ONNX embedders need onnxruntime or openvino: pip install 'roadtrack[onnx]'") from exc
    build = onnxruntime_runner if backend == "onnxruntime" else openvino_runner
    try:
        run, device_name = build(model_bytes, device, threads, spinning)
    except ImportError as exc:
        raise ImportError(f"backend {backend!r} is not installed: {exc}") from exc
    return run, backend, device_name
