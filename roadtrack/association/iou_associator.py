"""`IoUAssociator`: SORT's association of predicted track boxes to detections by IoU."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.costs import iou, same_class
from roadtrack.association.solver import METHODS, matches_from_pairs
from roadtrack.association.stages import sort_assignment
from roadtrack.core import Associator, Detections, Matches, TrackView, register


@register("associator", "iou")
@dataclasses.dataclass(frozen=True)
class IoUAssociator(Associator):
    """Match tracks to detections maximising total IoU, SORT's way.

    The steps follow the original SORT, because that is the variant that reproduces SORT's published
    MOT15 scores to the digit (tests/trackers/test_sort_mot15.py). Forbidding pairs below the threshold
    *before* solving (``solve(1 - iou, max_cost=1 - iou_threshold)``, as ByteTrack does) is a different
    tracker: measured on MOT15 train with the same protocol it scores MOTA 40.92, IDF1 46.11, IDSW 579
    against SORT's 40.84, 45.82, 582.

    1. If the pairs with IoU > ``iou_threshold`` already form a one-to-one matching, take them as is.
    2. Otherwise solve a full (maximum-cardinality) assignment on ``1 - IoU`` and then discard matched
       pairs with IoU < ``iou_threshold``.

    With ``class_aware`` pairs of different classes are forbidden in both steps (they have cost inf), so
    a detection can never take over a track of another class.

    Args:
        iou_threshold: smallest IoU of a kept pair, in [0, 1].
        class_aware: forbid matching a track to a detection of another class.
        method: assignment solver, ``"lap"`` or ``"scipy"`` (see `solve`).

    Example:
        >>> a = IoUAssociator()
        >>> m = a.associate(np.array([[0, 0, 10, 10]]), np.array([0]), Detections([[1, 0, 11, 10]]))
        >>> m.rows.tolist(), m.cols.tolist()
        ([0], [0])
    """

    iou_threshold: float = 0.3
    class_aware: bool = True
    method: str = "lap"

    def __post_init__(self) -> None:
        if not 0.0 <= self.iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must lie in [0, 1], got {self.iou_threshold}")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from {', '.join(METHODS)}")

    def associate(self, track_xyxy: np.ndarray, track_class_ids: np.ndarray, detections: Detections) -> Matches:
        """Match (T, 4) xyxy predicted boxes with classes (T,) to the frame's D detections.

        Returns:
            `Matches` with rows indexing tracks and cols indexing ``detections``.
        """
        overlap = iou(track_xyxy, detections.xyxy)  # (T, D)
        allowed = same_class(track_class_ids, detections.class_ids) if self.class_aware else None
        rows, cols = sort_assignment(overlap, self.iou_threshold, allowed, method=self.method)
        return matches_from_pairs(rows, cols, *overlap.shape)

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        return self.associate(tracks.xyxy, tracks.class_ids, detections)
