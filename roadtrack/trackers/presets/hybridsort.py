"""Hybrid-SORT preset (Yang et al., AAAI 2024), the non-ReID tracker."""

from __future__ import annotations

import numpy as np

from roadtrack.association.hybrid_sort import HybridSortAssociator
from roadtrack.cmc import build_cmc
from roadtrack.core import register
from roadtrack.kalman.hybrid import HybridSortKalman
from roadtrack.trackers.hybridsort_parts import CornerHistory, HybridSortMotion
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.tracker import MultiObjectTracker


@register("tracker", "hybridsort")
def hybridsort(det_thresh: float = HybridSortAssociator.det_thresh, max_age: int = 30, min_hits: int = 3,
               iou_threshold: float = HybridSortAssociator.iou_threshold, delta_t: int = CornerHistory.delta_t,
               inertia: float = HybridSortAssociator.inertia, use_byte: bool = HybridSortAssociator.use_byte,
               low_thresh: float = HybridSortAssociator.low_thresh,
               tcm_first_step: bool = HybridSortAssociator.tcm_first_step,
               tcm_first_step_weight: float = HybridSortAssociator.tcm_first_step_weight,
               tcm_byte_step: bool = HybridSortAssociator.tcm_byte_step,
               tcm_byte_step_weight: float = HybridSortAssociator.tcm_byte_step_weight,
               cmc: str | None = None, class_aware: bool = True) -> MultiObjectTracker:
    """Hybrid-SORT (Yang et al., AAAI 2024, arXiv 2308.00783): OC-SORT with weak cues, without appearance.

    What it adds to `ocsort`:

    * Tracklet confidence modelling (TCM): the detection score is a Kalman state with a velocity
      (`HybridSortKalman`, also interpolated by ORU); the first step subtracts ``|c_kf - score|`` (``c_kf``
      clipped to [``det_thresh``, 1]), the BYTE step ``|c_lin - score|`` (the last two scores extrapolated,
      clipped to [0.1, ``det_thresh``]).
    * Height-modulated IoU (IoU times the overlap of the vertical extents) in every step.
    * Four-corner momentum: each corner's direction summed over the last ``delta_t`` observations, compared with
      the direction to the detection's corner; four terms of weight ``inertia``.
    * A BYTE step for detections scoring in (``low_thresh``, ``det_thresh``), thresholded on the TCM-adjusted HMIoU.

    Defaults are the reference code's MOT17 settings (``ymzis69/HybridSORT``: ``utils/args.py`` overridden by
    ``exps/example/mot/yolox_x_ablation_hybrid_sort.py``): ``det_thresh`` (``track_thresh``) 0.6,
    ``iou_threshold`` 0.25, ``inertia`` 0.05, ``use_byte`` True, both TCM steps with weight 1.0, ``delta_t`` 3;
    ``min_hits`` 3 and ``max_age`` 30 are ``Hybrid_Sort``'s own. The reference has no CMC (``cmc`` None; a method
    name moves the state and the observation history as in `deepocsort`). BoxMOT 18's ``hybridsort`` differs: it
    always takes its ReID code path (without weights its appearance never rejects a first-step match; the
    benchmark's motion-only peer needs ``EG_weight_high_score=0``), ``det_thresh`` 0.3 with a separate
    ``track_thresh`` 0.5 for the confidence clips, plain IoU (``asso_func="iou"``), ``iou_threshold`` 0.3,
    ECC camera motion on the box only, no one-to-one shortcut, and the BYTE step thresholded on raw IoU.

    Args:
        det_thresh: high/low score split; detections at or below it start no track; bound of both TCM clips.
        max_age, min_hits: OC-SORT's deletion and reporting rules.
        iou_threshold: smallest HMIoU of a match (BYTE step: TCM-adjusted HMIoU).
        delta_t: frames back for the directions of motion.
        inertia: weight of each corner's direction-consistency term.
        use_byte: match unmatched tracks with the low-score detections; low_thresh: their lower bound.
        tcm_first_step, tcm_first_step_weight: TCM in the first step and its weight.
        tcm_byte_step, tcm_byte_step_weight: TCM in the BYTE step and its weight.
        cmc: camera-motion method (``"sparse-flow"``, ``"ecc"``, ``"orb"``) or None; needs frames.
        class_aware: never match a track to a detection of another class.
    """
    return MultiObjectTracker(
        motion=HybridSortMotion(HybridSortKalman()),
        associator=HybridSortAssociator(
            det_thresh=det_thresh, iou_threshold=iou_threshold, inertia=inertia, use_byte=use_byte,
            low_thresh=low_thresh, tcm_first_step=tcm_first_step, tcm_first_step_weight=tcm_first_step_weight,
            tcm_byte_step=tcm_byte_step, tcm_byte_step_weight=tcm_byte_step_weight, class_aware=class_aware),
        lifecycle=Lifecycle(max_age=max_age, min_hits=min_hits, max_report_gap=0, report_warmup=True,
                            new_track_min_score=float(np.nextafter(det_thresh, np.inf)),
                            report_box="observation"),
        history=CornerHistory(delta_t),
        cmc=build_cmc(cmc),
    )
