"""Trackers: one `MultiObjectTracker` composed of parts, and presets registered by name
(``roadtrack.build("tracker", ...)``)."""

from roadtrack.trackers.appearance import Appearance
from roadtrack.trackers.history import ObservationHistory
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.motion import FrozenSizeMotion, KalmanMotion, ObservationCentricMotion
from roadtrack.trackers.multistream import MultiStreamTracker
from roadtrack.trackers.parts import DetectionStep, TrackPart
from roadtrack.trackers.presets import (
    boosttrack, botsort, bytetrack, cbiou, deepocsort, deepsort, fasttracker, hybridsort, ocsort, sort, strongsort,
    tracktrack, ucmctrack,
)
from roadtrack.trackers.table import Column, TrackTable
from roadtrack.trackers.tracker import MultiObjectTracker

__all__ = [
    "Appearance", "Column", "DetectionStep", "FrozenSizeMotion", "KalmanMotion", "Lifecycle", "MultiObjectTracker",
    "MultiStreamTracker",
    "ObservationCentricMotion", "ObservationHistory", "TrackPart", "TrackTable", "boosttrack", "botsort", "bytetrack",
    "cbiou", "deepocsort", "deepsort", "fasttracker", "hybridsort", "ocsort", "sort", "strongsort", "tracktrack",
    "ucmctrack",
]
