"""FastTracker's tracker parts (Hashempoor and Hwang, arXiv 2508.14370): the tracked/lost state that outlives a
few missed frames, occlusion handling (Kalman roll-back of covered tracks and a longer life while occluded),
spawn suppression near live tracks, and the motion part that freezes the size of lost tracks only.

The association is `roadtrack.association.fasttracker.FastTrackerAssociator`; the preset is
`roadtrack.trackers.presets.fasttracker`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from roadtrack.association.costs import iou
from roadtrack.association.fasttracker import init_suppression, occluded_by, occlusion_rollback
from roadtrack.core import Detections, MotionModel, Tracks
from roadtrack.trackers.fasttracker_roads import RoadStructure
from roadtrack.trackers.lifecycle import CONFIRMED, TENTATIVE, Lifecycle, valid_boxes
from roadtrack.trackers.motion import KalmanMotion
from roadtrack.trackers.parts import TrackPart
from roadtrack.trackers.table import Column, TrackTable

NEVER = -(10 ** 9)  # "last occluded" of a track never occluded


class FastTrackerMotion(KalmanMotion):
    """Motion part of FastTracker: the size velocity is zeroed before predicting only for tracks in FastTracker's
    lost state (``ft_tracked`` False, a column of `FastTrackerLifecycle`); a confirmed track coasting through a
    few missed frames keeps its full motion, as in the reference."""

    def _before_predict(self, t: TrackTable, mean: np.ndarray) -> np.ndarray:
        return self.model.freeze_size(mean, ~t.ft_tracked)


@dataclasses.dataclass(frozen=True)
class FastTrackerLifecycle(Lifecycle, TrackPart):
    """ByteTrack's lifecycle with FastTracker's tracked state and occlusion handling; it is also the part that
    owns their columns (pass it both as ``lifecycle`` and in ``parts``).

    At the end of each frame, for every confirmed track in the tracked state that found no detection
    (reference ``update``, occlusion block): its miss count grows; if it is not occluded yet and a track updated
    this frame (confirmed before the frame) covers more than ``occ_cover_thresh`` of its box, it becomes
    occluded and its state is rolled back (`occlusion_rollback`: velocity from ``velocity_offset`` updates back,
    position from ``position_offset``, height times ``enlarge``, velocity times ``dampen``). It turns lost after
    more than ``misses_to_lost`` misses, unless occluded for at most ``occ_to_lost`` frames. Lost tracks are
    deleted after ``max_age`` frames without update, except within ``reappear_window`` frames of an occlusion.
    Tentative tracks die on their first miss. New tracks: unmatched detections scoring at least
    ``new_track_min_score`` whose IoU with every tracked or updated track is below ``init_iou_suppress``
    (`init_suppression`). Reported: confirmed tracks updated this frame and, with ``report_coasting``, tracked
    ones coasting (reference output: every activated tracked track, at its Kalman box).

    Columns: ``ft_tracked`` (not lost), ``not_matched``, ``occluded``, ``occluded_len``, ``last_occluded``,
    ``recently_occluded``, ``mean_history`` (T, H, S) the last H posterior means (newest last) with
    ``history_count``, and ``ft_pool`` (confirmed at the start of this frame).

    Attributes (besides `Lifecycle`'s; the lifecycle's own rules are set by the preset):
        model: the motion model (boxes of rolled-back states).
        occ_cover_thresh, velocity_offset, position_offset, enlarge, dampen, occ_to_lost, misses_to_lost,
        reappear_window, init_iou_suppress: FastTracker's values (0.7, 5, 3, 1.1, 0.89, 10, 2, 40, 0.7).
        report_coasting: also report tracked tracks that missed this frame.
        roads: the scene's road structure (`RoadStructure`), applied last to every tracked track; None: off.
    """

    model: MotionModel | None = None
    occ_cover_thresh: float = 0.7
    velocity_offset: int = 5
    position_offset: int = 3
    enlarge: float = 1.1
    dampen: float = 0.89
    occ_to_lost: int = 10
    misses_to_lost: int = 2
    reappear_window: int = 40
    init_iou_suppress: float = 0.7
    report_coasting: bool = False
    roads: RoadStructure | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.model is None:
            raise ValueError("FastTrackerLifecycle needs the motion model (model=...)")
        if min(self.velocity_offset, self.position_offset) < 1:
            raise ValueError("velocity_offset and position_offset must be >= 1")

    # ---- the part ------------------------------------------------------------------------------
    def columns(self) -> dict[str, Column]:
        depth = max(self.velocity_offset, self.position_offset)
        return {"ft_tracked": Column((), bool, True), "not_matched": Column((), np.int64),
                "occluded": Column((), bool, False), "occluded_len": Column((), np.int64),
                "last_occluded": Column((), np.int64, NEVER), "recently_occluded": Column((), bool, False),
                "mean_history": Column((depth, self.model.ndim_state)), "history_count": Column((), np.int64),
                "ft_pool": Column((), bool, False), **(self.roads.columns() if self.roads is not None else {})}

    def prepare(self, t: TrackTable) -> None:
        t.ft_pool = t.state != TENTATIVE

    def view_fields(self, t: TrackTable) -> dict[str, np.ndarray]:
        return {"tracked": t.ft_tracked}

    # ---- lifecycle -----------------------------------------------------------------------------
    def new_tracks(self, t: TrackTable, boxes: Callable[[np.ndarray], np.ndarray], dets: Detections,
                   unmatched: np.ndarray) -> np.ndarray:
        candidates = super().new_tracks(t, boxes, dets, unmatched)
        if candidates.size == 0 or len(t) == 0:
            return candidates
        # Tracks updated this frame and confirmed ones still tracked, at their current states.
        active = ((t.time_since_update == 0) | ((t.state != TENTATIVE) & t.ft_tracked)).nonzero()[0]
        return candidates[init_suppression(dets.xyxy[candidates], boxes(active), self.init_iou_suppress)]

    def finish_frame(self, t: TrackTable, xyxy: np.ndarray, frame_count: int) -> Tracks:
        xyxy = xyxy.copy()
        updated = t.time_since_update == 0
        self._matched(t, updated)
        self._occlusions(t, xyxy, updated, frame_count)
        if self.roads is not None:
            moved = self.roads.apply(t, np.nonzero(t.ft_tracked & (updated | (t.state != TENTATIVE)))[0])
            t.mean_history[moved, -1, :2] = t.mean[moved, :2]  # as the reference: the stored state moves too
            xyxy[moved] = self.model.to_xyxy(t.mean[moved])
        ok = valid_boxes(xyxy)
        keep = ok if self.duplicate_iou is None else ok & self._unique_tracked(t, xyxy)
        t.keep(keep)
        xyxy, updated = xyxy[keep], updated[keep]
        shown = updated & (t.state == CONFIRMED)
        if self.report_coasting:
            shown |= t.ft_pool & t.ft_tracked & ~updated
        out = Tracks.trusted(ids=t.ids[shown], xyxy=xyxy[shown], scores=t.scores[shown], class_ids=t.class_ids[shown],
                             state=t.state[shown], age=t.age[shown], det_index=t.det_index[shown])
        grace = t.recently_occluded & (frame_count - t.last_occluded <= self.reappear_window)
        alive = t.ft_tracked | (t.time_since_update <= self.max_age) | grace
        alive &= (t.state != TENTATIVE) | updated
        t.keep(alive)
        return out

    def _matched(self, t: TrackTable, updated: np.ndarray) -> None:
        """Updated (and new) tracks: tracked, not occluded, their posterior mean stored."""
        t.ft_tracked[updated] = True
        t.not_matched[updated] = 0
        t.occluded[updated] = False
        t.occluded_len[updated] = 0
        rows = np.nonzero(updated)[0]
        if rows.size:
            t.mean_history[rows] = np.roll(t.mean_history[rows], -1, axis=1)
            t.mean_history[rows, -1] = t.mean[rows]
            t.history_count[rows] = np.minimum(t.history_count[rows] + 1, t.mean_history.shape[1])

    def _occlusions(self, t: TrackTable, xyxy: np.ndarray, updated: np.ndarray, frame: int) -> None:
        """The reference's occlusion block for confirmed tracked tracks that missed this frame."""
        missed = t.ft_pool & t.ft_tracked & ~updated
        if not missed.any():
            return
        t.not_matched[missed] += 1
        onset = np.nonzero(missed & ~t.occluded)[0]
        occluders = t.ft_pool & updated  # matched in BYTE's steps; tracks confirmed in this frame come later
        if onset.size and occluders.any():
            rows = onset[occluded_by(xyxy[onset], xyxy[occluders], self.occ_cover_thresh)]
            if rows.size:
                t.occluded[rows] = True
                t.occluded_len[rows] += 1
                t.last_occluded[rows] = frame
                t.recently_occluded[rows] = True
                t.mean[rows] = occlusion_rollback(t.mean[rows], t.mean_history[rows], t.history_count[rows],
                                                  self.velocity_offset, self.position_offset, self.enlarge,
                                                  self.dampen)
                xyxy[rows] = self.model.to_xyxy(t.mean[rows])
        t.occluded_len[missed] = np.where(t.occluded[missed], t.occluded_len[missed] + 1, 0)
        t.recently_occluded[missed] &= frame - t.last_occluded[missed] <= self.reappear_window
        lost = missed & (t.not_matched > self.misses_to_lost) & (~t.occluded | (t.occluded_len > self.occ_to_lost))
        t.ft_tracked[lost] = False

    def _unique_tracked(self, t: TrackTable, xyxy: np.ndarray) -> np.ndarray:
        """ByteTrack's duplicate removal between tracked and lost tracks (IoU above ``duplicate_iou``): the
        younger of each pair goes. Returns the (T,) rows to keep."""
        keep = np.ones(len(t), bool)
        tracked, lost = np.nonzero(t.ft_tracked)[0], np.nonzero(~t.ft_tracked)[0]
        if tracked.size == 0 or lost.size == 0:
            return keep
        p, q = np.nonzero(iou(xyxy[tracked], xyxy[lost]) > self.duplicate_iou)
        p, q = tracked[p], lost[q]
        older_tracked = t.age[p] > t.age[q]
        keep[q[older_tracked]] = False
        keep[p[~older_tracked]] = False
        return keep
