"""The classic presets (SORT, DeepSORT, ByteTrack, BoT-SORT, OC-SORT, StrongSORT): builders that compose a
`MultiObjectTracker` from parts.

Defaults are the published ones of each method (paper or reference code), named as there. One addition is on
by default where it measurably helps: ``recovery`` (ByteTrack, BoT-SORT) re-finds tracks lost for a few frames by
buffered IoU (`LostTrackRecovery`); ``recovery=False`` gives the published algorithm. Appearance presets
take features from ``detections.features`` (a `Pipeline` with an embedder attaches them) or from their own
``embedder``, which then embeds only the detections the method uses.
"""

from __future__ import annotations

from roadtrack.association import ByteAssociator, CascadeAssociator, IoUAssociator, LostTrackRecovery, OCSortAssociator
from roadtrack.cmc import build_cmc
from roadtrack.core import register
from roadtrack.kalman import SortKalman, XYAHKalman, XYWHKalman
from roadtrack.trackers.appearance import Appearance
from roadtrack.trackers.history import ObservationHistory
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.motion import FrozenSizeMotion, ObservationCentricMotion
from roadtrack.trackers.tracker import MultiObjectTracker

from roadtrack.trackers.presets.common import EmbedderSpec, embedder_from


@register("tracker", "sort")
def sort(max_age: int = 1, min_hits: int = 3, iou_threshold: float = IoUAssociator.iou_threshold,
         class_aware: bool = True) -> MultiObjectTracker:
    """SORT (Bewley et al., 2016): SORT's Kalman model, IoU association, report only freshly updated tracks.

    Args:
        max_age: frames a track may go unmatched before it is deleted.
        min_hits: consecutive updates before a track is reported (all tracks are reported in the first
            ``min_hits`` frames).
        iou_threshold: smallest IoU between a predicted box and its detection.
        class_aware: never match a track to a detection of another class.

    Example:
        >>> import roadtrack
        >>> tracker = roadtrack.build("tracker", "sort", max_age=3)
        >>> tracker.lifecycle.max_age
        3
    """
    return MultiObjectTracker(
        motion=SortKalman(),
        associator=IoUAssociator(iou_threshold=iou_threshold, class_aware=class_aware, method="scipy"),
        lifecycle=Lifecycle(max_age=max_age, min_hits=min_hits, max_report_gap=0, report_warmup=True),
    )


def _recovery(enabled: bool, class_aware: bool) -> LostTrackRecovery | None:
    return LostTrackRecovery(class_aware=class_aware) if enabled else None


def _byte_lifecycle(max_age: int, new_track_thresh: float) -> Lifecycle:
    """ByteTrack's and BoT-SORT's lifecycle: confirmed on the first update after creation (or at once in the
    first frame), tentative tracks dropped on their first miss, duplicates of lost tracks removed."""
    return Lifecycle(
        max_age=max_age, min_hits=1, max_report_gap=0, report_warmup=False, keep_confirmed=True,
        tentative_max_age=0, confirm_first_frame=True, new_track_min_score=new_track_thresh, duplicate_iou=0.85,
    )


@register("tracker", "bytetrack")
def bytetrack(track_thresh: float = ByteAssociator.high_thresh, low_thresh: float = ByteAssociator.low_thresh,
              match_thresh: float = ByteAssociator.match_thresh, track_buffer: int = 30,
              frame_rate: float = 30.0, fuse_score: bool = True, new_track_thresh: float | None = None,
              recovery: bool = True, class_aware: bool = True) -> MultiObjectTracker:
    """ByteTrack (Zhang et al., ECCV 2022): DeepSORT's Kalman model and BYTE's two-score association.

    Args:
        track_thresh: detections above it are high-score; tracks start from those above ``track_thresh + 0.1``.
        low_thresh: detections at or below it are ignored.
        match_thresh: largest fused IoU cost of a first-step match.
        track_buffer: frames a lost track is kept at 30 frames/s (scaled by ``frame_rate / 30``).
        frame_rate: the video's frame rate.
        fuse_score: weight IoU by the detection score (off for MOT20 in the paper).
        new_track_thresh: smallest score of a detection that starts a track; None: ``track_thresh + 0.1``.
        recovery: re-find lost tracks by buffered IoU (`LostTrackRecovery`, roadtrack's addition).
        class_aware: never match a track to a detection of another class.
    """
    return MultiObjectTracker(
        motion=FrozenSizeMotion(XYAHKalman()),
        associator=ByteAssociator(high_thresh=track_thresh, low_thresh=low_thresh, match_thresh=match_thresh,
                                  fuse_score=fuse_score, class_aware=class_aware,
                                  recovery=_recovery(recovery, class_aware)),
        lifecycle=_byte_lifecycle(int(frame_rate / 30.0 * track_buffer),
                                  track_thresh + 0.1 if new_track_thresh is None else new_track_thresh),
    )


@register("tracker", "botsort")
def botsort(track_high_thresh: float = 0.6, track_low_thresh: float = ByteAssociator.low_thresh,
            new_track_thresh: float = 0.7, match_thresh: float = ByteAssociator.match_thresh, track_buffer: int = 30, frame_rate: float = 30.0,
            proximity_thresh: float = ByteAssociator.proximity_thresh,
            appearance_thresh: float = ByteAssociator.appearance_thresh, with_reid: bool = True,
            embedder: EmbedderSpec = None, cmc: str | None = "sparse-flow", fuse_score: bool = True,
            lazy_embedding: bool = True, recovery: bool = True, class_aware: bool = True) -> MultiObjectTracker:
    """BoT-SORT (Aharon et al., 2022): ByteTrack with BoT-SORT's (x, y, w, h) Kalman model, camera-motion
    compensation and IoU-gated appearance matching.

    Args:
        track_high_thresh, track_low_thresh: score bounds of BYTE's two steps.
        new_track_thresh: smallest score of a detection that starts a track.
        match_thresh: largest cost of a first-step match.
        track_buffer, frame_rate: frames a lost track is kept, ``track_buffer * frame_rate / 30``.
        proximity_thresh, appearance_thresh: appearance counts only for pairs with ``1 - IoU`` and half the
            cosine distance below these.
        with_reid: use appearance when features are available (from the pipeline or ``embedder``).
        embedder: `Embedder`, registered name or ``{"name": ..., **options}``; embeds high-score detections.
        cmc: camera-motion method (``"sparse-flow"``, ``"ecc"``, ``"orb"``) or None; needs frames.
        fuse_score: weight IoU by the detection score.
        lazy_embedding: embed only detections that motion does not match beyond doubt (see
            `Appearance`); False embeds every high-score detection, as published.
        recovery: re-find lost tracks by buffered IoU (`LostTrackRecovery`, roadtrack's addition).
        class_aware: never match a track to a detection of another class.
    """
    return MultiObjectTracker(
        motion=FrozenSizeMotion(XYWHKalman()),
        associator=ByteAssociator(high_thresh=track_high_thresh, low_thresh=track_low_thresh, match_thresh=match_thresh,
                                  fuse_score=fuse_score, appearance=with_reid, proximity_thresh=proximity_thresh,
                                  appearance_thresh=appearance_thresh, class_aware=class_aware,
                                  recovery=_recovery(recovery, class_aware)),
        lifecycle=_byte_lifecycle(int(frame_rate / 30.0 * track_buffer), new_track_thresh),
        appearance=Appearance("ema", ema_alpha=0.9, embedder=embedder_from(embedder), min_score=track_high_thresh,
                              lazy=lazy_embedding) if with_reid else None,
        cmc=build_cmc(cmc),
    )


@register("tracker", "ocsort")
def ocsort(det_thresh: float = OCSortAssociator.det_thresh, max_age: int = 30, min_hits: int = 3,
           iou_threshold: float = OCSortAssociator.iou_threshold,
           delta_t: int = ObservationHistory.delta_t, asso_func: str = OCSortAssociator.similarity,
           inertia: float = OCSortAssociator.inertia, use_byte: bool = OCSortAssociator.use_byte,
           class_aware: bool = True) -> MultiObjectTracker:
    """OC-SORT (Cao et al., CVPR 2023): SORT's Kalman model with observation-centric re-update (ORU),
    momentum (OCM) and recovery (OCR); reports the last observed box.

    Args:
        det_thresh: detections at or below it are dropped (and start no track).
        max_age, min_hits: SORT's deletion and reporting rules.
        iou_threshold: smallest similarity of a match.
        delta_t: frames back for the direction of motion.
        asso_func: ``"iou"``, ``"giou"``, ``"diou"`` or ``"ciou"``.
        inertia: weight of the direction-consistency term.
        use_byte: also match low-score detections (BYTE step).
        class_aware: never match a track to a detection of another class.
    """
    return MultiObjectTracker(
        motion=ObservationCentricMotion(SortKalman()),
        associator=OCSortAssociator(det_thresh=det_thresh, iou_threshold=iou_threshold, inertia=inertia,
                                    similarity=asso_func, use_byte=use_byte, class_aware=class_aware),
        lifecycle=Lifecycle(max_age=max_age, min_hits=min_hits, max_report_gap=0, report_warmup=True,
                            new_track_min_score=det_thresh, report_box="observation"),
        history=ObservationHistory(delta_t),
    )


def _deepsort_lifecycle(max_age: int, n_init: int, new_track_min_score: float = -float("inf")) -> Lifecycle:
    """DeepSORT's and StrongSORT's lifecycle: confirmed after ``n_init`` detections, tentative tracks deleted on
    their first miss, confirmed ones after ``max_age``."""
    if n_init < 1:
        raise ValueError(f"n_init must be >= 1, got {n_init}")
    return Lifecycle(max_age=max_age, min_hits=n_init - 1, max_report_gap=0, report_warmup=False, keep_confirmed=True,
                     tentative_max_age=0, new_track_min_score=new_track_min_score)


@register("tracker", "deepsort")
def deepsort(max_age: int = 30, n_init: int = 3,
             max_cosine_distance: float = CascadeAssociator.max_appearance_distance, nn_budget: int = Appearance.BUDGET,
             max_iou_distance: float = CascadeAssociator.max_iou_distance, embedder: EmbedderSpec = None, lazy_embedding: bool = True,
             class_aware: bool = True) -> MultiObjectTracker:
    """DeepSORT (Wojke et al., 2017): (x, y, a, h) Kalman model, matching cascade on a gallery of appearance
    features gated by Mahalanobis distance, then IoU.

    Args:
        max_age: frames a confirmed track may go unmatched (also the cascade depth).
        n_init: detections (the creating one included) before a track is confirmed; tentative tracks are
            deleted on their first miss.
        max_cosine_distance: largest appearance distance of a match.
        nn_budget: features kept per track.
        max_iou_distance: largest ``1 - IoU`` of an IoU-step match.
        embedder: `Embedder`, registered name or ``{"name": ..., **options}``; without one, features come
            from the detections (or appearance is not used).
        lazy_embedding: embed only detections that motion does not match beyond doubt (see
            `Appearance`); False embeds every detection, as published.
        class_aware: never match a track to a detection of another class.
    """
    return MultiObjectTracker(
        motion=XYAHKalman(),
        associator=CascadeAssociator(max_appearance_distance=max_cosine_distance, max_iou_distance=max_iou_distance,
                                     cascade_depth=max_age, class_aware=class_aware),
        lifecycle=_deepsort_lifecycle(max_age, n_init),
        appearance=Appearance("gallery", budget=nn_budget, embedder=embedder_from(embedder), lazy=lazy_embedding),
    )


@register("tracker", "strongsort")
def strongsort(max_age: int = 30, n_init: int = 3, max_cosine_distance: float = 0.4,
               max_iou_distance: float = CascadeAssociator.max_iou_distance, min_confidence: float = 0.6,
               mc_lambda: float = 0.98, ema_alpha: float = Appearance.EMA_ALPHA,
               embedder: EmbedderSpec = None, cmc: str | None = "ecc", lazy_embedding: bool = True,
               class_aware: bool = True) -> MultiObjectTracker:
    """StrongSORT (Du et al., 2023): DeepSORT with an NSA Kalman (x, y, w, h) model, EMA appearance, camera-motion
    compensation, a motion-blended appearance cost and one global assignment instead of the cascade.

    Args:
        max_age, n_init, max_iou_distance: as in `deepsort`.
        max_cosine_distance: largest blended appearance cost of a match.
        min_confidence: detections below it are ignored.
        mc_lambda: share of appearance in the cost (the rest is the Mahalanobis distance).
        ema_alpha: smoothing of the appearance feature.
        embedder: see `deepsort`.
        cmc: camera-motion method (``"ecc"``, ``"sparse-flow"``, ``"orb"``) or None; needs frames.
        lazy_embedding: embed only detections that motion does not match beyond doubt (see
            `Appearance`); False embeds every detection, as published.
        class_aware: never match a track to a detection of another class.
    """
    return MultiObjectTracker(
        motion=XYWHKalman(nsa=True),
        associator=CascadeAssociator(max_appearance_distance=max_cosine_distance, max_iou_distance=max_iou_distance,
                                     cascade_depth=None, appearance_weight=mc_lambda, min_score=min_confidence,
                                     class_aware=class_aware),
        lifecycle=_deepsort_lifecycle(max_age, n_init, min_confidence),
        appearance=Appearance("ema", ema_alpha=ema_alpha, embedder=embedder_from(embedder), min_score=min_confidence - 1e-9,
                              lazy=lazy_embedding),
        cmc=build_cmc(cmc),
    )
