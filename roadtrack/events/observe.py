"""What event classifiers look at in the pixels: ego-motion of the ground plane and the colours in each box.

One pass over the video gives, per frame, the homography that carries ground-plane pixels of the previous
frame to this one (camera-motion compensation: a static object's ground-contact point moves exactly as this
homography predicts, so what is left over is the object's own motion), and, per tube frame, a colour
descriptor of the box (lamp colours of traffic lights, brake lights and indicators).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import cv2
import numpy as np

from roadtrack.core import Tube
from roadtrack.events.ground_ego import match_road_corners, road_mask, track_road_corners

WORK_WIDTH = 320.0  # pixels: ego motion is estimated on frames shrunk to this width (faster, as good)
CELLS = 3  # the box is described on a CELLS x CELLS grid
BANDS = ("red", "amber", "green", "white")
APPEARANCE_DIM = CELLS * CELLS * (3 + len(BANDS))
"""Length of a box's colour descriptor: per grid cell, mean B, G, R in [0, 1] and the fraction of lit red,
amber, green and white pixels."""


@dataclasses.dataclass(frozen=True, eq=False)
class VideoObservations:
    """Per-frame ego-motion and per-tube-frame appearance.

    Attributes:
        first_frame: frame number of row 0 of ``to_first``.
        to_first: (F, 3, 3) homography taking ground-plane pixels of frame ``first_frame + i`` to
            ``first_frame`` (identity when the video gave no estimate).
        size: (width, height) of the frames, pixels; None when no frames were seen.
        appearance: one (T, APPEARANCE_DIM) float32 array per tube (zeros where no pixels were seen).
        flow: per frame pair (``to_first`` row i to i + 1), the road corners tracked between them, (N, 4)
            ``[u0, v0, u1, v1]`` pixels of the full frame; None unless asked for (`observe_video`).
        repeated: per frame pair, True where the later frame repeats the earlier one; None unless ``flow`` is set.
        matches: per frame pair, road corners matched by descriptor (`match_road_corners`: large motions, where
            tracking fails), (N, 4) like ``flow``; None unless ``flow`` is set.
    """

    first_frame: int
    to_first: np.ndarray
    size: tuple[int, int] | None
    appearance: list[np.ndarray]
    flow: list[np.ndarray] | None = None
    repeated: np.ndarray | None = None
    matches: list[np.ndarray] | None = None

    def homography(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """(N, 3, 3) homographies carrying ground pixels of frames ``src`` (N,) to frames ``dst`` (N,)."""
        last = len(self.to_first) - 1
        a = np.clip(np.asarray(src) - self.first_frame, 0, last)
        b = np.clip(np.asarray(dst) - self.first_frame, 0, last)
        return np.linalg.inv(self.to_first[b]) @ self.to_first[a]


def blind_observations(tubes: Sequence[Tube]) -> VideoObservations:
    """Observations without pixels: no ego-motion (identity homographies) and zero appearance."""
    last = max((int(t.frames[-1]) for t in tubes if len(t)), default=1)
    return VideoObservations(1, np.tile(np.eye(3), (last, 1, 1)), None,
                             [np.zeros((len(t), APPEARANCE_DIM), np.float32) for t in tubes])


def size_from_boxes(tubes: Sequence[Tube]) -> tuple[float, float]:
    """A stand-in (width, height) when no frames were seen: the extent of the boxes, pixels."""
    boxes = np.concatenate([t.xyxy for t in tubes]) if tubes else np.ones((1, 4))
    return (float(max(boxes[:, 2].max(), 1.0)), float(max(boxes[:, 3].max(), 1.0)))


def observe_video(video: Any, tubes: Sequence[Tube], horizon: float = 0.4, max_points: int = 200,
                  motion: bool = True, keep_flow: bool = False) -> VideoObservations:
    """Scan a video once for ground-plane motion and box appearance.

    Args:
        video: anything `roadtrack.io.open_source` reads (path, `FrameSource`, iterable of BGR images), or None.
        tubes: tubes whose boxes (pixels) are described and masked out of the ego-motion estimate.
        horizon: image row (fraction of the height) above which features are ignored (sky and far scenery
            do not move with the ground plane).
        max_points: corners tracked per frame pair.
        motion: estimate the ego-motion (False: appearance only, identity homographies).
        keep_flow: also keep the tracked road corners and repeated frames (``flow``, ``repeated``) for a
            rigid ground fit (`roadtrack.events.ground_ego`); the homographies are then not fitted.
            Costs a descriptor match per frame pair at full resolution, on the road below ``horizon``.

    Returns:
        `VideoObservations`; without a video, `blind_observations`.
    """
    if video is None:
        return blind_observations(tubes)
    from roadtrack.io import open_source

    source = open_source(video)
    boxes_by_frame: dict[int, list[tuple[int, int, np.ndarray]]] = {}
    for ti, tube in enumerate(tubes):
        for row, frame in enumerate(tube.frames.tolist()):
            boxes_by_frame.setdefault(frame, []).append((ti, row, tube.xyxy[row]))
    appearance = [np.zeros((len(t), APPEARANCE_DIM), np.float32) for t in tubes]
    steps: list[np.ndarray] = []
    flow: list[np.ndarray] = []
    matches: list[np.ndarray] = []
    repeated: list[bool] = []
    first, size, prev, prev_boxes = None, None, None, np.zeros((0, 4))
    for frame in source:
        if frame.image is None:
            continue
        image = frame.image
        first = frame.index if first is None else first
        size = (image.shape[1], image.shape[0])
        entries = boxes_by_frame.get(frame.index, [])
        boxes = np.array([e[2] for e in entries]).reshape(-1, 4)
        if entries:
            desc = box_appearance(image, boxes)
            for (ti, row, _), d in zip(entries, desc):
                appearance[ti][row] = d
        # Ego-motion at <= 320 pixels wide: a few times faster, and the homography is as good at that scale.
        shrink = min(1.0, WORK_WIDTH / image.shape[1])
        grey = cv2.cvtColor(cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
                            if shrink < 1 else image, cv2.COLOR_BGR2GRAY)
        if prev is not None and not motion:
            steps.append(np.eye(3))
        elif prev is not None and keep_flow:
            both = np.concatenate([prev_boxes, boxes])
            flow.append(track_road_corners(prev, grey, road_mask(prev.shape, both * shrink, horizon), max_points)
                        / shrink)
            full = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            matches.append(match_road_corners(prev_full, full, road_mask(full.shape, both, horizon)))
            # a container that repeats frames to reach its nominal rate: no pixel changes at all
            repeated.append(bool(np.abs(prev.astype(np.int16) - grey).mean() < 0.5))
            steps.append(np.eye(3))
        elif prev is not None:
            small = _ground_motion(prev, grey, np.concatenate([prev_boxes, boxes]) * shrink, horizon, max_points,
                                   None)
            scale = np.diag([shrink, shrink, 1.0])
            steps.append(np.linalg.inv(scale) @ small @ scale if small is not None else
                         (steps[-1] if steps else np.eye(3)))
        prev, prev_boxes = grey, boxes
        prev_full = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if keep_flow else None
    if first is None:
        return blind_observations(tubes)
    to_first = np.empty((len(steps) + 1, 3, 3))
    to_first[0] = np.eye(3)
    for i, step in enumerate(steps):  # to_first[i + 1] = to_first[i] @ inv(step)
        to_first[i + 1] = to_first[i] @ np.linalg.inv(step)
    if keep_flow and motion:
        return VideoObservations(first, to_first, size, appearance, flow, np.array(repeated, bool), matches)
    return VideoObservations(first, to_first, size, appearance)


def _ground_motion(prev: np.ndarray, cur: np.ndarray, boxes: np.ndarray, horizon: float, max_points: int,
                   fallback: np.ndarray | None) -> np.ndarray | None:
    """Homography carrying ground pixels of ``prev`` to ``cur``, from corners outside agent boxes.

    Returns ``fallback`` when too few corners are tracked (the previous step is then reused: ego-motion is smooth).
    """
    mask = road_mask(prev.shape, boxes, horizon)
    points = cv2.goodFeaturesToTrack(prev, max_points, 0.01, 6, mask=mask, blockSize=5)
    if points is None or len(points) < 12:
        return fallback
    moved, status, _ = cv2.calcOpticalFlowPyrLK(prev, cur, points, None, winSize=(13, 13), maxLevel=2)
    ok = status.reshape(-1) == 1
    if ok.sum() < 12:
        return fallback
    matrix, inliers = cv2.findHomography(points[ok], moved[ok], cv2.RANSAC, 1.5)
    if matrix is None or inliers.sum() < 10 or not np.all(np.isfinite(matrix)):
        return fallback
    return matrix / matrix[2, 2]


def box_appearance(image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Colour descriptor of each box: per cell of a 3 x 3 grid, mean colour and lit-lamp fractions.

    Lit pixels are saturated and bright: red (hue < 8 or > 170), amber (12..30), green (40..90) in OpenCV's
    0..179 hue, and white (bright, unsaturated). Cell means come from an area-weighted resize of the crop.

    Args:
        image: (H, W, 3) uint8 BGR.
        boxes: (N, 4) xyxy pixels.

    Returns:
        (N, APPEARANCE_DIM) float32, cells in row-major order, each ``[B, G, R, red, amber, green, white]``.
    """
    h, w = image.shape[:2]
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    lo = np.clip(np.floor(boxes[:, :2]), 0, [w - 1, h - 1]).astype(int)
    hi = np.maximum(np.clip(np.ceil(boxes[:, 2:]), 0, [w, h]).astype(int), lo + 1)
    out = np.zeros((len(boxes), APPEARANCE_DIM), np.float32)
    for k, ((x1, y1), (x2, y2)) in enumerate(zip(lo.tolist(), hi.tolist())):
        crop = image[y1:y2, x1:x2]
        hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
        hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
        lit = (sat > 120) & (val > 140)
        planes = np.dstack([crop.astype(np.float32) / 255.0, lit & ((hue < 8) | (hue > 170)),
                            lit & (hue >= 12) & (hue <= 30), lit & (hue >= 40) & (hue <= 90),
                            (sat < 40) & (val > 215)]).astype(np.float32)
        cells = [cv2.resize(np.ascontiguousarray(planes[..., c:c + 4]), (CELLS, CELLS), interpolation=cv2.INTER_AREA)
                 for c in (0, 4)]  # OpenCV's area resize takes at most 4 channels
        out[k] = np.concatenate([c.reshape(CELLS, CELLS, -1) for c in cells], axis=2).reshape(-1)
    return out
