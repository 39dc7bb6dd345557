"""BoostTrack / BoostTrack++ terms and boosts (roadtrack.association.boost) on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from roadtrack.association.boost import (
    CHI2INV99_4, association_similarity, boost_assignment, boost_scores, diagonal_mahalanobis, dlo_boost, duo_boost,
    mahalanobis_similarity, rich_similarity, shape_similarity, soft_boost, soft_buffered_iou, tracklet_confidence,
    varying_threshold_boost,
)


def test_tracklet_confidence_warms_up_then_decays_with_misses():
    conf = tracklet_confidence(age=[1, 7, 10], time_since_update=[1, 1, 3])
    # age 1 < 7: 0.9^(7-1); age 7, updated last frame: 0.9^0; age 10, two frames missed: 0.9^(3-1).
    assert conf == pytest.approx([0.9**6, 1.0, 0.9**2])


def test_diagonal_mahalanobis_divides_by_each_variance():
    d = diagonal_mahalanobis([[0.0, 0, 0, 0]], [[1.0, 4, 1, 1]], [[1.0, 2, 0, 0], [0.0, 0, 3, 0]])
    assert d == pytest.approx(np.array([[1**2 / 1 + 2**2 / 4, 3**2 / 1]]))
    assert diagonal_mahalanobis(np.zeros((2, 4)), np.ones((2, 4)), np.zeros((0, 4))).shape == (2, 0)
    with pytest.raises(ValueError, match="diagonal_mahalanobis"):
        diagonal_mahalanobis(np.zeros((1, 4)), np.ones((1, 3)), np.zeros((1, 4)))


def test_mahalanobis_similarity_is_a_softmax_over_detections_gated_at_the_limit():
    sim = mahalanobis_similarity(np.array([[0.0, CHI2INV99_4 - 1.0, 20.0]]))
    # a = limit - min(d, limit) = [13.2767, 1, 0]; the gated pair still adds exp(0) = 1 to the denominator.
    total = math.exp(CHI2INV99_4) + math.exp(1.0) + math.exp(0.0)
    assert sim[0] == pytest.approx([math.exp(CHI2INV99_4) / total, math.exp(1.0) / total, 0.0])
    # Softmax per track (row), not per detection: a second track does not change the first row.
    two = mahalanobis_similarity(np.array([[0.0, CHI2INV99_4 - 1.0, 20.0], [1.0, 1.0, 1.0]]))
    assert two[0] == pytest.approx(sim[0]) and two[1] == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match="temperature"):
        mahalanobis_similarity(np.zeros((1, 1)), temperature=0.0)


def test_shape_similarity_published_and_corrected():
    track, det = np.array([[0.0, 0, 10, 20]]), np.array([[0.0, 0, 20, 40]])
    # Widths 10 vs 20, heights 20 vs 40. Published: both differences over the larger width 20.
    assert shape_similarity(track, det)[0, 0] == pytest.approx(math.exp(-(10 / 20 + 20 / 20)))
    # Corrected: the height difference over the larger height 40.
    assert shape_similarity(track, det, corrected=True)[0, 0] == pytest.approx(math.exp(-(10 / 20 + 20 / 40)))
    assert shape_similarity(track, track)[0, 0] == 1.0


def test_soft_biou_buffers_grow_as_the_track_confidence_falls():
    tracks = np.array([[0.0, 0, 10, 10], [0.0, 0, 10, 10]])
    det = np.array([[12.0, 0, 22, 10]])  # 2 px right of the track: plain IoU 0
    sim = soft_buffered_iou(tracks, [0.6, 1.0], det)
    # Track 0, c = 0.6: track widened by (1-0.6)*0.5*10 = 2 px -> [-2,-2,12,12] (196 px^2); detection by
    # (1-0.6)*0.25*10 = 1 px -> [11,-1,23,11] (144). Intersection x 11..12, y -1..11: 1 * 12 = 12.
    assert sim[0, 0] == pytest.approx(12 / (196 + 144 - 12))
    assert sim[1, 0] == 0.0  # c = 1: no buffer, plain IoU
    with pytest.raises(ValueError, match="track_confidence"):
        soft_buffered_iou(tracks, [0.5], det)


def test_association_similarity_weights_iou_and_shape_by_confidence_above_the_gate():
    overlap = np.array([[0.5, 0.2]])
    mh, shape, emb = np.array([[0.6, 0.4]]), np.array([[0.9, 0.5]]), np.array([[0.5, 1.0]])
    sim = association_similarity(overlap, [0.8], [0.9, 0.9], 0.3, mh, shape)
    # C = 0.8 * 0.9 = 0.72, zeroed for the second pair (IoU 0.2 < 0.3).
    assert sim[0] == pytest.approx([0.5 + 0.5 * 0.72 * 0.5 + 0.25 * 0.6 + 0.25 * 0.72 * 0.9, 0.2 + 0.25 * 0.4])
    with_emb = association_similarity(overlap, [0.8], [0.9, 0.9], 0.3, mh, shape, emb)
    # lambda_emb = 1.5 * (1 + 0.5 + 0.25 + 0.25) = 3.
    assert with_emb[0] == pytest.approx(sim[0] + 3.0 * emb[0])
    with pytest.raises(ValueError, match="association_similarity"):
        association_similarity(overlap, [0.8, 0.7], [0.9, 0.9])


def test_boost_assignment_maximises_similarity_and_keeps_overlapping_pairs():
    # Pairs above 0.3 are not one-to-one; the total 0.8 + 0.85 beats 0.9 + 0.1.
    sim = np.array([[0.9, 0.8], [0.85, 0.1]])
    rows, cols = boost_assignment(sim, overlap=np.full((2, 2), 0.5), iou_threshold=0.3)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 1), (1, 0)]
    # IoU 0.2 < 0.3 drops the pair, unless appearance >= 0.75 and IoU >= 0.3 / 2.
    one, low = np.array([[0.9]]), np.array([[0.2]])
    assert boost_assignment(one, low, 0.3)[0].tolist() == []
    assert boost_assignment(one, low, 0.3, appearance=np.array([[0.8]]))[0].tolist() == [0]
    assert boost_assignment(one, np.array([[0.1]]), 0.3, appearance=np.array([[0.8]]))[0].tolist() == []
    assert boost_assignment(np.zeros((0, 3)), np.zeros((0, 3)))[0].shape == (0,)


def test_dlo_and_soft_boosts():
    assert dlo_boost([0.3, 0.5], [0.8, 0.2], 0.65) == pytest.approx([0.65 * 0.8, 0.5])
    # 0.65 * 0.4 + 0.35 * 0.81^1.5 = 0.26 + 0.35 * 0.729; a high score is never lowered.
    assert soft_boost([0.4, 0.9], [0.81, 0.1]) == pytest.approx([0.26 + 0.35 * 0.729, 0.9])


def test_varying_threshold_falls_with_missed_frames_down_to_its_floor():
    # Bars: tsu 1 -> 0.95; tsu 5 -> 0.95 - 4 * (0.15 / 20) = 0.92; tsu 40 -> max(0.95 - 39 * 0.0075, 0.8) = 0.8.
    sim = np.array([[0.0, 0.93, 0.0],
                    [0.93, 0.0, 0.0],
                    [0.0, 0.0, 0.81]])
    out = varying_threshold_boost([0.2, 0.2, 0.7], sim, time_since_update=[1, 5, 40], det_thresh=0.6)
    assert out == pytest.approx([0.6 + 1e-5, 0.2, 0.7])  # det 2 passes the bar but already scores higher


def test_duo_boost_lifts_far_low_score_detections_after_nms():
    xyxy = np.array([[0.0, 0, 10, 10], [1.0, 0, 11, 10], [50.0, 50, 60, 60], [100.0, 0, 110, 10], [200.0, 0, 210, 10]])
    scores = [0.4, 0.5, 0.3, 0.3, 0.7]
    nearest = [20.0, 20.0, 20.0, 5.0, 20.0]  # detection 3 lies near a track (5 < 13.2767)
    out = duo_boost(scores, nearest, xyxy, det_thresh=0.6)
    # 0 and 1 overlap (IoU 90/110 > 0.3): only the higher, 1, is lifted; 2 is alone; 4 already scores >= 0.6.
    assert out == pytest.approx([0.4, 0.6 + 1e-4, 0.6 + 1e-4, 0.3, 0.7])


def test_rich_similarity_is_the_mean():
    assert rich_similarity([[0.3]], [[0.6]], [[0.9]]) == pytest.approx(np.array([[0.6]]))


def test_boost_scores_order_and_no_tracks():
    det = np.array([[0.0, 0, 10, 10], [100.0, 0, 110, 10]])
    no_tracks = boost_scores([0.3, 0.2], det, np.zeros((0, 4)), [], [], np.zeros((0, 2)), det_thresh=0.6)
    assert no_tracks == pytest.approx([0.3, 0.2])
    # BoostTrack (no ++ parts): det 0 has IoU 0.8 with the track -> max(0.3, 0.65 * 0.8); det 1 is far from
    # it (distance 100 > limit) and alone -> DUO lifts it to 0.6 + 1e-4.
    track = np.array([[0.0, 0, 10, 8]])  # IoU with det 0 = 80 / 100
    out = boost_scores([0.3, 0.2], det, track, [1.0], [1], np.array([[1.0, 100.0]]), det_thresh=0.6,
                       use_rich_s=False, use_sb=False, use_vt=False)
    assert out == pytest.approx([0.65 * 0.8, 0.6 + 1e-4])
    # DUO runs on DLO's output: det 0 boosted above 0.6 by DLO is no longer a DUO candidate.
    out = boost_scores([0.3], det[:1], track, [1.0], [1], np.array([[100.0]]), det_thresh=0.5, dlo_boost_coef=1.0,
                       use_rich_s=False, use_sb=False, use_vt=False)
    assert out == pytest.approx([0.8])
