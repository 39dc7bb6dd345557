"""FastTracker preset at the tracker level: hand-made frames where its tracked state, occlusion handling and spawn
suppression change the outcome against ByteTrack."""

import numpy as np
import pytest

import roadtrack
from roadtrack import Detections

A = [0.0, 0.0, 10.0, 20.0]
B = [1.0, 0.0, 11.0, 20.0]  # covers 9 x 20 of A's 10 x 20: 0.9 > occ_cover_thresh 0.7; IoU(A, B) = 180/220


def dets(boxes, scores):
    return Detections(np.asarray(boxes, float).reshape(-1, 4), scores=scores)


def test_coasting_track_stays_in_the_low_score_step():
    # Confirmed in frame 1 (ByteTrack's first-frame rule), matched in frames 2-3, missed in frame 4 (one miss:
    # still tracked, not_matched 1 <= 2), then a 0.5 detection (in FastTracker's low band (0.25, 0.7)) at the
    # same place: FastTracker's low-score step takes the coasting track (IoU 1 > 0.5). ByteTrack's takes only
    # tracks updated last frame (this one has time_since_update 2), and 0.5 starts no track.
    frames = [dets([A], [0.9])] * 3 + [dets([], [])] + [dets([A], [0.5])]
    ft = roadtrack.build("tracker", "fasttracker")
    bt = roadtrack.build("tracker", "bytetrack", recovery=False)
    out_ft = [ft.update(f) for f in frames][-1]
    out_bt = [bt.update(f) for f in frames][-1]
    assert out_ft.ids.tolist() == [1] and out_ft.det_index.tolist() == [0]
    assert len(out_bt) == 0


def test_unoccluded_track_is_lost_after_three_misses():
    # not_matched > 2: tracked through misses 1 and 2, lost at the third.
    ft = roadtrack.build("tracker", "fasttracker")
    for _ in range(6):
        ft.update(dets([A], [0.9]))
    tracked = []
    for _ in range(3):
        ft.update(dets([], []))
        tracked.append(bool(ft.tracks.ft_tracked[0]))
    assert tracked == [True, True, False]


def test_occluded_track_is_rolled_back_and_kept_tracked():
    # Two stationary tracks A and B (both start in frame 1: suppression compares with live tracks only), then
    # only B is detected. A's first miss: B (updated, confirmed) covers 0.9 of it -> occluded; its state is
    # rolled back to the update 3 back (stationary: the same box) with the height times 1.1 and the velocity
    # damped. occluded_len becomes 1 + 1 = 2 on the onset and grows by 1 per miss; A is lost once
    # not_matched > 2 and occluded_len > 10, i.e. at its 10th miss (occluded_len 11), not at its 3rd.
    ft = roadtrack.build("tracker", "fasttracker")
    for _ in range(6):
        ft.update(dets([A, B], [0.9, 0.9]))
    assert ft.tracks.ids.tolist() == [1, 2]
    ft.update(dets([B], [0.9]))
    t = ft.tracks
    assert bool(t.occluded[0]) and t.occluded_len[0] == 2 and t.last_occluded[0] == 7
    assert t.mean[0, 3] == pytest.approx(20.0 * 1.1, abs=0.05)  # XYAH height
    tracked = [True]
    for _ in range(9):
        ft.update(dets([B], [0.9]))
        tracked.append(bool(ft.tracks.ft_tracked[0]))
    assert tracked == [True] * 9 + [False]
    # Lost in frame 16 (last updated in frame 6). max_age 30 alone would delete it in frame 37
    # (time_since_update 31 > 30); the reappear window keeps it through frame 7 + 40 = 47, deleted in frame 48.
    for _ in range(17, 48):
        ft.update(dets([B], [0.9]))
    assert ft.tracks.ids.tolist() == [1, 2] and ft.frame_count == 47
    ft.update(dets([B], [0.9]))
    assert ft.tracks.ids.tolist() == [2]


def test_spawn_suppression_next_to_a_live_track():
    # A live track at A; a frame with A and a second 0.9 detection B (IoU with the track's box 180/220 = 0.82
    # >= init_iou_suppress 0.7): FastTracker starts no track from B, ByteTrack does (0.9 > 0.6).
    frames = [dets([A], [0.9])] * 3 + [dets([A, B], [0.9, 0.9])]
    ft = roadtrack.build("tracker", "fasttracker")
    bt = roadtrack.build("tracker", "bytetrack")
    [ft.update(f) for f in frames]
    [bt.update(f) for f in frames]
    assert ft.next_id == 2 and bt.next_id == 3


def test_bad_options():
    with pytest.raises(ValueError, match="offset"):
        roadtrack.build("tracker", "fasttracker", reset_pos_offset_occ=0)
