"""Video-mAP (``shared/specs/road.md`` §3.4): detection tubes against ground-truth tubes, per video.

Official rules: thresholds 0.2 and 0.5 on stIoU (or tIoU / sIoU); ground truth = the ``<type>_tubes`` of
the evaluated videos whose label is used, boxes scaled to the evaluation space; detection tubes of other
videos are ignored; matching within a video (see `roadtrack.metrics.road.ap`), ranking by tube score.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from roadtrack.datasets.road import RoadVideo
from roadtrack.metrics.road.ap import MatchStats
from roadtrack.metrics.road.overlaps import TubeSet, group_pairs, tube_overlaps

VIDEO_THRESHOLDS = (0.2, 0.5)


def ground_truth_tubes(video: RoadVideo, label_type: str, size: tuple[float, float]) -> TubeSet:
    """The video's ground-truth tubes of ``label_type`` with boxes in pixels of ``size`` = (width, height)."""
    tubes = video.tubes[label_type]
    scale = np.array([size[0], size[1], size[0], size[1]], np.float64)
    return TubeSet.build([t.label_id for t in tubes], [t.frames for t in tubes], [t.boxes * scale for t in tubes])


def detection_tubes(tubes: Sequence) -> TubeSet:
    """Detection tubes (objects with ``label_id``, ``frames``, ``boxes``) as a `TubeSet`."""
    return TubeSet.build([int(t.label_id) for t in tubes], [np.asarray(t.frames) for t in tubes],
                         [np.asarray(t.boxes, np.float64).reshape(-1, 4) for t in tubes])


def tube_match_stats(video: RoadVideo, label_type: str, num_classes: int, tubes: Sequence, size: tuple[float, float],
                     metric: str = "stiou", official: bool = True, min_overlap: float = min(VIDEO_THRESHOLDS),
                     first_position: int = 0) -> MatchStats:
    """One video's video-mAP statistics for one label type.

    Args:
        video: ground truth.
        label_type: one of ``agent``, ``action``, ``loc``, ``duplex``, ``triplet``.
        num_classes: classes of the label type.
        tubes: the video's detection tubes of that type (``label_id``, ``frames``, ``boxes``, ``score``),
            boxes in pixels of ``size``.
        size: (width, height) of the evaluation space.
        metric: ``"stiou"``, ``"tiou"`` or ``"siou"``.
        official: the reference's tube IoU, or frame-by-frame comparison (see `overlaps`).
        min_overlap: pairs below this overlap are dropped (the lowest threshold to be evaluated).
        first_position: input-order key of the first tube (tubes are ranked in video, then list, order).
    """
    gt = ground_truth_tubes(video, label_type, size)
    z = np.zeros(0, np.int64)
    if not tubes:
        return MatchStats(num_classes, z, np.zeros(0), z, gt.labels, z, z, np.zeros(0))
    det = detection_tubes(tubes)
    gaps = np.flatnonzero(~det.is_contiguous())
    if official and gaps.size:
        raise ValueError(f"{label_type}/{video.name}/tube {int(gaps[0])}: frames have gaps; the official tube IoU "
                         f"needs contiguous frames (fill them, or use official=False)")
    scores = np.asarray([t.score for t in tubes])
    positions = np.arange(first_position, first_position + len(tubes))
    pair_det, pair_gt = group_pairs(det.labels, gt.labels)
    overlap = tube_overlaps(det, gt, pair_det, pair_gt, metric, official, min_overlap)
    keep = overlap >= min_overlap
    return MatchStats(num_classes, det.labels, scores, positions, gt.labels, pair_det[keep], pair_gt[keep],
                      overlap[keep])
