"""BoostTrack++'s association step (Stanojević & Todorović, 2024): the confidence-weighted similarity of IoU,
Mahalanobis and shape terms (plus appearance), maximised over all tracks at once (`boost.py` has the math)."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.boost import (
    association_similarity, boost_assignment, diagonal_mahalanobis, mahalanobis_similarity, shape_similarity,
    tracklet_confidence,
)
from roadtrack.association.costs import iou, same_class
from roadtrack.association.solver import METHODS, matches_from_pairs
from roadtrack.core import Associator, Detections, Matches, TrackView, register


def measurement_distance(tracks: TrackView, det_xyxy: np.ndarray) -> np.ndarray:
    """BoostTrack's squared Mahalanobis distance of (D, 4) xyxy detections to the tracks' predicted states.

    The first four state components must be the measurement (XYHRKalman's cx, cy, h, r); the variances are the
    diagonal of the state covariance P, as in the reference (not P + R).

    Returns:
        (T, D) float64.
    """
    tracks.require("mean", "cov", "motion", by="BoostTrack's Mahalanobis term")
    to_measurement = getattr(tracks.motion, "box_to_measurement", None)
    if to_measurement is None:
        raise ValueError(f"BoostTrack needs a motion model with box_to_measurement (XYHRKalman), got "
                         f"{type(tracks.motion).__name__}")
    z = to_measurement(np.asarray(det_xyxy, np.float64).reshape(-1, 4))
    m = z.shape[1]
    return diagonal_mahalanobis(tracks.mean[:, :m], np.diagonal(tracks.cov, axis1=1, axis2=2)[:, :m], z)


def track_confidence(tracks: TrackView) -> np.ndarray:
    """(T,) `tracklet_confidence` of the view's tracks (needs ``age``)."""
    tracks.require("age", by="BoostTrack's tracklet confidence")
    return tracklet_confidence(tracks.age, tracks.time_since_update)


@register("associator", "boosttrack")
@dataclasses.dataclass(frozen=True)
class BoostAssociator(Associator):
    """BoostTrack's one-step association over all tracks (no confirmed/tentative split).

    ``S = IoU + lambda_iou * C * IoU + lambda_mhd * M + lambda_shape * C * shape (+ 3 * cosine with appearance)``
    with ``C = c_t * s_d`` (tracklet confidence times detection score, 0 where IoU < ``iou_threshold``) and M the
    Mahalanobis softmax over this frame's detections; the assignment takes the pairs with ``S > iou_threshold``
    when they are one-to-one, else a maximum-cardinality assignment maximising S, and keeps pairs with
    ``IoU >= iou_threshold`` (or, with appearance, ``IoU >= iou_threshold / 2`` and cosine >= ``appearance_min``).

    Every detection given takes part: the score threshold is the confidence-boost step's (`ConfidenceBoost`).

    Args:
        iou_threshold: the IoU gate (and the bar of the one-to-one shortcut).
        lambda_iou, lambda_mhd, lambda_shape: weights of the similarity terms.
        s_sim_corr: normalise the shape term's height difference by the larger height (the published code uses
            the larger width).
        appearance: add the embedding term when tracks and detections carry features.
        appearance_min: smallest cosine of an appearance-rescued pair.
        class_aware: never match a track to a detection of another class (the reference has no classes).
        method: assignment solver, ``"lap"`` or ``"scipy"``.
    """

    iou_threshold: float = 0.3
    lambda_iou: float = 0.5
    lambda_mhd: float = 0.25
    lambda_shape: float = 0.25
    s_sim_corr: bool = False
    appearance: bool = False
    appearance_min: float = 0.75
    class_aware: bool = True
    method: str = "lap"

    def __post_init__(self) -> None:
        if not 0.0 < self.iou_threshold <= 1.0:
            raise ValueError(f"iou_threshold must lie in (0, 1], got {self.iou_threshold}")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from {', '.join(METHODS)}")

    def needs_features(self) -> bool:
        return self.appearance

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        n_tracks, n_dets = len(tracks), len(detections)
        empty = np.zeros(0, np.int64)
        if n_tracks == 0 or n_dets == 0:
            return matches_from_pairs(empty, empty, n_tracks, n_dets)
        overlap = iou(tracks.xyxy, detections.xyxy)
        mhd = mahalanobis_similarity(measurement_distance(tracks, detections.xyxy))
        shape = shape_similarity(tracks.xyxy, detections.xyxy, self.s_sim_corr)
        cosine = None
        if self.appearance and tracks.features is not None and detections.features is not None:
            cosine = tracks.features.astype(np.float64) @ detections.features.astype(np.float64).T
        sim = association_similarity(overlap, track_confidence(tracks), detections.scores, self.iou_threshold, mhd,
                                     shape, cosine, self.lambda_iou, self.lambda_mhd, self.lambda_shape)
        allowed = same_class(tracks.class_ids, detections.class_ids) if self.class_aware else None
        if allowed is not None:  # None: every pair allowed
            if not allowed.any():
                return matches_from_pairs(empty, empty, n_tracks, n_dets)
            # -inf similarity becomes an infinite (forbidden) cost in the assignment; overlap 0 fails the gate
            sim = np.where(allowed, sim, -np.inf)
            overlap = np.where(allowed, overlap, 0.0)
        rows, cols = boost_assignment(sim, overlap, self.iou_threshold, cosine, self.appearance_min, self.method)
        return matches_from_pairs(rows, cols, n_tracks, n_dets)
