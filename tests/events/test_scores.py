"""The ``scores`` event path: per-label segments from carried label scores, and its ROAD++ file."""

import numpy as np
import pytest

from roadtrack.core import Tube, build
from roadtrack.core.labels import LABEL_TYPES, ROAD_WAYMO, score_column
from roadtrack.datasets.road import load_road
from roadtrack.datasets.synthetic_road import synthetic_road
from roadtrack.events import EventOptions, ScoreEventClassifier, scores_label_set, write_roadpp_outputs
from roadtrack.events.segments import label_runs
from roadtrack.io.roadpp import read_submission
from roadtrack.io.roadpp_merge import complete_submission, merge_submissions
from roadtrack.metrics.road import evaluate_road_files


def test_label_runs_threshold_and_switch_cost():
    s = np.array([0.9, 0.9, 0.1, 0.9, 0.9, 0.0, 0.0, 0.0, 0.6])[:, None]
    assert label_runs(s, 0.5).tolist() == [[0, 0, 2], [0, 3, 5], [0, 8, 9]]
    # Bridging the dip at frame 2 costs 0.4 < two switches (2 x 1.0); the blip at frame 8 gains 0.1 < 1.0.
    assert label_runs(s, 0.5, switch_cost=1.0).tolist() == [[0, 0, 5]]
    two = np.c_[s, 1.0 - s]
    # Column 1 ends at 0.4 on frame 8: staying on costs 0.1, switching off 1.0, so its run reaches the end.
    assert label_runs(two, 0.5, switch_cost=1.0).tolist() == [[0, 0, 5], [1, 5, 9]]
    with pytest.raises(ValueError, match="switch_cost"):
        label_runs(s, 0.5, switch_cost=-1)


def _tube(action: np.ndarray, length: int = 12, with_loc: bool = True) -> Tube:
    n = length
    agent = np.zeros((n, len(ROAD_WAYMO.agent)))
    agent[:, ROAD_WAYMO.agent.index("Car")] = 0.8
    extras = {score_column("agent"): agent, score_column("action"): action}
    if with_loc:
        loc = np.zeros((n, len(ROAD_WAYMO.loc)))
        loc[:, ROAD_WAYMO.loc.index("VehLane")] = 0.9
        extras[score_column("loc")] = loc
    boxes = np.tile([10.0, 10.0, 50.0, 90.0], (n, 1))
    return Tube(1, np.arange(1, n + 1), boxes, np.full(n, 0.9), np.zeros(n, np.int64), extras=extras)


def _switching_action(n=12):
    action = np.zeros((n, len(ROAD_WAYMO.action)))
    action[: n // 2, ROAD_WAYMO.action.index("MovAway")] = 0.9
    action[n // 2:, ROAD_WAYMO.action.index("Stop")] = 0.9
    return action


def test_scores_classifier_labels_all_types_and_segments_the_switch():
    clf = ScoreEventClassifier("road_waymo", smooth=1, event_options=EventOptions(smooth=1, threshold=0.3,
                                                                                  min_length=3, switch_cost=1.0))
    (tube,) = clf.classify([_tube(_switching_action())])
    assert {t: v.shape[1] for t, v in tube.labels.items()} == dict(zip(LABEL_TYPES, ROAD_WAYMO.counts))
    car_stop_lane = ROAD_WAYMO.triplet.index("Car-Stop-VehLane")
    np.testing.assert_allclose(tube.labels["triplet"][-1, car_stop_lane], 0.8 * 0.9 * 0.9)
    from roadtrack.events import split_events
    actions = split_events(tube, "action", clf.event_options)
    assert [(ROAD_WAYMO.action[e.label_id], e.frames[0], e.frames[-1]) for e in actions] == \
        [("MovAway", 1, 6), ("Stop", 7, 12)]


def test_scores_classifier_names_missing_columns_and_keeps_given_composites():
    clf = ScoreEventClassifier("road_waymo")
    with pytest.raises(ValueError, match="'loc_scores' is missing"):
        clf.classify([_tube(_switching_action(), with_loc=False)])
    with pytest.raises(ValueError, match=r"expected \(T, 22\)"):
        clf.classify([_tube(np.zeros((12, 19)))])
    tube = _tube(_switching_action())
    duplex = np.full((12, len(ROAD_WAYMO.duplex)), 0.123)
    tube = Tube(1, tube.frames, tube.xyxy, tube.scores, tube.class_ids,
                extras={**tube.extras, score_column("duplex"): duplex})
    (out,) = ScoreEventClassifier("road_waymo", smooth=1).classify([tube])
    np.testing.assert_allclose(out.labels["duplex"], 0.123)  # the detector's own, not composed
    assert scores_label_set({"action_scores": (19,), "loc_scores": (12,)}).name == "road"
    assert scores_label_set({"action_scores": (22,)}) is None


def test_scores_event_path_is_registered():
    assert isinstance(build("event_classifier", "scores", labels="road_waymo"), ScoreEventClassifier)


def test_written_file_loads_in_the_evaluator_with_every_label_type(tmp_path):
    ann_path = synthetic_road("road_waymo", seed=1, num_videos=4, num_frames=16).write(tmp_path / "ann.json")
    ann = load_road(ann_path)
    video = ann.subset("val")[0]
    (tube,) = ScoreEventClassifier("road_waymo", smooth=1).classify([_tube(_switching_action())])
    path = write_roadpp_outputs([tube], tmp_path / video.name, video.name, (840, 600))["roadpp"]
    sub = read_submission(path)
    assert set(sub) == set(LABEL_TYPES) and all(list(sub[t]) == [video.name] for t in LABEL_TYPES)
    merged = merge_submissions([path], tmp_path / "all.pkl", [v.name for v in ann.subset("val")])
    whole = read_submission(merged)
    assert all(set(whole[t]) == {v.name for v in ann.subset("val")} for t in LABEL_TYPES)
    assert whole["agent"][ann.subset("val")[1].name] == []  # a video without tubes is present, empty
    ev = evaluate_road_files(ann_path, merged, subset="val")
    assert {r.label_type for r in ev.results if r.level == "video"} == set(LABEL_TYPES)
    with pytest.raises(ValueError, match="also in an earlier file"):
        merge_submissions([path, path], tmp_path / "twice.pkl")


def test_complete_submission_adds_types_and_videos_without_copying_tubes():
    tube = object()
    out = complete_submission({"agent": {"v1": [tube]}, "av_action": {"v1": []}}, videos=["v0", "v1"])
    assert list(out) == [*LABEL_TYPES, "av_action"] and out["agent"]["v1"][0] is tube
    assert out["triplet"] == {"v0": [], "v1": []}


def test_av_action_tubes_are_written_when_given_and_not_scored(tmp_path):
    from roadtrack.io.roadpp import SubmissionTube

    ego = SubmissionTube(ROAD_WAYMO.av_action.index("AV-Mov"), [1, 2], [[0, 0, 840, 600]] * 2, [0.9, 0.8], 0.85)
    (tube,) = ScoreEventClassifier("road_waymo", smooth=1).classify([_tube(_switching_action())])
    path = write_roadpp_outputs([tube], tmp_path, "val_00000", (840, 600), av_action=[ego])["roadpp"]
    sub = read_submission(path)
    assert set(sub) == {*LABEL_TYPES, "av_action"} and sub["av_action"]["val_00000"][0].label_id == 1
    bad = SubmissionTube(len(ROAD_WAYMO.av_action), [1], [[0, 0, 1, 1]], [0.5], 0.5)
    with pytest.raises(ValueError, match="not a av_action class id"):
        write_roadpp_outputs([tube], tmp_path / "bad", "val_00000", (840, 600), av_action=[bad])
