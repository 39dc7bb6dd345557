"""Named extra per-row columns: Detections -> tracker (det_index) -> Tracks -> tubes."""

import dataclasses

import numpy as np
import pytest

from roadtrack.core import Detections, Tracks
from roadtrack.events import TubeBuilder, fill_gaps
from roadtrack.trackers import sort

SCORES = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
BOXES = [[0, 0, 10, 10], [100, 100, 120, 140], [200, 0, 230, 30]]


def _dets(rows=(0, 1, 2), shift=0.0):
    rows = list(rows)
    return Detections(np.asarray(BOXES, float)[rows] + shift, [0.9] * len(rows), [0] * len(rows),
                      extras={"agent_scores": SCORES[rows], "flag": np.arange(3)[rows]})


def test_extras_follow_slices_masks_and_concat():
    d = _dets()
    assert d[1].extras["agent_scores"].tolist() == [[0.2, 0.8]]
    assert d[np.array([True, False, True])].extras["flag"].tolist() == [0, 2]
    assert d[1:][[1]].extras["agent_scores"].tolist() == [[0.5, 0.5]]
    both = Detections.concat([d, d[[0]], Detections.empty()])
    assert both.extras["agent_scores"].shape == (4, 2) and both.extras["flag"].tolist() == [0, 1, 2, 0]
    assert Detections.concat([Detections.empty(), Detections.empty()]).extras == {}


def test_extras_are_shared_not_copied():
    scores = SCORES.copy()
    d = Detections(BOXES, extras={"agent_scores": scores})
    assert np.shares_memory(d.extras["agent_scores"], scores)
    with pytest.raises(TypeError):
        d.extras["x"] = scores  # read-only mapping


@pytest.mark.parametrize("extras, match", [
    ({"a": np.zeros((2, 2))}, r"extras\['a'\]: expected a numeric array of shape \(3, \.\.\.\)"),
    ({"a": np.full((3, 2), np.nan)}, r"extras\['a'\]: contains NaN"),
    ({"a": np.array(["x", "y", "z"])}, "numeric array"),
    ({1: np.zeros(3)}, "names must be non-empty strings"),
    ([np.zeros(3)], "expected a mapping"),
    ({"a": np.zeros((3, 2))}, None),  # does not raise
])
def test_extras_are_validated_once_on_construction(extras, match):
    if match is None:
        Detections(BOXES, extras=extras)
        return
    with pytest.raises(ValueError, match=match):
        Detections(BOXES, extras=extras)


def test_concat_refuses_extras_missing_from_a_table_with_rows():
    with pytest.raises(ValueError, match="present in some tables and missing"):
        Detections.concat([_dets(), Detections(BOXES)])


def test_tracker_carries_each_detections_row_by_det_index():
    tracker = sort(min_hits=0)
    first = tracker.update(_dets())
    assert first.extras["agent_scores"].tolist() == SCORES.tolist()
    # Same objects, detections in another order: each track keeps its own object's scores.
    second = tracker.update(_dets(rows=(2, 0, 1), shift=1.0))
    by_id = dict(zip(second.ids.tolist(), second.extras["agent_scores"].tolist()))
    assert by_id == {1: [0.9, 0.1], 2: [0.2, 0.8], 3: [0.5, 0.5]}
    assert second.extras["flag"].dtype == np.float64  # ints become float to hold NaN for coasting tracks


def test_coasting_tracks_get_nan_and_plain_detections_cost_nothing():
    tracker = sort(min_hits=0)
    tracker.lifecycle = dataclasses.replace(tracker.lifecycle, max_report_gap=2)
    tracker.update(_dets())
    tracks = tracker.update(_dets(rows=(0,), shift=1.0))  # objects 2 and 3 missed: coasting, reported
    assert tracks.det_index.tolist() == [0, -1, -1]
    rows = tracks.extras["agent_scores"]
    assert rows[0].tolist() == [0.9, 0.1] and np.isnan(rows[1:]).all()
    plain = sort(min_hits=0).update(Detections(BOXES))
    assert plain.extras == {}


def test_tubes_keep_extras_per_frame_and_fill_gaps_from_observed_rows():
    tracker, builder = sort(min_hits=0), TubeBuilder()
    tracker.lifecycle = dataclasses.replace(tracker.lifecycle, max_report_gap=2)
    for frame, rows in enumerate([(0, 1), (0,), (0, 1), (), (0, 1)], start=1):
        dets = _dets(rows, shift=frame) if rows else Detections.empty()
        if rows == (0, 1) and frame == 3:  # object 2's scores change: the filled frame blends them
            dets = dataclasses.replace(dets, extras={**dets.extras, "agent_scores": np.array([[0.9, 0.1], [0.6, 0.4]])})
        builder.add(frame, tracker.update(dets))
    tube = {t.track_id: t for t in builder.build()}[2]
    assert tube.frames.tolist() == [1, 2, 3, 4, 5]
    scores = tube.extras["agent_scores"]
    assert np.isnan(scores[[1, 3]]).all()  # coasting frames (2 and 4) have no detection
    (filled,) = fill_gaps(tube)
    # Frame 2 lies half-way between frame 1 (0.2, 0.8) and frame 3 (0.6, 0.4): (0.4, 0.6).
    np.testing.assert_allclose(filled.extras["agent_scores"][1], [0.4, 0.6])
    np.testing.assert_allclose(filled.extras["agent_scores"][3], [0.4, 0.6])  # (0.6, 0.4) and (0.2, 0.8)


def test_tracks_validate_extras_but_allow_nan():
    t = Tracks([1, 2], [[0, 0, 1, 1]] * 2, [1, 1], [0, 0], extras={"a": [[np.nan], [1.0]]})
    assert np.isnan(t.extras["a"][0, 0]) and t[[1]].extras["a"].tolist() == [[1.0]]
    with pytest.raises(ValueError, match=r"extras\['a'\]"):
        Tracks([1, 2], [[0, 0, 1, 1]] * 2, [1, 1], [0, 0], extras={"a": [1.0]})
