"""Ego motion for the event classifiers: from the frames, from a CSV of speed and yaw rate, or from the tracks.

Where it comes from (``ego=`` of `KinematicEventClassifier`, ``--ego-motion`` of ``roadtrack track``):

* ``frames``: corners tracked on the road (below the horizon, outside the agents' boxes,
  `roadtrack.events.observe`) give a rigid ground step (advance and yaw) per frame pair; implausible steps are
  dropped and the series smoothed (`roadtrack.events.ground_ego`). Needs pixels. When few steps are plausible
  (too little road texture, or frames captured at a lower rate than the container says), a warning says so
  and ``report`` / ``run.json`` record it.
* a CSV file: per-frame ego speed and yaw rate a user has from CAN, an IMU or odometry (`read_ego_csv`).
* ``tracks``: estimated from the tubes themselves (`ego_from_tracks`): most road users seen in a dash-cam
  clip are parked cars, standing people and road furniture, so the motion that most tracks share is the
  ego's. Fails when most visible agents move together (a queue driving at the ego's speed looks static).
* ``none``: a static camera.
* ``auto`` (the default): the CSV when given, else the frames when there are pixels, else the tracks.

Every source ends as `VideoObservations` (per-frame ground-plane homographies, `ego_observations`), which the
kinematic classifier and the learned classifier's features consume alike.

CSV format (`read_ego_csv`): a header row, then one row per frame; columns ``frame`` (the video's frame
numbers, as the tracks use them), ``speed_mps`` (forward speed, m/s, negative when reversing) and
``yaw_rate_rps`` (rad/s, positive turning LEFT, counter-clockwise seen from above, ISO 8855). Other
columns are ignored; frames between rows are interpolated, frames outside take the nearest row.

Example:
    >>> ego = EgoMotion(np.arange(1, 4), np.full(3, 10.0), np.zeros(3), "csv")
    >>> float(ego.forward(10.0)[0])    # metres per frame at 10 fps
    1.0
"""

from __future__ import annotations

import csv
import dataclasses
import os
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from roadtrack.core import Tube
from roadtrack.events.geometry import CameraGeometry, ego_step, rotation_angle
from roadtrack.events.ground_ego import ego_series, fit_ground_step, fit_horizon
from roadtrack.events.observe import APPEARANCE_DIM, VideoObservations

MAX_FIT_DEPTH = 40.0
"""Metres: road corners farther than this are not used for the ego motion (their depth is too uncertain)."""
EGO_SOURCES = ("auto", "frames", "tracks", "none")
"""Names ``ego=`` accepts besides a CSV path or an `EgoMotion`."""
CSV_COLUMNS = ("frame", "speed_mps", "yaw_rate_rps")


@dataclasses.dataclass(frozen=True, eq=False)
class EgoMotion:
    """Per-frame ego speed and yaw rate.

    Attributes:
        frames: (F,) int64 strictly increasing frame numbers.
        speed: (F,) forward speed, m/s.
        yaw_rate: (F,) yaw rate, rad/s, positive to the left.
        source: where it came from (``csv``, ``tracks``, ...), reported in ``run.json``.
    """

    frames: np.ndarray
    speed: np.ndarray
    yaw_rate: np.ndarray
    source: str

    def __post_init__(self) -> None:
        frames = np.asarray(self.frames, np.int64).reshape(-1)
        for name in ("speed", "yaw_rate"):
            value = np.asarray(getattr(self, name), np.float64).reshape(-1)
            if value.shape != frames.shape:
                raise ValueError(f"{name}: expected shape {frames.shape}, got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name}: must be finite")
            object.__setattr__(self, name, value)
        if len(frames) == 0 or np.any(np.diff(frames) <= 0):
            raise ValueError("frames: need at least one, strictly increasing")
        object.__setattr__(self, "frames", frames)

    def at(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(speed, yaw rate) at ``frames``: interpolated between rows, the nearest row outside them."""
        frames = np.asarray(frames, np.float64)
        return np.interp(frames, self.frames, self.speed), np.interp(frames, self.frames, self.yaw_rate)

    def forward(self, fps: float, frames: np.ndarray | None = None) -> np.ndarray:
        """Metres travelled per frame at ``frames`` (default: the rows' frames)."""
        return self.at(self.frames if frames is None else frames)[0] / fps


def read_ego_csv(path: str | os.PathLike) -> EgoMotion:
    """Read a per-frame ego-motion CSV (columns ``frame,speed_mps,yaw_rate_rps``; see the module doc).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a missing column, a value that is not a finite number (naming the line), a repeated
            frame, or no rows.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ego-motion CSV not found: {path}")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        header = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; need {','.join(CSV_COLUMNS)} "
                             f"(found: {','.join(header) or 'no header'})")
        rows = []
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): v for k, v in row.items() if k is not None}
            try:
                values = [float(row[c]) for c in CSV_COLUMNS]
            except (TypeError, ValueError):
                raise ValueError(f"{path}, line {line}: expected numbers in {','.join(CSV_COLUMNS)}, got "
                                 f"{[row.get(c) for c in CSV_COLUMNS]}") from None
            if not np.all(np.isfinite(values)) or values[0] != round(values[0]):
                raise ValueError(f"{path}, line {line}: frame must be an integer and speed and yaw rate finite, "
                                 f"got {values}")
            rows.append(values)
    if not rows:
        raise ValueError(f"{path}: no rows after the header")
    table = np.array(rows)
    order = np.argsort(table[:, 0], kind="stable")
    table = table[order]
    repeated = table[1:, 0][np.diff(table[:, 0]) == 0]
    if len(repeated):
        raise ValueError(f"{path}: frame {int(repeated[0])} appears more than once")
    return EgoMotion(table[:, 0].astype(np.int64), table[:, 1], table[:, 2], "csv")


def write_ego_csv(path: str | os.PathLike, ego: EgoMotion) -> Path:
    """Write ``ego`` in `read_ego_csv`'s format."""
    path = Path(path)
    with open(path, "w", newline="") as handle:
        handle.write(",".join(CSV_COLUMNS) + "\n")
        for f, s, y in zip(ego.frames.tolist(), ego.speed.tolist(), ego.yaw_rate.tolist()):
            handle.write(f"{f},{s:.4f},{y:.5f}\n")
    return path


def ego_observations(ego: EgoMotion, geometry: CameraGeometry, fps: float, first: int, last: int,
                     appearance: Sequence[np.ndarray]) -> VideoObservations:
    """Ground-pixel homographies of frames ``first..last`` from ``ego`` (speed, yaw rate) and ``geometry``."""
    frames = np.arange(first, last)  # step i carries frame first + i to first + i + 1
    speed, yaw_rate = ego.at(frames + 0.5)
    steps = geometry.pixel_homography(ego_step(speed / fps, yaw_rate / fps))
    to_first = np.empty((last - first + 1, 3, 3))
    to_first[0] = np.eye(3)
    for i, step in enumerate(steps):
        to_first[i + 1] = to_first[i] @ np.linalg.inv(step)
    return VideoObservations(first, to_first, None, list(appearance))


def ego_from_observations(obs: VideoObservations, geometry: CameraGeometry, fps: float) -> EgoMotion:
    """Speed and yaw rate implied by the frames' ground homographies (to report and compare sources)."""
    steps = geometry.ground_motion(obs.to_first[:-1] @ np.linalg.inv(obs.to_first[1:]))  # frame i -> i + 1
    yaw = rotation_angle(steps)
    # ego_step: translation = -R(yaw) (0, forward) -> forward = -(sin * tx + cos * tz)... solved for forward:
    forward = -(np.sin(yaw) * steps[:, 0, 2] + np.cos(yaw) * steps[:, 1, 2])
    frames = obs.first_frame + np.arange(len(steps) + 1)
    pad = lambda x: np.r_[x, x[-1:]] if len(x) else np.zeros(1)  # noqa: E731
    return EgoMotion(frames, pad(forward) * fps, pad(yaw) * fps, "frames")


def ego_from_tracks(tubes: Sequence[Tube], geometry: CameraGeometry, fps: float, half_window: int = 3,
                    smooth: int = 9, tolerance: float = 1.0,
                    heights: Sequence[float | None] | None = None) -> EgoMotion:
    """The ego's speed and yaw rate as the motion most tracks share (module doc), per frame.

    For every frame t and every tube seen at t - k and t + k (k = ``half_window``), the track's ground
    position (`CameraGeometry.ground_of_boxes`) and box height give the ego motion that would make it static:
    forward speed Z_b (height_b / height_a - 1) / (2k) per frame (a static object's height grows as its distance
    shrinks) and yaw from the change of its bearing atan2(X, Z) once that advance is removed. Per frame the
    estimate is the candidate that the most tracks agree with (within ``tolerance`` m/s plus 15 %, and
    0.05 rad/s for yaw), averaged over those that agree; frames without two tracks are interpolated, and
    the series is median-filtered over ``smooth`` frames (ego motion is smooth).

    Args:
        tubes: clean tubes, contiguous frames, boxes in pixels.
        geometry: the camera.
        fps: frames per second.
        heights: per tube, the agent's typical height in metres (`CameraGeometry.ground_of_boxes`) or None.

    Returns:
        `EgoMotion` with ``source="tracks"`` over the tubes' frame range (zeros without any estimate).
    """
    if not tubes:
        return EgoMotion(np.zeros(1, np.int64), np.zeros(1), np.zeros(1), "tracks")
    first = min(int(t.frames[0]) for t in tubes)
    last = max(int(t.frames[-1]) for t in tubes)
    frames_all, speed_c, yaw_c = [], [], []
    k = half_window
    for i, tube in enumerate(tubes):
        n = len(tube)
        if n < 2 * k + 1:
            continue
        box = tube.xyxy
        size = np.maximum(box[:, 3] - box[:, 1], 1.0)  # heights: widths change as vehicles turn
        pos = geometry.ground_of_track(box, None if heights is None else heights[i])
        a, b = np.arange(0, n - 2 * k), np.arange(2 * k, n)
        advance = pos[b, 1] * (size[b] / size[a] - 1.0)  # metres over 2k frames
        moved = pos[a] - np.c_[np.zeros(len(a)), advance]
        bearing_a = np.arctan2(moved[:, 0], np.maximum(moved[:, 1], 0.5))
        bearing_b = np.arctan2(pos[b, 0], pos[b, 1])
        span = (tube.frames[b] - tube.frames[a]).astype(np.float64)
        frames_all.append(tube.frames[a + k])
        speed_c.append(advance / span * fps)
        yaw_c.append((bearing_b - bearing_a) / span * fps)
    frames = np.arange(first, last + 1)
    if not frames_all:
        return EgoMotion(frames, np.zeros(len(frames)), np.zeros(len(frames)), "tracks")
    f, s, y = np.concatenate(frames_all), np.concatenate(speed_c), np.concatenate(yaw_c)
    order = np.argsort(f, kind="stable")
    f, s, y = f[order], s[order], y[order]
    bounds = np.flatnonzero(np.r_[True, np.diff(f) != 0, True])
    known, speed, yaw = [], [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi - lo < 2:
            continue
        known.append(f[lo])
        speed.append(_consensus(s[lo:hi], tolerance, 0.15))
        yaw.append(_consensus(y[lo:hi], 0.05, 0.0))
    if not known:
        return EgoMotion(frames, np.zeros(len(frames)), np.zeros(len(frames)), "tracks")
    speed_f = _median_filter(np.interp(frames, known, speed), smooth)
    yaw_f = _median_filter(np.interp(frames, known, yaw), smooth)
    return EgoMotion(frames, speed_f, yaw_f, "tracks")


def _consensus(values: np.ndarray, absolute: float, relative: float) -> float:
    """Mean of the largest group of values within ``absolute + relative * |v|`` of one of them."""
    tol = absolute + relative * np.abs(values)
    agree = np.abs(values[None, :] - values[:, None]) <= tol[:, None]
    best = int(np.argmax(agree.sum(1)))
    return float(np.median(values[agree[best]]))


def _median_filter(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(values) < 3:
        return values
    half = window // 2
    padded = np.pad(values, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)


def observe_ego(ego: "str | os.PathLike | EgoMotion", video: Any, tubes: Sequence[Tube], fps: float,
                geometry_of: Callable[[tuple[float, float]], CameraGeometry],
                image_size: tuple[float, float] | None = None,
                heights: Sequence[float | None] | None = None,
                report: dict | None = None, fit_horizon_to_road: bool = False,
                ) -> tuple[VideoObservations, CameraGeometry, str]:
    """One pass over ``video`` (when given) and the ego motion ``ego`` names (module doc).

    Args:
        ego: ``auto``, ``frames``, ``tracks``, ``none``, a CSV path or an `EgoMotion`.
        video: the frames (path, `FrameSource`, iterable of BGR images) or None.
        tubes: clean tubes, contiguous frames, boxes in pixels.
        fps: frames per second.
        geometry_of: builds the camera from the image size (width, height).
        image_size: used when there are no frames (default: the video's, else the boxes' extent).
        heights: per tube, the agent's typical height (metres) or None, for depths (`ego_from_tracks`).
        report: filled with what the frames gave (`ego_from_flow`), when the ego motion comes from them.
        fit_horizon_to_road: with ego motion from the frames, refit the horizon row to the road's motion
            (`fit_horizon`; pass True when the user gave no horizon); the returned camera carries it.

    Returns:
        (observations with ``size`` set, the camera, the source used: ``frames``, ``csv``, ``tracks`` or ``none``).

    Raises:
        ValueError: an unknown name, or ``frames`` without a video.
    """
    from roadtrack.events.observe import observe_video, size_from_boxes

    csv_path = None
    if isinstance(ego, EgoMotion):
        source = ego.source
    elif str(ego) in EGO_SOURCES:
        source = str(ego)
    elif str(ego).lower().endswith(".csv") or Path(str(ego)).is_file():
        csv_path, source = Path(ego), "csv"
    else:
        raise ValueError(f"ego motion {ego!r}: use one of {', '.join(EGO_SOURCES)} or a CSV file "
                         f"({','.join(CSV_COLUMNS)})")
    if source == "auto":
        source = "frames" if video is not None else "tracks"
    if source == "frames" and video is None:
        raise ValueError("ego motion 'frames' needs the video's frames; use 'tracks', 'none' or a CSV")
    given = read_ego_csv(csv_path) if csv_path is not None else ego if isinstance(ego, EgoMotion) else None
    known_size = image_size or getattr(video, "size", None)
    # Road corners are looked for where the rigid fit uses them: below the row of MAX_FIT_DEPTH metres.
    mask_row = 0.5
    if known_size is not None:
        cam = geometry_of(known_size)
        mask_row = min((cam.horizon + cam.focal * cam.height / MAX_FIT_DEPTH) / known_size[1], 0.9)
    frames = source == "frames"
    obs = observe_video(video, tubes, mask_row, motion=frames, keep_flow=frames) if video is not None else None
    size = (obs.size if obs is not None else None) or image_size or getattr(video, "size", None) \
        or size_from_boxes(tubes)
    geometry = geometry_of(size)
    appearance = obs.appearance if obs is not None else blank_appearance(tubes)
    if frames and obs is not None and obs.flow is not None:
        if fit_horizon_to_road:
            before = geometry.horizon
            geometry = fit_horizon(obs.flow, geometry)
            if report is not None:
                report["horizon_row"] = {"from_boxes_or_default": round(before, 1),
                                         "fitted": round(geometry.horizon, 1)}
        given = ego_from_flow(obs, geometry, fps, report)
        first, last = int(given.frames[0]), int(given.frames[-1])
        out = ego_observations(given, geometry, fps, first, last, appearance)
        return dataclasses.replace(out, size=tuple(size)), geometry, source
    if source == "frames":
        source = "none"  # an iterable without pixels: nothing to estimate from
    first = min((int(t.frames[0]) for t in tubes), default=1)
    last = max((int(t.frames[-1]) for t in tubes), default=1)
    if given is None:
        given = ego_from_tracks(tubes, geometry, fps, heights=heights) if source == "tracks" else \
            EgoMotion(np.array([first]), np.zeros(1), np.zeros(1), "none")
    out = ego_observations(given, geometry, fps, first, last, appearance)
    return dataclasses.replace(out, size=tuple(size)), geometry, source


def ego_from_flow(obs: VideoObservations, geometry: CameraGeometry, fps: float,
                  report: dict | None = None) -> EgoMotion:
    """Speed and yaw rate from the road corners ``obs.flow``: a rigid ground step per frame pair
    (`fit_ground_step`; from the descriptor matches ``obs.matches`` where the tracked corners give none),
    implausible ones dropped and the rest smoothed (`ego_series`).

    ``report`` (when given) gets `ego_series`'s report plus ``repeated_frames``; its ``warning`` (a frame rate
    that cannot be the capture rate, or too few usable frame pairs) is also raised as a `UserWarning`.
    """
    steps = []
    for i, tracked in enumerate(obs.flow or []):
        step = fit_ground_step(tracked[:, :2], tracked[:, 2:], geometry, MAX_FIT_DEPTH)
        if step is None and obs.matches is not None:  # moved too far to track: descriptor matches, mostly wrong
            matched = obs.matches[i]
            step = fit_ground_step(matched[:, :2], matched[:, 2:], geometry, MAX_FIT_DEPTH, min_inliers=12,
                                   min_fraction=0.05)
        steps.append(step)
    speed, yaw_rate, info = ego_series(steps, fps)
    repeated = int(np.sum(obs.repeated)) if obs.repeated is not None else 0
    info["repeated_frames"] = repeated
    if 0.25 * len(steps) < repeated < 0.9 * len(steps):  # all repeated: a still picture, not a padded video
        info["warning"] = (f"{repeated} of {len(steps)} frames repeat the previous one: the container's frame "
                           f"rate ({fps:g} fps) is not the capture rate, so per-frame ego speeds are unreliable")
    if "warning" in info:
        warnings.warn(info["warning"], stacklevel=3)
    if report is not None:
        report.update(info)
    frames = obs.first_frame + np.arange(len(steps) + 1)
    pad = lambda x: np.r_[x, x[-1:]] if len(x) else np.zeros(1)  # noqa: E731  (the last frame has no step)
    return EgoMotion(frames, pad(speed), pad(yaw_rate), "frames")


def blank_appearance(tubes: Sequence[Tube]) -> list[np.ndarray]:
    """Zero colour descriptors for tubes whose pixels were not looked at."""
    return [np.zeros((len(t), APPEARANCE_DIM), np.float32) for t in tubes]
