"""ONNX embedders: any user model (``"onnx"``) and the default person ReID, OSNet (``"osnet-onnx"``).

Neither needs torch: the model runs on onnxruntime or OpenVINO (`roadtrack.reid.runtime`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from roadtrack.core import register
from roadtrack.reid import onnx_graph
from roadtrack.reid.base import CropEmbedder
from roadtrack.reid.crops import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from roadtrack.reid.runtime import make_runner

# Metadata keys `roadtrack export-reid` writes, so an exported file carries its own preprocessing.
META_INPUT_HW, META_MEAN, META_STD, META_RGB = "roadtrack.input_hw", "roadtrack.mean", "roadtrack.std", "roadtrack.rgb"


def _floats(text: str | None) -> tuple[float, ...] | None:
    return None if text is None else tuple(float(v) for v in text.split(","))


@register("embedder", "onnx")
class ONNXEmbedder(CropEmbedder):
    """Any ONNX image-embedding model: one (B, 3, h, w) input, one (B, D) output.

    A model exported with a fixed batch of 1 is made batchable in memory (`onnx_graph.make_batch_dynamic`);
    if the rewritten graph still cannot take a batch, crops run one at a time.

    Args:
        weights: path to the ``.onnx`` file.
        input_hw: (height, width) crops are resized to; default: the model's ``roadtrack.input_hw`` metadata
            (written by ``roadtrack export-reid``), else its fixed input size.
        mean, std: per-channel normalisation on the 0-1 scale, in the model's channel order; default: metadata,
            else ImageNet's.
        rgb: True if the model takes RGB, False for BGR; default: metadata, else True.
        backend: ``"auto"`` (onnxruntime, else OpenVINO), ``"onnxruntime"`` or ``"openvino"``.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"``.
        threads: CPU threads of the runtime; None for the runtime's default (all cores).
        batch_size: most crops per inference call.
        spinning: onnxruntime only: let worker threads busy-wait during a run (never after it); see
            `roadtrack.reid.runtime.onnxruntime_runner`.

    Attributes:
        dim: embedding length D (found by running the model once at load time).
        backend, device: what was actually chosen.
        batch_dynamic: False when the model only runs one crop at a time.

    Raises:
        FileNotFoundError: when ``weights`` does not exist.
        ValueError: when the file is not ONNX, or not an image-embedding model (input not (B, 3, h, w), output
            not (B, D)), or the input size is dynamic and not given.

    Example:
        >>> emb = ONNXEmbedder("my_reid.onnx", input_hw=(256, 128))       # doctest: +SKIP
        >>> emb.embed(frame, detections).shape                              # doctest: +SKIP
        (7, 512)
    """

    default_input_hw: tuple[int, int] | None = None  # used when neither the caller nor the model fixes one

    def __init__(
        self,
        weights: str | Path,
        input_hw: Sequence[int] | None = None,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        rgb: bool | None = None,
        backend: str = "auto",
        device: str = "auto",
        threads: int | None = None,
        batch_size: int = 32,
        spinning: bool = False,
    ) -> None:
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        model = onnx_graph.load_model(weights)
        try:
            shape = onnx_graph.input_shape(model)
        except ValueError as exc:
            raise ValueError(f"cannot load ONNX weights {weights}: {exc}") from None
        if shape[1] != 3:
            raise ValueError(f"cannot load ONNX weights {weights}: expected a 3-channel image input, got {shape}")
        meta = onnx_graph.metadata(model)
        if input_hw is None and META_INPUT_HW in meta:
            input_hw = tuple(int(v) for v in meta[META_INPUT_HW].split(","))
        if input_hw is None and all(isinstance(v, int) and v > 0 for v in shape[2:]):
            input_hw = tuple(shape[2:])
        input_hw = input_hw or self.default_input_hw
        if input_hw is None:
            raise ValueError(f"cannot load ONNX weights {weights}: its input size is dynamic {shape}; "
                             "pass input_hw=(height, width)")
        for value, name in ((input_hw[0], 2), (input_hw[1], 3)):
            if isinstance(shape[name], int) and shape[name] > 0 and shape[name] != int(value):
                raise ValueError(f"input_hw {tuple(input_hw)} does not fit the model's fixed input {shape}")
        if rgb is None:
            rgb = meta.get(META_RGB, "1") not in ("0", "false", "False")
        self.preprocess = Preprocess(
            tuple(input_hw), mean or _floats(meta.get(META_MEAN)) or IMAGENET_MEAN,
            std or _floats(meta.get(META_STD)) or IMAGENET_STD, bool(rgb))
        self.batch_size = int(batch_size)
        self._load(model, weights, backend, device, threads, spinning, shape[0])

    def _load(self, model, weights, backend: str, device: str, threads: int | None, spinning: bool,
              fixed_batch) -> None:
        """Build the runner on a batch-dynamic graph if it works, else on the original one."""
        h, w = self.preprocess.input_hw
        if isinstance(fixed_batch, int) and fixed_batch > 1:
            raise ValueError(f"cannot load ONNX weights {weights}: its batch is fixed at {fixed_batch}; "
                             "export it with batch 1 or a dynamic batch axis")
        candidates = [(onnx_graph.make_batch_dynamic(model), True)] if fixed_batch == 1 else []
        candidates.append((model, fixed_batch != 1))
        last_error: Exception | None = None
        for graph, dynamic in candidates:
            run, self.backend, self.device = make_runner(graph.SerializeToString(), backend, device, threads, spinning)
            probe = 2 if dynamic else 1
            try:
                out = np.asarray(run(np.zeros((probe, 3, h, w), np.float32)))
            except Exception as exc:  # runtime errors inside the graph: try the next candidate
                last_error = exc
                continue
            if out.ndim < 2 or out.shape[0] != probe or any(d != 1 for d in out.shape[2:]):
                raise ValueError(f"cannot load ONNX weights {weights}: expected a (batch, D) embedding output, "
                                 f"got shape {out.shape}; is this an image-embedding model?")
            self._run, self.dim, self.batch_dynamic = run, int(out.shape[1]), dynamic
            if not dynamic:
                self.batch_size = 1
            return
        message = str(last_error).splitlines()[0] if last_error else "unknown error"
        raise ValueError(f"cannot run ONNX weights {weights} on a {h}x{w} crop: {message}")

    def _forward(self, blob: np.ndarray) -> np.ndarray:
        return self._run(blob)


@register("embedder", "osnet-onnx")
class OSNetONNXEmbedder(ONNXEmbedder):
    """OSNet person re-identification from an ONNX export: roadtrack's default appearance model.

    Made for ``../shared/models/reid/osnet_x0_25_msmt17.onnx`` (OSNet x0.25 trained on MSMT17, exported with
    a fixed batch of 1; PROVENANCE.md section 12): crops are resized to 256x128, converted to RGB and
    normalised with ImageNet's mean and std as torchreid trained them, and all crops of a frame run in one
    batch. No torch needed.

    Args:
        weights: path to the OSNet ``.onnx`` file (no default: nothing is downloaded).
        backend: ``"auto"`` (onnxruntime), ``"onnxruntime"`` or ``"openvino"``.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"``.
        threads: CPU threads; None (default) = all cores. Idle threads never spin (`roadtrack.reid.runtime`),
            so the detector that runs before and after the embedder gets the cores back at once; on the 2-core
            machine measured, 2 threads reach ~600 crops/s at batch 8 against ~450 with 1, and neither slows
            the detector (``benchmarks/results_reid.md``).
        batch_size: most crops per inference call.
        spinning: onnxruntime worker threads busy-wait during a run, never after it (see `ONNXEmbedder`).

    Output: (N, 512) float32, L2-normalised (zero rows for boxes wholly outside the frame).

    The crop size is the model's fixed input size, or 256x128 for an export with a dynamic one.

    Example:
        >>> emb = OSNetONNXEmbedder("../shared/models/reid/osnet_x0_25_msmt17.onnx")   # doctest: +SKIP
        >>> emb.embed(frame, detections).shape                                        # doctest: +SKIP
        (7, 512)
    """

    def __init__(self, weights: str | Path, backend: str = "auto", device: str = "auto", threads: int | None = None,
                 batch_size: int = 32, spinning: bool = False) -> None:
        super().__init__(weights, input_hw=None, mean=IMAGENET_MEAN, std=IMAGENET_STD, rgb=True,
                         backend=backend, device=device, threads=threads, batch_size=batch_size, spinning=spinning)

    default_input_hw = (256, 128)
