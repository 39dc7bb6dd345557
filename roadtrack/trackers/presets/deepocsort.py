"""Deep OC-SORT preset (Maggiolino et al., ICIP 2023)."""

from __future__ import annotations

import numpy as np

from roadtrack.association.deep_ocsort import DeepOCSortAssociator
from roadtrack.cmc import build_cmc
from roadtrack.core import register
from roadtrack.kalman import SortKalman
from roadtrack.trackers.appearance import ScoreWeightedAppearance
from roadtrack.trackers.deepocsort_parts import WarpedObservationCentricMotion, WarpedObservationHistory
from roadtrack.trackers.history import ObservationHistory
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.presets.common import EmbedderSpec, embedder_from
from roadtrack.trackers.tracker import MultiObjectTracker


@register("tracker", "deepocsort")
def deepocsort(det_thresh: float = DeepOCSortAssociator.det_thresh, max_age: int = 30, min_hits: int = 3,
               iou_threshold: float = DeepOCSortAssociator.iou_threshold, delta_t: int = ObservationHistory.delta_t,
               asso_func: str = DeepOCSortAssociator.similarity, inertia: float = DeepOCSortAssociator.inertia,
               w_association_emb: float = DeepOCSortAssociator.w_association_emb,
               alpha_fixed_emb: float = 0.95, aw_param: float = DeepOCSortAssociator.aw_param,
               aw_off: bool = False, embedding_off: bool = False, embedder: EmbedderSpec = None,
               cmc: str | None = "sparse-flow", lazy_embedding: bool = True,
               class_aware: bool = True) -> MultiObjectTracker:
    """Deep OC-SORT (Maggiolino, Ahmad, Cao, Kitani, ICIP 2023, arXiv 2302.11813): OC-SORT with camera-motion
    compensation, appearance in the first association step with adaptive weighting, and a dynamic appearance EMA.

    What it adds to `ocsort`:

    * CMC: the Kalman state, the frozen state ORU replays from, the last observation and the recent
      observations move with the camera (needs frames; without them, as on MOT15 public detections, none).
    * Appearance: the first (OCM) step maximises ``IoU + inertia * score * consistency + W * cos_sim`` with the
      adaptive weight ``W = w_association_emb + min(gap_track, aw_param)/2 + min(gap_det, aw_param)/2`` (gaps:
      best minus second-best similarity). Recovery (OCR) stays IoU-only; matches still need ``IoU >= iou_threshold``.
    * Dynamic appearance: a track's feature is smoothed with weight ``alpha_fixed_emb + (1 - alpha_fixed_emb) *
      (1 - trust)`` of the old one, ``trust = (score - det_thresh) / (1 - det_thresh)``.

    Without an embedder (and detections without features) it is OC-SORT with CMC, with one correction over the
    `ocsort` preset's history: a young track's observation ``delta_t`` frames back is never read from an empty
    ring slot (`WarpedObservationHistory.prepare`), as in the reference's ``k_previous_obs``.

    Defaults are the reference code's published MOT17 ablation (``GerardMaggiolino/Deep-OC-SORT``, README
    "best_paper_ablations": ``--grid_off --new_kf_off --w_assoc_emb 0.75 --aw_param 0.5``; OC-SORT's parser
    for ``det_thresh`` 0.6, ``iou_threshold`` 0.3, ``delta_t`` 3, ``inertia`` 0.2). BoxMOT 18's ``deepocsort``
    differs: ``det_thresh`` 0.3, ``w_association_emb`` 0.5, a multiplicative ratio-based AW (weight <= w) instead
    of the additive boost, appearance only for overlapping pairs, the ORU replay from the unwarped
    observation, and CMC "sof" (the benchmark's peer runs it with ``cmc_off=True``). Roadtrack's Kalman warp is
    the full ``M P M^T`` with the area scaled by ``|det A|`` (the reference warps only the centre blocks).

    Args:
        det_thresh: detections at or below it are dropped (not associated, embedded, or started as tracks).
        max_age, min_hits: OC-SORT's deletion and reporting rules.
        iou_threshold: smallest box similarity of a match.
        delta_t: frames back for the direction of motion.
        asso_func: box similarity, ``"iou"``, ``"giou"``, ``"diou"`` or ``"ciou"``.
        inertia: weight of the direction-consistency term.
        w_association_emb: base weight of the appearance term (DanceTrack: 1.25).
        alpha_fixed_emb: the old feature's EMA weight for a detection scoring 1.
        aw_param: cap of each half of the adaptive weight's boost (DanceTrack: 1.0).
        aw_off: weigh appearance by ``w_association_emb`` alone.
        embedding_off: no appearance at all (OC-SORT with CMC).
        embedder: `Embedder`, registered name or ``{"name": ..., **options}``; embeds detections above
            ``det_thresh``. None: features from the detections, else motion only.
        cmc: camera-motion method (``"sparse-flow"``, the reference's online ``"sparse"``; ``"ecc"``, ``"orb"``)
            or None; needs frames.
        lazy_embedding: embed only detections that motion matches beyond doubt (see `Appearance`); False
            embeds every detection above ``det_thresh``, as published.
        class_aware: never match a track to a detection of another class.
    """
    associator = DeepOCSortAssociator(
        det_thresh=det_thresh, iou_threshold=iou_threshold, inertia=inertia, similarity=asso_func,
        w_association_emb=0.0 if embedding_off else w_association_emb, aw_param=aw_param, adaptive=not aw_off,
        class_aware=class_aware)
    return MultiObjectTracker(
        motion=WarpedObservationCentricMotion(SortKalman()),
        associator=associator,
        lifecycle=Lifecycle(max_age=max_age, min_hits=min_hits, max_report_gap=0, report_warmup=True,
                            new_track_min_score=float(np.nextafter(det_thresh, np.inf)),
                            report_box="observation"),
        appearance=None if embedding_off else ScoreWeightedAppearance(
            det_thresh, alpha_fixed_emb, embedder=embedder_from(embedder), min_score=det_thresh, lazy=lazy_embedding),
        history=WarpedObservationHistory(delta_t),
        cmc=build_cmc(cmc),
    )
