"""ROAD / ROAD-Waymo / ROAD++ metrics: frame-mAP and video-mAP as the official evaluation computes them.

`evaluate_road_files` (files) and `evaluate_road` (in memory) return a `RoadEvaluation`; ``official=False``
fixes the reference's quirks (see `roadtrack.metrics.road.evaluate`).
"""

from roadtrack.metrics.road.ap import (
    ClassAP, MatchStats, concat_stats, evaluate_classes, greedy_true_positives, mean_ap, trapezoid_ap,
)
from roadtrack.metrics.road.evaluate import (
    FRAME_THRESHOLD, LabelTypeAP, RoadEvaluation, evaluate_road, evaluate_road_files,
)
from roadtrack.metrics.road.frame_map import FRAME_TYPES, FrameDetections, frame_match_stats, frames_from_tubes
from roadtrack.metrics.road.overlaps import TubeSet, box_iou_pairs, tube_overlaps
from roadtrack.metrics.road.predictions import RoadPredictions, read_predictions
from roadtrack.metrics.road.video_map import VIDEO_THRESHOLDS, tube_match_stats

__all__ = [
    "FRAME_THRESHOLD", "FRAME_TYPES", "VIDEO_THRESHOLDS", "ClassAP", "FrameDetections", "LabelTypeAP",
    "MatchStats", "RoadEvaluation", "RoadPredictions", "TubeSet", "box_iou_pairs", "concat_stats",
    "evaluate_classes", "evaluate_road", "evaluate_road_files", "frame_match_stats", "frames_from_tubes",
    "greedy_true_positives", "mean_ap", "read_predictions", "trapezoid_ap", "tube_match_stats", "tube_overlaps",
]
