"""CLEAR-MOT metrics (Bernardin & Stiefelhagen, 2008): MOTA, MOTP, IDSW, FP, FN, Frag, MT/PT/ML.

Detections are matched frame by frame at IoU >= ``threshold`` (0.5), keeping earlier correspondences
where possible (see `roadtrack.metrics.clear_matching`). Then:

- ``MOTA = 1 - (FN + FP + IDSW) / num_gt_dets``; ``MODA`` without IDSW;
- ``MOTP`` = mean IoU of the matches (TrackEval's and MOTChallenge's reading; py-motmetrics reports the mean
  distance ``1 - MOTP``);
- ``IDSW``: matches whose ground-truth object was last matched to a different prediction;
- MT/PT/ML: objects matched in >= 80 %, 20-80 %, < 20 % of their frames;
- ``Frag``: times a matched object becomes unmatched and is matched again later.

``convention="motmetrics"`` (default) reproduces py-motmetrics 1.4 (``mota``, ``num_switches``,
``num_fragmentations``, ``mostly_tracked`` ...) exactly. ``convention="trackeval"`` reproduces TrackEval's
``CLEAR``: matching continues only the previous frame's pairs, MT needs > 80 % and PT <= 80 %, and Frag counts
re-starts of tracking after any frame in which the object was not matched. Sequences combine by summing
counts (both tools agree on that).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Sequence

import numpy as np

from roadtrack.metrics.base import Metric, Result, Stats, safe_ratio
from roadtrack.metrics.clear_matching import CONVENTIONS, match_frames
from roadtrack.metrics.data import SequenceData, build_sequence
from roadtrack.metrics.identity import Identity, overlapping
from roadtrack.metrics.similarity import EPS, frame_iou_pairs


@dataclasses.dataclass(frozen=True)
class ClearStats(Stats):
    """Counts of one or more sequences; ``MOTP_sum`` is the sum of the matches' IoU."""

    TP: int = 0
    FN: int = 0
    FP: int = 0
    IDSW: int = 0
    MT: int = 0
    PT: int = 0
    ML: int = 0
    Frag: int = 0
    Frames: int = 0
    MOTP_sum: float = 0.0


@dataclasses.dataclass(frozen=True)
class ClearResult(Result):
    """CLEAR scores (fractions) and counts. ``Recall``/``Precision`` are TrackEval's ``CLR_Re``/``CLR_Pr``."""

    MOTA: float
    MOTP: float
    MODA: float
    Recall: float
    Precision: float
    MTR: float
    PTR: float
    MLR: float
    sMOTA: float
    F1: float
    FP_per_frame: float
    MOTAL: float
    TP: int
    FN: int
    FP: int
    IDSW: int
    MT: int
    PT: int
    ML: int
    Frag: int
    Frames: int

    SUMMARY: ClassVar[tuple[str, ...]] = ("MOTA", "MOTP", "MODA", "Recall", "Precision", "MTR", "PTR", "MLR",
                                          "sMOTA", "TP", "FN", "FP", "IDSW", "MT", "PT", "ML", "Frag")
    COUNTS: ClassVar[tuple[str, ...]] = ("TP", "FN", "FP", "IDSW", "MT", "PT", "ML", "Frag", "Frames")

    def is_empty(self) -> bool:
        return self.TP + self.FN + self.FP == 0


class CLEAR(Metric[ClearStats, ClearResult]):
    """CLEAR-MOT metrics.

    Args:
        threshold: minimum IoU of a match.
        convention: ``"motmetrics"`` (py-motmetrics' rules) or ``"trackeval"`` (TrackEval's); see the module docstring.
    """

    name = "CLEAR"

    def __init__(self, threshold: float = 0.5, convention: str = "motmetrics") -> None:
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown CLEAR convention {convention!r}; choose from {', '.join(CONVENTIONS)}")
        self.threshold = float(threshold)
        self.convention = convention

    def zero(self) -> ClearStats:
        return ClearStats()

    def evaluate_sequence(self, data: SequenceData) -> ClearStats:
        """CLEAR counts of one sequence (one class)."""
        n_gt, n_pred = data.num_gt_dets, data.num_pred_dets
        gt_count = np.bincount(data.gt_ids, minlength=data.num_gt_ids)
        trackeval = self.convention == "trackeval"
        if n_gt == 0 or n_pred == 0:
            # TrackEval returns early here, leaving its frame count at 0.
            return ClearStats(FN=n_gt, FP=n_pred, ML=int(np.count_nonzero(gt_count)),
                              Frames=0 if trackeval else data.num_frames)
        sim = data.pair_sim
        valid = sim >= self.threshold - EPS if trackeval else overlapping(sim, self.threshold)
        g_row, p_row, sim = data.pair_gt[valid], data.pair_pred[valid], sim[valid]
        g_id, p_id = data.gt_ids[g_row], data.pred_ids[p_row]
        frames = data.gt_frames[g_row]
        active = np.intersect1d(data.gt_frames, data.pred_frames)
        matched = match_frames(frames, g_row, p_row, g_id, p_id, sim, data.num_gt_ids, active, self.convention)
        m_frame, m_gt, m_pred = frames[matched], g_id[matched], p_id[matched]
        tp = int(matched.sum())

        # IDSW: the object's previous match (in any earlier frame) was to another prediction.
        order = np.lexsort((m_frame, m_gt))
        same_obj = m_gt[order][1:] == m_gt[order][:-1]
        idsw = int(np.count_nonzero(same_obj & (m_pred[order][1:] != m_pred[order][:-1])))

        ratio = np.bincount(m_gt, minlength=data.num_gt_ids) / np.maximum(gt_count, 1)
        present = gt_count > 0
        if trackeval:
            mt = int(np.count_nonzero(ratio[present] > 0.8))
            pt = int(np.count_nonzero(ratio[present] >= 0.2)) - mt
            ml = data.num_gt_ids - mt - pt
            frag = self._frag_trackeval(m_frame, m_gt, active, data.num_gt_ids)
        else:
            mt = int(np.count_nonzero(ratio[present] >= 0.8))
            pt = int(np.count_nonzero((ratio[present] >= 0.2) & (ratio[present] < 0.8)))
            ml = int(np.count_nonzero(ratio[present] < 0.2))
            gt_matched = np.zeros(n_gt, bool)
            gt_matched[g_row[matched]] = True
            frag = self._frag_motmetrics(data.gt_ids, gt_matched)
        return ClearStats(TP=tp, FN=n_gt - tp, FP=n_pred - tp, IDSW=idsw, MT=mt, PT=pt, ML=ml, Frag=frag,
                          Frames=data.num_frames, MOTP_sum=float(sim[matched].sum()))

    @staticmethod
    def _frag_motmetrics(gt_ids: np.ndarray, gt_matched: np.ndarray) -> int:
        """Matched -> unmatched transitions of each object that is matched again later (rows frame-sorted)."""
        order = np.argsort(gt_ids, kind="stable")  # by object, then frame
        ids, hit = gt_ids[order], gt_matched[order]
        position = np.arange(len(ids))
        last_hit = np.full(int(ids.max()) + 1, -1)
        np.maximum.at(last_hit, ids[hit], position[hit])
        drop = np.flatnonzero((ids[1:] == ids[:-1]) & hit[:-1] & ~hit[1:]) + 1
        return int(np.count_nonzero(drop < last_hit[ids[drop]]))

    @staticmethod
    def _frag_trackeval(m_frame: np.ndarray, m_gt: np.ndarray, active: np.ndarray, num_gt_ids: int) -> int:
        """TrackEval's Frag: per object, (times it is matched without having been matched in the previous
        frame with both ground truth and predictions) - 1."""
        step = np.searchsorted(active, m_frame).astype(np.int64)  # index among active frames
        key = step * num_gt_ids + m_gt
        starts = ~np.isin(key - num_gt_ids, key)
        per_object = np.bincount(m_gt[starts], minlength=num_gt_ids)
        return int(np.sum(per_object[per_object > 0] - 1))

    def sequence_result(self, stats: ClearStats) -> ClearResult:
        """Scores of one sequence. With ``convention="trackeval"``, a sequence without ground truth or without
        predictions scores 0 everywhere except ``MLR`` = 1, as TrackEval reports it (its early return)."""
        result = self.result(stats)
        if self.convention == "trackeval" and (stats.TP + stats.FN == 0 or stats.TP + stats.FP == 0):
            ratios = {f.name: 0.0 for f in dataclasses.fields(result) if f.name not in result.COUNTS}
            result = dataclasses.replace(result, **{**ratios, "MLR": 1.0})
        return result

    def result(self, stats: ClearStats) -> ClearResult:
        s = stats
        num_gt = s.TP + s.FN
        num_ids = s.MT + s.PT + s.ML
        log_idsw = np.log10(s.IDSW) if s.IDSW > 0 else s.IDSW
        return ClearResult(
            MOTA=float(safe_ratio(s.TP - s.FP - s.IDSW, num_gt)), MOTP=float(safe_ratio(s.MOTP_sum, s.TP)),
            MODA=float(safe_ratio(s.TP - s.FP, num_gt)), Recall=float(safe_ratio(s.TP, num_gt)),
            Precision=float(safe_ratio(s.TP, s.TP + s.FP)), MTR=float(safe_ratio(s.MT, num_ids)),
            PTR=float(safe_ratio(s.PT, num_ids)), MLR=float(safe_ratio(s.ML, num_ids)),
            sMOTA=float(safe_ratio(s.MOTP_sum - s.FP - s.IDSW, num_gt)),
            F1=float(safe_ratio(s.TP, s.TP + 0.5 * s.FN + 0.5 * s.FP)),
            FP_per_frame=float(safe_ratio(s.FP, s.Frames)), MOTAL=float(safe_ratio(s.TP - s.FP - log_idsw, num_gt)),
            TP=int(s.TP), FN=int(s.FN), FP=int(s.FP), IDSW=int(s.IDSW), MT=int(s.MT), PT=int(s.PT), ML=int(s.ML),
            Frag=int(s.Frag), Frames=int(s.Frames),
        )


METRICS = ("mota", "motp", "idf1", "idp", "idr", "num_switches", "num_false_positives", "num_misses",
           "num_fragmentations", "mostly_tracked", "mostly_lost", "num_frames")


def clear_mot(gt, pred, iou_threshold: float = 0.5, frames: Sequence[int] | None = None) -> dict[str, float]:
    """Score one sequence with py-motmetrics' names and conventions (CLEAR and identity metrics).

    Ground-truth rows with score 0 are dropped first: in MOTChallenge gt files that column is the
    "consider" flag. For benchmark rules (MOT17 distractors, KITTI DontCare) use `roadtrack.metrics.evaluate`.

    Args:
        gt, pred: row tables with ``frames`` (N,), ``ids`` (N,), ``xyxy`` (N, 4) pixels and ``scores`` (N,)
            (e.g. `roadtrack.io.TrackRows` from `read_mot`).
        iou_threshold: minimum IoU for a match.
        frames: frame numbers to score (rows in other frames are ignored); default: every frame that
            appears in either table.

    Returns:
        py-motmetrics' metrics by name (see ``METRICS``), equal to what ``motmetrics`` computes on the same
        input, NaN included where it divides by zero; ``motp`` is 1 - mean IoU of the matches.
    """
    keep = np.asarray(gt.scores) != 0
    g_frames, g_ids, g_boxes = np.asarray(gt.frames)[keep], np.asarray(gt.ids)[keep], np.asarray(gt.xyxy)[keep]
    p_frames, p_ids, p_boxes = np.asarray(pred.frames), np.asarray(pred.ids), np.asarray(pred.xyxy)
    if frames is None:
        frames = np.union1d(g_frames, p_frames)
    frames = np.asarray(list(frames), np.int64)
    g_in, p_in = np.isin(g_frames, frames), np.isin(p_frames, frames)
    g_frames, g_ids, g_boxes = g_frames[g_in], g_ids[g_in], g_boxes[g_in]
    p_frames, p_ids, p_boxes = p_frames[p_in], p_ids[p_in], p_boxes[p_in]
    pairs = frame_iou_pairs(g_frames, g_boxes, p_frames, p_boxes)
    data = build_sequence("sequence", len(frames), g_frames, g_ids, p_frames, p_ids, *pairs)
    c = CLEAR(iou_threshold).evaluate_sequence(data)
    i = Identity(iou_threshold).evaluate_sequence(data)
    num_objects, num_predictions = c.TP + c.FN, c.TP + c.FP

    def divide(a: float, b: float) -> float:  # py-motmetrics' quiet_divide: x / 0 is inf or NaN, not an error
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.true_divide(a, b))

    return {
        "mota": 1.0 - divide(c.FN + c.IDSW + c.FP, num_objects), "motp": divide(c.TP - c.MOTP_sum, c.TP),
        "idf1": divide(2 * i.IDTP, num_objects + num_predictions), "idp": divide(i.IDTP, i.IDTP + i.IDFP),
        "idr": divide(i.IDTP, i.IDTP + i.IDFN), "num_switches": float(c.IDSW), "num_false_positives": float(c.FP),
        "num_misses": float(c.FN), "num_fragmentations": float(c.Frag), "mostly_tracked": float(c.MT),
        "mostly_lost": float(c.ML), "num_frames": float(len(frames)),
    }
