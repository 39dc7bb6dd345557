"""Hybrid-SORT's tracker parts (Yang et al., AAAI 2024): the confidence-aware observation-centric re-update and the
history of corner velocities and previous scores that its association reads."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.hybrid import corner_velocity, recent_observations
from roadtrack.core import Detections
from roadtrack.kalman.hybrid import HybridSortKalman
from roadtrack.kalman.oru import observation_centric_reupdate
from roadtrack.trackers.deepocsort_parts import WarpedObservationCentricMotion, WarpedObservationHistory
from roadtrack.trackers.table import Column, TrackTable


class HybridSortMotion(WarpedObservationCentricMotion):
    """OC-SORT's motion on `HybridSortKalman`: a re-found track's filter is replayed along boxes *and scores*
    interpolated between its last observation and the new one (`observation_centric_reupdate` with the scores), then updated as usual.

    Args:
        model: a `HybridSortKalman` (its state carries the confidence).
    """

    def __init__(self, model: HybridSortKalman | None = None) -> None:
        model = HybridSortKalman() if model is None else model
        if not isinstance(model, HybridSortKalman):
            raise ValueError(f"HybridSortMotion needs a HybridSortKalman, got {type(model).__name__}")
        super().__init__(model)

    def update(self, t: TrackTable, rows: np.ndarray, xyxy: np.ndarray, scores: np.ndarray) -> None:
        # Runs before the lifecycle records the update: last_xyxy, scores and time_since_update are the last
        # observation's.
        back = (t.time_since_update[rows] >= 2) & (t.hits[rows] > 0)
        r = rows[back]
        if r.size:
            t.mean[r], t.cov[r] = observation_centric_reupdate(
                self.model, t.saved_mean[r], t.saved_cov[r], t.last_xyxy[r], xyxy[back], t.time_since_update[r],
                last_scores=t.scores[r], new_scores=scores[back])
        t.mean[rows], t.cov[rows] = self.model.update(t.mean[rows], t.cov[rows], xyxy, scores)


@dataclasses.dataclass
class CornerHistory(WarpedObservationHistory):
    """OC-SORT's observation history plus what Hybrid-SORT's association reads (in ``TrackView.extra``):

    * ``corner_velocity`` (T, 4, 2): per corner, the sum of the unit directions from each observation of the
      last ``delta_t`` frames to the latest one (`roadtrack.association.hybrid.corner_velocity`; from the last
      observation when none of those frames was observed); zeros until a track's first update.
    * ``previous_score`` (T,): the score before the last update's (the creating detection's at first); the
      BYTE step extrapolates the confidence from it and ``scores``.

    Args:
        delta_t: frames back for the directions of motion (Hybrid-SORT: 3).
    """

    def columns(self) -> dict[str, Column]:
        return {**super().columns(), "corner_velocity": Column((4, 2)), "previous_score": Column(())}

    def view_fields(self, t: TrackTable) -> dict[str, np.ndarray]:
        return {**super().view_fields(t), "corner_velocity": t.corner_velocity, "previous_score": t.previous_score}

    def update(self, t: TrackTable, rows: np.ndarray, dets: Detections, cols: np.ndarray) -> None:
        # Before super() stores this frame's observation and before the lifecycle overwrites last_xyxy and scores.
        seen = t.hits[rows] > 0  # the creating detection is not an observation (as in OC-SORT)
        r = rows[seen]
        if r.size:
            boxes, ok = recent_observations(t.obs_xyxy[r], t.obs_age[r], t.age[r], self.delta_t)
            t.corner_velocity[r] = corner_velocity(boxes, ok, dets.xyxy[cols[seen]], fallback_xyxy=t.last_xyxy[r])
        t.previous_score[rows] = t.scores[rows]
        super().update(t, rows, dets, cols)
