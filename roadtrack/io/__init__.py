"""Data I/O: frame sources, MOTChallenge and KITTI files, annotated video, atomic output, adapters."""

from roadtrack.io.adapters import (
    detections_from_array, detections_from_supervision, detections_from_ultralytics, detections_to_array,
    detections_to_supervision, detections_to_ultralytics,
)
from roadtrack.io.annotate import AnnotatedVideoWriter, draw_tracks
from roadtrack.io.atomic import atomic_write, commit_file
from roadtrack.io.kitti import KITTI_CLASSES, KittiWriter, read_kitti_tracking, write_kitti_tracking
from roadtrack.io.mot import MotWriter, read_mot, write_mot
from roadtrack.io.roadpp import (
    SUBMISSION_SIZE, SubmissionTube, read_submission, submission_tube, validate_submission, write_submission,
    zip_submission,
)
from roadtrack.io.roadpp_merge import complete_submission, merge_submissions
from roadtrack.io.rows import TrackRows
from roadtrack.io.sources import (
    ArraySource, Frame, FrameSource, ImageFolderSource, MotSequenceSource, SeqInfo, VideoSource, open_source,
    read_seqinfo,
)

__all__ = [
    "AnnotatedVideoWriter", "ArraySource", "Frame", "FrameSource", "ImageFolderSource", "KITTI_CLASSES",
    "KittiWriter", "MotSequenceSource", "MotWriter", "SeqInfo", "TrackRows", "VideoSource", "atomic_write",
    "commit_file", "detections_from_array", "detections_from_supervision", "detections_from_ultralytics",
    "detections_to_array", "detections_to_supervision", "detections_to_ultralytics", "draw_tracks",
    "open_source", "read_kitti_tracking", "read_mot", "read_seqinfo", "write_kitti_tracking", "write_mot",
    "SUBMISSION_SIZE", "SubmissionTube", "complete_submission", "merge_submissions", "read_submission", "submission_tube", "validate_submission",
    "write_submission", "zip_submission",
]
