"""C-BIoU's motion part: the average-velocity estimate (`AverageVelocityMotion`) in the track table, without the
(T, S, S) covariance a Kalman part keeps."""

from __future__ import annotations

import numpy as np

from roadtrack.kalman.average_velocity import AverageVelocityMotion
from roadtrack.trackers.motion import KalmanMotion
from roadtrack.trackers.table import Column, TrackTable


class AverageVelocityPart(KalmanMotion):
    """Motion part of C-BIoU: columns ``mean`` (T, S) of `AverageVelocityMotion`'s state (estimated box,
    velocity, the ring of the last ``n + 1`` observations) and ``cov`` (T, 0, 0), since the model has no
    covariance (the `TrackView` still carries one, of width 0). It has no camera-motion warp.

    Args:
        model: the average-velocity model (default ``n = 5``).
    """

    def __init__(self, model: AverageVelocityMotion | None = None) -> None:
        super().__init__(AverageVelocityMotion() if model is None else model)

    def columns(self) -> dict[str, Column]:
        return {"mean": Column((self.model.ndim_state,)), "cov": Column((0, 0))}

    def predict(self, t: TrackTable, warp: np.ndarray | None) -> None:
        if warp is not None:
            raise ValueError("C-BIoU's average-velocity motion has no camera-motion warp; build it with cmc=None")
        super().predict(t, None)
