"""The C-BIoU preset: cascaded buffered-IoU matching on boxes moved by their recent average velocity, no Kalman
filter and no appearance."""

from __future__ import annotations

from roadtrack.association.cbiou import BufferedByteAssociator, CBIoUAssociator
from roadtrack.core import register
from roadtrack.kalman import XYWHKalman
from roadtrack.kalman.average_velocity import AverageVelocityMotion
from roadtrack.trackers.cbiou_parts import AverageVelocityPart
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.motion import FrozenSizeMotion
from roadtrack.trackers.tracker import MultiObjectTracker


@register("tracker", "cbiou")
def cbiou(det_thresh: float = CBIoUAssociator.det_thresh, new_track_thresh: float | None = None,
          small_buffer: float = CBIoUAssociator.buffers[0], large_buffer: float = CBIoUAssociator.buffers[1],
          small_min_biou: float = CBIoUAssociator.min_similarity[0],
          large_min_biou: float = CBIoUAssociator.min_similarity[1], n: int = AverageVelocityMotion.N,
          max_age: int = 30, min_hits: int = 1, tentative_max_age: int | None = 0, variant: str = "paper",
          low_thresh: float = BufferedByteAssociator.low_thresh, class_aware: bool = True) -> MultiObjectTracker:
    """C-BIoU (Yang et al., WACV 2023, arXiv 2211.14317): cascaded buffered IoU. There is no official code; the
    sources and how sure each value is are in /work/notes/presets/cbiou.md.

    What it adds: every box of a pair is widened by a buffer ``b * w`` left and right and ``b * h`` top and bottom
    before the IoU (BIoU), so fast or irregular motion still overlaps; live tracks (tracked and lost) are matched
    first with a small buffer, then the tracks and detections left with a large one. Motion is not a Kalman
    filter but the last observation moved by the average velocity of the last ``n`` frames,
    ``o^t + delta / n * (o^t - o^(t - n))``. Reported boxes are the observations.

    Args:
        det_thresh: detections at or below it take no part.
        new_track_thresh: smallest score of an unmatched detection that starts a track; None:
            ``det_thresh + 0.1`` (the unofficial implementations').
        small_buffer, large_buffer: the paper's b1 and b2.
        small_min_biou, large_min_biou: smallest BIoU of a match in each level.
        n: frames back for the average velocity.
        max_age: frames a track may go unmatched before it is deleted.
        min_hits: updates in a row (after the creating detection) before a track is reported; all tracks are
            reported in the first ``min_hits`` frames (roboflow's ``minimum_consecutive_frames=2`` and its
            first-frame activation).
        tentative_max_age: tracks not yet confirmed are deleted once they go more than this many frames without
            an update (0: on their first miss, as in the unofficial implementations and roboflow's; the paper
            does not say); None: the same ``max_age`` as confirmed tracks.
        variant: ``"paper"`` (above) or ``"byte"``, roboflow/trackers' reading: BoT-SORT's (x, y, w, h) Kalman
            model and BYTE's steps on buffered IoU (`BufferedByteAssociator`: b1 with detections above
            ``det_thresh``, fused with the score, ``1 - BIoU * score <= 1 - small_min_biou``; b2 with those in
            (``low_thresh``, ``det_thresh``) against tracks updated last frame, ``BIoU >= large_min_biou``) and
            ByteTrack's lifecycle (``min_hits``, ``n`` unused).
        low_thresh: ``"byte"`` only: detections at or below it are ignored.
        class_aware: never match a track to a detection of another class.

    Differences from roboflow/trackers' ``CBIoUTracker`` (the peer of issue 16): it is BoT-SORT (Kalman filter,
    BYTE's two score levels) with BIoU in place of IoU: b1 on the high-score detections (score-fused), b2 on
    BYTE's low-score step against the tracked tracks, and unconfirmed tracks removed on their first miss. Ours
    follows the paper's cascade (b2 on the leftovers of b1) and its average-velocity motion.
    """
    new_track = det_thresh + 0.1 if new_track_thresh is None else new_track_thresh
    if variant == "byte":
        return MultiObjectTracker(
            motion=FrozenSizeMotion(XYWHKalman()),
            associator=BufferedByteAssociator(
                high_thresh=det_thresh, low_thresh=low_thresh, match_thresh=1.0 - small_min_biou,
                low_match_thresh=1.0 - large_min_biou, small_buffer=small_buffer, large_buffer=large_buffer,
                class_aware=class_aware),
            lifecycle=Lifecycle(max_age=max_age, min_hits=min_hits, max_report_gap=0, report_warmup=False,
                                keep_confirmed=True, tentative_max_age=tentative_max_age, confirm_first_frame=True,
                                new_track_min_score=new_track, duplicate_iou=0.85),
        )
    if variant != "paper":
        raise ValueError(f"unknown C-BIoU variant {variant!r}; choose from paper, byte")
    return MultiObjectTracker(
        motion=AverageVelocityPart(AverageVelocityMotion(n)),
        associator=CBIoUAssociator(det_thresh=det_thresh, buffers=(small_buffer, large_buffer),
                                   min_similarity=(small_min_biou, large_min_biou), class_aware=class_aware),
        lifecycle=Lifecycle(max_age=max_age, min_hits=min_hits, max_report_gap=0, report_warmup=True,
                            tentative_max_age=tentative_max_age, new_track_min_score=new_track,
                            report_box="observation"),
    )
