"""Data model, stage interfaces, the name registry and the ROAD label vocabularies (`roadtrack.core.labels`)."""

from roadtrack.core.detections import Detections
from roadtrack.core.interfaces import Associator, Detector, Embedder, EventClassifier, Matches, MotionModel, Tracker
from roadtrack.core.registry import available, build, register
from roadtrack.core.tracks import Tracks, TrackState, Tube
from roadtrack.core.view import TrackView

__all__ = [
    "Associator", "Detections", "Detector", "Embedder", "EventClassifier", "Matches", "MotionModel",
    "Tracker", "TrackView", "Tracks", "TrackState", "Tube", "available", "build", "register",
]
