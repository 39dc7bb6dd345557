"""`evaluate_road_files` end to end on synthetic files, its errors, and the reports."""

import csv
import json
import math
import pickle

import numpy as np
import pytest
from road_cases import perfect_tubes

from roadtrack.datasets import EVAL_SIZES, load_road, synthetic_road
from roadtrack.io.roadpp import read_submission, write_submission, zip_submission
from roadtrack.metrics.road import evaluate_road, evaluate_road_files


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Synthetic annotation files and perfect tube submissions for both datasets."""
    root = tmp_path_factory.mktemp("road")
    out = {}
    for dataset in ("road", "road_waymo"):
        ann_path = synthetic_road(dataset, seed=11, num_videos=5).write(root / f"{dataset}.json")
        ann = load_road(ann_path)
        pred = write_submission(root / f"{dataset}.pkl", perfect_tubes(ann, EVAL_SIZES[dataset]), labels=dataset,
                                frame_size=EVAL_SIZES[dataset])
        out[dataset] = ann_path, pred, ann
    return out


def classes_with_gt(ann, subset, label_type):
    return len({t.label_id for v in ann.subset(subset) for t in v.tubes[label_type]})


def test_perfect_tubes_official_vs_fixed(files):
    ann_path, pred, ann = files["road_waymo"]
    official = evaluate_road_files(ann_path, pred, "val")
    fixed = evaluate_road_files(ann_path, pred, "val", official=False)
    for label_type, n in (("agent", 10), ("triplet", 86)):
        k = classes_with_gt(ann, "val", label_type)
        assert 0 < k < n
        for thr in (0.2, 0.5):
            # Official: every class with ground truth scores 100, the others 0: mAP = 100 k / n.
            assert official.get("video", label_type, thr).mAP == pytest.approx(100 * k / n)
            assert fixed.get("video", label_type, thr).mAP == 100.0
    assert official.eval_size == (840, 600) and official.num_videos == 2
    assert official.ignored_videos == ("train_00000", "train_00001", "train_00002")


def test_gap_quirk_costs_points_only_officially(files):
    # ROAD val_3 holds the video whose agent is occluded on frames 6-7. The perfect detection fills the gap;
    # the official index pairing then compares it with later ground-truth boxes (sIoU < 1), the
    # frame-by-frame comparison does not (sIoU = 1). At threshold .99 only the official result loses it.
    ann_path, pred, ann = files["road"]
    road = synthetic_road("road", seed=11, num_videos=5)
    name, uid, _ = road.quirks["tube_gaps"]
    gap = next(t for t in ann.videos[name].tubes["agent"] if t.uid == uid)
    tubes = read_submission(pred, labels="road", frame_size=None)
    results = {official: evaluate_road(ann, "val_3", tubes=tubes, official=official, video_thresholds=(0.99,))
               for official in (True, False)}
    assert results[True].eval_size == (682, 512)
    assert results[True].get("video", "agent").classes[gap.label_id].ap < 100.0
    assert results[False].get("video", "agent").classes[gap.label_id].ap == 100.0


def test_frame_detection_pickle(files, tmp_path):
    # The baseline's frame-level layout: {type: {video + '%05d': [array (N, 5) per class]}}; empty frames hold
    # np.asarray([]) for every class.
    ann_path, _, ann = files["road_waymo"]
    w, h = EVAL_SIZES["road_waymo"]
    dets = {"agent_ness": {}, "agent": {}, "av_actions": {"ignored": 1}}
    for video in ann.subset("val"):
        for f in video.frames.tolist():
            rows = video.frame_boxes(f)
            boxes = video.boxes[rows] * [w, h, w, h]
            ness = np.hstack([boxes, np.linspace(0.9, 0.5, len(rows))[:, None]]).astype(np.float32)
            dets["agent_ness"][f"{video.name}{f:05d}"] = [ness if len(rows) else np.asarray([])]
            per_class = [np.asarray([]) for _ in range(10)]
            dets["agent"][f"{video.name}{f:05d}"] = per_class
    path = tmp_path / "frame-level-dets.pkl"
    path.write_bytes(pickle.dumps(dets))
    ev = evaluate_road_files(ann_path, path, "val")
    assert ev.frame_source == "frames" and not [r for r in ev.results if r.level == "video"]
    # Every box found: 100 up to the reference's float32 accumulation (99.99999237...).
    assert ev.get("frame", "agent_ness").mAP == pytest.approx(100.0, abs=1e-4)
    assert ev.get("frame", "agent").mAP == 0.0


def test_zip_submission_is_read(files, tmp_path):
    ann_path, pred, _ = files["road_waymo"]
    zipped = zip_submission(pred, tmp_path / "sub.zip")
    from_zip = evaluate_road_files(ann_path, zipped, "val")
    assert from_zip.to_dict() == evaluate_road_files(ann_path, pred, "val").to_dict()


@pytest.mark.parametrize("content, match", [
    (b"garbage", r"bad\.pkl: not a readable pickle"),
    (pickle.dumps([1, 2]), r"bad\.pkl: expected a dict of label type"),
    (pickle.dumps({"agent": {"train_00003": [{"label_id": 99, "frames": np.array([1]), "boxes": np.zeros((1, 4)),
                                              "scores": np.ones(1), "score": 1.0}]}}),
     r"bad\.pkl: agent/train_00003/tube 0: label_id 99"),
    (pickle.dumps({"agent": {"train_0000301": [np.zeros((1, 5))]}}),
     r"bad\.pkl: agent/train_0000301: expected a list of 10 arrays \(one per class\), got 1"),
    (pickle.dumps({"agent": {"x": [np.zeros((1, 5))] * 10}}), r"bad\.pkl: agent/x: frame ids must be video name"),
    (pickle.dumps({"agent": {"train_0000301": [np.zeros((1, 4))] * 10}}),
     r"agent/train_0000301: class 0: expected an \(N, 5\) numeric array"),
    (pickle.dumps({"agent": {"train_0000301": [np.full((1, 5), np.nan)] * 10}}), r"class 0: NaN or inf"),
])
def test_malformed_predictions_name_the_file(files, tmp_path, content, match):
    ann_path, _, _ = files["road_waymo"]
    path = tmp_path / "bad.pkl"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        evaluate_road_files(ann_path, path, "val")


def test_unknown_subset(files):
    ann_path, pred, _ = files["road"]
    with pytest.raises(ValueError, match=r"no video belongs to split \['val'\]; split ids in the file: \['test', "):
        evaluate_road_files(ann_path, pred, "val")


def test_table(files):
    ann_path, pred, _ = files["road_waymo"]
    table = evaluate_road_files(ann_path, pred, "val").table()
    lines = table.splitlines()
    assert lines[0].startswith("ROAD-Waymo evaluation, subset val: 2 videos, official rules, 840x600 pixels")
    header = next(line for line in lines if line.startswith("label type"))
    assert header.split() == ["label", "type", "frame-mAP@0.5", "video-mAP@0.2", "video-mAP@0.5"]
    assert [line.split()[0] for line in lines[lines.index(header) + 1:]] == ["agent", "triplet"]


def test_to_dict_csv_and_plot(files, tmp_path):
    ann_path, pred, ann = files["road_waymo"]
    ev = evaluate_road_files(ann_path, pred, "val", official=False)
    d = json.loads(json.dumps(ev.to_dict(), allow_nan=False))  # strict JSON: NaN became null
    assert d["official"] is False and d["subset"] == ["val"] and d["eval_size"] == [840, 600]
    video_agent = next(r for r in d["results"]
                       if (r["level"], r["label_type"], r["threshold"]) == ("video", "agent", 0.2))
    assert len(video_agent["classes"]) == 10 and video_agent["mAP"] == 100.0
    assert any(c["ap"] is None for c in video_agent["classes"])  # no ground truth: left out of the mean
    rows = list(csv.DictReader(open(ev.write_csv(tmp_path / "road.csv"), newline="")))
    assert len(rows) == sum(len(r.classes) + 1 for r in ev.results)
    mean_row = next(r for r in rows if r["class"] == "mAP" and r["level"] == "video" and r["label_type"] == "agent")
    assert float(mean_row["ap"]) == 100.0
    assert any(r["ap"] == "" for r in rows)
    png = ev.plot_per_class(tmp_path / "ap.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.partial"))


def test_fixed_rules_without_any_ground_truth_give_nan_not_zero(files):
    ann_path, pred, ann = files["road_waymo"]
    ev = evaluate_road_files(ann_path, pred, "val", official=False)
    duplex_free = ev.get("video", "triplet", 0.2)
    assert all(math.isnan(c.ap) for c in duplex_free.classes if c.num_gt == 0)
