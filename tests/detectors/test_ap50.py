"""The benchmark's person AP50 (VOC all-point interpolation, VOC matching), by hand and against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from detector_data import bench
from roadtrack.io import TrackRows


def rows(frames, boxes, scores=None):
    n = len(frames)
    return TrackRows(np.asarray(frames), np.full(n, -1), np.asarray(boxes, float).reshape(-1, 4),
                     None if scores is None else np.asarray(scores, float))


GT = rows([1, 1, 2], [[0, 0, 10, 10], [20, 0, 30, 10], [0, 0, 10, 10]])


def test_perfect_detections_give_ap_1():
    assert bench().person_ap50(GT, rows([1, 1, 2], GT.xyxy, [0.9, 0.8, 0.7])) == 1.0


def test_hand_computed_ap():
    # Ranked: 0.9 TP (frame 1, box A), 0.8 FP (frame 2, nothing near), 0.7 TP (frame 2), 0.6 FP (duplicate of A:
    # A is taken and VOC does not fall back to B). 3 gt boxes.
    # precision 1, 1/2, 2/3, 2/4 at recall 1/3, 1/3, 2/3, 2/3; made monotone from the right: 1, 2/3, 2/3, 1/2.
    # AP = 1/3 * 1 + (2/3 - 1/3) * 2/3 = 1/3 + 2/9 = 5/9.
    pred = rows([1, 2, 2, 1], [[0, 0, 10, 10], [50, 50, 60, 60], [1, 0, 11, 10], [0, 1, 10, 11]],
                [0.9, 0.8, 0.7, 0.6])
    tp = bench().match_detections(GT, pred)
    assert tp.tolist() == [True, False, True, False]
    assert bench().person_ap50(GT, pred) == pytest.approx(5 / 9)


def test_iou_threshold_is_inclusive_at_half():
    # [0,0,10,10] vs [0,0,10,20]: IoU = 100 / 200 = 0.5 exactly -> a match.
    gt = rows([1], [[0, 0, 10, 20]])
    assert bench().match_detections(gt, rows([1], [[0, 0, 10, 10]], [0.5])).tolist() == [True]
    assert bench().match_detections(gt, rows([1], [[0, 0, 10, 9.9]], [0.5])).tolist() == [False]


def test_ignored_gt_rows_and_frame_subset():
    gt = rows([1, 1, 2], [[0, 0, 10, 10], [20, 0, 30, 10], [0, 0, 10, 10]], [1, 0, 1])  # conf 0: dropped
    pred = rows([1, 2], [[0, 0, 10, 10], [0, 0, 10, 10]], [0.9, 0.8])
    assert bench().person_ap50(gt, pred) == 1.0
    assert bench().person_ap50(gt, pred[:1], frames=np.array([1])) == 1.0  # frame 2 was not run
    assert bench().person_ap50(gt, pred[:1]) == pytest.approx(0.5)  # frame 2 counts: recall stops at 1/2


def reference_ap(gt: TrackRows, pred: TrackRows) -> float:
    """VOC 2010+ AP with loops, as the VOC devkit describes it."""
    order = np.argsort(-pred.scores, kind="stable")
    taken, tp = set(), []
    for i in order:
        best, best_iou = None, 0.0
        for j in np.flatnonzero(gt.frames == pred.frames[i]):
            iou = bench().iou_matrix(pred.xyxy[i:i + 1], gt.xyxy[j:j + 1])[0, 0]
            if iou > best_iou:
                best, best_iou = j, iou
        hit = best is not None and best_iou >= 0.5 and best not in taken
        if hit:
            taken.add(best)
        tp.append(hit)
    tp = np.array(tp, float)
    rec = np.concatenate([[0], np.cumsum(tp) / len(gt), [1]])
    prec = np.concatenate([[0], np.cumsum(tp) / np.arange(1, len(tp) + 1), [0]])
    for k in range(len(prec) - 2, -1, -1):
        prec[k] = max(prec[k], prec[k + 1])
    return sum((rec[k + 1] - rec[k]) * prec[k + 1] for k in range(len(rec) - 1) if rec[k + 1] != rec[k])


def test_matches_a_plain_loop_on_random_boxes():
    rng = np.random.default_rng(3)
    frames_gt, frames_pred = rng.integers(1, 6, 40), rng.integers(1, 6, 120)
    xy = rng.uniform(0, 60, (40, 2))
    gt = rows(frames_gt, np.concatenate([xy, xy + rng.uniform(10, 30, (40, 2))], axis=1))
    # Noisy copies of gt boxes plus clutter, with distinct scores.
    src = rng.integers(0, 40, 120)
    noisy = gt.xyxy[src] + rng.normal(0, 3, (120, 4))
    noisy[:, 2:] = np.maximum(noisy[:, 2:], noisy[:, :2] + 1)
    pred = rows(np.where(rng.uniform(size=120) < 0.7, gt.frames[src], frames_pred), noisy, rng.uniform(size=120))
    assert bench().person_ap50(gt, pred) == pytest.approx(reference_ap(gt, pred), abs=1e-12)
