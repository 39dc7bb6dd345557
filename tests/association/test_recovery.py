"""`buffered_iou` and `LostTrackRecovery` on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association import ByteAssociator, LostTrackRecovery, buffered_iou, iou
from roadtrack.core import TrackView
from roadtrack.core import Detections


def view(xyxy, tsu, hits=10, confirmed=True, class_ids=None, features=None) -> TrackView:
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    n = len(xyxy)
    return TrackView(xyxy, np.zeros(n, np.int64) if class_ids is None else np.asarray(class_ids, np.int64),
                     np.full(n, confirmed), np.asarray(tsu, np.int64).reshape(n), hits=np.full(n, hits),
                     features=None if features is None else np.asarray(features, np.float32))


def test_buffered_iou_by_hand():
    a, b = np.array([[0.0, 0, 10, 10]]), np.array([[12.0, 0, 22, 10]])
    # Widened by 5 px: [-5,-5,15,15] and [7,-5,27,15]; intersection 8 x 20 = 160, union 400 + 400 - 160.
    assert buffered_iou(a, b, 0.5)[0, 0] == pytest.approx(160 / 640)
    assert iou(a, b)[0, 0] == 0.0
    assert buffered_iou(a, b, 0.0) == pytest.approx(iou(a, b))
    assert buffered_iou(a, b[:0], 0.5).shape == (1, 0)
    with pytest.raises(ValueError, match="buffer"):
        buffered_iou(a, b, -0.1)


def test_recovers_a_drifted_track_that_plain_iou_misses():
    tracks = view([[0, 0, 20, 40]], tsu=[4])
    dets = Detections([[22.0, 2, 42, 42]], scores=[0.9])
    assert iou(tracks.xyxy, dets.xyxy)[0, 0] == 0.0
    rows, cols = LostTrackRecovery().match(tracks, dets, np.array([0]), np.array([0]))
    assert rows.tolist() == [0] and cols.tolist() == [0]


@pytest.mark.parametrize("case, tracks, det", [
    ("updated last frame (step 2's business)", dict(tsu=[1]), [22.0, 2, 42, 42]),
    ("too young", dict(tsu=[4], hits=2), [22.0, 2, 42, 42]),
    ("tentative", dict(tsu=[4], confirmed=False), [22.0, 2, 42, 42]),
    ("other class", dict(tsu=[4], class_ids=[1]), [22.0, 2, 42, 42]),
    ("height differs by more than 1.3x", dict(tsu=[4]), [22.0, 2, 42, 60]),
    ("too far away", dict(tsu=[4]), [60.0, 0, 80, 40]),
])
def test_gates(case, tracks, det):
    rows, _ = LostTrackRecovery().match(view([[0, 0, 20, 40]], **tracks), Detections([det], scores=[0.9]),
                                        np.array([0]), np.array([0]))
    assert rows.size == 0, case


def test_detection_on_a_track_matched_this_frame_is_left_alone():
    tracks = view([[0, 0, 20, 40], [24, 0, 44, 40]], tsu=[4, 1])
    dets = Detections([[22.0, 2, 42, 42]], scores=[0.9])  # IoU 0.75 with the matched track 1
    recovery = LostTrackRecovery()
    assert recovery.match(tracks, dets, np.array([0]), np.array([0]), matched_tracks=np.array([1]))[0].size == 0
    assert recovery.match(tracks, dets, np.array([0]), np.array([0]))[0].tolist() == [0]


def test_appearance_decides_between_people_hidden_together():
    # Two lost tracks side by side; each person came back nearer the other one's prediction. Buffered-IoU costs
    # (boxes 20 x 40 widened to 40 x 80, centres d px apart: (40 - d) * 80 / (6400 - (40 - d) * 80)):
    # motion alone pairs 0-1 (d=6) and 1-0 (d=10): 0.261 + 0.400 < 0.519 + 0.621; with appearance (weight 0.5,
    # cosine / 2 = 0.5 for unlike pairs) the true pairs cost 0.5 * 1.140 = 0.570 < 0.5 * 0.661 + 0.5 = 0.831.
    tracks = view([[0, 0, 20, 40], [24, 0, 44, 40]], tsu=[5, 5], features=[[1, 0], [0, 1]])
    dets = Detections([[14.0, 0, 34, 40], [6.0, 0, 26, 40]], scores=[0.9, 0.9], features=[[1, 0], [0, 1]])
    free = np.arange(2)
    rows, cols = LostTrackRecovery(appearance_weight=0.0).match(tracks, dets, free, free)
    assert dict(zip(rows.tolist(), cols.tolist())) == {0: 1, 1: 0}  # motion alone: nearest boxes
    rows, cols = LostTrackRecovery().match(tracks, dets, free, free)
    assert dict(zip(rows.tolist(), cols.tolist())) == {0: 0, 1: 1}  # appearance outweighs the drift


def test_needs_hits_and_validates_options():
    bare = TrackView(np.zeros((1, 4)) + [0, 0, 1, 1], np.zeros(1, np.int64), np.ones(1, bool), np.array([3]))
    with pytest.raises(ValueError, match="hits"):
        LostTrackRecovery().match(bare, Detections([[0.0, 0, 1, 1]], scores=[1.0]), np.array([0]), np.array([0]))
    for bad in (dict(buffer=-1), dict(max_cost=1.5), dict(max_height_ratio=0.9), dict(max_overlap=2),
                dict(appearance_weight=-0.1)):
        with pytest.raises(ValueError):
            LostTrackRecovery(**bad)


def test_byte_associator_recovers_only_with_the_step_enabled():
    tracks = view([[0, 0, 20, 40]], tsu=[4])
    dets = Detections([[22.0, 2, 42, 42]], scores=[0.9])
    assert ByteAssociator().match(tracks, dets).rows.size == 0
    m = ByteAssociator(recovery=LostTrackRecovery()).match(tracks, dets)
    assert m.rows.tolist() == [0] and m.cols.tolist() == [0]
    low = Detections([[22.0, 2, 42, 42]], scores=[0.3])  # only high-score detections are recovered
    assert ByteAssociator(recovery=LostTrackRecovery()).match(tracks, low).rows.size == 0
