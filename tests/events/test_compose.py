"""Duplex / triplet composition, event tubes, ROAD++ submission and frame-detection outputs."""

import pickle

import numpy as np
import pytest

from roadtrack.core import Tube
from roadtrack.core.labels import LABEL_TYPES, ROAD, ROAD_WAYMO
from roadtrack.events import EventOptions, compose, event_tubes, frame_detections, split_events, submission_tubes
from roadtrack.events.export import write_roadpp_outputs
from roadtrack.io.roadpp import read_submission


def _scores(label_set, t, agent="Car", actions=(), locs=()):
    labels = {"agent": np.zeros((t, len(label_set.agent))), "action": np.zeros((t, len(label_set.action))),
              "loc": np.zeros((t, len(label_set.loc)))}
    labels["agent"][:, label_set.agent.index(agent)] = 0.8
    for name, value in actions:
        labels["action"][:, label_set.action.index(name)] = value
    for name, value in locs:
        labels["loc"][:, label_set.loc.index(name)] = value
    return labels


@pytest.mark.parametrize("label_set", [ROAD, ROAD_WAYMO])
def test_compose_multiplies_component_scores_on_used_composites_only(label_set):
    s = compose(_scores(label_set, 2, "Car", [("MovAway", 0.5), ("Stop", 0.25)], [("Jun", 0.5)]), label_set)
    assert s["duplex"].shape == (2, len(label_set.duplex)) and s["triplet"].shape == (2, len(label_set.triplet))
    assert s["duplex"][0, label_set.duplex.index("Car-MovAway")] == pytest.approx(0.8 * 0.5)
    assert s["triplet"][0, label_set.triplet.index("Car-MovAway-Jun")] == pytest.approx(0.8 * 0.5 * 0.5)
    assert s["triplet"][0, label_set.triplet.index("Car-Stop-Jun")] == pytest.approx(0.8 * 0.25 * 0.5)
    # exactly the composites of (Car, {MovAway, Stop}) and (Car, {MovAway, Stop}, Jun) are non-zero
    assert {label_set.duplex[i] for i in np.flatnonzero(s["duplex"][0])} == \
        {d for d in ("Car-MovAway", "Car-Stop") if d in label_set.duplex}
    assert {label_set.triplet[i] for i in np.flatnonzero(s["triplet"][0])} == \
        {d for d in ("Car-MovAway-Jun", "Car-Stop-Jun") if d in label_set.triplet}


def _labelled(action_curve, track_id=1):
    t = len(action_curve)
    labels = _scores(ROAD, t, "Car", [("MovAway", 0.0)], [("VehLane", 1.0)])
    labels["action"][:, ROAD.action.index("MovAway")] = action_curve
    xyxy = np.c_[np.arange(t) * 2.0, np.zeros(t), np.arange(t) * 2.0 + 60, np.full(t, 40.0)]
    return Tube(track_id, np.arange(1, t + 1), xyxy, np.full(t, 0.8), np.ones(t, int), compose(labels, ROAD))


def test_split_events_cuts_runs_above_threshold():
    # on for frames 3..7 and 12..13 (the second run is shorter than min_length 3)
    curve = np.zeros(15)
    curve[2:7], curve[11:13] = 0.9, 0.6
    events = split_events(_labelled(curve), "action", EventOptions(smooth=1, threshold=0.5, min_length=3))
    assert [(e.label_id, e.frames.tolist()) for e in events] == [(ROAD.action.index("MovAway"), [3, 4, 5, 6, 7])]
    assert events[0].score == pytest.approx(0.9) and events[0].xyxy.shape == (5, 4)


def test_split_events_top_k_limits_classes():
    tube = _labelled(np.full(10, 0.9))  # MovAway 0.9 and VehLane 1.0 on every frame
    both = event_tubes([tube], ["action", "loc"], EventOptions(smooth=1, threshold=0.5, top_k=10))
    assert [len(both["action"]), len(both["loc"])] == [1, 1]
    none = split_events(tube, "action", EventOptions(smooth=1, threshold=0.95))
    assert none == []
    with pytest.raises(ValueError, match="unknown label type"):
        event_tubes([tube], ["actions"])


def test_submission_tubes_scale_to_the_submission_frame():
    curve = np.full(6, 0.9)
    sub = submission_tubes([_labelled(curve)], image_size=(1680, 1200), options=EventOptions(smooth=1))
    (agent,) = sub["agent"]
    assert agent.label_id == ROAD.agent.index("Car")
    np.testing.assert_allclose(agent.boxes[1], [1.0, 0.0, 31.0, 20.0])  # x / 2, y / 2 into 840 x 600
    assert agent.frames.tolist() == [1, 2, 3, 4, 5, 6]
    assert [ROAD.triplet[t.label_id] for t in sub["triplet"]] == ["Car-MovAway-VehLane"]
    assert sub["triplet"][0].score == pytest.approx(0.8 * 0.9 * 1.0)


def test_write_roadpp_outputs_round_trips(tmp_path):
    tube = _labelled(np.full(8, 0.9))
    paths = write_roadpp_outputs([tube], tmp_path, "val_00001", (840, 600), labels=ROAD, frames=True)
    sub = read_submission(paths["roadpp"], labels=ROAD)
    assert set(sub) == set(LABEL_TYPES) and all(list(sub[t]) == ["val_00001"] for t in LABEL_TYPES)
    frames = pickle.loads(paths["frames"].read_bytes())
    first = frames["action"]["val_0000100001"]
    assert len(first) == len(ROAD.action) and first[ROAD.action.index("MovAway")].shape == (1, 5)
    assert frames["agent_ness"]["val_0000100001"][0][0, 4] == pytest.approx(0.8)
    assert first[ROAD.action.index("Red")].size == 0  # below min_score: an empty array, as the baseline dumps


def test_frame_detections_keep_top_k_per_class():
    tubes = [_labelled(np.full(3, 0.9), track_id=i) for i in range(1, 5)]
    dets = frame_detections(tubes, (840, 600), "v", top_k=2)
    assert dets["agent"]["v00002"][ROAD.agent.index("Car")].shape == (2, 5)
