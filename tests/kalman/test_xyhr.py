"""BoostTrack's (cx, cy, h, r) Kalman model (roadtrack.kalman.xyhr) on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.kalman.xyhr import XYHRKalman


def test_measurement_layout_and_zero_width_for_non_positive_aspect():
    kf = XYHRKalman()
    z = kf.box_to_measurement(np.array([[0.0, 0, 10, 20]]))
    assert z[0] == pytest.approx([5.0, 10.0, 20.0, 10 / (20 + 1e-6)])
    box = kf.to_xyxy(np.array([[5.0, 10, 20, -1, 0, 0, 0, 0]]))
    assert box[0].tolist() == [5.0, 0.0, 5.0, 20.0]


def test_predict_and_update_by_hand():
    kf = XYHRKalman()
    mean, cov = kf.initiate(np.array([[0.0, 0, 10, 20]]))
    mean, cov = kf.predict(mean, cov)
    # P0 = 10 * diag(1, .., 1000, ..); F P0 F^T: position 10 + 10000, cross 10000, velocity 10000; plus Q.
    assert cov[0, 0, 0] == pytest.approx(10 + 10000 + 1) and cov[0, 0, 4] == pytest.approx(10000)
    assert cov[0, 4, 4] == pytest.approx(10000 + 0.01)
    # A detection 5 px to the right. Each component is its own 2-state filter: S = 10011 + R 1.
    mean, cov = kf.update(mean, cov, np.array([[5.0, 0, 15, 20]]))
    assert mean[0, 0] == pytest.approx(5 + 5 * 10011 / 10012)
    assert mean[0, 4] == pytest.approx(5 * 10000 / 10012)
    assert mean[0, 2] == pytest.approx(20.0)  # height unchanged; its S uses R = 10
    assert cov[0, 0, 0] == pytest.approx(10011 - 10011**2 / 10012)


def test_warp_moves_the_corners_and_keeps_velocity_and_covariance():
    kf = XYHRKalman()
    mean, cov = kf.initiate(np.array([[0.0, 0, 10, 20]]))
    mean[0, 4] = 3.0
    affine = np.array([[2.0, 0, 10], [0, 2.0, 0]])  # scale 2, then 10 px right
    new_mean, new_cov = kf.warp(mean, cov, affine)
    # Corners (0, 0) -> (10, 0) and (10, 20) -> (30, 40): w 20, h 40, centre (20, 20), r 0.5.
    assert new_mean[0, :4] == pytest.approx([20.0, 20.0, 40.0, 0.5])
    assert new_mean[0, 4] == 3.0 and np.array_equal(new_cov, cov)
    assert mean[0, 0] == 5.0  # input not modified
