"""UCMCTrack's Mapped Mahalanobis Distance, by hand."""

from __future__ import annotations

import numpy as np

from roadtrack.association import solve
from roadtrack.association.ucmc import mapped_mahalanobis, ucmc_cost
from roadtrack.kalman.ground import GroundKalman, GroundPlane


def test_mmd_with_diagonal_covariances_by_hand():
    # S = diag(1, 4) + diag(1, 4) = diag(2, 8); d = (1, 2): d^T S^-1 d = 1/2 + 4/8 = 1; ln det S = ln 16.
    cost = mapped_mahalanobis(np.zeros((1, 2)), np.diag([1.0, 4.0])[None], np.array([[1.0, 2.0]]),
                              np.diag([1.0, 4.0])[None])
    np.testing.assert_allclose(cost, [[1.0 + np.log(16.0)]])


def test_mmd_with_correlated_covariance_by_hand():
    # S = [[2, 1], [1, 2]]: det 3, S^-1 = [[2, -1], [-1, 2]] / 3; d = (1, 0) -> 2 / 3, and d = (1, 1) -> 2 / 3.
    # The same distance along the correlation (1, 1) as across it would cost (1, -1): 6 / 3.
    det_cov = np.array([[[1.0, 1.0], [1.0, 1.0]]])
    dets = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, -1.0]])
    cost = mapped_mahalanobis(np.zeros((1, 2)), np.eye(2)[None], dets, np.repeat(det_cov, 3, axis=0))
    np.testing.assert_allclose(cost, [[2 / 3 + np.log(3.0), 2 / 3 + np.log(3.0), 6 / 3 + np.log(3.0)]])


def test_mmd_is_tracks_by_detections_and_handles_empty():
    cost = mapped_mahalanobis(np.zeros((3, 2)), np.repeat(np.eye(2)[None], 3, 0), np.ones((2, 2)),
                              np.repeat(np.eye(2)[None], 2, 0))
    assert cost.shape == (3, 2)
    empty = mapped_mahalanobis(np.zeros((0, 2)), np.zeros((0, 2, 2)), np.ones((2, 2)), np.zeros((2, 2, 2)))
    assert empty.shape == (0, 2)


def test_ucmc_cost_on_a_top_down_plane_and_its_assignment():
    kf = GroundKalman(GroundPlane(np.diag([0.05, 0.05, 1.0])))  # 5 cm per pixel
    mean, cov = kf.initiate(np.array([[90.0, 60.0, 110.0, 100.0], [290.0, 60.0, 310.0, 100.0]]))
    # Detection 0 sits 20 px (1 m) right of track 0; each pair: S = I (P0) + (0.05 * 2)^2 I.
    dets = np.array([[110.0, 60.0, 130.0, 100.0], [290.0, 60.0, 310.0, 100.0]])
    cost = ucmc_cost(kf, mean, cov, dets)
    s = 1.0 + 0.05**2 * 2.0**2
    np.testing.assert_allclose(cost[0, 0], 1.0 / s + np.log(s * s))
    np.testing.assert_allclose(cost[1, 1], 0.0 + np.log(s * s))
    # UCMCTrack: lapjv(cost, extend_cost=True, cost_limit=a) with a = 10 on MOT17 -> solve(max_cost=a).
    m = solve(cost, max_cost=10.0)
    assert m.rows.tolist() == [0, 1] and m.cols.tolist() == [0, 1]
