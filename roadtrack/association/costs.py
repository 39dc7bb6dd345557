"""Pure cost functions: (T, ·) tracks x (D, ·) detections -> (T, D) matrices, plus gates that forbid pairs.

A forbidden pair has cost ``inf``; `roadtrack.association.solve` never matches it.
"""

from __future__ import annotations

import numpy as np


def _boxes(xyxy: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(xyxy, np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name}: expected shape (N, 4), got {arr.shape}")
    return arr


def iou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` with every box in ``b``.

    Args:
        a_xyxy: (T, 4) boxes x1, y1, x2, y2, pixels.
        b_xyxy: (D, 4) boxes, same format.

    Returns:
        (T, D) float64 in [0, 1]. Pairs whose union is empty (two zero-area boxes) get 0, never NaN.

    Example:
        >>> iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [20, 20, 20, 20]])).round(4).tolist()
        [[0.3333, 0.0]]
    """
    a = _boxes(a_xyxy, "a_xyxy")[:, None, :]  # (T, 1, 4)
    b = _boxes(b_xyxy, "b_xyxy")[None, :, :]  # (1, D, 4)
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0.0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0.0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def class_gate(cost: np.ndarray, track_classes: np.ndarray, det_classes: np.ndarray) -> np.ndarray:
    """Forbid pairs of different classes.

    Args:
        cost: (T, D) costs.
        track_classes: (T,) int class ids of the tracks.
        det_classes: (D,) int class ids of the detections.

    Returns:
        A new (T, D) float64 array: ``cost`` where the classes agree, ``inf`` elsewhere.
    """
    cost = np.asarray(cost, np.float64)
    same = np.asarray(track_classes).reshape(-1, 1) == np.asarray(det_classes).reshape(1, -1)
    if same.shape != cost.shape:
        raise ValueError(f"class_gate: cost has shape {cost.shape}, classes give {same.shape}")
    return np.where(same, cost, np.inf)
