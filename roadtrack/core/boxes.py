"""Box format conversions, all vectorised over (N, 4) float arrays.

Formats:
    xyxy:   x1, y1, x2, y2 (corners, pixels)
    tlwh:   x1, y1, w, h (MOTChallenge)
    xywh:   cx, cy, w, h (centre, as Ultralytics uses)
    cxcyah: cx, cy, w / h, h (DeepSORT's Kalman measurement)
"""

from __future__ import annotations

import numpy as np


def _as_boxes(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64)
    return boxes.reshape(-1, 4) if boxes.size == 0 else boxes


def tlwh_to_xyxy(tlwh: np.ndarray) -> np.ndarray:
    b = _as_boxes(tlwh)
    return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)


def xyxy_to_tlwh(xyxy: np.ndarray) -> np.ndarray:
    b = _as_boxes(xyxy)
    return np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], axis=1)


def xywh_to_xyxy(xywh: np.ndarray) -> np.ndarray:
    b = _as_boxes(xywh)
    half = b[:, 2:] / 2.0
    return np.concatenate([b[:, :2] - half, b[:, :2] + half], axis=1)


def xyxy_to_xywh(xyxy: np.ndarray) -> np.ndarray:
    b = _as_boxes(xyxy)
    return np.concatenate([(b[:, :2] + b[:, 2:]) / 2.0, b[:, 2:] - b[:, :2]], axis=1)


def xyxy_to_cxcyah(xyxy: np.ndarray) -> np.ndarray:
    """Centre, aspect ratio w/h and height. A zero-height box gets aspect 0, not inf."""
    xywh = xyxy_to_xywh(xyxy)
    w, h = xywh[:, 2], xywh[:, 3]
    aspect = np.divide(w, h, out=np.zeros_like(w), where=h > 0)
    return np.stack([xywh[:, 0], xywh[:, 1], aspect, h], axis=1)


def cxcyah_to_xyxy(cxcyah: np.ndarray) -> np.ndarray:
    b = _as_boxes(cxcyah)
    w = b[:, 2] * b[:, 3]
    return xywh_to_xyxy(np.stack([b[:, 0], b[:, 1], w, b[:, 3]], axis=1))


def box_area(xyxy: np.ndarray) -> np.ndarray:
    b = _as_boxes(xyxy)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def clip_xyxy(xyxy: np.ndarray, width: float, height: float) -> np.ndarray:
    b = _as_boxes(xyxy).copy()
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, width)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, height)
    return b
