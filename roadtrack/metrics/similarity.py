"""Box similarities between the rows of two tables that share a frame, computed for all frames at once.

The rules for degenerate boxes follow TrackEval's ``_calculate_box_ious``: a pair where either box has
(near-)zero area, or whose union is (near-)zero, has IoU 0; intersection over area (IoA) is 0 for a
zero-area first box. Values are computed with the same floating-point operations as TrackEval, so a
similarity compared with a threshold decides the same way.
"""

from __future__ import annotations

import numpy as np

EPS = np.finfo(float).eps


def same_frame_pairs(frames_a: np.ndarray, frames_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of rows (one from ``a``, one from ``b``) with the same frame number.

    Args:
        frames_a: (N,) int frame numbers of table ``a``.
        frames_b: (M,) int frame numbers of table ``b``.

    Returns:
        ``(rows_a, rows_b)``, each (P,) int64, P = sum over frames of N_f * M_f. Pairs are ordered by frame,
        then by row of ``a``, then by row of ``b`` (rows of one frame keep their order in the table).

    Example:
        >>> [r.tolist() for r in same_frame_pairs(np.array([1, 1, 2]), np.array([2, 1]))]
        [[0, 1, 2], [1, 1, 0]]
    """
    frames_a = np.asarray(frames_a, np.int64)
    frames_b = np.asarray(frames_b, np.int64)
    order_a = np.argsort(frames_a, kind="stable")
    order_b = np.argsort(frames_b, kind="stable")
    keys_a, start_a, count_a = np.unique(frames_a[order_a], return_index=True, return_counts=True)
    keys_b, start_b, count_b = np.unique(frames_b[order_b], return_index=True, return_counts=True)
    common, ia, ib = np.intersect1d(keys_a, keys_b, assume_unique=True, return_indices=True)
    na, nb = count_a[ia], count_b[ib]
    sizes = na * nb
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    group = np.repeat(np.arange(len(common)), sizes)
    local = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    rows_a = order_a[start_a[ia][group] + local // nb[group]]
    rows_b = order_b[start_b[ib][group] + local % nb[group]]
    return rows_a, rows_b


def paired_iou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """IoU of ``a[k]`` with ``b[k]`` for each k.

    Args:
        a_xyxy, b_xyxy: (P, 4) float64 boxes x1, y1, x2, y2, pixels.

    Returns:
        (P,) float64 in [0, 1].
    """
    a, b = np.asarray(a_xyxy, np.float64), np.asarray(b_xyxy, np.float64)
    inter = _intersection(a, b)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a + area_b - inter
    ok = (area_a > EPS) & (area_b > EPS) & (union > EPS)
    return np.where(ok, inter / np.where(ok, union, 1.0), 0.0)


def paired_ioa(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """Intersection of ``a[k]`` and ``b[k]`` over the area of ``a[k]`` (e.g. how much of a box lies in an ignore region).

    Args:
        a_xyxy, b_xyxy: (P, 4) float64 boxes x1, y1, x2, y2, pixels.

    Returns:
        (P,) float64 in [0, 1]; 0 where ``a[k]`` has no area.
    """
    a, b = np.asarray(a_xyxy, np.float64), np.asarray(b_xyxy, np.float64)
    inter = _intersection(a, b)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ok = area_a > EPS
    return np.where(ok, inter / np.where(ok, area_a, 1.0), 0.0)


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    width = np.maximum(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0)
    height = np.maximum(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0)
    return width * height


def frame_iou_pairs(gt_frames: np.ndarray, gt_xyxy: np.ndarray, pred_frames: np.ndarray,
                    pred_xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IoU of every ground-truth box with every predicted box of the same frame, keeping overlapping pairs.

    Args:
        gt_frames: (N,) frame numbers; gt_xyxy: (N, 4) boxes, pixels.
        pred_frames: (M,) frame numbers; pred_xyxy: (M, 4) boxes, pixels.

    Returns:
        ``(gt_rows, pred_rows, iou)``: (P,) int64, (P,) int64, (P,) float64 > 0, ordered as `same_frame_pairs`.
    """
    rows_g, rows_p = same_frame_pairs(gt_frames, pred_frames)
    sim = paired_iou(np.asarray(gt_xyxy, np.float64).reshape(-1, 4)[rows_g],
                     np.asarray(pred_xyxy, np.float64).reshape(-1, 4)[rows_p])
    keep = sim > 0
    return rows_g[keep], rows_p[keep], sim[keep]
