"""BoT-SORT's (x, y, w, h) filter, NSA noise, camera-motion warps and OC-SORT's re-update."""

from __future__ import annotations

import filterpy.kalman as filterpy_kalman
import numpy as np
import pytest

import roadtrack
from roadtrack.kalman import SortKalman, XYAHKalman, XYWHKalman, observation_centric_reupdate

TOL = dict(rtol=1e-9, atol=1e-9)


def random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.uniform(0, 500, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(5, 150, (n, 2))], axis=1)


def xywh_std(w: float, h: float, weight: float) -> list[float]:
    return [weight * w, weight * h, weight * w, weight * h]


@pytest.mark.parametrize("nsa", [False, True], ids=["plain", "nsa"])
def test_xywh_kalman_equals_filterpy(nsa):
    rng = np.random.default_rng(4)
    model = XYWHKalman(nsa=nsa)
    boxes = random_boxes(rng, 5)
    mean, cov = model.initiate(boxes)
    reference = []
    for b in boxes:
        kf = filterpy_kalman.KalmanFilter(dim_x=8, dim_z=4)
        kf.F, kf.H = model.F.copy(), model.H.copy()
        w, h = b[2] - b[0], b[3] - b[1]
        kf.x = np.array([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, w, h, 0, 0, 0, 0]]).T
        # BoT-SORT: initial deviations 2/20 of the size for positions, 10/160 for velocities.
        kf.P = np.diag(np.square(xywh_std(w, h, 2 / 20) + xywh_std(w, h, 10 / 160)))
        reference.append(kf)
    np.testing.assert_allclose(cov, np.stack([kf.P for kf in reference]), **TOL)
    for _ in range(25):
        for kf in reference:
            w, h = kf.x[2, 0], kf.x[3, 0]
            kf.Q = np.diag(np.square(xywh_std(w, h, 1 / 20) + xywh_std(w, h, 1 / 160)))
            kf.predict()
        mean, cov = model.predict(mean, cov)
        rows = np.flatnonzero(rng.random(5) < 0.8)
        boxes = boxes + rng.normal(0, 2, boxes.shape)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1.0)
        scores = rng.uniform(0.3, 0.99, 5)
        for i in rows:
            w, h = reference[i].x[2, 0], reference[i].x[3, 0]
            scale = (1 - scores[i]) ** 2 if nsa else 1.0  # NSA: R scaled by (1 - score)^2
            reference[i].R = scale * np.diag(np.square(xywh_std(w, h, 1 / 20)))
            reference[i].update(model.box_to_measurement(boxes[i][None])[0])
        mean[rows], cov[rows] = model.update(mean[rows], cov[rows], boxes[rows], scores[rows])
        np.testing.assert_allclose(mean, np.stack([kf.x[:, 0] for kf in reference]), **TOL)
        np.testing.assert_allclose(cov, np.stack([kf.P for kf in reference]), **TOL)


def test_nsa_trusts_confident_detections_more():
    model = XYAHKalman(nsa=True)
    mean, cov = model.predict(*model.initiate(np.array([[0.0, 0.0, 20.0, 40.0]] * 2)))
    z = np.array([[10.0, 0.0, 30.0, 40.0]] * 2)  # 10 px to the right
    new, _ = model.update(mean, cov, z, scores=np.array([0.95, 0.3]))
    assert new[0, 0] > new[1, 0] > 10.0  # both move right; the confident one further
    plain, _ = XYAHKalman().update(mean, cov, z)
    np.testing.assert_allclose(XYAHKalman(nsa=True).update(mean, cov, z)[0], plain)  # no scores: no scaling


def test_warp_translation_moves_only_the_centre():
    for model in (SortKalman(), XYAHKalman(), XYWHKalman()):
        box = np.array([[100.0, 50.0, 140.0, 130.0]])
        mean, cov = model.predict(*model.initiate(box))
        warped, wcov = model.warp(mean, cov, np.array([[1.0, 0.0, 7.0], [0.0, 1.0, -3.0]]))
        np.testing.assert_allclose(model.to_xyxy(warped), box + [7, -3, 7, -3], atol=1e-9)
        np.testing.assert_allclose(wcov, cov)


def test_warp_matrices_by_hand():
    # Rotation by 90 degrees and scale 2: linear part [[0, -2], [2, 0]], det 4.
    lin = np.array([[0.0, -2.0], [2.0, 0.0]])
    m = XYWHKalman().warp_matrix(lin)
    np.testing.assert_allclose(m, np.kron(np.eye(4), lin))  # BoT-SORT: every (x, y) pair by the same matrix
    s = SortKalman().warp_matrix(lin)
    assert s[2, 2] == 4.0 and s[6, 6] == 4.0 and s[3, 3] == 1.0  # area x det, aspect fixed
    a = XYAHKalman().warp_matrix(lin)
    assert a[3, 3] == 2.0 and a[7, 7] == 2.0 and a[2, 2] == 1.0  # height x sqrt(det)
    np.testing.assert_allclose(a[:2, :2], lin)
    np.testing.assert_allclose(a[4:6, 4:6], lin)


def test_freeze_size_zeroes_size_velocities_of_selected_rows():
    mean = np.ones((3, 8))
    frozen = XYWHKalman().freeze_size(mean, np.array([False, True, False]))
    assert frozen[1, 6:].tolist() == [0.0, 0.0] and frozen[0, 6:].tolist() == [1.0, 1.0]
    assert mean[1, 6] == 1.0  # input untouched
    assert XYAHKalman().freeze_size(mean, np.array([True, False, False]))[0].tolist() == [1] * 7 + [0]


def run_single_oru(model, saved_mean, saved_cov, last, new, gap):
    """The re-update written out step by step for one track, as OC-SORT's ``unfreeze`` does it."""
    m, c = saved_mean[None], saved_cov[None]
    (lx, ly), (nx, ny) = (last[:2] + last[2:]) / 2, (new[:2] + new[2:]) / 2
    lw, lh, nw, nh = last[2] - last[0], last[3] - last[1], new[2] - new[0], new[3] - new[1]
    for k in range(1, gap + 1):
        f = k / gap
        cx, cy, w, h = lx + f * (nx - lx), ly + f * (ny - ly), lw + f * (nw - lw), lh + f * (nh - lh)
        m, c = model.update(m, c, np.array([[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]]))
        if k < gap:
            m, c = model.predict(m, c)
    return m[0], c[0]


def test_observation_centric_reupdate_batched_equals_step_by_step():
    model = SortKalman()
    rng = np.random.default_rng(5)
    last = random_boxes(rng, 4)
    new = last + rng.normal(0, 20, last.shape)
    new[:, 2:] = np.maximum(new[:, 2:], new[:, :2] + 5)
    saved_mean, saved_cov = model.predict(*model.initiate(last))
    gaps = np.array([1, 2, 5, 3])
    mean, cov = observation_centric_reupdate(model, saved_mean, saved_cov, last, new, gaps)
    for i, gap in enumerate(gaps):
        m, c = run_single_oru(model, saved_mean[i], saved_cov[i], last[i], new[i], int(gap))
        np.testing.assert_allclose(mean[i], m, **TOL)
        np.testing.assert_allclose(cov[i], c, **TOL)


def test_reupdate_learns_the_velocity_over_the_gap():
    # An object moving 4 px/frame right is lost for 4 frames: the filter's velocity stayed 0 while it coasted;
    # the re-update along 5 virtual steps of 4 px recovers a velocity close to 4.
    model = SortKalman()
    box = np.array([[0.0, 0.0, 20.0, 40.0]])
    saved = model.predict(*model.initiate(box))
    mean, _ = observation_centric_reupdate(model, *saved, box, box + [20, 0, 20, 0], np.array([5]))
    assert 2.0 < mean[0, 4] <= 4.5 and abs(mean[0, 5]) < 1e-6
    with pytest.raises(ValueError, match="gaps must be >= 1"):
        observation_centric_reupdate(model, *saved, box, box, np.array([0]))


def test_xywh_registered_and_round_trips():
    assert isinstance(roadtrack.build("motion", "xywh"), XYWHKalman)
    boxes = random_boxes(np.random.default_rng(6), 10)
    model = XYWHKalman()
    np.testing.assert_allclose(model.to_xyxy(model.initiate(boxes)[0]), boxes, atol=1e-9)


@pytest.mark.parametrize("model", [SortKalman(), XYAHKalman(), XYWHKalman()], ids=["sort", "xyah", "xywh"])
def test_covariance_stays_symmetric_positive_definite_under_camera_warps(model):
    # Regression: an expanded (non-Joseph) update amplified the rounding asymmetry of M P M^T until the
    # covariance diverged within ~100 warped frames.
    rng = np.random.default_rng(7)
    box = np.array([[500.0, 150.0, 530.0, 230.0]])
    mean, cov = model.initiate(box)
    for k in range(1, 400):
        angle = rng.normal(0, 2e-4)
        scale = 1 + rng.normal(0, 5e-4)
        warp = np.array([[scale * np.cos(angle), -scale * np.sin(angle), rng.normal(0, 0.3)],
                         [scale * np.sin(angle), scale * np.cos(angle), rng.normal(0, 0.3)]])
        mean, cov = model.predict(mean, cov)
        mean, cov = model.warp(mean, cov, warp)
        mean, cov = model.update(mean, cov, box - [5 * k, 0, 5 * k, 0] + rng.normal(0, 1, 4))
    assert np.abs(cov - np.swapaxes(cov, 1, 2)).max() < 1e-9
    assert np.linalg.eigvalsh(cov[0]).min() > 0
    assert abs(mean[0, model.ndim_meas] + 5.0) < 0.5  # still tracks the -5 px/frame motion
