"""Trackers: one composed `MultiObjectTracker` and presets registered by name (``roadtrack.build("tracker", ...)``)."""

from roadtrack.trackers.presets import sort
from roadtrack.trackers.table import TrackTable
from roadtrack.trackers.tracker import Lifecycle, MultiObjectTracker

__all__ = ["Lifecycle", "MultiObjectTracker", "TrackTable", "sort"]
