"""The AP routine shared by frame-mAP and video-mAP: greedy matching by score, trapezoidal AP.

The official rule (``compute_class_ap`` of the ROAD evaluation, ``shared/specs/road.md`` §3.2), per class:

1. all detections of the class over the evaluated set are ranked by score, highest first;
2. each detection is compared with the *remaining* ground truth of its frame (or video); the one with the
   largest IoU is matched, and removed, when that IoU >= threshold (ties: the earliest ground truth);
   otherwise the detection is a false positive;
3. precision = TP / (TP + FP), recall = TP / max(1, #GT), after each detection;
4. AP = trapezoidal area under the raw points, starting from (recall 0, precision 1); x100;
5. no detections -> AP 0.

Work is split as the style guide asks: `MatchStats` holds one video's detections and their candidate
matches (detection, ground truth, IoU), computed where the similarities are known; `evaluate_classes`
combines videos, ranks, matches and integrates. Only pairs above the threshold are kept, since a pair
below it can never be the chosen match when one above exists.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np


@dataclasses.dataclass(frozen=True, eq=False)
class MatchStats:
    """Detections of one label type in one video (every class) and their candidate matches.

    Attributes:
        num_classes: C, classes of the label type.
        det_class: (D,) int64 class of each detection.
        det_score: (D,) ranking score (dtype as read: the official ranking sorts in that dtype).
        det_position: (D,) int64 input order of each detection, used to rebuild the official order.
        gt_class: (G,) int64 class of each ground-truth item; within a class, index order is the
            order of the official ground-truth lists (it breaks IoU ties).
        pair_det: (P,) int64 detection index of each candidate pair.
        pair_gt: (P,) int64 ground-truth index of each pair, same class and same frame or video.
        pair_iou: (P,) float64 overlap of each pair (box IoU, or tube stIoU / tIoU / sIoU).
    """

    num_classes: int
    det_class: np.ndarray
    det_score: np.ndarray
    det_position: np.ndarray
    gt_class: np.ndarray
    pair_det: np.ndarray
    pair_gt: np.ndarray
    pair_iou: np.ndarray

    @classmethod
    def empty(cls, num_classes: int) -> "MatchStats":
        z = np.zeros(0, np.int64)
        return cls(num_classes, z, np.zeros(0), z, z, z, z, np.zeros(0))

    @property
    def num_gt(self) -> np.ndarray:
        """(C,) int64 ground-truth items per class."""
        return np.bincount(self.gt_class, minlength=self.num_classes)

    def above(self, threshold: float) -> "MatchStats":
        """The same statistics keeping only pairs with overlap >= ``threshold``."""
        keep = self.pair_iou >= threshold
        return dataclasses.replace(self, pair_det=self.pair_det[keep], pair_gt=self.pair_gt[keep],
                                   pair_iou=self.pair_iou[keep])


def concat_stats(stats: Sequence[MatchStats], num_classes: int) -> MatchStats:
    """Stack per-video statistics (in the given order), offsetting detection and ground-truth indices."""
    if not stats:
        return MatchStats.empty(num_classes)
    det_off = np.cumsum([0] + [len(s.det_class) for s in stats])
    gt_off = np.cumsum([0] + [len(s.gt_class) for s in stats])
    cat = np.concatenate
    # Empty videos must not promote float32 scores to float64: the official ranking sorts in the read dtype.
    scores = [s.det_score for s in stats if s.det_score.size] or [np.zeros(0)]
    return MatchStats(
        num_classes, cat([s.det_class for s in stats]), cat(scores),
        cat([s.det_position for s in stats]), cat([s.gt_class for s in stats]),
        cat([s.pair_det + o for s, o in zip(stats, det_off)]), cat([s.pair_gt + o for s, o in zip(stats, gt_off)]),
        cat([s.pair_iou for s in stats]),
    )


@dataclasses.dataclass(frozen=True)
class ClassAP:
    """AP of one class.

    Attributes:
        name: class name.
        ap: average precision in percent; NaN when excluded from the mean (``official=False``, no ground truth).
        num_gt: ground-truth items.
        num_det: detections.
        recall: final recall in percent.
    """

    name: str
    ap: float
    num_gt: int
    num_det: int
    recall: float


def rank_detections(scores: np.ndarray, positions: np.ndarray, official: bool) -> np.ndarray:
    """Indices of the detections, best first.

    Args:
        scores: (D,) scores.
        positions: (D,) input order keys.
        official: rebuild the input order, then ``argsort(-scores)`` with NumPy's default (unstable) sort,
            as the reference does, so tied scores come out as the reference ranks them. Otherwise ties keep
            input order (a stable sort).
    """
    by_input = np.argsort(positions, kind="stable")
    neg = -scores[by_input]
    return by_input[np.argsort(neg)] if official else by_input[np.argsort(neg, kind="stable")]


def greedy_true_positives(rank: np.ndarray, pair_det: np.ndarray, pair_gt: np.ndarray,
                          pair_iou: np.ndarray) -> np.ndarray:
    """Greedy matching against the remaining ground truth.

    Args:
        rank: (D,) processing position of each detection (0 = processed first).
        pair_det, pair_gt, pair_iou: (P,) candidate pairs, all at or above the threshold; each
            (detection, ground truth) at most once.

    Returns:
        (D,) bool, True for true positives.

    A detection takes its best candidate (largest overlap, then lowest ground-truth index) unless an earlier
    detection took it, in which case it falls back to its best remaining candidate. Detections none of whose
    candidates is shared with another detection are settled at once; the rest are resolved in rank order.
    """
    is_tp = np.zeros(rank.shape[0], bool)
    if pair_det.size == 0:
        return is_tp
    order = np.lexsort((pair_gt, -pair_iou, rank[pair_det]))
    det, gt = pair_det[order], pair_gt[order]
    shared = np.bincount(gt)[gt] > 1
    contested = np.zeros(rank.shape[0], bool)
    contested[det[shared]] = True
    first = np.r_[True, det[1:] != det[:-1]]
    settled = first & ~contested[det]
    is_tp[det[settled]] = True
    rest = contested[det]
    det, gt = det[rest], gt[rest]
    taken: set[int] = set()
    starts = np.flatnonzero(np.r_[True, det[1:] != det[:-1]])
    for a, b in zip(starts.tolist(), np.r_[starts[1:], det.size].tolist()):
        for g in gt[a:b].tolist():  # candidates in preference order
            if g not in taken:
                taken.add(g)
                is_tp[det[a]] = True
                break
    return is_tp


def trapezoid_ap(is_tp: np.ndarray, num_gt: int, official: bool = True) -> tuple[float, float]:
    """AP and final recall, both in percent, of ranked detections.

    Args:
        is_tp: (D,) bool, ranked best first.
        num_gt: ground-truth items (counted as at least 1).
        official: accumulate the precision-recall points in float32, as the reference does (its APs are
            float32 values); otherwise float64.

    Returns:
        (AP, recall): the trapezoidal area under (0, 1), (r_1, p_1), ..., (r_D, p_D) times 100, and r_D * 100.
        (0, 0) without detections.

    Example:
        TP, FP, TP with 2 ground truths: points (0, 1), (.5, 1), (.5, .5), (1, 2/3);
        AP = .5 * (1 + 1) / 2 + 0 + .5 * (.5 + 2/3) / 2 = 0.791667 -> 79.1667.
    """
    if is_tp.size == 0:
        return 0.0, 0.0
    tp = np.cumsum(is_tp)
    precision = tp / np.arange(1, is_tp.size + 1)
    recall = tp / max(1, num_gt)
    dtype = np.float32 if official else np.float64
    p = np.concatenate([[1.0], precision]).astype(dtype)
    r = np.concatenate([[0.0], recall]).astype(dtype)
    ap = np.sum((r[1:] - r[:-1]) * (p[1:] + p[:-1]) * dtype(0.5))
    return float(dtype(100) * ap), float(dtype(100) * r[-1])


def evaluate_classes(stats: MatchStats, names: Sequence[str], threshold: float, official: bool) -> list[ClassAP]:
    """Per-class AP from combined statistics.

    Args:
        stats: all evaluated videos, concatenated in the reference's input order (`concat_stats`).
        names: (C,) class names.
        threshold: minimum overlap of a match.
        official: the reference's ranking and float32 AP; with False, classes without ground truth get
            AP NaN (to be left out of the mean).
    """
    stats = stats.above(threshold)
    num_gt = stats.num_gt
    by_class = np.argsort(stats.det_class, kind="stable")
    det_bounds = np.searchsorted(stats.det_class[by_class], np.arange(len(names) + 1))
    pair_class = stats.det_class[stats.pair_det]
    pair_order = np.argsort(pair_class, kind="stable")
    pair_bounds = np.searchsorted(pair_class[pair_order], np.arange(len(names) + 1))
    local = np.empty(len(stats.det_class), np.int64)
    out = []
    for c, name in enumerate(names):
        dets = by_class[det_bounds[c]:det_bounds[c + 1]]
        pairs = pair_order[pair_bounds[c]:pair_bounds[c + 1]]
        ranked = rank_detections(stats.det_score[dets], stats.det_position[dets], official)
        rank = np.empty(dets.size, np.int64)
        rank[ranked] = np.arange(dets.size)
        local[dets] = np.arange(dets.size)
        is_tp = greedy_true_positives(rank, local[stats.pair_det[pairs]], stats.pair_gt[pairs], stats.pair_iou[pairs])
        ap, recall = trapezoid_ap(is_tp[ranked], int(num_gt[c]), official)
        if not official and num_gt[c] == 0:
            ap = float("nan")
        out.append(ClassAP(name, ap, int(num_gt[c]), int(dets.size), recall))
    return out


def mean_ap(classes: Sequence[ClassAP], official: bool) -> float:
    """Official: the plain mean over every class (sequential sum, as the reference); else the mean over
    classes with ground truth (NaN if there are none)."""
    if official:
        total = 0.0
        for c in classes:
            total += c.ap
        return total / len(classes) if classes else float("nan")
    aps = [c.ap for c in classes if not np.isnan(c.ap)]
    return float(np.mean(aps)) if aps else float("nan")
