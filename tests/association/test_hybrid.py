"""Hybrid-SORT's weak cues: HMIoU, four-corner direction consistency, corner velocities and TCM, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association import iou
from roadtrack.association.hybrid import (
    corner_consistency, corner_directions, corner_velocity, extrapolated_confidence, height_iou, hmiou,
    kalman_confidence, recent_observations, tcm_cost,
)

EPS = 1e-6  # the references' norm guard


# ---- HMIoU -----------------------------------------------------------------------------------------
def test_hmiou_by_hand():
    track = np.array([[0.0, 0.0, 10.0, 20.0]])
    dets = np.array([
        [5.0, 0.0, 15.0, 20.0],   # same height, shifted right by half
        [0.0, 10.0, 10.0, 20.0],  # the lower half of the track
        [0.0, 30.0, 10.0, 40.0],  # below, no overlap
    ])
    iou_by_hand = [100 / (200 + 200 - 100), 100 / (200 + 100 - 100), 0.0]  # 5x20 overlap; 10x10 inside
    height_by_hand = [20 / 20, 10 / 20, 0.0]  # y-overlap / y-hull: [0,20]&[0,20]; [0,20]&[10,20]; disjoint
    np.testing.assert_allclose(iou(track, dets)[0], iou_by_hand)
    np.testing.assert_allclose(height_iou(track, dets)[0], height_by_hand)
    np.testing.assert_allclose(hmiou(track, dets)[0], [1 / 3 * 1.0, 0.5 * 0.5, 0.0])


def test_hmiou_prefers_the_box_of_equal_height():
    # Both detections have IoU 0.5 with the track; only the taller one also matches its height.
    track = np.array([[0.0, 0.0, 10.0, 20.0]])
    dets = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 20.0, 20.0]])
    np.testing.assert_allclose(iou(track, dets)[0], [0.5, 0.5])
    np.testing.assert_allclose(hmiou(track, dets)[0], [0.5 * 10 / 20, 0.5 * 1.0])


def test_hmiou_shapes_and_bad_input():
    assert hmiou(np.zeros((0, 4)), np.zeros((3, 4))).shape == (0, 3)
    assert hmiou(np.zeros((2, 4)), np.zeros((0, 4))).shape == (2, 0)
    flat = np.array([[0.0, 5.0, 10.0, 5.0]])  # zero height: height IoU 0, never NaN
    assert hmiou(flat, flat).tolist() == [[0.0]]
    with pytest.raises(ValueError, match=r"b_xyxy: expected shape \(N, 4\)"):
        hmiou(np.zeros((1, 4)), np.zeros((1, 3)))


# ---- corner directions and velocities ----------------------------------------------------------------
def test_corner_directions_by_hand():
    # Translation by (3, 4): every corner moves along (0.6, 0.8).
    d = corner_directions(np.array([[0.0, 0.0, 10.0, 10.0]]), np.array([[3.0, 4.0, 13.0, 14.0]]))
    np.testing.assert_allclose(d[0], [[3 / (5 + EPS), 4 / (5 + EPS)]] * 4)
    # Growing to the right and down: top-left stays (0, 0), bottom-left moves (0, 6), top-right (8, 0),
    # bottom-right (8, 6) -> unit (0.8, 0.6).
    d = corner_directions(np.array([[0.0, 0.0, 10.0, 10.0]]), np.array([[0.0, 0.0, 18.0, 16.0]]))
    np.testing.assert_allclose(d[0], [[0, 0], [0, 6 / (6 + EPS)], [8 / (8 + EPS), 0], [8 / 10, 6 / 10]], atol=1e-6)


def test_corner_velocity_sums_recent_directions_without_renormalising():
    new = np.array([[10.0, 0.0, 20.0, 10.0]])
    previous = np.array([[[5.0, 0.0, 15.0, 10.0],    # 1 frame back: moved (5, 0) -> (1, 0)
                          [0.0, 0.0, 10.0, 10.0],    # 2 frames back: (10, 0) -> (1, 0)
                          [10.0, 10.0, 20.0, 20.0]]])  # 3 frames back, but not observed: ignored
    valid = np.array([[True, True, False]])
    v = corner_velocity(previous, valid, new)
    unit = 5 / (5 + EPS) + 10 / (10 + EPS)  # two unit steps along +x, summed: length ~2
    np.testing.assert_allclose(v[0], [[unit, 0.0]] * 4)


def test_corner_velocity_falls_back_to_last_observation():
    previous = np.zeros((2, 3, 4))
    valid = np.zeros((2, 3), bool)
    last = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]])
    new = np.array([[0.0, 3.0, 10.0, 13.0], [0.0, 0.0, 10.0, 10.0]])  # moved down 3; did not move
    v = corner_velocity(previous, valid, new, fallback_xyxy=last)
    np.testing.assert_allclose(v[0], [[0.0, 3 / (3 + EPS)]] * 4)
    np.testing.assert_allclose(v[1], np.zeros((4, 2)))
    assert np.all(corner_velocity(previous, valid, new) == 0)  # no fallback given: zeros


def test_recent_observations_reads_the_ring_by_age():
    k = 3
    obs_xyxy = np.zeros((1, k, 4))
    obs_age = np.full((1, k), -1)
    for age in (4, 6):  # observed at ages 4 and 6 (slot age % 3), not at 5
        obs_xyxy[0, age % k] = [age, 0, age + 10, 10]
        obs_age[0, age % k] = age
    boxes, valid = recent_observations(obs_xyxy, obs_age, np.array([7]), delta_t=3)
    assert valid.tolist() == [[True, False, True]]  # ages 6, 5, 4
    np.testing.assert_array_equal(boxes[0, [0, 2], 0], [6, 4])
    with pytest.raises(ValueError, match="delta_t must lie in"):
        recent_observations(obs_xyxy, obs_age, np.array([7]), delta_t=4)
    # A young track (age 1, ring still empty): ages 0, -1, -2 are wanted; the empty
    # slots hold age -1, which must not count as an observation at age -1.
    _, valid = recent_observations(np.zeros((1, k, 4)), np.full((1, k), -1), np.array([1]), delta_t=3)
    assert valid.tolist() == [[False, False, False]]


# ---- four-corner consistency ---------------------------------------------------------------------
def test_corner_consistency_by_hand():
    # A track moving right (all corners along +x) whose previous observation is at the origin.
    velocity = np.tile([1.0, 0.0], (1, 4, 1))
    previous = np.array([[0.0, 0.0, 10.0, 10.0]])
    dets = np.array([
        [5.0, 0.0, 15.0, 10.0],    # straight ahead: each corner angle 0 -> (pi/2 - 0)/pi = 0.5, four: 2
        [0.0, 5.0, 10.0, 15.0],    # straight down: angle pi/2 -> 0 per corner
        [-5.0, 0.0, 5.0, 10.0],    # straight back: angle pi -> -0.5 per corner, four: -2
    ])
    got = corner_consistency(velocity, previous, np.array([True]), dets)
    ahead = (np.pi / 2 - np.arccos(5 / (5 + EPS))) / np.pi  # the norm guard leaves cos just below 1
    np.testing.assert_allclose(got[0], [4 * ahead, 4 * 0.0, 4 * -ahead])
    np.testing.assert_allclose(got[0], [2.0, 0.0, -2.0], atol=1e-3)


def test_corner_consistency_uses_each_corner_separately():
    # The detection grows to the right: the left corners stay put (direction 0: angle term 0 for any
    # velocity), the right corners move along +x (term 0.5 each) -> 0 + 0 + 0.5 + 0.5.
    velocity = np.tile([1.0, 0.0], (1, 4, 1))
    got = corner_consistency(velocity, np.array([[0.0, 0.0, 10.0, 10.0]]), np.array([True]),
                             np.array([[0.0, 0.0, 20.0, 10.0]]))
    ahead = (np.pi / 2 - np.arccos(10 / (10 + EPS))) / np.pi
    np.testing.assert_allclose(got, [[0.0 + 0.0 + 2 * ahead]])


def test_corner_consistency_clips_summed_velocities_and_masks_tracks_without_history():
    # A summed velocity of length 2 along +x: u . w = 2 for straight ahead, clipped to 1 -> 0.5 per corner.
    velocity = np.tile([2.0, 0.0], (2, 4, 1))
    previous = np.array([[0.0, 0.0, 10.0, 10.0]] * 2)
    got = corner_consistency(velocity, previous, np.array([True, False]), np.array([[5.0, 0.0, 15.0, 10.0]]))
    np.testing.assert_allclose(got, [[4 * 0.5], [0.0]])
    with pytest.raises(ValueError, match=r"velocity: expected shape \(2, 4, 2\)"):
        corner_consistency(np.zeros((2, 2)), previous, np.array([True, True]), np.zeros((1, 4)))


# ---- TCM -----------------------------------------------------------------------------------------
def test_tcm_cost_by_hand():
    got = tcm_cost(np.array([0.9, 0.6]), np.array([0.7, 0.95]))
    np.testing.assert_allclose(got, [[0.9 - 0.7, 0.95 - 0.9], [0.7 - 0.6, 0.95 - 0.6]])


def test_kalman_confidence_is_clipped_to_track_thresh_and_one():
    np.testing.assert_allclose(kalman_confidence(np.array([0.3, 0.75, 1.2]), 0.6), [0.6, 0.75, 1.0])


def test_extrapolated_confidence_by_hand():
    # 0.5 -> 0.4 predicts 0.3; 0.4 -> 0.5 predicts 0.6, clipped to track_thresh 0.55; without a previous
    # score the last one (0.05, clipped up to 0.1).
    got = extrapolated_confidence(np.array([0.4, 0.5, 0.05]), np.array([0.5, 0.4, 0.0]),
                                  np.array([True, True, False]), track_thresh=0.55)
    np.testing.assert_allclose(got, [0.4 - (0.5 - 0.4), 0.55, 0.1])


def test_first_step_score_composes_as_in_the_reference():
    # The first step maximises hmiou + inertia * score * corner_consistency - w * |c_track - s|; with a
    # one-track, two-detection example: equal HMIoU, the detection whose score matches the track wins.
    track = np.array([[0.0, 0.0, 10.0, 20.0]])
    dets = np.array([[2.0, 0.0, 12.0, 20.0], [-2.0, 0.0, 8.0, 20.0]])
    scores = np.array([0.9, 0.65])
    sim = hmiou(track, dets)
    np.testing.assert_allclose(sim[0, 0], sim[0, 1])
    consistency = np.zeros((1, 2))  # no history yet
    total = sim + 0.05 * scores * consistency - 1.0 * tcm_cost(np.array([0.66]), scores)
    assert int(np.argmax(total[0])) == 1


def test_corner_consistency_pairs_equals_the_dense_matrix():
    from roadtrack.association.hybrid import corner_consistency_pairs
    rng = np.random.default_rng(1)
    velocity = rng.normal(size=(3, 4, 2))
    previous = np.array([[0.0, 0, 10, 20], [5.0, 5, 15, 30], [40.0, 0, 50, 20]])
    has_previous = np.array([True, True, False])
    dets = np.array([[2.0, 1, 12, 21], [30.0, 0, 40, 20]])
    dense = corner_consistency(velocity, previous, has_previous, dets)
    t, d = np.meshgrid(np.arange(3), np.arange(2), indexing="ij")
    pairs = corner_consistency_pairs(velocity[t.ravel()], previous[t.ravel()], has_previous[t.ravel()],
                                     dets[d.ravel()])
    np.testing.assert_allclose(pairs.reshape(3, 2), dense, rtol=1e-12)
