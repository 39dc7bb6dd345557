"""Scoring shared by benchmarks/trackers.py and benchmarks/pipeline.py (runs in the roadtrack environment).

HOTA from TrackEval's `HOTA` class on box IoU; MOTA, IDF1, IDSW from py-motmetrics at IoU >= 0.5 -- the
protocol of ../shared/benchmarks/peers-mot15.md and peers-e2e.md. Per-sequence scores are combined with each
sequence's frame count as weight; IDSW is summed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from roadtrack.association import iou

FRAME, ID, X, Y, W, H, CONF = range(7)


def read_rows(path: str | Path) -> np.ndarray:
    """(N, >=7) float array of a MOTChallenge text file (empty file -> (0, 10))."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return np.zeros((0, 10))
    return np.loadtxt(path, delimiter=",", ndmin=2)


def _xyxy(rows: np.ndarray) -> np.ndarray:
    return np.concatenate([rows[:, X:Y + 1], rows[:, X:Y + 1] + rows[:, W:H + 1]], axis=1)


def _by_frame(rows: np.ndarray, n_frames: int) -> list[np.ndarray]:
    rows = rows[np.argsort(rows[:, FRAME], kind="stable")]
    bounds = np.searchsorted(rows[:, FRAME], np.arange(1, n_frames + 2))
    return [rows[bounds[i]:bounds[i + 1]] for i in range(n_frames)]


def _hota(gt: list[np.ndarray], pred: list[np.ndarray], similarities: list[np.ndarray]) -> float:
    from trackeval.metrics import HOTA

    gt_ids = np.unique(np.concatenate([g[:, ID] for g in gt])) if gt else np.zeros(0)
    tr_ids = np.unique(np.concatenate([p[:, ID] for p in pred])) if pred else np.zeros(0)
    data = {
        "num_timesteps": len(gt),
        "num_gt_dets": int(sum(len(g) for g in gt)),
        "num_tracker_dets": int(sum(len(p) for p in pred)),
        "num_gt_ids": len(gt_ids),
        "num_tracker_ids": len(tr_ids),
        "gt_ids": [np.searchsorted(gt_ids, g[:, ID]).astype(int) for g in gt],
        "tracker_ids": [np.searchsorted(tr_ids, p[:, ID]).astype(int) for p in pred],
        "similarity_scores": similarities,
    }
    res = HOTA().eval_sequence(data)
    return 100.0 * float(np.mean(res["HOTA"]))


def score_sequence(gt_rows: np.ndarray, pred_rows: np.ndarray, n_frames: int, drop_zero_marked: bool) -> dict:
    """HOTA, MOTA, IDF1 (percent) and IDSW of one sequence.

    Args:
        gt_rows: MOT gt rows; rows with conf 0 are dropped when ``drop_zero_marked`` (the e2e protocol) and kept
            otherwise (the MOT15 peers protocol: "no preprocessing").
        pred_rows: tracker rows, frames 1..n_frames.
    """
    import motmetrics as mm

    if drop_zero_marked:
        gt_rows = gt_rows[gt_rows[:, CONF] != 0]
    gt, pred = _by_frame(gt_rows, n_frames), _by_frame(pred_rows, n_frames)
    acc = mm.MOTAccumulator(auto_id=True)
    similarities = []
    for g, p in zip(gt, pred):
        sim = iou(_xyxy(g), _xyxy(p))
        similarities.append(sim)
        dist = 1.0 - sim
        dist[sim < 0.5] = np.nan
        acc.update(g[:, ID].astype(int).tolist(), p[:, ID].astype(int).tolist(), dist)
    summary = mm.metrics.create().compute(acc, metrics=["mota", "idf1", "num_switches"], name="seq")
    return {
        "HOTA": _hota(gt, pred, similarities),
        "MOTA": 100.0 * float(summary["mota"].iloc[0]),
        "IDF1": 100.0 * float(summary["idf1"].iloc[0]),
        "IDSW": int(summary["num_switches"].iloc[0]),
    }


def combine(weights: list[int], scores: list[dict]) -> dict:
    """Frame-weighted mean of HOTA, MOTA, IDF1; summed IDSW."""
    w = np.asarray(weights, np.float64)
    out = {k: float(np.dot(w, [s[k] for s in scores]) / w.sum()) for k in ("HOTA", "MOTA", "IDF1")}
    out["IDSW"] = int(sum(s["IDSW"] for s in scores))
    return out


def tracks_to_rows(frame: int, ids: np.ndarray, xyxy: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(K, 7) MOT rows frame, id, x, y, w, h, score of one frame's tracks."""
    tlwh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
    return np.column_stack([np.full(len(ids), frame), ids, tlwh, scores]).reshape(-1, 7)
