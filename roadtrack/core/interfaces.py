"""The stage interfaces. Each is small; implementations register by name (`roadtrack.core.registry`)."""

from __future__ import annotations

import abc
import dataclasses
from typing import Sequence

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.core.tracks import Tracks, Tube
from roadtrack.core.view import TrackView


class Detector(abc.ABC):
    """Turns frames into `Detections`.

    Attributes:
        class_names: class id -> name for the ids this detector emits.
        extra_columns: name -> trailing shape of the extra columns (`Detections.extras`) every `Detections` it
            returns carries, e.g. ``{"agent_scores": (10,), "action_scores": (22,), "loc_scores": (16,)}`` for
            a detector with ROAD-Waymo label heads; empty for plain detectors.
    """

    class_names: dict[int, str] = {}
    extra_columns: dict[str, tuple[int, ...]] = {}

    @abc.abstractmethod
    def detect(self, frames: Sequence[np.ndarray | None], frame_ids: Sequence[int] | None = None) -> list[Detections]:
        """Detect objects in a batch of frames.

        Args:
            frames: BGR uint8 images of shape (H, W, 3). Detectors that do not look at pixels
                (precomputed detections) accept None.
            frame_ids: 1-based frame numbers of ``frames``; detectors that read detections from a file need them.

        Returns:
            One `Detections` per frame, boxes in the frame's pixel coordinates.
        """

    def reset(self) -> None:
        """Forget per-video state. Most detectors have none."""


class Embedder(abc.ABC):
    """Appearance features for the detections of one frame."""

    @abc.abstractmethod
    def embed(self, frame: np.ndarray, detections: Detections) -> np.ndarray:
        """Return (N, D) float32 L2-normalised embeddings, one per detection."""


class MotionModel(abc.ABC):
    """A Kalman-style motion model over all tracks at once (state is a table of arrays).

    Measurements ``z`` are (N, 4) xyxy boxes; each model converts them to its own measurement space. These are
    the methods trackers and association steps call; a model that cannot do one of the optional ones
    (``warp``, ``freeze_size``, ``gating_distance``) raises `NotImplementedError` naming itself.

    Attributes:
        ndim_state: S, the length of one track's state vector.
    """

    ndim_state: int

    @abc.abstractmethod
    def initiate(self, z: np.ndarray, scores: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, 4) boxes (and their (N,) detection scores, for models that track confidence) -> mean (N, S),
        covariance (N, S, S)."""

    @abc.abstractmethod
    def predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance every track one frame; returns new arrays."""

    @abc.abstractmethod
    def update(self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray,
               scores: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Correct rows of ``mean``/``cov`` with their matched (N, 4) xyxy boxes (and (N,) detection scores)."""

    @abc.abstractmethod
    def to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        """(N, S) state -> (N, 4) xyxy boxes."""

    def warp(self, mean: np.ndarray, cov: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move all tracks by a (2, 3) camera-motion affine transform (previous frame -> current)."""
        raise NotImplementedError(f"{type(self).__name__} does not support camera-motion compensation")

    def freeze_size(self, mean: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Zero the box-size velocity of (T,) bool ``rows``; returns a new array (or ``mean`` when nothing changes)."""
        raise NotImplementedError(f"{type(self).__name__} has no box-size velocity to freeze")

    def gating_distance(self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray) -> np.ndarray:
        """(T, D) squared Mahalanobis distances of (D, 4) xyxy boxes to T tracks."""
        raise NotImplementedError(f"{type(self).__name__} has no Mahalanobis gating distance")


@dataclasses.dataclass(frozen=True)
class Matches:
    """Result of an assignment between T tracks (rows) and D detections (columns).

    Attributes:
        rows: (M,) int64 matched track indices.
        cols: (M,) int64 matched detection indices, ``cols[k]`` pairs with ``rows[k]``.
        unmatched_rows: (T - M,) int64 track indices.
        unmatched_cols: (D - M,) int64 detection indices.
    """

    rows: np.ndarray
    cols: np.ndarray
    unmatched_rows: np.ndarray
    unmatched_cols: np.ndarray


class Associator(abc.ABC):
    """Matches the tracks of one frame (a read-only `TrackView`) to its detections."""

    @abc.abstractmethod
    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        """Match the T tracks of ``tracks`` to the frame's D detections (rows index tracks, cols detections)."""

    def associate(self, track_xyxy: np.ndarray, track_class_ids: np.ndarray, detections: Detections) -> Matches:
        """`match` on tracks known only by (T, 4) predicted boxes and (T,) classes."""
        return self.match(TrackView.from_boxes(track_xyxy, track_class_ids), detections)

    def needs_features(self) -> bool:
        """Whether `match` uses appearance features (the tracker then keeps and embeds them)."""
        return False


class Tracker(abc.ABC):
    """Turns per-frame detections into tracks with persistent ids."""

    @abc.abstractmethod
    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Advance one frame. ``frame`` is needed only by trackers that look at pixels."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Return to the state of a newly built tracker (ids start again at 1)."""


class EventClassifier(abc.ABC):
    """Labels agent tubes with per-frame event scores (action, location, ...)."""

    @abc.abstractmethod
    def classify(self, tubes: Sequence[Tube], video: object | None = None) -> list[Tube]:
        """Return the tubes with ``labels`` filled in."""
