"""The shared AP routine, rule by rule, with hand-computed numbers (spec §3.2)."""

import math

import numpy as np
import pytest

from roadtrack.metrics.road import ClassAP, MatchStats, evaluate_classes, greedy_true_positives, mean_ap, trapezoid_ap
from roadtrack.metrics.road.ap import rank_detections


def test_trapezoid_from_recall_0_precision_1():
    # TP, FP, TP with 2 ground truths. Points (r, p): (0, 1) (.5, 1) (.5, .5) (1, 2/3).
    # Trapezoids: .5 * (1 + 1) / 2 + 0 * (1 + .5) / 2 + .5 * (.5 + 2/3) / 2 = .5 + .2916667 = .7916667.
    # (VOC all-point AP would be .5 * 1 + .5 * 2/3 = .8333.)
    ap, recall = trapezoid_ap(np.array([True, False, True]), num_gt=2)
    assert ap == pytest.approx(79.16667, abs=1e-4) and recall == 100.0


def test_raw_points_no_precision_envelope():
    # FP then TP, 1 ground truth. Points (0, 1) (0, 0) (1, .5): AP = 0 + 1 * (0 + .5) / 2 = .25.
    # VOC (with the envelope) would give .5.
    assert trapezoid_ap(np.array([False, True]), num_gt=1) == (25.0, 100.0)


def test_false_positives_after_full_recall_cost_nothing():
    # TP, FP with 1 ground truth: (0, 1) (1, 1) (1, .5) -> 1 * (1 + 1) / 2 + 0 = 1.
    assert trapezoid_ap(np.array([True, False]), num_gt=1)[0] == 100.0


def test_no_detections_is_zero():
    assert trapezoid_ap(np.zeros(0, bool), num_gt=5) == (0.0, 0.0)


def test_no_ground_truth_counts_as_one():
    # num_gt = max(1, 0): all detections are FP, precision 0 -> AP 0 (not NaN, not a division by zero).
    assert trapezoid_ap(np.array([False, False]), num_gt=0) == (0.0, 0.0)


def test_official_ap_is_a_float32_value():
    # 7 ground truths, TP FP TP FP FP TP: recalls and precisions are not exact in float32.
    is_tp = np.array([1, 0, 1, 0, 0, 1], bool)
    official, _ = trapezoid_ap(is_tp, 7, official=True)
    exact, _ = trapezoid_ap(is_tp, 7, official=False)
    assert official == float(np.float32(official))  # representable in float32
    assert official != exact and official == pytest.approx(exact, abs=1e-4)


def test_greedy_matching_uses_the_remaining_ground_truth():
    # Detections 0 (ranked first) and 1 both overlap ground truths A=0 and B=1 (all pairs >= threshold).
    # det0: A .8, B .6 -> takes A. det1: A .9 (taken), B .55 -> falls back to B: TP. (VOC would say FP.)
    is_tp = greedy_true_positives(rank=np.array([0, 1]), pair_det=np.array([0, 0, 1, 1]),
                                  pair_gt=np.array([0, 1, 0, 1]), pair_iou=np.array([.8, .6, .9, .55]))
    assert is_tp.tolist() == [True, True]


def test_greedy_matching_ties_go_to_the_first_ground_truth():
    # det0 overlaps A and B equally (.7): takes A (the first); det1 overlaps only A: FP.
    is_tp = greedy_true_positives(np.array([0, 1]), np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([.7, .7, .7]))
    assert is_tp.tolist() == [True, False]


def test_greedy_matching_follows_rank_not_index():
    # Detection 1 is ranked first and takes the only ground truth; detection 0 is then FP.
    is_tp = greedy_true_positives(np.array([1, 0]), np.array([0, 1]), np.array([0, 0]), np.array([.9, .6]))
    assert is_tp.tolist() == [False, True]


def test_greedy_matching_cascades():
    # Ranked d0, d1, d2. d0 -> A. d1 wanted A, falls back to B. d2 wanted B, falls back to C.
    pairs = [(0, 0, .9), (1, 0, .9), (1, 1, .8), (2, 1, .9), (2, 2, .6)]
    d, g, iou = (np.array(x) for x in zip(*pairs))
    assert greedy_true_positives(np.arange(3), d, g, iou).tolist() == [True, True, True]
    # Without C, d2 is FP.
    assert greedy_true_positives(np.arange(3), d[:4], g[:4], iou[:4]).tolist() == [True, True, False]


def test_ranking_by_score_then_input_order():
    scores = np.array([0.5, 0.9, 0.5, 0.7], np.float32)
    positions = np.array([3, 2, 1, 0])  # input order: idx 3, 2, 1, 0
    assert rank_detections(scores, positions, official=False).tolist() == [1, 3, 2, 0]
    assert sorted(rank_detections(scores, positions, official=True).tolist()[:2]) == [1, 3]


def _stats(num_classes, det_class, det_score, gt_class, pairs):
    d, g, iou = (np.array(x, dtype) for x, dtype in zip(zip(*pairs), (np.int64, np.int64, float))) if pairs else (
        np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return MatchStats(num_classes, np.array(det_class), np.array(det_score), np.arange(len(det_class)),
                      np.array(gt_class, np.int64), d, g, iou)


def test_classes_without_ground_truth_or_detections_count_as_zero():
    # Class 0: 1 gt, 1 matching det -> 100. Class 1: no gt, 1 det -> 0. Class 2: 1 gt, no det -> 0.
    # Class 3: nothing -> 0. Official mAP = (100 + 0 + 0 + 0) / 4 = 25.
    stats = _stats(4, [0, 1], [0.9, 0.8], [0, 2], [(0, 0, 0.7)])
    classes = evaluate_classes(stats, ["a", "b", "c", "d"], 0.5, official=True)
    assert [c.ap for c in classes] == [100.0, 0.0, 0.0, 0.0]
    assert [(c.num_gt, c.num_det) for c in classes] == [(1, 1), (0, 1), (1, 0), (0, 0)]
    assert mean_ap(classes, official=True) == 25.0
    # Fixed rules: classes without ground truth (b, d) leave the mean: (100 + 0) / 2 = 50.
    fixed = evaluate_classes(stats, ["a", "b", "c", "d"], 0.5, official=False)
    assert math.isnan(fixed[1].ap) and math.isnan(fixed[3].ap)
    assert mean_ap(fixed, official=False) == 50.0


def test_threshold_is_inclusive():
    stats = _stats(1, [0], [0.9], [0], [(0, 0, 0.5)])
    assert evaluate_classes(stats, ["a"], 0.5, True)[0].ap == 100.0
    assert evaluate_classes(stats, ["a"], 0.5000001, True)[0].ap == 0.0


def test_mean_ap_official_sums_in_order():
    classes = [ClassAP(str(i), ap, 1, 1, 0.0) for i, ap in enumerate([0.1, 0.2, 0.3])]
    assert mean_ap(classes, True) == (0.1 + 0.2 + 0.3) / 3
