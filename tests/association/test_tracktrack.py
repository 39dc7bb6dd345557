"""TrackTrack's costs, iterative assignment and track-aware initialization on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association import solve
from roadtrack.association.tracktrack import (
    HIGH, LOW, RECOVERED, angle_distance, corner_directions, corner_velocity, hmiou, iterative_assignment,
    projected_score_distance, recovered_detections, score_adaptive_ema, tpa_cost, track_aware_init,
)

BOX = np.array([[0.0, 0.0, 10.0, 10.0]])
EPS = 1e-5  # the reference's corner-norm epsilon


def test_hmiou_by_hand():
    b = np.array([[0.0, 5.0, 10.0, 15.0], [5.0, 0.0, 15.0, 10.0], [20.0, 0.0, 30.0, 10.0]])
    overlap, hm = hmiou(BOX, b)
    # b0: IoU 50 / 150, heights overlap 5 of 15. b1: IoU 50 / 150, same rows. b2: disjoint.
    np.testing.assert_allclose(overlap, [[1 / 3, 1 / 3, 0.0]])
    np.testing.assert_allclose(hm, [[1 / 3 * 5 / 15, 1 / 3 * 10 / 10, 0.0]])
    assert hmiou(np.zeros((0, 4)), b)[1].shape == (0, 3)


def test_projected_score_distance_by_hand():
    # Track scores 0.8 after 0.6: projected 0.8 + 0.2 = 1.0. A single observation: 0.5 + 0 = 0.5.
    got = projected_score_distance(np.array([0.8, 0.5]), np.array([0.6, 0.5]), np.array([0.9, 0.5]))
    np.testing.assert_allclose(got, [[0.1, 0.5], [0.4, 0.0]])


def test_corner_velocity_by_hand():
    # Moving right 2 px per frame: every corner's unit direction is (2 / (2 + eps), 0) etc., weights 1, 1/2, 1/3.
    current = np.array([[6.0, 0.0, 16.0, 10.0]])
    history = np.array([[[4.0, 0.0, 14.0, 10.0], [2.0, 0.0, 12.0, 10.0], [0.0, 0.0, 10.0, 10.0]]])
    v = corner_velocity(current, history)
    speed = (2 / (2 + EPS) + 4 / (4 + EPS) / 2 + 6 / (6 + EPS) / 3) / 3
    np.testing.assert_allclose(v[0], [[speed, 0.0]] * 4)
    # Frame t-2 unobserved: the reference falls back to the current box, a zero term.
    history[0, 1] = current[0]
    speed = (2 / (2 + EPS) + 6 / (6 + EPS) / 3) / 3
    np.testing.assert_allclose(corner_velocity(current, history)[0], [[speed, 0.0]] * 4)


def test_corner_directions_follow_each_corner():
    # The box grows by 3 px at the right and 4 px at the bottom: right corners move, left-top stays.
    d = corner_directions(BOX, np.array([[0.0, 0.0, 13.0, 14.0]]))[0, 0]
    np.testing.assert_allclose(
        d, [[0.0, 0.0], [0.0, 4 / (4 + EPS)], [3 / (3 + EPS), 0.0], [3 / (5 + EPS), 4 / (5 + EPS)]])


def test_angle_distance_by_hand():
    velocity = np.array([[[1.0, 0.0]] * 4])  # moving right
    dets = np.array([[10.0, 0.0, 20.0, 10.0], [0.0, -10.0, 10.0, 0.0], [-10.0, 0.0, 0.0, 10.0]])
    got = angle_distance(velocity, BOX, dets, np.array([1.0, 0.8, 0.5]))
    ahead = np.arccos(10 / (10 + EPS)) / np.pi  # ~0: straight ahead
    np.testing.assert_allclose(got, [[ahead * 1.0, 0.5 * 0.8, (1 - ahead) * 0.5]], atol=1e-12)


def test_tpa_cost_by_hand():
    overlap = np.array([[0.5, 0.05, 0.5, 0.5]])
    hm = np.array([[0.4, 0.05, 0.3, 0.3]])
    conf = np.array([[0.1, 0.0, 0.2, 0.2]])
    angle = np.array([[0.2, 0.0, 0.4, 0.4]])
    groups = np.array([HIGH, HIGH, LOW, RECOVERED])
    # Without appearance: (1 - hm) + 0.1 conf + 0.05 angle (+ 0.2 low, + 0.4 recovered); IoU <= 0.1 -> 1; clip.
    np.testing.assert_allclose(tpa_cost(overlap, hm, conf, angle, groups),
                               [[0.6 + 0.01 + 0.01, 1.0, 0.7 + 0.02 + 0.02 + 0.2, min(0.7 + 0.02 + 0.02 + 0.4, 1.0)]])
    # With appearance: 0.5 (1 - hm) + 0.5 cosine; a missing feature (NaN) falls back to the box term.
    app = np.array([[0.2, 0.1, np.nan, 0.0]])
    np.testing.assert_allclose(tpa_cost(overlap, hm, conf, angle, groups, appearance=app),
                               [[0.5 * 0.6 + 0.5 * 0.2 + 0.02, 1.0, 0.7 + 0.04 + 0.2, 0.35 + 0.04 + 0.4]])
    with pytest.raises(ValueError, match="det_groups"):
        tpa_cost(overlap, hm, conf, angle, groups[:2])


def test_iterative_assignment_is_not_hungarian():
    cost = np.array([[0.1, 0.2], [0.15, 0.6]])
    # Round 0 (< 0.7): (0, 0) are each other's nearest; row 1's nearest is column 0, whose nearest is row 0.
    # Round 1 (< 0.65): (1, 1) at 0.6. Total 0.7, where the least-cost assignment pays 0.2 + 0.15.
    rows, cols = iterative_assignment(cost, 0.7, 0.05)
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    hungarian = solve(cost, max_cost=0.7)
    assert hungarian.rows.tolist() == [0, 1] and hungarian.cols.tolist() == [1, 0]


def test_iterative_assignment_threshold_shrinks_and_stops():
    # Round 1's threshold is 0.7 - 0.05 = 0.65, so 0.66 is not matched; a round without a match ends it.
    rows, cols = iterative_assignment(np.array([[0.1, 0.2], [0.15, 0.66]]), 0.7, 0.05)
    assert rows.tolist() == [0] and cols.tolist() == [0]
    # Both mutual pairs of one round are taken together.
    rows, cols = iterative_assignment(np.array([[0.1, 0.9], [0.9, 0.68]]), 0.7, 0.05)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 0), (1, 1)]
    assert iterative_assignment(np.zeros((0, 3)), 0.7)[0].size == 0


def test_track_aware_init_by_hand():
    tracks = BOX
    dets = np.array([
        [1.0, 0.0, 11.0, 10.0],      # IoU with the track 90 / 110 = 0.82 > 0.55: blocked
        [100.0, 0.0, 110.0, 10.0],   # alone: starts a track
        [101.0, 0.0, 111.0, 10.0],   # IoU 0.82 with the stronger detection above: suppressed
        [200.0, 0.0, 210.0, 10.0],   # score 0.6 <= init_thresh 0.7
    ])
    keep = track_aware_init(tracks, dets, np.array([0.95, 0.9, 0.8, 0.6]), tai_thresh=0.55, init_thresh=0.7)
    assert keep.tolist() == [False, True, False, False]


def test_track_aware_init_suppressed_detections_do_not_suppress():
    # A > B > C by score; IoU(A, B) = IoU(B, C) = 80 / 120 = 0.67 > 0.55, IoU(A, C) = 60 / 140 = 0.43: B goes, C stays.
    dets = np.array([[0.0, 0.0, 10.0, 10.0], [2.0, 0.0, 12.0, 10.0], [4.0, 0.0, 14.0, 10.0]])
    keep = track_aware_init(np.zeros((0, 4)), dets[::-1], np.array([0.8, 0.85, 0.9]), 0.55, 0.7)
    assert keep.tolist() == [True, False, True]


def test_recovered_detections_by_hand():
    # The first loose box has IoU 100 / 102 = 0.98 >= 0.97 with a kept one: a duplicate.
    loose = np.array([[0.0, 0.0, 10.0, 10.2], [20.0, 0.0, 30.0, 10.0]])
    assert recovered_detections(BOX, loose).tolist() == [False, True]
    assert recovered_detections(np.zeros((0, 4)), loose).tolist() == [True, True]


def test_score_adaptive_ema_by_hand():
    track = np.array([[1.0, 0.0], [1.0, 0.0]], np.float32)
    det = np.array([[0.0, 1.0], [0.0, 1.0]], np.float32)
    # Score 1: beta = 0.95 -> (0.95, 0.05) normalised. Score 0: beta = 1, the detection is ignored.
    got = score_adaptive_ema(track, det, np.array([1.0, 0.0]))
    np.testing.assert_allclose(got, [np.array([0.95, 0.05]) / np.hypot(0.95, 0.05), [1.0, 0.0]], rtol=1e-6)


# ---- the TPA associator ----------------------------------------------------------------------------------------
def test_tpa_associator_on_bare_boxes_and_empty_inputs():
    import roadtrack
    from roadtrack import Detections

    assoc = roadtrack.build("associator", "tpa")
    assert assoc.associate(np.zeros((0, 4)), np.zeros(0, np.int64), Detections.empty()).rows.size == 0
    # A view of bare boxes: confirmed tracks, scores taken as 1 (score term |2 - 1 - 0.9| = 0.1), zero velocity.
    # Track 0 and detection 0 coincide: cost 0 + 0.1 * 0.1 + 0.05 * 0.5 * 0.9 = 0.0325; track 1 overlaps
    # nothing (IoU <= 0.1: cost 1) and stays free; the 0.05 detection is below low_thresh and never matched.
    m = assoc.associate(np.array([[0.0, 0, 10, 20], [50, 0, 60, 20]]), np.zeros(2, np.int64),
                        Detections([[0, 0, 10, 20], [1, 0, 11, 20]], scores=[0.9, 0.05]))
    assert m.rows.tolist() == [0] and m.cols.tolist() == [0] and m.unmatched_cols.tolist() == [1]


def test_tpa_associator_class_gate_and_bad_options():
    import pytest

    import roadtrack
    from roadtrack import Detections
    from roadtrack.association.tracktrack import TPAAssociator

    box = np.array([[0.0, 0, 10, 20]])
    other_class = Detections(box, scores=[0.9], class_ids=[1])
    assert TPAAssociator().associate(box, np.zeros(1, np.int64), other_class).rows.size == 0
    assert TPAAssociator(class_aware=False).associate(box, np.zeros(1, np.int64), other_class).rows.size == 1
    with pytest.raises(ValueError, match="low_thresh"):
        roadtrack.build("associator", "tpa", low_thresh=0.9, high_thresh=0.5)
