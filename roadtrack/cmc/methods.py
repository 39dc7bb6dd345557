"""Camera-motion estimators: sparse optical flow (default), ECC and ORB, all on downscaled grey frames."""

from __future__ import annotations

import cv2
import numpy as np

from roadtrack.cmc.base import CameraMotion
from roadtrack.core.registry import available, build, register


def _partial_affine(src: np.ndarray, dst: np.ndarray, min_points: int, threshold: float) -> np.ndarray | None:
    """Rotation + uniform scale + translation from matched (N, 2) points by RANSAC; None if too few inliers."""
    if len(src) < min_points:
        return None
    affine, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=threshold)
    if affine is None or inliers is None or int(inliers.sum()) < min_points:
        return None
    return affine


@register("cmc", "sparse-flow")
class SparseFlowCMC(CameraMotion):
    """Corners tracked by pyramidal Lucas-Kanade, then a RANSAC partial affine fit (BoT-SORT's ``sparseOptFlow``).

    Corners are detected once per frame (on the current frame, for use with the next one).

    Args:
        max_corners, quality, min_distance: ``cv2.goodFeaturesToTrack`` settings (in small-image pixels).
        min_points: fewest inlier correspondences for an estimate.
        ransac_threshold: RANSAC reprojection threshold, small-image pixels.
        **kwargs: see `CameraMotion`.
    """

    def __init__(self, max_corners: int = 100, quality: float = 0.01, min_distance: float = 3.0,
                 min_points: int = 10, ransac_threshold: float = 1.0, **kwargs) -> None:
        self.max_corners, self.quality, self.min_distance = max_corners, quality, min_distance
        self.min_points, self.ransac_threshold = min_points, ransac_threshold
        super().__init__(**kwargs)

    def _remember(self, grey, mask):
        corners = cv2.goodFeaturesToTrack(grey, self.max_corners, self.quality, self.min_distance, mask=mask, blockSize=3)
        return grey, corners

    def _estimate(self, prev, grey, mask):
        prev_grey, corners = prev
        state = self._remember(grey, mask)
        if corners is None or len(corners) < self.min_points:
            return None, state
        moved, status, _ = cv2.calcOpticalFlowPyrLK(prev_grey, grey, corners, None, winSize=(15, 15), maxLevel=2)
        good = status.reshape(-1).astype(bool)
        return _partial_affine(corners.reshape(-1, 2)[good], moved.reshape(-1, 2)[good], self.min_points,
                               self.ransac_threshold), state


@register("cmc", "ecc")
class ECCCMC(CameraMotion):
    """Enhanced correlation coefficient maximisation (``cv2.findTransformECC``), BoxMOT's and StrongSORT's CMC.

    Args:
        motion: ``"euclidean"`` (rotation + translation), ``"affine"`` or ``"translation"``.
        iterations, eps: termination of the ECC iterations.
        **kwargs: see `CameraMotion` (default scale 0.15).
    """

    MOTIONS = {"translation": cv2.MOTION_TRANSLATION, "euclidean": cv2.MOTION_EUCLIDEAN, "affine": cv2.MOTION_AFFINE}

    def __init__(self, motion: str = "euclidean", iterations: int = 100, eps: float = 1e-5, **kwargs) -> None:
        if motion not in self.MOTIONS:
            raise ValueError(f"unknown ECC motion {motion!r}; choose from {', '.join(self.MOTIONS)}")
        self.motion, self.iterations, self.eps = self.MOTIONS[motion], iterations, eps
        kwargs.setdefault("scale", 0.15)
        super().__init__(**kwargs)

    def _remember(self, grey, mask):
        return grey

    def _estimate(self, prev, grey, mask):
        warp = np.eye(2, 3, dtype=np.float32)
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, self.iterations, self.eps)
        try:
            _, warp = cv2.findTransformECC(prev, grey, warp, self.motion, criteria, mask, 1)
        except cv2.error:  # did not converge
            return None, grey
        # findTransformECC's warp maps template (previous) coordinates to input (current) ones.
        return warp.astype(np.float64), grey


@register("cmc", "orb")
class ORBCMC(CameraMotion):
    """ORB keypoints matched by Hamming distance with Lowe's ratio test, then a RANSAC partial affine fit.

    Args:
        features: ORB keypoints per frame; ratio: ratio-test bound; min_points, ransac_threshold: as in
            `SparseFlowCMC`; **kwargs: see `CameraMotion` (default scale 0.5: ORB needs more pixels).
    """

    def __init__(self, features: int = 500, ratio: float = 0.75, min_points: int = 10, ransac_threshold: float = 1.0,
                 **kwargs) -> None:
        self.ratio, self.min_points, self.ransac_threshold = ratio, min_points, ransac_threshold
        self._orb = cv2.ORB_create(nfeatures=features, edgeThreshold=15, patchSize=15)
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        kwargs.setdefault("scale", 0.5)
        super().__init__(**kwargs)

    def _remember(self, grey, mask):
        return self._orb.detectAndCompute(grey, mask)

    def _estimate(self, prev, grey, mask):
        prev_kp, prev_desc = prev
        kp, desc = state = self._remember(grey, mask)
        if prev_desc is None or desc is None or len(prev_desc) < 2 or len(desc) < 2:
            return None, state
        pairs = [m for m in self._matcher.knnMatch(prev_desc, desc, k=2) if len(m) == 2]
        good = [m for m, n in pairs if m.distance < self.ratio * n.distance]
        src = np.float32([prev_kp[m.queryIdx].pt for m in good]).reshape(-1, 2)
        dst = np.float32([kp[m.trainIdx].pt for m in good]).reshape(-1, 2)
        return _partial_affine(src, dst, self.min_points, self.ransac_threshold), state


def build_cmc(name: str | None, **options) -> CameraMotion | None:
    """Camera-motion estimator registered as ``name`` (kind ``"cmc"``: ``"sparse-flow"``, ``"ecc"``, ``"orb"``, or
    one a user registered); None or ``"none"`` gives None."""
    if name is None or name == "none":
        return None
    if name not in available("cmc"):
        raise ValueError(f"unknown cmc method {name!r}; choose from none, {', '.join(available('cmc'))}")
    return build("cmc", name, **options)
