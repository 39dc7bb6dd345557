import numpy as np
import pytest

from roadtrack import Tracks, TrackState, Tube


def test_tracks_defaults_and_validation():
    t = Tracks([3, 4], [[0, 0, 1, 1], [1, 1, 2, 2]], [0.5, 0.6], [0, 0])
    assert t.state.tolist() == [TrackState.CONFIRMED] * 2 and t.det_index.tolist() == [-1, -1]
    assert t[t.ids == 4].scores.tolist() == [0.6]
    with pytest.raises(ValueError, match=r"xyxy: expected shape \(2, 4\)"):
        Tracks([1, 2], [[0, 0, 1, 1]], [0.5, 0.5], [0, 0])
    with pytest.raises(ValueError, match="ids: expected whole numbers"):
        Tracks([1.5], [[0, 0, 1, 1]], [0.5], [0])


def test_tube_label_is_score_weighted_vote():
    # class 0 has weight 0.9; class 1 has 0.3 + 0.4 = 0.7 -> class 0 wins despite fewer frames
    tube = Tube(7, [1, 2, 5], [[0, 0, 1, 1]] * 3, [0.9, 0.3, 0.4], [0, 1, 1])
    assert tube.label == 0 and len(tube) == 3
    assert tube.score == pytest.approx((0.9 + 0.3 + 0.4) / 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(frames=[2, 1]), "frames: must be strictly increasing"),
        (dict(frames=[1, 1]), "frames: must be strictly increasing"),
        (dict(scores=[0.1]), r"scores: expected shape \(2,\)"),
        (dict(labels={"action": np.zeros((3, 4))}), r"labels\['action'\]: expected 2 rows"),
    ],
)
def test_tube_validation(kwargs, match):
    args = dict(track_id=1, frames=[1, 2], xyxy=[[0, 0, 1, 1]] * 2, scores=[0.5, 0.5], class_ids=[0, 0])
    with pytest.raises(ValueError, match=match):
        Tube(**{**args, **kwargs})
