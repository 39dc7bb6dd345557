"""Parity on MOTChallenge data: HOTA equals TrackEval, CLEAR and Identity equal py-motmetrics (and, with
``convention="trackeval"``, TrackEval's CLEAR), per sequence and combined, to 1e-6.

MOT15: every shared train sequence, ground truth against `sort()` run on the shared detections.
MOT17/MOT20 rules (distractor classes, zero-marked rows): a seeded synthetic sequence.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_shared
from mot_references import MaxDiff, combined, compare, mot_dataset, motmetrics_scores, trackeval_data, trackeval_scores
from roadtrack import Pipeline
from roadtrack.detectors import PrecomputedDetector
from roadtrack.io import TrackRows, write_mot
from roadtrack.metrics import evaluate_files
from roadtrack.metrics.evaluate import default_metrics
from roadtrack.trackers import sort

@pytest.fixture(scope="module")
def mot15_run(tmp_path_factory):
    """Shared MOT15 train ground truth, and sort() output on the shared detections written as TrackEval expects."""
    root = require_shared("data", "MOT15", "train")
    trackers = tmp_path_factory.mktemp("mot15_trackers")
    out = trackers / "sort" / "data"
    out.mkdir(parents=True)
    sequences = sorted(d.name for d in root.iterdir() if (d / "gt" / "gt.txt").is_file())
    for seq in sequences:
        result = Pipeline(detector=PrecomputedDetector(root / seq / "det" / "det.txt"), tracker=sort()).run(root / seq)
        write_mot(out / f"{seq}.txt", result.track_rows())
    dataset = mot_dataset(root, trackers, "sort", {s: None for s in sequences}, "MOT15")
    data = trackeval_data(dataset, "sort")["pedestrian"]
    return root, out, sequences, data, combined(trackeval_scores(data))


def test_mot15_every_train_sequence_matches_trackeval_and_motmetrics(mot15_run):
    root, out, sequences, data, scores = mot15_run
    assert len(sequences) == 11
    ev = evaluate_files(root, out, benchmark="MOT15")
    assert ev.sequences == tuple(sequences) and ev.tracker == "sort"
    diff = MaxDiff()
    compare(ev, scores, motmetrics_scores(data), "pedestrian", diff)
    print(f"\nMOT15 ({len(sequences)} sequences + combined): {diff}")


def test_mot15_trackeval_convention_matches_trackeval_clear(mot15_run):
    root, out, sequences, data, scores = mot15_run
    ev = evaluate_files(root, out, benchmark="MOT15", metrics=default_metrics(clear_convention="trackeval"))
    diff = MaxDiff()
    compare(ev, scores, None, "pedestrian", diff, clear_reference="trackeval")
    print(f"\nMOT15, TrackEval CLEAR convention: {diff}")


def synthetic_mot17(rng: np.random.Generator, frames: int = 60, objects: int = 14):
    """Ground truth with classes and zero-marked rows (9 columns) and a perturbed copy as predictions."""
    rows, preds = [], []
    classes = rng.choice([1, 1, 1, 1, 2, 7, 8, 12, 6, 3, 9], size=objects)
    start = rng.uniform([0, 0], [600, 300], size=(objects, 2))
    velocity = rng.normal(0, 4, size=(objects, 2))
    size = rng.uniform([20, 50], [60, 150], size=(objects, 2))
    for f in range(1, frames + 1):
        for k in range(objects):
            if rng.random() < 0.1:
                continue
            x, y = start[k] + velocity[k] * f
            marked = 0.0 if rng.random() < 0.1 else 1.0
            rows.append((f, k + 1, x, y, *size[k], marked, classes[k], rng.uniform(0, 1)))
            if rng.random() < 0.85:
                jitter = rng.normal(0, 3, 4)
                pid = k + 1 if f < frames // 2 or (k // 2) % 2 else (k ^ 1) + 1  # pairs of ids swap halfway
                preds.append((f, pid, x + jitter[0], y + jitter[1], size[k][0] + abs(jitter[2]),
                               size[k][1] + abs(jitter[3])))
        for j in range(rng.integers(0, 3)):
            preds.append((f, 100 + f * 3 + j, *rng.uniform([0, 0], [600, 300]), 40.0, 90.0))
    gt = np.asarray(rows)
    pr = np.asarray(preds)
    gt_rows = TrackRows(gt[:, 0], gt[:, 1], np.c_[gt[:, 2:4], gt[:, 2:4] + gt[:, 4:6]], gt[:, 6],
                        extra={"mot_class": gt[:, 7], "visibility": gt[:, 8]})
    pred_rows = TrackRows(pr[:, 0], pr[:, 1], np.c_[pr[:, 2:4], pr[:, 2:4] + pr[:, 4:6]])
    return gt_rows, pred_rows


@pytest.mark.parametrize("benchmark", ["MOT17", "MOT20"])
def test_mot17_and_mot20_distractor_rules_match_trackeval(tmp_path, benchmark):
    rng = np.random.default_rng(17 if benchmark == "MOT17" else 20)
    names = ["SYN-01", "SYN-02"]
    for name in names:
        gt_rows, pred_rows = synthetic_mot17(rng)
        (tmp_path / "gt" / name / "gt").mkdir(parents=True)
        write_mot(tmp_path / "gt" / name / "gt" / "gt.txt", gt_rows)
        (tmp_path / "gt" / name / "seqinfo.ini").write_text(f"[Sequence]\nname={name}\nframeRate=30\nseqLength=60\n")
        (tmp_path / "trk" / "syn" / "data").mkdir(parents=True, exist_ok=True)
        write_mot(tmp_path / "trk" / "syn" / "data" / f"{name}.txt", pred_rows)
    data = trackeval_data(mot_dataset(tmp_path / "gt", tmp_path / "trk", "syn", {n: None for n in names}, benchmark),
                          "syn")["pedestrian"]
    ev = evaluate_files(tmp_path / "gt", tmp_path / "trk" / "syn", benchmark=benchmark,
                        metrics=default_metrics(clear_convention="trackeval"))
    diff = MaxDiff()
    compare(ev, combined(trackeval_scores(data)), None, "pedestrian", diff, clear_reference="trackeval")
    # The rules removed something: fewer predictions than rows written.
    written = sum(len(open(tmp_path / "trk" / "syn" / "data" / f"{n}.txt").readlines()) for n in names)
    counted = ev.result("CLEAR").TP + ev.result("CLEAR").FP
    assert counted < written
    print(f"\n{benchmark} synthetic: {diff}")
