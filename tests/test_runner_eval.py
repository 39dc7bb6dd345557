"""Parallel evaluation (issue 14): ``roadtrack eval mot|road --workers N --engine pool|ray`` writes the same
results.json as one process; and a ROAD-Waymo layout (videos folder + annotation JSON, split ``val``) run
end to end: runner -> merged tubes.pkl -> eval road."""

from __future__ import annotations

import functools
import json
import pickle

import pytest

from conftest import require_shared
from roadtrack.cli import main
from roadtrack.runner import parallel_map, run_many
from test_runner import local_ray  # noqa: F401  (the session's Ray)


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_map_keeps_the_order(workers):
    assert parallel_map(_square, range(7), workers=workers) == [0, 1, 4, 9, 16, 25, 36]


def test_parallel_map_refuses_bad_arguments():
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        parallel_map(_square, [1], engine="spark")
    with pytest.raises(ValueError, match="workers must be at least 1"):
        parallel_map(_square, [1], workers=0)


@pytest.fixture(scope="module")
def mot_predictions(tmp_path_factory):
    seqs = [require_shared("data", "MOT15", "train", n) for n in ("TUD-Campus", "KITTI-17", "TUD-Stadtmitte")]
    out = tmp_path_factory.mktemp("mot")
    run_many(seqs, out / "runs", {"detector": "precomputed", "tracker": "bytetrack"}, workers=1)
    gt = out / "gt"  # the three sequences' ground truth, as a split
    gt.mkdir()
    for seq in seqs:
        (gt / seq.name).symlink_to(seq)
    return gt, out / "runs"  # eval mot reads a run's output folder (<sequence>/tracks.txt) as it is


def _eval_mot(gt, pred, out, *options):
    assert main(["eval", "mot", "--gt", str(gt), "--pred", str(pred), "--out", str(out), "--quiet", *options]) == 0
    return (out / "results.json").read_bytes()


def test_eval_mot_in_parallel_gives_the_same_file(mot_predictions, tmp_path):
    gt, pred = mot_predictions
    one = _eval_mot(gt, pred, tmp_path / "one")
    assert b'"TUD-Campus"' in one and b'"KITTI-17"' in one  # per-sequence results are in it
    assert _eval_mot(gt, pred, tmp_path / "two", "--workers", "2") == one


def test_eval_mot_on_ray_gives_the_same_file(mot_predictions, tmp_path, local_ray):
    gt, pred = mot_predictions
    assert (_eval_mot(gt, pred, tmp_path / "ray", "--workers", "2", "--engine", "ray")
            == _eval_mot(gt, pred, tmp_path / "one"))


def test_road_split_runs_merges_and_evaluates_in_parallel(tmp_path, capsys):
    data = tmp_path / "synth"
    assert main(["make-synthetic-road", str(data), "--train", "1", "--val", "2", "--frames", "12", "--detections"]) == 0
    annotations = data / "road_waymo_synthetic_v1.0.json"
    out = tmp_path / "runs"
    status = main(["run", str(data / "videos"), "--annotations", str(annotations), "--split", "val",
                   "--detections", str(data / "detections"), "--tracker-opt", "class_aware=false",
                   "--events", "scores", "--format", "roadpp", "--out", str(out), "--workers", "2", "--no-progress"])
    assert status == 0, capsys.readouterr()
    val = ["val_00000", "val_00001"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == val  # the train video is not in the split
    with open(out / "tubes.pkl", "rb") as handle:
        merged = pickle.load(handle)
    assert sorted(merged["agent"]) == val and sum(len(t) for t in merged["agent"].values()) > 0

    # Through the library (the command adds a per-class chart, seconds to draw, and the --workers wiring that
    # eval mot tests above): videos scored by 2 processes give the same evaluation as one after another.
    from roadtrack.metrics.road import evaluate_road_files

    one = evaluate_road_files(annotations, out / "tubes.pkl", subset="val")
    two = evaluate_road_files(annotations, out / "tubes.pkl", subset="val",
                              map_fn=functools.partial(parallel_map, workers=2))
    assert json.dumps(one.to_dict()) == json.dumps(two.to_dict()) and one.num_videos == 2  # NaN-safe
