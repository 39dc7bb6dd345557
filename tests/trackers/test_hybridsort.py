"""Hybrid-SORT preset: what it adds to OC-SORT (TCM in both steps, HMIoU, four-corner momentum, the
score-aware ORU), each on hand-made frames."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.association.hybrid_sort import HybridSortAssociator
from roadtrack.core import Detections, TrackView
from roadtrack.kalman import SortKalman
from roadtrack.trackers import ocsort
from roadtrack.trackers.hybridsort_parts import HybridSortMotion
from roadtrack.trackers.presets.hybridsort import hybridsort


def det(*boxes, scores) -> Detections:
    return Detections(np.array(boxes, float).reshape(-1, 4), scores=scores)


def test_published_defaults():
    t = roadtrack.build("tracker", "hybridsort")
    a = t.associator
    assert (a.det_thresh, a.iou_threshold, a.inertia, a.use_byte, a.low_thresh) == (0.6, 0.25, 0.05, True, 0.1)
    assert (a.tcm_first_step, a.tcm_first_step_weight, a.tcm_byte_step, a.tcm_byte_step_weight) == (True, 1.0, True, 1.0)
    assert (t.lifecycle.max_age, t.lifecycle.min_hits, t.history.delta_t, t.cmc, t.appearance) == (30, 3, 3, None, None)
    assert 0.6 < t.lifecycle.new_track_min_score < 0.6 + 1e-12  # "> det_thresh", as the reference
    assert t.motion.model.ndim_state == 9


def test_confidence_keeps_ids_when_boxes_swap():
    # Frame 1: track 1 at P = [0,0,10,20] scoring 0.95, track 2 at Q = [1,0,11,20] scoring 0.65.
    # Frame 2: a 0.65 detection at P and a 0.95 one at Q. Predictions stay at P and Q; the Kalman confidences
    # stay 0.95 and 0.65 (zero velocity; clipped to [0.6, 1]: unchanged). Same heights, so HMIoU = IoU:
    # IoU(P, Q) = 9*20 / (200 + 200 - 180) = 0.8182. All pairs > 0.25: no shortcut. No corner term yet (no hits).
    # By position: HMIoU 1 + 1 - TCM (|0.95 - 0.65| + |0.65 - 0.95| = 0.6) = 1.4.
    # By confidence: 0.8182 + 0.8182 - 0 = 1.636 > 1.4 -> Hybrid-SORT keeps track 1 on the 0.95 detection (at Q).
    # OC-SORT (IoU only): 2 > 1.636 -> track 1 takes the detection at P.
    p, q = [0.0, 0, 10, 20], [1.0, 0, 11, 20]
    boxes = {}
    for name, tracker in (("ocsort", ocsort()), ("hybridsort", hybridsort())):
        tracker.update(det(p, q, scores=[0.95, 0.65]))
        out = tracker.update(det(p, q, scores=[0.65, 0.95]))  # warm-up: reported at the matched detection
        boxes[name] = dict(zip(out.ids.tolist(), out.xyxy.tolist()))
    assert boxes["ocsort"] == {1: p, 2: q}
    assert boxes["hybridsort"] == {1: q, 2: p}


def test_byte_step_needs_a_confidence_that_fits():
    # A track started by a 0.9 detection at [0,0,10,20]; next frame only a low detection at [2.5,0,12.5,20]:
    # HMIoU = IoU = 7.5*20 / (400 - 150) = 0.6 (equal heights). The track has no previous score (just created),
    # so its extrapolated confidence is its score clipped to [0.1, 0.6]: 0.6.
    # Score 0.15: B = 0.6 - |0.6 - 0.15| = 0.15 < 0.25 -> no match (a new track is not started either: 0.15 is low).
    # Score 0.5:  B = 0.6 - |0.6 - 0.5| = 0.5 >= 0.25 -> matched.
    # OC-SORT with its BYTE step matches both (IoU 0.6 >= 0.3).
    first, near = [0.0, 0, 10, 20], [2.5, 0, 12.5, 20]
    for score, expected in ((0.15, False), (0.5, True)):
        h, o = hybridsort(), ocsort(use_byte=True)
        for tracker, want in ((h, expected), (o, True)):
            tracker.update(det(first, scores=[0.9]))
            tracker.update(det(near, scores=[score]))
            assert (tracker.tracks.time_since_update.tolist() == [0]) is want, (type(tracker.associator), score)
            assert tracker.tracks.ids.tolist() == [1]


def test_extrapolated_confidence_uses_the_last_two_scores():
    # Scores 0.9 (creation), then 0.7: c_lin = 0.7 + (0.7 - 0.9) = 0.5. A low 0.45 detection at IoU 0.6:
    # B = 0.6 - |0.5 - 0.45| = 0.55 -> matched; with the last score alone (0.6 after clipping) B = 0.45, also
    # matched, so use one that only the extrapolation accepts: IoU 0.3 -> B = 0.3 - 0.05 = 0.25 >= 0.25 matched,
    # while |0.6 - 0.45| = 0.15 would give 0.15 < 0.25.
    # IoU 0.3 with equal heights 20 and widths 10: overlap w gives 20w / (400 - 20w) = 0.3 -> w = 120/26 = 4.615.
    w = 120.0 / 26.0
    a, b = [0.0, 0, 10, 20], [10.0 - w, 0, 20.0 - w, 20]
    t = hybridsort()
    t.update(det(a, scores=[0.9]))
    t.update(det(a, scores=[0.7]))
    np.testing.assert_allclose(t.tracks.previous_score, [0.9])
    t.update(det(b, scores=[0.45]))
    assert t.tracks.time_since_update.tolist() == [0]
    t2 = hybridsort()
    t2.update(det(a, scores=[0.9]))
    t2.update(det(a, scores=[0.7]))
    t2.update(Detections.empty())  # a miss forgets the previous score: c = 0.6 (0.7 clipped), B = 0.15
    t2.update(det(b, scores=[0.45]))
    assert t2.tracks.time_since_update.tolist() == [2]  # missed frames 3 and 4


def test_height_modulated_iou_rejects_a_short_box():
    # Track at [0,0,10,40]; a detection [0,0,10,16] inside it: IoU = 160/400 = 0.4 >= OC-SORT's 0.3, but the
    # heights overlap 16/40 = 0.4, so HMIoU = 0.16 < 0.25: Hybrid-SORT starts a new track instead.
    for tracker, same in ((ocsort(), True), (hybridsort(), False)):
        tracker.update(det([0.0, 0, 10, 40], scores=[0.9]))
        tracker.update(det([0.0, 0, 10, 16], scores=[0.9]))
        assert (tracker.tracks.ids.tolist() == [1]) is same


def test_corner_velocity_after_updates_by_hand():
    # Observations: creation [0,0,10,20] (not an observation), frame 2 [0,0,10,20], frame 3 [3,4,13,24].
    # At frame 3 the only recent observation (age 1) is [0,0,10,20]; each corner moved (3, 4): unit (0.6, 0.8)
    # (norm 5 + 1e-6). At frame 4 [6,8,16,28]: observations at ages 2 and 1 ([3,4,..] and [0,0,..]): the corner
    # directions (3,4)/5 and (6,8)/10 are both (0.6, 0.8); summed, not renormalised: (1.2, 1.6).
    t = hybridsort()
    for box in ([0.0, 0, 10, 20], [0.0, 0, 10, 20], [3.0, 4, 13, 24]):
        t.update(det(box, scores=[0.9]))
    np.testing.assert_allclose(t.tracks.corner_velocity[0], [[0.6, 0.8]] * 4, atol=1e-6)
    t.update(det([6.0, 8, 16, 28], scores=[0.9]))
    np.testing.assert_allclose(t.tracks.corner_velocity[0], [[1.2, 1.6]] * 4, atol=1e-6)


def test_oru_interpolates_the_confidence():
    # Seen with score 0.9 in frames 1-2, missed in frames 3-4, found in frame 5 with score 0.3 (a BYTE-step
    # detection at the same box). The score-aware replay measures 0.9 + 1/3 (0.3 - 0.9) = 0.7, then 0.5, then
    # 0.3, instead of jumping from 0.9 to 0.3: the filtered confidence ends lower than without the replay
    # (HybridSortMotion vs the plain Kalman update from the coasted state), because three measurements
    # near 0.3-0.7 are folded in rather than one.
    box = [0.0, 0, 10, 20]
    t = hybridsort()
    for f in (det(box, scores=[0.9]), det(box, scores=[0.9]), Detections.empty(), Detections.empty()):
        t.update(f)
    before = (t.tracks.mean.copy(), t.tracks.cov.copy(), t.tracks.saved_mean.copy(), t.tracks.saved_cov.copy())
    t.update(det(box, scores=[0.3]))
    assert t.tracks.time_since_update.tolist() == [0]
    model = t.motion.model
    # Expected by the model's own equations: from the saved prior, update(box, 0.7), predict, update(box, 0.5),
    # predict, update(box, 0.3), then the ordinary update(box, 0.3).
    m, c = before[2], before[3]
    z = np.array([box])
    m, c = model.update(m, c, z, np.array([0.7]))
    m, c = model.update(*model.predict(m, c), z, np.array([0.5]))
    m, c = model.update(*model.predict(m, c), z, np.array([0.3]))
    m, c = model.update(m, c, z, np.array([0.3]))
    np.testing.assert_allclose(t.tracks.mean, m, rtol=1e-9, atol=1e-9)
    plain, _ = model.update(before[0], before[1], z, np.array([0.3]))
    assert t.tracks.mean[0, 3] != pytest.approx(plain[0, 3])


def test_motion_needs_the_confidence_model():
    with pytest.raises(ValueError, match="HybridSortKalman"):
        HybridSortMotion(SortKalman())
    view = TrackView.from_boxes(np.array([[0.0, 0, 10, 10], [1.0, 0, 11, 10]]), np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="confidence state"):
        HybridSortAssociator().match(view, det([0.0, 0, 10, 10], [1.0, 0, 11, 10], scores=[0.9, 0.9]))


def test_associator_only_reads_the_track_view(read_only_views):
    tracker = hybridsort()
    rng = np.random.default_rng(0)
    for k in range(20):
        xy = np.array([[10.0, 10.0], [60.0, 12.0], [35.0, 11.0]]) + 3 * k + rng.normal(0, 1, (3, 2))
        keep = rng.random(3) > 0.2
        tracker.update(Detections(np.concatenate([xy, xy + 40], axis=1)[keep], scores=rng.uniform(0.2, 0.95, keep.sum())))


def test_large_frames_match_as_the_dense_solve(monkeypatch):
    # 80 objects (80 x 80 > SPLIT_CELLS): the first step is solved block by block with the corner term computed
    # on overlapping pairs only; objects far apart, so the dense solve must give the same tracks.
    rng = np.random.default_rng(5)
    start = np.stack(np.meshgrid(np.arange(10) * 60.0, np.arange(8) * 90.0), -1).reshape(-1, 2)
    step = rng.normal(0, 2, start.shape)

    def run():
        t, out = hybridsort(), []
        for k in range(12):
            xy = start + k * step + rng.normal(0, 0.5, start.shape)
            keep = rng.random(len(xy)) > 0.1
            boxes = np.concatenate([xy, xy + [20, 60]], axis=1)[keep]
            res = t.update(Detections(boxes, scores=rng.uniform(0.3, 1.0, keep.sum())))
            out.append((res.ids.tolist(), res.xyxy.round(6).tolist()))
        return out

    state = rng.bit_generator.state
    split = run()
    import roadtrack.association.hybrid_sort as hs
    import roadtrack.association.stages as st
    monkeypatch.setattr(hs, "SPLIT_CELLS", 10 ** 9)
    monkeypatch.setattr(st, "SPLIT_CELLS", 10 ** 9)
    rng.bit_generator.state = state
    assert run() == split
