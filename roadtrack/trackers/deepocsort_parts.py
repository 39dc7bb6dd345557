"""Deep OC-SORT's tracker parts (Maggiolino et al., ICIP 2023): camera-motion compensation of OC-SORT's
observation history and frozen filter state, and the dynamic-appearance EMA."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.deep_oc import dynamic_appearance_alpha, dynamic_ema, warp_boxes
from roadtrack.core import Detections
from roadtrack.trackers.appearance import Appearance, _normalise
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


class DynamicAppearance(Appearance):
    """Deep OC-SORT's appearance memory: an EMA whose weight of the old feature depends on the detection's
    score, ``alpha = alpha_fixed + (1 - alpha_fixed) * (1 - (s - det_thresh) / (1 - det_thresh))``
    (`dynamic_appearance_alpha`): a barely confident (often occluded) detection hardly changes the track's look.
    New tracks take their detection's feature. Only detections above ``det_thresh`` are embedded.

    Args:
        det_thresh: the tracker's detection threshold (< 1).
        alpha_fixed: the old feature's weight for a detection scoring 1 (``alpha_fixed_emb``).
        embedder, lazy, refresh: as `Appearance`.
    """

    def __init__(self, det_thresh: float, alpha_fixed: float = 0.95, embedder=None, lazy: bool = False,
                 refresh: int = 10) -> None:
        if not det_thresh < 1.0:
            raise ValueError(f"det_thresh must be < 1, got {det_thresh}")
        if not 0.0 <= alpha_fixed < 1.0:
            raise ValueError(f"alpha_fixed must lie in [0, 1), got {alpha_fixed}")
        super().__init__("ema", ema_alpha=alpha_fixed, embedder=embedder, min_score=det_thresh, lazy=lazy,
                         refresh=refresh)
        self.det_thresh = det_thresh

    def update(self, t: TrackTable, rows: np.ndarray, dets: Detections, cols: np.ndarray) -> None:
        if self._embedded is None:
            return
        ok = self._embedded[cols]
        rows, cols = rows[ok], cols[ok]
        if rows.size == 0:
            return
        features = _normalise(dets.features[cols])
        if t.features.shape[1] != features.shape[1]:
            self.remember_first(t, rows, features)
            return
        old = t.features[rows]
        fresh = ~np.any(old != 0, axis=1)  # no feature yet: take the detection's
        alpha = np.clip(dynamic_appearance_alpha(dets.scores[cols], self.det_thresh, self.ema_alpha), 0.0, 1.0)
        t.features[rows] = np.where(fresh[:, None], features, dynamic_ema(old, features, alpha))
        t.feature_age[rows] = 0
