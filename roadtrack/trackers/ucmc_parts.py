"""UCMCTrack's tracker parts: the ground motion part, whose geometry may come from the first frame, and the tracker
that hands it that frame.

Geometry rule (first that applies):
  1. a configured geometry: ``homography``, ``camera`` or ``image_size`` (`roadtrack.kalman.ground.ground_plane`);
  2. otherwise the size of the first frame passed to `update` (the default road camera of that size);
  3. otherwise, when frames are never given (precomputed detections), the extent of the first non-empty frame's
     detections: width = the largest ``x2``, height = the largest ``y2``, rounded up. This is a documented guess,
     not a calibration: the horizon lands half-way down that extent. Give ``image_size`` when it is known.
A geometry found by rule 2 or 3 is kept until `reset` (tracks' states are in its metres); ``geometry_source`` says
which rule applied (``"configured"``, ``"frame"`` or ``"detections"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from roadtrack.core import Detections, Tracks
from roadtrack.kalman.ground import GroundKalman, GroundPlane
from roadtrack.trackers.motion import KalmanMotion
from roadtrack.trackers.table import Column, TrackTable
from roadtrack.trackers.tracker import MultiObjectTracker


class GroundMotion(KalmanMotion):
    """Motion part over `GroundKalman`, built once the ground plane is known.

    Args:
        plane: the configured plane, or None to take a road camera from the first frame or detections.
        road_camera: options of `GroundPlane.road_camera` for rules 2 and 3 (``focal``, ``camera_height``,
            ``pitch_deg``, ``horizon_margin``).
        noise: options of `GroundKalman` (``fps``, ``wx``, ``wy``, ``vmax``, pixel noise).
    """

    def __init__(self, plane: GroundPlane | None, road_camera: dict[str, Any] | None = None,
                 noise: dict[str, Any] | None = None) -> None:
        self.configured = plane
        self.road_camera = dict(road_camera or {})
        self.noise = dict(noise or {})
        GroundKalman(GroundPlane(np.eye(3)), **self.noise)  # bad noise options fail at build time, not frame 1
        self.model: GroundKalman | None = None
        self.geometry_source: str | None = None
        self.forget_geometry()

    def forget_geometry(self) -> None:
        """Back to the configured plane (or to none, to be found from the next frame or detections)."""
        if self.configured is None:
            self.model, self.geometry_source = None, None
        else:
            self.model, self.geometry_source = GroundKalman(self.configured, **self.noise), "configured"

    def find_geometry(self, frame: np.ndarray | None, detections: Detections) -> None:
        """Build the model from the frame's size, else from the detections' extent (rules 2 and 3)."""
        if self.model is not None:
            return
        if frame is not None:
            height, width = np.shape(frame)[:2]
            source = "frame"
        elif len(detections):
            width, height = np.ceil(detections.xyxy[:, 2].max()), np.ceil(detections.xyxy[:, 3].max())
            source = "detections"
        else:
            return  # nothing to track yet
        if width <= 0 or height <= 0:
            raise ValueError(f"ucmctrack: cannot guess an image size from detections reaching only ({width}, "
                             f"{height}); give image_size")
        plane = GroundPlane.road_camera(float(width), float(height), **self.road_camera)
        self.model, self.geometry_source = GroundKalman(plane, **self.noise), source

    def columns(self) -> dict[str, Column]:
        s = GroundKalman.ndim_meas + len(GroundKalman.velocity_of)
        return {"mean": Column((s,)), "cov": Column((s, s))}

    def boxes(self, t: TrackTable) -> np.ndarray:
        return np.zeros((0, 4)) if self.model is None else super().boxes(t)


class GroundTracker(MultiObjectTracker):
    """`MultiObjectTracker` whose `GroundMotion` may take its geometry from the first frame or detections."""

    motion: GroundMotion

    def reset(self) -> None:
        super().reset()
        self.motion.forget_geometry()

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        had_geometry = self.motion.model is not None
        self.motion.find_geometry(frame, detections)
        try:
            return super().update(detections, frame)
        except BaseException:
            if not had_geometry:  # a failed frame leaves the tracker as it was
                self.motion.forget_geometry()
            raise
