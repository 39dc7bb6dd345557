"""Road events: agent tubes from tracks, and event classifiers that label them (behind `EventClassifier`)."""

from roadtrack.events.tubes import TubeBuilder, tubes_from_tracks

__all__ = ["TubeBuilder", "tubes_from_tracks"]
