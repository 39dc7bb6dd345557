"""`SequenceData`: one sequence and one class, reduced to what the MOT metrics count.

Benchmark rules (which rows count, ignore regions, distractors) are applied before this point, by
`roadtrack.metrics.benchmarks`; every metric then reads the same `SequenceData`.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True, eq=False)
class SequenceData:
    """Ground truth and predictions of one sequence (one class), with their pairwise similarities.

    Rows are sorted by frame; within a frame they keep their order in the input. Ids are relabelled to
    ``0 .. num_gt_ids - 1`` and ``0 .. num_pred_ids - 1`` in increasing order of the original ids.

    Attributes:
        name: sequence name, used in messages and reports.
        num_frames: frames in the sequence (reported as ``Frames``; frames without rows count too).
        gt_frames: (N,) int64 frame numbers of the ground-truth rows.
        gt_ids: (N,) int64 relabelled ground-truth ids.
        pred_frames: (M,) int64 frame numbers of the predicted rows.
        pred_ids: (M,) int64 relabelled predicted ids.
        pair_gt: (P,) int64 ground-truth row of each overlapping same-frame pair.
        pair_pred: (P,) int64 predicted row of each pair.
        pair_sim: (P,) float64 similarity (IoU) of each pair, > 0; pairs ordered by frame, gt row, pred row.
        gt_id_labels: (num_gt_ids,) int64 original ground-truth ids; pred_id_labels likewise.
    """

    name: str
    num_frames: int
    gt_frames: np.ndarray
    gt_ids: np.ndarray
    pred_frames: np.ndarray
    pred_ids: np.ndarray
    pair_gt: np.ndarray
    pair_pred: np.ndarray
    pair_sim: np.ndarray
    gt_id_labels: np.ndarray
    pred_id_labels: np.ndarray

    @property
    def num_gt_dets(self) -> int:
        return len(self.gt_ids)

    @property
    def num_pred_dets(self) -> int:
        return len(self.pred_ids)

    @property
    def num_gt_ids(self) -> int:
        return len(self.gt_id_labels)

    @property
    def num_pred_ids(self) -> int:
        return len(self.pred_id_labels)

    @property
    def pair_frames(self) -> np.ndarray:
        """(P,) int64 frame number of each pair."""
        return self.gt_frames[self.pair_gt]


def build_sequence(name: str, num_frames: int, gt_frames, gt_ids, pred_frames, pred_ids,
                   pair_gt, pair_pred, pair_sim) -> SequenceData:
    """Sort rows by frame, relabel ids, keep overlapping pairs, and check that ids are unique per frame.

    Args:
        name: sequence name for messages.
        num_frames: frames in the sequence.
        gt_frames, gt_ids: (N,) ground-truth frame numbers and ids (any integers).
        pred_frames, pred_ids: (M,) predicted frame numbers and ids.
        pair_gt, pair_pred, pair_sim: (P,) same-frame pairs (row into the inputs above) and their similarity;
            pairs with similarity <= 0 are dropped.

    Returns:
        A `SequenceData`.

    Raises:
        DuplicateIdError: an id occurs twice in one frame (of the ground truth or of the predictions).
    """
    gt_frames, gt_ids = np.asarray(gt_frames, np.int64), np.asarray(gt_ids, np.int64)
    pred_frames, pred_ids = np.asarray(pred_frames, np.int64), np.asarray(pred_ids, np.int64)
    _check_unique(name, "ground truth", gt_frames, gt_ids)
    _check_unique(name, "predictions", pred_frames, pred_ids)
    gt_order = np.argsort(gt_frames, kind="stable")
    pred_order = np.argsort(pred_frames, kind="stable")
    gt_rank = np.empty_like(gt_order)
    gt_rank[gt_order] = np.arange(len(gt_order))
    pred_rank = np.empty_like(pred_order)
    pred_rank[pred_order] = np.arange(len(pred_order))
    sim = np.asarray(pair_sim, np.float64)
    keep = sim > 0
    pg = gt_rank[np.asarray(pair_gt, np.int64)[keep]]
    pp = pred_rank[np.asarray(pair_pred, np.int64)[keep]]
    sim = sim[keep]
    order = np.lexsort((pp, pg))  # gt rows are frame-sorted, so this is frame, gt row, pred row
    gt_labels, gt_new = np.unique(gt_ids[gt_order], return_inverse=True)
    pred_labels, pred_new = np.unique(pred_ids[pred_order], return_inverse=True)
    return SequenceData(
        name=name, num_frames=int(num_frames),
        gt_frames=gt_frames[gt_order], gt_ids=gt_new.reshape(-1).astype(np.int64),
        pred_frames=pred_frames[pred_order], pred_ids=pred_new.reshape(-1).astype(np.int64),
        pair_gt=pg[order], pair_pred=pp[order], pair_sim=sim[order],
        gt_id_labels=gt_labels, pred_id_labels=pred_labels,
    )


class DuplicateIdError(ValueError):
    """An id twice in one frame; ``what`` is ``"ground truth"`` or ``"predictions"``, so that a reader can
    point at the file and lines holding ``(frame, track_id)``."""

    def __init__(self, name: str, what: str, frame: int, track_id: int) -> None:
        super().__init__(f"{name}: {what} has id {track_id} more than once in frame {frame}")
        self.what, self.frame, self.track_id = what, frame, track_id


def _check_unique(name: str, what: str, frames: np.ndarray, ids: np.ndarray) -> None:
    if len(ids) < 2:
        return
    order = np.lexsort((ids, frames))
    f, i = frames[order], ids[order]
    dup = np.flatnonzero((f[1:] == f[:-1]) & (i[1:] == i[:-1]))
    if len(dup):
        raise DuplicateIdError(name, what, int(f[dup[0]]), int(i[dup[0]]))
