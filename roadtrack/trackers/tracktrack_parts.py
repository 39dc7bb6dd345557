"""TrackTrack's tracker parts (Shim et al., CVPR 2025): the per-track state its association reads (previous score,
corner velocities, the observation three frames back), the score-adaptive appearance EMA and track-aware
initialisation (TAI) as the rule for which detections start tracks.

The association itself (TPA) is `roadtrack.association.tracktrack.TPAAssociator`; the preset that composes
these parts is `roadtrack.trackers.presets.tracktrack`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from roadtrack.association.tracktrack import corner_velocity, track_aware_init
from roadtrack.core import Detections, TrackState
from roadtrack.trackers.history import ObservationHistory
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.motion import KalmanMotion
from roadtrack.trackers.table import Column, TrackTable

TENTATIVE = int(TrackState.TENTATIVE)
FREEZE = ("none", "lost", "unconfirmed")


def _normalise(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


class TrackTrackMotion(KalmanMotion):
    """TrackTrack's motion: the size velocity of the tracks ``freeze_size`` names is zeroed before predicting,
    and the NSA measurement noise is scaled by ``max(1 - score, floor)``
    (Ultralytics' ``KalmanFilterXYWH``, floor 0.05), not by roadtrack's StrongSORT rule ``(1 - score)^2``.

    The model must have ``nsa`` set; the scores handed to it are mapped so that its squared rule gives the
    linear one: ``1 - s' = sqrt(max(1 - s, floor))``.

    Args:
        model: the motion model (``nsa=True``).
        floor: smallest noise scale of the linear rule; None keeps the model's own (squared) rule.
        freeze_size: ``"none"`` (the reference on MOT17), ``"lost"`` (tracks not updated last frame, as
            ByteTrack), ``"unconfirmed"`` (lost and tentative tracks: Ultralytics' ``BOTrack.multi_predict``, the
            reference on DanceTrack).
    """

    def __init__(self, model, floor: float | None = 0.05, freeze_size: str = "lost") -> None:
        if not getattr(model, "nsa", False):
            raise ValueError("TrackTrackMotion needs a model with nsa=True")
        if freeze_size not in FREEZE:
            raise ValueError(f"unknown freeze_size {freeze_size!r}; choose from {', '.join(FREEZE)}")
        super().__init__(model)
        self.floor, self.freeze_size = floor, freeze_size

    def update(self, t: TrackTable, rows: np.ndarray, xyxy: np.ndarray, scores: np.ndarray) -> None:
        if self.floor is None:
            super().update(t, rows, xyxy, scores)
            return
        mapped = 1.0 - np.sqrt(np.maximum(1.0 - np.asarray(scores, np.float64), self.floor))
        super().update(t, rows, xyxy, mapped)

    def _before_predict(self, t: TrackTable, mean: np.ndarray) -> np.ndarray:
        if self.freeze_size == "none":
            return mean
        frozen = t.time_since_update > 0
        if self.freeze_size == "unconfirmed":
            frozen = frozen | (t.state == TENTATIVE)
        return self.model.freeze_size(mean, frozen)


@dataclasses.dataclass
class TrackTrackHistory(ObservationHistory):
    """Observation history with what TPA reads: the previous score and the corner velocity of each track.

    Columns (besides `ObservationHistory`'s, whose ring here also holds the creating detection):
    ``prev_score`` (T,) the score of the observation before the latest (the creating score at first) and
    ``corner_velocity`` (T, 4, 2), `corner_velocity` of the latest observation against those 1..``delta_t``
    frames back (the latest itself where a frame has none, so that term is zero).

    View fields (in ``TrackView.extra``): ``prev_scores``, ``corner_velocity`` and ``anchor_xyxy`` (T, 4), the
    observation exactly ``delta_t`` frames back, else the latest (reference ``get_prev_box``).

    Args:
        delta_t: frames back for the velocity and the angle anchor (TrackTrack: 3).
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self._anchor = None

    def columns(self) -> dict[str, Column]:
        return {**super().columns(), "prev_score": Column(()), "corner_velocity": Column((4, 2))}

    def _observed(self, t: TrackTable, rows: np.ndarray, dt: int) -> tuple[np.ndarray, np.ndarray]:
        """(K, 4) observations of ``rows`` ``dt`` frames back and (K,) whether each exists."""
        want = t.age[rows] - dt
        slot = want % self.delta_t
        return t.obs_xyxy[rows, slot], t.obs_age[rows, slot] == want

    def prepare(self, t: TrackTable) -> None:
        super().prepare(t)
        rows = np.arange(len(t))
        box, found = self._observed(t, rows, self.delta_t)
        self._anchor = np.where(found[:, None], box, t.last_xyxy)

    def view_fields(self, t: TrackTable) -> dict[str, np.ndarray]:
        return {"prev_scores": t.prev_score, "corner_velocity": t.corner_velocity, "anchor_xyxy": self._anchor}

    def update(self, t: TrackTable, rows: np.ndarray, dets: Detections, cols: np.ndarray) -> None:
        current = dets.xyxy[cols]
        back = np.empty((rows.size, self.delta_t, 4))
        for dt in range(1, self.delta_t + 1):  # before the ring slot of delta_t frames back is overwritten
            box, found = self._observed(t, rows, dt)
            back[:, dt - 1] = np.where(found[:, None], box, current)
        t.corner_velocity[rows] = corner_velocity(current, back)
        t.prev_score[rows] = t.scores[rows]  # the lifecycle writes the new score after the parts
        super().update(t, rows, dets, cols)

    def start(self, t: TrackTable, rows: np.ndarray, dets: Detections, new: np.ndarray) -> None:
        slot = t.age[rows] % self.delta_t
        t.obs_xyxy[rows, slot] = dets.xyxy[new]
        t.obs_age[rows, slot] = t.age[rows]
        t.prev_score[rows] = dets.scores[new]


@dataclasses.dataclass(frozen=True)
class TrackAwareLifecycle(Lifecycle):
    """Lifecycle whose new tracks come from track-aware initialisation (TAI, `track_aware_init`): an unmatched
    detection scoring at least ``new_track_min_score`` and above ``init_thresh`` starts a track unless it
    overlaps (IoU > ``tai_thresh``) a track updated in this frame or a stronger candidate that starts one.

    The live tracks' boxes are their states after this frame's update (`Lifecycle.new_tracks` runs after it).

    Attributes (besides `Lifecycle`'s):
        tai_thresh: IoU above which a candidate is suppressed (TrackTrack: 0.55).
        init_thresh: a candidate must score above it (TrackTrack: 0.7).
    """

    tai_thresh: float = 0.55
    init_thresh: float = 0.7

    def new_tracks(self, t: TrackTable, boxes: Callable[[np.ndarray], np.ndarray], dets: Detections,
                   unmatched: np.ndarray) -> np.ndarray:
        scores = dets.scores[unmatched]
        candidates = unmatched[(scores >= self.new_track_min_score) & (scores > self.init_thresh)]
        if candidates.size == 0:
            return candidates
        live = (t.time_since_update == 0).nonzero()[0]
        keep = track_aware_init(boxes(live), dets.xyxy[candidates], dets.scores[candidates], self.tai_thresh,
                                self.init_thresh)
        return candidates[keep]
