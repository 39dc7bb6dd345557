"""roadtrack: multi-object tracking and road-event detection for road-scene video.

    >>> from roadtrack import Pipeline
"""

from importlib.metadata import PackageNotFoundError, version

from roadtrack.core import (
    Detections, Detector, Embedder, EventClassifier, Matches, MotionModel, Tracker, Tracks, TrackState, Tube,
    available, build, register,
)
from roadtrack import _builtins

# The registry (bottom layer) does not import the stage packages; the top package tells it how to load them.
# Importing any roadtrack module runs this file first, so the loaders are in place before any look-up.
_builtins.install()

try:
    __version__ = version("roadtrack")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"


def __getattr__(name: str):
    # Pipeline pulls in every stage and OpenCV; load it on first use so `import roadtrack` stays light.
    if name in ("Pipeline", "Result", "FrameResult"):
        from roadtrack import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'roadtrack' has no attribute {name!r}")


__all__ = [
    "Pipeline", "Result", "FrameResult",
    "Detections", "Detector", "Embedder", "EventClassifier", "Matches", "MotionModel", "Tracker", "Tracks",
    "TrackState", "Tube", "available", "build", "register", "__version__",
]
