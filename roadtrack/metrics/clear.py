"""CLEAR-MOT and identity metrics (MOTA, MOTP, IDF1, IDSW, ...) through py-motmetrics.

Frames are matched at IoU >= ``iou_threshold`` (0.5 as in MOTChallenge). Ground-truth rows with
score 0 are dropped first: in MOTChallenge gt files that column is the "consider" flag.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from roadtrack.association.costs import iou

METRICS = ("mota", "motp", "idf1", "idp", "idr", "num_switches", "num_false_positives", "num_misses",
           "num_fragmentations", "mostly_tracked", "mostly_lost", "num_frames")


def _group(frames: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(frames, kind="stable")
    keys, starts = np.unique(frames[order], return_index=True)
    return dict(zip(keys.tolist(), np.split(order, starts[1:])))


def clear_mot(gt, pred, iou_threshold: float = 0.5, frames: Sequence[int] | None = None) -> dict[str, float]:
    """Score one sequence.

    Args:
        gt, pred: row tables with ``frames`` (N,), ``ids`` (N,), ``xyxy`` (N, 4) pixels and ``scores`` (N,)
            (e.g. `roadtrack.io.TrackRows` from `read_mot`).
        iou_threshold: minimum IoU for a match.
        frames: frame numbers to score; default: every frame that appears in either table.

    Returns:
        py-motmetrics' metrics by name (see ``METRICS``); ``motp`` is 1 - mean IoU of matches.
    """
    import motmetrics as mm

    keep = np.asarray(gt.scores) != 0
    gt_frames, gt_ids, gt_boxes = np.asarray(gt.frames)[keep], np.asarray(gt.ids)[keep], np.asarray(gt.xyxy)[keep]
    pr_frames, pr_ids, pr_boxes = np.asarray(pred.frames), np.asarray(pred.ids), np.asarray(pred.xyxy)
    if frames is None:
        frames = np.union1d(gt_frames, pr_frames)
    gt_rows, pr_rows = _group(gt_frames), _group(pr_frames)
    empty = np.zeros(0, np.int64)
    acc = mm.MOTAccumulator(auto_id=False)
    for frame in np.asarray(frames).tolist():
        g, p = gt_rows.get(frame, empty), pr_rows.get(frame, empty)
        # py-motmetrics' own iou_matrix calls np.asfarray, which NumPy 2 removed; same distance: 1 - IoU, NaN = no match
        dist = 1.0 - iou(gt_boxes[g], pr_boxes[p])
        dist[dist > 1.0 - iou_threshold] = np.nan
        acc.update(gt_ids[g].tolist(), pr_ids[p].tolist(), dist, frameid=frame)
    summary = mm.metrics.create().compute(acc, metrics=list(METRICS), name="seq")
    return {name: float(summary[name].iloc[0]) for name in METRICS}
