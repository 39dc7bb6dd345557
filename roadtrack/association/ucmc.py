"""UCMCTrack's association cost: the Mapped Mahalanobis Distance (MMD) on the ground plane.

UCMCTrack (Yi et al., AAAI 2024; reference ``tracker/kalman.py KalmanTracker.distance``) compares a detection's
ground footpoint ``y`` (covariance ``R``, its Correlated Measurement Distribution) with a track's predicted
ground position ``H x`` (covariance ``H P H^T``) by

    MMD = (y - H x)^T S^-1 (y - H x) + ln det S,    S = H P H^T + R,

and assigns with ``lapjv(cost, extend_cost=True, cost_limit=a)``, i.e. `roadtrack.association.solve` with
``max_cost=a``. The log-determinant makes a loose, far-away track (large S) pay for its looseness, so MMD is the
negative log-likelihood up to a constant and can be negative when S has determinant below 1 m^4.
"""

from __future__ import annotations

import numpy as np

from roadtrack.kalman.ground import GroundKalman, pairwise_ground_mahalanobis


def mapped_mahalanobis(track_xy: np.ndarray, track_cov: np.ndarray, det_xy: np.ndarray,
                       det_cov: np.ndarray) -> np.ndarray:
    """MMD of every detection to every track, each pair with its own ``S = P_t + R_d``.

    Args:
        track_xy: (T, 2) predicted ground positions ``H x``, metres.
        track_cov: (T, 2, 2) their covariances ``H P H^T``, m^2.
        det_xy: (D, 2) detection footpoints on the ground, metres.
        det_cov: (D, 2, 2) their measurement covariances R (CMD), m^2.

    Returns:
        (T, D) float64 ``d^T S^-1 d + ln det S``; rows index tracks, columns detections (the reference's matrix
        is the transpose).

    Example:
        >>> cost = mapped_mahalanobis(np.zeros((1, 2)), np.eye(2)[None], np.array([[2.0, 0.0]]), np.eye(2)[None])
        >>> float(cost[0, 0])  # S = 2 I: 4 / 2 + ln 4
        3.386294361119891
    """
    squared, logdet = pairwise_ground_mahalanobis(track_xy, track_cov, det_xy, det_cov)
    return squared + logdet


def ucmc_cost(motion: GroundKalman, mean: np.ndarray, cov: np.ndarray, det_xyxy: np.ndarray) -> np.ndarray:
    """MMD between tracks given by their ground states and detections given by boxes.

    Args:
        motion: the `GroundKalman` the states belong to (it holds the ground geometry and pixel noise).
        mean: (T, 6) predicted states; cov: (T, 6, 6).
        det_xyxy: (D, 4) detection boxes, pixels.

    Returns:
        (T, D) float64 MMD costs.
    """
    det_xy, det_cov = motion.ground_measurements(det_xyxy)
    return mapped_mahalanobis(*motion.project_ground(mean, cov), det_xy, det_cov)
