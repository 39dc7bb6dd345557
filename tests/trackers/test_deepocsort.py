"""Deep OC-SORT preset: what it adds to OC-SORT (appearance with adaptive weights, dynamic-appearance EMA, the
camera-motion warp of the observation history and frozen state), each on hand-made frames."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.association.deep_ocsort import DeepOCSortAssociator
from roadtrack.core import Detections
from roadtrack.trackers import ocsort
from roadtrack.trackers.appearance import ScoreWeightedAppearance
from roadtrack.trackers.deepocsort_parts import WarpedObservationHistory
from roadtrack.trackers.presets.deepocsort import deepocsort
from roadtrack.trackers.table import TrackTable

FA, FB = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
FRAME = np.zeros((4, 4, 3), np.uint8)  # any frame: it only switches the camera-motion step on


def det(*boxes, scores, features=None) -> Detections:
    return Detections(np.array(boxes, float).reshape(-1, 4), scores=scores, features=features)


def test_published_defaults():
    t = roadtrack.build("tracker", "deepocsort")
    a = t.associator
    assert (a.det_thresh, a.iou_threshold, a.inertia, a.w_association_emb, a.aw_param, a.adaptive) == \
        (0.6, 0.3, 0.2, 0.75, 0.5, True)
    assert (t.lifecycle.max_age, t.lifecycle.min_hits, t.history.delta_t, t.appearance.ema_alpha) == (30, 3, 3, 0.95)
    assert t.cmc is not None and deepocsort(cmc=None).cmc is None
    assert t.appearance.embedder is None and deepocsort(embedding_off=True).appearance is None
    assert t.associator.needs_features()


def test_appearance_keeps_ids_through_a_swap_that_iou_gets_wrong():
    # Frame 1 starts track 1 at P = [0,0,10,10] (feature A) and track 2 at Q = [4,0,14,10] (feature B).
    # Frame 2: the look-alike of A is now at Q and that of B at P. Predictions stay at P and Q (zero velocity).
    # IoU(P, Q) = 6*10 / (100 + 100 - 60) = 0.4286 > 0.3, so all four pairs are candidates: no one-to-one shortcut.
    # OC-SORT (no appearance, no direction yet): IoU 1 + 1 = 2 straight vs 0.43 + 0.43 crossed -> straight, so
    # track 1 takes the detection at P.
    # Deep OC-SORT: cos_sim = [[1, 0], [0, 1]] (tracks x detections, crossed order). Every row and column has
    # best - second best = 1, capped at aw_param 0.5, halved: W = 0.75 + 0.25 + 0.25 = 1.25 for all pairs.
    # Crossed: 0.43 + 0.43 + 1.25 + 1.25 = 3.36 > straight 2 + 0 -> track 1 follows its look (to Q), and the
    # match stands because IoU 0.43 >= 0.3.
    p, q = [0.0, 0, 10, 10], [4.0, 0, 14, 10]
    first = det(p, q, scores=[0.9, 0.9], features=np.stack([FA, FB]))
    second = det(p, q, scores=[0.9, 0.9], features=np.stack([FB, FA]))
    boxes = {}
    for name, tracker in (("ocsort", ocsort()), ("deepocsort", deepocsort(cmc=None))):
        tracker.update(first)
        out = tracker.update(second)  # frame 2 <= min_hits: reported (warm-up), at the matched detection
        boxes[name] = dict(zip(out.ids.tolist(), out.xyxy.tolist()))
    assert boxes["ocsort"] == {1: p, 2: q}
    assert boxes["deepocsort"] == {1: q, 2: p}


def test_without_features_it_matches_like_ocsort():
    rng = np.random.default_rng(3)
    a, b = ocsort(), deepocsort(cmc=None)
    for k in range(25):
        xy = np.array([[10.0, 10.0], [40.0, 12.0], [25.0, 40.0]]) + 2 * k + rng.normal(0, 2, (3, 2))
        keep = rng.random(3) > 0.2
        dets = Detections(np.concatenate([xy, xy + 30], axis=1)[keep], scores=rng.uniform(0.5, 1.0, keep.sum()))
        x, y = a.update(dets), b.update(dets)
        assert x.ids.tolist() == y.ids.tolist() and np.array_equal(x.xyxy, y.xyxy)


def test_dynamic_appearance_ema_by_hand():
    # Track feature A = (1, 0); matched with a detection of feature B = (0, 1).
    # Score 0.9: trust = (0.9 - 0.6) / 0.4 = 0.75, alpha = 0.95 + 0.05 * 0.25 = 0.9625;
    #   0.9625 A + 0.0375 B, norm sqrt(0.9625^2 + 0.0375^2) = 0.963230 -> (0.999242, 0.038932).
    # Score 1.0: trust 1, alpha 0.95 -> (0.95, 0.05) / 0.951315 = (0.998618, 0.052559).
    # (A fixed EMA of 0.95 would give the latter for both.)
    part = ScoreWeightedAppearance(det_thresh=0.6, min_score=0.6)
    t = TrackTable(part.columns())
    t.append(2, ids=np.array([1, 2]), class_ids=np.zeros(2, np.int64), scores=np.ones(2),
             det_index=np.zeros(2, np.int64), last_xyxy=np.zeros((2, 4)))
    dets = det([0, 0, 1, 1], [0, 0, 1, 1], scores=[0.9, 1.0], features=np.stack([FA, FA]))
    part.embed(t, dets, None, np.zeros((2, 4)))
    part.start(t, np.array([0, 1]), dets, np.array([0, 1]))
    np.testing.assert_allclose(t.features, [FA, FA])  # new tracks take the detection's feature as is
    dets = det([0, 0, 1, 1], [0, 0, 1, 1], scores=[0.9, 1.0], features=np.stack([FB, FB]))
    part.embed(t, dets, None, np.zeros((2, 4)))
    part.update(t, np.array([0, 1]), dets, np.array([0, 1]))
    np.testing.assert_allclose(t.features, [[0.999242, 0.038932], [0.998618, 0.052559]], atol=1e-6)


class Pan:
    """Camera motion by a fixed list of affines, one per frame."""

    def __init__(self, shifts):
        self.shifts, self.k = shifts, 0

    def reset(self):
        self.k = 0

    def estimate(self, frame, dets):
        a = np.array([[1.0, 0, self.shifts[self.k]], [0, 1.0, 0]])
        self.k += 1
        return a


def test_camera_motion_moves_the_history_so_a_refound_static_object_stays_still():
    # A static object at x 0..10 is seen in frames 1-3 (velocity exactly 0: every innovation is 0). The camera
    # then pans so the image moves +20 px in frames 4 and 5; the object is hidden in frame 4 and seen in frame 5
    # at 0 + 20 + 20 = [40, 0, 50, 10]. The Kalman state is warped in both trackers, so both match it (IoU 1).
    # Deep OC-SORT also warped the frozen state and the last observation: ORU replays from [40, 0, 50, 10] to
    # the same box with a prior at the same place -> all innovations 0 -> the velocity stays exactly 0.
    # OC-SORT with the same camera motion replays from the unwarped last observation [0, 0, 10, 10] to
    # [40, 0, 50, 10] and learns a rightward velocity although nothing moved in the world.
    seen = [0.0, 0, 10, 10]
    frames = [det(seen, scores=[0.9])] * 3 + [Detections.empty(), det([40.0, 0, 50, 10], scores=[0.9])]
    velocity = {}
    for name, tracker in (("ocsort", ocsort()), ("deepocsort", deepocsort(cmc=None))):
        tracker.cmc = Pan([0, 0, 0, 20, 20])
        for f in frames:
            tracker.update(f, FRAME)
        # One track, updated this frame (unreported: its streak restarted after the miss).
        assert tracker.tracks.ids.tolist() == [1] and tracker.tracks.time_since_update.tolist() == [0]
        velocity[name] = tracker.tracks.mean[0, 4]  # SortKalman: cx velocity
    assert velocity["deepocsort"] == pytest.approx(0.0, abs=1e-9)
    assert velocity["ocsort"] > 1.0


def test_history_warp_moves_both_corners():
    h = WarpedObservationHistory(2)
    t = TrackTable(h.columns())
    t.append(1, ids=np.array([1]), class_ids=np.zeros(1, np.int64), scores=np.ones(1), det_index=np.zeros(1, np.int64),
             last_xyxy=np.array([[0.0, 0, 10, 20]]), obs_xyxy=np.array([[[0.0, 0, 10, 20], [2.0, 0, 12, 20]]]))
    # Scale 2 about the origin, then +5 in x: (x, y) -> (2x + 5, 2y).
    h.warp(t, np.array([[2.0, 0, 5], [0, 2.0, 0]]))
    np.testing.assert_allclose(t.last_xyxy, [[5, 0, 25, 40]])
    np.testing.assert_allclose(t.obs_xyxy[0], [[5, 0, 25, 40], [9, 0, 29, 40]])


def test_associator_only_reads_the_track_view(read_only_views):
    tracker = deepocsort(cmc=None)
    rng = np.random.default_rng(0)
    for k in range(20):
        xy = np.array([[10.0, 10.0], [60.0, 12.0], [35.0, 11.0]]) + 3 * k + rng.normal(0, 1, (3, 2))
        keep = rng.random(3) > 0.2
        tracker.update(Detections(np.concatenate([xy, xy + 40], axis=1)[keep], scores=rng.uniform(0.5, 0.95, keep.sum()),
                                  features=rng.normal(size=(keep.sum(), 4)).astype(np.float32)))


def test_bad_options():
    with pytest.raises(ValueError, match="aw_param"):
        DeepOCSortAssociator(aw_param=-1)
    with pytest.raises(ValueError, match="det_thresh"):
        deepocsort(det_thresh=1.0)


def test_a_young_tracks_direction_comes_from_its_own_observations():
    # Boxes at x 100, 102, 104 (frames 1-3). At frame 3 (age 2) the observation delta_t = 3 frames back would be
    # at age -1: none; 2 back (age 0, the creating detection) is not an observation; 1 back (age 1) is x 102.
    # Direction (2, 0) / (2 + 1e-6) = (0.9999995, 0). (`ObservationHistory.prepare` takes the ring's empty
    # slot, age -1, for the age -1 observation and measures from a zero box: about (0.70, 0.71).)
    t = deepocsort(cmc=None)
    for x in (100.0, 102.0, 104.0):
        t.update(det([x, 100, x + 10, 120], scores=[0.9]))
    np.testing.assert_allclose(t.tracks.velocity, [[2 / (2 + 1e-6), 0.0]])
