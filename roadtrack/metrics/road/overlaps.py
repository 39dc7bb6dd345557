"""Overlaps used by the ROAD metrics: box IoU for frame-mAP, tube IoU (stIoU, tIoU, sIoU) for video-mAP.

Tube IoU, official rule (``get_tube_3Diou`` of the ROAD++ baseline, ``shared/specs/road.md`` §3.4):

* tIoU from the first and last frames only: ``(min(ends) - max(starts) + 1) / (max(ends) - min(starts) + 1)``,
  0 when the tubes do not overlap in time;
* if the overlap's first or last frame is not a frame of the ground-truth tube (a gap), the overlap is 0
  (except in the ``tiou`` mode, which returns before this check);
* sIoU = mean box IoU of the aligned slices: the k ground-truth frames inside the overlap are paired *by
  index* with the first k detection frames from the overlap's start (misaligned after a gap), with the
  +1-pixel convention ``area = (x2 - x1 + 1) * (y2 - y1 + 1)``;
* stIoU = tIoU * sIoU.

``official=False`` compares frame by frame: sIoU is the mean continuous IoU (no +1) over the frames of the
overlap where both tubes have a box, and a gap at the overlap's ends is no reason for 0. tIoU is the same.

A ground-truth tube given by frames only (no boxes) has spatial overlap 0.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

METRICS = ("stiou", "tiou", "siou")


def box_iou_pairs(a: np.ndarray, b: np.ndarray, plus_one: bool = False) -> np.ndarray:
    """Row-wise IoU of two box arrays.

    Args:
        a, b: (P, 4) xyxy pixels.
        plus_one: the +1-pixel convention (inclusive pixel coordinates) of the official tube IoU; without it
            the plain continuous formula of the official frame-mAP.

    Returns:
        (P,) float64; 0 where the union is empty.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    one = 1.0 if plus_one else 0.0
    iw = np.minimum(a[:, 2] + one, b[:, 2] + one) - np.maximum(a[:, 0], b[:, 0])
    ih = np.minimum(a[:, 3] + one, b[:, 3] + one) - np.maximum(a[:, 1], b[:, 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    union = ((a[:, 2] - a[:, 0] + one) * (a[:, 3] - a[:, 1] + one)
             + (b[:, 2] - b[:, 0] + one) * (b[:, 3] - b[:, 1] + one) - inter)
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def group_pairs(det_keys: np.ndarray, gt_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (detection, ground truth) pair with equal keys (same frame and class, or same class).

    Args:
        det_keys: (D,) int64 keys.
        gt_keys: (G,) int64 keys.

    Returns:
        pair_det, pair_gt: (P,) int64; for each detection its ground truths in increasing index order.
    """
    order = np.argsort(gt_keys, kind="stable")
    sorted_keys = gt_keys[order]
    lo = np.searchsorted(sorted_keys, det_keys, "left")
    counts = np.searchsorted(sorted_keys, det_keys, "right") - lo
    pair_det = np.repeat(np.arange(det_keys.size), counts)
    within = np.arange(pair_det.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return pair_det, order[np.repeat(lo, counts) + within]


@dataclasses.dataclass(frozen=True, eq=False)
class TubeSet:
    """Tubes stored flat for vectorised overlaps.

    Attributes:
        labels: (K,) int64 class of each tube.
        offsets: (K + 1,) int64; tube k owns rows offsets[k]:offsets[k+1] of ``frames`` and ``boxes``.
        frames: (N,) int64 frame numbers, increasing within each tube.
        boxes: (N, 4) float64 xyxy pixels (NaN rows: no box).
    """

    labels: np.ndarray
    offsets: np.ndarray
    frames: np.ndarray
    boxes: np.ndarray

    @classmethod
    def build(cls, labels: Sequence[int], frames: Sequence[np.ndarray], boxes: Sequence[np.ndarray]) -> "TubeSet":
        lengths = np.array([len(f) for f in frames], np.int64)
        if np.any(lengths == 0):
            raise ValueError("tubes must have at least one frame")
        return cls(np.asarray(labels, np.int64).reshape(-1), np.concatenate([[0], np.cumsum(lengths)]),
                   np.concatenate(list(frames)).astype(np.int64) if len(frames) else np.zeros(0, np.int64),
                   np.concatenate(list(boxes)).astype(np.float64) if len(boxes) else np.zeros((0, 4)))

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def first(self) -> np.ndarray:
        return self.frames[self.offsets[:-1]]

    @property
    def last(self) -> np.ndarray:
        return self.frames[self.offsets[1:] - 1]

    def keys(self, span: int) -> np.ndarray:
        """(N,) tube index * span + frame: increasing over the whole set when span > every frame."""
        return np.repeat(np.arange(len(self)), np.diff(self.offsets)) * span + self.frames

    def is_contiguous(self) -> np.ndarray:
        """(K,) bool, True where the tube's frames increase by exactly 1."""
        return (self.last - self.first + 1) == np.diff(self.offsets)


def temporal_iou(det: TubeSet, gt: TubeSet, pair_det: np.ndarray, pair_gt: np.ndarray) -> np.ndarray:
    """(P,) tIoU from the tubes' first and last frames; 0 without temporal overlap."""
    ds, de, gs, ge = det.first[pair_det], det.last[pair_det], gt.first[pair_gt], gt.last[pair_gt]
    inter = np.minimum(de, ge) - np.maximum(ds, gs) + 1
    union = np.maximum(de, ge) - np.minimum(ds, gs) + 1
    return np.where(inter > 0, inter / union, 0.0)


def _spatial_iou(det: TubeSet, gt: TubeSet, pair_det: np.ndarray, pair_gt: np.ndarray,
                 official: bool) -> np.ndarray:
    """(P,) sIoU of pairs that overlap in time (see the module docstring for both rules)."""
    n = pair_det.size
    span = int(max(det.frames.max(initial=0), gt.frames.max(initial=0))) + 2
    tmin = np.maximum(det.first[pair_det], gt.first[pair_gt])
    tmax = np.minimum(det.last[pair_det], gt.last[pair_gt])
    gt_keys = gt.keys(span)
    lo = np.searchsorted(gt_keys, pair_gt * span + tmin, "left")
    hi = np.searchsorted(gt_keys, pair_gt * span + tmax, "right")
    k = hi - lo
    valid = k > 0
    if official:
        pad = np.r_[gt_keys, -1]
        valid &= (pad[lo] == pair_gt * span + tmin) & (pad[np.maximum(hi - 1, 0)] == pair_gt * span + tmax)
    k = np.where(valid, k, 0)
    rep = np.repeat(np.arange(n), k)
    within = np.arange(rep.size) - np.repeat(np.cumsum(k) - k, k)
    gi = np.repeat(lo, k) + within
    if official:  # detection frames from the overlap's start, by index (detection tubes are contiguous)
        di = np.repeat(det.offsets[pair_det] + (tmin - det.first[pair_det]), k) + within
        present = np.ones(rep.size, bool)
    else:  # the detection's box on the same frame, if it has one
        det_keys = det.keys(span)
        want = pair_det[rep] * span + gt.frames[gi]
        di = np.minimum(np.searchsorted(det_keys, want), max(det_keys.size - 1, 0))
        present = det_keys[di] == want if det_keys.size else np.zeros(rep.size, bool)
    ious = np.zeros(rep.size)
    ious[present] = box_iou_pairs(det.boxes[di[present]], gt.boxes[gi[present]], plus_one=official)
    ious = np.nan_to_num(ious, nan=0.0)  # ground-truth tubes without boxes
    total = np.bincount(rep, weights=ious, minlength=n)
    count = np.bincount(rep[present], minlength=n)
    return np.divide(total, count, out=np.zeros(n), where=count > 0)


def tube_overlaps(det: TubeSet, gt: TubeSet, pair_det: np.ndarray, pair_gt: np.ndarray, metric: str = "stiou",
                  official: bool = True, min_overlap: float = 0.0) -> np.ndarray:
    """Overlap of each (detection tube, ground-truth tube) pair.

    Args:
        det, gt: detection and ground-truth tubes (detections must be contiguous when ``official``).
        pair_det, pair_gt: (P,) int64 tube indices.
        metric: ``"stiou"`` (tIoU * sIoU), ``"tiou"`` or ``"siou"``.
        official: the reference's index alignment and +1-pixel boxes, or frame-by-frame comparison.
        min_overlap: pairs whose overlap is certainly below this may be reported as 0 without computing
            sIoU (stIoU <= tIoU).

    Returns:
        (P,) float64 in [0, 1].

    Example:
        Detection frames 1-4, ground truth 3-6, identical boxes: tIoU = (4 - 3 + 1) / (6 - 1 + 1) = 1/3,
        sIoU = 1, stIoU = 1/3.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown tube overlap {metric!r}; expected one of {list(METRICS)}")
    if official and not np.all(det.is_contiguous()):
        bad = int(np.flatnonzero(~det.is_contiguous())[0])
        raise ValueError(f"detection tube {bad} has gaps in its frames; the official tube IoU needs contiguous "
                         f"frames (use official=False)")
    tiou = temporal_iou(det, gt, pair_det, pair_gt)
    if metric == "tiou":
        return tiou
    out = np.zeros(pair_det.size)
    todo = tiou > 0
    if metric == "stiou":
        todo &= tiou >= min_overlap
    siou = _spatial_iou(det, gt, pair_det[todo], pair_gt[todo], official)
    out[todo] = siou * tiou[todo] if metric == "stiou" else siou
    return out
