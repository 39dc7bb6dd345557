"""Deep OC-SORT's dynamic appearance, adaptive weighting and observation warps, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association.deep_oc import (
    adaptive_weights, appearance_score, dynamic_appearance_alpha, dynamic_ema, warp_boxes,
)


# ---- dynamic appearance -------------------------------------------------------------------------------
def test_dynamic_appearance_alpha_by_hand():
    # det_thresh 0.6, alpha_f 0.95: trust = (s - 0.6) / 0.4; alpha = 0.95 + 0.05 * (1 - trust).
    got = dynamic_appearance_alpha(np.array([1.0, 0.9, 0.7, 0.6]), det_thresh=0.6, alpha_fixed=0.95)
    expected = [0.95 + 0.05 * (1 - 1.0), 0.95 + 0.05 * (1 - 0.75), 0.95 + 0.05 * (1 - 0.25), 0.95 + 0.05 * (1 - 0.0)]
    np.testing.assert_allclose(got, expected)
    assert got[-1] == pytest.approx(1.0)  # a detection at the threshold leaves the feature as it was


@pytest.mark.parametrize("kwargs, match", [
    (dict(det_thresh=1.0), "det_thresh must be < 1"),
    (dict(det_thresh=0.5, alpha_fixed=1.5), "alpha_fixed must lie in"),
])
def test_dynamic_appearance_alpha_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dynamic_appearance_alpha(np.array([0.9]), **kwargs)


def test_dynamic_ema_by_hand():
    old = np.array([[1.0, 0.0], [1.0, 0.0]])
    new = np.array([[0.0, 1.0], [0.0, 1.0]])
    got = dynamic_ema(old, new, np.array([0.75, 1.0]))
    # 0.75 * (1, 0) + 0.25 * (0, 1) = (0.75, 0.25), norm sqrt(0.625); alpha 1 keeps the old feature.
    n = np.sqrt(0.75**2 + 0.25**2)
    np.testing.assert_allclose(got, [[0.75 / n, 0.25 / n], [1.0, 0.0]], rtol=1e-6)
    assert got.dtype == np.float32
    with pytest.raises(ValueError, match="feature shapes differ"):
        dynamic_ema(old, new[:, :1], np.array([0.5, 0.5]))


# ---- adaptive weighting ---------------------------------------------------------------------------
def test_adaptive_weights_by_hand():
    sim = np.array([
        [0.9, 0.2, 0.1],
        [0.3, 0.5, 0.4],
    ])
    # Per track (rows, over 3 detections): gaps 0.9 - 0.2 = 0.7 -> capped 0.5; 0.5 - 0.4 = 0.1.
    # Per detection (columns, over 2 tracks): 0.9 - 0.3 = 0.6 -> 0.5; 0.5 - 0.2 = 0.3; 0.4 - 0.1 = 0.3.
    row = np.array([0.5, 0.1])
    col = np.array([0.5, 0.3, 0.3])
    expected = 0.75 + row[:, None] / 2 + col[None, :] / 2
    np.testing.assert_allclose(adaptive_weights(sim, 0.75, 0.5), expected)
    np.testing.assert_allclose(appearance_score(sim, 0.75, 0.5), expected * sim)
    np.testing.assert_allclose(appearance_score(sim, 0.75, 0.5, adaptive=False), 0.75 * sim)


def test_adaptive_weights_need_two_candidates_per_axis():
    # One track: no per-detection boost (a detection has one candidate); two detections: the row boost
    # min(0.8 - 0.6, 0.5) / 2 = 0.1 applies.
    np.testing.assert_allclose(adaptive_weights(np.array([[0.8, 0.6]]), 0.75, 0.5), [[0.85, 0.85]])
    np.testing.assert_allclose(adaptive_weights(np.array([[0.8]]), 0.75, 0.5), [[0.75]])
    assert adaptive_weights(np.zeros((0, 3)), 0.75, 0.5).shape == (0, 3)


def test_adaptive_weights_ignore_order_and_ties():
    sim = np.array([[0.2, 0.7, 0.7]])  # best equals second best: no boost
    np.testing.assert_allclose(adaptive_weights(sim, 0.5, 0.5), [[0.5, 0.5, 0.5]])
    with pytest.raises(ValueError, match="aw_param must be >= 0"):
        adaptive_weights(sim, 0.5, -0.1)


# ---- observation warps ------------------------------------------------------------------------------
def test_warp_boxes_by_hand():
    boxes = np.array([[10.0, 20.0, 30.0, 60.0]])
    shift = np.array([[1.0, 0.0, 5.0], [0.0, 1.0, -2.0]])
    np.testing.assert_allclose(warp_boxes(boxes, shift), [[15.0, 18.0, 35.0, 58.0]])
    zoom = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 1.0]])  # scale 2 about the origin, then down 1
    np.testing.assert_allclose(warp_boxes(boxes, zoom), [[20.0, 41.0, 60.0, 121.0]])
    history = np.stack([boxes, boxes + 1.0], axis=1)  # (N, K, 4) rings warp the same way
    np.testing.assert_allclose(warp_boxes(history, shift)[0, 1], [16.0, 19.0, 36.0, 59.0])
    with pytest.raises(ValueError, match=r"affine: expected shape \(2, 3\)"):
        warp_boxes(boxes, np.eye(3))
