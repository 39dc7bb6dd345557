"""BoostTrack++'s tracker parts: the detection-confidence boost (a `DetectionStep`), the motion part that applies
camera motion before predicting (as the reference does), and the appearance memory whose smoothing follows the
detection's confidence."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.boost import boost_scores
from roadtrack.association.boosttrack import measurement_distance, track_confidence
from roadtrack.core import Detections, TrackView
from roadtrack.trackers.appearance import Appearance
from roadtrack.trackers.motion import KalmanMotion
from roadtrack.trackers.parts import DetectionStep
from roadtrack.trackers.table import TrackTable


@dataclasses.dataclass(frozen=True)
class ConfidenceBoost(DetectionStep):
    """BoostTrack's confidence boosts, then its score threshold: every detection is re-scored against the predicted
    tracks (`roadtrack.association.boost.boost_scores`: DLO, optionally soft and with a varying threshold on the
    rich similarity, then DUO), and those scoring at least ``det_thresh`` after the boost are kept, with their
    boosted scores. New tracks are then admitted on boosted scores too.

    Args:
        det_thresh: the score a detection needs (after boosting) to be associated and to start a track.
        use_dlo_boost, use_duo_boost: detection-likely-occluded and detection-unlikely-overlap boosts.
        dlo_boost_coef: BoostTrack's plain DLO factor (used only when ``use_sb`` and ``use_vt`` are both off).
        use_rich_s, use_sb, use_vt: BoostTrack++'s rich similarity, soft boost and varying threshold.
        s_sim_corr: shape term normalised by the larger height instead of the published larger width.
    """

    det_thresh: float = 0.6
    use_dlo_boost: bool = True
    use_duo_boost: bool = True
    dlo_boost_coef: float = 0.65
    use_rich_s: bool = True
    use_sb: bool = True
    use_vt: bool = True
    s_sim_corr: bool = False

    def refine(self, tracks: TrackView, detections: Detections) -> tuple[Detections, np.ndarray]:
        scores = detections.scores
        if len(tracks) and len(detections):
            scores = boost_scores(
                scores, detections.xyxy, tracks.xyxy, track_confidence(tracks), tracks.time_since_update,
                measurement_distance(tracks, detections.xyxy), self.det_thresh, self.use_dlo_boost,
                self.use_duo_boost, self.dlo_boost_coef, self.use_rich_s, self.use_sb, self.use_vt, self.s_sim_corr)
        kept = np.flatnonzero(scores >= self.det_thresh)
        return dataclasses.replace(detections[kept], scores=scores[kept]), kept


class WarpFirstMotion(KalmanMotion):
    """Kalman motion that moves the tracks by the camera motion *before* predicting (BoostTrack's order: the
    posterior box of the last frame is warped, then the filter predicts from it), instead of warping the
    prediction. For a pure translation the two orders give the same state; with rotation or scale they differ
    by the warp's linear part applied to one frame's velocity."""

    def predict(self, t: TrackTable, warp: np.ndarray | None) -> None:
        if len(t) == 0:
            return
        mean, cov = t.mean, t.cov
        if warp is not None:
            mean, cov = self.model.warp(mean, cov, warp)
        mean, cov = self.model.predict(self._before_predict(t, mean), cov)
        self._after_predict(t, mean, cov)
        t.mean, t.cov = mean, cov


class ConfidenceWeightedAppearance(Appearance):
    """BoostTrack's appearance memory: an EMA whose weight of the old feature depends on the detection's trust,
    ``alpha = a + (1 - a) * (1 - trust)`` with ``trust = (s - det_thresh) / (1 - det_thresh)`` (so a barely kept
    detection hardly changes the track's feature), renormalised.

    Args:
        det_thresh: the boost step's threshold (trust 0 there, 1 at score 1).
        ema_alpha: ``a``, the weight of the old feature for a fully trusted detection (the reference's 0.95).
        embedder, min_score, lazy, refresh: see `Appearance`.
    """

    def __init__(self, det_thresh: float, ema_alpha: float = 0.95, **kwargs) -> None:
        if not 0.0 <= det_thresh < 1.0:
            raise ValueError(f"det_thresh must lie in [0, 1), got {det_thresh}")
        super().__init__("ema", ema_alpha=ema_alpha, **kwargs)
        self.det_thresh = det_thresh

    def update(self, t: TrackTable, rows: np.ndarray, dets: Detections, cols: np.ndarray) -> None:
        if self._embedded is None:
            return
        ok = self._embedded[cols]
        rows, cols = rows[ok], cols[ok]
        if rows.size == 0:
            return
        new = dets.features[cols].astype(np.float32)
        new /= np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-12)
        old = t.features[rows] if t.features.shape[1] == new.shape[1] else None
        if old is None or not np.any(old != 0):
            self.remember(t, rows, new)  # no feature of this width yet: plain first memory
            return
        trust = (dets.scores[cols] - self.det_thresh) / (1.0 - self.det_thresh)
        alpha = (self.ema_alpha + (1.0 - self.ema_alpha) * (1.0 - trust))[:, None].astype(np.float32)
        fresh = ~np.any(old != 0, axis=1)
        smoothed = np.where(fresh[:, None], new, alpha * old + (1.0 - alpha) * new)
        t.features[rows] = smoothed / np.maximum(np.linalg.norm(smoothed, axis=1, keepdims=True), 1e-12)
        t.feature_age[rows] = 0
