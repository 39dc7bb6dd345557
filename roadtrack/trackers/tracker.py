"""`MultiObjectTracker`: the one composed tracker (motion model + associator + lifecycle rules)."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.core import Associator, Detections, MotionModel, Tracker, Tracks, TrackState
from roadtrack.trackers.table import TrackTable


@dataclasses.dataclass(frozen=True)
class Lifecycle:
    """When tracks are reported and deleted. No defaults here: presets choose them.

    Attributes:
        max_age: a track is deleted once it has gone ``max_age + 1`` frames without an update
            (``time_since_update > max_age``).
        min_hits: updates in a row (``hit_streak``) a track needs before it is reported.
        max_report_gap: also report coasting tracks with ``time_since_update <= max_report_gap`` at their
            predicted box, if they had ``min_hits`` updates in a row when last updated (state LOST).
            0 reports only tracks updated in this frame.
        report_warmup: also report tracks below ``min_hits`` during the tracker's first ``min_hits`` frames
            (SORT does, so the first frames are not empty).
    """

    max_age: int
    min_hits: int
    max_report_gap: int
    report_warmup: bool

    def __post_init__(self) -> None:
        for name in ("max_age", "min_hits", "max_report_gap"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


def _valid_boxes(xyxy: np.ndarray) -> np.ndarray:
    """(N,) True where a box is finite with x1 <= x2 and y1 <= y2."""
    return np.isfinite(xyxy).all(axis=1) & (xyxy[:, 2] >= xyxy[:, 0]) & (xyxy[:, 3] >= xyxy[:, 1])


class MultiObjectTracker(Tracker):
    """Tracking by detection: predict, associate, update, create, report, delete -- over all tracks at once.

    Per frame: every track is predicted one frame ahead; tracks whose predicted box is not finite (or has
    negative width or height) are deleted; the associator matches predicted boxes to detections; matched
    tracks are corrected with their detection; every unmatched detection starts a new track; tracks are
    reported according to ``lifecycle`` at their corrected (or, when coasting, predicted) box; finally tracks
    with ``time_since_update > max_age`` are deleted.

    Detections with zero width or height are not tracked (they start and update no track): the motion models'
    aspect ratio is undefined for them. Their rows are skipped, so ``det_index`` still points into the
    ``Detections`` passed to `update`.

    Ids start at 1 and increase by one per new track; the counter belongs to the instance.

    Args:
        motion: batched motion model.
        associator: matches predicted track boxes to detections.
        lifecycle: reporting and deletion rules.

    Example:
        >>> from roadtrack.trackers import sort
        >>> tracker = sort()
        >>> tracks = tracker.update(Detections([[10, 10, 50, 90]], scores=[0.9]))
        >>> tracks.ids.tolist(), tracks.det_index.tolist()
        ([1], [0])
    """

    def __init__(self, motion: MotionModel, associator: Associator, lifecycle: Lifecycle) -> None:
        self.motion = motion
        self.associator = associator
        self.lifecycle = lifecycle
        self.reset()

    def reset(self) -> None:
        """Forget all tracks; the next track gets id 1 again."""
        state_dim = self.motion.initiate(np.zeros((0, 4)))[0].shape[1]
        self.tracks = TrackTable.empty(state_dim)
        self.frame_count = 0
        self.next_id = 1

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Advance one frame.

        Args:
            detections: this frame's detections (may be empty).
            frame: unused; IoU tracking does not look at pixels.

        Returns:
            The reported tracks, ordered by id, with ``det_index`` into ``detections`` (-1 when coasting).
        """
        self.frame_count += 1
        t = self.tracks
        predicted = self._predict(t)

        wh = detections.xyxy[:, 2:] - detections.xyxy[:, :2]
        usable = np.flatnonzero((wh > 0).all(axis=1))
        dets = detections if usable.size == len(detections) else detections[usable]

        matches = self.associator.associate(predicted, t.class_ids, dets)
        rows, cols = matches.rows, matches.cols
        if rows.size:
            t.mean[rows], t.cov[rows] = self.motion.update(t.mean[rows], t.cov[rows], dets.xyxy[cols])
            t.time_since_update[rows] = 0
            t.hits[rows] += 1
            t.hit_streak[rows] += 1
            t.scores[rows] = dets.scores[cols]
            t.det_index[rows] = usable[cols]
            t.vote(rows, dets.class_ids[cols], dets.scores[cols])
            confirmed = t.hit_streak[rows] >= self.lifecycle.min_hits
            t.state[rows] = np.where(confirmed, TrackState.CONFIRMED, TrackState.TENTATIVE)

        new = matches.unmatched_cols
        if new.size:
            mean, cov = self.motion.initiate(dets.xyxy[new])
            ids = np.arange(self.next_id, self.next_id + new.size, dtype=np.int64)
            self.next_id += int(new.size)
            t.append(ids, mean, cov, dets.class_ids[new], dets.scores[new], usable[new])
            if self.lifecycle.min_hits <= 0:  # a new track has hit_streak 0 (SORT counts no hit on creation)
                t.state[-new.size:] = TrackState.CONFIRMED

        xyxy = self.motion.to_xyxy(t.mean)
        ok = _valid_boxes(xyxy)  # all True for SORT's model; guards models whose state can degenerate
        if not ok.all():
            t.keep(ok)
            xyxy = xyxy[ok]
        report = self._report_mask(t)
        out = Tracks(
            ids=t.ids[report], xyxy=xyxy[report], scores=t.scores[report], class_ids=t.class_ids[report],
            state=t.state[report], age=t.age[report], det_index=t.det_index[report],
        )
        t.keep(t.time_since_update <= self.lifecycle.max_age)
        return out

    def _predict(self, t: TrackTable) -> np.ndarray:
        """Predict all tracks one frame, advance their counters, delete tracks that lost a valid box.

        Returns:
            (T, 4) xyxy predicted boxes of the remaining tracks.
        """
        if len(t) == 0:
            return np.zeros((0, 4))
        t.mean, t.cov = self.motion.predict(t.mean, t.cov)
        t.age += 1
        t.hit_streak[t.time_since_update > 0] = 0  # a missed frame ends the streak
        t.time_since_update += 1
        t.det_index[:] = -1
        t.state[t.state == TrackState.CONFIRMED] = TrackState.LOST  # confirmed when last updated
        predicted = self.motion.to_xyxy(t.mean)
        ok = _valid_boxes(predicted)
        if not ok.all():
            t.keep(ok)
        return predicted[ok]

    def _report_mask(self, t: TrackTable) -> np.ndarray:
        """(T,) which tracks to report: updated ones by SORT's rule, coasting ones if confirmed before the miss."""
        life = self.lifecycle
        updated = t.time_since_update == 0
        established = t.state == TrackState.CONFIRMED  # hit_streak >= min_hits
        if life.report_warmup and self.frame_count <= life.min_hits:
            established = np.ones(len(t), bool)
        coasting = (t.state == TrackState.LOST) & (t.time_since_update <= life.max_report_gap)
        return (updated & established) | coasting
