"""`ByteAssociator`: ByteTrack's association by IoU in three steps, with BoT-SORT's optional appearance term."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.appearance import cosine_distance, fuse_score, iou_gated_appearance
from roadtrack.association.costs import iou, same_class
from roadtrack.association.recovery import LostTrackRecovery
from roadtrack.association.solver import METHODS, matches_from_pairs
from roadtrack.association.stages import solve_subset
from roadtrack.core import Associator, Detections, Matches, TrackView, register


@register("associator", "byte")
@dataclasses.dataclass(frozen=True)
class ByteAssociator(Associator):
    """BYTE (Zhang et al., ECCV 2022): associate every box, high- and low-score ones in turn.

    1. Confirmed tracks (tracked or lost) with detections scoring above ``high_thresh``: cost ``1 - IoU``,
       times the detection score if ``fuse_score`` (``1 - IoU * score``), at most ``match_thresh``.
       With ``appearance`` (BoT-SORT) the cost is ``min(that, cosine / 2)``, where the cosine term counts only
       for pairs with ``1 - IoU <= proximity_thresh`` and ``cosine / 2 <= appearance_thresh``.
    2. Confirmed tracks still unmatched that were updated last frame, with detections scoring in
       (``low_thresh``, ``high_thresh``): cost ``1 - IoU``, at most ``low_match_thresh``.
    3. Unconfirmed tracks with the high detections left after step 1: step 1's cost, at most
       ``unconfirmed_match_thresh``.
    4. With ``recovery``: confirmed tracks lost for two frames or more and still unmatched, with the high
       detections still free, by buffered IoU (`LostTrackRecovery`; not part of the published BYTE).

    Detections at or below ``low_thresh`` are never matched. Which unmatched detections start tracks is the
    tracker's lifecycle decision (ByteTrack: score above ``high_thresh + 0.1``).

    Args:
        high_thresh, low_thresh: detection score bounds of the two steps.
        match_thresh, low_match_thresh, unconfirmed_match_thresh: largest cost of a match in steps 1, 2, 3.
        fuse_score: multiply IoU by the detection score in steps 1 and 3.
        appearance: use the tracks' and detections' features in steps 1 and 3 when both are present.
        proximity_thresh, appearance_thresh: BoT-SORT's gates on the appearance term.
        class_aware: forbid matching a track to a detection of another class.
        method: assignment solver, ``"lap"`` or ``"scipy"``.
        recovery: the optional step 4, None to leave it out.
    """

    high_thresh: float = 0.5
    low_thresh: float = 0.1
    match_thresh: float = 0.8
    low_match_thresh: float = 0.5
    unconfirmed_match_thresh: float = 0.7
    fuse_score: bool = True
    appearance: bool = False
    proximity_thresh: float = 0.5
    appearance_thresh: float = 0.25
    class_aware: bool = True
    method: str = "scipy"
    recovery: LostTrackRecovery | None = None

    def __post_init__(self) -> None:
        if not self.low_thresh <= self.high_thresh:
            raise ValueError(f"low_thresh ({self.low_thresh}) must not exceed high_thresh ({self.high_thresh})")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from {', '.join(METHODS)}")

    def needs_features(self) -> bool:
        return self.appearance

    def _cost(self, tracks: TrackView, detections: Detections, rows: np.ndarray, cols: np.ndarray, fused: bool,
              overlap: np.ndarray) -> np.ndarray:
        """(len(rows), len(cols)) cost of the given tracks and detections, class-gated; ``overlap`` is the
        (T, D) IoU of all tracks and detections."""
        if rows.size == 0 or cols.size == 0:
            return np.zeros((rows.size, cols.size))
        iou_cost = 1.0 - overlap[rows[:, None], cols]
        cost = fuse_score(iou_cost, detections.scores[cols]) if fused and self.fuse_score else iou_cost
        if fused and self.appearance and tracks.features is not None and detections.features is not None:
            appearance = cosine_distance(tracks.features[rows], detections.features[cols])
            cost = iou_gated_appearance(iou_cost, cost, appearance, self.proximity_thresh, self.appearance_thresh)
        same = same_class(tracks.class_ids[rows], detections.class_ids[cols]) if self.class_aware else None
        if same is not None:
            cost = np.where(same, cost, np.inf)
        return cost

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        scores = detections.scores
        high = (scores > self.high_thresh).nonzero()[0]
        low = np.nonzero((scores > self.low_thresh) & (scores < self.high_thresh))[0]
        confirmed = tracks.confirmed.nonzero()[0]
        unconfirmed = (~tracks.confirmed).nonzero()[0]
        usable = scores > self.low_thresh
        if usable.all():
            overlap = iou(tracks.xyxy, detections.xyxy)
        else:
            overlap = np.zeros((len(tracks), len(detections)))
            if usable.any() and len(tracks):
                overlap[:, usable] = iou(tracks.xyxy, detections.xyxy[usable])

        r1, c1 = solve_subset(self._cost(tracks, detections, confirmed, high, True, overlap), confirmed, high,
                              self.match_thresh, self.method)
        free_tracks = tracks.confirmed & (tracks.time_since_update == 1)
        free_tracks[r1] = False
        recent = free_tracks.nonzero()[0]
        r2, c2 = solve_subset(self._cost(tracks, detections, recent, low, False, overlap), recent, low,
                              self.low_match_thresh, self.method)
        free_dets = scores > self.high_thresh
        free_dets[c1] = False
        high_left = free_dets.nonzero()[0]
        r3, c3 = solve_subset(self._cost(tracks, detections, unconfirmed, high_left, True, overlap), unconfirmed, high_left,
                              self.unconfirmed_match_thresh, self.method)
        rows, cols = np.concatenate([r1, r2, r3]), np.concatenate([c1, c2, c3])
        if self.recovery is not None:
            free_tracks = np.ones(len(tracks), bool)
            free_tracks[rows] = False
            free_dets[c3] = False
            r4, c4 = self.recovery.match(tracks, detections, free_tracks.nonzero()[0], free_dets.nonzero()[0], rows,
                                         overlap)  # overlap is exact for high-score detections
            rows, cols = np.concatenate([rows, r4]), np.concatenate([cols, c4])
        return matches_from_pairs(rows, cols, len(tracks), len(detections))
