"""`TrackPart` and `DetectionStep`: the small interfaces through which tracker parts join a frame.

A tracker's motion part, association step and lifecycle are always there; any number of further parts (observation
history, appearance, a method's own per-track state) join the frame through the hooks of `TrackPart`, and at most
one `DetectionStep` may re-score or filter the detections once the tracks are predicted (BoostTrack's confidence
boost). Each hook has a do-nothing default, so a part implements only what it uses.
"""

from __future__ import annotations

import abc

import numpy as np

from roadtrack.core import Detections, TrackView
from roadtrack.trackers.table import Column, TrackTable


class TrackPart:
    """A part that owns columns of the track table and takes part in some steps of a frame, in this order:
    `warp` (camera motion, right after the motion part's prediction), `prepare` (before association), `view_fields`
    (what association steps may read), `update` (matched tracks, before the lifecycle records the update), `start`
    (new tracks).

    `warp` and `prepare` must replace column arrays rather than write into them (``t.x = f(t.x)``, not
    ``t.x[...] = ...``): a frame that fails before association is rolled back by restoring the old arrays.
    """

    def columns(self) -> dict[str, Column]:
        """The columns this part owns, by name."""
        return {}

    def reset(self) -> None:
        """Forget per-run state kept outside the table."""

    def warp(self, t: TrackTable, affine: np.ndarray) -> None:
        """Move this part's image-space columns by the (2, 3) camera motion of this frame."""

    def prepare(self, t: TrackTable) -> None:
        """Compute what this frame's association reads, after prediction (the counters are advanced)."""

    def view_fields(self, t: TrackView | TrackTable) -> dict[str, np.ndarray]:
        """`TrackView` fields this part supplies; names that are not `TrackView` fields go to ``TrackView.extra``."""
        return {}

    def update(self, t: TrackTable, rows: np.ndarray, dets: Detections, cols: np.ndarray) -> None:
        """Distinct track ``rows`` were matched to detections ``cols``."""

    def start(self, t: TrackTable, rows: np.ndarray, dets: Detections, new: np.ndarray) -> None:
        """Track ``rows`` were just started from detections ``new``."""


class DetectionStep(abc.ABC):
    """Re-scores or filters a frame's detections once the tracks are predicted, before embedding and association."""

    @abc.abstractmethod
    def refine(self, tracks: TrackView, detections: Detections) -> tuple[Detections, np.ndarray]:
        """Return the detections to associate and, (K,) int, the row of ``detections`` each comes from."""
