"""Ground-plane motion (UCMCTrack, Yi et al., AAAI 2024): tracks move on the road, not in the image.

A box is measured by the point where it stands on the ground, the centre of its bottom edge, mapped through a
homography from image pixels to ground metres. The pixel uncertainty of that point is carried through the
mapping's Jacobian (UCMCTrack's Correlated Measurement Distribution, CMD), so far-away objects get long, rotated
covariance ellipses along the viewing ray. The filter is a constant-velocity model on the ground whose process
noise is that of a random acceleration (UCMCTrack's Process Noise Compensation, PNC), in seconds, so ``fps``
matters. Association compares a detection with a track by the Mapped Mahalanobis Distance (MMD,
`roadtrack.association.ucmc.mapped_mahalanobis`).

Geometry comes from camera intrinsics and extrinsics (`GroundPlane.from_camera`), from a 3 x 3 image-to-ground
homography (`GroundPlane(H)`), or, for a forward-looking road camera with unknown calibration, from the image
size alone (`GroundPlane.road_camera`, documented there).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from roadtrack.core import register
from roadtrack.core.gating import pairwise_mahalanobis_2d
from roadtrack.kalman.base import LinearKalman

# The default road camera (`GroundPlane.road_camera`): lens height above the road (metres), down-tilt (degrees) and
# the smallest pixel distance of a mapped point below the horizon.
ROAD_CAMERA_HEIGHT = 1.5
ROAD_CAMERA_PITCH = 0.0
HORIZON_MARGIN = 2.0


@dataclasses.dataclass(frozen=True, eq=False)
class GroundPlane:
    """A homography between image pixels and ground-plane metres.

    ``[X, Y, 1] ~ image_to_ground @ [u, v, 1]``. The homography's third row is the horizon: points with
    ``(image_to_ground @ [u, v, 1])[2] <= 0`` lie on or above it and have no ground position. Such points (boxes
    whose bottom edge is above the horizon, or within ``horizon_margin`` pixels of it) are moved to
    ``horizon_margin`` pixels below the horizon along its normal, so they map to a finite, far point instead of
    infinity or a point behind the camera.

    The overall sign of a homography is arbitrary; it is normalised so that the third component grows downwards
    in the image (the ground is below the horizon for an upright camera), or, for a top-down view whose third
    row is constant, so that it is positive.

    Attributes:
        image_to_ground: (3, 3) float64 homography, pixels -> metres.
        horizon_margin: smallest distance in pixels between a mapped point and the horizon line.
    """

    image_to_ground: np.ndarray
    horizon_margin: float = HORIZON_MARGIN

    def __post_init__(self) -> None:
        h = np.array(self.image_to_ground, np.float64)
        if h.shape != (3, 3) or not np.isfinite(h).all():
            raise ValueError(f"image_to_ground: expected a finite (3, 3) homography, got shape {h.shape}")
        if abs(np.linalg.det(h)) < 1e-12 * max(1.0, np.abs(h).max() ** 3):
            raise ValueError("image_to_ground: the homography is singular")
        if self.horizon_margin < 0:
            raise ValueError(f"horizon_margin must be >= 0, got {self.horizon_margin}")
        flip = h[2, 1] < 0 or (h[2, 1] == 0 and h[2, 0] == 0 and h[2, 2] < 0)
        object.__setattr__(self, "image_to_ground", -h if flip else h)
        object.__setattr__(self, "ground_to_image", np.linalg.inv(self.image_to_ground))

    # ---- constructors ----------------------------------------------------------------------------
    @classmethod
    def from_camera(cls, intrinsics: np.ndarray, rotation: np.ndarray, translation: np.ndarray,
                    ground_z: float = 0.0, horizon_margin: float = HORIZON_MARGIN) -> "GroundPlane":
        """The plane ``Z = ground_z`` of a calibrated camera.

        Args:
            intrinsics: (3, 3) camera matrix K, pixels.
            rotation: (3, 3) world-to-camera rotation R; translation: (3,) world-to-camera translation t, metres
                (``x_cam = R x_world + t``; UCMCTrack's camera files store t in millimetres).
            ground_z: height of the ground plane in world coordinates, metres.

        Returns:
            The plane whose ground-to-image homography is ``K [r1, r2, ground_z * r3 + t]``.
        """
        k = np.asarray(intrinsics, np.float64).reshape(3, 3)
        r = np.asarray(rotation, np.float64).reshape(3, 3)
        t = np.asarray(translation, np.float64).reshape(3)
        ground_to_image = k @ np.column_stack([r[:, 0], r[:, 1], ground_z * r[:, 2] + t])
        return cls(np.linalg.inv(ground_to_image), horizon_margin)

    @classmethod
    def road_camera(cls, width: float, height: float, focal: float | None = None,
                    camera_height: float = ROAD_CAMERA_HEIGHT, pitch_deg: float = ROAD_CAMERA_PITCH,
                    horizon_margin: float = HORIZON_MARGIN) -> "GroundPlane":
        """A forward-looking road camera (dash cam) known only by its image size.

        Defaults, for when nothing is calibrated: focal length = image width in pixels (a 53 degree horizontal
        field of view, ``2 atan(1/2)``), principal point at the image centre, no roll, level (``pitch_deg`` 0, so
        the horizon is the middle row), lens ``camera_height`` 1.5 m above a flat road. Ground axes: X to the
        right, Y forward along the road, metres, origin below the camera.

        With pitch 0 a pixel ``(u, v)`` below the horizon ``cy`` lies on the road at
        ``Y = focal * camera_height / (v - cy)`` and ``X = (u - cx) * camera_height / (v - cy)``.

        Args:
            width, height: image size, pixels.
            focal: focal length, pixels; None: ``width``.
            camera_height: height of the lens above the road, metres.
            pitch_deg: downward tilt of the optical axis, degrees (the horizon moves up by ``focal * tan(pitch)``).
        """
        if width <= 0 or height <= 0 or camera_height <= 0:
            raise ValueError(f"road_camera: width, height and camera_height must be > 0, got {width}, {height}, "
                             f"{camera_height}")
        f = float(width if focal is None else focal)
        if f <= 0:
            raise ValueError(f"road_camera: focal must be > 0, got {focal}")
        k = np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])
        th = np.radians(pitch_deg)
        # Camera axes in world coordinates (X right, Y forward, Z up): x right, y down, z along the optical axis.
        rotation = np.array([[1.0, 0.0, 0.0], [0.0, -np.sin(th), -np.cos(th)], [0.0, np.cos(th), -np.sin(th)]])
        translation = -rotation @ np.array([0.0, 0.0, camera_height])
        return cls.from_camera(k, rotation, translation, 0.0, horizon_margin)

    # ---- mapping ---------------------------------------------------------------------------------
    def clamp_below_horizon(self, uv: np.ndarray) -> np.ndarray:
        """(N, 2) pixels -> (N, 2) pixels at least ``horizon_margin`` below the horizon (a copy)."""
        uv = np.asarray(uv, np.float64).reshape(-1, 2)
        line = self.image_to_ground[2]
        norm = np.hypot(line[0], line[1])
        if norm == 0.0:  # top-down view: no horizon in the image
            return uv.copy()
        gap = (uv @ line[:2] + line[2]) / norm  # signed pixel distance, positive below the horizon
        short = np.maximum(self.horizon_margin - gap, 0.0)
        return uv + short[:, None] * (line[:2] / norm)

    def to_ground(self, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map image points to the ground, with the mapping's Jacobian.

        Args:
            uv: (N, 2) image points, pixels (clamped below the horizon first).

        Returns:
            xy (N, 2) ground points, metres, and jacobian (N, 2, 2) ``d(X, Y) / d(u, v)``, metres per pixel.
        """
        uv = self.clamp_below_horizon(uv)
        h = self.image_to_ground
        b = uv @ h[:, :2].T + h[:, 2]  # (N, 3) homogeneous ground points
        gamma = 1.0 / b[:, 2]
        xy = b[:, :2] * gamma[:, None]
        # d(b_i / b_2) / du_j = h_ij / b_2 - b_i h_2j / b_2^2
        jac = gamma[:, None, None] * h[None, :2, :2] - (gamma**2)[:, None, None] * b[:, :2, None] * h[None, 2:3, :2]
        return xy, jac

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) ground points, metres -> (N, 2) image points, pixels (non-finite on the camera's own plane)."""
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        g = self.ground_to_image
        p = xy @ g[:, :2].T + g[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            return p[:, :2] / p[:, 2:3]


def footpoint(xyxy: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy boxes -> (N, 2) centres of their bottom edges ``((x1 + x2) / 2, y2)``, pixels."""
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    return np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2.0, xyxy[:, 3]], axis=1)


def footpoint_sigma(box_height: np.ndarray, u_ratio: float = 0.05, v_ratio: float = 0.05, u_max: float = 13.0,
                    v_max: float = 10.0, uv_min: float = 2.0) -> np.ndarray:
    """UCMCTrack's pixel standard deviations of a footpoint: a share of the box height, clipped.

    ``sigma_u = clip(u_ratio * h, uv_min, u_max)``, ``sigma_v = clip(v_ratio * h, uv_min, v_max)`` (UCMCTrack
    ``detector/mapper.py getUVError`` and ``util/run_ucmc.py`` arguments ``u_ratio``, ``v_ratio``, ``u_max``,
    ``v_max``). Both scale with the height ``h``, as in the reference.

    Args:
        box_height: (N,) box heights, pixels.

    Returns:
        (N, 2) float64 standard deviations (u, v), pixels.
    """
    h = np.asarray(box_height, np.float64).reshape(-1)
    return np.stack([np.clip(u_ratio * h, uv_min, u_max), np.clip(v_ratio * h, uv_min, v_max)], axis=1)


class GroundKalman(LinearKalman):
    """UCMCTrack's constant-velocity filter on the ground plane, over a batch of tracks.

    State (S=6): X, Y (footpoint on the ground, metres), w, h (box size, pixels), vX, vY (metres per second).
    Measurement (M=4): X, Y from the detection's footpoint and its w, h. Only X, Y, vX, vY are filtered; the size
    is copied from the latest matched detection (UCMCTrack keeps it only to draw and to warp the box) and its
    covariance block stays zero.

    Noise, as in UCMCTrack ``tracker/kalman.py`` with ``dt = 1 / fps``:
      * initial: ``P0 = diag(1, 1, 0, 0, vmax^2 / 3, vmax^2 / 3)`` (m^2, (m/s)^2);
      * process (PNC, random acceleration of variance wx, wy): per axis ``w * [[dt^4/4, dt^3/2], [dt^3/2, dt^2]]``
        on (position, velocity);
      * measurement (CMD): ``R = J diag(sigma_u^2, sigma_v^2) J^T`` with J the Jacobian of the image-to-ground
        mapping at the footpoint and the sigmas of `footpoint_sigma`; R belongs to each detection, so `update`
        computes it from the boxes.

    The update uses the Joseph form like `LinearKalman.update`; it is written here because R comes from the
    measurement, not from the state and is a full 2 x 2 matrix (a `LinearKalman` method doing the correction for a
    given innovation and a diagonal or full R would let both share it).

    Args:
        plane: the ground geometry (`GroundPlane`).
        fps: frame rate of the video, frames per second.
        wx, wy: process noise, variance of the acceleration along X and Y.
        vmax: largest expected speed, metres per second (sets the initial velocity variance).
        u_ratio, v_ratio, u_max, v_max, uv_min: footpoint pixel noise, see `footpoint_sigma`.

    Example:
        >>> plane = GroundPlane(np.diag([0.1, 0.1, 1.0]))  # top-down view, 10 cm per pixel
        >>> kf = GroundKalman(plane)
        >>> mean, cov = kf.initiate(np.array([[90.0, 60.0, 110.0, 100.0]]))
        >>> mean[0].tolist()
        [10.0, 10.0, 20.0, 40.0, 0.0, 0.0]
    """

    ndim_meas = 4
    velocity_of = (0, 1)
    POSITION, SIZE, VELOCITY = slice(0, 2), slice(2, 4), slice(4, 6)
    # The reference's MOT17/MOT20 settings (``util/run_ucmc.py make_args``), the defaults below.
    FPS, WX, WY, VMAX = 30.0, 0.1, 0.1, 0.5

    def __init__(self, plane: GroundPlane, fps: float = FPS, wx: float = WX, wy: float = WY, vmax: float = VMAX,
                 u_ratio: float = 0.05, v_ratio: float = 0.05, u_max: float = 13.0, v_max: float = 10.0,
                 uv_min: float = 2.0) -> None:
        if fps <= 0 or wx < 0 or wy < 0 or vmax <= 0:
            raise ValueError(f"GroundKalman: need fps > 0, wx, wy >= 0, vmax > 0; got {fps}, {wx}, {wy}, {vmax}")
        super().__init__()
        self.plane = plane
        self.dt = 1.0 / fps
        self.F[[0, 1], [4, 5]] = self.dt  # velocities are per second
        self.vmax = vmax
        self.sigma_args = dict(u_ratio=u_ratio, v_ratio=v_ratio, u_max=u_max, v_max=v_max, uv_min=uv_min)
        dt = self.dt
        q = np.zeros((6, 6))
        for pos, vel, w in ((0, 4, wx), (1, 5, wy)):
            q[pos, pos], q[pos, vel], q[vel, pos], q[vel, vel] = w * dt**4 / 4, w * dt**3 / 2, w * dt**3 / 2, w * dt**2
        self._q = q
        self._p0 = np.diag([1.0, 1.0, 0.0, 0.0, vmax**2 / 3.0, vmax**2 / 3.0])

    # ---- geometry --------------------------------------------------------------------------------
    def ground_measurements(self, xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 4) xyxy boxes -> ground footpoints (N, 2), metres, and their CMD covariances (N, 2, 2), m^2."""
        xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        xy, jac = self.plane.to_ground(footpoint(xyxy))
        sigma = footpoint_sigma(xyxy[:, 3] - xyxy[:, 1], **self.sigma_args)
        r = jac * (sigma**2)[:, None, :] @ np.swapaxes(jac, 1, 2)  # J diag(sigma^2) J^T
        return xy, r

    def project_ground(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, S) states, (T, S, S) covariances -> (T, 2) ground positions and (T, 2, 2) ``H P H^T`` (no R)."""
        return np.asarray(mean, np.float64)[:, self.POSITION], np.asarray(cov, np.float64)[:, :2, :2]

    # ---- LinearKalman hooks ----------------------------------------------------------------------
    def box_to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        xy, _ = self.plane.to_ground(footpoint(xyxy))
        return np.concatenate([xy, xyxy[:, 2:] - xyxy[:, :2]], axis=1)

    def state_to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        uv = self.plane.to_image(mean[:, self.POSITION])
        w, h = mean[:, 2], mean[:, 3]
        return np.stack([uv[:, 0] - w / 2.0, uv[:, 1] - h, uv[:, 0] + w / 2.0, uv[:, 1]], axis=1)

    def initial_cov(self, measurement: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._p0, (measurement.shape[0], 6, 6)).copy()

    def process_noise(self, mean: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._q, (mean.shape[0], 6, 6))

    def add_process_noise(self, cov: np.ndarray, mean: np.ndarray) -> None:
        cov += self._q  # UCMC's Q couples each position with its velocity: a full matrix

    def measurement_noise(self, mean: np.ndarray) -> np.ndarray:
        """(N, 4, 4): the CMD of the box each state predicts; a unit size block keeps `project` invertible."""
        out = np.zeros((mean.shape[0], 4, 4))
        out[:, :2, :2] = self.ground_measurements(self.state_to_xyxy(mean))[1]
        out[:, 2, 2] = out[:, 3, 3] = 1.0
        return out

    def warp_matrix(self, linear: np.ndarray) -> np.ndarray:
        """Not a linear map of this state: `warp` moves the footpoint through the image instead."""
        raise NotImplementedError("GroundKalman.warp maps through the image; there is no state warp matrix")

    # ---- MotionModel -----------------------------------------------------------------------------
    def update(self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray,
               scores: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Correct row i of ``mean`` (N, 6) / ``cov`` (N, 6, 6) with the (N, 4) xyxy box ``z[i]``.

        The ground block is a Kalman update with the detection's own CMD covariance; the size is replaced by
        the box's. ``scores`` is accepted for interface compatibility and unused (UCMCTrack has no NSA).
        """
        mean = np.array(mean, np.float64, copy=True)
        cov = np.asarray(cov, np.float64)
        if mean.shape[0] == 0:
            return mean, cov.copy()
        z = np.asarray(z, np.float64).reshape(-1, 4)
        xy, r = self.ground_measurements(z)
        innovation = xy - mean[:, self.POSITION]
        hp = cov[:, :2, :]  # H P with H selecting X, Y
        s = hp[:, :, :2] + r
        gain = np.swapaxes(np.linalg.solve(s, hp), 1, 2)  # (N, 6, 2) = P H^T S^-1
        mean += (gain @ innovation[:, :, None])[:, :, 0]
        i_kh = np.repeat(self._eye[None], mean.shape[0], axis=0)
        i_kh[:, :, :2] -= gain
        new_cov = i_kh @ cov @ np.swapaxes(i_kh, 1, 2) + gain @ r @ np.swapaxes(gain, 1, 2)
        mean[:, self.SIZE] = z[:, 2:] - z[:, :2]
        return mean, new_cov

    def warp(self, mean: np.ndarray, cov: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move the footpoints by an image affine camera motion, as UCMCTrack's ``Detector.cmc``.

        Each footpoint is drawn in the image with its box (centre half a height above it), the centre moves by
        ``affine`` and the height by its linear part, and the new bottom point goes back to the ground. Velocity,
        size and covariance are unchanged (as in the reference).

        Args:
            mean: (N, 6) states; cov: (N, 6, 6).
            affine: (2, 3) transform from the previous frame's pixels to the current frame's.
        """
        mean = np.array(mean, np.float64, copy=True)
        if mean.shape[0] == 0:
            return mean, np.array(cov, np.float64, copy=True)
        affine = np.asarray(affine, np.float64).reshape(2, 3)
        uv = self.plane.to_image(mean[:, self.POSITION])
        centre = uv - np.stack([np.zeros(len(uv)), mean[:, 3] / 2.0], axis=1)
        centre = centre @ affine[:, :2].T + affine[:, 2]
        size = mean[:, self.SIZE] @ affine[:, :2].T
        bottom = centre + np.stack([np.zeros(len(uv)), size[:, 1] / 2.0], axis=1)
        mean[:, self.POSITION] = self.plane.to_ground(bottom)[0]
        return mean, np.array(cov, np.float64, copy=True)

    def gating_distance(self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray) -> np.ndarray:
        """(T, D) squared ground Mahalanobis distances of (D, 4) boxes, each pair with ``S = H P H^T + R_d``.

        Gate with `CHI2INV95[2]`. UCMCTrack's association cost adds ``ln det S``
        (`roadtrack.association.ucmc.mapped_mahalanobis`).
        """
        det_xy, det_cov = self.ground_measurements(z)
        return pairwise_mahalanobis_2d(*self.project_ground(mean, cov), det_xy, det_cov)[0]


def ground_plane(homography: Any = None, camera: Mapping[str, Any] | None = None,
                 image_size: tuple[float, float] | None = None, focal: float | None = None,
                 camera_height: float = ROAD_CAMERA_HEIGHT, pitch_deg: float = ROAD_CAMERA_PITCH,
                 horizon_margin: float = HORIZON_MARGIN) -> GroundPlane | None:
    """The ground plane from at most one geometry source, or None when none is given.

    Args:
        homography: (3, 3) image-to-ground homography (nested lists are fine, e.g. from YAML).
        camera: ``{"intrinsics": K, "rotation": R, "translation": t}`` (optionally ``"ground_z"``), see
            `GroundPlane.from_camera`.
        image_size: (width, height) in pixels: the default road camera (`GroundPlane.road_camera`) with
            ``focal``, ``camera_height`` and ``pitch_deg``.

    Raises:
        ValueError: more than one source, or a malformed one.
    """
    given = [name for name, value in (("homography", homography), ("camera", camera), ("image_size", image_size))
             if value is not None]
    if len(given) > 1:
        raise ValueError(f"give one ground geometry, not {' and '.join(given)}")
    if homography is not None:
        return GroundPlane(np.asarray(homography, np.float64), horizon_margin)
    if camera is not None:
        if not isinstance(camera, Mapping) or not {"intrinsics", "rotation", "translation"} <= set(camera):
            raise ValueError("camera: expected a mapping with intrinsics, rotation and translation (metres)")
        unknown = set(camera) - {"intrinsics", "rotation", "translation", "ground_z"}
        if unknown:
            raise ValueError(f"camera: unknown key(s) {', '.join(sorted(unknown))}")
        return GroundPlane.from_camera(camera["intrinsics"], camera["rotation"], camera["translation"],
                                       camera.get("ground_z", 0.0), horizon_margin)
    if image_size is not None:
        if len(image_size) != 2:
            raise ValueError(f"image_size: expected (width, height), got {image_size!r}")
        return GroundPlane.road_camera(float(image_size[0]), float(image_size[1]), focal, camera_height, pitch_deg,
                                       horizon_margin)
    return None


@register("motion", "ground")
def ground_kalman(homography: Any = None, camera: Mapping[str, Any] | None = None,
                  image_size: tuple[float, float] | None = None, **options: Any) -> GroundKalman:
    """`GroundKalman` on the plane of one geometry source (see `ground_plane`).

    A bare motion model never sees a frame, so one source is required; the ``ucmctrack`` tracker preset can
    also take the image size from the first frame.

    Args:
        options: `ground_plane`'s road-camera options (``focal``, ``camera_height``, ``pitch_deg``,
            ``horizon_margin``) and `GroundKalman`'s (``fps``, ``wx``, ``wy``, ``vmax``, pixel noise).
    """
    plane_keys = ("focal", "camera_height", "pitch_deg", "horizon_margin")
    plane = ground_plane(homography, camera, image_size, **{k: options.pop(k) for k in plane_keys if k in options})
    if plane is None:
        raise ValueError("motion 'ground' needs a geometry: homography, camera or image_size")
    return GroundKalman(plane, **options)
