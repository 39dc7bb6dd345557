"""UCMCTrack's Mapped Mahalanobis Distance, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association import solve
from roadtrack.association.ucmc import UCMCAssociator, mapped_mahalanobis, ucmc_cost
from roadtrack.core import Detections, TrackView
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


def _ground_view(boxes, confirmed, classes=None):
    """Tracks started at ``boxes`` on a top-down plane of 5 cm per pixel, in the view an associator reads."""
    kf = GroundKalman(GroundPlane(np.diag([0.05, 0.05, 1.0])))
    boxes = np.asarray(boxes, float)
    mean, cov = kf.initiate(boxes)
    n = len(boxes)
    return TrackView(boxes, np.zeros(n, np.int64) if classes is None else np.asarray(classes), np.asarray(confirmed),
                     np.ones(n, np.int64), mean=mean, cov=cov, motion=kf)


def test_associator_steps_high_then_low_then_tentative():
    # Tracks: 0 confirmed at x 100, 1 confirmed at x 300, 2 tentative at x 100 (all with P = I m^2).
    # Detections: 0 high (0.9) on track 0's spot; 1 low (0.55) on track 1's spot; 2 high 1 m right of x 100.
    # Step 1 (confirmed x high): track 0 - det 0 (cost ln det S, S = 1.01 I); track 1 is 180 px = 9 m from det 2:
    # 81 / 1.01 + ln 1.01^2 > a = 10, so track 1 stays. Step 2 (track 1 x low): det 1. Step 3 (tentative
    # x high left): track 2 - det 2 (1 / 1.01 + ln 1.01^2 = 1.01).
    tracks = _ground_view([[90, 60, 110, 100], [290, 60, 310, 100], [90, 60, 110, 100]], [True, True, False])
    dets = Detections([[90, 60, 110, 100], [290, 60, 310, 100], [110, 60, 130, 100]], scores=[0.9, 0.55, 0.9])
    m = UCMCAssociator().match(tracks, dets)
    assert m.rows.tolist() == [0, 1, 2] and m.cols.tolist() == [0, 1, 2]
    # A tentative track never takes a low-score detection, and min_score drops detections entirely.
    m = UCMCAssociator().match(_ground_view([[290, 60, 310, 100]], [False]), dets[[1]])
    assert m.rows.size == 0
    m = UCMCAssociator(min_score=0.6).match(tracks, dets)
    assert m.rows.tolist() == [0, 2] and m.unmatched_rows.tolist() == [1]


def test_associator_cost_limit_and_classes():
    tracks = _ground_view([[90, 60, 110, 100]], [True], classes=[1])
    # 60 px = 3 m: 9 / 1.01 + ln 1.01^2 = 8.93 <= 10 matches; with a1 = 8 it does not.
    far = Detections([[150, 60, 170, 100]], scores=[0.9], class_ids=[1])
    assert UCMCAssociator().match(tracks, far).rows.tolist() == [0]
    assert UCMCAssociator(a1=8.0).match(tracks, far).rows.size == 0
    other = Detections([[90, 60, 110, 100]], scores=[0.9], class_ids=[2])
    assert UCMCAssociator().match(tracks, other).rows.size == 0
    assert UCMCAssociator(class_aware=False).match(tracks, other).rows.tolist() == [0]


def test_associator_registered_and_needs_the_ground_state():
    import roadtrack

    assoc = roadtrack.build("associator", "ucmc")
    m = assoc.associate(np.zeros((0, 4)), np.zeros(0, np.int64), Detections.empty())
    assert m.rows.size == 0 and m.unmatched_cols.size == 0
    with pytest.raises(ValueError, match="mean, cov, motion"):
        assoc.associate(np.array([[0.0, 0, 10, 10]]), np.zeros(1, np.int64), Detections([[0, 0, 10, 10]], [0.9]))
    with pytest.raises(ValueError, match="must not exceed"):
        UCMCAssociator(min_score=0.7, high_score=0.6)
