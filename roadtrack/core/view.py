"""`TrackView`: what association steps may read about the live tracks of one frame (one row per track).

It lives in `core` because associators (below the trackers) and trackers (above them) both depend on it.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class TrackView:
    """The tracks an associator matches, after this frame's prediction.

    The arrays are the tracker's own (no copy per frame): an associator reads them and never writes
    (``tests/association/test_associators.py`` runs every associator on read-only arrays).

    Attributes:
        xyxy: (T, 4) predicted boxes, pixels.
        class_ids: (T,) int64 track classes.
        confirmed: (T,) bool, True once a track has reached its lifecycle's ``min_hits``.
        time_since_update: (T,) int64 frames since the last update, counting this one (1 = updated last frame).
        mean, cov: (T, S) and (T, S, S) motion states, for Mahalanobis gating; None when not available.
        motion: the `MotionModel` the states belong to, or None.
        scores: (T,) float64 score of the detection that last updated each track.
        features: (T, K) float32 appearance per track (smoothed or latest), or None.
        gallery: (T, B, K) float32 stored appearance samples (DeepSORT), or None; ``gallery_count`` (T,) used slots.
        last_xyxy: (T, 4) last observed box (the creating detection before any update).
        observed: (T,) bool, True once a track has been updated after its creation.
        hits: (T,) int64 updates since creation (the creating detection not counted).
        age: (T,) int64 predictions since creation (0 on the creation frame).
        velocity: (T, 2) unit direction of recent motion between observations (OC-SORT), zeros when unknown.
        previous_xyxy: (T, 4) an observation a few frames back (OC-SORT's ``delta_t``); ``has_previous`` (T,) bool.
        extra: further per-track columns that a tracker part offers to its association steps, by name
            (e.g. Hybrid-SORT's corner velocities); each (T, ...).
    """

    xyxy: np.ndarray
    class_ids: np.ndarray
    confirmed: np.ndarray
    time_since_update: np.ndarray
    mean: np.ndarray | None = None
    cov: np.ndarray | None = None
    motion: object | None = None
    scores: np.ndarray | None = None
    features: np.ndarray | None = None
    gallery: np.ndarray | None = None
    gallery_count: np.ndarray | None = None
    last_xyxy: np.ndarray | None = None
    observed: np.ndarray | None = None
    hits: np.ndarray | None = None
    age: np.ndarray | None = None
    velocity: np.ndarray | None = None
    previous_xyxy: np.ndarray | None = None
    has_previous: np.ndarray | None = None
    extra: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_boxes(cls, xyxy: np.ndarray, class_ids: np.ndarray) -> "TrackView":
        """Confirmed tracks, updated last frame, known only by their predicted boxes."""
        xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        n = xyxy.shape[0]
        return cls(xyxy, np.asarray(class_ids, np.int64).reshape(n), np.ones(n, bool), np.ones(n, np.int64),
                   last_xyxy=xyxy, observed=np.ones(n, bool))

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def require(self, *fields: str, by: str) -> None:
        """Raise a ValueError naming the fields ``by`` needs that this view does not carry."""
        missing = [f for f in fields if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{by} needs track {', '.join(missing)}; build the view from a tracker's state")
