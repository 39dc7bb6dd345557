"""Tracker presets: builders that compose `MultiObjectTracker` from parts. Their signatures hold the defaults."""

from __future__ import annotations

from roadtrack.association import IoUAssociator
from roadtrack.core import register
from roadtrack.kalman import SortKalman
from roadtrack.trackers.tracker import Lifecycle, MultiObjectTracker


@register("tracker", "sort")
def sort(max_age: int = 1, min_hits: int = 3, iou_threshold: float = 0.3, class_aware: bool = True) -> MultiObjectTracker:
    """SORT (Bewley et al., 2016): SORT's Kalman model, IoU association, report only freshly updated tracks.

    Args:
        max_age: frames a track may go unmatched before it is deleted.
        min_hits: consecutive updates before a track is reported (all tracks are reported in the first
            ``min_hits`` frames).
        iou_threshold: smallest IoU between a predicted box and its detection.
        class_aware: never match a track to a detection of another class.

    Example:
        >>> import roadtrack
        >>> tracker = roadtrack.build("tracker", "sort", max_age=3)
        >>> tracker.lifecycle.max_age
        3
    """
    return MultiObjectTracker(
        motion=SortKalman(),
        associator=IoUAssociator(iou_threshold=iou_threshold, class_aware=class_aware, method="lap"),
        lifecycle=Lifecycle(max_age=max_age, min_hits=min_hits, max_report_gap=0, report_warmup=True),
    )
