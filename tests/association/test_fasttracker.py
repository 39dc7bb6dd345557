"""FastTracker's occlusion handling, spawn suppression and road-structure geometry on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association.fasttracker import (
    clamp_to_cone, closest_point_on_polygon, cone_axis_and_angle, coverage, init_suppression, occluded_by,
    occlusion_rollback, points_in_polygon,
)

BOX = np.array([[0.0, 0.0, 10.0, 10.0]])
SQUARE = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]])


def test_coverage_and_occlusion_by_hand():
    occluders = np.array([[2.0, 0.0, 12.0, 10.0], [4.0, 0.0, 14.0, 10.0], [0.0, 0.0, 20.0, 20.0]])
    # 80 / 100, 60 / 100 of the track's area; the big box covers all of it (but only 100 / 400 of itself).
    np.testing.assert_allclose(coverage(BOX, occluders), [[0.8, 0.6, 1.0]])
    np.testing.assert_allclose(coverage(occluders[2:], BOX), [[0.25]])
    assert occluded_by(BOX, occluders[:2]).tolist() == [True]   # 0.8 > 0.7
    assert occluded_by(BOX, occluders[1:2]).tolist() == [False]  # 0.6
    assert occluded_by(BOX, occluders[:1], same_track=np.array([[True]])).tolist() == [False]
    assert occluded_by(BOX, np.zeros((0, 4))).tolist() == [False]


def test_occlusion_rollback_by_hand():
    # xyah state (cx, cy, a, h, vcx, vcy, va, vh); five stored posteriors, newest last.
    mean = np.array([[100.0, 50.0, 0.5, 40.0, 3.0, 1.0, 0.0, 2.0]])
    history = np.arange(5 * 8, dtype=float).reshape(1, 5, 8)  # row k holds 8k .. 8k + 7
    got = occlusion_rollback(mean, history, np.array([5]), velocity_offset=5, position_offset=3, enlarge=1.1,
                             dampen=0.5)
    # Position from the 3rd most recent (row 2: 16..19), height x 1.1; velocity from the 5th (row 0: 4..7) x 0.5.
    np.testing.assert_allclose(got, [[16.0, 17.0, 18.0, 19.0 * 1.1, 4 * 0.5, 5 * 0.5, 6 * 0.5, 7 * 0.5]])
    # Only three stored: the velocity is the current one, damped.
    got = occlusion_rollback(mean, history, np.array([3]), 5, 3, 1.1, 0.5)
    np.testing.assert_allclose(got, [[16.0, 17.0, 18.0, 19.0 * 1.1, 1.5, 0.5, 0.0, 1.0]])


def test_init_suppression_by_hand():
    active = BOX
    dets = np.array([[0.0, 0.0, 10.0, 12.5], [50.0, 0.0, 60.0, 10.0], [50.0, 0.0, 60.0, 11.0]])
    # IoU with the track: 100 / 125 = 0.8 -> suppressed at 0.7, kept at 0.81; the others do not touch it.
    assert init_suppression(dets, active, 0.7).tolist() == [False, True, True]
    assert init_suppression(dets, active, 0.81).tolist() == [True, True, True]
    # Ultralytics also suppresses a later detection overlapping an accepted one (IoU 100 / 110).
    assert init_suppression(dets, active, 0.7, sequential=True).tolist() == [False, True, False]
    assert init_suppression(dets, np.zeros((0, 4))).tolist() == [True, True, True]


def test_points_in_polygon_and_closest_boundary_point():
    assert points_in_polygon(np.array([[1.0, 1.0], [5.0, 2.0], [-1.0, 1.0], [2.0, 3.9]]), SQUARE).tolist() == [
        True, False, False, True]
    got = closest_point_on_polygon(np.array([[5.0, 2.0], [2.0, -3.0], [6.0, 7.0]]), SQUARE)
    np.testing.assert_allclose(got, [[4.0, 2.0], [2.0, 0.0], [4.0, 4.0]], atol=1e-6)
    with pytest.raises(ValueError, match="polygon"):
        points_in_polygon(np.zeros((1, 2)), SQUARE[:2])


def test_cone_of_a_symmetric_lane_by_hand():
    # Entry edge E1 (0, 0) - E2 (2, 0), exit edge O2 (3, 10) - O1 (-1, 10): v1 = unit(3, 10), v2 = unit(-3, 10).
    axis, angle = cone_axis_and_angle(np.array([[0.0, 0.0], [2.0, 0.0], [3.0, 10.0], [-1.0, 10.0]]))
    np.testing.assert_allclose(axis, [0.0, 1.0], atol=1e-9)
    assert angle == pytest.approx(np.degrees(np.arccos((100 - 9) / 109)))


def test_clamp_to_cone_by_hand():
    # A 90 degree cone around +y: (10, 0) is 90 degrees off -> rotated onto the 45 degree edge, length kept;
    # (0, 10) is inside; (1, 1) moved less than 3 px.
    got = clamp_to_cone(np.zeros((3, 2)), np.array([[10.0, 0.0], [0.0, 10.0], [1.0, 1.0]]), np.array([0.0, 1.0]), 90.0)
    np.testing.assert_allclose(got, [[10 / np.sqrt(2), 10 / np.sqrt(2)], [0.0, 10.0], [1.0, 1.0]], atol=1e-9)
    left = clamp_to_cone(np.zeros((1, 2)), np.array([[-10.0, 0.0]]), np.array([0.0, 1.0]), 90.0)
    np.testing.assert_allclose(left, [[-10 / np.sqrt(2), 10 / np.sqrt(2)]], atol=1e-9)


# ---- the FastTracker associator --------------------------------------------------------------------------------
def test_fasttracker_associator_low_step_reads_the_tracked_flag():
    from roadtrack import Detections
    from roadtrack.association.fasttracker import FastTrackerAssociator
    from roadtrack.core import TrackView

    # One confirmed track last updated 3 frames ago, a 0.5 detection on it (low band (0.25, 0.7)). BYTE's rule
    # (updated last frame) leaves it out of the low-score step; FastTracker's "tracked" flag puts it in.
    box = np.array([[0.0, 0, 10, 20]])
    d = Detections(box, scores=[0.5])
    bare = TrackView(box, np.zeros(1, np.int64), np.ones(1, bool), np.array([3]))
    assert FastTrackerAssociator().match(bare, d).rows.size == 0
    flagged = TrackView(box, np.zeros(1, np.int64), np.ones(1, bool), np.array([3]),
                        extra={"tracked": np.ones(1, bool)})
    assert FastTrackerAssociator().match(flagged, d).rows.tolist() == [0]
