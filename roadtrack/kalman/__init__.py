"""Batched Kalman motion models (`roadtrack.core.MotionModel`): one filter, variants by noise and layout."""

from roadtrack.kalman.base import CHI2INV95, LinearKalman, gating_distance
from roadtrack.kalman.variants import SortKalman, XYAHKalman

__all__ = ["CHI2INV95", "LinearKalman", "SortKalman", "XYAHKalman", "gating_distance"]
