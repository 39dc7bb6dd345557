"""Parity on KITTI tracking: the 21 shared label files against seeded perturbed copies of themselves.

Perturbations: rows dropped, ids swapped from a random frame on, boxes jittered, some cars relabelled as
vans, plus false positives: shifted copies, boxes inside DontCare regions and boxes under 25 px high (the
last two exercise KITTI's ignore rules). HOTA must equal TrackEval's Kitti2DBox + HOTA, CLEAR and Identity
py-motmetrics on the same preprocessed data (and TrackEval's CLEAR with ``convention="trackeval"``), for
car and pedestrian, per sequence and combined, to 1e-6.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from conftest import require_shared
from mot_references import (
    MaxDiff, combined, compare, kitti_dataset, motmetrics_scores, trackeval, trackeval_data, trackeval_scores,
)
from roadtrack.io import TrackRows, read_kitti_tracking, write_kitti_tracking
from roadtrack.metrics import evaluate_files
from roadtrack.metrics.evaluate import CLASS_AVERAGE, DETECTION_AVERAGE, default_metrics

SEED = 2024


def perturb(rows: TrackRows, rng: np.random.Generator) -> TrackRows:
    """A tracker-like copy of KITTI labels (see the module docstring)."""
    types = np.asarray(rows.extra["type"])
    care = types != "DontCare"
    kept = rows[care & (rng.random(len(rows)) > 0.1)]
    frames, ids, kinds = kept.frames, kept.ids.copy(), np.asarray(kept.extra["type"]).astype(object)
    labels = np.unique(ids)
    for _ in range(10):  # each swap exchanges two ids from a frame on: ids stay unique per frame
        if len(labels) < 2:
            break
        a, b = rng.choice(labels, 2, replace=False)
        later = frames >= rng.integers(frames.min(), frames.max() + 1)
        is_a, is_b = later & (ids == a), later & (ids == b)
        ids[is_a], ids[is_b] = b, a
    size = np.tile(kept.xyxy[:, 2:] - kept.xyxy[:, :2], 2)
    xyxy = kept.xyxy + rng.normal(0, 0.06, (len(kept), 4)) * size
    xyxy[:, 2:] = np.maximum(xyxy[:, 2:], xyxy[:, :2] + 1)
    kinds[(kinds == "Car") & (rng.random(len(kept)) < 0.03)] = "Van"

    next_id = int(rows.ids.max()) + 1
    extra_frames, extra_boxes, extra_kinds = [], [], []
    shifted = rng.random(len(kept)) < 0.03  # false positives beside real objects
    offset = size[shifted][:, :2] * rng.uniform(1.5, 3, (shifted.sum(), 1))
    extra_frames.append(frames[shifted])
    extra_boxes.append(kept.xyxy[shifted] + np.tile(offset, 2))
    extra_kinds.append(np.asarray(kinds[shifted]))
    regions = rows[~care & (rng.random(len(rows)) < 0.5)]  # boxes inside DontCare regions
    inner = regions.xyxy + np.tile(regions.xyxy[:, 2:] - regions.xyxy[:, :2], 2) * [0.05, 0.05, -0.05, -0.05]
    extra_frames.append(regions.frames)
    extra_boxes.append(inner)
    extra_kinds.append(rng.choice(["Car", "Pedestrian"], len(regions)))
    small = rng.random(len(kept)) < 0.02  # unmatched boxes at most 25 px high
    top = rng.uniform([0, 0], [1100, 300], (small.sum(), 2))
    extra_frames.append(frames[small])
    extra_boxes.append(np.c_[top, top + rng.uniform([10, 5], [60, 25], (small.sum(), 2))])
    extra_kinds.append(rng.choice(["Car", "Pedestrian"], small.sum()))
    new_frames = np.concatenate(extra_frames)
    new_ids = next_id + np.arange(len(new_frames))
    return TrackRows(
        frames=np.concatenate([frames, new_frames]), ids=np.concatenate([ids, new_ids]),
        xyxy=np.concatenate([xyxy, *extra_boxes]), scores=rng.uniform(0.3, 1.0, len(kept) + len(new_frames)),
        extra={"type": np.concatenate([kinds.astype(str), *extra_kinds]).astype(str)},
    )


@pytest.fixture(scope="module")
def kitti_run(tmp_path_factory):
    labels = require_shared("data", "kitti_tracking", "training")
    files = sorted((labels / "label_02").glob("*.txt"))
    trackers = tmp_path_factory.mktemp("kitti_trackers")
    out = trackers / "perturbed" / "data"
    out.mkdir(parents=True)
    for k, label in enumerate(files):
        rows = perturb(read_kitti_tracking(label), np.random.default_rng([SEED, k]))
        write_kitti_tracking(out / label.name, rows, with_score=True)
    data = trackeval_data(kitti_dataset(labels, trackers, "perturbed"), "perturbed")
    scores = {cls: combined(trackeval_scores(per_seq)) for cls, per_seq in data.items()}
    return labels, out, files, data, scores


def test_kitti_21_label_files_match_trackeval_and_motmetrics(kitti_run):
    labels, out, files, data, scores = kitti_run
    assert len(files) == 21
    ev = evaluate_files(labels, out, benchmark="KITTI")
    assert ev.classes == ("car", "pedestrian") and len(ev.sequences) == 21
    diff = MaxDiff()
    for cls in ev.classes:
        compare(ev, scores[cls], motmetrics_scores(data[cls]), cls, diff)
        assert ev.result("CLEAR", cls).IDSW > 0 and ev.result("CLEAR", cls).FP > 0
    print(f"\nKITTI (21 sequences x 2 classes + combined): {diff}")


def test_kitti_trackeval_convention_and_class_averages(kitti_run):
    te = trackeval()
    labels, out, files, data, scores = kitti_run
    ev = evaluate_files(labels, out, benchmark="KITTI", metrics=default_metrics(clear_convention="trackeval"))
    diff = MaxDiff()
    per_class = {}
    for cls in ev.classes:
        compare(ev, scores[cls], None, cls, diff, clear_reference="trackeval")
        per_class[cls] = {name: per["COMBINED"] for name, per in scores[cls].items()}
    # Class combinations, as TrackEval forms them for datasets that combine classes.
    for metric in (te.metrics.HOTA(), te.metrics.CLEAR({"PRINT_CONFIG": False}),
                   te.metrics.Identity({"PRINT_CONFIG": False})):
        name = metric.get_name()
        by_class = {cls: per_class[cls][name] for cls in per_class}
        for kind, theirs in ((CLASS_AVERAGE, metric.combine_classes_class_averaged(by_class)),
                             (DETECTION_AVERAGE, metric.combine_classes_det_averaged(by_class))):
            ours = ev.class_averages[kind][name]
            for field, value in ours.summary().items():
                reference = {"Recall": "CLR_Re", "Precision": "CLR_Pr", "TP": "CLR_TP", "FN": "CLR_FN",
                             "FP": "CLR_FP"}.get(field, field) if name == "CLEAR" else field
                diff.check(f"TrackEval {kind}", value, np.mean(theirs[reference]), f"{name} {field}")
    print(f"\nKITTI, TrackEval conventions: {diff}")


def test_kitti_single_file_and_label_folder_layouts(kitti_run, tmp_path):
    labels, out, files, data, scores = kitti_run
    some = files[3:6]
    (tmp_path / "kit" / "label_02").mkdir(parents=True)
    (tmp_path / "bare").mkdir()
    shutil.copy(labels / "evaluate_tracking.seqmap.training", tmp_path / "kit")
    for f in some:
        shutil.copy(f, tmp_path / "kit" / "label_02")
        shutil.copy(f, tmp_path / "bare")
    layouts = {
        "label file": lambda f: evaluate_files(f, out / f.name, benchmark="KITTI"),
        "folder with label_02": lambda f: evaluate_files(tmp_path / "kit", out.parent, benchmark="KITTI"),
        "label_02 folder": lambda f: evaluate_files(tmp_path / "kit" / "label_02", out, benchmark="KITTI"),
        # Without a seqmap the length is the last frame + 1; scores do not depend on it.
        "no seqmap": lambda f: evaluate_files(tmp_path / "bare", out, benchmark="KITTI"),
    }
    for layout, run in layouts.items():
        for f in some[:1] if layout == "label file" else some:
            ev = run(f)
            for cls in ("car", "pedestrian"):
                np.testing.assert_allclose(ev.results[cls][f.stem]["HOTA"].HOTA, scores[cls]["HOTA"][f.stem]["HOTA"],
                                           rtol=0, atol=1e-12, err_msg=layout)
    assert evaluate_files(tmp_path / "kit", out, benchmark="KITTI").sequences == tuple(f.stem for f in some)
