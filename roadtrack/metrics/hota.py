"""HOTA: Higher Order Tracking Accuracy (Luiten et al., IJCV 2021), vectorised over frames and thresholds.

For each localisation threshold alpha in 0.05, 0.10, ... 0.95:

- detections are matched one-to-one per frame, maximising the sum of similarity x global alignment of the
  two ids (the ids' overlap over the whole sequence), and a match counts only if its similarity >= alpha;
- ``DetA = TP / (TP + FN + FP)``, ``DetRe = TP / (TP + FN)``, ``DetPr = TP / (TP + FP)``;
- ``AssA = 1/TP * sum over TPs c of TPA(c) / (TPA(c) + FNA(c) + FPA(c))``, with AssRe, AssPr likewise;
- ``HOTA = sqrt(DetA * AssA)``, ``LocA`` = mean similarity of the TPs, ``OWTA = sqrt(DetRe * AssA)``.

The summary value of each is its mean over the 19 thresholds. Matching and counting follow TrackEval's
``HOTA`` metric (the reference implementation) exactly; only one Hungarian problem per frame is solved, for
all thresholds at once, and frames without competing pairs need none.

Example:
    >>> from roadtrack.metrics.data import build_sequence
    >>> one = build_sequence("s", 2, [1, 2], [7, 7], [1, 2], [3, 3], [0, 1], [0, 1], [1.0, 1.0])
    >>> HOTA().combine([HOTA().evaluate_sequence(one)]).summary()["HOTA"]
    1.0
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from roadtrack.metrics.base import Metric, Result, Stats, safe_ratio
from roadtrack.metrics.data import SequenceData
from roadtrack.metrics.matching import match_pairs
from roadtrack.metrics.similarity import EPS

# The same 19 floats as TrackEval's ``np.arange(0.05, 0.99, 0.05)`` (0.15000000000000002, ...).
ALPHAS = np.arange(0.05, 0.99, 0.05)


def _zeros() -> np.ndarray:
    return np.zeros(len(ALPHAS))


@dataclasses.dataclass(frozen=True)
class HotaStats(Stats):
    """Per-threshold counts and sums, each (19,) float64 over `ALPHAS`.

    Attributes:
        TP, FN, FP: detection true positives, misses and false positives.
        ass_sum: sum over TPs of TPA / (TPA + FNA + FPA) of their id pair; ``AssA = ass_sum / TP``.
        ass_re_sum: sum over TPs of TPA / (TPA + FNA); ass_pr_sum: of TPA / (TPA + FPA).
        loc_sum: sum of the TPs' similarities.
    """

    TP: np.ndarray = dataclasses.field(default_factory=_zeros)
    FN: np.ndarray = dataclasses.field(default_factory=_zeros)
    FP: np.ndarray = dataclasses.field(default_factory=_zeros)
    ass_sum: np.ndarray = dataclasses.field(default_factory=_zeros)
    ass_re_sum: np.ndarray = dataclasses.field(default_factory=_zeros)
    ass_pr_sum: np.ndarray = dataclasses.field(default_factory=_zeros)
    loc_sum: np.ndarray = dataclasses.field(default_factory=_zeros)


@dataclasses.dataclass(frozen=True)
class HotaResult(Result):
    """HOTA scores, each (19,) float64 over `ALPHAS`, plus the alpha = 0.05 values.

    ``HOTA0``, ``LocA0`` and ``HOTALocA0`` are TrackEval's ``HOTA(0)``, ``LocA(0)`` and ``HOTA(0) * LocA(0)``.
    """

    HOTA: np.ndarray
    DetA: np.ndarray
    AssA: np.ndarray
    DetRe: np.ndarray
    DetPr: np.ndarray
    AssRe: np.ndarray
    AssPr: np.ndarray
    LocA: np.ndarray
    OWTA: np.ndarray
    HOTA_TP: np.ndarray
    HOTA_FN: np.ndarray
    HOTA_FP: np.ndarray
    HOTA0: float
    LocA0: float
    HOTALocA0: float

    SUMMARY: ClassVar[tuple[str, ...]] = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA",
                                          "HOTA(0)", "LocA(0)", "HOTALocA(0)")
    COUNTS: ClassVar[tuple[str, ...]] = ("HOTA_TP", "HOTA_FN", "HOTA_FP")
    ARRAYS: ClassVar[tuple[str, ...]] = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA",
                                         "HOTA_TP", "HOTA_FN", "HOTA_FP")

    def is_empty(self) -> bool:
        return not np.any(self.HOTA_TP + self.HOTA_FN + self.HOTA_FP > EPS)


class HOTA(Metric[HotaStats, HotaResult]):
    """HOTA and its sub-metrics (DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA, OWTA)."""

    name = "HOTA"
    alphas = ALPHAS

    def zero(self) -> HotaStats:
        return HotaStats()

    def evaluate_sequence(self, data: SequenceData) -> HotaStats:
        """Counts and sums of one sequence; see the module docstring.

        Args:
            data: one sequence, one class, with IoU similarities.

        Returns:
            `HotaStats` with (19,) arrays.
        """
        n_gt, n_pred = data.num_gt_dets, data.num_pred_dets
        if n_gt == 0 or n_pred == 0:
            return HotaStats(FN=np.full(len(ALPHAS), float(n_gt)), FP=np.full(len(ALPHAS), float(n_pred)))
        g_row, p_row, sim = data.pair_gt, data.pair_pred, data.pair_sim
        g_id, p_id = data.gt_ids[g_row], data.pred_ids[p_row]
        gt_count = np.bincount(data.gt_ids, minlength=data.num_gt_ids).astype(np.float64)
        pred_count = np.bincount(data.pred_ids, minlength=data.num_pred_ids).astype(np.float64)

        # Global alignment of each id pair: sum over frames of the pair's share of its rows' overlap mass.
        row_mass = np.bincount(g_row, weights=sim, minlength=n_gt)
        col_mass = np.bincount(p_row, weights=sim, minlength=n_pred)
        denom = col_mass[p_row] + row_mass[g_row] - sim
        share = np.where(denom > EPS, sim / np.where(denom > EPS, denom, 1.0), 0.0)
        pair_key, key_index = np.unique(g_id * data.num_pred_ids + p_id, return_inverse=True)
        key_index = key_index.reshape(-1)
        key_gt, key_pred = np.divmod(pair_key, data.num_pred_ids)
        potential = np.bincount(key_index, weights=share, minlength=len(pair_key))
        alignment = potential / (gt_count[key_gt] + pred_count[key_pred] - potential)

        matched = match_pairs(data.gt_frames[g_row], g_row, p_row, alignment[key_index] * sim)
        m_sim, m_key = sim[matched], key_index[matched]
        hit = m_sim[:, None] >= ALPHAS[None, :] - EPS  # (M, 19)
        tp = hit.sum(axis=0).astype(np.float64)
        # Matches per id pair and threshold: (K, 19).
        flat = (m_key[:, None] * len(ALPHAS) + np.arange(len(ALPHAS))[None, :])[hit]
        pair_tp = np.bincount(flat, minlength=len(pair_key) * len(ALPHAS)).reshape(len(pair_key), len(ALPHAS))
        pair_tp = pair_tp.astype(np.float64)
        gc, pc = gt_count[key_gt][:, None], pred_count[key_pred][:, None]
        return HotaStats(
            TP=tp, FN=n_gt - tp, FP=n_pred - tp,
            ass_sum=(pair_tp * pair_tp / np.maximum(1.0, gc + pc - pair_tp)).sum(axis=0),
            ass_re_sum=(pair_tp * pair_tp / np.maximum(1.0, gc)).sum(axis=0),
            ass_pr_sum=(pair_tp * pair_tp / np.maximum(1.0, pc)).sum(axis=0),
            loc_sum=np.where(hit, m_sim[:, None], 0.0).sum(axis=0),
        )

    def result(self, stats: HotaStats) -> HotaResult:
        tp, fn, fp = stats.TP, stats.FN, stats.FP
        det_a = safe_ratio(tp, tp + fn + fp)
        det_re = safe_ratio(tp, tp + fn)
        ass_a = safe_ratio(stats.ass_sum, tp)
        hota = np.sqrt(det_a * ass_a)
        loc_a = np.maximum(1e-10, stats.loc_sum) / np.maximum(1e-10, tp)
        return HotaResult(
            HOTA=hota, DetA=det_a, AssA=ass_a, DetRe=det_re, DetPr=safe_ratio(tp, tp + fp),
            AssRe=safe_ratio(stats.ass_re_sum, tp), AssPr=safe_ratio(stats.ass_pr_sum, tp), LocA=loc_a,
            OWTA=np.sqrt(det_re * ass_a), HOTA_TP=tp, HOTA_FN=fn, HOTA_FP=fp,
            HOTA0=float(hota[0]), LocA0=float(loc_a[0]), HOTALocA0=float(hota[0] * loc_a[0]),
        )
