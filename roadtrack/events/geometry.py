"""Flat-road camera geometry: pixels <-> ground-plane metres, and ego motion as a ground-plane homography.

Camera coordinates on the road (metres): X to the right, Z forward along the optical axis, seen from above.
A level pinhole camera ``height`` metres above a flat road, focal length ``focal`` pixels, principal column
``cx`` and horizon row ``horizon`` (pixels) sees the ground point (X, Z) at

    u = cx + focal * X / Z,        v = horizon + focal * height / Z.

Angles on the ground are ``atan2(X, Z)`` (0 straight ahead, positive to the right). The ego vehicle's yaw is
positive to the LEFT (counter-clockwise seen from above, ISO 8855, as CAN and IMU yaw rates are), so when the
ego turns left by ``a`` every static point's angle grows by ``a`` (the scene slides right).

Defaults come from the image size, not from any particular camera: the horizon through the image centre
(a level camera with a centred principal point; the classifiers use the horizon the road users' boxes imply
instead when there are enough of them, `horizon_from_boxes`), ``focal = 1.1 * sqrt(W * H)`` (the KITTI, nuScenes and
Waymo front cameras have 1.06, 1.06 and 1.31 sqrt(W H); it ties the focal length to the sensor area, so
crops to a wide strip such as KITTI's 1242 x 375 keep a sensible value) and a 1.5 m mounting height
(a car's windscreen). Lateral offsets X do not depend on the focal length at all, only on the horizon and
height; depths and speeds scale with it.

Example:
    >>> cam = CameraGeometry.from_image((1000, 500), focal=800.0, camera_height=1.5)
    >>> cam.ground(np.array([[500.0, 310.0]])).round(2).tolist()    # 60 px below the horizon
    [[0.0, 20.0]]
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

DEFAULT_HORIZON = 0.5  # fraction of the image height
DEFAULT_FOCAL = 1.1  # times sqrt(width * height)
DEFAULT_CAMERA_HEIGHT = 1.5  # metres
MAX_DEPTH = 120.0  # metres: points at or above the horizon are put this far away
AGENT_HEIGHT = {"Ped": 1.75, "Car": 1.5, "Cyc": 1.75, "Mobike": 1.6, "SmalVeh": 1.5, "MedVeh": 2.1, "LarVeh": 3.2,
                "Bus": 3.2, "EmVeh": 2.3}
"""Typical heights of road users, metres (people 1.75 m; a car 1.5 m; a van 2.1 m; lorries and buses 3.2 m)."""


@dataclasses.dataclass(frozen=True)
class CameraGeometry:
    """A level camera over a flat road; all lengths in pixels except ``height`` (metres).

    Attributes:
        focal: focal length, pixels.
        cx: principal column, pixels.
        horizon: horizon row, pixels.
        height: mounting height above the road, metres.
        size: (width, height) of the image, pixels.
    """

    focal: float
    cx: float
    horizon: float
    height: float
    size: tuple[float, float]

    def __post_init__(self) -> None:
        if not (self.focal > 0 and self.height > 0 and 0 < self.horizon < self.size[1]):
            raise ValueError(f"need focal > 0, camera height > 0 and a horizon inside the image; got focal "
                             f"{self.focal}, height {self.height}, horizon {self.horizon} for size {self.size}")

    @classmethod
    def from_image(cls, size: tuple[float, float], focal: float | None = None, horizon: float | None = None,
                   camera_height: float | None = None) -> "CameraGeometry":
        """Geometry for an image of ``size`` (width, height) pixels.

        Args:
            size: (width, height), pixels.
            focal: focal length in pixels; default ``1.1 * sqrt(width * height)``.
            horizon: horizon row as a fraction of the image height; default 0.5.
            camera_height: metres above the road; default 1.5.
        """
        w, h = float(size[0]), float(size[1])
        f = DEFAULT_FOCAL * np.sqrt(w * h) if focal is None else float(focal)
        v0 = (DEFAULT_HORIZON if horizon is None else float(horizon)) * h
        return cls(f, w / 2, v0, DEFAULT_CAMERA_HEIGHT if camera_height is None else float(camera_height), (w, h))

    def ground(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) pixels (ground-contact points) -> (N, 2) ground (X, Z) metres; Z capped at `MAX_DEPTH`."""
        points = np.asarray(points, np.float64).reshape(-1, 2)
        below = np.maximum(points[:, 1] - self.horizon, self.focal * self.height / MAX_DEPTH)
        z = self.focal * self.height / below
        return np.stack([(points[:, 0] - self.cx) * z / self.focal, z], axis=1)

    def ground_of_boxes(self, xyxy: np.ndarray, object_height: float | np.ndarray | None = None) -> np.ndarray:
        """(N, 4) xyxy boxes -> (N, 2) ground (X, Z) of their bottom centres, metres.

        With ``object_height`` (metres, scalar or (N,)), the depth is the geometric mean of the flat-road
        depth of the bottom edge and the depth at which an object that tall is as tall as the box,
        f H / box height: their errors (slopes and pitch for the first, the spread of real heights for the
        second) are independent, so the mean halves the variance.
        """
        xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        bottom = np.c_[(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]]
        ground = self.ground(bottom)
        if object_height is None:
            return ground
        tall = self.focal * np.asarray(object_height, np.float64) / np.maximum(xyxy[:, 3] - xyxy[:, 1], 1.0)
        z = np.minimum(np.sqrt(ground[:, 1] * np.minimum(tall, MAX_DEPTH)), MAX_DEPTH)
        return np.stack([(bottom[:, 0] - self.cx) * z / self.focal, z], axis=1)

    def ground_of_track(self, xyxy: np.ndarray, object_height: float | None = None) -> np.ndarray:
        """(T, 4) boxes of ONE object over time -> (T, 2) ground (X, Z) of their bottom centres, metres.

        An object keeps its height, so its depth is f H / (box height) with one H for the whole track:
        the median over its frames of (flat-road depth of the bottom edge) x (box height) / f, taken as a
        geometric mean with ``object_height`` when given. Depth changes then come from the box height alone,
        which neither a bumpy road nor a hidden bottom edge (a parked car behind another) disturbs.
        """
        xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        bottom = np.c_[(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]]
        tall = np.maximum(xyxy[:, 3] - xyxy[:, 1], 1.0)
        inside = xyxy[:, 3] < self.size[1] - 2
        rows = self.ground(bottom[inside] if inside.any() else bottom)[:, 1] * tall[inside if inside.any() else
                                                                                   slice(None)] / self.focal
        height = float(np.median(rows))
        if object_height is not None:
            height = float(np.sqrt(height * object_height))
        z = np.minimum(self.focal * height / tall, MAX_DEPTH)
        return np.stack([(bottom[:, 0] - self.cx) * z / self.focal, z], axis=1)

    def pixels(self, ground: np.ndarray) -> np.ndarray:
        """(N, 2) ground (X, Z) metres, Z > 0 -> (N, 2) pixels."""
        ground = np.asarray(ground, np.float64).reshape(-1, 2)
        z = np.maximum(ground[:, 1], 1e-6)
        return np.stack([self.cx + self.focal * ground[:, 0] / z, self.horizon + self.focal * self.height / z], 1)

    @property
    def to_ground(self) -> np.ndarray:
        """(3, 3) homography from pixels (u, v, 1) to homogeneous ground (X, Z, 1)."""
        f, h = self.focal, self.height
        return np.array([[h, 0.0, -self.cx * h], [0.0, 0.0, f * h], [0.0, 1.0, -self.horizon]])

    def pixel_homography(self, ground_motion: np.ndarray) -> np.ndarray:
        """(..., 3, 3) ground-plane motions (homogeneous (X, Z, 1)) -> the same motions on ground pixels."""
        g = self.to_ground
        return np.linalg.inv(g) @ ground_motion @ g

    def ground_motion(self, pixel_homography: np.ndarray) -> np.ndarray:
        """Inverse of `pixel_homography`: (..., 3, 3) motions of ground pixels -> motions of ground (X, Z, 1)."""
        g = self.to_ground
        m = g @ pixel_homography @ np.linalg.inv(g)
        return m / m[..., 2:, 2:]


def horizon_from_boxes(boxes: Sequence[np.ndarray], heights: Sequence[float | None], size: tuple[float, float],
                       camera_height: float | None = None, min_boxes: int = 10) -> float | None:
    """The horizon row (fraction of the image height) that the road users' boxes imply, or None.

    On a flat road an object H metres tall whose box has bottom row v_b and height h pixels stands where
    v_b - v0 = h * camera_height / H (both the bottom's drop below the horizon and the box height scale as
    focal / depth), so v0 = v_b - h * camera_height / H; the median over every box of an agent with a
    typical height (`AGENT_HEIGHT`) whose bottom is inside the image. For a car as tall as the camera is high,
    that is simply the car's roof line.

    Args:
        boxes: per tube, (T, 4) xyxy pixels.
        heights: per tube, the agent's typical height in metres, or None (not used).
        size: (width, height) of the image, pixels.
        camera_height: metres (default `DEFAULT_CAMERA_HEIGHT`).
        min_boxes: fewer usable boxes give None.

    Returns:
        The horizon as a fraction of the image height, clipped to [0.3, 0.7], or None.
    """
    cam = DEFAULT_CAMERA_HEIGHT if camera_height is None else camera_height
    rows = []
    for box, tall in zip(boxes, heights):
        if tall is None or len(box) == 0:
            continue
        inside = box[:, 3] < size[1] - 2  # a cut-off bottom is not the ground contact
        rows.append(box[inside, 3] - (box[inside, 3] - box[inside, 1]) * cam / tall)
    rows = np.concatenate(rows) if rows else np.zeros(0)
    if len(rows) < min_boxes:
        return None
    return float(np.clip(np.median(rows) / size[1], 0.3, 0.7))


def rotation_angle(ground_motion: np.ndarray) -> np.ndarray:
    """(...,) angle a ground motion adds to every direction, radians (`ego_step`'s ``yaw`` for a static scene)."""
    return np.arctan2(ground_motion[..., 0, 1], ground_motion[..., 0, 0])


def ego_step(forward: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """(N, 3, 3) motions of static ground points, in camera coordinates, when the ego advances and turns.

    The camera moves ``forward`` metres along its own Z axis, then turns ``yaw`` radians to the left; a static
    point p (X, Z) of the earlier frame is at ``R(yaw) (p - (0, forward))`` in the later frame's coordinates,
    where R adds ``yaw`` to the point's angle.
    """
    forward, yaw = np.broadcast_arrays(np.asarray(forward, np.float64), np.asarray(yaw, np.float64))
    c, s = np.cos(yaw.reshape(-1)), np.sin(yaw.reshape(-1))
    out = np.zeros((c.size, 3, 3))
    out[:, 0, 0], out[:, 0, 1], out[:, 1, 0], out[:, 1, 1], out[:, 2, 2] = c, s, -s, c, 1.0
    out[:, 0, 2] = -s * forward.reshape(-1)
    out[:, 1, 2] = -c * forward.reshape(-1)
    return out
