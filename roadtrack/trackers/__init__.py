"""Trackers: one composed `MultiObjectTracker` and presets registered by name (``roadtrack.build("tracker", ...)``)."""

from roadtrack.trackers.appearance import AppearanceMemory
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.presets import botsort, bytetrack, deepsort, ocsort, sort, strongsort
from roadtrack.trackers.table import TrackTable
from roadtrack.trackers.tracker import MultiObjectTracker

__all__ = [
    "AppearanceMemory", "Lifecycle", "MultiObjectTracker", "TrackTable", "botsort", "bytetrack", "deepsort",
    "ocsort", "sort", "strongsort",
]
