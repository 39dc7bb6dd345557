"""FastTracker preset (Hashempoor and Hwang, "FastTracker: Real-Time and Accurate Visual Tracking", arXiv 2508.14370,
2025)."""

from __future__ import annotations

from roadtrack.association.fasttracker import FastTrackerAssociator
from roadtrack.core import register
from roadtrack.kalman import XYAHKalman
from roadtrack.trackers.fasttracker_parts import FastTrackerLifecycle, FastTrackerMotion
from roadtrack.trackers.fasttracker_roads import RoadStructure
from roadtrack.trackers.tracker import MultiObjectTracker


@register("tracker", "fasttracker")
def fasttracker(track_thresh: float = FastTrackerAssociator.high_thresh,
                low_thresh: float = FastTrackerAssociator.low_thresh,
                match_thresh: float = FastTrackerAssociator.match_thresh, track_buffer: int = 30,
                frame_rate: float = 30.0, fuse_score: bool = FastTrackerAssociator.fuse_score,
                reset_velocity_offset_occ: int = FastTrackerLifecycle.velocity_offset,
                reset_pos_offset_occ: int = FastTrackerLifecycle.position_offset,
                enlarge_bbox_occ: float = FastTrackerLifecycle.enlarge,
                dampen_motion_occ: float = FastTrackerLifecycle.dampen,
                active_occ_to_lost_thresh: int = FastTrackerLifecycle.occ_to_lost,
                occ_cover_thresh: float = FastTrackerLifecycle.occ_cover_thresh,
                occ_reappear_window: int = FastTrackerLifecycle.reappear_window,
                init_iou_suppress: float = FastTrackerLifecycle.init_iou_suppress,
                report_coasting: bool = FastTrackerLifecycle.report_coasting,
                rois: list | None = None, roi_repair_max_gap: int = 15, dir_window_N: int = 10,
                class_aware: bool = True) -> MultiObjectTracker:
    """FastTracker: ByteTrack with occlusion-aware track keeping and spawn suppression.

    What it adds to ByteTrack (DeepSORT's (x, y, a, h) Kalman model, BYTE's two-score association): a confirmed
    track that misses a detection stays "tracked" (predicted with its full motion, matched in both BYTE steps,
    reported with ``report_coasting``) for two more frames before it counts as lost; if a track updated in the frame
    covers most of its box it is occluded: its Kalman state is rolled back a few updates (position 3, velocity 5),
    its box enlarged and its velocity damped, and it stays tracked for up to ``active_occ_to_lost_thresh``
    frames; a lost track that was occluded is kept at least ``occ_reappear_window`` frames after the occlusion.
    New tracks are not started from detections overlapping a live track (``init_iou_suppress``).
    Parts: `FastTrackerAssociator`, `FastTrackerLifecycle`, `FastTrackerMotion`.

    Road structure (``rois``, off by default as in the reference when a scene has none): per-scene region
    polygons; a track's short excursions out of its region are pulled back onto it in its centre history, and
    inside a quadrilateral region ordered entry E1, E2, exit O2, O1 its motion over the last ``dir_window_N``
    frames is kept inside the region's direction cone (`RoadStructure`). Not done: the reference also repairs
    its stored Kalman means at the repaired entries (index-aligned with the centre history in the reference,
    which they are not); here only the centre history is repaired.

    Defaults are the reference configuration's (``configs/004_default.json``/``005``, thresholds hard-coded in
    ``fasttracker.py``; ``init_iou_suppress`` 0.7 as in ``005``). There is no FastTracker in BoxMOT; the benchmark
    peer is Ultralytics 8.4.190 ``fasttrack``, whose defaults differ: ``track_high_thresh`` and
    ``new_track_thresh`` 0.25 (ours 0.7), ``track_low_thresh`` 0.1 (ours 0.25), ``match_thresh`` 0.8 (ours 0.85),
    ``dampen_motion_occ`` 0.5 (ours 0.89); it also restores the covariance on occlusion (the reference only the
    mean, as here). Where we follow Ultralytics rather than the reference: tracks are reported only in frames
    that update them (the reference also reports tracked tracks coasting through a miss, ``report_coasting``;
    on MOT15 public detections that costs 6.5 MOTA and 0.6 HOTA), and tentative tracks are deleted on their
    first miss (the reference marks them lost).

    Args:
        track_thresh: detections above it are high-score; tracks start from those scoring at least this.
        low_thresh: detections at or below it are ignored.
        match_thresh: largest fused IoU cost of a first-step match.
        track_buffer, frame_rate: a lost track is kept ``track_buffer * frame_rate / 30`` frames.
        fuse_score: weight IoU by the detection score in the high-score steps.
        reset_velocity_offset_occ, reset_pos_offset_occ: updates back whose velocity and position an occluded
            track takes.
        enlarge_bbox_occ: height factor on occlusion; dampen_motion_occ: velocity factor on occlusion.
        active_occ_to_lost_thresh: frames an occluded track stays tracked.
        occ_cover_thresh: share of a track's box another must cover for it to be occluded.
        occ_reappear_window: frames after an occlusion during which a lost track is not deleted.
        init_iou_suppress: a detection overlapping a live track by this IoU or more starts no track.
        report_coasting: also report tracked tracks through their missed frames, at the Kalman box (reference).
        rois: region polygons, each a list of (x, y) image points (at least 3), or None.
        roi_repair_max_gap: longest out-of-region excursion repaired, frames.
        dir_window_N: frames back of the direction cone's anchor.
        class_aware: never match a track to a detection of another class.
    """
    model = XYAHKalman()
    lifecycle = FastTrackerLifecycle(
        max_age=int(frame_rate / 30.0 * track_buffer), min_hits=1, max_report_gap=0, report_warmup=False,
        keep_confirmed=True, tentative_max_age=0, confirm_first_frame=True, new_track_min_score=track_thresh,
        duplicate_iou=0.85, model=model, occ_cover_thresh=occ_cover_thresh, velocity_offset=reset_velocity_offset_occ,
        position_offset=reset_pos_offset_occ, enlarge=enlarge_bbox_occ, dampen=dampen_motion_occ,
        occ_to_lost=active_occ_to_lost_thresh, reappear_window=occ_reappear_window,
        init_iou_suppress=init_iou_suppress, report_coasting=report_coasting,
        roads=None if rois is None else RoadStructure(rois, roi_repair_max_gap, dir_window_N))
    return MultiObjectTracker(
        motion=FastTrackerMotion(model),
        associator=FastTrackerAssociator(high_thresh=track_thresh, low_thresh=low_thresh, match_thresh=match_thresh,
                                         fuse_score=fuse_score, class_aware=class_aware),
        lifecycle=lifecycle,
        parts=(lifecycle,),
    )
