"""Batched motion models (`roadtrack.core.MotionModel`): one Kalman filter, variants by noise and layout, and the
models of the newer presets (C-BIoU's average velocity, UCMC's ground plane)."""

from roadtrack.kalman.average_velocity import AverageVelocityMotion
from roadtrack.kalman.base import CHI2INV95, LinearKalman, gating_distance
from roadtrack.kalman.ground import GroundKalman, GroundPlane
from roadtrack.kalman.hybrid import HybridSortKalman
from roadtrack.kalman.oru import observation_centric_reupdate
from roadtrack.kalman.variants import SortKalman, XYAHKalman, XYWHKalman
from roadtrack.kalman.xyhr import XYHRKalman

__all__ = [
    "CHI2INV95", "AverageVelocityMotion", "GroundKalman", "GroundPlane", "HybridSortKalman", "LinearKalman",
    "SortKalman", "XYAHKalman", "XYHRKalman", "XYWHKalman", "gating_distance", "observation_centric_reupdate",
]
