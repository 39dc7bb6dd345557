"""C-BIoU's motion estimate (Yang et al., WACV 2023): the last observation moved by the average velocity of the
last ``n`` observations, without a Kalman filter."""

from __future__ import annotations

import numpy as np

from roadtrack.core import MotionModel, register


@register("motion", "average-velocity")
class AverageVelocityMotion(MotionModel):
    """``s^(t + delta) = o^t + delta / n * (o^t - o^(t - n))``: the box ``delta`` frames after its last observation
    ``o^t``, moved by the mean displacement per frame over the last ``n`` frames (C-BIoU, Sec. 3; n = 5 in the
    community implementations).

    The displacement is averaged over the last ``n + 1`` observations and divided by the frames they span, so a
    track re-found after a gap gets its true per-frame velocity; with one observation the velocity is 0. For
    observations in consecutive frames this is the paper's formula. All four box coordinates (x1, y1, x2, y2)
    move; averaging corners is the same as averaging (x, y, w, h).

    State (S = 10 + 5 (n + 1)), one row per track, columns:
    ``[0:4]`` estimated box xyxy; ``[4:8]`` velocity per frame; ``[8]`` frames since the last observation
    (delta); ``[9]`` frames since creation (a clock); then ``n + 1`` observed boxes (4 columns each, oldest first,
    NaN where empty) and their clock stamps (NaN where empty). There is no covariance: ``cov`` is (N, 0, 0).

    Args:
        n: observations back for the average (>= 1).

    Example:
        >>> m = AverageVelocityMotion(n=2)
        >>> mean, cov = m.initiate(np.array([[0.0, 0.0, 10.0, 10.0]]))
        >>> mean, cov = m.update(*m.predict(mean, cov), np.array([[4.0, 0.0, 14.0, 10.0]]))
        >>> m.to_xyxy(m.predict(mean, cov)[0]).tolist()  # moved by the 4 px/frame seen so far
        [[8.0, 0.0, 18.0, 10.0]]
    """

    BOX, VELOCITY, DELTA, CLOCK, OBS = slice(0, 4), slice(4, 8), 8, 9, 10
    N = 5  # the community implementations' window

    def __init__(self, n: int = N) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n = n
        self.slots = n + 1
        self._stamps = slice(self.OBS + 4 * self.slots, self.OBS + 5 * self.slots)
        self.ndim_state = self.OBS + 5 * self.slots

    def _obs(self, mean: np.ndarray) -> np.ndarray:
        """(N, n + 1, 4) view of the observed boxes."""
        return mean[:, self.OBS:self.OBS + 4 * self.slots].reshape(-1, self.slots, 4)

    def initiate(self, z: np.ndarray, scores: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Start tracks at (N, 4) xyxy boxes, velocity 0; returns (N, S) means and (N, 0, 0) covariances."""
        z = np.asarray(z, np.float64).reshape(-1, 4)
        mean = np.full((z.shape[0], self.ndim_state), np.nan)
        mean[:, self.BOX] = z
        mean[:, self.VELOCITY] = 0.0
        mean[:, self.DELTA] = mean[:, self.CLOCK] = 0.0
        self._obs(mean)[:, -1, :] = z
        mean[:, self._stamps.stop - 1] = 0.0
        return mean, np.zeros((z.shape[0], 0, 0))

    def predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame ahead: box += velocity, delta and clock + 1. Inputs are not modified."""
        mean = np.array(mean, np.float64, copy=True)
        mean[:, self.BOX] += mean[:, self.VELOCITY]
        mean[:, self.DELTA] += 1.0
        mean[:, self.CLOCK] += 1.0
        return mean, np.array(cov, copy=True)

    def update(self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray,
               scores: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Record (N, 4) observations ``z`` (row i for track i): the box becomes ``z``, delta 0, the velocity the
        mean displacement per frame from the oldest kept observation to ``z``. ``scores`` are not used."""
        z = np.asarray(z, np.float64).reshape(-1, 4)
        mean = np.array(mean, np.float64, copy=True)
        if mean.shape[0] == 0:
            return mean, np.array(cov, copy=True)
        obs = self._obs(mean)
        obs[:, :-1] = obs[:, 1:].copy()
        obs[:, -1] = z
        stamps = mean[:, self._stamps]
        stamps[:, :-1] = stamps[:, 1:].copy()
        stamps[:, -1] = mean[:, self.CLOCK]
        mean[:, self._stamps] = stamps
        oldest = np.argmax(~np.isnan(stamps), axis=1)  # first filled slot (the newest always is)
        rows = np.arange(mean.shape[0])
        span = stamps[:, -1] - stamps[rows, oldest]
        with np.errstate(invalid="ignore", divide="ignore"):
            velocity = (z - obs[rows, oldest]) / span[:, None]
        mean[:, self.VELOCITY] = np.where(span[:, None] > 0, velocity, 0.0)
        mean[:, self.BOX] = z
        mean[:, self.DELTA] = 0.0
        return mean, np.array(cov, copy=True)

    def to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        """(N, S) states -> (N, 4) estimated xyxy boxes, pixels."""
        return np.asarray(mean, np.float64).reshape(-1, self.ndim_state)[:, self.BOX].copy()
