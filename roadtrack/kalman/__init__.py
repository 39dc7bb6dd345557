"""Batched Kalman motion models (`roadtrack.core.MotionModel`): one filter, variants by noise and layout."""

from roadtrack.kalman.base import CHI2INV95, LinearKalman, gating_distance
from roadtrack.kalman.ground import GroundKalman, GroundPlane
from roadtrack.kalman.oru import observation_centric_reupdate
from roadtrack.kalman.variants import SortKalman, XYAHKalman, XYWHKalman

__all__ = [
    "CHI2INV95", "GroundKalman", "GroundPlane", "LinearKalman", "SortKalman", "XYAHKalman", "XYWHKalman", "gating_distance",
    "observation_centric_reupdate",
]
