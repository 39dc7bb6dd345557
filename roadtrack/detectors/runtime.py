"""Run an exported image model (an ONNX file) with onnxruntime or OpenVINO behind one small interface.

Both runtimes are optional and imported only when a model is opened. Exports often fix the batch size at 1 even
though nothing in the network depends on it (a ``Reshape`` to ``[1, C, -1]`` before the output); `OnnxModel`
rewrites such a graph in memory (with the ``onnx`` package, when installed) so a whole batch runs in one call,
and trusts the rewrite only when a batch of two different images gives what each gives alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from roadtrack.core.device import openvino_device

BACKENDS = ("auto", "onnxruntime", "openvino")
_MAX_CHUNK = 8  # frames per call for batch-free models: bounds the float32 input to a few tens of MB


def pick_openvino_device(requested: str, available: list[str]) -> str:
    """The OpenVINO device name for a roadtrack device (``"auto"``, ``"cpu"``, ``"cuda[:N]"``).

    Raises:
        ValueError: a GPU is asked for but OpenVINO sees none.
    """
    name = openvino_device(requested)
    if name == "AUTO" and available == ["CPU"]:
        return "CPU"  # so the CPU plugin itself, not AUTO's selection logic, receives the config
    if name == "GPU" and not any(d.startswith("GPU") for d in available):
        raise ValueError(f"device {requested!r}: OpenVINO sees no GPU (available: {', '.join(available)})")
    return name


def _import(name: str, extra: str) -> Any:
    try:
        return __import__(name)
    except ImportError as exc:
        raise ImportError(f"this model needs the optional {name} package: pip install 'roadtrack[{extra}]'") from exc


def _batch_free_bytes(path: Path) -> bytes | None:
    """The ONNX graph with a symbolic batch axis, or None when ``onnx`` is missing or the graph resists.

    Rewrites: the batch dimension of inputs and outputs becomes ``"batch"``; each ``Reshape`` whose target shape is
    a constant starting with the fixed batch size starts with 0 instead (ONNX: copy that dimension from the input);
    stale intermediate shape annotations are dropped.
    """
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        return None
    try:
        model = onnx.load(str(path))
    except Exception:  # not ONNX at all: the runtime's own loader reports it
        return None
    dims = [v.type.tensor_type.shape.dim for v in (*model.graph.input, *model.graph.output)]
    if not dims or any(len(d) == 0 or d[0].dim_value != 1 for d in dims):
        return None
    initializers = {init.name: init for init in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Reshape" and len(node.input) > 1 and node.input[1] in initializers:
            shape = numpy_helper.to_array(initializers[node.input[1]]).copy()
            if shape.ndim == 1 and shape.size and shape[0] == 1:
                shape[0] = 0
                initializers[node.input[1]].CopyFrom(numpy_helper.from_array(shape, node.input[1]))
    for d in dims:
        d[0].dim_param = "batch"
    del model.graph.value_info[:]
    return model.SerializeToString()


class OnnxModel:
    """One ONNX image model with a single (B, 3, H, W) float32 input, run by onnxruntime or OpenVINO.

    Args:
        path: the ``.onnx`` file.
        backend: ``"onnxruntime"``, ``"openvino"`` or ``"auto"`` (onnxruntime when installed, else OpenVINO).
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"`` (onnxruntime's CUDA provider; OpenVINO's GPU plugin).
        threads: intra-op threads; None = the runtime's default (all cores).

    Attributes:
        backend: the runtime in use, ``"onnxruntime"`` or ``"openvino"``.
        device: the runtime's device (``"cpu"``/``"cuda:N"`` for onnxruntime, ``"CPU"``/``"GPU"`` for OpenVINO).
        input_hw: (height, width) of the network input, pixels.
        batch: the fixed batch size, or None when any batch size runs in one call.
        output_shape: shape of the first output for batch 1.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not an ONNX model, or not one (B, 3, H, W) input with a static size.
        ImportError: the chosen runtime is not installed.
    """

    def __init__(self, path: str | Path, backend: str = "auto", device: str = "auto", threads: int | None = None) -> None:
        self.path = Path(path)
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
        if threads is not None and int(threads) < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if not self.path.is_file():
            raise FileNotFoundError(f"weights not found: {self.path}")
        if backend == "auto":
            backend = "onnxruntime" if _has("onnxruntime") else "openvino"
        self.backend = backend
        graph = _batch_free_bytes(self.path)
        if graph is not None:
            try:
                self._open(graph, device, threads)
                self.batch = None
                batch_free = self._batch_agrees()
            except ImportError:
                raise
            except Exception:  # the rewrite did not hold (or the file is bad): retry with the file as exported
                batch_free = False
        if graph is None or not batch_free:
            self._open(str(self.path), device, threads)
            self.batch = 1
        try:
            self.output_shape = tuple(self._probe(1).shape)
        except Exception as exc:
            raise ValueError(f"cannot load weights {self.path}: {_one_line(exc)}") from exc

    def _batch_agrees(self) -> bool:
        """Whether two different images run as one batch give what they give one at a time."""
        pair = np.zeros((2, 3, *self.input_hw), np.float32)
        pair[1] = 114
        together = self._probe(pair)
        alone = np.concatenate([self._probe(pair[:1]), self._probe(pair[1:])])
        return together.shape == alone.shape and np.allclose(together, alone, rtol=1e-3, atol=1e-3)

    def _probe(self, blob: np.ndarray | int) -> np.ndarray:
        """Run ``blob`` (or that many black images); failures raise but are not logged (expected for some graphs)."""
        if isinstance(blob, int):
            blob = np.zeros((blob, 3, *self.input_hw), np.float32)
        if self.backend == "onnxruntime":
            import onnxruntime

            quiet = onnxruntime.RunOptions()
            quiet.log_severity_level = 4
            return self._session.run(None, {self._input_name: blob}, quiet)[0]
        return self.run(blob)

    def _open(self, model: bytes | str, device: str, threads: int | None) -> None:
        try:
            if self.backend == "onnxruntime":
                self._open_onnxruntime(model, device, threads)
            else:
                self._open_openvino(model, device, threads)
        except (ValueError, ImportError):
            raise
        except Exception as exc:
            raise ValueError(f"cannot load weights {self.path}: {_one_line(exc)}") from exc

    def _open_onnxruntime(self, model: bytes | str, device: str, threads: int | None) -> None:
        ort = _import("onnxruntime", "onnx")
        resolved = _ort_device(device, ort.get_available_providers())
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads is not None:
            options.intra_op_num_threads = int(threads)
        # Idle worker threads would otherwise spin for a while after each run, taking the CPU from the tracker and
        # an embedder in the same process.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = ["CPUExecutionProvider"]
        if resolved.startswith("cuda"):
            providers.insert(0, ("CUDAExecutionProvider", {"device_id": int(resolved.split(":")[1])}))
        self._session = ort.InferenceSession(model, options, providers=providers)
        inputs = self._session.get_inputs()
        self._input_name = inputs[0].name
        self.input_hw = self._check_input(len(inputs), inputs[0].shape)
        self.device = resolved

    def _open_openvino(self, model: bytes | str, device: str, threads: int | None) -> None:
        ov = _import("openvino", "openvino")
        core = ov.Core()
        ov_model = core.read_model(model)
        shape = ov_model.input(0).get_partial_shape()
        dims = [None if d.is_dynamic else d.get_length() for d in shape] if shape.rank.is_static else []
        self.input_hw = self._check_input(len(ov_model.inputs), dims)
        self.device = pick_openvino_device(device, core.available_devices)
        # f32: the CPU plugin would otherwise pick bf16 where the CPU has it, moving scores by up to 0.1.
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
        if threads is not None:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        if self.device == "GPU":
            config.pop("INFERENCE_PRECISION_HINT")
        self._request = core.compile_model(ov_model, self.device, config).create_infer_request()

    def _check_input(self, count: int, shape: list) -> tuple[int, int]:
        if count != 1 or len(shape) != 4 or shape[1] != 3 or not all(isinstance(d, int) for d in shape[2:]):
            raise ValueError(f"cannot load weights {self.path}: expected one (B, 3, H, W) image input of fixed size, "
                             f"got {count} input(s), the first of shape {list(shape)}")
        return int(shape[2]), int(shape[3])

    def run(self, blob: np.ndarray) -> np.ndarray:
        """(b, 3, H, W) float32 -> the first output for those b images, (b, ...) float32.

        A fixed-batch model runs one image per call; a batch-free one at most 8 images per call.
        """
        step = self.batch or _MAX_CHUNK
        if len(blob) > step:
            return np.concatenate([self.run(blob[i:i + step]) for i in range(0, len(blob), step)])
        if self.backend == "onnxruntime":
            return self._session.run(None, {self._input_name: blob})[0]
        self._request.infer({0: blob})
        return self._request.get_output_tensor(0).data.copy()


def _one_line(exc: Exception) -> str:
    """An exception as one line: OpenVINO's messages carry a C++ trace of "Exception from <file>" lines."""
    lines = [line.strip() for line in str(exc).splitlines()]
    text = " ".join(line for line in lines if line and not line.startswith("Exception from src/"))
    return f"{type(exc).__name__}: {text}"


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _ort_device(device: str, providers: list[str]) -> str:
    """Resolve a roadtrack device for onnxruntime, whose CUDA support does not depend on torch."""
    kind = openvino_device(device)  # validates the spelling: AUTO, CPU or GPU
    has_cuda = "CUDAExecutionProvider" in providers
    if kind == "CPU" or (kind == "AUTO" and not has_cuda):
        return "cpu"
    if not has_cuda:
        raise ValueError(f"device {device!r}: this onnxruntime has no CUDA provider (install onnxruntime-gpu)")
    index = device.strip().split(":")[1] if ":" in device else "0"
    return f"cuda:{int(index)}"
