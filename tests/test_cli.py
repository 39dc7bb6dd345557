"""The `roadtrack` command: help, errors as one line with exit status 2, and a real run."""

import re
import subprocess
import sys

import numpy as np
import pytest

from roadtrack.cli import build_parser


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "roadtrack", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_help_documents_every_option():
    parser, handlers = build_parser()
    assert {"track", "list"} <= set(handlers)
    track = parser._subparsers._group_actions[0].choices["track"]
    text = track.format_help()
    for action in track._actions:
        for flag in action.option_strings:
            assert flag in text
        if action.option_strings and action.dest != "help":
            assert action.help, f"{action.option_strings} has no help text"
    done = run_cli("--help")
    assert done.returncode == 0 and "track" in done.stdout and "list" in done.stdout


def test_list_names_registered_stages():
    done = run_cli("list")
    assert done.returncode == 0
    assert "sort" in done.stdout and "yolo-openvino" in done.stdout and "precomputed" in done.stdout


def _assert_one_line_error(done, *fragments):
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and re.match(r"roadtrack( track)?: error: ", lines[0]), done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_bad_input_is_one_line_error(tmp_path, shared):
    weights = shared("models", "yolov8n_int8_openvino_model")
    video = shared("data", "MOT15", "train", "TUD-Campus", "TUD-Campus.mp4")
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")
    bad_weights = tmp_path / "bad_openvino_model"
    bad_weights.mkdir()
    cases = [
        (("track", tmp_path / "missing.mp4", "--weights", weights), ["missing.mp4"]),
        (("track", broken, "--weights", weights), ["broken.mp4"]),
        (("track", video, "--weights", tmp_path / "nope_openvino_model"), ["nope_openvino_model"]),
        (("track", video, "--weights", bad_weights), ["bad_openvino_model"]),
        (("track", video), ["--weights"]),
        (("track", video, "--weights", weights, "--tracker", "nosuch"), ["nosuch", "sort"]),
        (("track", video, "--weights", weights, "--tracker-opt", "bogus=1"), ["bogus"]),
        (("track", video, "--weights", weights, "--bogus-flag"), ["--bogus-flag"]),
        (("track", video, "--weights", weights, "--max-frames", "x"), ["--max-frames"]),
        (("track", video, "--weights", weights, "--classes", "unicorn"), ["unicorn"]),
        (("track", video, "--weights", weights, "--device", "gpu"), ["gpu"]),
        (("track", video, "--weights", weights, "--config", tmp_path / "none.yaml"), ["none.yaml"]),
        (("track", video, "--weights", weights, "--tracker", "deepsort"), ["deepsort", "--embedder"]),
        (("track", video, "--weights", weights, "--tracker", "botsort", "--embedder", "osnet-onnx"),
         ["--embedder-weights"]),
        (("track", video, "--weights", weights, "--tracker", "botsort", "--embedder", "nosuch"), ["nosuch"]),
        (("track", video, "--weights", weights, "--tracker", "strongsort", "--embedder-weights", tmp_path / "no.onnx"),
         ["no.onnx"]),
    ]
    for args, fragments in cases:
        _assert_one_line_error(run_cli(*args, "--out", tmp_path / "out", "--no-progress"), *fragments)


@pytest.mark.slow
def test_track_video_writes_tracks_and_video(tmp_path, shared):
    import cv2

    weights = shared("models", "yolov8n_int8_openvino_model")
    video = shared("data", "MOT15", "train", "TUD-Campus", "TUD-Campus.mp4")
    out = tmp_path / "run"
    done = run_cli("track", video, "--weights", weights, "--classes", "person", "--out", out,
                   "--save-video", "--max-frames", "20", "--format", "mot", "--format", "kitti")
    assert done.returncode == 0, done.stderr
    assert "frame" in done.stderr  # the progress bar reports frames and frames/s
    rows = np.loadtxt(out / "tracks.txt", delimiter=",", ndmin=2)
    assert rows[:, 0].min() >= 1 and rows[:, 0].max() == 20 and len(np.unique(rows[:, 1])) >= 3
    assert (out / "tracks_kitti.txt").stat().st_size > 0 and (out / "run.json").is_file()
    capture = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 20
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (640, 480)
    assert not list(out.glob("*.partial*"))


def test_appearance_tracker_with_embedder_from_cli(tmp_path, shared):
    import json

    weights = shared("models", "yolov8n_int8_openvino_model")
    osnet = shared("models", "reid", "osnet_x0_25_msmt17.onnx")
    video = shared("data", "MOT15", "train", "TUD-Campus", "TUD-Campus.mp4")
    out = tmp_path / "botsort"
    done = run_cli("track", video, "--weights", weights, "--classes", "person", "--tracker", "botsort",
                   "--embedder", "osnet-onnx", "--embedder-weights", osnet, "--max-frames", "15", "--out", out,
                   "--no-progress")
    assert done.returncode == 0, done.stderr
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["tracker"]["embedder"] == {"name": "osnet-onnx", "weights": str(osnet)}
    rows = np.loadtxt(out / "tracks.txt", delimiter=",", ndmin=2)
    assert rows[:, 0].max() == 15 and len(np.unique(rows[:, 1])) >= 3


def test_precomputed_sequence_from_cli(tmp_path, mot15):
    out = tmp_path / "adl"
    done = run_cli("track", mot15 / "ADL-Rundle-6", "--detector", "precomputed", "--out", out, "--no-progress")
    assert done.returncode == 0, done.stderr
    frames = np.loadtxt(out / "tracks.txt", delimiter=",", ndmin=2)[:, 0]
    assert frames.max() <= 525 and frames.min() >= 1


@pytest.mark.slow
def test_track_with_events_writes_roadpp_submission_and_labelled_video(tmp_path, shared):
    import cv2

    from roadtrack.io import read_submission

    weights = shared("models", "yolov8n_int8_openvino_model")
    clip = shared("data", "dashcam", "nuscenes_mini_centertrack.mp4")
    out = tmp_path / "events"
    done = run_cli("track", clip, "--weights", weights, "--events", "kinematic", "--format", "roadpp",
                   "--format", "mot", "--save-video", "--out", out, "--no-progress")
    assert done.returncode == 0, done.stderr
    submission = read_submission(out / "tubes.pkl")  # validated: label ids, contiguous frames, 840x600 boxes
    assert set(submission) == {"agent", "action", "loc", "duplex", "triplet"}
    assert sum(len(tubes) for tubes in submission["agent"].values()) >= 3
    assert int(cv2.VideoCapture(str(out / "annotated.mp4")).get(cv2.CAP_PROP_FRAME_COUNT)) == 40
    _assert_one_line_error(run_cli("track", clip, "--weights", weights, "--format", "roadpp", "--out", out),
                           "--events")
    _assert_one_line_error(run_cli("track", clip, "--weights", weights, "--events", "nope", "--out", out),
                           "nope", "kinematic")
