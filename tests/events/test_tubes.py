"""Agent tubes from tracker tubes: gap filling, smoothing, minimum length, class vote, agent scores."""

import numpy as np
import pytest

from roadtrack.core import Tracks, Tube
from roadtrack.events.tubes import (
    TubeBuilder, TubeOptions, agent_scores, fill_gaps, finalize_tubes, moving_average, tubes_from_tracks,
)


def _tube(frames, x1, scores=None, classes=None, track_id=1):
    frames = np.asarray(frames)
    x1 = np.asarray(x1, float)
    boxes = np.c_[x1, np.zeros(len(x1)), x1 + 10, np.full(len(x1), 20.0)]
    scores = np.ones(len(frames)) if scores is None else scores
    classes = np.zeros(len(frames), int) if classes is None else classes
    return Tube(track_id, frames, boxes, scores, classes)


def test_fill_gaps_interpolates_boxes_and_scales_scores():
    # frames 1, 4: two missing frames; x1 goes 0 -> 30, so 10 and 20 in between; scores 1.0 and 0.4 interpolate
    # to 0.8 and 0.6, times gap_score 0.5 -> 0.4 and 0.3.
    tube = _tube([1, 4], [0, 30], scores=np.array([1.0, 0.4]), classes=np.array([2, 3]))
    (filled,) = fill_gaps(tube, max_gap=2, gap_score=0.5)
    assert filled.frames.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(filled.xyxy[:, 0], [0, 10, 20, 30])
    np.testing.assert_allclose(filled.scores, [1.0, 0.4, 0.3, 0.4])
    assert filled.class_ids.tolist() == [2, 2, 2, 3]  # a filled frame keeps the last observed class


def test_fill_gaps_splits_at_long_gaps():
    pieces = fill_gaps(_tube([1, 2, 3, 10, 11], [0, 1, 2, 9, 10]), max_gap=5)
    assert [p.frames.tolist() for p in pieces] == [[1, 2, 3], [10, 11]]
    assert all(p.track_id == 1 for p in pieces)


def test_fill_gaps_interpolates_labels():
    tube = Tube(1, [1, 3], [[0, 0, 1, 1]] * 2, [1, 1], [0, 0], {"action": [[0.0, 1.0], [1.0, 0.0]]})
    (filled,) = fill_gaps(tube)
    np.testing.assert_allclose(filled.labels["action"], [[0, 1], [0.5, 0.5], [1, 0]])


def test_moving_average_keeps_linear_motion_and_ends():
    np.testing.assert_allclose(moving_average(np.arange(8.0), 5), np.arange(8.0))
    # [0, 1, 2, 6] with window 3: ends untouched, (0+1+2)/3 = 1, (1+2+6)/3 = 3
    np.testing.assert_allclose(moving_average(np.array([0.0, 1, 2, 6]), 3), [0, 1, 3, 6])


def test_finalize_drops_short_tubes_and_votes_the_class():
    # Detected as class 1 on 3 frames (scores 0.9) and class 2 on 2 frames (0.8): 2.7 > 1.6 -> class 1 everywhere.
    long = _tube([1, 2, 3, 5, 6], [0, 1, 2, 4, 5], scores=np.array([0.9, 0.9, 0.9, 0.8, 0.8]),
                 classes=np.array([1, 1, 2, 2, 1]))
    short = _tube([1, 2], [0, 1], track_id=2)
    out = finalize_tubes([long, short], TubeOptions(max_gap=2, smooth=1, min_length=3))
    assert len(out) == 1 and out[0].frames.tolist() == [1, 2, 3, 4, 5, 6]
    assert out[0].class_ids.tolist() == [1] * 6
    assert out[0].label == 1


@pytest.mark.parametrize("options", [
    dict(max_gap=-1), dict(smooth=0), dict(min_length=0), dict(gap_score=1.5),
])
def test_bad_tube_options(options):
    with pytest.raises(ValueError, match="bad tube options"):
        TubeOptions(**options)


def test_agent_scores_are_score_times_vote_share():
    # class 0 weighs 0.5 + 0.5 = 1.0, class 3 weighs 1.0: shares 0.5 / 0.5
    tube = _tube([1, 2, 3], [0, 1, 2], scores=np.array([0.5, 0.5, 1.0]), classes=np.array([0, 0, 3]))
    scores = agent_scores(tube, 4)
    np.testing.assert_allclose(scores[:, 0], [0.25, 0.25, 0.5])
    np.testing.assert_allclose(scores[:, 3], [0.25, 0.25, 0.5])
    # a detector class map: class 3 is not an agent (-1), so class 0 gets the whole vote
    np.testing.assert_allclose(agent_scores(tube, 4, np.array([0, 1, 2, -1]))[:, 0], [0.5, 0.5, 1.0])


def test_builder_and_tubes_from_tracks_group_by_id():
    frames = [(1, Tracks([1, 2], [[0, 0, 1, 1], [5, 5, 6, 6]], [0.9, 0.8], [0, 1])),
              (2, Tracks([2], [[6, 5, 7, 6]], [0.7], [1]))]
    tubes = tubes_from_tracks(frames)
    assert [(t.track_id, t.frames.tolist()) for t in tubes] == [(1, [1]), (2, [1, 2])]
    builder = TubeBuilder()
    builder.add(1, Tracks.empty())
    assert builder.build() == []
