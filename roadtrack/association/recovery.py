"""`LostTrackRecovery`: find tracks again after a few missed frames, by buffered IoU around their prediction."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.appearance import cosine_distance
from roadtrack.association.costs import buffered_iou, iou, same_class
from roadtrack.association.stages import solve_subset
from roadtrack.core import Detections, TrackView


@dataclasses.dataclass(frozen=True)
class LostTrackRecovery:
    """A last association step for tracks lost for two or more frames.

    A lost track coasts on its constant-velocity prediction, which drifts from the person within a few frames
    at low frame rates or through an occlusion, so plain IoU no longer finds the person and a new id starts.
    This step compares each lost track's predicted box with the detections that are still free, both boxes
    widened by ``buffer`` times their width and height on every side (the buffered IoU of C-BIoU, Yang et al.,
    WACV 2023). Pairs are allowed only if

    - the track is established: at least ``min_hits`` updates;
    - box heights agree within a factor ``max_height_ratio`` (a person does not change size while hidden);
    - the detection does not overlap a track already matched in this frame by more than ``max_overlap`` IoU
      (it is then more likely a duplicate or a neighbour than the lost person);
    - the classes agree (``class_aware``).

    - ``1 - buffered IoU`` is at most ``max_cost``.

    Allowed pairs are solved as one assignment on ``1 - buffered IoU``; when the tracks and detections carry
    appearance features, on ``(1 - w) * (1 - buffered IoU) + w * cosine distance / 2`` with
    ``w = appearance_weight``, so that people who were hidden together are told apart by how they look.

    Args:
        buffer: widening of both boxes, as a fraction of their size on each side.
        max_cost: largest ``1 - buffered IoU`` of a match.
        max_height_ratio: largest ratio of the taller to the shorter box height.
        min_hits: updates a track needs before it may be recovered.
        max_overlap: largest IoU of a recovered detection with any track matched in this frame.
        appearance_weight: share of the appearance term in the cost when features are present, in [0, 1].
        class_aware: forbid matching a track to a detection of another class.
        method: assignment solver, ``"lap"`` or ``"scipy"``.

    Example:
        >>> recovery = LostTrackRecovery()
        >>> tracks = TrackView(np.array([[0.0, 0, 20, 40]]), np.zeros(1, np.int64), np.ones(1, bool),
        ...                    np.array([5]), hits=np.array([10]))
        >>> dets = Detections([[24.0, 2, 44, 42]], scores=[0.9])
        >>> [p.tolist() for p in recovery.match(tracks, dets, np.array([0]), np.array([0]))]
        [[0], [0]]
    """

    buffer: float = 0.5
    max_cost: float = 0.75
    max_height_ratio: float = 1.3
    min_hits: int = 5
    max_overlap: float = 0.3
    appearance_weight: float = 0.5
    class_aware: bool = True
    method: str = "scipy"

    def __post_init__(self) -> None:
        if self.buffer < 0:
            raise ValueError(f"buffer must be >= 0, got {self.buffer}")
        if not 0.0 <= self.max_cost <= 1.0:
            raise ValueError(f"max_cost must lie in [0, 1], got {self.max_cost}")
        if self.max_height_ratio < 1.0:
            raise ValueError(f"max_height_ratio must be >= 1, got {self.max_height_ratio}")
        if not 0.0 <= self.max_overlap <= 1.0:
            raise ValueError(f"max_overlap must lie in [0, 1], got {self.max_overlap}")
        if not 0.0 <= self.appearance_weight <= 1.0:
            raise ValueError(f"appearance_weight must lie in [0, 1], got {self.appearance_weight}")

    def match(self, tracks: TrackView, detections: Detections, free_tracks: np.ndarray, free_dets: np.ndarray,
              matched_tracks: np.ndarray | None = None, overlap: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Recover lost tracks among ``free_tracks`` with detections among ``free_dets``.

        Args:
            tracks: the frame's track view (needs ``hits``).
            detections: the frame's detections.
            free_tracks, free_dets: indices of the tracks and detections no earlier step matched; only confirmed
                tracks not updated for two frames or more are considered.
            matched_tracks: indices of the tracks matched in this frame (for ``max_overlap``); default none.
            overlap: the (T, D) IoU of all predicted track boxes and detections, if the caller has it already.

        Returns:
            Matched (K,) track indices and (K,) detection indices.
        """
        tracks.require("hits", by="LostTrackRecovery")
        free_tracks = np.asarray(free_tracks, np.int64)
        lost = free_tracks[tracks.confirmed[free_tracks] & (tracks.time_since_update[free_tracks] >= 2)
                           & (tracks.hits[free_tracks] >= self.min_hits)]
        dets = np.asarray(free_dets, np.int64)
        if lost.size and dets.size and matched_tracks is not None and len(matched_tracks):
            near = overlap[np.ix_(matched_tracks, dets)] if overlap is not None else \
                iou(tracks.xyxy[matched_tracks], detections.xyxy[dets])
            dets = dets[near.max(axis=0) <= self.max_overlap]
        if lost.size == 0 or dets.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        track_boxes, det_boxes = tracks.xyxy[lost], detections.xyxy[dets]
        cost = 1.0 - buffered_iou(track_boxes, det_boxes, self.buffer)
        heights = np.maximum(track_boxes[:, 3] - track_boxes[:, 1], 1e-9)[:, None]
        ratio = (det_boxes[:, 3] - det_boxes[:, 1])[None, :] / heights
        allowed = (ratio <= self.max_height_ratio) & (ratio * self.max_height_ratio >= 1.0) & (cost <= self.max_cost)
        if self.class_aware:
            same = same_class(tracks.class_ids[lost], detections.class_ids[dets])
            if same is not None:
                allowed &= same
        if self.appearance_weight > 0 and tracks.features is not None and detections.features is not None:
            appearance = cosine_distance(tracks.features[lost], detections.features[dets]) / 2.0
            cost = (1.0 - self.appearance_weight) * cost + self.appearance_weight * appearance
        return solve_subset(np.where(allowed, cost, np.inf), lost, dets, np.inf, self.method)
