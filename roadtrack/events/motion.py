"""Image-plane motion of a tube, split into ego-motion and the agent's own motion.

For each tube frame t the motion is measured between frames a = t - k and b = t + k (clipped to the tube).
The ground-contact point (bottom centre of the box) of frame a is carried to frame b by the ground-plane
homography (`VideoObservations.homography`): that is where it would be if the agent stood still. The agent's
own motion is the difference between where it is and that prediction; the same holds for the log of the
box size (a static object grows exactly as the width of its ground footprint does).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.core import Tube
from roadtrack.events.observe import VideoObservations


@dataclasses.dataclass(frozen=True, eq=False)
class TubeMotion:
    """Motion of one tube, per frame; pixels of the tube's frames.

    Attributes:
        contact: (T, 2) bottom-centre point of each box.
        start: (T, 2) contact point of frame a carried to frame b as if static (ego-motion only).
        end: (T, 2) contact point at frame b.
        dt: (T,) b - a in frames (0 for a one-frame tube).
        raw: (T, 2) image velocity of the contact point, pixels per frame.
        own: (T, 2) velocity left after removing ego-motion, pixels per frame.
        ego: (T, 2) velocity a static point at the contact would have, pixels per frame.
        raw_scale, own_scale, ego_scale: (T,) d log(box size) per frame: observed, own, and ego-induced.
    """

    contact: np.ndarray
    start: np.ndarray
    end: np.ndarray
    dt: np.ndarray
    raw: np.ndarray
    own: np.ndarray
    ego: np.ndarray
    raw_scale: np.ndarray
    own_scale: np.ndarray
    ego_scale: np.ndarray


def _warp(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N, 3, 3) homographies applied to (N, 2) points."""
    p = np.einsum("nij,nj->ni", h, np.c_[points, np.ones(len(points))])
    return p[:, :2] / np.where(np.abs(p[:, 2:]) > 1e-9, p[:, 2:], 1e-9)


def tube_motion(tube: Tube, obs: VideoObservations, half_window: int = 2) -> TubeMotion:
    """Ego-compensated motion of a tube with contiguous frames.

    Args:
        tube: frames (T,), xyxy (T, 4) pixels.
        obs: the video's ground-plane homographies.
        half_window: k, frames either side of t the motion is measured over.

    Returns:
        `TubeMotion` with (T, ...) arrays.
    """
    n = len(tube)
    idx = np.arange(n)
    a, b = np.maximum(idx - half_window, 0), np.minimum(idx + half_window, n - 1)
    frames, box = tube.frames, tube.xyxy
    dt = (frames[b] - frames[a]).astype(np.float64)
    safe_dt = np.maximum(dt, 1.0)
    hom = obs.homography(frames[a], frames[b])
    left, right = box[:, [0, 3]], box[:, [2, 3]]
    pred_left, pred_right = _warp(hom, left[a]), _warp(hom, right[a])
    contact = (left + right) / 2
    start = (pred_left + pred_right) / 2
    end = contact[b]
    width = np.maximum(box[:, 2] - box[:, 0], 1.0)
    size = np.sqrt(width * np.maximum(box[:, 3] - box[:, 1], 1.0))
    raw_scale = (np.log(size[b]) - np.log(size[a])) / safe_dt
    pred_width = np.maximum(np.linalg.norm(pred_right - pred_left, axis=1), 1e-3)
    ego_scale = np.log(pred_width / width[a]) / safe_dt
    return TubeMotion(contact=contact, start=start, end=end, dt=dt,
                      raw=(end - contact[a]) / safe_dt[:, None], own=(end - start) / safe_dt[:, None],
                      ego=(start - contact[a]) / safe_dt[:, None], raw_scale=raw_scale,
                      own_scale=raw_scale - ego_scale, ego_scale=ego_scale)


@dataclasses.dataclass(frozen=True, eq=False)
class GroundMotion:
    """A tube's own motion over the ground, per frame (metres, seconds; X right, Z forward of the camera).

    Attributes:
        position: (T, 2) ground-contact point (X, Z), metres from the camera.
        velocity: (T, 2) own velocity (ego motion removed) in the current camera axes, m/s, smoothed.
        speed: (T,) norm of ``velocity``.
        heading: (T,) direction of ``velocity`` over the ground (the first frame's axes), radians,
            ``atan2(vx, vz)`` plus the ego's accumulated rotation; a left turn decreases it.
        turn_rate: (T,) d heading / dt, rad/s, smoothed (noise where the agent hardly moves).
        relative: (T, 2) velocity relative to the camera (ego motion not removed), m/s.
    """

    position: np.ndarray
    velocity: np.ndarray
    speed: np.ndarray
    heading: np.ndarray
    turn_rate: np.ndarray
    relative: np.ndarray


def _window_slope(values: np.ndarray, half: int) -> np.ndarray:
    """(T, D) least-squares slope per frame of ``values`` over the frames t - half .. t + half inside the tube."""
    n = len(values)
    out = np.zeros_like(values, dtype=np.float64)
    for t in range(n):
        lo, hi = max(0, t - half), min(n, t + half + 1)
        if hi - lo < 2:
            continue
        x = np.arange(lo, hi) - (lo + hi - 1) / 2
        y = values[lo:hi]
        out[t] = (x[:, None] * (y - y.mean(0))).sum(0) / (x ** 2).sum()
    return out


def physical_motion(tube: Tube, obs: VideoObservations, geometry, fps: float, half_window: int = 3,
                    smooth: int = 5, object_height: float | None = None,
                    turn_window: int | None = None) -> GroundMotion:
    """A tube's own motion over the ground, in metres and seconds.

    Each frame's ground-contact point (`CameraGeometry.ground`) is carried into the first frame's axes by the
    ego motion (``obs``); the velocity at frame t is the least-squares slope of those world positions over
    t - k .. t + k (k = ``half_window``), turned back into frame t's axes. The heading is the direction of
    the world velocity, its rate the slope of the heading over the same window.

    Args:
        tube: contiguous frames, boxes in pixels.
        obs: the video's ground homographies.
        geometry: a `roadtrack.events.geometry.CameraGeometry`.
        fps: frames per second.
        half_window: k, motion measured over t - k .. t + k.
        smooth: moving-average window (frames) on the turn rate.
        turn_window: half window (frames) of the heading-rate slope; default ``2 * half_window`` (headings
            of slow agents are noisy, and turns last seconds).
        object_height: the agent's typical height, metres (`CameraGeometry.ground_of_boxes`); None: the
            flat-road depth of the bottom edge alone.
    """
    from roadtrack.events.geometry import rotation_angle
    from roadtrack.events.tubes import moving_average

    n = len(tube)
    pos = geometry.ground_of_track(tube.xyxy, object_height)
    to_world = geometry.ground_motion(obs.homography(tube.frames, np.full(n, obs.first_frame)))
    world = np.einsum("nij,nj->ni", to_world, np.c_[pos, np.ones(n)])[:, :2]
    turned = rotation_angle(to_world)
    v_world = _window_slope(world, half_window) * fps
    c, s = np.cos(turned), np.sin(turned)
    # rotate by -turned: back from the first frame's axes into frame t's
    vx, vz = c * v_world[:, 0] - s * v_world[:, 1], s * v_world[:, 0] + c * v_world[:, 1]
    heading = np.unwrap(np.arctan2(v_world[:, 0], v_world[:, 1]))
    # the angle between the velocities turn_window frames before and after: no unwrapping of noisy headings
    k = 2 * half_window if turn_window is None else turn_window
    idx = np.arange(n)
    a, b = np.maximum(idx - k, 0), np.minimum(idx + k, n - 1)
    turned_by = np.arctan2(v_world[b, 0] * v_world[a, 1] - v_world[b, 1] * v_world[a, 0],
                           (v_world[b] * v_world[a]).sum(1))
    rate = moving_average(turned_by / np.maximum(b - a, 1) * fps, smooth)
    relative = _window_slope(pos, half_window) * fps
    return GroundMotion(pos, np.c_[vx, vz], np.hypot(vx, vz), heading, rate, relative)
