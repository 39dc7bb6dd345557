"""Box similarities, appearance costs and the BYTE, cascade and OC-SORT associators on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.association import (
    ByteAssociator, CascadeAssociator, OCSortAssociator, ciou, cosine_distance, diou, direction_consistency,
    fuse_score, gallery_distance, gate_by_mahalanobis, giou, iou, iou_gated_appearance,
)
from roadtrack.core import Detections, TrackView
from roadtrack.kalman import XYAHKalman

A = np.array([[0.0, 0.0, 10.0, 10.0]])


def test_box_similarities_by_hand():
    b = np.array([[20.0, 0.0, 30.0, 10.0], [5.0, 0.0, 15.0, 10.0], [0.0, 0.0, 10.0, 10.0]])
    # b0: disjoint, enclosing box 30 x 10 = 300, union 200 -> GIoU -100/300; centres 20 apart, diagonal^2 1000.
    # b1: IoU 50 / 150 = 1/3, enclosing 15 x 10 = union: GIoU = IoU; centres 5 apart, diag^2 325.
    np.testing.assert_allclose(giou(A, b), [[-1 / 3, 1 / 3, 1.0]])
    np.testing.assert_allclose(diou(A, b), [[-400 / 1000, 1 / 3 - 25 / 325, 1.0]])
    np.testing.assert_allclose(ciou(A, b), diou(A, b))  # same aspect ratios: no aspect term
    tall = np.array([[0.0, 0.0, 10.0, 20.0]])  # IoU 0.5, centres 5 apart, diag^2 500; atan(1/2) vs atan(1)
    v = 4 / np.pi**2 * (np.arctan(0.5) - np.arctan(1.0)) ** 2
    np.testing.assert_allclose(ciou(A, tall), [[0.5 - 25 / 500 - v / (0.5 + v) * v]])


@pytest.mark.parametrize("fn", [iou, giou, diou, ciou])
def test_similarities_on_empty_and_degenerate_boxes(fn):
    assert fn(np.zeros((0, 4)), A).shape == (0, 1) and fn(A, np.zeros((0, 4))).shape == (1, 0)
    points = np.array([[5.0, 5.0, 5.0, 5.0], [5.0, 5.0, 5.0, 5.0]])
    assert np.isfinite(fn(points, points)).all()


def test_cosine_and_gallery_distance():
    tracks = np.array([[1.0, 0.0], [0.0, 2.0]])
    dets = np.array([[1.0, 1.0], [0.0, -1.0]])
    c = 1 / np.sqrt(2)
    np.testing.assert_allclose(cosine_distance(tracks, dets), [[1 - c, 1.0], [1 - c, 2.0]], atol=1e-6)
    # Track 0 stores two samples (the nearest one counts), track 1 one sample; the slot beyond count is ignored.
    gallery = np.array([[[1.0, 0.0], [0.0, -1.0]], [[0.0, 1.0], [0.0, -1.0]]], np.float32)
    np.testing.assert_allclose(gallery_distance(gallery, np.array([2, 1]), dets), [[1 - c, 0.0], [1 - c, 2.0]], atol=1e-6)
    assert gallery_distance(gallery, np.array([0, 1]), dets)[0].tolist() == [np.inf, np.inf]


def test_fused_costs_by_hand():
    np.testing.assert_allclose(fuse_score(np.array([[0.2, 0.6]]), np.array([0.5, 1.0])), [[0.6, 0.6]])
    # Pair 0 overlaps and looks alike: min(0.5, 0.1); pair 1 too far apart (0.9 > 0.5); pair 2 too different (0.3 > 0.25).
    got = iou_gated_appearance(np.array([[0.4, 0.9, 0.4]]), np.array([[0.5, 0.95, 0.5]]), np.array([[0.2, 0.1, 0.6]]), 0.5, 0.25)
    np.testing.assert_allclose(got, [[0.1, 0.95, 0.5]])
    gated = gate_by_mahalanobis(np.array([[0.1, 0.1]]), np.array([[2.0, 20.0]]), 9.4877, weight=0.98)
    np.testing.assert_allclose(gated, [[0.98 * 0.1 + 0.02 * 2.0, np.inf]])


def test_direction_consistency_by_hand():
    prev = np.array([[0.0, 0.0, 10.0, 10.0]] * 2)  # centre (5, 5)
    dets = np.array([[20.0, 0.0, 30.0, 10.0], [-20.0, 0.0, -10.0, 10.0], [0.0, 20.0, 10.0, 30.0]])
    got = direction_consistency(np.array([[1.0, 0.0], [1.0, 0.0]]), prev, np.array([True, False]), dets)
    # Moving right: ahead (+x) 0.5, behind -0.5, sideways 0; a track without history gets 0 everywhere.
    # (OC-SORT adds 1e-6 to each norm; arccos near 1 magnifies that to ~1e-4.)
    np.testing.assert_allclose(got, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-3)


def view(xyxy, confirmed=None, tsu=None, classes=None, **extra) -> TrackView:
    xyxy = np.asarray(xyxy, float).reshape(-1, 4)
    n = len(xyxy)
    return TrackView(xyxy, np.zeros(n, np.int64) if classes is None else np.asarray(classes),
                     np.ones(n, bool) if confirmed is None else np.asarray(confirmed),
                     np.ones(n, np.int64) if tsu is None else np.asarray(tsu), **extra)


def test_byte_low_score_detection_keeps_a_recent_track():
    tracks = view([[0, 0, 10, 20], [50, 0, 60, 20]], tsu=[1, 3])
    dets = Detections([[1, 0, 11, 20], [50, 0, 60, 20], [200, 0, 210, 20]], scores=[0.3, 0.35, 0.9])
    m = ByteAssociator().match(tracks, dets)
    # Step 2 matches track 0 (updated last frame) with the 0.3 box; track 1 is lost (tsu 3): no low-score match.
    assert (m.rows.tolist(), m.cols.tolist()) == ([0], [0])
    assert m.unmatched_cols.tolist() == [1, 2]


def test_byte_unconfirmed_tracks_only_take_leftover_high_detections():
    tracks = view([[0, 0, 10, 20], [0, 0, 10, 20]], confirmed=[True, False])
    dets = Detections([[0, 0, 10, 20], [1, 0, 11, 20]], scores=[0.9, 0.8])
    m = ByteAssociator().match(tracks, dets)
    # Confirmed track 0 takes the best-fused detection (IoU 1 * 0.9); unconfirmed track 1 gets the other.
    assert (m.rows.tolist(), m.cols.tolist()) == ([0, 1], [0, 1])


def test_byte_appearance_prefers_the_lookalike_when_both_overlap():
    tracks = view([[0, 0, 10, 20]], features=np.array([[1.0, 0.0]], np.float32))
    dets = Detections([[0, 0, 10, 20], [2, 0, 12, 20]], scores=[0.9, 0.9], features=np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert ByteAssociator().match(tracks, dets).cols.tolist() == [0]  # motion only: the better overlap
    assert ByteAssociator(appearance=True).match(tracks, dets).cols.tolist() == [1]  # cosine 0 beats 1 - 0.9


def test_class_aware_associators_never_cross_classes():
    tracks = view([[0, 0, 10, 20]], classes=[2], last_xyxy=np.array([[0.0, 0, 10, 20]]), observed=np.array([True]))
    dets = Detections([[0, 0, 10, 20]], scores=[0.9], class_ids=[0])
    for assoc in (ByteAssociator(), OCSortAssociator(), CascadeAssociator()):
        assert len(assoc.match(tracks, dets).rows) == 0
        assert len(type(assoc)(class_aware=False).match(tracks, dets).rows) == 1


def cascade_view(boxes, tsu, features):
    model = XYAHKalman()
    mean, cov = model.predict(*model.initiate(np.asarray(boxes, float)))
    return view(boxes, tsu=tsu, mean=mean, cov=cov, motion=model, features=np.asarray(features, np.float32))


def test_cascade_gives_the_most_recent_track_the_first_pick():
    # Two tracks look exactly like the detection; the one updated last frame (tsu 1) wins in the cascade,
    # a global assignment (cascade_depth=None) would pick by cost alone and prefers track 1 (closer in Mahalanobis).
    boxes = [[0, 0, 20, 40], [1, 0, 21, 40]]
    tracks = cascade_view(boxes, [2, 1], [[1.0, 0.0], [1.0, 0.0]])
    dets = Detections([[0.5, 0, 20.5, 40]], scores=[0.9], features=[[1.0, 0.0]])
    assert CascadeAssociator().match(tracks, dets).rows.tolist() == [1]


def test_cascade_mahalanobis_gate_and_iou_fallback():
    tracks = cascade_view([[0, 0, 20, 40]], [1], [[1.0, 0.0]])
    far = Detections([[300, 0, 320, 40]], scores=[0.9], features=[[1.0, 0.0]])
    assert len(CascadeAssociator().match(tracks, far).rows) == 0  # same look, impossible jump
    near_other_look = Detections([[1, 0, 21, 40]], scores=[0.9], features=[[0.0, 1.0]])
    assert CascadeAssociator().match(tracks, near_other_look).rows.tolist() == [0]  # IoU step (tsu == 1)
    old = cascade_view([[0, 0, 20, 40]], [2], [[1.0, 0.0]])
    assert len(CascadeAssociator().match(old, near_other_look).rows) == 0  # IoU step only for tsu == 1
    assert len(CascadeAssociator(min_score=0.95).match(tracks, near_other_look).rows) == 0


def test_ocsort_recovers_a_lost_track_by_its_last_observation():
    # The prediction drifted to x = 100, the object reappears where it was last seen.
    tracks = view([[100, 0, 120, 40]], last_xyxy=np.array([[0.0, 0, 20, 40]]), observed=np.array([True]))
    dets = Detections([[2, 0, 22, 40]], scores=[0.9])
    assert OCSortAssociator().match(tracks, dets).rows.tolist() == [0]
    low = Detections([[2, 0, 22, 40]], scores=[0.5])  # below det_thresh 0.6: ignored
    assert len(OCSortAssociator().match(tracks, low).rows) == 0


def test_ocsort_direction_term_breaks_an_overlap_tie():
    # Track at [10, 20] x, moving right; two detections overlap it equally (IoU 1/3), one ahead, one behind.
    tracks = view([[10, 0, 20, 10]], velocity=np.array([[1.0, 0.0]]), previous_xyxy=np.array([[0.0, 0, 10, 10]]),
                  has_previous=np.array([True]), last_xyxy=np.array([[10.0, 0, 20, 10]]), observed=np.array([True]))
    dets = Detections([[5, 0, 15, 10], [15, 0, 25, 10]], scores=[0.9, 0.9])
    assert OCSortAssociator(inertia=0.2, iou_threshold=0.3).match(tracks, dets).cols.tolist() == [1]


@pytest.mark.parametrize("name", ["byte", "cascade", "ocsort", "iou"])
def test_registered_and_empty_inputs(name):
    assoc = roadtrack.build("associator", name)
    m = assoc.associate(np.zeros((0, 4)), np.zeros(0, np.int64), Detections.empty())
    assert m.rows.size == 0 and m.unmatched_cols.size == 0
    m = assoc.associate(np.array([[0.0, 0, 10, 10]]), np.zeros(1, np.int64), Detections.empty())
    assert m.unmatched_rows.tolist() == [0]


@pytest.mark.parametrize("cls, kwargs, message", [
    (ByteAssociator, {"low_thresh": 0.7, "high_thresh": 0.5}, "must not exceed"),
    (ByteAssociator, {"method": "hungarian"}, "unknown method"),
    (CascadeAssociator, {"appearance_weight": 1.5}, "appearance_weight"),
    (OCSortAssociator, {"similarity": "l2"}, "unknown similarity"),
])
def test_bad_options(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


@pytest.mark.parametrize("preset", ["sort", "bytetrack", "ocsort", "botsort", "deepsort", "strongsort"])
def test_associators_only_read_the_track_view(preset, read_only_views):
    # Every array an associator sees is made read-only: a write anywhere in association raises.
    tracker = roadtrack.build("tracker", preset)
    rng = np.random.default_rng(0)
    for k in range(20):
        xy = np.array([[10.0, 10.0], [60.0, 12.0], [35.0, 11.0]]) + 3 * k + rng.normal(0, 1, (3, 2))
        keep = rng.random(3) > 0.2
        dets = Detections(np.concatenate([xy, xy + 40], axis=1)[keep], scores=rng.uniform(0.3, 0.95, keep.sum()),
                          features=rng.normal(size=(keep.sum(), 4)).astype(np.float32))
        tracker.update(dets)
