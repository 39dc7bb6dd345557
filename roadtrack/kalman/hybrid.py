"""Hybrid-SORT's confidence-augmented SORT filter (Yang et al., AAAI 2024, "tracklet confidence modelling").

The detection score is measured and filtered with a velocity like the box, so the filter predicts how
confident the next detection of a track will be; `roadtrack.association.hybrid.tcm_cost` compares that
prediction with each detection's score.
"""

from __future__ import annotations

import copy

import numpy as np

from roadtrack.kalman.base import LinearKalman
from roadtrack.kalman.variants import ConstantNoiseKalman, SortKalman, _block_warp, _centre_size, _corners


class HybridSortKalman(ConstantNoiseKalman):
    """SORT's constant-velocity model with the detection confidence as a fifth measured component.

    State (S=9): cx, cy (pixels), s (area, pixels^2), c (confidence), r (aspect w/h), then the velocities of
    cx, cy, s and c per frame. Measurement (M=5): cx, cy, s, c, r. The layout and noise are the reference
    code's (``trackers/hybrid_sort_tracker/hybrid_sort.py``, ``KalmanBoxTracker.__init__``):
    R = diag(1, 1, 10, 10, 10); P0 = 10 * diag(1, 1, 1, 1, 1, 1000, 1000, 1000, 1000);
    Q = diag(1, 1, 1, 1, 1, 0.01, 0.01, 1e-4, 1e-4). All three are diagonal and F couples each component
    only with its own velocity, so the box block (cx, cy, s, r and their velocities) evolves exactly as
    `roadtrack.kalman.SortKalman` and the confidence as an independent (c, vc) filter.

    A measurement needs the detection scores: `initiate` and `update` take them as ``scores`` (required).
    ``box_to_measurement`` alone cannot build one; `with_scores` binds scores to a copy of the model for the
    base class's equations (the model itself holds no per-frame state).

    Example:
        >>> kf = HybridSortKalman()
        >>> mean, cov = kf.initiate(np.array([[0.0, 0.0, 10.0, 20.0]]), scores=np.array([0.8]))
        >>> mean[0, :5].round(3).tolist(), kf.to_xyxy(mean).tolist()
        ([5.0, 10.0, 200.0, 0.8, 0.5], [[0.0, 0.0, 10.0, 20.0]])
    """

    ndim_meas = 5
    velocity_of = (0, 1, 2, 3)  # cx, cy, s and c move; r does not
    AREA, CONFIDENCE, ASPECT = 2, 3, 4
    AREA_VELOCITY, CONFIDENCE_VELOCITY = 7, 8

    def __init__(self) -> None:
        super().__init__()
        self._r = np.array([1.0, 1.0, 10.0, 10.0, 10.0])
        self._p0 = 10.0 * np.diag([1.0, 1.0, 1.0, 1.0, 1.0, 1000.0, 1000.0, 1000.0, 1000.0])
        self._q = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 1e-4, 1e-4])
        self._scores: np.ndarray | None = None

    def with_scores(self, scores: np.ndarray) -> "HybridSortKalman":
        """A copy of this model whose ``box_to_measurement`` measures (N,) ``scores`` with the N boxes."""
        bound = copy.copy(self)
        bound._scores = np.asarray(scores, np.float64).reshape(-1)
        return bound

    # ---- layout --------------------------------------------------------------------------------
    def box_to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        if self._scores is None:
            raise ValueError("HybridSortKalman measures boxes with their detection scores: pass scores=")
        if self._scores.shape[0] != xyxy.shape[0]:
            raise ValueError(f"scores: expected {xyxy.shape[0]} values (one per box), got {self._scores.shape[0]}")
        cx, cy, w, h = _centre_size(xyxy)
        with np.errstate(divide="ignore", invalid="ignore"):  # degenerate boxes: as SortKalman
            return np.stack([cx, cy, w * h, self._scores, w / h], axis=1)

    def state_to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        cx, cy, s = mean[:, 0], mean[:, 1], mean[:, self.AREA]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.sqrt(s * mean[:, self.ASPECT])
            h = s / w
        return _corners(cx, cy, w, h)

    def confidence(self, mean: np.ndarray) -> np.ndarray:
        """(N, S) states -> (N,) filtered (or predicted) confidences, unclipped."""
        return np.asarray(mean, np.float64)[:, self.CONFIDENCE]

    # SORT's rule (zero the area velocity where ``s + vs <= 0``) on this layout's AREA indices; the confidence is
    # not constrained.
    constrain = SortKalman.constrain

    def warp_matrix(self, linear: np.ndarray) -> np.ndarray:
        """Centre and its velocity by ``linear``; area and its velocity by |det|; confidence and aspect fixed.

        (The reference Hybrid-SORT has no camera-motion compensation; this is `SortKalman`'s warp.)
        """
        area_scale = abs(float(np.linalg.det(linear)))
        return _block_warp(9, (0, 5), linear, {self.AREA: area_scale, self.AREA_VELOCITY: area_scale})

    # ---- MotionModel with scores ---------------------------------------------------------------
    def initiate(self, z: np.ndarray, scores: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Start tracks at (N, 4) xyxy boxes with (N,) detection ``scores`` (required), zero velocities."""
        if scores is None:
            raise ValueError("HybridSortKalman.initiate needs the detections' scores")
        return LinearKalman.initiate(self.with_scores(scores), z)

    def update(self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray,
               scores: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Correct rows of ``mean`` (N, 9) / ``cov`` (N, 9, 9) with (N, 4) boxes and their (N,) ``scores``
        (required)."""
        if scores is None:
            raise ValueError("HybridSortKalman.update needs the detections' scores")
        return LinearKalman.update(self.with_scores(scores), mean, cov, z)
