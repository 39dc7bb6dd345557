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
    a = _boxes(a_xyxy, "a_xyxy")
    b = _boxes(b_xyxy, "b_xyxy")
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0], b.shape[0]))
    if a.shape[0] * b.shape[0] <= _CHUNK_CELLS:
        return _iou_block(a, b)
    check_dense_size(a.shape[0], b.shape[0], "IoU")
    # Large problems in row blocks: the temporaries stay in cache instead of streaming through memory.
    out = np.empty((a.shape[0], b.shape[0]))
    step = max(1, _CHUNK_CELLS // b.shape[0])
    for start in range(0, a.shape[0], step):
        out[start:start + step] = _iou_block(a[start:start + step], b)
    return out


_CHUNK_CELLS = 1 << 16
# The largest dense (T, D) matrix a frame may ask for: 5e7 float64 cells = 400 MB. A frame of 10 000 boxes against
# 5 000 tracks fits; 100 000 detections against as many tracks would need 74.5 GiB and fail deep inside numpy.
MAX_DENSE_CELLS = 50_000_000


def check_dense_size(rows: int, cols: int, what: str) -> None:
    """Raise a ValueError naming the sizes when a (rows, cols) float64 matrix would exceed `MAX_DENSE_CELLS`."""
    if rows * cols > MAX_DENSE_CELLS:
        gib = rows * cols * 8 / 2**30
        raise ValueError(f"{what} of {rows} x {cols} boxes would need a {gib:.1f} GiB matrix; the bound is "
                         f"{MAX_DENSE_CELLS:,} pairs ({MAX_DENSE_CELLS * 8 // 10**6} MB): filter the detections "
                         "(score, class, region) or split the frame into tiles")


def buffered_iou(a_xyxy: np.ndarray, b_xyxy: np.ndarray, buffer: float) -> np.ndarray:
    """IoU after widening every box by ``buffer`` times its width and height on each side (C-BIoU's buffered IoU).

    Boxes that are near but no longer overlap get a positive similarity, which grows as they come closer.

    Args:
        a_xyxy: (T, 4) boxes; b_xyxy: (D, 4) boxes.
        buffer: widening as a fraction of each box's own size, >= 0 (0 is plain `iou`).

    Returns:
        (T, D) float64 in [0, 1].

    Example:
        >>> buffered_iou(np.array([[0, 0, 10, 10]]), np.array([[12, 0, 22, 10]]), 0.5).round(4).tolist()
        [[0.25]]
    """
    if buffer < 0:
        raise ValueError(f"buffer must be >= 0, got {buffer}")
    return iou(_widen(_boxes(a_xyxy, "a_xyxy"), buffer), _widen(_boxes(b_xyxy, "b_xyxy"), buffer))


def _widen(xyxy: np.ndarray, buffer: float) -> np.ndarray:
    margin = buffer * (xyxy[:, 2:] - xyxy[:, :2])
    return np.concatenate([xyxy[:, :2] - margin, xyxy[:, 2:] + margin], axis=1)


def _iou_block(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return iou_of_corners(*(a[:, k:k + 1] for k in range(4)), *b.T)  # (T, 1) columns x (D,) rows


def iou_of_corners(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2) -> np.ndarray:
    """IoU of boxes given as corner arrays that broadcast to the result's shape (the arithmetic of `iou`, which
    `roadtrack.association.blocks.iou_blocks` shares so that every pair gets the same value in both)."""
    iw = np.minimum(ax2, bx2)
    iw -= np.maximum(ax1, bx1)
    ih = np.minimum(ay2, by2)
    ih -= np.maximum(ay1, by1)
    np.maximum(iw, 0.0, out=iw)
    np.maximum(ih, 0.0, out=ih)
    inter = np.multiply(iw, ih, out=iw)
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1)
    union -= inter
    return np.divide(inter, union, out=ih) if (union > 0).all() else _safe_divide(inter, union)


def _safe_divide(inter: np.ndarray, union: np.ndarray) -> np.ndarray:
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _pairs(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> tuple[np.ndarray, ...]:
    """Broadcast (T, 4) and (D, 4) boxes to (T, D) corner arrays: ax1, ay1, ax2, ay2, bx1, by1, bx2, by2."""
    a = _boxes(a_xyxy, "a_xyxy")[:, None, :]
    b = _boxes(b_xyxy, "b_xyxy")[None, :, :]
    return (*np.moveaxis(a, -1, 0), *np.moveaxis(b, -1, 0))


def _enclosing(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2) -> tuple[np.ndarray, np.ndarray]:
    """Width and height of the smallest box enclosing each pair."""
    return np.maximum(ax2, bx2) - np.minimum(ax1, bx1), np.maximum(ay2, by2) - np.minimum(ay1, by1)


def giou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """Generalised IoU (Rezatofighi et al., 2019): ``IoU - (C - U) / C`` with C the enclosing box's area.

    Args:
        a_xyxy: (T, 4) boxes, pixels; b_xyxy: (D, 4).

    Returns:
        (T, D) float64 in [-1, 1]; 0 where the enclosing box is empty.

    Example:
        >>> float(giou(np.array([[0, 0, 10, 10]]), np.array([[20, 0, 30, 10]]))[0, 0])  # U 200, C 300
        -0.3333333333333333
    """
    corners = _pairs(a_xyxy, b_xyxy)
    overlap = iou(a_xyxy, b_xyxy)
    ax1, ay1, ax2, ay2, bx1, by1, bx2, by2 = corners
    inter = np.clip(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0, None) * np.clip(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0, None)
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    cw, ch = _enclosing(*corners)
    hull = cw * ch
    penalty = np.divide(hull - union, hull, out=np.zeros_like(hull), where=hull > 0)
    return overlap - penalty


def _centre_penalty(corners) -> np.ndarray:
    """DIoU's ``rho^2 / c^2``: squared centre distance over the squared diagonal of the enclosing box."""
    ax1, ay1, ax2, ay2, bx1, by1, bx2, by2 = corners
    rho2 = ((ax1 + ax2 - bx1 - bx2) ** 2 + (ay1 + ay2 - by1 - by2) ** 2) / 4.0
    cw, ch = _enclosing(*corners)
    c2 = cw**2 + ch**2
    return np.divide(rho2, c2, out=np.zeros_like(c2), where=c2 > 0)


def diou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """Distance IoU (Zheng et al., 2020): ``IoU - rho^2 / c^2``; (T, 4) x (D, 4) -> (T, D) in [-1, 1].

    Example:
        >>> float(diou(np.array([[0, 0, 10, 10]]), np.array([[20, 0, 30, 10]]))[0, 0])  # rho 20, c^2 900 + 100
        -0.4
    """
    return iou(a_xyxy, b_xyxy) - _centre_penalty(_pairs(a_xyxy, b_xyxy))


def ciou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """Complete IoU (Zheng et al., 2020): DIoU minus ``alpha * v``, the aspect-ratio consistency term.

    ``v = 4 / pi^2 * (atan(wb / hb) - atan(wa / ha))^2`` and ``alpha = v / (1 - IoU + v)``; boxes with zero
    height count as aspect angle pi / 2. (T, 4) x (D, 4) -> (T, D) in [-1.5, 1].
    """
    corners = _pairs(a_xyxy, b_xyxy)
    ax1, ay1, ax2, ay2, bx1, by1, bx2, by2 = corners
    overlap = iou(a_xyxy, b_xyxy)
    v = 4.0 / np.pi**2 * (np.arctan2(bx2 - bx1, by2 - by1) - np.arctan2(ax2 - ax1, ay2 - ay1)) ** 2
    denom = 1.0 - overlap + v
    alpha = np.divide(v, denom, out=np.zeros_like(v), where=denom > 0)
    return overlap - _centre_penalty(corners) - alpha * v


BOX_SIMILARITIES = {"iou": iou, "giou": giou, "diou": diou, "ciou": ciou}


def same_class(track_classes: np.ndarray, det_classes: np.ndarray) -> np.ndarray | None:
    """(T, D) bool, True where track and detection classes agree; None when every pair agrees (one class).

    The None lets associators skip building and applying a mask in the common single-class case.
    """
    track_classes, det_classes = np.asarray(track_classes), np.asarray(det_classes)
    if track_classes.size == 0 or det_classes.size == 0:
        return None
    first = det_classes.flat[0]
    if (track_classes == first).all() and (det_classes == first).all():
        return None
    return track_classes.reshape(-1, 1) == det_classes.reshape(1, -1)


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
