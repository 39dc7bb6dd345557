"""`OCSortAssociator`: OC-SORT's observation-centric momentum (OCM) and recovery (OCR) steps."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.appearance import direction_consistency, direction_consistency_pairs
from roadtrack.association.costs import BOX_SIMILARITIES, same_class
from roadtrack.association.solver import METHODS, SPLIT_CELLS, complement, matches_from_pairs
from roadtrack.association.stages import sort_assignment
from roadtrack.core import Associator, Detections, Matches, TrackView, register


@register("associator", "ocsort")
@dataclasses.dataclass(frozen=True)
class OCSortAssociator(Associator):
    """OC-SORT (Cao et al., CVPR 2023) association.

    Only detections scoring above ``det_thresh`` take part (and, with ``use_byte``, those in
    (``low_thresh``, ``det_thresh``] in an extra BYTE step).

    1. OCM: all tracks (predicted boxes) with the detections, SORT's rule on the similarity (IoU by default)
       plus ``inertia * score * consistency``, where consistency in [-0.5, 0.5] compares a track's recent
       direction of motion with the direction from its observation ``delta_t`` frames back to the detection.
    2. (``use_byte``) tracks still unmatched with the low-score detections, by similarity.
    3. OCR: tracks still unmatched, by their *last observed* box rather than the prediction, with the
       high-score detections left, by similarity.

    Every step keeps only matches with similarity >= ``iou_threshold``.

    Args:
        det_thresh: detections scoring at or below it are not associated (OC-SORT drops them).
        iou_threshold: smallest similarity of a match.
        inertia: weight of the direction-consistency term (OC-SORT's ``vdc_weight``).
        similarity: ``"iou"``, ``"giou"``, ``"diou"`` or ``"ciou"``.
        use_byte: add the BYTE step; low_thresh: its lower score bound.
        class_aware: forbid matching a track to a detection of another class.
        method: assignment solver, ``"lap"`` or ``"scipy"``.
    """

    det_thresh: float = 0.6
    iou_threshold: float = 0.3
    inertia: float = 0.2
    similarity: str = "iou"
    use_byte: bool = False
    low_thresh: float = 0.1
    class_aware: bool = True
    method: str = "scipy"

    def __post_init__(self) -> None:
        if self.similarity not in BOX_SIMILARITIES:
            raise ValueError(f"unknown similarity {self.similarity!r}; choose from {', '.join(BOX_SIMILARITIES)}")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from {', '.join(METHODS)}")

    def _bonus(self, tracks: TrackView, detections: Detections, rows, cols, sim: np.ndarray) -> np.ndarray:
        """``inertia * score * consistency`` for the (rows, cols) block; on large problems only where the
        boxes overlap, the only pairs `sort_assignment` then looks at."""
        scores = detections.scores[cols]
        if sim.size <= SPLIT_CELLS:
            c = direction_consistency(tracks.velocity[rows], tracks.previous_xyxy[rows], tracks.has_previous[rows],
                                      detections.xyxy[cols])
            return self.inertia * c * scores[None, :]
        bonus = np.zeros(sim.shape)
        r, k = np.nonzero(sim > 0)
        t, d = np.asarray(rows)[r], np.asarray(cols)[k]
        c = direction_consistency_pairs(tracks.velocity[t], tracks.previous_xyxy[t], tracks.has_previous[t],
                                        detections.xyxy[d])
        bonus[r, k] = self.inertia * c * scores[k]
        return bonus

    def _step(self, boxes, classes, detections: Detections, rows, cols, bonus=None, shortcut=False):
        sim = BOX_SIMILARITIES[self.similarity](boxes[rows], detections.xyxy[cols])
        if callable(bonus):
            bonus = bonus(sim)
        allowed = same_class(classes[rows], detections.class_ids[cols]) if self.class_aware else None
        if bonus is None and (sim.size == 0 or sim.max() <= self.iou_threshold):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        r, c = sort_assignment(sim, self.iou_threshold, allowed, bonus, self.method, shortcut)
        return np.asarray(rows)[r], np.asarray(cols)[c]

    def _extra_score(self, tracks: TrackView, detections: Detections, cols: np.ndarray) -> np.ndarray | None:
        """(T, len(cols)) a further term of the first step's assignment score (Deep OC-SORT's appearance), or None."""
        return None

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        n_tracks, n_dets = len(tracks), len(detections)
        high = np.flatnonzero(detections.scores > self.det_thresh)
        all_rows = np.arange(n_tracks)
        extra = self._extra_score(tracks, detections, high)
        motion = tracks.velocity is not None and self.inertia != 0.0
        bonus = None
        if motion or extra is not None:
            def bonus(sim):
                total = self._bonus(tracks, detections, all_rows, high, sim) if motion else np.zeros(sim.shape)
                return total if extra is None else total + extra
        rows, cols = self._step(tracks.xyxy, tracks.class_ids, detections, all_rows, high, bonus, shortcut=True)
        if self.use_byte:
            low = np.flatnonzero((detections.scores > self.low_thresh) & (detections.scores <= self.det_thresh))
            r, c = self._step(tracks.xyxy, tracks.class_ids, detections, complement(rows, n_tracks), low)
            rows, cols = np.concatenate([rows, r]), np.concatenate([cols, c])
        if tracks.last_xyxy is not None and rows.size < n_tracks:
            free = np.ones(n_tracks, bool) if tracks.observed is None else tracks.observed.copy()
            free[rows] = False
            free_dets = detections.scores > self.det_thresh
            free_dets[cols] = False
            r, c = self._step(tracks.last_xyxy, tracks.class_ids, detections, np.flatnonzero(free),
                              np.flatnonzero(free_dets))
            rows, cols = np.concatenate([rows, r]), np.concatenate([cols, c])
        return matches_from_pairs(rows, cols, n_tracks, n_dets)

