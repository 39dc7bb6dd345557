"""BoostTrack's constant-velocity model over (cx, cy, h, r) with constant noise."""

from __future__ import annotations

import numpy as np

from roadtrack.core import register
from roadtrack.kalman.variants import ConstantNoiseKalman, _block_warp, _centre_size, _corners

# The reference divides by h + 1e-6 when it forms the aspect ratio of a measurement.
_ASPECT_EPS = 1e-6


@register("motion", "xyhr")
class XYHRKalman(ConstantNoiseKalman):
    """BoostTrack's Kalman model (Stanojević & Todorović, 2024; reference ``tracker/kalmanfilter.py``).

    State (S=8): cx, cy (box centre, pixels), h (height, pixels), r (aspect w/h) and the velocity of each of the
    four (per frame; unlike SORT, the aspect ratio has a velocity). Measurement (M=4): cx, cy, h, r with
    ``r = w / (h + 1e-6)``; a state with ``r <= 0`` gives a box of zero width.

    Constant noise (the reference's ``ConstantNoise``): P0 = 10 * diag(1, 1, 1, 1, 1000, 1000, 1000, 1000);
    Q = diag(1, 1, 1, 1, 0.01, 0.01, 0.01, 0.01); R = diag(1, 1, 10, 0.01).

    Camera motion (`warp`) follows the reference: the two corners of each track's current box are moved by the
    affine transform and (cx, cy, h, r) rebuilt from them; velocities and covariance are left as they are.

    Example:
        >>> kf = XYHRKalman()
        >>> mean, cov = kf.initiate(np.array([[0.0, 0.0, 10.0, 20.0]]))
        >>> mean[0, :4].round(6).tolist(), float(cov[0, 4, 4])
        ([5.0, 10.0, 20.0, 0.5], 10000.0)
    """

    ndim_meas = 4
    velocity_of = (0, 1, 2, 3)
    size_velocity = (6, 7)
    HEIGHT, ASPECT = 2, 3

    def __init__(self) -> None:
        super().__init__()
        self._p0 = 10.0 * np.diag([1.0, 1.0, 1.0, 1.0, 1000.0, 1000.0, 1000.0, 1000.0])
        self._q = np.array([1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 0.01, 0.01])
        self._r = np.array([1.0, 1.0, 10.0, 0.01])

    def box_to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        cx, cy, w, h = _centre_size(xyxy)
        return np.stack([cx, cy, h, w / (h + _ASPECT_EPS)], axis=1)

    def state_to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        cx, cy, h, r = mean[:, :4].T
        return _corners(cx, cy, np.where(r > 0, r * h, 0.0), h)

    def warp_matrix(self, linear: np.ndarray) -> np.ndarray:
        """Linearised warp (for callers that want one): centre and its velocity by ``linear``, height and its
        velocity by sqrt|det|, aspect fixed. `warp` itself follows the reference instead."""
        scale = float(np.sqrt(abs(np.linalg.det(linear))))
        return _block_warp(8, (0, 4), linear, {self.HEIGHT: scale, self.HEIGHT + 4: scale})

    def warp(self, mean: np.ndarray, cov: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move the current boxes by a (2, 3) affine transform, corner by corner (the reference's
        ``camera_update``); (N, 8) means -> new means, covariances returned unchanged (a copy)."""
        affine = np.asarray(affine, np.float64)
        mean = np.array(mean, np.float64, copy=True)
        if mean.shape[0] == 0:
            return mean, np.array(cov, np.float64, copy=True)
        box = self.state_to_xyxy(mean)
        lo = box[:, :2] @ affine[:, :2].T + affine[:, 2]
        hi = box[:, 2:] @ affine[:, :2].T + affine[:, 2]
        w, h = hi[:, 0] - lo[:, 0], hi[:, 1] - lo[:, 1]
        mean[:, 0], mean[:, 1] = lo[:, 0] + w / 2.0, lo[:, 1] + h / 2.0
        mean[:, 2] = h
        with np.errstate(divide="ignore", invalid="ignore"):
            mean[:, 3] = w / h  # the reference divides without an epsilon here
        return mean, np.array(cov, np.float64, copy=True)
