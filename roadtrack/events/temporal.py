"""`TemporalEventClassifier`: learned per-frame action and location scores for agent tubes (PyTorch).

torch is imported only when a model is built or loaded, so ``import roadtrack.events`` works without it.
A checkpoint (``.ckpt``, written by ``roadtrack train-events``) carries the weights, the label lists the
heads predict, and the `TemporalConfig` the features were computed with, so it is self-describing.

Example:
    >>> clf = TemporalEventClassifier("runs/events/best.ckpt", device="auto")      # doctest: +SKIP
    >>> labelled = clf.classify(tubes, "val_00000.mp4")                           # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from roadtrack.core import EventClassifier, Tube, register
from roadtrack.core.labels import LabelSet, label_set
from roadtrack.events.compose import compose
from roadtrack.events.features import TubeFeatures, actor_dim, context_dim, tube_features
from roadtrack.events.ego import observe_ego
from roadtrack.events.geometry import AGENT_HEIGHT, CameraGeometry, horizon_from_boxes
from roadtrack.events.labels import agent_class_map, agent_name
from roadtrack.events.tubes import TubeOptions, agent_scores, finalize_tubes

CHECKPOINT_FORMAT = "roadtrack-events/1"
HEADS = ("action", "loc")


def require_torch():
    """Import torch, or raise an ImportError saying how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(f"the temporal event classifier needs torch (pip install 'roadtrack[torch]'): "
                          f"{exc}") from None
    return torch


@dataclasses.dataclass(frozen=True)
class TemporalConfig:
    """Everything that fixes the model's inputs and shape; saved in every checkpoint.

    Attributes:
        labels: dataset whose used lists the heads follow (``"road"`` or ``"road_waymo"``).
        width: hidden width of the network.
        dilations: dilation of each temporal block.
        dropout: dropout inside the temporal blocks.
        context: other agents attended to per frame.
        half_window: motion measured over t - k .. t + k frames.
        horizon: horizon row (fraction of the height) for the ego-motion estimate.
        horizon_from_boxes: use the horizon the road users' boxes imply (`horizon_from_boxes`, as the kinematic
            classifier does) when there are enough of them, else ``horizon``; off in checkpoints from before.
        tube_max_gap, tube_smooth, tube_min_length: `TubeOptions` applied to tubes before features.
        focal, camera_height: the camera of the physical features (None: `CameraGeometry.from_image` defaults;
            the horizon is ``horizon``).
        fps: frame rate assumed when the video reports none (or there is no video).
    """

    labels: str = "road"
    width: int = 64
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    dropout: float = 0.1
    context: int = 6
    half_window: int = 2
    horizon: float = 0.4
    horizon_from_boxes: bool = False
    tube_max_gap: int = 8
    tube_smooth: int = 3
    tube_min_length: int = 5
    focal: float | None = None
    camera_height: float | None = None
    fps: float = 10.0

    @property
    def label_set(self) -> LabelSet:
        return label_set(self.labels)

    @property
    def tube_options(self) -> TubeOptions:
        return TubeOptions(self.tube_max_gap, self.tube_smooth, self.tube_min_length)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TemporalConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown temporal-model config key(s) {unknown}; valid: {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def build_network(config: TemporalConfig):
    """A freshly initialised `roadtrack.events.temporal_net.EventNet` for ``config`` (imports torch)."""
    require_torch()
    from roadtrack.events.temporal_net import EventNet

    labels = config.label_set
    n_agents = len(labels.agent)
    return EventNet(actor_dim(n_agents), context_dim(n_agents), {h: len(labels[h]) for h in HEADS},
                    config.width, tuple(config.dilations), config.dropout)


def load_checkpoint(path: str | os.PathLike, device: str = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint` (tensors only: no code is unpickled).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a roadtrack event-model checkpoint, or its label lists disagree with its config.
        ImportError: torch is not installed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    torch = require_torch()
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or foreign files
        raise ValueError(f"{path}: not a readable checkpoint: {type(exc).__name__}: {exc}") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a roadtrack event-model checkpoint (format {CHECKPOINT_FORMAT})")
    config = TemporalConfig.from_dict(ckpt["config"])
    expected = config.label_set
    dims = (actor_dim(len(expected.agent)), context_dim(len(expected.agent)))
    if tuple(ckpt.get("feature_dims", ())) != dims:
        raise ValueError(f"{path}: trained on features of sizes {ckpt.get('feature_dims')}, but this roadtrack "
                         f"computes {list(dims)}; retrain with 'roadtrack train-events'")
    for kind in ("agent", *HEADS):
        if tuple(ckpt["labels"][kind]) != expected[kind]:
            raise ValueError(f"{path}: its {kind} labels differ from the {expected.name} lists it claims")
    return ckpt


def save_checkpoint(path: str | os.PathLike, network, config: TemporalConfig, **extra: Any) -> Path:
    """Write weights, config and label lists (plus ``extra``: epoch, optimizer state, history...) atomically."""
    import torch

    from roadtrack.io.atomic import atomic_write

    labels = config.label_set
    payload = {"format": CHECKPOINT_FORMAT, "config": config.to_dict(), "state_dict": network.state_dict(),
               "labels": {"dataset": labels.name, **{k: list(labels[k]) for k in ("agent", *HEADS)}},
               "feature_dims": [actor_dim(len(labels.agent)), context_dim(len(labels.agent))], **extra}
    with atomic_write(path, "wb") as f:
        torch.save(payload, f)
    return Path(path)


@contextlib.contextmanager
def torch_threads(threads: int | None):
    """Run a block with torch limited to ``threads`` CPU threads (None: leave the setting alone)."""
    torch = require_torch()

    if threads is None:
        yield
        return
    if threads < 1:
        raise ValueError(f"threads must be >= 1 or None, got {threads}")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def clean_tube_features(clean: Sequence[Tube], video: Any, config: TemporalConfig,
                        class_map: np.ndarray | None = None, ego: Any = "auto",
                        camera: tuple[float | None, float | None, float | None] | None = None,
                        image_size: tuple[float, float] | None = None,
                        ) -> tuple[list[TubeFeatures], CameraGeometry, str]:
    """Features of clean tubes (one pass over ``video`` when given), the camera used and the ego-motion source.

    Args:
        clean: tubes after `finalize_tubes`.
        video: the frames or None.
        config: the model's settings (features, default camera, fps).
        class_map: detector class -> agent index (None: class ids are agent indices).
        ego: ego-motion source (`roadtrack.events.ego.observe_ego`).
        camera: (focal px, horizon fraction, height m) overriding the config's; None entries keep it.
        image_size: (width, height) when there are no frames.
    """
    labels = config.label_set
    focal, horizon, height = camera or (None, None, None)
    focal = config.focal if focal is None else focal
    horizon = config.horizon if horizon is None else horizon
    height = config.camera_height if height is None else height
    names = [agent_name(t, class_map, labels) for t in clean]
    heights = [AGENT_HEIGHT.get(n) for n in names]
    fps = float(getattr(video, "fps", None) or config.fps)
    from_boxes = config.horizon_from_boxes and (camera is None or camera[1] is None)

    def geometry_of(size):
        row = horizon_from_boxes([t.xyxy for t in clean], heights, size, height) if from_boxes else None
        return CameraGeometry.from_image(size, focal, horizon if row is None else row, height)

    obs, geometry, source = observe_ego(ego, video, clean, fps, geometry_of, image_size, heights)
    feats = tube_features(clean, obs, obs.size, len(labels.agent), class_map, config.context, config.half_window,
                          geometry.horizon / obs.size[1] if from_boxes else config.horizon, geometry, fps, names,
                          labels)
    return feats, geometry, source


@register("event_classifier", "temporal")
class TemporalEventClassifier(EventClassifier):
    """Learned event classifier: features (`roadtrack.events.features`) -> `EventNet` -> sigmoid scores.

    Args:
        checkpoint: a ``.ckpt`` from ``roadtrack train-events``.
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        class_names: detector class id -> name, mapped to agents (`agent_class_map`); None when class ids
            already are agent indices of the checkpoint's label set.
        batch_size: tubes per forward pass.
        threads: CPU threads torch may use (None: torch's default; the small model runs best on one).
        ego: ego-motion source (`roadtrack.events.ego`): ``auto``, ``frames``, ``tracks``, ``none``, a CSV.
        focal, horizon, camera_height: this video's camera when it differs from the training one (pixels,
            fraction of the height, metres; default: the checkpoint's).
        image_size: (width, height) when there are no frames.
    """

    def __init__(self, checkpoint: str | os.PathLike, device: str = "auto",
                 class_names: Mapping[int, str] | None = None, batch_size: int = 64, threads: int | None = 1,
                 ego: Any = "auto", focal: float | None = None, horizon: float | None = None,
                 camera_height: float | None = None, image_size: tuple[int, int] | None = None) -> None:
        from roadtrack.core.device import resolve_device

        self.device = resolve_device(device)
        ckpt = load_checkpoint(checkpoint, "cpu")
        self.config = TemporalConfig.from_dict(ckpt["config"])
        self.network = build_network(self.config)
        self.network.load_state_dict(ckpt["state_dict"])
        self._setup(class_names, batch_size, threads, ego, (focal, horizon, camera_height), image_size)

    @classmethod
    def from_network(cls, network, config: TemporalConfig, device: str = "cpu",
                     class_names: Mapping[int, str] | None = None, batch_size: int = 64,
                     threads: int | None = 1, ego: Any = "auto",
                     image_size: tuple[int, int] | None = None) -> "TemporalEventClassifier":
        """Wrap an in-memory network (e.g. right after training) without a checkpoint file."""
        from roadtrack.core.device import resolve_device

        self = cls.__new__(cls)
        self.device, self.config, self.network = resolve_device(device), config, network
        self._setup(class_names, batch_size, threads, ego, (None, None, None), image_size)
        return self

    def _setup(self, class_names: Mapping[int, str] | None, batch_size: int, threads: int | None, ego: Any,
               camera: tuple, image_size: tuple[int, int] | None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        c = self.config
        focal, horizon, height = camera
        self.camera = (c.focal if focal is None else focal, c.horizon if horizon is None else horizon,
                       c.camera_height if height is None else height)
        self.ego, self.ego_source, self.geometry, self.image_size = ego, None, None, image_size
        self.threads = threads
        self.labels = self.config.label_set
        self.class_map = agent_class_map(class_names, self.labels)
        self.batch_size = batch_size
        self.network = self.network.to(self.device).eval()

    def run_info(self) -> dict[str, Any]:
        """What the last ``classify`` used (for ``run.json``)."""
        g = self.geometry
        return {"classifier": "temporal", "ego_motion": self.ego_source, "ego_motion_option": str(self.ego),
                "camera": None if g is None else {"focal_px": round(g.focal, 1), "horizon_row": round(g.horizon, 1),
                                                  "camera_height_m": g.height, "image_size": list(g.size)}}

    def features(self, tubes: Sequence[Tube], video: Any = None) -> tuple[list[Tube], list[TubeFeatures]]:
        """Clean the tubes and compute their features (one pass over ``video``)."""
        clean = finalize_tubes(tubes, self.config.tube_options)
        feats, self.geometry, self.ego_source = clean_tube_features(clean, video, self.config, self.class_map,
                                                                    self.ego, self.camera, self.image_size)
        return clean, feats

    def predict(self, features: Sequence[TubeFeatures]) -> list[dict[str, np.ndarray]]:
        """Per-frame sigmoid scores ``{"action": (T, B), "loc": (T, L)}`` for each tube's features."""
        import torch

        from roadtrack.events.batching import collate

        out: list[dict[str, np.ndarray]] = []
        with torch.inference_mode(), torch_threads(self.threads):
            for start in range(0, len(features), self.batch_size):
                chunk = features[start:start + self.batch_size]
                batch = collate(chunk, device=self.device)
                logits = self.network(batch["actor"], batch["context"], batch["context_mask"], batch["mask"])
                probs = {k: torch.sigmoid(v).cpu().numpy().astype(np.float64) for k, v in logits.items()}
                out.extend({k: v[i, :len(f)] for k, v in probs.items()} for i, f in enumerate(chunk))
        return out

    def classify(self, tubes: Sequence[Tube], video: Any = None) -> list[Tube]:
        """Clean the tubes and fill ``labels`` for every label type.

        Args:
            tubes: raw tracker tubes, boxes in pixels of ``video``'s frames.
            video: the frames (path, `FrameSource` or iterable of BGR images); None gives the model no
                ego-motion and no appearance (much weaker).

        Returns:
            Agent tubes with ``labels`` ``agent``, ``action``, ``loc``, ``duplex``, ``triplet`` (T, C) scores.
        """
        clean, feats = self.features(tubes, video)
        out = []
        for tube, scores in zip(clean, self.predict(feats)):
            scores["agent"] = agent_scores(tube, len(self.labels.agent), self.class_map)
            out.append(Tube(tube.track_id, tube.frames, tube.xyxy, tube.scores, tube.class_ids,
                            compose(scores, self.labels)))
        return out
