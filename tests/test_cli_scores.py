"""End to end on the command line: make-synthetic-road -> track --format roadpp (label scores, no classifier)
-> merge-roadpp -> eval road on all five label types."""

import json

import pytest

from roadtrack.cli import main
from roadtrack.core.labels import LABEL_TYPES
from roadtrack.io.roadpp import read_submission


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    assert main([ "make-synthetic-road", str(root), "--train", "0", "--val", "2", "--frames", "24",
                 "--detections"]) == 0
    return root


def test_scores_path_end_to_end(synthetic, tmp_path, capsys):
    runs = []
    for video in ("val_00000", "val_00001"):
        out = tmp_path / video
        assert main(["track", str(synthetic / "videos" / f"{video}.mp4"), "--detections",
                     str(synthetic / "detections" / video), "--tracker-opt", "class_aware=false",
                     "--format", "roadpp", "--out", str(out), "--no-progress"]) == 0
        assert (out / "tracks.txt").stat().st_size > 0  # written beside tubes.pkl
        runs.append(str(out / "tubes.pkl"))
    annotations = str(synthetic / "road_waymo_synthetic_v1.0.json")
    merged = str(tmp_path / "submission.pkl")
    assert main(["merge-roadpp", merged, *runs, "--annotations", annotations, "--subset", "val"]) == 0
    assert set(read_submission(merged)) == set(LABEL_TYPES)
    assert main(["eval", "road", "--annotations", annotations, "--pred", merged, "--subset", "val",
                 "--out", str(tmp_path / "eval"), "--quiet"]) == 0
    results = json.loads((tmp_path / "eval" / "results.json").read_text())["results"]
    video = {r["label_type"]: r["mAP"] for r in results if r["level"] == "video" and r["threshold"] == 0.2}
    assert set(video) == set(LABEL_TYPES)
    assert video["agent"] > 30 and video["action"] > 20  # the noisy scores still find most tubes


def test_no_tracks_and_roadpp_without_scores(synthetic, tmp_path, capsys):
    out = tmp_path / "only"
    assert main(["track", str(synthetic / "videos" / "val_00000.mp4"), "--detections",
                 str(synthetic / "detections" / "val_00000"), "--events", "scores", "--format", "roadpp",
                 "--no-tracks", "--out", str(out), "--no-progress"]) == 0
    assert (out / "tubes.pkl").is_file() and not (out / "tracks.txt").exists()
    rows = tmp_path / "det.txt"
    rows.write_text("1,-1,10,10,20,40,0.9,-1,-1,-1\n")
    assert main(["track", str(synthetic / "videos" / "val_00000.mp4"), "--detections", str(rows),
                 "--format", "roadpp", "--out", str(tmp_path / "plain"), "--no-progress"]) == 2
    assert "scores action and location classes per box" in capsys.readouterr().err


def test_road_dump_tracks_class_agnostic_unless_told(synthetic, tmp_path):
    """The agent class of a ROAD++ dump is the per-box best score, which flickers: the default is class-agnostic
    matching (recorded in run.json, same tracks as asking for it); an explicit choice stands."""
    video = ["track", str(synthetic / "videos" / "val_00000.mp4"), "--detections",
             str(synthetic / "detections" / "val_00000"), "--no-progress", "--out"]
    for name, extra in (("default", []), ("explicit", ["--tracker-opt", "class_aware=false"]),
                        ("aware", ["--tracker-opt", "class_aware=true"])):
        assert main([*video, str(tmp_path / name), *extra]) == 0
    config = {name: json.loads((tmp_path / name / "run.json").read_text())["config"]["tracker"]
              for name in ("default", "aware")}
    assert config["default"]["class_aware"] is False and config["aware"]["class_aware"] is True
    tracks = {name: (tmp_path / name / "tracks.txt").read_text() for name in ("default", "explicit", "aware")}
    assert tracks["default"] == tracks["explicit"]
    assert tracks["aware"] != tracks["default"]  # the flicker splits tracks when classes must agree
