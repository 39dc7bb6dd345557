"""Motion parts: own the tracks' motion state (predict, camera-motion warp, update) and the variants of it that
tracking methods add (ByteTrack's frozen size of lost tracks, OC-SORT's re-update)."""

from __future__ import annotations

import numpy as np

from roadtrack.core import MotionModel
from roadtrack.kalman import observation_centric_reupdate
from roadtrack.trackers.table import Column, TrackTable


class KalmanMotion:
    """Motion part: columns ``mean`` (T, S) and ``cov`` (T, S, S) of the model's state.

    Args:
        model: the batched motion model (`roadtrack.kalman`).
    """

    def __init__(self, model: MotionModel) -> None:
        self.model = model

    def columns(self) -> dict[str, Column]:
        s = self.model.ndim_state
        return {"mean": Column((s,)), "cov": Column((s, s))}

    def start(self, xyxy: np.ndarray, scores: np.ndarray) -> dict[str, np.ndarray]:
        """Columns of new tracks started at (N, 4) boxes with (N,) scores."""
        mean, cov = self.model.initiate(xyxy, scores)
        return {"mean": mean, "cov": cov}

    def predict(self, t: TrackTable, warp: np.ndarray | None) -> None:
        """All tracks one frame ahead, then moved by the (2, 3) camera-motion ``warp`` if given.

        Replaces the column arrays (no write into the old ones), so a tracker can roll a failed frame back.
        Runs before the lifecycle advances the counters (``time_since_update`` 0 = updated last frame).
        """
        if len(t) == 0:
            return
        mean, cov = self.model.predict(self._before_predict(t, t.mean), t.cov)
        if warp is not None:
            mean, cov = self.model.warp(mean, cov, warp)
        self._after_predict(t, mean, cov)
        t.mean, t.cov = mean, cov

    def boxes(self, t: TrackTable) -> np.ndarray:
        """(T, 4) xyxy boxes of the current states (non-finite where a state has no valid box)."""
        return self.model.to_xyxy(t.mean)

    def update(self, t: TrackTable, rows: np.ndarray, xyxy: np.ndarray, scores: np.ndarray) -> None:
        """Correct distinct ``rows`` with their (K, 4) boxes and (K,) scores; runs before the lifecycle records
        the update (``last_xyxy`` and ``time_since_update`` still describe the previous observation)."""
        t.mean[rows], t.cov[rows] = self.model.update(t.mean[rows], t.cov[rows], xyxy, scores)

    def _before_predict(self, t: TrackTable, mean: np.ndarray) -> np.ndarray:
        return mean

    def _after_predict(self, t: TrackTable, mean: np.ndarray, cov: np.ndarray) -> None:
        pass


class FrozenSizeMotion(KalmanMotion):
    """ByteTrack's and BoT-SORT's motion: before predicting, the box-size velocity of tracks that were not updated
    last frame is zeroed, so a lost track's box keeps its size instead of growing or shrinking away."""

    def _before_predict(self, t: TrackTable, mean: np.ndarray) -> np.ndarray:
        return self.model.freeze_size(mean, t.time_since_update > 0)


class ObservationCentricMotion(KalmanMotion):
    """OC-SORT's motion: observation-centric re-update (ORU). A track found again after missed frames has its
    filter replayed along boxes interpolated between its last and new observation, from the prior of its first
    unobserved frame (kept in ``saved_mean``/``saved_cov``), before the ordinary update."""

    def columns(self) -> dict[str, Column]:
        s = self.model.ndim_state
        return {**super().columns(), "saved_mean": Column((s,)), "saved_cov": Column((s, s))}

    def _after_predict(self, t: TrackTable, mean: np.ndarray, cov: np.ndarray) -> None:
        just_missed = t.time_since_update == 0
        t.saved_mean = np.where(just_missed[:, None], mean, t.saved_mean)
        t.saved_cov = np.where(just_missed[:, None, None], cov, t.saved_cov)

    def update(self, t: TrackTable, rows: np.ndarray, xyxy: np.ndarray, scores: np.ndarray) -> None:
        back = (t.time_since_update[rows] >= 2) & (t.hits[rows] > 0)
        r = rows[back]
        if r.size:
            t.mean[r], t.cov[r] = observation_centric_reupdate(
                self.model, t.saved_mean[r], t.saved_cov[r], t.last_xyxy[r], xyxy[back], t.time_since_update[r])
        super().update(t, rows, xyxy, scores)
