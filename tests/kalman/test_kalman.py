"""The batched filters equal textbook Kalman filters (filterpy, one filter per track) step by step."""

from __future__ import annotations

import filterpy.kalman as filterpy_kalman
import numpy as np
import pytest

import roadtrack
from roadtrack.kalman import CHI2INV95, SortKalman, XYAHKalman, gating_distance

TOL = dict(rtol=1e-9, atol=1e-9)


def random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 4) xyxy boxes with positive size, pixels."""
    xy = rng.uniform(0, 500, (n, 2))
    wh = rng.uniform(5, 150, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def sort_filterpy(z: np.ndarray) -> "filterpy_kalman.KalmanFilter":
    """SORT's filter for one track, set up as SORT publishes it (from filterpy's identity defaults)."""
    kf = filterpy_kalman.KalmanFilter(dim_x=7, dim_z=4)
    kf.F = np.eye(7)
    kf.F[0, 4] = kf.F[1, 5] = kf.F[2, 6] = 1.0
    kf.H = np.eye(4, 7)
    kf.R[2:, 2:] *= 10.0
    kf.P[4:, 4:] *= 1000.0
    kf.P *= 10.0
    kf.Q[-1, -1] *= 0.01
    kf.Q[4:, 4:] *= 0.01
    kf.x[:4, 0] = SortKalman().box_to_measurement(z[None])[0]
    return kf


def sort_filterpy_predict(kf) -> bool:
    """SORT's predict: zero the area velocity if the area would not stay positive. Returns whether it did."""
    zeroed = bool(kf.x[6, 0] + kf.x[2, 0] <= 0)
    if zeroed:
        kf.x[6] *= 0.0
    kf.predict()
    return zeroed


def test_sort_kalman_equals_filterpy_on_random_sequences():
    rng = np.random.default_rng(0)
    n_tracks, n_steps = 6, 40
    boxes = random_boxes(rng, n_tracks)
    model = SortKalman()
    mean, cov = model.initiate(boxes)
    reference = [sort_filterpy(b) for b in boxes]
    # Track 0 shrinks fast and then coasts, so its area velocity drives s + vs below 0 (SORT zeroes vs).
    zeroed_any = False
    for step in range(n_steps):
        zeroed_any |= any([sort_filterpy_predict(kf) for kf in reference])
        mean, cov = model.predict(mean, cov)
        rows = np.flatnonzero(rng.random(n_tracks) < 0.7)
        boxes = boxes + rng.normal(0, 3, boxes.shape) + np.array([2.0, 1.0, 3.0, 2.0])
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1.0)
        if step < 4:
            side = 60.0 / (1 + 10 * step)  # area 3600, 29.8, 8.2, 3.8
            boxes[0] = [200.0, 200.0, 200.0 + side, 200.0 + side]
            rows = np.union1d(rows, [0])
        else:
            rows = rows[rows != 0]
        for i in rows:
            reference[i].update(model.box_to_measurement(boxes[i][None])[0])
        mean[rows], cov[rows] = model.update(mean[rows], cov[rows], boxes[rows])
        np.testing.assert_allclose(mean, np.stack([kf.x[:, 0] for kf in reference]), **TOL)
        np.testing.assert_allclose(cov, np.stack([kf.P for kf in reference]), **TOL)
    assert zeroed_any, "the sequence must exercise SORT's area-velocity rule"


def test_sort_kalman_zeroes_area_velocity_only_when_area_would_vanish():
    model = SortKalman()
    mean, cov = model.initiate(np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]]))
    mean[:, 6] = [-100.0, -99.0]  # s = 100: s + vs = 0 (zeroed) and 1 (kept)
    predicted, _ = model.predict(mean, cov)
    assert predicted[:, 2].tolist() == [100.0, 1.0]  # 100 + 0 and 100 - 99
    assert predicted[:, 6].tolist() == [0.0, -99.0]
    assert mean[0, 6] == -100.0  # the input is not modified


def xyah_filterpy(model: XYAHKalman, z: np.ndarray):
    kf = filterpy_kalman.KalmanFilter(dim_x=8, dim_z=4)
    kf.F = model.F.copy()
    kf.H = model.H.copy()
    mean, cov = model.initiate(z[None])
    kf.x = mean[0][:, None].copy()
    kf.P = cov[0].copy()
    return kf


def test_xyah_kalman_equals_filterpy_with_height_scaled_noise():
    rng = np.random.default_rng(1)
    model = XYAHKalman()
    boxes = random_boxes(rng, 5)
    mean, cov = model.initiate(boxes)
    reference = [xyah_filterpy(model, b) for b in boxes]
    for _ in range(30):
        for kf in reference:
            h = kf.x[3, 0]  # DeepSORT: process noise from the height before prediction
            kf.Q = np.diag(np.square([h / 20, h / 20, 1e-2, h / 20, h / 160, h / 160, 1e-5, h / 160]))
            kf.predict()
        mean, cov = model.predict(mean, cov)
        rows = np.flatnonzero(rng.random(5) < 0.8)
        boxes = boxes + rng.normal(0, 2, boxes.shape)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1.0)
        for i in rows:
            h = reference[i].x[3, 0]  # measurement noise from the predicted height
            reference[i].R = np.diag(np.square([h / 20, h / 20, 1e-1, h / 20]))
            reference[i].update(model.box_to_measurement(boxes[i][None])[0])
        mean[rows], cov[rows] = model.update(mean[rows], cov[rows], boxes[rows])
        np.testing.assert_allclose(mean, np.stack([kf.x[:, 0] for kf in reference]), **TOL)
        np.testing.assert_allclose(cov, np.stack([kf.P for kf in reference]), **TOL)


def test_xyah_initial_covariance_by_hand():
    # h = 40: position std 2 * 40 / 20 = 4, velocity std 10 * 40 / 160 = 2.5; aspect 1e-2 and 1e-5.
    _, cov = XYAHKalman().initiate(np.array([[0.0, 0.0, 20.0, 40.0]]))
    np.testing.assert_allclose(np.diag(cov[0]), [16, 16, 1e-4, 16, 6.25, 6.25, 1e-10, 6.25])


@pytest.mark.parametrize("model", [SortKalman(), XYAHKalman()], ids=["sort", "xyah"])
def test_to_xyxy_inverts_initiate(model):
    boxes = random_boxes(np.random.default_rng(2), 20)
    mean, _ = model.initiate(boxes)
    np.testing.assert_allclose(model.to_xyxy(mean), boxes, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("model", [SortKalman(), XYAHKalman()], ids=["sort", "xyah"])
def test_empty_batches(model):
    mean, cov = model.initiate(np.zeros((0, 4)))
    assert mean.shape == (0, model.ndim_state) and cov.shape == (0, model.ndim_state, model.ndim_state)
    mean, cov = model.predict(mean, cov)
    mean, cov = model.update(mean, cov, np.zeros((0, 4)))
    assert mean.shape[0] == 0 and model.to_xyxy(mean).shape == (0, 4)
    assert model.gating_distance(mean, cov, np.zeros((3, 4))).shape == (0, 3)


def test_sort_state_has_no_box_for_negative_area():
    mean = np.array([[10.0, 10.0, -4.0, 1.0, 0, 0, 0]])
    assert not np.isfinite(SortKalman().to_xyxy(mean)).all()


def test_gating_distance_equals_explicit_inverse():
    rng = np.random.default_rng(3)
    model = XYAHKalman()
    mean, cov = model.predict(*model.initiate(random_boxes(rng, 4)))
    dets = random_boxes(rng, 7)
    got = model.gating_distance(mean, cov, dets)
    proj_mean, proj_cov = model.project(mean, cov)
    z = model.box_to_measurement(dets)
    expected = np.array([[(zj - m) @ np.linalg.inv(s) @ (zj - m) for zj in z] for m, s in zip(proj_mean, proj_cov)])
    assert got.shape == (4, 7)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_gating_distance_by_hand():
    # Identity covariance: the squared Euclidean distance, 3^2 + 4^2 = 25.
    assert gating_distance(np.zeros((1, 2)), np.eye(2)[None], np.array([[3.0, 4.0]])).tolist() == [[25.0]]


def test_chi2inv95_table():
    from scipy.stats import chi2

    assert sorted(CHI2INV95) == list(range(1, 10))
    for dof, value in CHI2INV95.items():
        assert value == pytest.approx(chi2.ppf(0.95, dof), rel=1e-12)


def test_registered_by_name():
    assert isinstance(roadtrack.build("motion", "sort"), SortKalman)
    assert isinstance(roadtrack.build("motion", "xyah"), XYAHKalman)
