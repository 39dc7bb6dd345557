"""`Lifecycle`: when tracks are confirmed, reported and deleted, and which detections start tracks."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.core import TrackState

REPORT_BOXES = ("state", "observation")
TENTATIVE, CONFIRMED, LOST = int(TrackState.TENTATIVE), int(TrackState.CONFIRMED), int(TrackState.LOST)


@dataclasses.dataclass(frozen=True)
class Lifecycle:
    """Track lifecycle rules. The first four have no defaults: presets choose them; the rest default to SORT's.

    Attributes:
        max_age: a track is deleted once it has gone ``max_age + 1`` frames without an update
            (``time_since_update > max_age``).
        min_hits: updates in a row (``hit_streak``, not counting the creating detection) a track needs before
            it is confirmed and reported. DeepSORT's ``n_init`` (which counts the creating detection) is
            ``min_hits + 1``.
        max_report_gap: also report coasting tracks with ``time_since_update <= max_report_gap`` at their
            predicted box, if they were confirmed when last updated (state LOST). 0 reports only tracks
            updated in this frame.
        report_warmup: also report tracks below ``min_hits`` during the tracker's first ``min_hits`` frames
            (SORT does, so the first frames are not empty).
        keep_confirmed: once confirmed, a track stays confirmed when it is found again after a miss
            (DeepSORT, ByteTrack). False: confirmation needs ``min_hits`` updates in a row again (SORT).
        tentative_max_age: delete tentative tracks once ``time_since_update`` exceeds it (DeepSORT and
            ByteTrack: 0, one miss); None: the same rule as confirmed tracks.
        confirm_first_frame: tracks started in the tracker's first frame are confirmed at once (ByteTrack).
        new_track_min_score: only unmatched detections scoring at least this start tracks.
        report_box: ``"state"`` reports the motion model's box; ``"observation"`` the last detection's (OC-SORT).
        duplicate_iou: when an updated track and a lost one overlap with IoU above this, delete the younger
            (ByteTrack); None keeps both.
    """

    max_age: int
    min_hits: int
    max_report_gap: int
    report_warmup: bool
    keep_confirmed: bool = False
    tentative_max_age: int | None = None
    confirm_first_frame: bool = False
    new_track_min_score: float = -np.inf
    report_box: str = "state"
    duplicate_iou: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_age", "min_hits", "max_report_gap"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.tentative_max_age is not None and self.tentative_max_age < 0:
            raise ValueError(f"tentative_max_age must be >= 0 or None, got {self.tentative_max_age}")
        if self.report_box not in REPORT_BOXES:
            raise ValueError(f"unknown report_box {self.report_box!r}; choose from {', '.join(REPORT_BOXES)}")
        if self.duplicate_iou is not None and not 0.0 <= self.duplicate_iou <= 1.0:
            raise ValueError(f"duplicate_iou must lie in [0, 1] or be None, got {self.duplicate_iou}")

    def state_after_update(self, state: np.ndarray, hit_streak: np.ndarray) -> np.ndarray:
        """(K,) states of tracks just updated, from their state before the update and their new streak."""
        confirmed = hit_streak >= self.min_hits
        if self.keep_confirmed:
            confirmed |= state != TENTATIVE
        return np.where(confirmed, CONFIRMED, TENTATIVE).astype(np.int8)

    def alive(self, state: np.ndarray, time_since_update: np.ndarray) -> np.ndarray:
        """(T,) tracks to keep after this frame."""
        keep = time_since_update <= self.max_age
        if self.tentative_max_age is not None:
            keep &= (state != TENTATIVE) | (time_since_update <= self.tentative_max_age)
        return keep

    def report(self, state: np.ndarray, time_since_update: np.ndarray, frame_count: int) -> np.ndarray:
        """(T,) tracks to report: updated ones if confirmed (or in SORT's warm-up), coasting ones if recent."""
        updated = time_since_update == 0
        established = state == CONFIRMED
        if self.report_warmup and frame_count <= self.min_hits:
            established = np.ones(state.shape[0], bool)
        coasting = (state == LOST) & (time_since_update <= self.max_report_gap)
        return (updated & established) | coasting
