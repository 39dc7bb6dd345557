"""Deep OC-SORT's tracker parts (Maggiolino et al., ICIP 2023): camera-motion compensation of OC-SORT's
observation history and frozen filter state, and the dynamic-appearance EMA."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.deep_oc import warp_boxes
from roadtrack.trackers.history import ObservationHistory
from roadtrack.trackers.motion import ObservationCentricMotion
from roadtrack.trackers.table import TrackTable


class WarpedObservationCentricMotion(ObservationCentricMotion):
    """`ObservationCentricMotion` whose frozen state (``saved_mean``/``saved_cov``, the prior ORU replays from)
    moves with the camera like the live state, so a track re-found after a camera pan is replayed in the
    current frame's coordinates (Deep OC-SORT warps ``attr_saved`` the same way)."""

    def predict(self, t: TrackTable, warp: np.ndarray | None) -> None:
        if warp is not None and len(t):
            # Rows frozen this frame are overwritten by super() with the warped prediction; the others are moved.
            t.saved_mean, t.saved_cov = self.model.warp(t.saved_mean, t.saved_cov, warp)
        super().predict(t, warp)


@dataclasses.dataclass
class WarpedObservationHistory(ObservationHistory):
    """`ObservationHistory` that moves the observed boxes with the camera: the last observation (``last_xyxy``,
    which OCR matches and ORU replays from) and the ring of recent observations (``obs_xyxy``, which the
    direction of motion is measured from). Both corners of each box are mapped (`warp_boxes`); the unit
    ``velocity`` is not rotated (as in the reference)."""

    def warp(self, t: TrackTable, affine: np.ndarray) -> None:
        t.last_xyxy = warp_boxes(t.last_xyxy, affine)
        t.obs_xyxy = warp_boxes(t.obs_xyxy, affine)
