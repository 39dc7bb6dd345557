"""`CascadeAssociator`: DeepSORT's gated appearance matching (optionally by cascade), then IoU."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.appearance import cosine_distance, gallery_distance, gate_by_mahalanobis
from roadtrack.association.costs import iou, same_class
from roadtrack.association.solver import METHODS, matches_from_pairs
from roadtrack.association.stages import solve_subset
from roadtrack.core import Associator, Detections, Matches, TrackView, register
from roadtrack.core.gating import CHI2INV95


@register("associator", "cascade")
@dataclasses.dataclass(frozen=True)
class CascadeAssociator(Associator):
    """DeepSORT (Wojke et al., 2017) association; StrongSORT's variant with ``cascade_depth=None``.

    1. Confirmed tracks with all detections by appearance: the cosine distance to the track's gallery
       (nearest sample) or, without a gallery, to its smoothed feature. Pairs whose squared Mahalanobis
       distance exceeds the chi-square 0.95 quantile (4 degrees of freedom) are forbidden; with
       ``appearance_weight < 1`` the cost is ``w * appearance + (1 - w) * Mahalanobis`` (StrongSORT).
       Matches cost at most ``max_appearance_distance``. The matching cascade solves tracks level by level,
       those updated most recently first (levels 1 .. ``cascade_depth``); ``cascade_depth=None`` solves all
       confirmed tracks at once.
    2. Unconfirmed tracks and confirmed ones updated last frame but unmatched in step 1, with the detections
       left: cost ``1 - IoU``, at most ``max_iou_distance``.

    Without features (no embedder, or detections without ``features``) step 1 is skipped. Detections scoring
    below ``min_score`` take part in neither step (StrongSORT drops detections below 0.6).

    Args:
        max_appearance_distance: largest appearance cost of a match.
        max_iou_distance: largest ``1 - IoU`` of a match in step 2.
        cascade_depth: number of cascade levels (DeepSORT: the tracker's ``max_age``), None for one assignment.
        appearance_weight: share of appearance in the step-1 cost (1: DeepSORT, 0.98: StrongSORT).
        min_score: detections scoring below it are not matched.
        class_aware: forbid matching a track to a detection of another class.
        method: assignment solver, ``"lap"`` or ``"scipy"``.
    """

    max_appearance_distance: float = 0.2
    max_iou_distance: float = 0.7
    cascade_depth: int | None = 30
    appearance_weight: float = 1.0
    min_score: float = 0.0
    class_aware: bool = True
    method: str = "scipy"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from {', '.join(METHODS)}")
        if not 0.0 <= self.appearance_weight <= 1.0:
            raise ValueError(f"appearance_weight must lie in [0, 1], got {self.appearance_weight}")

    def needs_features(self) -> bool:
        return True

    def _gate_classes(self, cost, tracks: TrackView, detections: Detections, rows, cols):
        same = same_class(tracks.class_ids[rows], detections.class_ids[cols]) if self.class_aware else None
        return cost if same is None else np.where(same, cost, np.inf)

    def _appearance_cost(self, tracks: TrackView, detections: Detections, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        detections = detections[cols]
        if tracks.gallery is not None:
            cost = gallery_distance(tracks.gallery[rows], tracks.gallery_count[rows], detections.features)
        else:
            cost = cosine_distance(tracks.features[rows], detections.features)
        tracks.require("mean", "cov", "motion", by="CascadeAssociator's Mahalanobis gate")
        maha = tracks.motion.gating_distance(tracks.mean[rows], tracks.cov[rows], detections.xyxy)
        cost = gate_by_mahalanobis(cost, maha, CHI2INV95[4], self.appearance_weight)
        return self._gate_classes(cost, tracks, detections, rows, np.arange(len(detections)))

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        confirmed = np.flatnonzero(tracks.confirmed)
        kept = np.flatnonzero(detections.scores >= self.min_score)
        rows1, cols1 = np.zeros(0, np.int64), np.zeros(0, np.int64)
        has_features = detections.features is not None and (tracks.features is not None or tracks.gallery is not None)
        if has_features and confirmed.size and kept.size:
            cost = self._appearance_cost(tracks, detections, confirmed, kept)
            if self.cascade_depth is None:
                rows1, cols1 = solve_subset(cost, confirmed, kept, self.max_appearance_distance, self.method)
            else:
                found_r, found_c = [], []
                free = np.ones(kept.size, bool)
                tsu = tracks.time_since_update[confirmed]
                for level in range(1, self.cascade_depth + 1):
                    if not free.any():
                        break
                    sel = np.flatnonzero(tsu == level)
                    if sel.size == 0:
                        continue
                    cols = np.flatnonzero(free)
                    r, c = solve_subset(cost[np.ix_(sel, cols)], sel, cols, self.max_appearance_distance, self.method)
                    free[c] = False
                    found_r.append(r)
                    found_c.append(c)
                if found_r:
                    rows1, cols1 = confirmed[np.concatenate(found_r)], kept[np.concatenate(found_c)]

        left = np.setdiff1d(np.arange(len(tracks)), rows1)
        candidates = left[~tracks.confirmed[left] | (tracks.time_since_update[left] == 1)]
        dets_left = np.setdiff1d(kept, cols1)
        cost = 1.0 - iou(tracks.xyxy[candidates], detections.xyxy[dets_left])
        cost = self._gate_classes(cost, tracks, detections, candidates, dets_left)
        rows2, cols2 = solve_subset(cost, candidates, dets_left, self.max_iou_distance, self.method)
        return matches_from_pairs(np.concatenate([rows1, rows2]), np.concatenate([cols1, cols2]), len(tracks), len(detections))
