"""The BoostTrack++ preset: SORT's lifecycle on an (x, y, h, r) Kalman model, with detection scores boosted by the
predicted tracks before the score threshold and a confidence-weighted similarity for the association."""

from __future__ import annotations

from roadtrack.association.boosttrack import BoostAssociator
from roadtrack.cmc import build_cmc
from roadtrack.core import register
from roadtrack.kalman.xyhr import XYHRKalman
from roadtrack.trackers.appearance import ScoreWeightedAppearance
from roadtrack.trackers.boost_parts import ConfidenceBoost, WarpFirstMotion
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.tracker import MultiObjectTracker

from roadtrack.trackers.presets.common import EmbedderSpec, embedder_from


@register("tracker", "boosttrack")
def boosttrack(det_thresh: float = ConfidenceBoost.det_thresh, iou_threshold: float = BoostAssociator.iou_threshold,
               max_age: int | None = None, frame_rate: float = 30.0, min_hits: int = 3,
               lambda_iou: float = BoostAssociator.lambda_iou, lambda_mhd: float = BoostAssociator.lambda_mhd,
               lambda_shape: float = BoostAssociator.lambda_shape,
               use_dlo_boost: bool = ConfidenceBoost.use_dlo_boost, use_duo_boost: bool = ConfidenceBoost.use_duo_boost,
               dlo_boost_coef: float = ConfidenceBoost.dlo_boost_coef, use_rich_s: bool = ConfidenceBoost.use_rich_s,
               use_sb: bool = ConfidenceBoost.use_sb, use_vt: bool = ConfidenceBoost.use_vt,
               s_sim_corr: bool = ConfidenceBoost.s_sim_corr, with_reid: bool = True, embedder: EmbedderSpec = None,
               cmc: str | None = "ecc", class_aware: bool = True) -> MultiObjectTracker:
    """BoostTrack++ (Stanojević & Todorović, arXiv 2408.13003; BoostTrack, MVA 2024). Reference code:
    vukasin-stanojevic/BoostTrack (``BoostTrackPlusPlusSettings``); notes in /work/notes/presets/boosttrack.md.

    What it adds to SORT: (1) before the score threshold, detections are re-scored against the predicted tracks —
    DLO (a detection much like some track is likely an occluded object: soft boost ``max(s, 0.65 s + 0.35
    S^1.5)`` of the rich similarity S = mean of Mahalanobis softmax, shape and soft buffered IoU, and a lift to
    just above ``det_thresh`` when S beats a bar that falls from 0.95 to 0.8 as the track keeps missing) and DUO
    (a low-score detection far from every track, after NMS among such, is likely a new object); (2) association
    by IoU plus confidence-weighted IoU, Mahalanobis and shape terms (plus appearance with features), over all
    tracks at once; (3) BoostTrack's (cx, cy, h, r) Kalman model with constant noise (`XYHRKalman`).

    Args:
        det_thresh: score (after boosting) a detection needs to be associated and to start a track; the
            reference's MOT17 value (0.4 for MOT20).
        iou_threshold: IoU gate of a match.
        max_age: frames a track may go unmatched before it is deleted; None: ``max(int(2 * frame_rate), 30)``
            (the reference's rule, 60 at 30 frames/s).
        frame_rate: the video's frame rate (only for the default ``max_age``).
        min_hits: updates in a row before a track is reported (all are reported in the first ``min_hits`` frames).
        lambda_iou, lambda_mhd, lambda_shape: weights of the similarity terms (the appearance weight is
            ``1.5 * (1 + lambda_iou + lambda_mhd + lambda_shape)``).
        use_dlo_boost, use_duo_boost, dlo_boost_coef, use_rich_s, use_sb, use_vt, s_sim_corr: the boosts, see
            `ConfidenceBoost` (all of BoostTrack++ on; ``use_rich_s = use_sb = use_vt = False`` gives BoostTrack).
        with_reid: use appearance when features are available (from the pipeline or ``embedder``); without
            either the tracker is motion-only (the reference's ``--no_reid``).
        embedder: `Embedder`, registered name or ``{"name": ..., **options}``; embeds every kept detection.
        cmc: camera-motion method (``"ecc"``, ``"sparse-flow"``, ``"orb"``) or None; needs frames. Applied to the
            last posterior before predicting, as in the reference.
        class_aware: never match a track to a detection of another class (the reference has no classes).

    Differences from BoxMOT 18's ``BoostTrack``: its class defaults are plain BoostTrack (``use_rich_s``,
    ``use_sb``, ``use_vt`` False), ``det_thresh`` 0.3 and ``max_age`` 30 (its YAML has ours); its varying
    threshold drops to 0.8 after one miss (it lacks the reference's 0.0075 step); it clamps h and r at 1e-4; its
    ECC is translation-only at scale 0.15 (ours: Euclidean, scale 0.15; the reference: its own ECC at scale 350);
    and it drops output boxes wider than 1.6 x their height, which we do not (cars are wider than tall).
    """
    life = max(int(2 * frame_rate), 30) if max_age is None else max_age
    step = ConfidenceBoost(det_thresh=det_thresh, use_dlo_boost=use_dlo_boost, use_duo_boost=use_duo_boost,
                           dlo_boost_coef=dlo_boost_coef, use_rich_s=use_rich_s, use_sb=use_sb, use_vt=use_vt,
                           s_sim_corr=s_sim_corr)
    return MultiObjectTracker(
        motion=WarpFirstMotion(XYHRKalman()),
        associator=BoostAssociator(iou_threshold=iou_threshold, lambda_iou=lambda_iou, lambda_mhd=lambda_mhd,
                                   lambda_shape=lambda_shape, s_sim_corr=s_sim_corr, appearance=with_reid,
                                   class_aware=class_aware),
        lifecycle=Lifecycle(max_age=life, min_hits=min_hits, max_report_gap=0, report_warmup=True,
                            new_track_min_score=det_thresh, report_box="state"),
        appearance=ScoreWeightedAppearance(det_thresh, embedder=embedder_from(embedder),
                                           min_score=det_thresh - 1e-9) if with_reid else None,
        detection_step=step,
        cmc=build_cmc(cmc),
    )
