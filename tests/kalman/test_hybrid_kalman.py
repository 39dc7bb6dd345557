"""Hybrid-SORT's confidence-augmented filter: the confidence by hand, the box block equals SORT's, filterpy parity."""

from __future__ import annotations

import filterpy.kalman as filterpy_kalman
import numpy as np
import pytest

from roadtrack.kalman import SortKalman
from roadtrack.kalman.hybrid import HybridSortKalman

TOL = dict(rtol=1e-9, atol=1e-9)


def test_initiate_by_hand():
    kf = HybridSortKalman()
    mean, cov = kf.initiate(np.array([[0.0, 0.0, 10.0, 20.0]]), scores=np.array([0.8]))
    # cx 5, cy 10, area 200, confidence 0.8, aspect 10/20; velocities 0.
    np.testing.assert_allclose(mean[0], [5.0, 10.0, 200.0, 0.8, 0.5, 0, 0, 0, 0])
    np.testing.assert_allclose(np.diag(cov[0]), [10] * 5 + [10 * 1000] * 4)
    np.testing.assert_allclose(kf.to_xyxy(mean), [[0.0, 0.0, 10.0, 20.0]])


def test_confidence_predict_and_update_by_hand():
    kf = HybridSortKalman()
    box = np.array([[0.0, 0.0, 10.0, 20.0]])
    mean, cov = kf.predict(*kf.initiate(box, scores=np.array([0.8])))
    # Predict: c' = c + vc = 0.8; var(c') = P_cc + P_vv + Q_cc = 10 + 10000 + 1; cov(c', vc') = P_vv = 10000;
    # var(vc') = 10000 + Q_vv (1e-4).
    assert mean[0, 3] == pytest.approx(0.8)
    p_cc, p_cv, p_vv = 10 + 10_000 + 1, 10_000, 10_000 + 1e-4
    np.testing.assert_allclose(cov[0][np.ix_([3, 8], [3, 8])], [[p_cc, p_cv], [p_cv, p_vv]])
    # Update with score 0.5 (R_cc = 10): innovation -0.3, S = p_cc + 10, gains p_cc / S and p_cv / S.
    mean, cov = kf.update(mean, cov, box, scores=np.array([0.5]))
    s = p_cc + 10
    assert mean[0, 3] == pytest.approx(0.8 + p_cc / s * (0.5 - 0.8))
    assert mean[0, 8] == pytest.approx(0.0 + p_cv / s * (0.5 - 0.8))
    assert kf.confidence(mean)[0] == pytest.approx(0.8 - 0.3 * 10_011 / 10_021)
    # The next prediction extrapolates the falling confidence.
    predicted, _ = kf.predict(mean, cov)
    assert predicted[0, 3] == pytest.approx(mean[0, 3] + mean[0, 8]) and predicted[0, 3] < mean[0, 3]


def test_box_block_evolves_exactly_as_sort():
    rng = np.random.default_rng(7)
    hybrid, sort = HybridSortKalman(), SortKalman()
    box_rows = [0, 1, 2, 4, 5, 6, 7]  # cx, cy, s, r, vcx, vcy, vs in the hybrid layout = SORT's order
    boxes = np.array([[10.0, 20.0, 40.0, 100.0], [200.0, 50.0, 230.0, 120.0]])
    mh, ch = hybrid.initiate(boxes, scores=np.array([0.9, 0.7]))
    ms, cs = sort.initiate(boxes)
    for _ in range(6):
        mh, ch = hybrid.predict(mh, ch)
        ms, cs = sort.predict(ms, cs)
        boxes = boxes + rng.uniform(-3, 6, boxes.shape)
        mh, ch = hybrid.update(mh, ch, boxes, scores=rng.uniform(0.3, 1.0, 2))
        ms, cs = sort.update(ms, cs, boxes)
        np.testing.assert_allclose(mh[:, box_rows], ms, **TOL)
        np.testing.assert_allclose(ch[np.ix_(range(2), box_rows, box_rows)], cs, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(hybrid.to_xyxy(mh), sort.to_xyxy(ms), **TOL)


def reference_filter(z: np.ndarray) -> filterpy_kalman.KalmanFilter:
    """Hybrid-SORT's filter as its reference code builds it (hybrid_sort.py, KalmanBoxTracker.__init__)."""
    f = filterpy_kalman.KalmanFilter(dim_x=9, dim_z=5)
    f.F = np.eye(9)
    f.F[[0, 1, 2, 3], [5, 6, 7, 8]] = 1.0
    f.H = np.eye(5, 9)
    f.R[2:, 2:] *= 10.0
    f.P[5:, 5:] *= 1000.0
    f.P *= 10.0
    f.Q[-1, -1] *= 0.01
    f.Q[-2, -2] *= 0.01
    f.Q[5:, 5:] *= 0.01
    f.x[:5, 0] = z
    return f


def measurement(box: np.ndarray, score: float) -> np.ndarray:
    w, h = box[2] - box[0], box[3] - box[1]
    return np.array([box[0] + w / 2, box[1] + h / 2, w * h, score, w / h])


def test_equals_filterpy_with_the_reference_matrices():
    rng = np.random.default_rng(3)
    kf = HybridSortKalman()
    box, score = np.array([100.0, 50.0, 140.0, 150.0]), 0.85
    mean, cov = kf.initiate(box[None], scores=np.array([score]))
    ref = reference_filter(measurement(box, score))
    for _ in range(5):
        mean, cov = kf.predict(mean, cov)
        ref.predict()
        np.testing.assert_allclose(mean[0], ref.x[:, 0], **TOL)
        box = box + rng.uniform(-4, 4, 4)
        score = float(rng.uniform(0.4, 1.0))
        mean, cov = kf.update(mean, cov, box[None], scores=np.array([score]))
        ref.update(measurement(box, score))
        np.testing.assert_allclose(mean[0], ref.x[:, 0], **TOL)
        np.testing.assert_allclose(cov[0], ref.P, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda kf: kf.initiate(np.zeros((1, 4))), "initiate needs the detections' scores"),
    (lambda kf: kf.update(np.zeros((1, 9)), np.eye(9)[None], np.zeros((1, 4))), "update needs the detections' scores"),
    (lambda kf: kf.initiate(np.zeros((2, 4)) + [0, 0, 1, 1], scores=np.array([0.5])), "scores: expected 2 values"),
    (lambda kf: kf.box_to_measurement(np.zeros((1, 4))), "measures boxes with their detection scores"),
])
def test_scores_are_required(call, match):
    with pytest.raises(ValueError, match=match):
        call(HybridSortKalman())


def test_with_scores_leaves_the_model_unbound():
    kf = HybridSortKalman()
    kf.initiate(np.array([[0.0, 0.0, 10.0, 10.0]]), scores=np.array([0.9]))
    assert kf._scores is None  # the scores lived on a per-call copy


def test_warp_keeps_confidence_and_scales_area():
    kf = HybridSortKalman()
    mean, cov = kf.initiate(np.array([[0.0, 0.0, 10.0, 20.0]]), scores=np.array([0.8]))
    zoom = np.array([[2.0, 0.0, 3.0], [0.0, 2.0, 0.0]])  # scale 2, then right 3
    warped, _ = kf.warp(mean, cov, zoom)
    np.testing.assert_allclose(warped[0, :5], [2 * 5 + 3, 2 * 10, 4 * 200, 0.8, 0.5])
