"""`HybridSortAssociator`: Hybrid-SORT's three association steps (Yang et al., AAAI 2024), non-ReID variant."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.costs import same_class
from roadtrack.association.hybrid import (
    corner_consistency, corner_consistency_pairs, extrapolated_confidence, hmiou, kalman_confidence, tcm_cost,
)
from roadtrack.association.solver import SPLIT_CELLS, complement, matches_from_pairs
from roadtrack.association.stages import sort_assignment
from roadtrack.core import Associator, Detections, Matches, TrackView, register

NONE = (np.zeros(0, np.int64), np.zeros(0, np.int64))


@register("associator", "hybridsort")
@dataclasses.dataclass(frozen=True)
class HybridSortAssociator(Associator):
    """Hybrid-SORT association: OC-SORT's steps with height-modulated IoU (HMIoU), four-corner momentum and
    tracklet confidence modelling (TCM), plus a BYTE step.

    Detections are high (score > ``det_thresh``) or low (``low_thresh`` < score < ``det_thresh``); others are
    ignored.

    1. All tracks (predicted boxes) with the high detections: SORT's rule (`sort_assignment`, with its
       one-to-one shortcut) on ``hmiou + inertia * score * corner_consistency - tcm_first_step_weight *
       |c_kf - score|``, keeping matches with ``hmiou >= iou_threshold``. ``c_kf`` is the track's
       Kalman-predicted confidence clipped to [``det_thresh``, 1] (needs a motion model with ``confidence``,
       `roadtrack.kalman.hybrid.HybridSortKalman`).
    2. (``use_byte``) Unmatched tracks (predicted boxes) with the low detections on
       ``B = hmiou - tcm_byte_step_weight * |c_lin - score|``, ``c_lin`` the track's last two scores linearly
       extrapolated (`extrapolated_confidence`); keeps matches with ``B >= iou_threshold``.
    3. OCR: unmatched observed tracks by their last observed box with the high detections left, on HMIoU.

    Reads from the view: ``mean``/``motion`` (step 1's TCM), ``scores``, ``hits``, ``time_since_update``,
    ``last_xyxy``, ``previous_xyxy``/``has_previous`` and ``extra["corner_velocity"]`` (T, 4, 2) and
    ``extra["previous_score"]`` (T,) (`roadtrack.trackers.hybridsort_parts.CornerHistory`). Without the corner
    velocities step 1 has no momentum term; without ``previous_score`` step 2 uses the last score.

    Args:
        det_thresh: high/low split; also the clip bound of both track confidences (the reference's
            ``track_thresh``).
        iou_threshold: smallest HMIoU (step 2: TCM-adjusted HMIoU) of a match.
        inertia: weight of each corner's direction-consistency term (four are summed).
        use_byte: run step 2; low_thresh: lower score bound of its detections.
        tcm_first_step, tcm_byte_step: use TCM in steps 1 and 2; their weights ``tcm_*_weight``.
        class_aware: forbid matching a track to a detection of another class.
        method: assignment solver, ``"lap"`` or ``"scipy"``.
    """

    det_thresh: float = 0.6
    iou_threshold: float = 0.25
    inertia: float = 0.05
    use_byte: bool = True
    low_thresh: float = 0.1
    tcm_first_step: bool = True
    tcm_first_step_weight: float = 1.0
    tcm_byte_step: bool = True
    tcm_byte_step_weight: float = 1.0
    class_aware: bool = True
    method: str = "scipy"

    def _allowed(self, tracks: TrackView, detections: Detections, rows, cols):
        if not self.class_aware:
            return None
        return same_class(tracks.class_ids[rows], detections.class_ids[cols])

    def _first_bonus(self, tracks: TrackView, detections: Detections, cols: np.ndarray, sim: np.ndarray) -> np.ndarray:
        scores = detections.scores[cols]
        bonus = np.zeros((len(tracks), cols.size))
        corners = tracks.extra.get("corner_velocity")
        if corners is not None and self.inertia != 0.0 and tracks.previous_xyxy is not None:
            if sim.size <= SPLIT_CELLS:
                bonus += self.inertia * scores[None, :] * corner_consistency(
                    corners, tracks.previous_xyxy, tracks.has_previous, detections.xyxy[cols])
            else:  # large problems are solved on overlapping pairs only (`sort_assignment`): the term elsewhere is moot
                r, k = np.nonzero(sim > 0)
                bonus[r, k] += self.inertia * scores[k] * corner_consistency_pairs(
                    corners[r], tracks.previous_xyxy[r], tracks.has_previous[r], detections.xyxy[cols[k]])
        if self.tcm_first_step and self.tcm_first_step_weight != 0.0:
            confidence = getattr(tracks.motion, "confidence", None)
            if confidence is None or tracks.mean is None:
                raise ValueError("HybridSortAssociator's TCM needs a motion model with a confidence state "
                                 "(HybridSortKalman); set tcm_first_step=False otherwise")
            c_kf = kalman_confidence(confidence(tracks.mean), self.det_thresh)
            bonus -= self.tcm_first_step_weight * tcm_cost(c_kf, scores)
        return bonus

    def _solve(self, sim, threshold_on, tracks, detections, rows, cols, bonus=None, shortcut=False):
        """One step on (len(rows), len(cols)); without the shortcut, nothing unless ``max(threshold_on) > thr``."""
        if rows.size == 0 or cols.size == 0:
            return NONE
        allowed = self._allowed(tracks, detections, rows, cols)
        if not shortcut:
            usable = threshold_on if allowed is None else np.where(allowed, threshold_on, -np.inf)
            if usable.max() <= self.iou_threshold:
                return NONE
        r, c = sort_assignment(threshold_on, self.iou_threshold, allowed, bonus, self.method, shortcut)
        return rows[r], cols[c]

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        n_tracks, n_dets = len(tracks), len(detections)
        scores = detections.scores
        high = np.flatnonzero(scores > self.det_thresh)
        all_rows = np.arange(n_tracks)
        rows, cols = NONE
        if n_tracks and high.size:
            sim = hmiou(tracks.xyxy, detections.xyxy[high])
            rows, cols = self._solve(sim, sim, tracks, detections, all_rows, high,
                                     self._first_bonus(tracks, detections, high, sim), shortcut=True)
        left = complement(rows, n_tracks)
        low = np.flatnonzero((scores > self.low_thresh) & (scores < self.det_thresh))
        if self.use_byte and left.size and low.size:
            b = hmiou(tracks.xyxy[left], detections.xyxy[low])
            if self.tcm_byte_step and self.tcm_byte_step_weight != 0.0:
                tracks.require("scores", "hits", by="HybridSortAssociator's TCM")
                previous = tracks.extra.get("previous_score", tracks.scores)
                updated_last_frame = (tracks.time_since_update == 1) & (tracks.hits > 0)
                c_lin = extrapolated_confidence(tracks.scores[left], previous[left], updated_last_frame[left],
                                                self.det_thresh, self.low_thresh)
                b = b - self.tcm_byte_step_weight * tcm_cost(c_lin, scores[low])
            r, c = self._solve(b, b, tracks, detections, left, low)
            rows, cols = np.concatenate([rows, r]), np.concatenate([cols, c])
        if tracks.last_xyxy is not None and rows.size < n_tracks:
            free = np.ones(n_tracks, bool) if tracks.observed is None else tracks.observed.copy()
            free[rows] = False
            free_dets = np.zeros(n_dets, bool)
            free_dets[high] = True
            free_dets[cols] = False
            t, d = np.flatnonzero(free), np.flatnonzero(free_dets)
            if t.size and d.size:
                sim = hmiou(tracks.last_xyxy[t], detections.xyxy[d])
                r, c = self._solve(sim, sim, tracks, detections, t, d)
                rows, cols = np.concatenate([rows, r]), np.concatenate([cols, c])
        return matches_from_pairs(rows, cols, n_tracks, n_dets)

