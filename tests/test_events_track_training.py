"""train-events from labelled tracks without frames, the labelled-tracks CSV, and the track command's event options."""

import argparse
import json

import numpy as np
import pytest

from roadtrack.cli import main
from roadtrack.cli._event_options import add_event_options, event_options_from_args, events_run_info
from roadtrack.core.labels import ROAD_WAYMO
from roadtrack.events.track_file import read_labelled_tracks

HEADER = "frame,track_id,agent,x1,y1,x2,y2,labelled,action,loc\n"


def _video_csv(path, seed):
    """Two tracks: a car driving away in the AV's lane, a pedestrian standing on the right pavement."""
    rng = np.random.default_rng(seed)
    lines = [HEADER]
    for f in range(20):
        w = 80 - 2 * f + rng.normal(0, 0.5)  # shrinking: moving away
        lines.append(f"{f},1,Car,{500 - w / 2:.1f},{300 - w * 0.8:.1f},{500 + w / 2:.1f},300,1,MovAway,VehLane\n")
        lines.append(f"{f},2,Ped,850,200,870,260,{int(f > 1)},Stop,RhtPav\n")
    path.write_text("".join(lines))
    return path


def _tracks_dir(tmp_path, count):
    """``tmp_path/tracks`` holding ``v0.csv`` ... (`_video_csv`, one seed each)."""
    data = tmp_path / "tracks"
    data.mkdir()
    for i in range(count):
        _video_csv(data / f"v{i}.csv", i)
    return data


def test_labelled_tracks_csv(tmp_path):
    tracks = read_labelled_tracks(_video_csv(tmp_path / "v0.csv", 0), ROAD_WAYMO)
    assert tracks.name == "v0" and [t.track_id for t in tracks.tubes] == [1, 2]
    car = tracks.targets[0]
    assert car["action"][:, ROAD_WAYMO.action.index("MovAway")].all()
    assert car["loc"][:, ROAD_WAYMO.loc.index("VehLane")].all() and car["loc"].sum() == 20
    assert tracks.labelled[1].tolist() == [False, False] + [True] * 18


@pytest.mark.parametrize("text, match", [
    ("frame,track_id,agent,x1,y1,x2\n", "missing column.*y2"),
    (HEADER + "0,1,Lorry,1,1,2,2,1,,\n", "line 2: agent 'Lorry' is not a road_waymo agent"),
    (HEADER + "0,1,Car,1,1,2,2,1,Fly,\n", r"line 2: action label\(s\) \['Fly'\]"),
    (HEADER + "0,1,Car,1,1,x,2,1,,\n", "line 2: bad number"),
    (HEADER + "0,1,Car,1,1,2,2,1,,\n0,1,Car,1,1,2,2,1,,\n", "track 1 has frame 0 twice"),
    (HEADER + "0,1,Car,5,1,2,2,1,,\n", "track 1: xyxy: x2 < x1"),
])
def test_labelled_tracks_errors(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_labelled_tracks(path, ROAD_WAYMO)


def test_train_events_from_tracks_runs_and_the_model_labels_tracks(tmp_path, capsys):
    pytest.importorskip("torch")
    from roadtrack.events.temporal import TemporalEventClassifier

    data = _tracks_dir(tmp_path, 4)
    ego = tmp_path / "ego"
    ego.mkdir()
    (ego / "v0.csv").write_text("frame,speed_mps,yaw_rate_rps\n0,5,0\n19,5,0\n")  # others: from the tracks
    code = main(["train-events", "--tracks", str(data), "--ego-dir", str(ego), "--image-size", "1000x500",
                 "--epochs", "2", "--width", "16", "--out", str(tmp_path / "model"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "from 2 videos, " in out and "validation tubes from 2 videos" in out  # v2, v3 held for validation
    clf = TemporalEventClassifier(tmp_path / "model" / "best.ckpt", device="cpu", image_size=(1000, 500))
    tubes = read_labelled_tracks(data / "v0.csv", ROAD_WAYMO).tubes
    labelled = clf.classify(tubes, None)
    assert [t.track_id for t in labelled] == [1, 2]
    assert labelled[0].labels["action"].shape == (20, len(ROAD_WAYMO.action))
    assert clf.run_info()["ego_motion"] == "tracks"


@pytest.mark.parametrize("argv, match", [
    (["--tracks", "NOPE"], "--tracks: not a folder"),
    (["--tracks", "{data}", "--annotations", "a.json"], "--tracks replaces --annotations"),
    (["--tracks", "{data}", "--image-size", "big"], "--image-size: expected WIDTHxHEIGHT"),
    (["--videos", "v"], "give --annotations and --videos, or --tracks"),
    (["--tracks", "{data}", "--folds", "1"], "--folds K needs K >= 2"),
    (["--tracks", "{data}", "--folds", "2", "--val-tracks", "{data}"], "replaces --val-tracks"),
])
def test_train_events_tracks_errors(tmp_path, capsys, argv, match):
    pytest.importorskip("torch")
    data = tmp_path / "tracks"
    data.mkdir()
    _video_csv(data / "v0.csv", 0)
    argv = [a.replace("{data}", str(data)) for a in argv]
    assert main(["train-events", *argv, "--out", str(tmp_path / "m"), "--no-progress"]) == 2
    assert match.replace("\\", "") in capsys.readouterr().err


def _args(*argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--events")
    add_event_options(parser)
    return parser.parse_args(list(argv))


def test_event_options_from_args(tmp_path):
    assert event_options_from_args(_args("--events", "kinematic")) == {}
    got = event_options_from_args(_args("--events", "kinematic", "--ego-motion", "tracks", "--traffic-side", "left",
                                        "--focal", "700", "--horizon", "0.45", "--camera-height", "1.65"))
    assert got == {"ego": "tracks", "traffic_side": "left", "focal": 700.0, "horizon": 0.45, "camera_height": 1.65}


@pytest.mark.parametrize("argv, match", [
    (["--events", "scores", "--ego-motion", "tracks"], "apply to --events kinematic or a .ckpt"),
    (["--horizon", "0.5"], "not to a run without --events"),
    (["--events", "kinematic", "--ego-motion", "gps.csv"], "--ego-motion gps.csv: not one of"),
    (["--events", "kinematic", "--horizon", "240"], "fraction of the image height"),
    (["--events", "kinematic", "--focal", "-1"], "--focal must be positive"),
    (["--events", "m.ckpt", "--traffic-side", "left"], "brings the conventions it was trained on"),
])
def test_event_options_errors(argv, match):
    with pytest.raises(ValueError, match=match):
        event_options_from_args(_args(*argv))


def test_track_records_the_event_choices_in_run_json(tmp_path, capsys):
    from roadtrack.events import KinematicEventClassifier

    import cv2

    assert events_run_info(object()) == {}
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 360))
    for _ in range(20):
        writer.write(np.full((360, 640, 3), 90, np.uint8))
    writer.release()
    det = tmp_path / "det.txt"  # MOTChallenge detections: one car driving away, 1-based frames
    det.write_text("".join(f"{f},-1,{280 + f},{200},{80 - 2 * f},{64 - 2 * f},0.9,-1,-1,-1\n"
                           for f in range(1, 21)))
    ego = tmp_path / "ego.csv"
    ego.write_text("frame,speed_mps,yaw_rate_rps\n1,3,0\n20,3,0\n")
    code = main(["track", str(video), "--detections", str(det), "--events", "kinematic", "--ego-motion", str(ego),
                 "--traffic-side", "left", "--focal", "700", "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    info = json.loads((tmp_path / "run" / "run.json").read_text())["events"]
    assert info["ego_motion"] == "csv" and info["traffic_side"] == "left" and info["camera"]["focal_px"] == 700.0
    assert isinstance(KinematicEventClassifier().run_info(), dict)


def test_checkpoint_from_before_the_physical_features_asks_for_a_retrain(tmp_path):
    torch = pytest.importorskip("torch")
    from roadtrack.events.features import PHYSICAL_DIM, actor_dim
    from roadtrack.events.temporal import TemporalConfig, build_network, load_checkpoint, save_checkpoint

    config = TemporalConfig(labels="road_waymo", width=16)
    path = save_checkpoint(tmp_path / "old.ckpt", build_network(config), config)
    ckpt = torch.load(path, weights_only=True)
    ckpt["feature_dims"][0] = actor_dim(len(ROAD_WAYMO.agent)) - PHYSICAL_DIM  # what older versions computed
    torch.save(ckpt, path)
    with pytest.raises(ValueError, match="retrain with 'roadtrack train-events'"):
        load_checkpoint(path)


def test_folds_train_one_model_per_fold_and_the_ensemble_averages_their_scores(tmp_path):
    pytest.importorskip("torch")
    from roadtrack.events.temporal import TemporalConfig, TemporalEventClassifier
    from roadtrack.events.track_training import evaluate_tracks, train_events_from_tracks

    files = [_video_csv(tmp_path / f"v{i}.csv", i) for i in range(4)]
    config = TemporalConfig(labels="road_waymo", width=16, horizon_from_boxes=True)
    result = train_events_from_tracks(files, tmp_path / "m", image_size=(1000, 500), epochs=2, config=config,
                                      folds=2)
    assert len(result.members) == 2 and result.train is result.members[0]
    assert all((tmp_path / "m" / f"fold{j}" / "best.ckpt").is_file() for j in range(2))
    assert result.thresholds["action"].shape == (len(ROAD_WAYMO.action),)
    tracks = read_labelled_tracks(files[0], ROAD_WAYMO)
    each = [TemporalEventClassifier.from_network(m.network, m.config, ego="tracks", image_size=(1000, 500))
            .classify(tracks.tubes, None) for m in result.members]
    assert not np.allclose(each[0][0].labels["action"], each[1][0].labels["action"])  # two different models
    mean = evaluate_tracks(result, tracks)
    for i in range(2):
        for head in ("action", "loc"):
            expected = (each[0][i].labels[head] + each[1][i].labels[head]) / 2
            np.testing.assert_allclose(mean[i].labels[head], expected, rtol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"folds": 5}, "at least 5 labelled-tracks files for 5 folds"),
    ({"folds": 2, "val_files": ["x.csv"]}, "folds and val_files exclude each other"),
])
def test_folds_errors(tmp_path, kwargs, match):
    from roadtrack.events.track_training import train_events_from_tracks

    files = [_video_csv(tmp_path / f"v{i}.csv", i) for i in range(4)]
    with pytest.raises(ValueError, match=match):
        train_events_from_tracks(files, tmp_path / "m", epochs=1, **kwargs)


def test_horizon_from_boxes_option_moves_the_features_horizon(tmp_path):
    from roadtrack.core import Tube
    from roadtrack.events.temporal import TemporalConfig, clean_tube_features

    # a car (1.5 m, as high as the default camera) whose box is 60 px tall with its bottom on row 300 stands
    # where the horizon is its roof line: row 240 of 500 (0.48), not the configured 0.4 (row 200)
    frames = np.arange(20)
    box = np.tile([570.0, 240.0, 630.0, 300.0], (20, 1)) + np.c_[frames, 0 * frames, frames, 0 * frames]
    tube = Tube(1, frames, box, np.ones(20), np.full(20, ROAD_WAYMO.agent.index("Car")))
    for from_boxes, row in ((False, 200.0), (True, 240.0)):
        config = TemporalConfig(labels="road_waymo", horizon_from_boxes=from_boxes)
        feats, geometry, _ = clean_tube_features([tube], None, config, ego="none", image_size=(1000, 500))
        assert geometry.horizon == pytest.approx(row)
        lateral = (600.0 - 500.0) / (300.0 - row)  # contact (600, 300) on frame 0: (u - W/2) / (v - v0)
        assert feats[0].actor[0, 7] == pytest.approx(lateral / 2, abs=0.02)


def test_train_events_cli_folds_writes_fold_checkpoints_and_thresholds(tmp_path, capsys):
    pytest.importorskip("torch")
    data = _tracks_dir(tmp_path, 3)
    code = main(["train-events", "--tracks", str(data), "--image-size", "1000x500", "--epochs", "1", "--width", "16",
                 "--folds", "3", "--out", str(tmp_path / "model"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fold 2: " in out and "from 2 videos, " in out and "validation tubes from 1 videos" in out
    assert sorted(p.name for p in (tmp_path / "model").glob("fold*/best.ckpt")) == ["best.ckpt"] * 3
    thresholds = json.loads((tmp_path / "model" / "thresholds.json").read_text())
    assert set(thresholds["loc"]) == set(ROAD_WAYMO.loc) and 0.05 <= thresholds["action"]["Stop"] <= 0.95


def test_smooth_scores_and_macro_f1_by_hand():
    from roadtrack.events.track_training import macro_f1, smooth_scores

    scores = np.array([[0.0, 1.0], [0.0, 1.0], [0.9, 0.0], [0.0, 1.0]])
    smoothed = smooth_scores(scores, 3)  # centred mean of 3 frames, 2 at the ends
    np.testing.assert_allclose(smoothed[:, 0], [0.0, 0.3, 0.3, 0.45])
    np.testing.assert_allclose(smoothed[:, 1], [1.0, 2 / 3, 2 / 3, 0.5])
    assert smooth_scores(scores, 1) is scores
    np.testing.assert_allclose(smooth_scores(scores, 9), np.tile(scores.mean(0), (4, 1)))  # window > tube
    # column 0: positives on frames 2, 3; the best threshold (any up to 0.3) takes frames 1-3: F1 = 2 * 2 / (3 + 2);
    # column 1 has no positives (not counted); column 2 is perfectly separable: F1 = 1
    truth = np.array([[False, False, True], [False, False, False], [True, False, True], [True, False, False]])
    pred = np.c_[smoothed, [0.9, 0.1, 0.8, 0.2]]
    assert macro_f1({"action": pred}, {"action": truth}) == pytest.approx((0.8 + 1.0) / 2)


def test_blend_rules_mixes_only_the_labels_the_rules_score():
    from roadtrack.events.features import RULE_LABELS, TubeFeatures
    from roadtrack.events.track_training import blend_rules, finish

    actor = np.zeros((2, 30), np.float32)
    actor[:, -len(RULE_LABELS) + RULE_LABELS.index("MovTow")] = 1.0  # the rules say MovTow on both frames
    feats = TubeFeatures(actor, np.zeros((2, 1, 3)), np.zeros((2, 1), bool))
    net = {h: np.full((2, len(ROAD_WAYMO[h])), 0.2) for h in ("action", "loc")}
    mixed = blend_rules(net, feats, ROAD_WAYMO, 0.75)
    action = ROAD_WAYMO.action
    assert mixed["action"][0, action.index("MovTow")] == pytest.approx(0.75 * 0.2 + 0.25 * 1.0)
    assert mixed["action"][0, action.index("Stop")] == pytest.approx(0.75 * 0.2)  # rules' Stop is 0
    unscored = next(n for n in action if n not in RULE_LABELS)
    assert mixed["action"][0, action.index(unscored)] == pytest.approx(0.2)  # the network's alone
    assert blend_rules(net, feats, ROAD_WAYMO, 1.0) is net
    np.testing.assert_allclose(finish(net, feats, ROAD_WAYMO, 0.75, 3)["action"], mixed["action"])  # flat in time
