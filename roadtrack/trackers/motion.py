"""`KalmanMotion`: the tracker part that owns the tracks' motion state (predict, camera-motion warp, update,
OC-SORT's re-update)."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.core import MotionModel, TrackState
from roadtrack.kalman import observation_centric_reupdate
from roadtrack.trackers.table import Column, TrackTable

TENTATIVE = int(TrackState.TENTATIVE)


@dataclasses.dataclass
class KalmanMotion:
    """Motion part: columns ``mean`` (T, S) and ``cov`` (T, S, S), plus the saved prior ``saved_mean``/``saved_cov``
    when ``reupdate`` is on.

    Args:
        model: the batched motion model (`roadtrack.kalman`).
        freeze_lost_size: zero the box-size velocity of tracks not updated last frame before predicting
            (ByteTrack, BoT-SORT).
        predict_tentative: False leaves tentative tracks unpredicted for their one frame of probation, as the
            ByteTrack and BoT-SORT reference code does (their state is the creating detection, velocity 0).
        reupdate: OC-SORT's observation-centric re-update (ORU) of re-found tracks along a virtual trajectory
            between their last and new observation; keeps the prior of each track's first unobserved frame.
    """

    model: MotionModel
    freeze_lost_size: bool = False
    predict_tentative: bool = True
    reupdate: bool = False

    def columns(self) -> dict[str, Column]:
        s = self.model.ndim_state
        own = {"mean": Column((s,)), "cov": Column((s, s))}
        if self.reupdate:
            own.update(saved_mean=Column((s,)), saved_cov=Column((s, s)))
        return own

    def start(self, xyxy: np.ndarray) -> dict[str, np.ndarray]:
        """Columns of new tracks started at (N, 4) boxes."""
        mean, cov = self.model.initiate(xyxy)
        return {"mean": mean, "cov": cov}

    def predict(self, t: TrackTable, warp: np.ndarray | None) -> None:
        """All tracks one frame ahead, then moved by the (2, 3) camera-motion ``warp`` if given.

        Replaces the column arrays (no write into the old ones), so a tracker can roll a failed frame back.
        Reads ``time_since_update`` before the lifecycle advances it (0 = updated last frame).
        """
        if len(t) == 0:
            return
        mean, cov = t.mean, t.cov
        if self.freeze_lost_size:
            mean = self.model.freeze_size(mean, t.time_since_update > 0)
        if self.predict_tentative:
            mean, cov = self.model.predict(mean, cov)
        else:
            rows = np.nonzero(t.state != TENTATIVE)[0]
            mean, cov = mean.copy(), cov.copy()
            mean[rows], cov[rows] = self.model.predict(mean[rows], cov[rows])
        if warp is not None:
            mean, cov = self.model.warp(mean, cov, warp)
        if self.reupdate:
            just_missed = t.time_since_update == 0
            t.saved_mean = np.where(just_missed[:, None], mean, t.saved_mean)
            t.saved_cov = np.where(just_missed[:, None, None], cov, t.saved_cov)
        t.mean, t.cov = mean, cov

    def boxes(self, t: TrackTable) -> np.ndarray:
        """(T, 4) xyxy boxes of the current states (non-finite where a state has no valid box)."""
        return self.model.to_xyxy(t.mean)

    def update(self, t: TrackTable, rows: np.ndarray, xyxy: np.ndarray, scores: np.ndarray) -> None:
        """Correct distinct ``rows`` with their (K, 4) boxes and (K,) scores; before the lifecycle records the
        update (re-update reads the old ``last_xyxy`` and ``time_since_update``)."""
        if self.reupdate:
            back = (t.time_since_update[rows] >= 2) & (t.hits[rows] > 0)
            r = rows[back]
            if r.size:
                t.mean[r], t.cov[r] = observation_centric_reupdate(
                    self.model, t.saved_mean[r], t.saved_cov[r], t.last_xyxy[r], xyxy[back], t.time_since_update[r])
        t.mean[rows], t.cov[rows] = self.model.update(t.mean[rows], t.cov[rows], xyxy, scores)
