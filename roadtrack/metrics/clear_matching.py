"""Frame-by-frame CLEAR-MOT matching, which prefers to keep the previous frame's correspondences.

Two conventions exist and differ in rare frames:

- ``"motmetrics"`` (py-motmetrics ``MOTAccumulator.update``): first every ground-truth object keeps the
  prediction it was last matched to (however long ago), if that prediction is present and overlaps,
  objects taken in their order in the frame; then the rest are matched with the most matches possible,
  and among those the least total distance (1 - IoU).
- ``"trackeval"`` (TrackEval ``CLEAR``): one Hungarian problem maximising ``1000 * continued + IoU``, where
  "continued" means the pair was matched in the previous frame that had both ground truth and predictions.

Either way a pair whose rows compete with no other overlapping pair is matched, so only frames with
competing pairs are solved one by one; the rest is vectorised.
"""

from __future__ import annotations

import numpy as np

from roadtrack.metrics.matching import match_pairs

CONVENTIONS = ("motmetrics", "trackeval")


def match_frames(frames: np.ndarray, gt_rows: np.ndarray, pred_rows: np.ndarray, gt_ids: np.ndarray,
                 pred_ids: np.ndarray, sim: np.ndarray, num_gt_ids: int, active_frames: np.ndarray,
                 convention: str = "motmetrics") -> np.ndarray:
    """Match overlapping pairs frame by frame.

    Args:
        frames: (P,) frame of each overlapping pair, ascending (pairs of one frame contiguous).
        gt_rows, pred_rows: (P,) rows of the pair (a row belongs to one frame).
        gt_ids, pred_ids: (P,) ids (0-based) of the pair's rows.
        sim: (P,) IoU of the pair.
        num_gt_ids: number of ground-truth ids.
        active_frames: ascending frames that have both ground truth and predictions (``"trackeval"`` only).
        convention: ``"motmetrics"`` or ``"trackeval"``.

    Returns:
        (P,) bool, the matched pairs.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown CLEAR convention {convention!r}; choose from {', '.join(CONVENTIONS)}")
    n = len(frames)
    matched = np.zeros(n, bool)
    if n == 0:
        return matched
    isolated = (np.bincount(gt_rows)[gt_rows] == 1) & (np.bincount(pred_rows)[pred_rows] == 1)
    matched[isolated] = True
    todo = np.flatnonzero(~isolated)
    if len(todo) == 0:
        return matched
    state = _LastMatch(num_gt_ids) if convention == "motmetrics" else _PreviousFrame(num_gt_ids, active_frames)
    starts = np.flatnonzero(np.r_[True, frames[todo][1:] != frames[todo][:-1]])
    for part in np.split(todo, starts[1:]):
        frame = frames[part[0]]
        state.advance(frame, frames, gt_ids, pred_ids, matched)
        chosen = state.solve(part, gt_rows, pred_rows, gt_ids, pred_ids, sim)
        matched[chosen] = True
    return matched


class _LastMatch:
    """py-motmetrics' memory: each object's last matched prediction, from any earlier frame."""

    def __init__(self, num_gt_ids: int) -> None:
        self.last = np.full(num_gt_ids, -1, np.int64)
        self.applied = 0  # pairs [0, applied) are reflected in ``last``

    def advance(self, frame, frames, gt_ids, pred_ids, matched) -> None:
        end = int(np.searchsorted(frames, frame, side="left"))
        idx = np.flatnonzero(matched[self.applied:end]) + self.applied
        if len(idx):
            # Later matches overwrite earlier ones: keep each id's last occurrence.
            g = gt_ids[idx][::-1]
            _, first = np.unique(g, return_index=True)
            self.last[g[first]] = pred_ids[idx][::-1][first]
        self.applied = end

    def solve(self, part, gt_rows, pred_rows, gt_ids, pred_ids, sim) -> np.ndarray:
        kept = part[self.last[gt_ids[part]] == pred_ids[part]]
        if len(kept):
            # One prediction may be the last match of several objects: the first object in the frame keeps it.
            _, first = np.unique(pred_rows[kept], return_index=True)
            kept = kept[np.sort(first)]
            part = part[~_taken(gt_rows, part, kept) & ~_taken(pred_rows, part, kept)]
        if len(part) == 0:
            return kept
        # Most matches first, then the largest total IoU: a gain of (count + 1) per match dominates any IoU sum.
        gain = sim[part] + (len(part) + 1.0)
        rest = part[match_pairs(np.zeros(len(part)), gt_rows[part], pred_rows[part], gain)]
        return np.concatenate([kept, rest])


class _PreviousFrame:
    """TrackEval's memory: the matches of the previous frame that had both ground truth and predictions."""

    def __init__(self, num_gt_ids: int, active_frames: np.ndarray) -> None:
        self.active = np.asarray(active_frames)
        self.prev = np.full(num_gt_ids, -1, np.int64)

    def advance(self, frame, frames, gt_ids, pred_ids, matched) -> None:
        self.prev[:] = -1
        k = int(np.searchsorted(self.active, frame, side="left"))
        if k == 0:
            return
        previous = self.active[k - 1]
        lo, hi = np.searchsorted(frames, [previous, previous + 1], side="left")
        idx = np.flatnonzero(matched[lo:hi]) + lo
        self.prev[gt_ids[idx]] = pred_ids[idx]

    def solve(self, part, gt_rows, pred_rows, gt_ids, pred_ids, sim) -> np.ndarray:
        gain = 1000.0 * (self.prev[gt_ids[part]] == pred_ids[part]) + sim[part]
        return part[match_pairs(np.zeros(len(part)), gt_rows[part], pred_rows[part], gain)]


def _taken(rows: np.ndarray, part: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """(len(part),) bool: pairs of ``part`` whose row is the row of a pair in ``kept`` (rows of one frame)."""
    low = rows[part].min()
    used = np.zeros(int(rows[part].max() - low) + 1, bool)
    used[rows[kept] - low] = True
    return used[rows[part] - low]
