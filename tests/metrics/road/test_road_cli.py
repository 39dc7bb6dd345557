"""`roadtrack eval road` end to end on a synthetic ROAD-Waymo split with a perfect submission."""

import json
import subprocess
import sys

import pytest
from road_cases import perfect_tubes

from roadtrack.datasets import EVAL_SIZES, load_road, synthetic_road
from roadtrack.io.roadpp import write_submission


def eval_road(*args):
    return subprocess.run([sys.executable, "-m", "roadtrack", "eval", "road", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_eval_road_writes_reports_and_scores_a_perfect_submission(tmp_path):
    ann_path = synthetic_road("road_waymo", seed=3, num_videos=4).write(tmp_path / "road_waymo.json")
    ann = load_road(ann_path)
    pred = write_submission(tmp_path / "sub.pkl", perfect_tubes(ann, EVAL_SIZES["road_waymo"]), labels="road_waymo",
                            frame_size=EVAL_SIZES["road_waymo"])
    out = tmp_path / "eval"
    done = eval_road("--annotations", ann_path, "--pred", pred, "--subset", "val", "--out", out, "--unofficial")
    assert done.returncode == 0, done.stderr
    assert "agent" in done.stdout and "triplet" in done.stdout
    for name in ("results.json", "summary.csv", "per_class_ap.png"):
        assert (out / name).stat().st_size > 0, name
    text = (out / "results.json").read_text()
    assert "100" in text and json.loads(text)  # fixed rules: a perfect submission scores 100 where gt exists


@pytest.mark.parametrize("content", [b"not a pickle", b""])
def test_eval_road_malformed_prediction_is_one_line_error(tmp_path, content):
    ann_path = synthetic_road("road_waymo", seed=3, num_videos=2).write(tmp_path / "ann.json")
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(content)
    done = eval_road("--annotations", ann_path, "--pred", bad, "--subset", "val")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.pkl" in lines[0] and "Traceback" not in done.stderr
