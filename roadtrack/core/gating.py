"""Gates shared by motion models (below) and association steps (above): chi-square quantiles, and the pairwise
2-D Mahalanobis distance with one covariance per track-detection pair (UCMCTrack's ground plane)."""

from __future__ import annotations

import numpy as np

# Chi-square 0.95 quantiles by degrees of freedom (scipy.stats.chi2.ppf(0.95, dof)), the usual gate
# for squared Mahalanobis distances of a dof-dimensional measurement.
CHI2INV95 = {
    1: 3.841458820694124,
    2: 5.991464547107979,
    3: 7.814727903251179,
    4: 9.487729036781154,
    5: 11.070497693516351,
    6: 12.591587243743977,
    7: 14.067140449340169,
    8: 15.50731305586545,
    9: 16.918977604620448,
}


def pairwise_mahalanobis_2d(track_xy: np.ndarray, track_cov: np.ndarray, det_xy: np.ndarray,
                            det_cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared Mahalanobis distance and log-determinant of every track-detection pair of 2-D points.

    Each pair has its own innovation covariance ``S = P_t + R_d``: the track's projected covariance plus the
    detection's own measurement covariance (not one covariance per track, as in `CHI2INV95` gating of box models).

    Args:
        track_xy: (T, 2) projected track positions ``H x``; track_cov: (T, 2, 2) ``H P H^T``.
        det_xy: (D, 2) measured points; det_cov: (D, 2, 2) their measurement covariances R.

    Returns:
        (T, D) ``d^T S^-1 d`` and (T, D) ``ln det S``, float64.
    """
    t_xy = np.asarray(track_xy, np.float64).reshape(-1, 2)
    d_xy = np.asarray(det_xy, np.float64).reshape(-1, 2)
    if t_xy.shape[0] == 0 or d_xy.shape[0] == 0:
        empty = np.zeros((t_xy.shape[0], d_xy.shape[0]))
        return empty, empty.copy()
    s = np.asarray(track_cov, np.float64)[:, None] + np.asarray(det_cov, np.float64)[None]  # (T, D, 2, 2)
    a, b, c, d = s[..., 0, 0], s[..., 0, 1], s[..., 1, 0], s[..., 1, 1]
    det = a * d - b * c
    dx = d_xy[None, :, 0] - t_xy[:, None, 0]
    dy = d_xy[None, :, 1] - t_xy[:, None, 1]
    # 2 x 2 inverse in closed form: [[d, -b], [-c, a]] / det.
    squared = (d * dx * dx - (b + c) * dx * dy + a * dy * dy) / det
    return squared, np.log(det)
