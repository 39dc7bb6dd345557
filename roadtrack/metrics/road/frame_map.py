"""Frame-mAP (``shared/specs/road.md`` §3.3): box detections against each annotated frame's boxes.

Official rules: IoU threshold 0.5 with the plain continuous IoU; ground truth = every box of every frame with
``annotated > 0`` in the evaluated videos, a box counting for each class among its (used) ids, and for
``agent_ness`` every box; detections count only on those frames, all others are ignored; matching within
a frame (see `roadtrack.metrics.road.ap`).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from roadtrack.datasets.road import RoadVideo
from roadtrack.metrics.road.ap import MatchStats
from roadtrack.metrics.road.overlaps import box_iou_pairs, group_pairs

FRAME_TYPES = ("agent_ness", "agent", "action", "loc", "duplex", "triplet")
"""Label types of frame-mAP; ``agent_ness`` is one class-agnostic class ("is an agent")."""


@dataclasses.dataclass(frozen=True, eq=False)
class FrameDetections:
    """Frame-level detections of one label type in one video.

    Attributes:
        frames: (N,) int64 1-based frame numbers.
        class_ids: (N,) int64 class index into the used list (0 for ``agent_ness``).
        boxes: (N, 4) float64 xyxy pixels of the evaluation space.
        scores: (N,) scores (dtype kept as read: it decides how the official ranking breaks ties).
        positions: (N,) int64 input order (defaults to 0..N-1).
    """

    frames: np.ndarray
    class_ids: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    positions: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.asarray(self.frames).shape[0]
        object.__setattr__(self, "frames", np.asarray(self.frames, np.int64).reshape(n))
        object.__setattr__(self, "class_ids", np.asarray(self.class_ids, np.int64).reshape(n))
        object.__setattr__(self, "boxes", np.asarray(self.boxes, np.float64).reshape(n, 4))
        scores = np.asarray(self.scores).reshape(n)
        object.__setattr__(self, "scores", scores if scores.dtype.kind == "f" else scores.astype(np.float64))
        positions = np.arange(n) if self.positions is None else self.positions
        object.__setattr__(self, "positions", np.asarray(positions, np.int64).reshape(n))

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @classmethod
    def concat(cls, parts: Sequence["FrameDetections"]) -> "FrameDetections":
        if not parts:
            return cls(np.zeros(0), np.zeros(0), np.zeros((0, 4)), np.zeros(0, np.float32))
        scores = [p.scores for p in parts if len(p)] or [parts[0].scores]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("frames", "class_ids", "boxes")),
                   np.concatenate(scores), np.concatenate([p.positions for p in parts]))


def frame_ground_truth(video: RoadVideo, label_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth items of a label type on the video's annotated frames.

    Returns:
        rows: (G,) int64 box row of each item (a multi-label box is one item per class), in frame and
            annotation order within each class.
        class_ids: (G,) int64.
    """
    on_annotated = np.isin(video.box_frames, video.annotated_frames)
    if label_type == "agent_ness":
        rows = np.flatnonzero(on_annotated)
        return rows, np.zeros(rows.size, np.int64)
    pairs = video.box_labels[label_type]
    keep = on_annotated[pairs.rows]
    return pairs.rows[keep], pairs.ids[keep]


def frame_match_stats(video: RoadVideo, label_type: str, num_classes: int, dets: FrameDetections | None,
                      size: tuple[float, float], min_iou: float = 0.5) -> MatchStats:
    """One video's frame-mAP statistics for one label type.

    Args:
        video: ground truth.
        label_type: one of `FRAME_TYPES`.
        num_classes: classes of the label type (1 for ``agent_ness``).
        dets: the video's detections of that type (None: none).
        size: (width, height) of the evaluation space; normalised ground truth is scaled to it.
        min_iou: pairs below this IoU are dropped.
    """
    rows, gt_class = frame_ground_truth(video, label_type)
    gt_boxes = video.pixel_boxes(size)[rows]
    gt_frames = video.box_frames[rows]
    if dets is None or len(dets) == 0:
        z = np.zeros(0, np.int64)
        return MatchStats(num_classes, z, np.zeros(0, np.float32), z, gt_class, z, z, np.zeros(0))
    bad = (dets.class_ids < 0) | (dets.class_ids >= num_classes)
    if bad.any():
        raise ValueError(f"video {video.name!r}, {label_type}: class id {int(dets.class_ids[bad][0])} of a frame "
                         f"detection is outside 0..{num_classes - 1}")
    dets = _on_frames(dets, video.annotated_frames)
    span = num_classes + 1
    pair_det, pair_gt = group_pairs(dets.frames * span + dets.class_ids, gt_frames * span + gt_class)
    iou = box_iou_pairs(dets.boxes[pair_det], gt_boxes[pair_gt])
    keep = iou >= min_iou
    return MatchStats(num_classes, dets.class_ids, dets.scores, dets.positions, gt_class,
                      pair_det[keep], pair_gt[keep], iou[keep])


def _on_frames(dets: FrameDetections, frames: np.ndarray) -> FrameDetections:
    keep = np.isin(dets.frames, frames)
    return FrameDetections(dets.frames[keep], dets.class_ids[keep], dets.boxes[keep], dets.scores[keep],
                           dets.positions[keep])


def frames_from_tubes(tubes: Sequence, num_classes: int, first_position: int = 0) -> FrameDetections:
    """Frame detections implied by tubes: each tube's box on each of its frames, scored by its per-frame score.

    Args:
        tubes: objects with ``label_id``, ``frames`` (T,), ``boxes`` (T, 4) and ``scores`` (T,), e.g.
            `roadtrack.io.roadpp.SubmissionTube`.
        num_classes: classes of the label type (label ids must be below it).
        first_position: input-order key of the first detection.
    """
    if not tubes:
        return FrameDetections.concat([])
    lengths = [len(t.frames) for t in tubes]
    labels = np.repeat([int(t.label_id) for t in tubes], lengths)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"tube label_id outside 0..{num_classes - 1}")
    n = int(sum(lengths))
    return FrameDetections(np.concatenate([t.frames for t in tubes]), labels,
                           np.concatenate([t.boxes for t in tubes]), np.concatenate([t.scores for t in tubes]),
                           np.arange(first_position, first_position + n))

