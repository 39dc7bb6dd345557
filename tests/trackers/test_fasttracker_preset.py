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


# Road region along +x: entry edge E1 (0, 0) - E2 (0, 100), exit edge O2 (1000, 100) - O1 (1000, 0). Cone:
# v1 = unit(1000, 100), v2 = unit(1000, -100), axis (1, 0), opening 2 * atan(0.1) = 11.42 deg (half 5.71 deg).
ROAD = [[0, 0], [0, 100], [1000, 100], [1000, 0]]
ELSEWHERE = [[5000, 5000], [5000, 5100], [5100, 5100]]  # records centres, constrains nothing here


def square(cx, cy):
    return [cx - 20.0, cy - 20.0, cx + 20.0, cy + 20.0]


def test_direction_cone_rotates_a_diagonal_path_onto_the_cone():
    # Centres (50 + 3k, 50 + 3k), k = 0..10: with 11 stored centres the displacement from the centre 10 frames
    # back (c1 = (50, 50), the creating detection) to the current state c11 points at 45 deg, outside the cone;
    # it becomes c1 + |c11 - c1| * (cos 5.71, sin 5.71) (left side: cross(axis, delta) > 0). The same run
    # without the region gives c1 and c11. Before frame 11 nothing changes (fewer than 11 centres).
    frames = [dets([square(50 + 3 * k, 50 + 3 * k)], [0.9]) for k in range(11)]
    roads = roadtrack.build("tracker", "fasttracker", rois=[ROAD])
    plain = roadtrack.build("tracker", "fasttracker", rois=[ELSEWHERE])
    for f in frames[:10]:
        roads.update(f)
        plain.update(f)
    np.testing.assert_allclose(roads.tracks.mean, plain.tracks.mean)
    roads.update(frames[10])
    plain.update(frames[10])
    c1, c11 = plain.tracks.center_history[0, -11], plain.tracks.center_history[0, -1]
    half = np.arctan(0.1)
    expected = c1 + np.linalg.norm(c11 - c1) * np.array([np.cos(half), np.sin(half)])
    np.testing.assert_allclose(roads.tracks.mean[0, :2], expected, atol=1e-6)
    np.testing.assert_allclose(roads.tracks.center_history[0, -1], expected, atol=1e-6)


def test_short_excursion_out_of_the_region_is_repaired_in_the_history():
    # Centres at y 90, 106, 106, 90 (x moving 3 px per frame): the two middle states lie outside the region
    # (y > 100) and the current one inside, so those history entries move to the nearest boundary point (x, 100);
    # the current state is not changed. Fewer than 11 centres: no cone.
    ys = [90, 106, 106, 90]
    frames = [dets([square(50 + 3 * k, y)], [0.9]) for k, y in enumerate(ys)]
    roads = roadtrack.build("tracker", "fasttracker", rois=[ROAD])
    plain = roadtrack.build("tracker", "fasttracker", rois=[ELSEWHERE])
    for f in frames:
        roads.update(f)
        plain.update(f)
    raw, fixed = plain.tracks.center_history[0, -4:], roads.tracks.center_history[0, -4:]
    assert raw[1, 1] > 100 and raw[2, 1] > 100 and raw[3, 1] < 100  # the premise
    np.testing.assert_allclose(fixed[1:3], np.column_stack([raw[1:3, 0], [100.0, 100.0]]))
    np.testing.assert_allclose(fixed[[0, 3]], raw[[0, 3]])
    np.testing.assert_allclose(roads.tracks.mean, plain.tracks.mean)


def test_bad_roi():
    with pytest.raises(ValueError, match="rois"):
        roadtrack.build("tracker", "fasttracker", rois=[[[0, 0], [1, 1]]])
