"""UCMCTrack (Yi et al., AAAI 2024): tracking on the ground plane, with camera motion absorbed by process noise."""

from __future__ import annotations

from typing import Any, Mapping

from roadtrack.association.ucmc import UCMCAssociator
from roadtrack.cmc import build_cmc
from roadtrack.core import register
from roadtrack.kalman.ground import HORIZON_MARGIN, ROAD_CAMERA_HEIGHT, ROAD_CAMERA_PITCH, GroundKalman, ground_plane
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.ucmc_parts import GroundMotion, GroundTracker

ROAD_SETTING = {"a": 100.0, "wx": 5.0, "wy": 5.0, "vmax": 10.0, "cdt": 10, "high_score": 0.5}
"""The reference's vehicle-demo values (``demo.py``: traffic video), for road video: cars move ~20x faster than
pedestrians and a dash cam moves. Use as ``roadtrack.build("tracker", "ucmctrack", **ROAD_SETTING)`` (the demo
also lowers the detector's ``conf_thresh`` to 0.01)."""


@register("tracker", "ucmctrack")
def ucmctrack(a: float = UCMCAssociator.a1, wx: float = GroundKalman.WX, wy: float = GroundKalman.WY,
              vmax: float = GroundKalman.VMAX, cdt: int = 30, high_score: float = UCMCAssociator.high_score,
              conf_thresh: float = 0.5, frame_rate: float = GroundKalman.FPS, image_size: tuple[int, int] | None = None,
              homography: Any = None, camera: Mapping[str, Any] | None = None, focal: float | None = None,
              camera_height: float = ROAD_CAMERA_HEIGHT, pitch_deg: float = ROAD_CAMERA_PITCH,
              horizon_margin: float = HORIZON_MARGIN, cmc: str | None = None,
              class_aware: bool = UCMCAssociator.class_aware) -> GroundTracker:
    """UCMCTrack (Yi, Luo, Luo, Huang, Wu, Hu, Hao, "UCMCTrack: Multi-Object Tracking with Uniform Camera Motion
    Compensation", AAAI 2024; reference corfyi/UCMCTrack, Python version).

    What it adds: each box is measured by its footpoint (bottom centre) mapped to the ground plane, with the pixel
    noise carried through the mapping's Jacobian (CMD, `roadtrack.kalman.ground.GroundKalman`); a
    constant-velocity filter in metres and seconds whose random-acceleration process noise absorbs camera motion
    (PNC, so no frame-by-frame CMC by default); association by the Mapped Mahalanobis Distance with its
    log-determinant (MMD, `roadtrack.association.ucmc.UCMCAssociator`): confirmed and coasted tracks with
    high-score detections, then the rest with low-score ones, then tentative tracks with the high-score
    detections left. Tracks start from unmatched high-score detections, are confirmed by their third detection
    (creating one included), tentative ones die on their first miss, coasted ones after ``cdt`` frames; the
    detection's box is reported.

    Defaults are the reference's MOT17/MOT20 runs (``util/run_ucmc.py make_args``): pedestrians. For road
    video use `ROAD_SETTING` (the reference's vehicle demo). BoxMOT ships no UCMCTrack; the reference is the peer.
    Where we differ from the reference: its detector's ``conf_thresh`` is an option here; ``class_aware`` (it
    has one class); a confirmed track unmatched in a frame always becomes coasted (the reference leaves it
    confirmed, and never deletes it, until a frame with a low-score detection); no offline steps (its ``--hp``
    retroactive boxes and linear interpolation).

    Geometry: at most one of ``homography``, ``camera``, ``image_size``; with none, a road camera of the first
    frame's size, or, without frames, of the first detections' extent (`roadtrack.trackers.ucmc_parts`). The
    default road camera (``focal`` = image width, lens ``camera_height`` 1.5 m above a flat road, level) is a
    guess for forward-looking road video, not a calibration; MOTChallenge cameras (raised, tilted, often
    static) do not fit it.

    Args:
        a: largest MMD of a match, all three steps (the reference's ``a1 = a2 = a``).
        wx, wy: process noise, variance of the acceleration along ground X and Y (m^2/s^4).
        vmax: largest expected speed (m/s); sets the initial velocity variance ``vmax^2 / 3``.
        cdt: a coasted track is deleted after ``cdt - 1`` frames without a detection (the reference deletes it
            once its ``death_count``, counting the frame of its last update as 1, reaches ``cdt``).
        high_score: detections scoring at least this are high-score (and only they start tracks).
        conf_thresh: detections scoring below it are ignored (the reference's detector filter).
        frame_rate: the video's frame rate; the filter runs in seconds.
        image_size: (width, height) of the video, pixels: the default road camera of that size.
        homography: (3, 3) image-to-ground homography (ground in metres).
        camera: ``{"intrinsics": K, "rotation": R, "translation": t_metres, "ground_z": z}`` (see
            `GroundPlane.from_camera`).
        focal, camera_height, pitch_deg, horizon_margin: the default road camera (`GroundPlane.road_camera`):
            focal length in pixels (None: the image width), lens height in metres, down-tilt in degrees, and the
            smallest pixel distance of a mapped footpoint below the horizon.
        cmc: frame-by-frame camera-motion compensation (``"sparse-flow"``, ``"ecc"``, ``"orb"``; the reference's
            ``--cmc``) or None; needs frames.
        class_aware: never match a track to a detection of another class (the reference has one class).

    Example:
        >>> import roadtrack
        >>> from roadtrack.trackers.presets.ucmctrack import ROAD_SETTING
        >>> tracker = roadtrack.build("tracker", "ucmctrack", image_size=(1242, 375), **ROAD_SETTING)
        >>> tracker.associator.a1, tracker.motion.geometry_source
        (100.0, 'configured')
    """
    if cdt < 2:
        raise ValueError(f"cdt must be >= 2 (a track lives at least the frame of its update), got {cdt}")
    if conf_thresh > high_score:
        raise ValueError(f"conf_thresh ({conf_thresh}) must not exceed high_score ({high_score})")
    road_camera = {"focal": focal, "camera_height": camera_height, "pitch_deg": pitch_deg,
                   "horizon_margin": horizon_margin}
    plane = ground_plane(homography, camera, image_size, **road_camera)
    return GroundTracker(
        motion=GroundMotion(plane, road_camera, {"fps": frame_rate, "wx": wx, "wy": wy, "vmax": vmax}),
        associator=UCMCAssociator(a1=a, a2=a, high_score=high_score, min_score=conf_thresh,
                                  class_aware=class_aware),
        lifecycle=Lifecycle(max_age=cdt - 2, min_hits=2, max_report_gap=0, report_warmup=False, keep_confirmed=True,
                            tentative_max_age=0, new_track_min_score=high_score, report_box="observation"),
        cmc=build_cmc(cmc),
    )
