"""UCMCTrack's association: the Mapped Mahalanobis Distance (MMD) on the ground plane, in three steps.

UCMCTrack (Yi et al., AAAI 2024; reference ``tracker/kalman.py KalmanTracker.distance``) compares a detection's
ground footpoint ``y`` (covariance ``R``, its Correlated Measurement Distribution) with a track's predicted
ground position ``H x`` (covariance ``H P H^T``) by

    MMD = (y - H x)^T S^-1 (y - H x) + ln det S,    S = H P H^T + R,

and assigns with ``lapjv(cost, extend_cost=True, cost_limit=a)``, i.e. `roadtrack.association.solve` with
``max_cost=a``. The log-determinant makes a loose, far-away track (large S) pay for its looseness, so MMD is the
negative log-likelihood up to a constant and can be negative when S has determinant below 1 m^4.

The ground geometry belongs to the tracks' motion model (``TrackView.motion``, a
`roadtrack.kalman.ground.GroundKalman`); this module reaches it only through the `GroundMotion` protocol, so
association does not import the Kalman layer.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np

from roadtrack.association.costs import same_class
from roadtrack.association.solver import METHODS, matches_from_pairs
from roadtrack.association.stages import solve_subset
from roadtrack.core import Associator, Detections, Matches, TrackView, register
from roadtrack.core.gating import pairwise_mahalanobis_2d


class GroundMotion(Protocol):
    """What the MMD needs from a motion model (`roadtrack.kalman.ground.GroundKalman` provides it)."""

    def ground_measurements(self, xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 4) boxes -> (N, 2) ground footpoints and (N, 2, 2) their measurement covariances."""

    def project_ground(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, S) states, (T, S, S) covariances -> (T, 2) ground positions and (T, 2, 2) ``H P H^T``."""


def mapped_mahalanobis(track_xy: np.ndarray, track_cov: np.ndarray, det_xy: np.ndarray,
                       det_cov: np.ndarray) -> np.ndarray:
    """MMD of every detection to every track, each pair with its own ``S = P_t + R_d``.

    Args:
        track_xy: (T, 2) predicted ground positions ``H x``, metres.
        track_cov: (T, 2, 2) their covariances ``H P H^T``, m^2.
        det_xy: (D, 2) detection footpoints on the ground, metres.
        det_cov: (D, 2, 2) their measurement covariances R (CMD), m^2.

    Returns:
        (T, D) float64 ``d^T S^-1 d + ln det S``; rows index tracks, columns detections (the reference's matrix
        is the transpose).

    Example:
        >>> cost = mapped_mahalanobis(np.zeros((1, 2)), np.eye(2)[None], np.array([[2.0, 0.0]]), np.eye(2)[None])
        >>> float(cost[0, 0])  # S = 2 I: 4 / 2 + ln 4
        3.386294361119891
    """
    squared, logdet = pairwise_mahalanobis_2d(track_xy, track_cov, det_xy, det_cov)
    return squared + logdet


def ucmc_cost(motion: GroundMotion, mean: np.ndarray, cov: np.ndarray, det_xyxy: np.ndarray) -> np.ndarray:
    """MMD between tracks given by their ground states and detections given by boxes.

    Args:
        motion: the ground motion model the states belong to (it holds the geometry and the pixel noise).
        mean: (T, S) predicted states; cov: (T, S, S).
        det_xyxy: (D, 4) detection boxes, pixels.

    Returns:
        (T, D) float64 MMD costs.
    """
    det_xy, det_cov = motion.ground_measurements(det_xyxy)
    return mapped_mahalanobis(*motion.project_ground(mean, cov), det_xy, det_cov)


@register("associator", "ucmc")
@dataclasses.dataclass(frozen=True)
class UCMCAssociator(Associator):
    """UCMCTrack's three association steps, all by MMD (reference ``tracker/ucmc.py UCMCTrack``).

    1. Confirmed tracks (tracked or lost, the reference's Confirmed and Coasted) with detections scoring at least
       ``high_score``: MMD at most ``a1``.
    2. Confirmed tracks still unmatched with the detections scoring below ``high_score`` (and at least
       ``min_score``): MMD at most ``a2``.
    3. Tentative tracks with the high-score detections left after step 1: MMD at most ``a1``.

    Which unmatched detections start tracks is the lifecycle's decision (UCMCTrack: the high-score ones).
    The view must carry ``mean``, ``cov`` and a ``motion`` with `GroundMotion`'s methods.

    Args:
        a1, a2: largest MMD of a match in steps 1 and 3, and in step 2 (the reference's ``a1``, ``a2``;
            its runs set both to ``a``).
        high_score: detections scoring at least this are high-score (the reference's ``high_score``).
        min_score: detections scoring below it are never matched (the reference filters them out in its
            detector with ``conf_thresh``).
        class_aware: forbid matching a track to a detection of another class (the reference has one class).
        method: assignment solver, ``"lap"`` (the reference's ``lapjv``) or ``"scipy"``.
    """

    a1: float = 10.0
    a2: float = 10.0
    high_score: float = 0.6
    min_score: float = -np.inf
    class_aware: bool = True
    method: str = "lap"

    def __post_init__(self) -> None:
        if not self.min_score <= self.high_score:
            raise ValueError(f"min_score ({self.min_score}) must not exceed high_score ({self.high_score})")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from {', '.join(METHODS)}")

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        n_tracks, n_dets = len(tracks), len(detections)
        if n_tracks == 0 or n_dets == 0:
            return matches_from_pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), n_tracks, n_dets)
        tracks.require("mean", "cov", "motion", by="UCMCAssociator")
        scores = detections.scores
        cost = ucmc_cost(tracks.motion, tracks.mean, tracks.cov, detections.xyxy)  # (T, D), once for all steps
        same = same_class(tracks.class_ids, detections.class_ids) if self.class_aware else None
        if same is not None:
            cost = np.where(same, cost, np.inf)
        high = np.nonzero(scores >= self.high_score)[0]
        low = np.nonzero((scores < self.high_score) & (scores >= self.min_score))[0]
        confirmed = np.nonzero(tracks.confirmed)[0]
        tentative = np.nonzero(~tracks.confirmed)[0]

        r1, c1 = solve_subset(cost[np.ix_(confirmed, high)], confirmed, high, self.a1, self.method)
        left = np.setdiff1d(confirmed, r1, assume_unique=True)
        r2, c2 = solve_subset(cost[np.ix_(left, low)], left, low, self.a2, self.method)
        high_left = np.setdiff1d(high, c1, assume_unique=True)
        r3, c3 = solve_subset(cost[np.ix_(tentative, high_left)], tentative, high_left, self.a1, self.method)
        return matches_from_pairs(np.concatenate([r1, r2, r3]), np.concatenate([c1, c2, c3]), n_tracks, n_dets)
