"""Benchmark rules (MOTChallenge, KITTI) on hand-made frames, and the text/JSON/CSV reports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from roadtrack.io import TrackRows
from roadtrack.metrics import CLEAR, HOTA, Identity, evaluate
from roadtrack.metrics.benchmarks import kitti, mot_challenge, plain
from roadtrack.metrics.report import format_table, summary_rows
from roadtrack.metrics.similarity import paired_ioa, paired_iou, same_frame_pairs

PED, STATIC, NON_MOT = 1, 7, 6


def mot_gt(*table) -> TrackRows:
    """MOT16/17/20 ground truth from (id, box, conf, class) tuples, all in frame 1."""
    return TrackRows(frames=[1] * len(table), ids=[r[0] for r in table], xyxy=[r[1] for r in table],
                     scores=[r[2] for r in table], extra={"mot_class": [float(r[3]) for r in table],
                                                          "visibility": [1.0] * len(table)})


def boxes(*xs) -> list[list[float]]:
    return [[x, 0.0, x + 10.0, 20.0] for x in xs]


def test_mot15_drops_rows_whose_conf_truncates_to_zero():
    gt = TrackRows([1, 1, 1], [1, 2, 3], boxes(0, 50, 100), scores=[1, 0, 0.5])
    data = mot_challenge(gt, TrackRows([1], [9], boxes(50)), "MOT15")
    assert data.num_gt_dets == 1 and data.num_pred_dets == 1  # the prediction on row 2 stays: a false positive


@pytest.mark.parametrize(("benchmark", "kept_preds"), [("MOT17", 3), ("MOT20", 2), ("MOT16", 3)])
def test_mot17_removes_predictions_on_distractors(benchmark, kept_preds):
    gt = mot_gt((1, boxes(0)[0], 1, PED), (2, boxes(50)[0], 1, STATIC), (3, boxes(100)[0], 0, PED),
                (4, boxes(150)[0], 1, NON_MOT))
    pred = TrackRows([1, 1, 1, 1], [1, 2, 3, 4], np.asarray(boxes(0, 50, 100, 150)) + 0.5)
    data = mot_challenge(gt, pred, benchmark)
    # Static person: a distractor everywhere; non-MOT vehicle: only in MOT20. The zero-marked pedestrian
    # is not a distractor, so the prediction on it stays (as a false positive).
    assert data.num_gt_dets == 1 and data.num_pred_dets == kept_preds
    assert mot_challenge(gt, pred, benchmark, preprocess=False).num_pred_dets == 4


def kitti_rows(*table, score=False) -> TrackRows:
    """KITTI rows from (id, type, box, truncated, occluded) tuples, all in frame 0."""
    n = len(table)
    return TrackRows(frames=[0] * n, ids=[r[0] for r in table], xyxy=[r[2] for r in table],
                     extra={"type": np.asarray([r[1] for r in table]), "truncated": [float(r[3]) for r in table],
                            "occluded": [float(r[4]) for r in table]})


def test_kitti_ignore_rules_for_cars():
    car, van, cut, region, far = [0, 0, 40, 40], [100, 0, 140, 40], [200, 0, 240, 40], [300, 0, 400, 100], [
        500, 0, 540, 40]
    gt = kitti_rows((1, "Car", car, 0, 0), (2, "Van", van, 0, 0), (3, "Car", cut, 1, 0), (-1, "DontCare", region, 0, 0),
                    (4, "Car", [600, 0, 640, 40], 0, 3))
    pred = kitti_rows(
        (10, "Car", car, 0, 0),                  # true positive
        (11, "Car", van, 0, 0),                  # on a van: removed
        (12, "Car", cut, 0, 0),                  # on a truncated car: removed
        (13, "Car", [310, 10, 350, 60], 0, 0),   # inside DontCare: removed
        (14, "Car", [700, 0, 740, 20], 0, 0),    # unmatched, 20 px high: removed
        (15, "Car", far, 0, 0),                  # unmatched, 40 px: a false positive
        (16, "Pedestrian", car, 0, 0),           # other class
        (-1, "Car", car, 0, 0),                  # negative id: dropped
    )
    data = kitti(gt, pred, "car")
    assert data.num_gt_dets == 1                 # the van, the truncated and the occluded car do not count
    assert data.pred_id_labels.tolist() == [10, 15]
    ped = kitti(gt, pred, "pedestrian")
    assert ped.num_gt_dets == 0 and ped.pred_id_labels.tolist() == [16]


def test_kitti_person_sitting_is_the_pedestrian_distractor():
    gt = kitti_rows((1, "Person", [0, 0, 20, 60], 0, 0), (2, "Pedestrian", [100, 0, 120, 60], 0, 0))
    pred = kitti_rows((5, "Pedestrian", [0, 0, 20, 60], 0, 0), (6, "Pedestrian", [100, 0, 120, 60], 0, 0))
    data = kitti(gt, pred, "pedestrian")
    assert data.num_gt_dets == 1 and data.pred_id_labels.tolist() == [6]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mot_challenge(TrackRows.empty(), TrackRows.empty(), "MOT18"), "unknown MOTChallenge benchmark"),
        (lambda: mot_challenge(TrackRows([1], [1], boxes(0)), TrackRows.empty(), "MOT17"), "needs the class column"),
        (lambda: mot_challenge(mot_gt((1, boxes(0)[0], 1, 14)), TrackRows.empty(), "MOT17"), r"unknown .* \[14\]"),
        (lambda: kitti(TrackRows.empty(), TrackRows.empty(), "cyclist"), "cyclist"),
        (lambda: kitti(kitti_rows(), kitti_rows(), "car"), None),  # empty files: does not raise
    ],
)
def test_benchmark_errors(call, match):
    if match is None:
        call()
    else:
        with pytest.raises(ValueError, match=match):
            call()


def test_similarities_follow_trackeval_edge_rules():
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 10], [0, 0, 10, 10]], float)
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(paired_iou(a, b), [50 / 150, 0, 0])  # zero-area box: 0, not NaN
    np.testing.assert_allclose(paired_ioa(a, b), [0.5, 0, 0])
    assert [r.tolist() for r in same_frame_pairs(np.array([3, 1, 3]), np.array([1, 3, 3]))] == [[1, 0, 0, 2, 2],
                                                                                                [0, 1, 2, 1, 2]]


def test_tables_look_like_trackevals():
    gt = TrackRows([1, 2, 1, 2], [1, 1, 2, 2], boxes(0, 0, 50, 50))
    data = {"pedestrian": {"b-seq": plain(gt, gt, name="b-seq"), "a-seq": plain(gt, gt[:2], name="a-seq")}}
    ev = evaluate(data, [HOTA(), CLEAR(), Identity()], benchmark="MOT15", tracker="trk")
    text = format_table("CLEAR: trk-pedestrian", {k: v["CLEAR"] for k, v in ev.results["pedestrian"].items()})
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["CLEAR:", "trk-pedestrian", "MOTA", "MOTP"]
    assert [line.split()[0] for line in lines[1:]] == ["a-seq", "b-seq", "COMBINED"]
    assert lines[2].split()[1:4] == ["100", "100", "100"] and lines[1].split()[1] == "50"   # percentages
    assert lines[1].index("50") == 35                                                       # 35-wide name column
    rows = summary_rows(ev)
    assert [r["sequence"] for r in rows] == ["b-seq", "a-seq", "COMBINED"]
    # summary rows (summary.csv) hold the table's units: percent, counts summed.
    assert rows[2]["MOTA"] == pytest.approx(100 * (2 + 4) / (4 + 4)) and rows[2]["FN"] == 2
    assert json.loads(json.dumps(ev.to_dict()))["results"]["pedestrian"]["a-seq"]["CLEAR"]["summary"]["TP"] == 2


def test_several_classes_add_class_and_detection_averages():
    gt = TrackRows([1, 1], [1, 2], boxes(0, 50), class_ids=[0, 1])
    pred = TrackRows([1], [7], boxes(0), class_ids=[0])
    data = {name: {"s": plain(gt, pred, class_id=c)} for c, name in enumerate(["car", "person"])}
    ev = evaluate(data, [CLEAR()])
    assert ev.class_averages["class_average"]["CLEAR"].MOTA == pytest.approx((1.0 + 0.0) / 2)
    assert ev.class_averages["detection_average"]["CLEAR"].MOTA == pytest.approx(1 / 2)
    with pytest.raises(ValueError, match="several classes"):
        ev.result("CLEAR")
    assert "CLEAR: tracker-class_average" in ev.table()
