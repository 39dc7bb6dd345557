"""Kalman variants: SORT's (cx, cy, area, aspect), DeepSORT's (cx, cy, aspect, height) and BoT-SORT's
(cx, cy, width, height) models.

Each variant only chooses its state layout and noise; the filter equations are `LinearKalman`'s.
Both need boxes with positive width and height: the aspect ratio (and for SORT the box recovered from
area and aspect) is undefined otherwise, and the results are then non-finite. Trackers drop such
boxes before they reach a motion model.
"""

from __future__ import annotations

import numpy as np

from roadtrack.core import register
from roadtrack.kalman.base import LinearKalman, _diag


def _centre_size(xyxy: np.ndarray) -> tuple[np.ndarray, ...]:
    """(N, 4) xyxy -> centre x, centre y, width, height, each (N,)."""
    w = xyxy[:, 2] - xyxy[:, 0]
    h = xyxy[:, 3] - xyxy[:, 1]
    return xyxy[:, 0] + w / 2.0, xyxy[:, 1] + h / 2.0, w, h


def _corners(cx: np.ndarray, cy: np.ndarray, w: np.ndarray, h: np.ndarray) -> np.ndarray:
    """(N,) centres and sizes -> (N, 4) xyxy (filled column by column: cheaper than np.stack for small N)."""
    out = np.empty((cx.shape[0], 4))
    out[:, 0] = cx - w / 2.0
    out[:, 1] = cy - h / 2.0
    out[:, 2] = cx + w / 2.0
    out[:, 3] = cy + h / 2.0
    return out


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b``, non-finite where ``b`` is 0, without a warning (degenerate boxes: see the module docstring).
    The common case of no zero skips `np.errstate`, which costs more than the division on small arrays."""
    if b.all():
        return a / b
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


def _block_warp(size: int, blocks: tuple[int, ...], linear: np.ndarray, scaled: dict[int, float]) -> np.ndarray:
    """(size, size) matrix applying ``linear`` to the component pairs starting at ``blocks`` and a factor to others."""
    m = np.eye(size)
    for b in blocks:
        m[b:b + 2, b:b + 2] = linear
    for i, factor in scaled.items():
        m[i, i] = factor
    return m


class ConstantNoiseKalman(LinearKalman):
    """A model whose noise does not depend on the state (SORT's and the models built on it): subclasses set
    ``_p0`` (S, S) initial covariance, ``_q`` (S,) process and ``_r`` (M,) measurement variances."""

    _p0: np.ndarray
    _q: np.ndarray
    _r: np.ndarray

    def initial_cov(self, measurement: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._p0, (measurement.shape[0], *self._p0.shape)).copy()

    def process_variance(self, mean: np.ndarray) -> np.ndarray:
        return self._q

    def measurement_variance(self, mean: np.ndarray) -> np.ndarray:
        return self._r


@register("motion", "sort")
class SortKalman(ConstantNoiseKalman):
    """SORT's constant-velocity model (Bewley et al., 2016).

    State (S=7): cx, cy (box centre, pixels), s (area, pixels^2), r (aspect w/h), vcx, vcy, vs (per frame);
    the aspect ratio is assumed constant. Measurement (M=4): cx, cy, s, r.

    Noise, as published with SORT (built from identity matrices): R = diag(1, 1, 10, 10);
    P0 = 10 * diag(1, 1, 1, 1, 1000, 1000, 1000); Q = diag(1, 1, 1, 1, 0.01, 0.01, 0.0001).
    Before each prediction the area velocity is zeroed where ``s + vs <= 0``, so the area never becomes
    negative through prediction.

    Example:
        >>> kf = SortKalman()
        >>> mean, cov = kf.initiate(np.array([[0.0, 0.0, 10.0, 20.0]]))
        >>> mean[0, :4].tolist(), kf.to_xyxy(mean).tolist()
        ([5.0, 10.0, 200.0, 0.5], [[0.0, 0.0, 10.0, 20.0]])
    """

    ndim_meas = 4
    velocity_of = (0, 1, 2)  # cx, cy and s move; r does not
    AREA, AREA_VELOCITY = 2, 6

    def __init__(self) -> None:
        super().__init__()
        self._r = np.array([1.0, 1.0, 10.0, 10.0])
        self._p0 = 10.0 * np.diag([1.0, 1.0, 1.0, 1.0, 1000.0, 1000.0, 1000.0])
        self._q = np.array([1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 0.0001])

    def box_to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        cx, cy, w, h = _centre_size(xyxy)
        return np.stack([cx, cy, w * h, _divide(w, h)], axis=1)

    def state_to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        cx, cy, s, r = mean[:, :4].T
        area = s * r
        if (area > 0).all():
            w = np.sqrt(area)
            return _corners(cx, cy, w, s / w)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.sqrt(area)
            return _corners(cx, cy, w, s / w)

    def warp_matrix(self, linear: np.ndarray) -> np.ndarray:
        """Centre and its velocity by ``linear``; area and its velocity by the area scale |det|; aspect fixed."""
        area_scale = abs(float(np.linalg.det(linear)))
        return _block_warp(7, (0, 4), linear, {self.AREA: area_scale, self.AREA_VELOCITY: area_scale})

    def constrain(self, mean: np.ndarray) -> np.ndarray:
        shrinking_to_nothing = mean[:, self.AREA] + mean[:, self.AREA_VELOCITY] <= 0
        if not shrinking_to_nothing.any():
            return mean
        mean = mean.copy()
        mean[shrinking_to_nothing, self.AREA_VELOCITY] = 0.0
        return mean


class _SizeScaledKalman(LinearKalman):
    """Models whose noise deviations scale with the box size (DeepSORT's and BoT-SORT's); see the variants."""

    def __init__(self, std_weight_position: float = 1.0 / 20, std_weight_velocity: float = 1.0 / 160,
                 nsa: bool = False) -> None:
        super().__init__()
        self.std_weight_position = std_weight_position
        self.std_weight_velocity = std_weight_velocity
        self.nsa = nsa


@register("motion", "xyah")
class XYAHKalman(_SizeScaledKalman):
    """DeepSORT's constant-velocity model (Wojke et al., 2017).

    State (S=8): cx, cy (pixels), a (aspect w/h), h (height, pixels) and their velocities per frame.
    Measurement (M=4): cx, cy, a, h. Standard deviations scale with the box height h (of the measurement
    at initiation, of the state otherwise): position ``h / 20``, velocity ``h / 160``; the aspect ratio
    gets fixed small deviations (1e-2 position and initial, 1e-5 velocity, 1e-1 measurement).

    Args:
        std_weight_position: position standard deviation per pixel of height.
        std_weight_velocity: velocity standard deviation per pixel of height.
        nsa: scale the measurement noise by (1 - detection score)^2 (StrongSORT's NSA Kalman).
    """

    ndim_meas = 4
    velocity_of = (0, 1, 2, 3)
    size_velocity = (7,)  # ByteTrack freezes the height velocity of lost tracks
    HEIGHT = 3

    def warp_matrix(self, linear: np.ndarray) -> np.ndarray:
        """Centre and its velocity by ``linear``; height and its velocity by the scale sqrt|det|; aspect fixed."""
        scale = float(np.sqrt(abs(np.linalg.det(linear))))
        return _block_warp(8, (0, 4), linear, {self.HEIGHT: scale, self.HEIGHT + 4: scale})

    def box_to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        cx, cy, w, h = _centre_size(xyxy)
        return np.stack([cx, cy, _divide(w, h), h], axis=1)

    def state_to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        cx, cy, a, h = mean[:, :4].T
        return _corners(cx, cy, a * h, h)

    def _std(self, h: np.ndarray, pos: float, aspect: float) -> np.ndarray:
        """(N,) heights -> (N, 4) deviations (pos * weight * h for cx, cy, h; ``aspect`` for a)."""
        out = np.empty((h.shape[0], 4))
        out[:, 0] = out[:, 1] = out[:, 3] = pos * h
        out[:, 2] = aspect
        return out

    def initial_cov(self, measurement: np.ndarray) -> np.ndarray:
        h = measurement[:, self.HEIGHT]
        std = np.concatenate([
            self._std(h, 2 * self.std_weight_position, 1e-2),
            self._std(h, 10 * self.std_weight_velocity, 1e-5),
        ], axis=1)
        return _diag(std**2)

    def process_variance(self, mean: np.ndarray) -> np.ndarray:
        h = mean[:, self.HEIGHT]
        std = np.concatenate([
            self._std(h, self.std_weight_position, 1e-2),
            self._std(h, self.std_weight_velocity, 1e-5),
        ], axis=1)
        return std**2

    def measurement_variance(self, mean: np.ndarray) -> np.ndarray:
        return self._std(mean[:, self.HEIGHT], self.std_weight_position, 1e-1) ** 2


@register("motion", "xywh")
class XYWHKalman(_SizeScaledKalman):
    """BoT-SORT's constant-velocity model (Aharon et al., 2022), also used by StrongSORT in BoxMOT.

    State (S=8): cx, cy, w, h (pixels) and their velocities per frame. Measurement (M=4): cx, cy, w, h.
    Standard deviations scale with the box's own width (for cx, w) and height (for cy, h): position
    ``std_weight_position * size``, velocity ``std_weight_velocity * size``; initial deviations are twice the
    position and ten times the velocity weights, as in DeepSORT.

    Args:
        std_weight_position: position standard deviation per pixel of box size.
        std_weight_velocity: velocity standard deviation per pixel of box size.
        nsa: scale the measurement noise by (1 - detection score)^2 (StrongSORT's NSA Kalman).

    Example:
        >>> kf = XYWHKalman()
        >>> mean, cov = kf.initiate(np.array([[0.0, 0.0, 20.0, 40.0]]))
        >>> mean[0, :4].tolist(), np.diag(cov[0])[:4].tolist()
        ([10.0, 20.0, 20.0, 40.0], [4.0, 16.0, 4.0, 16.0])
    """

    ndim_meas = 4
    velocity_of = (0, 1, 2, 3)
    size_velocity = (6, 7)  # BoT-SORT freezes the width and height velocities of lost tracks
    WIDTH, HEIGHT = 2, 3

    def box_to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        return np.stack(_centre_size(xyxy), axis=1)

    def state_to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        cx, cy, w, h = mean[:, :4].T
        return _corners(cx, cy, w, h)

    @staticmethod
    def _std(wh: np.ndarray, weight: float) -> np.ndarray:
        """(N, 2) widths and heights -> (N, 4) deviations ``weight * [w, h, w, h]``."""
        return weight * np.concatenate([wh, wh], axis=1)

    def initial_cov(self, measurement: np.ndarray) -> np.ndarray:
        wh = measurement[:, 2:4]
        std = np.concatenate([self._std(wh, 2 * self.std_weight_position), self._std(wh, 10 * self.std_weight_velocity)], axis=1)
        return _diag(std**2)

    def process_variance(self, mean: np.ndarray) -> np.ndarray:
        wh = mean[:, 2:4]
        std = np.concatenate([self._std(wh, self.std_weight_position), self._std(wh, self.std_weight_velocity)], axis=1)
        return std**2

    def measurement_variance(self, mean: np.ndarray) -> np.ndarray:
        return self._std(mean[:, 2:4], self.std_weight_position) ** 2

    def warp_matrix(self, linear: np.ndarray) -> np.ndarray:
        """BoT-SORT's warp: ``linear`` applied to (cx, cy), (w, h) and both velocity pairs."""
        return _block_warp(8, (0, 2, 4, 6), linear, {})
