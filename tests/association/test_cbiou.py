"""C-BIoU's cascade (roadtrack.association.cbiou) on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association import ByteAssociator, LostTrackRecovery, buffered_iou
from roadtrack.core import TrackView
from roadtrack.association.cbiou import BufferedByteAssociator, CBIoUAssociator, cascade_match
from roadtrack.core import Detections


def test_buffered_iou_is_the_papers_biou():
    # C-BIoU widens (x, y, w, h) to (x - b w, y - b h, w + 2 b w, h + 2 b h), both boxes. b = 0.3 on 10 x 10 boxes
    # 2 px apart: [-3,-3,13,13] and [9,-3,25,13], 16 x 16 each; intersection 4 x 16 = 64.
    a, b = np.array([[0.0, 0, 10, 10]]), np.array([[12.0, 0, 22, 10]])
    assert buffered_iou(a, b, 0.3)[0, 0] == pytest.approx(64 / (256 + 256 - 64))
    # Each box is widened by its own size: a 20 x 20 box gets 6 px at b = 0.3 -> [6,-6,38,26], 32 x 32.
    c = np.array([[12.0, 0, 32, 20]])
    assert buffered_iou(a, c, 0.3)[0, 0] == pytest.approx((13 - 6) * 16 / (256 + 1024 - (13 - 6) * 16))


def test_large_buffer_matches_what_the_small_one_left():
    tracks = np.array([[0.0, 0, 10, 10], [100.0, 0, 110, 10]])
    dets = np.array([[101.0, 0, 111, 10], [12.0, 0, 22, 10]])
    # Level 1 (b 0.3, >= 0.2): track 1 - det 0 (BIoU 240/272); track 0 - det 1 has 64/448 = 0.143 < 0.2.
    # Level 2 (b 0.5, >= 0.2): track 0 - det 1 by 160/640 = 0.25.
    rows, cols = cascade_match(tracks, dets, (0.3, 0.5), (0.2, 0.2))
    assert list(zip(rows.tolist(), cols.tolist())) == [(1, 0), (0, 1)]
    # With level 2's default 0.5 bar the far pair stays unmatched.
    rows, cols = cascade_match(tracks, dets)
    assert list(zip(rows.tolist(), cols.tolist())) == [(1, 0)]


def test_level_two_cannot_take_a_level_one_detection():
    # Both tracks want det 0; level 1 gives it to track 0 (IoU 1), level 2 must not hand it to track 1 too.
    tracks = np.array([[0.0, 0, 10, 10], [3.0, 0, 13, 10]])
    dets = np.array([[0.0, 0, 10, 10]])
    rows, cols = cascade_match(tracks, dets, (0.3, 0.5), (0.2, 0.2))
    assert rows.tolist() == [0] and cols.tolist() == [0]


def test_allowed_pairs_and_errors():
    tracks, dets = np.array([[0.0, 0, 10, 10]]), np.array([[0.0, 0, 10, 10]])
    assert cascade_match(tracks, dets, allowed=np.array([[False]]))[0].tolist() == []
    assert cascade_match(tracks, dets[:0])[0].tolist() == []
    with pytest.raises(ValueError, match="equally long"):
        cascade_match(tracks, dets, (0.3, 0.5), (0.2,))
    with pytest.raises(ValueError, match="min_similarity"):
        cascade_match(tracks, dets, (0.3,), (0.0,))
    with pytest.raises(ValueError, match="allowed"):
        cascade_match(tracks, dets, allowed=np.ones((2, 1), bool))


def test_associator_uses_only_detections_above_det_thresh_and_classes():
    view = TrackView.from_boxes([[0.0, 0, 10, 10], [100.0, 0, 110, 10]], [0, 1])
    dets = Detections([[0.0, 0, 10, 10], [100.0, 0, 110, 10], [1.0, 0, 11, 10]], scores=[0.5, 0.9, 0.9],
                      class_ids=[0, 0, 0])
    m = CBIoUAssociator(det_thresh=0.6).match(view, dets)
    # Det 0 scores 0.5 <= 0.6; det 1 has track 1's box but another class; det 2 overlaps track 0 (BIoU 240/272).
    assert m.rows.tolist() == [0] and m.cols.tolist() == [2]
    assert m.unmatched_cols.tolist() == [0, 1]


def test_buffered_byte_uses_the_small_buffer_on_high_and_the_large_on_low_scores():
    view = TrackView.from_boxes([[0.0, 0, 10, 10]], [0])  # confirmed, updated last frame
    # 10 px boxes s px apart in x: BIoU(b) = (10 + 20 b - s) / (10 + 20 b + s), IoU = (10 - s) / (10 + s).
    # High score (0.9), s = 8: IoU 1/9, fused cost 1 - 0.9/9 = 0.9 > 0.8, BYTE misses it; b1 = 0.3: BIoU
    # 8/24 = 1/3, fused cost 1 - 0.9/3 = 0.7 <= 0.8, matched in step 1.
    high = Detections([[8.0, 0, 18, 10]], scores=[0.9])
    assert ByteAssociator().match(view, high).rows.tolist() == []
    assert BufferedByteAssociator().match(view, high).rows.tolist() == [0]
    # Low score (0.3), s = 5: IoU 5/15 = 1/3 < 0.5, BYTE's step 2 misses it; b2 = 0.5: BIoU 15/25 = 0.6 >= 0.5.
    low = Detections([[5.0, 0, 15, 10]], scores=[0.3])
    assert ByteAssociator().match(view, low).rows.tolist() == []
    assert BufferedByteAssociator().match(view, low).cols.tolist() == [0]
    # Step 2 with b1 instead would give BIoU (16 - 5)/(16 + 5) = 0.52, also >= 0.5; at s = 6 only b2 reaches 0.5:
    # b2 (20 - 6)/(20 + 6) = 0.54, b1 (16 - 6)/(16 + 6) = 0.45.
    low6 = Detections([[6.0, 0, 16, 10]], scores=[0.3])
    assert BufferedByteAssociator().match(view, low6).cols.tolist() == [0]
    assert BufferedByteAssociator(large_buffer=0.3).match(view, low6).cols.tolist() == []
    with pytest.raises(ValueError, match="recovery"):
        BufferedByteAssociator(recovery=LostTrackRecovery())
