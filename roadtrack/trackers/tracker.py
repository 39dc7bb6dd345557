"""`MultiObjectTracker`: the one tracker, composed of parts (motion, association, lifecycle, and optionally
appearance, observation history and camera-motion compensation)."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.core import Associator, Detections, Embedder, MotionModel, Tracker, Tracks, TrackState, TrackView
from roadtrack.trackers.appearance import Appearance
from roadtrack.trackers.history import ObservationHistory
from roadtrack.trackers.lifecycle import Lifecycle, valid_boxes
from roadtrack.trackers.motion import KalmanMotion
from roadtrack.trackers.parts import DetectionStep, TrackPart
from roadtrack.trackers.table import TrackTable

TENTATIVE = int(TrackState.TENTATIVE)
VIEW_FIELDS = frozenset(f.name for f in dataclasses.fields(TrackView))


class MultiObjectTracker(Tracker):
    """Tracking by detection: predict, compensate camera motion, associate, update, create, report, delete.

    Each part owns its columns of the one `TrackTable` and its step of the frame; a preset is a choice of parts
    (`roadtrack.trackers.presets`). Per frame: every track is predicted one frame ahead (and moved by the
    camera motion when ``cmc`` is set); tracks whose predicted box is not finite are deleted; the associator
    matches tracks to detections through a read-only `TrackView`; matched tracks are corrected; unmatched
    detections scoring at least ``lifecycle.new_track_min_score`` start tracks; the lifecycle reports and deletes.

    Detections with zero width or height are not tracked (they start and update no track): the motion models'
    aspect ratio is undefined for them. Their rows are skipped, so ``det_index`` still points into the
    ``Detections`` passed to `update`.

    A frame that fails before its tracks are updated (bad features, an embedder error, an associator error)
    leaves the tracker as it was: the frame count, ages and states are not advanced.

    Ids start at 1 and increase by one per new track; the counter belongs to the instance.

    The detections' extra columns (`Detections.extras`, e.g. per-box label scores) are passed on to the reported
    `Tracks.extras` through ``det_index``: a track updated by detection row k gets row k, a coasting track NaN.

    Args:
        motion: the motion part, or a bare `MotionModel` (wrapped in a `KalmanMotion` with its defaults).
        associator: matches tracks to detections.
        lifecycle: confirmation, reporting, deletion and duplicate rules.
        appearance: appearance part (embedder, lazy embedding, feature memory); None: motion only.
        history: observation-history part (OC-SORT's direction of motion); None: no history.
        cmc: camera-motion estimator (`roadtrack.cmc`), applied when a frame is given.
        parts: further `TrackPart`s (a method's own per-track state), run after ``history`` and ``appearance``.
        detection_step: re-scores or filters the detections once the tracks are predicted (BoostTrack).

    Example:
        >>> from roadtrack.trackers import sort
        >>> tracker = sort()
        >>> tracks = tracker.update(Detections([[10, 10, 50, 90]], scores=[0.9]))
        >>> tracks.ids.tolist(), tracks.det_index.tolist()
        ([1], [0])
    """

    def __init__(self, motion: KalmanMotion | MotionModel, associator: Associator, lifecycle: Lifecycle,
                 appearance: Appearance | None = None, history: ObservationHistory | None = None, cmc=None,
                 parts: tuple[TrackPart, ...] = (), detection_step: DetectionStep | None = None) -> None:
        self.motion = KalmanMotion(motion) if isinstance(motion, MotionModel) else motion
        if appearance is None and associator.needs_features():
            appearance = Appearance()
        self.associator, self.lifecycle, self.appearance, self.history, self.cmc = \
            associator, lifecycle, appearance, history, cmc
        self.detection_step = detection_step
        self.parts = tuple(p for p in (history, appearance, *parts) if p is not None)
        self.reset()

    @property
    def embedder(self) -> Embedder | None:
        """The appearance part's embedder (None without one)."""
        return None if self.appearance is None else self.appearance.embedder

    def use_embedder(self, embedder: Embedder) -> None:
        """Give the appearance part an embedder (a `Pipeline` hands over its own this way)."""
        if self.appearance is None:
            raise ValueError(f"this tracker ({type(self.associator).__name__}) does not match by appearance; "
                             "an embedder would never be used")
        self.appearance.embedder = embedder

    def reset(self) -> None:
        """Forget all tracks (and the camera-motion reference frame); the next track gets id 1 again."""
        columns = dict(self.motion.columns())
        for part in self.parts:
            part.reset()
            columns.update(part.columns())
        self.tracks = TrackTable(columns)
        self.frame_count = 0
        self.next_id = 1
        if self.cmc is not None:
            self.cmc.reset()

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Advance one frame.

        Args:
            detections: this frame's detections (may be empty), optionally with ``features``.
            frame: the BGR image, used for camera-motion compensation and by the embedder; may be None.

        Returns:
            The reported tracks, ordered by id, with ``det_index`` into ``detections`` (-1 when coasting).
        """
        t = self.tracks
        dets, det_rows = _trackable(detections)
        if self.appearance is not None:
            self.appearance.check(t, dets)
        before, frame_count = t.snapshot(), self.frame_count
        try:  # up to the association every step replaces arrays, so a failure rolls back by reference
            self.frame_count += 1
            warp = self.cmc.estimate(frame, dets) if self.cmc is not None and frame is not None else None
            self.motion.predict(t, warp)
            for part in self.parts if warp is not None and len(t) else ():
                part.warp(t, warp)
            self.lifecycle.advance(t)
            predicted = self._drop_invalid(t)
            for part in self.parts:
                part.prepare(t)
            view = self._view(t, predicted)
            if self.detection_step is not None:
                dets, kept = self.detection_step.refine(view, dets)
                det_rows = det_rows[kept]
            if self.appearance is not None:
                dets = self.appearance.embed(t, dets, frame, predicted)
            matches = self.associator.match(view, dets)
        except BaseException:
            t.restore(before)
            self.frame_count = frame_count
            raise
        rows, cols = matches.rows, matches.cols
        if rows.size:
            for part in self.parts:
                part.update(t, rows, dets, cols)
            self.motion.update(t, rows, dets.xyxy[cols], dets.scores[cols])
            self.lifecycle.record_update(t, rows, dets, cols, det_rows)
        new = self.lifecycle.new_tracks(t, self._boxes_of, dets, matches.unmatched_cols)
        if new.size:
            self._start(t, new, dets, det_rows)
        out = self.lifecycle.finish_frame(t, self.motion.boxes(t), self.frame_count)
        # Extra columns are not tracker state: each reported row takes its detection's, by det_index.
        return out.carrying(detections.extras) if detections.extras else out

    def _boxes_of(self, rows: np.ndarray) -> np.ndarray:
        """(K, 4) boxes of the current states of track ``rows``."""
        return self.motion.model.to_xyxy(self.tracks.mean[rows])

    def _drop_invalid(self, t: TrackTable) -> np.ndarray:
        """(T, 4) predicted boxes; tracks whose prediction is not a valid box are deleted."""
        if len(t) == 0:
            return np.zeros((0, 4))
        predicted = self.motion.boxes(t)
        ok = valid_boxes(predicted)
        if ok.all():
            return predicted
        t.keep(ok)
        return predicted[ok]

    def _view(self, t: TrackTable, predicted: np.ndarray) -> TrackView:
        fields, extra = {}, {}
        for part in self.parts:
            for name, value in part.view_fields(t).items():
                (fields if name in VIEW_FIELDS else extra)[name] = value
        return TrackView(
            xyxy=predicted, class_ids=t.class_ids, confirmed=t.state != TENTATIVE,
            time_since_update=t.time_since_update, mean=t.mean, cov=t.cov, motion=self.motion.model, scores=t.scores,
            last_xyxy=t.last_xyxy, observed=t.hits > 0, hits=t.hits, age=t.age, extra=extra, **fields,
        )

    def _start(self, t: TrackTable, new: np.ndarray, dets: Detections, det_rows: np.ndarray) -> None:
        boxes = dets.xyxy[new]
        ids = np.arange(self.next_id, self.next_id + new.size, dtype=np.int64)
        self.next_id += int(new.size)
        rows = t.append(new.size, ids=ids, class_ids=dets.class_ids[new], scores=dets.scores[new],
                        det_index=det_rows[new], last_xyxy=boxes, **self.motion.start(boxes, dets.scores[new]))
        self.lifecycle.confirm_new(t, rows, self.frame_count)
        for part in self.parts:
            part.start(t, rows, dets, new)


def _trackable(detections: Detections) -> tuple[Detections, np.ndarray]:
    """The detections with positive width and height, and their (D,) rows in ``detections``."""
    wh = detections.xyxy[:, 2:] - detections.xyxy[:, :2]
    usable = np.nonzero((wh > 0).all(axis=1))[0]
    return (detections if usable.size == len(detections) else detections[usable]), usable
