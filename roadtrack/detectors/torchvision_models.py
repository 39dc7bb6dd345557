"""torchvision detection models (Faster R-CNN, RetinaNet, FCOS, SSD/SSDlite) from a local state-dict file.

The model is built with ``weights=None, weights_backbone=None`` (so torchvision never downloads anything) and then
loaded from the file with an explicit key and shape check, so a checkpoint of another architecture fails with a
message saying what differs instead of a stack of size mismatches from deep inside torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.core.device import resolve_device
from roadtrack.core.interfaces import Detector
from roadtrack.core.registry import register
from roadtrack.detectors import postprocess as pp
from roadtrack.detectors.coco import COCO_CATEGORIES
from roadtrack.detectors.labels import ClassMapSpec, ClassSelection

# Builder name -> its keyword names for (score threshold, NMS IoU, detections per image).
_RCNN = ("box_score_thresh", "box_nms_thresh", "box_detections_per_img")
_ONE_STAGE = ("score_thresh", "nms_thresh", "detections_per_img")
ARCHS: dict[str, tuple[str, str, str]] = {
    "fasterrcnn_resnet50_fpn": _RCNN,
    "fasterrcnn_resnet50_fpn_v2": _RCNN,
    "fasterrcnn_mobilenet_v3_large_fpn": _RCNN,
    "fasterrcnn_mobilenet_v3_large_320_fpn": _RCNN,
    "retinanet_resnet50_fpn": _ONE_STAGE,
    "retinanet_resnet50_fpn_v2": _ONE_STAGE,
    "fcos_resnet50_fpn": _ONE_STAGE,
    "ssd300_vgg16": _ONE_STAGE,
    "ssdlite320_mobilenet_v3_large": _ONE_STAGE,
}
_FIXED_SIZE = ("ssd",)  # SSD models resize to their own square input; min_size/max_size do not apply


def _import_torch() -> tuple[Any, Any]:
    try:
        import torch
        import torchvision.models.detection as detection
    except ImportError as exc:
        raise ImportError("TorchvisionDetector needs the optional torch and torchvision packages: "
                          "pip install 'roadtrack[torch]'") from exc
    return torch, detection


def load_state_dict(torch: Any, path: Path) -> dict[str, Any]:
    """Read a state dict (or a training checkpoint holding one under ``model``/``state_dict``) without unpickling
    arbitrary objects.

    Raises:
        ValueError: the file is not a torch file of tensors.
    """
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors all mean the same here
        raise ValueError(f"cannot load weights {path}: not a state dict saved with torch.save(model.state_dict()) "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from exc
    for key in ("model", "state_dict"):
        if isinstance(state, Mapping) and isinstance(state.get(key), Mapping):
            state = state[key]
    if not isinstance(state, Mapping) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"cannot load weights {path}: expected a mapping of parameter names to tensors")
    return {k.removeprefix("module."): v for k, v in state.items()}  # nn.DataParallel saves "module.<name>"


def check_state_dict(model_state: Mapping[str, Any], state: Mapping[str, Any], arch: str, path: Path) -> None:
    """Raise a ValueError naming what differs when ``state`` does not fit a model with ``model_state``.

    ``num_batches_tracked`` counters may be missing: torchvision's pretrained files come from models with frozen
    batch norm, which has none, while a model built without pretrained weights uses plain batch norm.
    """
    missing = [k for k in model_state if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in model_state]
    if missing or unexpected:
        raise ValueError(
            f"cannot load weights {path}: not a {arch} checkpoint: {len(missing)} parameters missing "
            f"(e.g. {', '.join(missing[:3]) or '-'}), {len(unexpected)} unexpected "
            f"(e.g. {', '.join(unexpected[:3]) or '-'})"
        )
    for key, value in state.items():
        if tuple(value.shape) != tuple(model_state[key].shape):
            raise ValueError(
                f"cannot load weights {path}: {key} has shape {tuple(value.shape)} in the file but "
                f"{tuple(model_state[key].shape)} in {arch}; is num_classes right (the file may have been trained "
                "on another number of classes)?"
            )


@register("detector", "torchvision")
class TorchvisionDetector(Detector):
    """A torchvision detection model with local weights.

    Args:
        weights: state-dict file (``torch.save(model.state_dict(), path)``, e.g. torchvision's released
            ``fasterrcnn_resnet50_fpn_coco-258fb6c6.pth``, or a training checkpoint with a ``model`` entry).
        arch: builder name, one of `ARCHS` (``fasterrcnn_resnet50_fpn``, ``retinanet_resnet50_fpn``,
            ``fcos_resnet50_fpn``, ``ssdlite320_mobilenet_v3_large``, ...).
        conf: keep boxes scoring above this, in [0, 1] (set as the model's own score threshold).
        classes: None for all, or output class ids/names to keep (mapped names when ``class_map`` is set).
        iou: the model's class-wise NMS IoU threshold, in [0, 1].
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        max_det: at most this many boxes per frame.
        batch: at most this many frames per forward pass.
        num_classes: outputs of the classifier, background included (91 for torchvision's COCO models).
        class_names: class id -> name; default: COCO category names for 91 classes, else ``class<i>``.
        class_map: map the model's classes to other labels, e.g. ``"road"`` (see `roadtrack.detectors.labels`).
        min_size: shorter image side the model resizes to, pixels (torchvision default 800; 320 for the
            ``_320`` variants); not for SSD models, which use their fixed input size.
        max_size: cap on the longer side after resizing, pixels.
        threads: if given, ``torch.set_num_threads(threads)``. torch's thread pool is process-wide, so this also
            applies to other torch models in the process; on a busy CPU fewer threads can be much faster.

    Attributes:
        class_names: output class id -> name (COCO: category ids, 1 = person, 3 = car, ...).

    Raises:
        FileNotFoundError: missing weights.
        ValueError: unknown arch, a file that is not a state dict or belongs to another architecture, bad options.
        ImportError: torch or torchvision missing.

    Example:
        >>> det = TorchvisionDetector("fasterrcnn_resnet50_fpn_coco.pth", arch="fasterrcnn_resnet50_fpn",  # doctest: +SKIP
        ...                           classes=["person"], device="cuda")
    """

    def __init__(
        self,
        weights: str | Path,
        arch: str = "fasterrcnn_resnet50_fpn",
        conf: float = 0.25,
        classes: Sequence[int | str] | None = None,
        iou: float = 0.5,
        device: str = "auto",
        max_det: int = 300,
        batch: int = 4,
        num_classes: int = 91,
        class_names: Mapping[int, str] | None = None,
        class_map: ClassMapSpec | None = None,
        min_size: int | None = None,
        max_size: int | None = None,
        threads: int | None = None,
    ) -> None:
        pp.check_options(conf, iou, max_det, batch)
        if threads is not None and int(threads) < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if arch not in ARCHS:
            raise ValueError(f"unknown arch {arch!r}; choose from {', '.join(ARCHS)}")
        if int(num_classes) < 2:
            raise ValueError(f"num_classes must be at least 2 (background plus one class), got {num_classes}")
        sizes = {k: int(v) for k, v in (("min_size", min_size), ("max_size", max_size)) if v is not None}
        if sizes and arch.startswith(_FIXED_SIZE):
            raise ValueError(f"{arch} resizes to its fixed input size; min_size/max_size do not apply")
        if any(v < 32 for v in sizes.values()):
            raise ValueError(f"min_size and max_size must be at least 32 pixels, got {sizes}")
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"weights not found: {path}")
        self.device = resolve_device(device)
        torch, detection = _import_torch()
        if threads is not None:
            torch.set_num_threads(int(threads))
        state = load_state_dict(torch, path)
        score_key, nms_key, det_key = ARCHS[arch]
        options = {score_key: float(conf), nms_key: float(iou), det_key: int(max_det), **sizes}
        model = getattr(detection, arch)(weights=None, weights_backbone=None, num_classes=int(num_classes), **options)
        check_state_dict(model.state_dict(), state, arch, path)
        model.load_state_dict(state, strict=False)  # strict=False only for num_batches_tracked, checked above
        self._model = model.eval().to(self.device)
        self._torch = torch
        self.arch, self.batch = arch, int(batch)
        names = _class_names(class_names, int(num_classes))
        self._selection = ClassSelection.build(names, classes, class_map)
        self.class_names = self._selection.names

    def detect(self, frames: Sequence[np.ndarray], frame_ids: Sequence[int] | None = None) -> list[Detections]:
        """Detect objects in BGR frames, ``batch`` frames per forward pass.

        Args:
            frames: (H, W, 3) uint8 BGR images; sizes may differ.
            frame_ids: unused (accepted for the `Detector` interface); must match ``frames`` in length.

        Returns:
            One `Detections` per frame: xyxy in frame pixels (float64), scores, output class ids.
        """
        frames = pp.check_frames(frames, frame_ids)
        torch = self._torch
        out: list[Detections] = []
        with torch.inference_mode():
            for start in range(0, len(frames), self.batch):
                # torchvision models take RGB float tensors in [0, 1], (3, H, W), and resize/normalise themselves.
                images = [torch.from_numpy(np.ascontiguousarray(f[..., ::-1].transpose(2, 0, 1))).to(self.device)
                          .float().div_(255) for f in frames[start:start + self.batch]]
                for result in self._model(images):
                    dets = Detections(result["boxes"].cpu().numpy().astype(np.float64),
                                      result["scores"].cpu().numpy().astype(np.float64),
                                      result["labels"].cpu().numpy().astype(np.int64))
                    out.append(self._selection.apply(dets))
        return out


def _class_names(names: Mapping[int, str] | None, num_classes: int) -> dict[int, str]:
    if names is not None:
        return {int(k): str(v) for k, v in names.items()}
    if num_classes == 91:
        return dict(COCO_CATEGORIES)
    return {i: f"class{i}" for i in range(1, num_classes)}
