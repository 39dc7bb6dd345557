"""A batched linear Kalman filter: every operation runs over all N tracks at once.

Variants choose the state layout (box <-> state conversion) and the noise model; the filter equations
live here once. The measurement is always the first M components of the state (``H = [I 0]``) and the
state is ``position`` followed by one velocity per position component, so ``F = [[I, I], [0, I]]``
restricted to the components that have a velocity.
"""

from __future__ import annotations

import abc

import numpy as np

from roadtrack.core import MotionModel
from roadtrack.core.gating import CHI2INV95  # noqa: F401  (re-exported by roadtrack.kalman)



def _diag(values: np.ndarray) -> np.ndarray:
    """(N, K) -> (N, K, K) diagonal matrices."""
    out = np.zeros(values.shape + values.shape[-1:])
    idx = np.arange(values.shape[-1])
    out[:, idx, idx] = values
    return out


def gating_distance(mean: np.ndarray, cov: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance of every measurement to every projected track distribution.

    Args:
        mean: (T, M) projected track means in measurement space.
        cov: (T, M, M) projected covariances (innovation covariances ``H P H^T + R``), positive definite.
        z: (D, M) measurements in the same space.

    Returns:
        (T, D) float64 squared distances ``(z - mean)^T cov^-1 (z - mean)``.
    """
    mean = np.asarray(mean, np.float64)
    z = np.asarray(z, np.float64)
    if mean.shape[0] == 0 or z.shape[0] == 0:
        return np.zeros((mean.shape[0], z.shape[0]))
    chol = np.linalg.cholesky(cov)  # (T, M, M) lower triangular
    diff = np.swapaxes(z[None, :, :] - mean[:, None, :], 1, 2)  # (T, M, D)
    # Solving L y = d gives |y|^2 = d^T (L L^T)^-1 d without forming an inverse.
    y = np.linalg.solve(chol, diff)
    return np.einsum("tmd,tmd->td", y, y)


class LinearKalman(MotionModel, abc.ABC):
    """Constant-velocity Kalman filter over a batch of tracks.

    Subclasses set ``ndim_meas`` (M) and ``velocity_of`` (which measurement components get a velocity) and
    implement the box conversions and the three noise functions. Means are (N, S), covariances (N, S, S)
    with ``S = M + len(velocity_of)``.

    The update uses the Joseph form ``P = (I - KH) P (I - KH)^T + K R K^T`` (as filterpy does), which keeps
    ``P`` symmetric positive semi-definite under rounding; the gain comes from a batched solve with the
    innovation covariance instead of its inverse.
    """

    ndim_meas: int
    velocity_of: tuple[int, ...]
    # State components of the box size's velocity; `freeze_size` zeroes them for tracks without a detection.
    size_velocity: tuple[int, ...] = ()
    # Noise scale adaptive (StrongSORT's NSA): scale the measurement noise R by (1 - score)^2, set by variants.
    nsa: bool = False

    def __init__(self) -> None:
        m, v = self.ndim_meas, len(self.velocity_of)
        s = m + v
        self.ndim_state = s
        self.F = np.eye(s)
        self.F[list(self.velocity_of), list(range(m, s))] = 1.0  # position += velocity * 1 frame
        self.H = np.eye(m, s)
        self._eye = np.eye(s)
        self._state_diag, self._meas_diag = np.arange(s), np.arange(m)

    # ---- variant hooks -------------------------------------------------------------------------
    @abc.abstractmethod
    def box_to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        """(N, 4) xyxy boxes, pixels -> (N, M) measurements."""

    @abc.abstractmethod
    def state_to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        """(N, S) states -> (N, 4) xyxy boxes, pixels."""

    @abc.abstractmethod
    def initial_cov(self, measurement: np.ndarray) -> np.ndarray:
        """(N, M) first measurements -> (N, S, S) initial state covariances."""

    # Both noises are diagonal in the box-space variants: the filter adds variances to diagonals instead of
    # building and adding (N, K, K) matrices, which is most of the cost of a small frame's update. A model with a
    # full noise matrix (UCMC's ground plane) overrides `add_process_noise` and `measurement_noise` instead.
    def process_variance(self, mean: np.ndarray) -> np.ndarray:
        """(N, S) states before prediction -> (N, S) or (S,) variances: the diagonal of the process noise Q."""
        raise NotImplementedError(f"{type(self).__name__} gives no diagonal process noise")

    def measurement_variance(self, mean: np.ndarray) -> np.ndarray:
        """(N, S) predicted states -> (N, M) or (M,) variances: the diagonal of the measurement noise R."""
        raise NotImplementedError(f"{type(self).__name__} gives no diagonal measurement noise")

    def add_process_noise(self, cov: np.ndarray, mean: np.ndarray) -> None:
        """Add Q, for the (N, S) states before prediction, to the (N, S, S) predicted covariances in place."""
        cov[:, self._state_diag, self._state_diag] += self.process_variance(mean)
    def process_noise(self, mean: np.ndarray) -> np.ndarray:
        """(N, S, S) process noise Q."""
        return _diag(np.broadcast_to(self.process_variance(mean), mean.shape))

    def measurement_noise(self, mean: np.ndarray) -> np.ndarray:
        """(N, M, M) measurement noise R."""
        return _diag(np.broadcast_to(self.measurement_variance(mean), (mean.shape[0], self.ndim_meas)))

    def constrain(self, mean: np.ndarray) -> np.ndarray:
        """Adjust (N, S) states before prediction; returns a new array. The default changes nothing."""
        return mean

    @abc.abstractmethod
    def warp_matrix(self, linear: np.ndarray) -> np.ndarray:
        """(2, 2) linear part of an image affine transform -> (S, S) matrix applied to the state.

        The translation moves the centre only (components 0 and 1 of every variant's state).
        """

    # ---- MotionModel ---------------------------------------------------------------------------
    def initiate(self, z: np.ndarray, scores: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Start tracks at (N, 4) xyxy boxes with zero velocity.

        Returns:
            mean (N, S) and covariance (N, S, S).
        """
        meas = self.box_to_measurement(np.asarray(z, np.float64).reshape(-1, 4))
        mean = np.zeros((meas.shape[0], self.ndim_state))
        mean[:, : self.ndim_meas] = meas
        return mean, self.initial_cov(meas)

    def predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame ahead: ``x = F x``, ``P = F P F^T + Q``. Inputs (N, S), (N, S, S) are not modified."""
        mean = self.constrain(np.asarray(mean, np.float64))
        new_mean = mean @ self.F.T
        new_cov = self.F @ cov @ self.F.T
        self.add_process_noise(new_cov, mean)
        return new_mean, new_cov

    def project(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measurement-space distribution: (N, M) ``H x`` and (N, M, M) innovation covariance ``H P H^T + R``."""
        return mean @ self.H.T, self.H @ cov @ self.H.T + self.measurement_noise(mean)

    def update(
        self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray, scores: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Correct row i of ``mean`` (N, S) / ``cov`` (N, S, S) with the (N, 4) xyxy box ``z[i]``.

        Args:
            scores: optional (N,) detection confidences in [0, 1]; used only when ``nsa`` is set, where
                the measurement noise becomes ``(1 - score)^2 R`` (StrongSORT), floored at ``1e-4 R`` so a
                score of 1 cannot make the innovation covariance singular.
        """
        mean = np.asarray(mean, np.float64)
        if mean.shape[0] == 0:
            return mean.copy(), np.array(cov, np.float64, copy=True)
        m = self.ndim_meas
        r = np.broadcast_to(self.measurement_variance(mean), (mean.shape[0], m))  # the diagonal of R
        if self.nsa and scores is not None:
            scale = np.clip(1.0 - np.asarray(scores, np.float64), 1e-2, 1.0) ** 2
            r = r * scale[:, None]
        innovation = self.box_to_measurement(np.asarray(z, np.float64).reshape(-1, 4)) - mean[:, :m]
        hp = cov[:, :m, :]  # H P: H selects the first M state components
        s = hp[:, :, :m].copy()
        s[:, self._meas_diag, self._meas_diag] += r  # (N, M, M) innovation covariance H P H^T + R
        # K = P H^T S^-1; S and P are symmetric, so K^T = S^-1 (H P).
        gain = np.linalg.solve(s, hp).swapaxes(1, 2)  # (N, S, M)
        new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
        # The Joseph form, not its algebraic expansion P - KHP - (KHP)^T + KSK^T: the expansion amplifies
        # rounding asymmetry (after camera-motion warps, covariances diverged within ~100 frames).
        i_kh = np.repeat(self._eye[None], mean.shape[0], axis=0)
        i_kh[:, :, :m] -= gain  # I - K H, with K H = [K 0]
        new_cov = i_kh @ cov @ i_kh.swapaxes(1, 2) + (gain * r[:, None, :]) @ gain.swapaxes(1, 2)
        return new_mean, new_cov

    def warp(self, mean: np.ndarray, cov: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move all tracks by a camera motion: ``x = M x + b``, ``P = M P M^T``.

        Args:
            mean: (N, S) states; cov: (N, S, S).
            affine: (2, 3) image transform from the previous frame's pixels to the current frame's.

        Returns:
            New (N, S) means and (N, S, S) covariances.
        """
        affine = np.asarray(affine, np.float64)
        m = self.warp_matrix(affine[:, :2])
        new_mean = np.asarray(mean, np.float64) @ m.T
        new_mean[:, :2] += affine[:, 2]
        return new_mean, m @ cov @ m.T

    def freeze_size(self, mean: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Zero the size velocity of ``rows`` ((T,) bool or int indices; ByteTrack and BoT-SORT do so for lost
        tracks before predicting). Returns a new array, or ``mean`` itself when nothing changes."""
        rows = np.asarray(rows)
        index = rows.nonzero()[0] if rows.dtype == bool else rows
        if not self.size_velocity or index.size == 0:
            return mean
        mean = mean.copy()
        mean[index[:, None], self.size_velocity] = 0.0
        return mean

    def to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        """(N, S) states -> (N, 4) xyxy boxes, pixels (non-finite where the state has no valid box)."""
        return self.state_to_xyxy(np.asarray(mean, np.float64).reshape(-1, self.ndim_state))

    def gating_distance(self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray) -> np.ndarray:
        """(T, D) squared Mahalanobis distances of (D, 4) xyxy boxes to T tracks; gate with `CHI2INV95[M]`."""
        proj_mean, proj_cov = self.project(np.asarray(mean, np.float64), cov)
        return gating_distance(proj_mean, proj_cov, self.box_to_measurement(np.asarray(z, np.float64).reshape(-1, 4)))
