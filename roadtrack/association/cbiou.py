"""C-BIoU (Yang et al., WACV 2023): cascaded matching on buffered IoU, a small buffer first, then a large one
for the tracks and detections still unmatched."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.byte import ByteAssociator
from roadtrack.association.costs import _boxes, buffered_iou, same_class
from roadtrack.association.solver import METHODS, assign, matches_from_pairs
from roadtrack.core import Associator, Detections, Matches, TrackView, register


def cascade_match(
    track_xyxy: np.ndarray, det_xyxy: np.ndarray, buffers: tuple[float, ...] = (0.3, 0.5),
    min_similarity: tuple[float, ...] = (0.2, 0.5), allowed: np.ndarray | None = None, method: str = "lap",
) -> tuple[np.ndarray, np.ndarray]:
    """Match tracks to detections level by level: level k solves ``1 - BIoU(b_k)`` on the rows and columns no
    earlier level matched, keeping pairs with ``BIoU >= min_similarity[k]``.

    Args:
        track_xyxy: (T, 4) estimated track boxes, pixels; det_xyxy: (D, 4).
        buffers: buffer scale per level (each box widened by ``b * w`` and ``b * h`` on each side), usually
            increasing (the paper's b1 < b2).
        min_similarity: smallest BIoU of a match per level, > 0.
        allowed: (T, D) bool pairs that may match at all (class gate), or None.
        method: assignment solver, ``"lap"`` or ``"scipy"``.

    Returns:
        Matched (K,) track rows and (K,) detection columns, level 1's pairs first.

    Example:
        >>> t = np.array([[0.0, 0, 10, 10]])
        >>> d = np.array([[12.0, 0, 22, 10]])  # 2 px apart: BIoU 64/448 at b = 0.3, 160/640 at b = 0.5
        >>> [a.tolist() for a in cascade_match(t, d, (0.3, 0.5), (0.2, 0.2))]
        [[0], [0]]
    """
    if len(buffers) != len(min_similarity) or not buffers:
        raise ValueError(f"buffers and min_similarity must be non-empty and equally long, got {buffers}, "
                         f"{min_similarity}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    if any(m <= 0 for m in min_similarity):
        raise ValueError(f"min_similarity must be > 0 (BIoU 0 means no overlap at all), got {min_similarity}")
    t = _boxes(track_xyxy, "track_xyxy")
    d = _boxes(det_xyxy, "det_xyxy")
    if allowed is not None and np.shape(allowed) != (t.shape[0], d.shape[0]):
        raise ValueError(f"allowed: expected shape {(t.shape[0], d.shape[0])}, got {np.shape(allowed)}")
    free_rows, free_cols = np.arange(t.shape[0]), np.arange(d.shape[0])
    found_r, found_c = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for b, m in zip(buffers, min_similarity):
        if free_rows.size == 0 or free_cols.size == 0:
            break
        cost = 1.0 - buffered_iou(t[free_rows], d[free_cols], b)
        if allowed is not None:
            cost = np.where(np.asarray(allowed)[np.ix_(free_rows, free_cols)], cost, np.inf)
        r, c = assign(cost, 1.0 - m, method)
        found_r.append(free_rows[r])
        found_c.append(free_cols[c])
        free_rows, free_cols = np.delete(free_rows, r), np.delete(free_cols, c)
    return np.concatenate(found_r), np.concatenate(found_c)


@register("associator", "cbiou")
@dataclasses.dataclass(frozen=True)
class CBIoUAssociator(Associator):
    """C-BIoU's association: every live track (tracked or lost) against the detections scoring above
    ``det_thresh``, by `cascade_match` on the tracks' estimated boxes.

    Args:
        det_thresh: detections at or below it take no part.
        buffers, min_similarity: see `cascade_match`.
        class_aware: forbid matching a track to a detection of another class.
        method: assignment solver, ``"lap"`` or ``"scipy"``.
    """

    det_thresh: float = 0.6
    buffers: tuple[float, ...] = (0.3, 0.5)
    min_similarity: tuple[float, ...] = (0.2, 0.5)
    class_aware: bool = True
    method: str = "lap"

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        cols = np.flatnonzero(detections.scores > self.det_thresh)
        allowed = same_class(tracks.class_ids, detections.class_ids[cols]) if self.class_aware else None
        r, c = cascade_match(tracks.xyxy, detections.xyxy[cols], self.buffers, self.min_similarity, allowed,
                             self.method)
        return matches_from_pairs(r, cols[c], len(tracks), len(detections))


@register("associator", "byte-biou")
@dataclasses.dataclass(frozen=True)
class BufferedByteAssociator(ByteAssociator):
    """roboflow/trackers' reading of C-BIoU: BYTE's three steps (`ByteAssociator`) on buffered IoU instead of IoU,
    the small buffer in the steps on high-score detections (1 and 3, score-fused) and the large one in the
    low-score step 2. The paper applies the large buffer to what the small one left instead (`CBIoUAssociator`).

    Args:
        small_buffer, large_buffer: buffer scales (b1 for steps 1 and 3, b2 for step 2).
        See `ByteAssociator` for the rest; ``recovery`` must be None (the buffers already widen the search).
    """

    small_buffer: float = 0.3
    large_buffer: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.recovery is not None:
            raise ValueError("BufferedByteAssociator takes no recovery step")

    def _cost(self, tracks: TrackView, detections: Detections, rows: np.ndarray, cols: np.ndarray, fused: bool,
              overlap: np.ndarray) -> np.ndarray:
        if rows.size == 0 or cols.size == 0:
            return np.zeros((rows.size, cols.size))
        # The fused steps (1 and 3) are the high-score ones: small buffer; step 2 (low scores): large buffer.
        buffered = np.zeros(overlap.shape)
        buffered[np.ix_(rows, cols)] = buffered_iou(tracks.xyxy[rows], detections.xyxy[cols],
                                                    self.small_buffer if fused else self.large_buffer)
        return super()._cost(tracks, detections, rows, cols, fused, buffered)
