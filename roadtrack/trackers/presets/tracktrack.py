"""TrackTrack preset (Shim, Ko, Kim et al., "Focusing on Tracks for Online Multi-Object Tracking", CVPR 2025)."""

from __future__ import annotations

from roadtrack.association.tracktrack import TPAAssociator
from roadtrack.cmc import build_cmc
from roadtrack.core import register
from roadtrack.kalman import XYWHKalman
from roadtrack.trackers.appearance import ScoreWeightedAppearance
from roadtrack.trackers.history import ObservationHistory
from roadtrack.trackers.tracker import MultiObjectTracker
from roadtrack.trackers.tracktrack_parts import (TrackTrackMotion, TrackAwareLifecycle,
                                                 TrackTrackHistory)

from roadtrack.trackers.presets.common import EmbedderSpec, embedder_from


@register("tracker", "tracktrack")
def tracktrack(det_thresh: float = TPAAssociator.high_thresh, low_thresh: float = TPAAssociator.low_thresh,
               init_thresh: float = TrackAwareLifecycle.init_thresh, match_thresh: float = TPAAssociator.match_thresh,
               reduce_step: float = TPAAssociator.reduce_step, penalty_p: float = TPAAssociator.penalty_p,
               penalty_q: float = TPAAssociator.penalty_q, tai_thresh: float = TrackAwareLifecycle.tai_thresh,
               min_len: int = 3, max_lost_seconds: float = 2.0, frame_rate: float = 30.0,
               iou_weight: float = TPAAssociator.iou_weight, reid_weight: float = TPAAssociator.reid_weight,
               conf_weight: float = TPAAssociator.conf_weight, angle_weight: float = TPAAssociator.angle_weight,
               delta_t: int = ObservationHistory.delta_t, ema_alpha: float = ScoreWeightedAppearance.EMA_ALPHA,
               with_reid: bool = True, embedder: EmbedderSpec = None, cmc: str | None = "sparse-flow",
               nsa: str = "linear", freeze_size: str = "lost", duplicate_iou: float | None = None,
               class_aware: bool = True) -> MultiObjectTracker:
    """TrackTrack: Track-Perspective-based Association (TPA) and Track-Aware Initialization (TAI).

    What it adds to BoT-SORT's parts (NSA Kalman on (x, y, w, h), camera-motion compensation, EMA appearance):
    every tracked and lost track is matched against all detections at once, high- and low-score ones (the
    latter with a penalty), with one cost of height-modulated IoU, appearance, score extrapolation and
    four-corner direction, by a greedy mutual-nearest assignment whose threshold shrinks each round
    (`TPAAssociator`); tentative tracks then take the high-score detections left the same way. A track is
    confirmed by its third detection and deleted on a miss while tentative. New tracks start only from
    detections that overlap no track updated in this frame and no stronger new detection (TAI,
    `TrackAwareLifecycle`). Appearance memory is an EMA weighted by the detection score
    (`ScoreWeightedAppearance` with ``det_thresh`` 0). Only tracks updated in a frame are reported; in the first ``min_len - 1`` frames
    all of them, so the first frame's tracks show at once (ByteTrack's and Ultralytics' ``is_activated`` on
    frame 1; +0.1 HOTA on MOT15 public detections).

    Not included: TrackTrack's third detection group, boxes that only a looser detector NMS (0.95) keeps
    ("recovered", ``penalty_q``): `Detections` carries one detection set per frame, so the group is empty
    (Ultralytics also runs without it outside its own predictor).

    Defaults are the reference code's (kamkyu94/TrackTrack, MOT17 branch of ``set_parameters`` and ``run.py``).
    There is no TrackTrack in BoxMOT; the benchmark peer is Ultralytics 8.4.190 ``tracktrack``, whose defaults
    differ in: low-score bound 0.25 (``track_low_thresh``; we keep roadtrack's usual 0.1; the reference has none
    but the detector's), high-score split ``>=`` 0.6 (ours ``>``, as the reference), lost tracks kept 30 frames
    at any frame rate (``track_buffer``; ours 2 s as the reference; on MOT15 public detections 30 frames gives
    HOTA +0.05, IDF1 -0.1), size velocities frozen for tentative tracks too (``freeze_size``), a ByteTrack
    duplicate-removal step (``duplicate_iou``; none here, as the reference; no change on MOT15), and lost tracks
    found again keep their corner velocity. We follow Ultralytics in the NSA noise: ``max(1 - score, 0.05)``
    (``nsa="linear"``; roadtrack's squared StrongSORT rule, ``nsa="squared"``, costs 0.5 HOTA and 0.9 IDF1 on
    MOT15 public detections).

    Args:
        det_thresh: detections above it are high-score; low-score ones are those in (``low_thresh``,
            ``det_thresh``].
        low_thresh: detections at or below it are ignored.
        init_thresh: a new track needs a score above it (TAI).
        match_thresh, reduce_step: first cost threshold of the iterative assignment and its step per round.
        penalty_p: cost added for low-score detections; penalty_q: for recovered ones (unused, see above).
        tai_thresh: IoU above which TAI suppresses a new track.
        min_len: detections (the creating one included) before a track is confirmed and reported.
        max_lost_seconds, frame_rate: a lost track is kept ``max_lost_seconds * frame_rate`` frames.
        iou_weight, reid_weight: weights of the HMIoU and appearance terms with appearance (without it the
            HMIoU term has weight 1); conf_weight, angle_weight: of the score and corner-direction terms.
        delta_t: frames back for the corner velocity and the direction anchor.
        ema_alpha: alpha of the score-adaptive appearance EMA.
        with_reid: use appearance when features are available (from the pipeline or ``embedder``).
        embedder: `Embedder`, registered name or ``{"name": ..., **options}``; embeds high-score detections.
        cmc: camera-motion method (``"sparse-flow"``, ``"ecc"``, ``"orb"``) or None; needs frames.
        nsa: measurement noise ``max(1 - score, 0.05) R`` (``"linear"``) or ``(1 - score)^2 R`` (``"squared"``).
        freeze_size: which tracks' size velocity is zeroed before predicting: ``"lost"`` (as ByteTrack; best
            on MOT15), ``"unconfirmed"`` (lost and tentative, Ultralytics) or ``"none"`` (the reference on MOT17).
        duplicate_iou: ByteTrack's removal of a lost track duplicating an updated one (Ultralytics: 0.85);
            None: off (the reference).
        class_aware: never match a track to a detection of another class.
    """
    if nsa not in ("linear", "squared"):
        raise ValueError(f"unknown nsa {nsa!r}; choose from linear, squared")
    if min_len < 1:
        raise ValueError(f"min_len must be >= 1, got {min_len}")
    return MultiObjectTracker(
        motion=TrackTrackMotion(XYWHKalman(nsa=True), floor=0.05 if nsa == "linear" else None,
                                freeze_size=freeze_size),
        associator=TPAAssociator(high_thresh=det_thresh, low_thresh=low_thresh, match_thresh=match_thresh,
                                 reduce_step=reduce_step, iou_weight=iou_weight, reid_weight=reid_weight,
                                 conf_weight=conf_weight, angle_weight=angle_weight, penalty_p=penalty_p,
                                 penalty_q=penalty_q, appearance=with_reid, class_aware=class_aware),
        lifecycle=TrackAwareLifecycle(
            max_age=int(round(max_lost_seconds * frame_rate)), min_hits=min_len - 1, max_report_gap=0,
            report_warmup=True, keep_confirmed=True, tentative_max_age=0, new_track_min_score=det_thresh,
            duplicate_iou=duplicate_iou, tai_thresh=tai_thresh, init_thresh=init_thresh),
        appearance=ScoreWeightedAppearance(0.0, ema_alpha, embedder=embedder_from(embedder), min_score=det_thresh)
        if with_reid else None,
        history=TrackTrackHistory(delta_t),
        cmc=build_cmc(cmc),
    )
