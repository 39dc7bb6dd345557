"""`ObservationHistory`: the tracker part that keeps each track's recent observations (OC-SORT's momentum term)."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.core.boxes import xyxy_to_xywh
from roadtrack.core import Detections
from roadtrack.trackers.parts import TrackPart
from roadtrack.trackers.table import Column, TrackTable


def direction(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """(N, 2) unit vectors from the centres of ``a`` to those of ``b`` (OC-SORT's ``speed_direction``)."""
    d = xyxy_to_xywh(b_xyxy)[:, :2] - xyxy_to_xywh(a_xyxy)[:, :2]
    return d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-6)


@dataclasses.dataclass
class ObservationHistory(TrackPart):
    """History part: the last ``delta_t`` observed boxes of each track by age and the direction of motion.

    Columns: ``obs_xyxy`` (T, K, 4) boxes in ring slots ``age % K``, ``obs_age`` (T, K) their ages (-1 = empty),
    ``velocity`` (T, 2) unit direction from the observation ``delta_t`` frames back to the latest.

    Args:
        delta_t: K, frames back for the direction of motion (OC-SORT: 3).
    """

    delta_t: int = 3

    def __post_init__(self) -> None:
        if self.delta_t < 1:
            raise ValueError(f"delta_t must be >= 1, got {self.delta_t}")
        self._previous = self._has_previous = None

    def columns(self) -> dict[str, Column]:
        k = self.delta_t
        return {"obs_xyxy": Column((k, 4)), "obs_age": Column((k,), np.int64, -1), "velocity": Column((2,))}

    def prepare(self, t: TrackTable) -> None:
        """OC-SORT's ``k_previous_obs`` for this frame, before any update changes the history: the observation
        from ``delta_t`` frames back (or the closest after it, else the last one). An empty ring slot (age -1)
        is never taken for an observation at age -1."""
        prev = t.last_xyxy.copy()
        found = np.zeros(len(t), bool)
        k = self.delta_t
        for dt in range(k, 0, -1):
            want = t.age - dt
            slot = want % k
            hit = ~found & (want >= 0) & (t.obs_age[np.arange(len(t)), slot] == want)
            prev[hit] = t.obs_xyxy[hit.nonzero()[0], slot[hit]]
            found |= hit
        self._previous, self._has_previous = prev, t.hits > 0

    def view_fields(self, t: TrackTable) -> dict[str, np.ndarray]:
        return {"velocity": t.velocity, "previous_xyxy": self._previous, "has_previous": self._has_previous}

    def update(self, t: TrackTable, rows: np.ndarray, dets: Detections, cols: np.ndarray) -> None:
        """Record the observations of distinct ``rows`` and their direction from the previous one."""
        xyxy = dets.xyxy[cols]
        moving = self._has_previous[rows]
        t.velocity[rows[moving]] = direction(self._previous[rows[moving]], xyxy[moving])
        slot = t.age[rows] % self.delta_t
        t.obs_xyxy[rows, slot] = xyxy
        t.obs_age[rows, slot] = t.age[rows]
