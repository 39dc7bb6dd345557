"""The `cbiou` preset and its motion part (roadtrack.trackers.cbiou_parts) on hand-made frames."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.association.cbiou import BufferedByteAssociator
from roadtrack.core import Detections
from roadtrack.trackers.cbiou_parts import AverageVelocityPart
from roadtrack.trackers.presets.cbiou import cbiou
from roadtrack.trackers.table import TrackTable


def box(x: float) -> list[float]:
    return [x, 0.0, x + 10.0, 10.0]


def test_defaults_and_columns():
    t = roadtrack.build("tracker", "cbiou")
    a, life = t.associator, t.lifecycle
    assert (a.det_thresh, a.buffers, a.min_similarity) == (0.6, (0.3, 0.5), (0.2, 0.5))
    assert (life.max_age, life.min_hits, life.tentative_max_age, life.report_box) == (30, 1, 0, "observation")
    assert life.new_track_min_score == pytest.approx(0.7)  # det_thresh + 0.1
    assert t.motion.model.n == 5 and t.cmc is None
    t.update(Detections([box(0.0)], scores=[0.9]))
    assert t.tracks.mean.shape == (1, 10 + 5 * 6) and t.tracks.cov.shape == (1, 0, 0)  # no covariance kept


def test_buffer_and_average_velocity_keep_a_fast_object_that_iou_loses():
    # A 10 px box moving 8 px/frame: consecutive boxes overlap by 2 px, IoU 20 / 180 = 0.11 < 0.3 (SORT's and
    # OC-SORT's gate), so SORT starts a new track in frame 2. C-BIoU, frame 2: the track (velocity 0 after one
    # observation) is estimated at x 0; with b = 0.3 both boxes grow 3 px per side: [-3, 13] and [5, 21] in x,
    # 16 px tall, BIoU = 8 * 16 / (2 * 256 - 128) = 1/3 >= 0.2, matched in level 1. From then on the average
    # velocity (8 px/frame) puts the estimate exactly on the next box.
    xs = [0.0, 8.0, 16.0, None, None, 40.0, 48.0]
    ours, sort = cbiou(), roadtrack.build("tracker", "sort")
    ids, sort_ids = [], []
    for x in xs:
        frame = Detections([box(x)], scores=[0.9]) if x is not None else Detections.empty()
        out = ours.update(frame)
        ids.append(out.ids.tolist())
        sort_ids.append(sort.update(frame).ids.tolist())
        if x is not None and out.ids.size:
            assert out.xyxy[0].tolist() == box(x)  # the observed box is reported
    # Frame 1 is reported (warm-up), frame 2 confirms (1 update after creation), frames 4-5 coast unreported.
    # Frame 6: the estimate is the last observation (x 16, frame 3) moved 3 frames at 8 px/frame = x 40: found.
    assert ids == [[1], [1], [1], [], [], [1], [1]]
    assert ours.tracks.ids.tolist() == [1]
    assert {i for f in sort_ids for i in f} != {1}  # SORT loses the object


def test_motion_part_has_no_camera_warp():
    part = AverageVelocityPart()
    t = TrackTable(part.columns())
    t.append(1, ids=np.array([1]), **part.start(np.array([box(0.0)]), np.array([0.9])))
    with pytest.raises(ValueError, match="warp"):
        part.predict(t, np.eye(2, 3))
    part.predict(t, None)
    assert part.boxes(t).tolist() == [box(0.0)]


def test_byte_variant_and_bad_variant():
    t = cbiou(variant="byte")
    assert isinstance(t.associator, BufferedByteAssociator) and t.associator.match_thresh == pytest.approx(0.8)
    assert t.lifecycle.duplicate_iou == 0.85 and t.lifecycle.new_track_min_score == pytest.approx(0.7)
    with pytest.raises(ValueError, match="variant"):
        cbiou(variant="kalman")
