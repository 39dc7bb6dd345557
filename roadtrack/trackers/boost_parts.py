"""BoostTrack++'s tracker parts: the detection-confidence boost (a `DetectionStep`), the motion part that applies
camera motion before predicting (as the reference does), and the appearance memory whose smoothing follows the
detection's confidence."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.boost import boost_scores
from roadtrack.association.boosttrack import measurement_distance, track_confidence
from roadtrack.core import Detections, TrackView
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
