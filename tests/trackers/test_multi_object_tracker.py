"""`MultiObjectTracker` and the `sort()` preset on hand-made sequences (expectations derived in comments).

SORT's counters, used throughout: a new track has hit_streak 0; each update adds 1; a missed frame resets the
streak at the next prediction. A track is reported iff it was updated this frame and (hit_streak >= min_hits
or frame_count <= min_hits). It is deleted when time_since_update > max_age.
"""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.association import IoUAssociator
from roadtrack.core import Detections, TrackState
from roadtrack.kalman import XYAHKalman
from roadtrack.trackers import Lifecycle, MultiObjectTracker, sort

BOX = [100.0, 100.0, 140.0, 180.0]  # a 40 x 80 pedestrian-sized box
EMPTY = Detections.empty()


def det(*boxes, scores=None, class_ids=None) -> Detections:
    return Detections(np.array(boxes, dtype=float).reshape(-1, 4), scores=scores, class_ids=class_ids)


def reported(tracker, frames) -> list[list[int]]:
    """Ids reported per frame."""
    return [tracker.update(f).ids.tolist() for f in frames]


def test_crossing_objects_keep_their_ids():
    # A moves right (x1 = 8t), B moves left (x1 = 240 - 8t); both 20 x 40, B 10 px lower. At t = 15 they
    # share x: A = [120, 0, 140, 40], B = [120, 10, 140, 50], IoU(A, B) = 20 * 30 / (800 + 800 - 600) = 0.6.
    # The predicted boxes have learnt the velocities by then, so IoU(pred A, A) ~ 1: the assignment keeps
    # {A-A, B-B} (~2.0) over {A-B, B-A} (~1.2). Detection order alternates to exercise det_index.
    tracker = sort()
    seen = {"A": set(), "B": set()}
    for t in range(31):
        a = [8.0 * t, 0.0, 8.0 * t + 20, 40.0]
        b = [240.0 - 8.0 * t, 10.0, 260.0 - 8.0 * t, 50.0]
        names = ["A", "B"] if t % 2 == 0 else ["B", "A"]
        tracks = tracker.update(det(*(a if n == "A" else b for n in names)))
        assert len(tracks) == 2  # reported every frame: warm-up for t < 3, then hit_streak >= 3
        for track_id, row in zip(tracks.ids, tracks.det_index):
            seen[names[row]].add(int(track_id))
    # Frame 1 lists A first: new tracks take ids in detection order, so A is 1 and B is 2.
    assert seen == {"A": {1}, "B": {2}}


def test_one_frame_miss_keeps_the_id():
    # max_age=1: after the miss in frame 6 time_since_update = 1 (not > 1), so the track survives.
    # hit_streak per frame: 0 1 2 3 4 | miss | 1 2 3 4 -> reported in frames 1-3 (warm-up), 4-5, 9-10.
    frames = [det(BOX)] * 5 + [EMPTY] + [det(BOX)] * 4
    assert reported(sort(max_age=1), frames) == [[1], [1], [1], [1], [1], [], [], [], [1], [1]]


@pytest.mark.parametrize("misses, expected_id", [(2, 1), (3, 2)])
def test_new_id_after_more_than_max_age_misses(misses, expected_id):
    # max_age=2: 2 misses leave time_since_update = 2 (kept); a 3rd makes it 3 > 2 and deletes the track.
    tracker = sort(max_age=2, min_hits=1)
    reported(tracker, [det(BOX)] * 3 + [EMPTY] * misses)
    # min_hits=1: the returning detection updates the old track (streak 1) or starts one (streak 0, and
    # frame_count > min_hits), so check the id inside the tracker rather than the report.
    tracker.update(det(BOX))
    assert tracker.tracks.ids.tolist() == [expected_id]


def test_empty_frames():
    # Empty frames before the first detection count as frames: at frame 4 the warm-up (frames 1-3) is
    # over, so the track starting there (streak 0) is reported only at streak 3, i.e. in frame 7.
    tracker = sort()
    out = [tracker.update(f) for f in [EMPTY] * 3 + [det(BOX)] * 4 + [EMPTY]]
    assert [t.ids.tolist() for t in out] == [[], [], [], [], [], [], [1], []]
    assert all(t.xyxy.shape == (len(t), 4) for t in out)


def test_reset_restores_a_fresh_tracker():
    tracker = sort()
    reported(tracker, [det(BOX, [300, 300, 340, 380])] * 2 + [det([500, 500, 540, 580])])
    assert tracker.next_id == 4
    tracker.reset()
    assert len(tracker.tracks) == 0 and tracker.frame_count == 0
    # Ids restart at 1 and the warm-up applies again (reported on the first frame).
    assert tracker.update(det([0, 0, 10, 10])).ids.tolist() == [1]


def test_two_trackers_do_not_share_ids():
    first, second = sort(), sort()
    assert first.update(det(BOX, [300, 300, 340, 380])).ids.tolist() == [1, 2]
    assert second.update(det(BOX)).ids.tolist() == [1]
    assert first.update(det(BOX, [300, 300, 340, 380], [600, 600, 640, 680])).ids.tolist() == [1, 2, 3]


def test_class_aware_car_never_takes_a_pedestrian_track():
    ped, car = 0, 2
    tracker = sort(class_aware=True)
    reported(tracker, [det(BOX, scores=[0.9], class_ids=[ped])] * 4)
    out = tracker.update(det(BOX, scores=[0.8], class_ids=[car]))
    # The car box overlaps the pedestrian track perfectly but starts track 2; track 1 coasts unreported.
    assert tracker.tracks.ids.tolist() == [1, 2]
    assert out.ids.tolist() == [] and tracker.tracks.class_ids.tolist() == [ped, car]


def test_class_vote_is_score_weighted_and_not_overturned_by_one_frame():
    ped, car = 0, 2
    tracker = sort(class_aware=False, min_hits=1)
    reported(tracker, [det(BOX, scores=[0.9], class_ids=[ped])] * 4)  # pedestrian votes 4 * 0.9 = 3.6
    for frame, expected in enumerate([ped, ped, ped, ped, car], start=1):
        out = tracker.update(det(BOX, scores=[0.8], class_ids=[car]))
        # Car votes 0.8 * frame: 0.8, 1.6, 2.4, 3.2 < 3.6, then 4.0 > 3.6 in the 5th car frame.
        assert out.ids.tolist() == [1] and out.class_ids.tolist() == [expected]


def test_det_index_points_at_the_updating_detection():
    a, b = [0.0, 0.0, 20.0, 40.0], [200.0, 0.0, 220.0, 40.0]
    zero_area = [50.0, 50.0, 50.0, 90.0]
    tracker = sort()
    first = tracker.update(det(zero_area, a, b))
    # The zero-width box is not tracked; rows 1 and 2 start tracks 1 and 2 at exactly their boxes.
    assert first.ids.tolist() == [1, 2] and first.det_index.tolist() == [1, 2]
    np.testing.assert_allclose(first.xyxy, [a, b])
    second = tracker.update(det(b, zero_area, a))
    assert second.ids.tolist() == [1, 2] and second.det_index.tolist() == [2, 0]
    # Static boxes: the prediction equals the measurement, so the corrected state is the box again.
    np.testing.assert_allclose(second.xyxy, [a, b])


def test_coasting_tracks_report_det_index_minus_one():
    life = Lifecycle(max_age=3, min_hits=1, max_report_gap=2, report_warmup=True)
    tracker = MultiObjectTracker(XYAHKalman(), IoUAssociator(), life)
    tracker.update(det(BOX))
    tracker.update(det(BOX))
    out = [tracker.update(EMPTY) for _ in range(3)]
    # Gap 1 and 2 are reported (<= max_report_gap), gap 3 is not; the track is kept until gap 4 > max_age.
    assert [o.ids.tolist() for o in out] == [[1], [1], []]
    assert out[0].det_index.tolist() == [-1] and out[0].state.tolist() == [TrackState.LOST]
    assert out[1].age.tolist() == [3]  # predicted in frames 2, 3, 4
    assert len(tracker.tracks) == 1


def test_age_and_state_columns():
    tracker = sort()
    out = [tracker.update(det(BOX)) for _ in range(4)]
    assert [o.age.tolist() for o in out] == [[0], [1], [2], [3]]
    # hit_streak 0, 1, 2 (< min_hits=3, reported by the warm-up rule), then 3.
    assert [o.state.tolist() for o in out] == [[TrackState.TENTATIVE]] * 3 + [[TrackState.CONFIRMED]]


def test_duplicate_boxes_keep_two_tracks():
    tracker = sort()
    assert tracker.update(det(BOX, BOX)).ids.tolist() == [1, 2]
    out = tracker.update(det(BOX, BOX))
    assert out.ids.tolist() == [1, 2] and sorted(out.det_index.tolist()) == [0, 1]


def test_zero_area_boxes_start_no_tracks():
    tracker = sort()
    out = tracker.update(det([5, 5, 5, 5], [0, 0, 0, 10], [0, 0, 10, 0]))
    assert len(out) == 0 and len(tracker.tracks) == 0
    tracker.update(det(BOX))
    out = tracker.update(det([120, 120, 120, 120], BOX))  # a point inside the track does not disturb it
    assert out.ids.tolist() == [1] and out.det_index.tolist() == [1]


def test_thousands_of_detections():
    rng = np.random.default_rng(0)
    n = 2000
    xy = rng.uniform(0, 4000, (n, 2))
    wh = rng.uniform(10, 60, (n, 2))
    tracker = sort()
    for step in range(3):
        boxes = np.concatenate([xy, xy + wh], axis=1) + step * 2.0 + rng.normal(0, 0.5, (n, 4)).clip(-1, 1)
        out = tracker.update(Detections(np.concatenate([boxes[:, :2], np.maximum(boxes[:, 2:], boxes[:, :2] + 1)], 1)))
        # Warm-up frames report every updated or new track: exactly one per detection.
        assert len(out) == n and len(np.unique(out.ids)) == n and np.isfinite(out.xyxy).all()
        assert sorted(out.det_index.tolist()) == list(range(n))


def test_xyah_tracker_keeps_ids_on_a_linear_sequence():
    life = Lifecycle(max_age=1, min_hits=3, max_report_gap=0, report_warmup=True)
    tracker = MultiObjectTracker(XYAHKalman(), IoUAssociator(), life)
    ids = set()
    for t in range(25):
        a = [10.0 + 6 * t, 20.0 + 2 * t, 50.0 + 6 * t, 100.0 + 2 * t]
        b = [400.0 - 5 * t, 20.0, 440.0 - 5 * t, 100.0]
        out = tracker.update(det(a, b))
        assert len(out) == 2 and out.det_index.tolist() == [0, 1]
        ids.update(out.ids.tolist())
        np.testing.assert_allclose(out.xyxy, [a, b], atol=5.0)
    assert ids == {1, 2}


def test_registered_preset_and_defaults():
    tracker = roadtrack.build("tracker", "sort", max_age=5)
    assert isinstance(tracker, MultiObjectTracker)
    assert (tracker.lifecycle.max_age, tracker.lifecycle.min_hits, tracker.associator.iou_threshold) == (5, 3, 0.3)
    with pytest.raises(ValueError, match="unknown option"):
        roadtrack.build("tracker", "sort", track_thresh=0.5)


@pytest.mark.parametrize("field", ["max_age", "min_hits", "max_report_gap"])
def test_lifecycle_rejects_negative_values(field):
    values = dict(max_age=1, min_hits=3, max_report_gap=0, report_warmup=True) | {field: -1}
    with pytest.raises(ValueError, match=f"{field} must be >= 0"):
        Lifecycle(**values)


def test_a_failed_frame_leaves_the_tracker_as_it_was():
    # Tracks remember 2-dimensional features; a frame whose detections carry 3-dimensional ones cannot be
    # compared and must raise before anything advances (frame count, ages, states, ids).
    from roadtrack.trackers import deepsort

    tracker = deepsort(n_init=1)
    for k in range(3):
        tracker.update(det(BOX, scores=[0.9]).with_features(np.array([[1.0, 0.0]])))
    before = {name: value.copy() for name, value in tracker.tracks.columns().items()}
    frame_count = tracker.frame_count
    with pytest.raises(ValueError, match="3-dimensional features"):
        tracker.update(det(BOX, scores=[0.9]).with_features(np.ones((1, 3))))
    assert tracker.frame_count == frame_count
    for name, value in tracker.tracks.columns().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_an_associator_error_rolls_the_frame_back():
    class Failing(IoUAssociator):
        def associate(self, track_xyxy, track_class_ids, detections):
            raise RuntimeError("associator failed")

    tracker = MultiObjectTracker(XYAHKalman(), IoUAssociator(), Lifecycle(max_age=3, min_hits=1, max_report_gap=0,
                                                                          report_warmup=False))
    tracker.update(det(BOX, scores=[0.9]))
    age, mean = tracker.tracks.age.copy(), tracker.tracks.mean.copy()
    tracker.associator = Failing()
    with pytest.raises(RuntimeError, match="associator failed"):
        tracker.update(det(BOX, scores=[0.9]))
    assert tracker.frame_count == 1 and tracker.tracks.age.tolist() == age.tolist()
    np.testing.assert_array_equal(tracker.tracks.mean, mean)  # the prediction was not kept
