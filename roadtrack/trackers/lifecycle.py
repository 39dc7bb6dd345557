"""`Lifecycle`: the tracker part that keeps the tracks' counters and decides when tracks are confirmed, reported and
deleted, and which detections start tracks."""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from roadtrack.association.costs import iou
from roadtrack.core import Detections, Tracks, TrackState
from roadtrack.trackers.table import TrackTable

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

    # ---- the tracker's bookkeeping, over the whole table ----------------------------------------
    def advance(self, t: TrackTable) -> None:
        """A new frame: every track one frame older and not yet updated; confirmed tracks count as lost until
        matched. Replaces the column arrays, so a tracker can roll a failed frame back."""
        t.age = t.age + 1
        t.hit_streak = np.where(t.time_since_update > 0, 0, t.hit_streak)  # a missed frame ends the streak
        t.time_since_update = t.time_since_update + 1
        t.det_index = np.full(len(t), -1, np.int64)
        t.state = np.where(t.state == CONFIRMED, np.int8(LOST), t.state)  # confirmed when last updated

    def record_update(self, t: TrackTable, rows: np.ndarray, dets: Detections, cols: np.ndarray,
                      det_rows: np.ndarray) -> None:
        """Distinct track ``rows`` were updated by detections ``cols`` (``det_rows[cols]`` in the caller's numbering)."""
        scores = dets.scores[cols]
        t.last_xyxy[rows] = dets.xyxy[cols]
        t.time_since_update[rows] = 0
        t.hits[rows] += 1
        t.hit_streak[rows] += 1
        t.scores[rows] = scores
        t.det_index[rows] = det_rows[cols]
        t.vote(rows, dets.class_ids[cols], scores)
        t.state[rows] = self.state_after_update(t.state[rows], t.hit_streak[rows])

    def new_tracks(self, t: TrackTable, boxes: Callable[[np.ndarray], np.ndarray], dets: Detections,
                   unmatched: np.ndarray) -> np.ndarray:
        """(K,) unmatched detection rows that start tracks: those scoring at least ``new_track_min_score``.

        Runs after this frame's updates: ``t`` holds the updated tracks, and ``boxes(rows)`` gives the (K, 4) boxes
        of their current states (for rules that look at the live tracks, e.g. TrackTrack's TAI).
        """
        return unmatched[dets.scores[unmatched] >= self.new_track_min_score]

    def confirm_new(self, t: TrackTable, rows: np.ndarray, frame_count: int) -> None:
        """New tracks ``rows`` are confirmed at once when no hits are needed (or in ByteTrack's first frame)."""
        if self.min_hits <= 0 or (self.confirm_first_frame and frame_count == 1):
            t.state[rows] = CONFIRMED  # a new track has hit_streak 0 (SORT counts no hit on creation)

    def finish_frame(self, t: TrackTable, xyxy: np.ndarray, frame_count: int) -> Tracks:
        """Report this frame's tracks and delete those past their age.

        Args:
            xyxy: (T, 4) the motion part's boxes of all tracks.

        Returns:
            The reported tracks, ordered by id.
        """
        ok = valid_boxes(xyxy)  # all True for SORT's model; guards models whose state can degenerate
        if not ok.all():
            t.keep(ok)
            xyxy = xyxy[ok]
        if self.duplicate_iou is not None:
            keep = self._unique(t, xyxy)
            t.keep(keep)
            xyxy = xyxy[keep]
        if self.report_box == "observation":
            seen = (t.hits > 0) & (t.time_since_update == 0)
            xyxy = np.where(seen[:, None], t.last_xyxy, xyxy)
        shown = self.report(t.state, t.time_since_update, frame_count)
        out = Tracks.trusted(ids=t.ids[shown], xyxy=xyxy[shown], scores=t.scores[shown], class_ids=t.class_ids[shown],
                             state=t.state[shown], age=t.age[shown], det_index=t.det_index[shown])
        t.keep(self.alive(t.state, t.time_since_update))
        return out

    def _unique(self, t: TrackTable, xyxy: np.ndarray) -> np.ndarray:
        """ByteTrack's duplicate removal: of an updated track and a lost one overlapping with IoU above
        ``duplicate_iou``, the younger is dropped. Returns the (T,) rows to keep."""
        keep = np.ones(len(t), bool)
        tracked = (t.time_since_update == 0).nonzero()[0]
        lost = (t.state == LOST).nonzero()[0]
        if tracked.size == 0 or lost.size == 0:
            return keep
        p, q = (iou(xyxy[tracked], xyxy[lost]) > self.duplicate_iou).nonzero()
        p, q = tracked[p], lost[q]
        older_tracked = t.age[p] > t.age[q]
        keep[q[older_tracked]] = False
        keep[p[~older_tracked]] = False
        return keep


def valid_boxes(xyxy: np.ndarray) -> np.ndarray:
    """(N,) True where a box is finite with x1 <= x2 and y1 <= y2."""
    return np.isfinite(xyxy).all(axis=1) & (xyxy[:, 2] >= xyxy[:, 0]) & (xyxy[:, 3] >= xyxy[:, 1])

