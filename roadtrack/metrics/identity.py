"""Identity metrics IDF1, IDR, IDP (Ristani et al., ECCV 2016 workshops).

Ground-truth ids and predicted ids are matched one-to-one over the whole sequence so that the number of
frames in which matched ids overlap (IoU >= threshold) is maximal; those frames are the IDTPs. Every other
ground-truth detection is an IDFN, every other prediction an IDFP:

- ``IDR = IDTP / (IDTP + IDFN)``, ``IDP = IDTP / (IDTP + IDFP)``, ``IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN)``.

A pair overlaps when ``1 - IoU <= 1 - threshold``, py-motmetrics' test (its distance is 1 - IoU); TrackEval
tests ``IoU >= threshold``, which differs only for an IoU within rounding of the threshold. Counts equal
py-motmetrics' ``idtp``/``idfn``/``idfp``; ratios use TrackEval's ``max(1, denominator)``, so an empty
sequence scores 0 instead of NaN.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
from scipy.optimize import linear_sum_assignment

from roadtrack.metrics.base import Metric, Result, Stats, safe_ratio
from roadtrack.metrics.data import SequenceData


@dataclasses.dataclass(frozen=True)
class IdentityStats(Stats):
    """Counts of one or more sequences: identity true positives, false negatives, false positives."""

    IDTP: int = 0
    IDFN: int = 0
    IDFP: int = 0


@dataclasses.dataclass(frozen=True)
class IdentityResult(Result):
    """IDF1, IDR, IDP (fractions) and the counts they come from."""

    IDF1: float
    IDR: float
    IDP: float
    IDTP: int
    IDFN: int
    IDFP: int

    SUMMARY: ClassVar[tuple[str, ...]] = ("IDF1", "IDR", "IDP", "IDTP", "IDFN", "IDFP")
    COUNTS: ClassVar[tuple[str, ...]] = ("IDTP", "IDFN", "IDFP")

    def is_empty(self) -> bool:
        return self.IDTP + self.IDFN + self.IDFP == 0


def overlapping(sim: np.ndarray, threshold: float) -> np.ndarray:
    """(P,) bool: pairs that count as overlapping at ``threshold``, by py-motmetrics' test ``1 - IoU <= 1 - t``."""
    return (1.0 - np.asarray(sim, np.float64)) <= 1.0 - threshold


class Identity(Metric[IdentityStats, IdentityResult]):
    """IDF1, IDR, IDP.

    Args:
        threshold: minimum IoU for two detections to overlap (0.5 in MOTChallenge and KITTI).
    """

    name = "Identity"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = float(threshold)

    def zero(self) -> IdentityStats:
        return IdentityStats()

    def evaluate_sequence(self, data: SequenceData) -> IdentityStats:
        """Identity counts of one sequence.

        Args:
            data: one sequence, one class.

        Returns:
            `IdentityStats`; IDTP is the optimum of a Hungarian problem over (gt id, predicted id) overlap counts.
        """
        ok = overlapping(data.pair_sim, self.threshold)
        g = data.gt_ids[data.pair_gt[ok]]
        p = data.pred_ids[data.pair_pred[ok]]
        idtp = 0
        if len(g):
            # Only ids that overlap somewhere take part; the others can only be unmatched.
            gk, gi = np.unique(g, return_inverse=True)
            pk, pi = np.unique(p, return_inverse=True)
            counts = np.bincount(gi.reshape(-1) * len(pk) + pi.reshape(-1), minlength=len(gk) * len(pk))
            counts = counts.reshape(len(gk), len(pk)).astype(np.float64)
            rows, cols = linear_sum_assignment(counts, maximize=True)
            idtp = int(counts[rows, cols].sum())
        return IdentityStats(IDTP=idtp, IDFN=data.num_gt_dets - idtp, IDFP=data.num_pred_dets - idtp)

    def result(self, stats: IdentityStats) -> IdentityResult:
        tp, fn, fp = stats.IDTP, stats.IDFN, stats.IDFP
        return IdentityResult(
            IDF1=float(safe_ratio(tp, tp + 0.5 * fp + 0.5 * fn)), IDR=float(safe_ratio(tp, tp + fn)),
            IDP=float(safe_ratio(tp, tp + fp)), IDTP=int(tp), IDFN=int(fn), IDFP=int(fp),
        )
