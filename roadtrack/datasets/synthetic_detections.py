"""Synthetic detections with per-box label scores, made from ROAD ground truth: a stand-in for a ROAD++ detector.

Per annotated ground-truth box: kept with probability ``1 - miss``; box corners jittered by
``box_noise`` x the box size; agentness drawn in [0.5, 0.95]; every label score is
``clip(target + noise * N(0, 1), 0, 1)`` with target ``0.8`` for the box's true classes and ``0.05`` for the
others, drawn independently per frame. ``false_positives`` boxes per frame (on average) are added at random
places with agentness in [0.05, 0.45] and label scores of pure noise. Rows are in the layout of the ROAD++
baseline's dump (`roadtrack.io.road_detections`): ``[x1, y1, x2, y2, agentness, agent..., action..., loc...]``
in pixels of ``box_size``.

Example:
    >>> ann = load_road("road_waymo_synthetic_v1.0.json")                          # doctest: +SKIP
    >>> rows = noisy_detections(ann.videos["val_00000"], ann.labels, np.random.default_rng(0))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.core.labels import EVAL_SIZES, LabelSet
from roadtrack.datasets.road import RoadVideo

PARTS = ("agent", "action", "loc")


@dataclasses.dataclass(frozen=True)
class DetectionNoise:
    """How far the synthetic detector is from the ground truth (see the module docstring).

    Attributes:
        noise: standard deviation of the per-frame label-score noise.
        miss: probability that a ground-truth box is not detected on a frame.
        box_noise: standard deviation of the corner jitter, as a fraction of the box's width / height.
        false_positives: mean number of spurious boxes per frame.
    """

    noise: float = 0.15
    miss: float = 0.1
    box_noise: float = 0.03
    false_positives: float = 0.5

    def __post_init__(self) -> None:
        if self.noise < 0 or not 0 <= self.miss < 1 or self.box_noise < 0 or self.false_positives < 0:
            raise ValueError(f"bad detection noise {self}: need noise, box_noise, false_positives >= 0, 0 <= miss < 1")


def noisy_detections(video: RoadVideo, labels: LabelSet, rng: np.random.Generator,
                     noise: DetectionNoise = DetectionNoise(),
                     box_size: tuple[int, int] | None = None) -> dict[int, np.ndarray]:
    """Detections of every frame of ``video`` from its ground truth.

    Args:
        video: loaded annotations of one video (`roadtrack.datasets.load_road`).
        labels: the used lists (the annotation file's ``labels``).
        rng: the random generator (equal seeds give equal detections).
        noise: see `DetectionNoise`.
        box_size: (width, height) of the pixel space of the rows; default the label set's evaluation size.

    Returns:
        1-based frame -> (N, 5 + A + B + L) float64 rows; every frame 1..numf is present (possibly (0, ...)).
    """
    w, h = box_size if box_size is not None else EVAL_SIZES[labels.name]
    counts = [len(labels[t]) for t in PARTS]
    truth = np.concatenate([video.box_labels[t].matrix(len(video.boxes), n) for t, n in zip(PARTS, counts)], 1)
    boxes = video.boxes * np.array([w, h, w, h], np.float64)
    out = {}
    for frame in range(1, video.numf + 1):
        rows = video.frame_boxes(frame)
        rows = rows[rng.random(rows.size) >= noise.miss]
        b = boxes[rows]
        wh = b[:, 2:] - b[:, :2]
        b = b + rng.normal(0.0, noise.box_noise, b.shape) * np.c_[wh, wh]
        target = np.where(truth[rows], 0.8, 0.05)
        scores = np.clip(target + rng.normal(0.0, noise.noise, target.shape), 0.0, 1.0)
        agentness = rng.uniform(0.5, 0.95, len(rows))
        n_fp = rng.poisson(noise.false_positives)
        fp_xy = rng.uniform(0, 1, (n_fp, 2)) * (w, h)
        fp_wh = rng.uniform(0.05, 0.2, (n_fp, 2)) * (w, h)
        fp = np.c_[fp_xy, fp_xy + fp_wh]
        fp_scores = np.clip(0.05 + rng.normal(0.0, max(noise.noise, 0.05), (n_fp, sum(counts))) + 0.1, 0, 1)
        all_boxes = _valid(np.r_[b, fp], w, h)
        out[frame] = np.c_[all_boxes, np.r_[agentness, rng.uniform(0.05, 0.45, n_fp)], np.r_[scores, fp_scores]]
    return out


def _valid(xyxy: np.ndarray, w: float, h: float) -> np.ndarray:
    """Boxes clipped to the frame with corners in order and at least one pixel wide and high."""
    xyxy = np.clip(xyxy, 0, [w, h, w, h])
    lo = np.minimum(xyxy[:, :2], xyxy[:, 2:])
    hi = np.maximum(np.maximum(xyxy[:, :2], xyxy[:, 2:]), lo + 1.0)
    return np.c_[lo, hi]
