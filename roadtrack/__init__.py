"""roadtrack: multi-object tracking and road-event detection for road-scene video.

    >>> from roadtrack import Pipeline
"""

from importlib.metadata import PackageNotFoundError, version

from roadtrack.core import (
    Detections, Detector, Embedder, EventClassifier, Matches, MotionModel, Tracker, Tracks, TrackState, Tube,
    available, build, register,
)

try:
    __version__ = version("roadtrack")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "Detections", "Detector", "Embedder", "EventClassifier", "Matches", "MotionModel", "Tracker", "Tracks",
    "TrackState", "Tube", "available", "build", "register", "__version__",
]
