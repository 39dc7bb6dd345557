"""``roadtrack eval mot`` and ``roadtrack eval road``: tables, JSON/CSV outputs, one-line errors."""

from __future__ import annotations

import csv
import json
import sys
import types

import numpy as np
import pytest

from roadtrack.cli import main
from roadtrack.io import TrackRows, read_kitti_tracking, write_kitti_tracking, write_mot
from roadtrack.metrics import evaluate_files


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def mot_layout(tmp_path):
    """Two MOTChallenge sequences (gt + seqinfo) and a tracker folder of noisy copies."""
    rng = np.random.default_rng(5)
    for name in ("SEQ-A", "SEQ-B"):
        frames = np.repeat(np.arange(1, 21), 4)
        ids = np.tile(np.arange(1, 5), 20)
        xy = np.array([[10, 10], [100, 10], [10, 100], [100, 100]])[ids - 1] + frames[:, None] * 2.0
        gt = TrackRows(frames, ids, np.c_[xy, xy + 40], np.ones(len(frames)),
                       extra={"world_x": -np.ones(80), "world_y": -np.ones(80), "world_z": -np.ones(80)})
        (tmp_path / "gt" / name / "gt").mkdir(parents=True)
        write_mot(tmp_path / "gt" / name / "gt" / "gt.txt", gt)
        (tmp_path / "gt" / name / "seqinfo.ini").write_text(f"[Sequence]\nname={name}\nframeRate=10\nseqLength=20\n")
        pred = TrackRows(frames, np.where(frames > 10, ids % 4 + 1, ids), gt.xyxy + rng.normal(0, 2, (80, 4)).clip(-4, 4))
        (tmp_path / "trk").mkdir(exist_ok=True)
        write_mot(tmp_path / "trk" / f"{name}.txt", pred[rng.random(80) > 0.1])
    return tmp_path


def test_eval_mot_prints_tables_and_writes_json_and_csv(capsys, mot_layout):
    code, out, err = run(capsys, "eval", "mot", "--gt", mot_layout / "gt", "--pred", mot_layout / "trk",
                         "--out", mot_layout / "res")
    assert code == 0, err
    for title in ("HOTA: trk-pedestrian", "CLEAR: trk-pedestrian", "Identity: trk-pedestrian"):
        assert title in out
    lines = out.splitlines()
    assert lines[1].startswith("SEQ-A") and lines[3].startswith("COMBINED")
    expected = evaluate_files(mot_layout / "gt", mot_layout / "trk")
    saved = json.loads((mot_layout / "res" / "results.json").read_text())
    assert saved["benchmark"] == "MOT15" and saved["sequences"] == ["SEQ-A", "SEQ-B"]
    hota = saved["results"]["pedestrian"]["COMBINED"]["HOTA"]
    assert hota["summary"]["HOTA"] == pytest.approx(expected.result("HOTA").summary()["HOTA"])
    assert len(hota["fields"]["HOTA"]) == len(saved["hota_alphas"]) == 19
    rows = list(csv.DictReader(open(mot_layout / "res" / "summary.csv")))
    assert [r["sequence"] for r in rows] == ["SEQ-A", "SEQ-B", "COMBINED"]
    assert float(rows[2]["IDF1"]) == pytest.approx(100 * expected.result("Identity").IDF1)  # percent, as printed
    assert int(rows[2]["IDSW"]) == expected.result("CLEAR").IDSW > 0
    # Percentages with 5 significant digits in the table (full precision in summary.csv), fractions in results.json.
    assert f"{100 * expected.result('CLEAR').MOTA:1.5g}" in lines[lines.index(next(
        line for line in lines if line.startswith("CLEAR"))) + 3]


def test_eval_mot_single_sequence_file_and_trackeval_convention(capsys, mot_layout):
    code, out, err = run(capsys, "eval", "mot", "--gt", mot_layout / "gt" / "SEQ-A" / "gt" / "gt.txt",
                         "--pred", mot_layout / "trk" / "SEQ-A.txt", "--clear-convention", "trackeval",
                         "--name", "mine")
    assert code == 0, err
    assert "CLEAR: mine-pedestrian" in out and "SEQ-A" in out


def test_eval_mot_kitti_label_against_itself_is_perfect(capsys, tmp_path, shared):
    label = shared("data", "kitti_tracking", "training", "label_02", "0000.txt")
    rows = read_kitti_tracking(label)
    write_kitti_tracking(tmp_path / "0000.txt", rows[np.asarray(rows.extra["type"]) != "DontCare"], with_score=True)
    code, out, err = run(capsys, "eval", "mot", "--benchmark", "KITTI", "--classes", "car", "--gt", label,
                         "--pred", tmp_path / "0000.txt", "--quiet", "--out", tmp_path / "res")
    assert code == 0, err
    assert out.startswith("wrote ")
    summary = json.loads((tmp_path / "res" / "results.json").read_text())["results"]["car"]["COMBINED"]
    assert summary["HOTA"]["summary"]["HOTA"] == 1.0 and summary["CLEAR"]["summary"]["MOTA"] == 1.0


def _assert_one_line(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("roadtrack") and ": error: " in lines[0], err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("make", "extra", "fragments"),
    [
        (lambda d: (d / "trk" / "SEQ-A.txt").write_text("1,1,10,10,40,40,1,-1,-1,-1\n2,1,x,10,40,40,1,-1,-1,-1\n"),
         (), ["SEQ-A.txt, line 2", "not a number"]),
        (lambda d: (d / "trk" / "SEQ-B.txt").write_text("1,1,10,10,40,40,1,-1,-1,-1\n1,1,10,10,40\n"),
         (), ["SEQ-B.txt, line 2", "columns"]),
        (lambda d: (d / "trk" / "SEQ-B.txt").write_text("1,1,10,10,40,40,1,-1,-1,-1\n\n21,1,10,10,40,40,1,-1,-1,-1\n"),
         (), ["SEQ-B.txt, line 3", "frame 21 is outside the sequence (frames 1..20)"]),
        (lambda d: (d / "trk" / "SEQ-B.txt").write_text("1,3,10,10,40,40,1,-1,-1,-1\n1,3,60,10,40,40,1,-1,-1,-1\n"),
         (), ["SEQ-B", "id 3 more than once in frame 1"]),
        (lambda d: (d / "trk" / "SEQ-B.txt").unlink(), (), ["no predictions for sequence SEQ-B", "SEQ-B.txt"]),
        (lambda d: None, ("--threshold", "0"), ["--threshold"]),
        (lambda d: None, ("--benchmark", "MOT99"), ["invalid choice: 'MOT99'"]),
        (lambda d: None, ("--benchmark", "MOT17"), ["needs the class column"]),
    ],
)
def test_eval_mot_bad_input_is_one_line_error(capsys, mot_layout, make, extra, fragments):
    make(mot_layout)
    code, out, err = run(capsys, "eval", "mot", "--gt", mot_layout / "gt", "--pred", mot_layout / "trk", *extra)
    _assert_one_line(code, err, *fragments)


def test_eval_mot_missing_paths_and_single_file_for_many_sequences(capsys, mot_layout):
    code, _, err = run(capsys, "eval", "mot", "--gt", mot_layout / "nope", "--pred", mot_layout / "trk")
    _assert_one_line(code, err, "--gt not found", "nope")
    code, _, err = run(capsys, "eval", "mot", "--gt", mot_layout / "gt", "--pred", mot_layout / "trk" / "SEQ-A.txt")
    _assert_one_line(code, err, "one file", "2 sequences")
    code, _, err = run(capsys, "eval", "mot", "--gt", mot_layout / "trk", "--pred", mot_layout / "trk")
    _assert_one_line(code, err, "no MOTChallenge ground truth")


class _FakeRoadEvaluation:
    def table(self) -> str:
        return "ROAD TABLE"

    def to_dict(self) -> dict:
        return {"frame_mAP": {"agent": 0.5}}

    def write_csv(self, path) -> None:
        open(path, "w").write("task,mAP\nagent,0.5\n")

    def plot_per_class(self, path) -> None:
        open(path, "wb").write(b"\x89PNG")


def test_eval_road_calls_the_road_api_and_writes_its_outputs(capsys, tmp_path, monkeypatch):
    calls = []

    def evaluate_road_files(annotations_path, predictions_path, subset="val", official=True, trust_pickle=False):
        calls.append((str(annotations_path), str(predictions_path), subset, official, trust_pickle))
        return _FakeRoadEvaluation()

    monkeypatch.setitem(sys.modules, "roadtrack.metrics.road",
                        types.SimpleNamespace(evaluate_road_files=evaluate_road_files))
    (tmp_path / "ann.json").write_text("{}")
    (tmp_path / "pred.pkl").write_bytes(b"")
    code, out, err = run(capsys, "eval", "road", "--annotations", tmp_path / "ann.json", "--pred",
                         tmp_path / "pred.pkl", "--subset", "test", "--unofficial", "--out", tmp_path / "res")
    assert code == 0, err
    assert calls == [(str(tmp_path / "ann.json"), str(tmp_path / "pred.pkl"), "test", False, False)]
    assert "ROAD TABLE" in out
    assert json.loads((tmp_path / "res" / "results.json").read_text()) == {"frame_mAP": {"agent": 0.5}}
    assert (tmp_path / "res" / "summary.csv").is_file() and (tmp_path / "res" / "per_class_ap.png").is_file()


def test_eval_road_missing_files_are_one_line_errors(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "road", "--annotations", tmp_path / "none.json", "--pred", tmp_path / "p.pkl")
    _assert_one_line(code, err, "--annotations not found", "none.json")
    code, _, err = run(capsys, "eval", "road", "--pred", tmp_path / "p.pkl")
    _assert_one_line(code, err, "--annotations")
