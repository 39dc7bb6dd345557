"""Ego motion from road-surface corners: a rigid ground-plane step per frame pair, then a plausible, smooth series.

A corner on the road at ground point p = (X, Z) (`CameraGeometry.ground`) of one frame is, in the next frame,
at q = R(yaw) (p - (0, d)) (`ego_step`): the car advanced ``d`` metres and turned ``yaw`` radians. One point
fixes both: |q| = |p - (0, d)| gives d = Z - sqrt(|q|^2 - X^2), and yaw is the change of its bearing. So every
tracked corner proposes a step; the step most corners agree with *in pixels* (far points constrain the yaw,
near ones the advance) wins (RANSAC over the proposals), and a few Gauss-Newton iterations on its inliers'
pixel errors refine it. Two parameters instead of a homography's eight: a few road corners cannot shear it.

A car is not a rocket: steps implying more than ``max_speed`` m/s or ``max_yaw_rate`` rad/s, or far from their
neighbours' median, are rejected and filled from their neighbours (`ego_series`). When most steps are
implausible at the container's frame rate, the frames probably were not captured at that rate (nuScenes 2 Hz
keyframes in a 20 fps file): `ego_series` says so in its report instead of guessing.

Example:
    >>> from roadtrack.events.geometry import CameraGeometry, ego_step
    >>> cam = CameraGeometry.from_image((1000, 500), focal=800.0, camera_height=1.5)
    >>> ground = np.array([[-2.0, 8.0], [1.0, 12.0], [3.0, 20.0], [-4.0, 30.0]])
    >>> moved = (ego_step(0.5, 0.01)[0] @ np.c_[ground, np.ones(4)].T).T[:, :2]
    >>> step = fit_ground_step(cam.pixels(ground), cam.pixels(moved), cam, min_inliers=3)
    >>> round(step.forward, 3), round(step.yaw, 4)
    (0.5, 0.01)
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import cv2
import numpy as np

from roadtrack.events.geometry import CameraGeometry, ego_step

MAX_SPEED = 70.0  # m/s (250 km/h): anything faster is a bad fit or a wrong frame rate
MAX_YAW_RATE = 1.0  # rad/s: a tight turn at walking pace; a car at speed yaws far less
FAST_MEDIAN = 40.0  # m/s (144 km/h): a clip whose median ego speed is higher is suspect (few roads allow it)


@dataclasses.dataclass(frozen=True)
class GroundStep:
    """One frame pair's ego step: ``forward`` metres and ``yaw`` radians (positive left), ``inliers`` corners."""

    forward: float
    yaw: float
    inliers: int


def road_mask(shape: tuple[int, ...], boxes: np.ndarray, horizon: float) -> np.ndarray:
    """(H, W) uint8 mask: 255 below row ``horizon`` x H and outside ``boxes`` ((N, 4) xyxy, grown by 15 %)."""
    h, w = shape[:2]
    mask = np.zeros((h, w), np.uint8)
    mask[int(horizon * h) + 2:] = 255
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    pad = np.c_[-(boxes[:, 2:] - boxes[:, :2]) * 0.15, (boxes[:, 2:] - boxes[:, :2]) * 0.15]
    for x1, y1, x2, y2 in np.round(boxes + pad).astype(int).tolist():
        mask[max(y1, 0):max(y2, 0), max(x1, 0):max(x2, 0)] = 0
    return mask


def track_road_corners(prev: np.ndarray, cur: np.ndarray, mask: np.ndarray, max_points: int = 200) -> np.ndarray:
    """(N, 4) ``[u0, v0, u1, v1]``: corners of grey ``prev`` inside ``mask``, tracked into ``cur`` (pyramidal LK).

    Kept only when tracking back from ``cur`` lands within half a pixel of the start (a corner that slid along
    a lane line or was lost in a flat patch does not come back).
    """
    points = cv2.goodFeaturesToTrack(prev, max_points, 0.005, 5, mask=mask, blockSize=5)
    if points is None:
        return np.zeros((0, 4))
    params = dict(winSize=(15, 15), maxLevel=3)
    moved, status, _ = cv2.calcOpticalFlowPyrLK(prev, cur, points, None, **params)
    back, status_back, _ = cv2.calcOpticalFlowPyrLK(cur, prev, moved, None, **params)
    ok = (status.reshape(-1) == 1) & (status_back.reshape(-1) == 1) & \
        (np.linalg.norm((back - points).reshape(-1, 2), axis=1) < 0.5)
    return np.c_[points.reshape(-1, 2)[ok], moved.reshape(-1, 2)[ok]].astype(np.float64)


def match_road_corners(prev: np.ndarray, cur: np.ndarray, mask: np.ndarray, features: int = 1000) -> np.ndarray:
    """(N, 4) ``[u0, v0, u1, v1]``: ORB corners of grey ``prev`` and ``cur`` inside ``mask``, matched both ways.

    For frame pairs far apart in time (a low capture rate), where the road moves too far for tracking; most
    matches may be wrong, which the rigid fit's vote sorts out.
    """
    orb = cv2.ORB_create(features, scaleFactor=1.2, nlevels=8, edgeThreshold=15, patchSize=21, fastThreshold=7)
    ka, da = orb.detectAndCompute(prev, mask)
    kb, db = orb.detectAndCompute(cur, mask)
    if da is None or db is None:
        return np.zeros((0, 4))
    found = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    return np.array([[*ka[m.queryIdx].pt, *kb[m.trainIdx].pt] for m in found], np.float64).reshape(-1, 4)


def _predict(step: np.ndarray, ground: np.ndarray, geometry: CameraGeometry) -> np.ndarray:
    """(H, N, 2) pixels of (N, 2) ground points after each of (H, 2) steps (forward, yaw)."""
    motion = ego_step(step[:, 0], step[:, 1])  # (H, 3, 3)
    moved = np.einsum("hij,nj->hni", motion, np.c_[ground, np.ones(len(ground))])
    z = np.maximum(moved[..., 1], 0.1)  # behind the camera: far off in pixels, never an inlier
    return np.stack([geometry.cx + geometry.focal * moved[..., 0] / z,
                     geometry.horizon + geometry.focal * geometry.height / z], axis=-1)


def fit_ground_step(prev_px: np.ndarray, cur_px: np.ndarray, geometry: CameraGeometry, max_depth: float = 40.0,
                    tolerance: float | None = None, min_inliers: int = 8,
                    min_fraction: float = 1 / 3) -> GroundStep | None:
    """The rigid ground step (forward, yaw) carrying road corners ``prev_px`` to ``cur_px`` (module doc).

    Args:
        prev_px: (N, 2) corner pixels in the earlier frame.
        cur_px: (N, 2) the same corners in the later frame.
        geometry: the camera (flat road).
        max_depth: corners farther than this (metres; near the horizon) are not used: their depth is too uncertain.
        tolerance: inlier pixel error; default 0.25 % of the image width (2.4 px at 960).
        min_inliers: fewer agreeing corners give None.
        min_fraction: so does a smaller share of the usable corners.

    Returns:
        `GroundStep` in metres and radians per frame pair, or None when the corners do not agree on one.
    """
    prev_px = np.asarray(prev_px, np.float64).reshape(-1, 2)
    cur_px = np.asarray(cur_px, np.float64).reshape(-1, 2)
    near = geometry.horizon + geometry.focal * geometry.height / max_depth
    usable = (prev_px[:, 1] > near) & (cur_px[:, 1] > near)
    prev_px, cur_px = prev_px[usable], cur_px[usable]
    if len(prev_px) < min_inliers:
        return None
    tol = 0.0025 * geometry.size[0] if tolerance is None else tolerance
    p, q = geometry.ground(prev_px), geometry.ground(cur_px)
    ahead = np.sqrt(np.maximum((q ** 2).sum(1) - p[:, 0] ** 2, 0.0))  # Z - d, the point stays in front
    forward = p[:, 1] - ahead
    yaw = np.arctan2(q[:, 0], q[:, 1]) - np.arctan2(p[:, 0], ahead)
    proposals = np.c_[forward, yaw]
    err = np.linalg.norm(_predict(proposals, p, geometry) - cur_px[None], axis=2)  # (H, N)
    votes = (err < tol).sum(1)
    best = proposals[int(np.argmax(votes))]
    for _ in range(5):  # Gauss-Newton on the inliers' pixel errors, numeric Jacobian
        inl = np.linalg.norm(_predict(best[None], p, geometry)[0] - cur_px, axis=1) < tol
        if inl.sum() < 2:
            break
        eps = np.array([[0.0, 0.0], [1e-4, 0.0], [0.0, 1e-6]])
        pred = _predict(best + eps, p[inl], geometry)
        r = (cur_px[inl] - pred[0]).reshape(-1)
        jac = np.stack([(pred[1] - pred[0]).reshape(-1) / 1e-4, (pred[2] - pred[0]).reshape(-1) / 1e-6], 1)
        delta = np.linalg.lstsq(jac, r, rcond=None)[0]
        best = best + delta
        if np.all(np.abs(delta) < [1e-5, 1e-7]):
            break
    inl = np.linalg.norm(_predict(best[None], p, geometry)[0] - cur_px, axis=1) < tol
    if inl.sum() < max(min_inliers, min_fraction * len(p)) or not np.all(np.isfinite(best)):
        return None
    return GroundStep(float(best[0]), float(best[1]), int(inl.sum()))


def fit_horizon(flow: Sequence[np.ndarray], geometry: CameraGeometry, spread: float = 0.12,
                samples: int = 24, min_pairs: int = 5) -> CameraGeometry:
    """``geometry`` with the horizon row under which the road corners of ``flow`` fit rigid steps best.

    A wrong horizon bends the ground: corners then agree on no rigid step (a homography would still fit,
    which is why it hides the error). Candidates lie within ``spread`` x H of the current row, 1 % of H apart;
    each is scored by the corners that agree with their pair's best step, over up to ``samples`` evenly spread
    frame pairs whose corners moved by more than 1 % of the image height (at least ``min_pairs`` of them, else
    nothing changes). The current row stays unless a candidate gets 10 % more agreeing corners.

    Args:
        flow: per frame pair, (N, 4) ``[u0, v0, u1, v1]`` road corners (`track_road_corners`).
        geometry: the camera so far.

    Returns:
        The camera, horizon refitted or unchanged.
    """
    # Only pairs where the road visibly moved: standing still fits every horizon (and a passing lorry then wins).
    height = geometry.size[1]
    usable = [f for f in flow
              if len(f) >= 8 and np.median(np.linalg.norm(f[:, 2:] - f[:, :2], axis=1)) > 0.01 * height]
    if len(usable) < min_pairs:
        return geometry
    pick = [usable[i] for i in np.unique(np.linspace(0, len(usable) - 1, min(samples, len(usable))).astype(int))]
    rows = geometry.horizon + np.arange(-round(spread * 100), round(spread * 100) + 1) / 100 * height
    rows = rows[(rows > 0.2 * height) & (rows < 0.8 * height)]

    def score(row: float) -> int:
        cam = dataclasses.replace(geometry, horizon=float(row))
        steps = [fit_ground_step(f[:, :2], f[:, 2:], cam, min_fraction=0.0) for f in pick]
        return sum(s.inliers for s in steps if s is not None)

    scores = np.array([score(r) for r in rows])
    current = score(geometry.horizon)
    best = int(np.argmax(scores))
    return dataclasses.replace(geometry, horizon=float(rows[best])) if scores[best] > 1.1 * current else geometry


def _running_median(values: np.ndarray, window: int) -> np.ndarray:
    half = max(window // 2, 1)
    padded = np.pad(values, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)


def ego_series(steps: Sequence[GroundStep | None], fps: float, max_speed: float = MAX_SPEED,
               max_yaw_rate: float = MAX_YAW_RATE, window_s: float = 1.0,
               jump: float = 3.0) -> tuple[np.ndarray, np.ndarray, dict]:
    """Per-step speed (m/s) and yaw rate (rad/s) from fitted steps: implausible ones dropped, gaps filled, smoothed.

    A step is dropped when it is missing, faster than ``max_speed`` or turning faster than ``max_yaw_rate``, or
    when its speed is more than ``jump`` m/s plus 25 % away from the median of the kept steps within
    ``window_s`` (a car's speed cannot jump between frames). Dropped steps are interpolated from the kept ones;
    the series is then averaged over half of ``window_s``.

    Args:
        steps: per frame pair, the fitted step (metres, radians per frame) or None.
        fps: the frame rate the steps are taken at.

    Returns:
        (speed (S,), yaw rate (S,), report): the report holds ``steps``, ``kept``, ``median_speed_mps``
        (over the fitted steps, before any rejection), ``too_fast`` (fitted steps over the limits) and, when
        more than a quarter of the fitted steps are too fast, the median speed is over `FAST_MEDIAN`, more
        than a third of the others jump, or at most a quarter of all steps are kept, ``warning`` naming the
        likely causes.
    """
    n = len(steps)
    fwd = np.array([s.forward if s is not None else np.nan for s in steps], np.float64) * fps
    yaw = np.array([s.yaw if s is not None else np.nan for s in steps], np.float64) * fps
    fitted = np.isfinite(fwd)
    plausible = (np.abs(np.nan_to_num(fwd)) <= max_speed) & (np.abs(np.nan_to_num(yaw)) <= max_yaw_rate)
    keep = fitted & plausible
    window = max(3, int(round(window_s * fps)) | 1)
    if keep.sum() >= 3:
        idx = np.flatnonzero(keep)
        local = _running_median(np.interp(np.arange(n), idx, fwd[idx]), window)
        keep &= np.abs(np.nan_to_num(fwd) - local) <= jump + 0.25 * np.abs(local)
    too_fast = int((fitted & ~plausible).sum())
    report = {"steps": n, "fitted": int(fitted.sum()), "too_fast": too_fast, "kept": int(keep.sum()),
              "median_speed_mps": round(float(np.median(fwd[fitted])), 2) if fitted.any() else None}
    if too_fast > 0.25 * max(fitted.sum(), 1):
        report["warning"] = (f"ego motion from frames: {too_fast} of {int(fitted.sum())} fitted frame pairs move "
                             f"faster than a car can at {fps:g} fps (over {max_speed:g} m/s or {max_yaw_rate:g} "
                             f"rad/s; median {report['median_speed_mps']} m/s): the frames were probably captured at a lower rate "
                             f"than the container's (keyframes written into a faster video); give the capture rate "
                             f"(--capture-fps)")
    elif report["median_speed_mps"] is not None and abs(report["median_speed_mps"]) > FAST_MEDIAN:
        report["warning"] = (f"ego motion from frames: median speed {report['median_speed_mps']} m/s at {fps:g} fps, "
                             f"faster than nearly any road allows ({FAST_MEDIAN:g} m/s = {FAST_MEDIAN * 3.6:g} km/h): "
                             f"if the frames were captured at a lower rate than the container's (keyframes written "
                             f"into a faster video), give the capture rate (--capture-fps)")
    elif fitted.sum() >= 6 and fitted.sum() - too_fast - keep.sum() > (fitted.sum() - too_fast) / 3:
        jumps = int(fitted.sum() - too_fast - keep.sum())
        report["warning"] = (f"ego motion from frames: the speed jumps between neighbouring frame pairs more than a "
                             f"car's can at {fps:g} fps in {jumps} of {int(fitted.sum()) - too_fast} plausible steps "
                             f"(median {report['median_speed_mps']} m/s): the frames were probably captured at a "
                             f"lower rate than the container's (keyframes written into a faster video; give it "
                             f"with --capture-fps), or the road corners are unreliable")
    elif n and keep.sum() <= 0.25 * n:
        report["warning"] = (f"ego motion from frames: only {int(keep.sum())} of {n} frame pairs gave a plausible "
                             f"ground motion at {fps:g} fps (median of the fitted ones: "
                             f"{report['median_speed_mps']} m/s); the road has too few trackable corners or moves "
                             f"too far between frames; if the frames were captured at another rate than the "
                             f"container's (keyframes written into a faster video), give it (--capture-fps); or give "
                             f"the ego motion as a CSV, or --ego-motion tracks")
    if not keep.any():
        return np.zeros(n), np.zeros(n), report
    idx = np.flatnonzero(keep)
    speed = np.interp(np.arange(n), idx, fwd[idx])
    rate = np.interp(np.arange(n), idx, yaw[idx])
    smooth = max(1, int(round(window_s * fps / 2)))
    kernel = np.ones(smooth) / smooth
    pad = (smooth // 2, smooth - 1 - smooth // 2)
    speed = np.convolve(np.pad(speed, pad, mode="edge"), kernel, mode="valid")
    rate = np.convolve(np.pad(rate, pad, mode="edge"), kernel, mode="valid")
    return speed, rate, report
