"""TrackTrack preset at the tracker level: hand-made frames where TPA, TAI and the new per-track state change the
outcome against the nearest classic presets (ByteTrack, BoT-SORT)."""

import numpy as np
import pytest

import roadtrack
from roadtrack import Detections
from roadtrack.trackers.appearance import ScoreWeightedAppearance
from roadtrack.trackers.tracktrack_parts import TrackTrackHistory
from roadtrack.trackers.table import TrackTable

BOX = [0.0, 0.0, 10.0, 20.0]


def dets(boxes, scores):
    return Detections(np.asarray(boxes, float).reshape(-1, 4), scores=scores)


def test_lost_track_takes_a_low_score_detection_in_one_pass():
    # Three 0.9 detections confirm the track (min_len 3), frame 4 has none (lost), frame 5 brings a 0.5 one at
    # the same place. TPA matches lost tracks against low-score detections too: cost = (1 - HMIoU = 0)
    # + 0.1 * |2 * 0.9 - 0.9 - 0.5| (= 0.04) + 0.05 * angle (zero velocity: arccos(0) / pi = 0.5, times the
    # score 0.5: 0.0125) + penalty_p 0.2 = 0.2525 < 0.7. BYTE's low-score step only takes tracks updated last
    # frame, and 0.5 starts no track, so ByteTrack reports nothing.
    frames = [dets([BOX], [0.9])] * 3 + [dets([], [])] + [dets([BOX], [0.5])]
    tt = roadtrack.build("tracker", "tracktrack")
    bt = roadtrack.build("tracker", "bytetrack", recovery=False)
    out_tt = [tt.update(f) for f in frames][-1]
    out_bt = [bt.update(f) for f in frames][-1]
    assert out_tt.ids.tolist() == [1] and out_tt.det_index.tolist() == [0]
    assert len(out_bt) == 0


def test_track_aware_init_suppresses_a_detection_next_to_an_updated_track():
    # A stationary confirmed track at BOX; then its detection moves to x1 = 3 (matched: IoU 7/13, cost
    # 1 - 0.538 + 0.05 * 0.45 = 0.485 < 0.7) and a second 0.9 detection appears at x1 = 5.5. Against the
    # predicted box [0, 10] that one has IoU 4.5 / 15.5 = 0.29 (below tai_thresh 0.55), against the track's
    # updated box [x, x + 10] with x > 2.6 more than 0.55 ((x + 4.5) / (15.5 - x) > 0.55): TAI, which uses the
    # boxes after this frame's update, starts no track. BoT-SORT starts one (0.9 > new_track_thresh 0.7).
    frames = [dets([BOX], [0.9])] * 4 + [dets([[3, 0, 13, 20], [5.5, 0, 15.5, 20]], [0.9, 0.9])]
    tt = roadtrack.build("tracker", "tracktrack")
    bs = roadtrack.build("tracker", "botsort")
    out_tt = [tt.update(f) for f in frames][-1]
    out_bs = [bs.update(f) for f in frames][-1]
    x1 = tt.motion.boxes(tt.tracks)[0, 0]
    assert 2.6 < x1 < 3.0  # the premise: the update moved the track next to the second detection
    assert out_tt.det_index.tolist() == [0] and len(tt.tracks) == 1 and tt.next_id == 2
    assert bs.next_id == 3  # BoT-SORT started a second track from it


def test_new_track_needs_three_detections_and_dies_on_a_miss():
    # min_len 3: a track born after the warm-up (frames 1-2) is reported from its third detection; a tentative
    # track missed once is deleted.
    tt = roadtrack.build("tracker", "tracktrack")
    far = [100.0, 0.0, 110.0, 20.0]
    out = [tt.update(dets([BOX], [0.9])) for _ in range(3)]
    out += [tt.update(dets([BOX, far], [0.9, 0.9])) for _ in range(3)]
    assert [len(o) for o in out] == [1, 1, 1, 1, 1, 2]
    tt.update(dets([BOX, far], [0.9, 0.9]))
    tt.update(dets([BOX], [0.9]))  # the far track (confirmed) is lost, not deleted
    assert len(tt.tracks) == 2
    tt.update(dets([BOX, [200.0, 0, 210, 20]], [0.9, 0.9]))  # a new tentative track ...
    tt.update(dets([BOX], [0.9]))  # ... missed once: gone
    assert tt.tracks.ids.tolist() == [1, 2]


def test_history_keeps_corner_velocity_previous_score_and_anchor():
    # A box moving +2 px in x per frame. After 4 observations each corner's velocity is
    # (1/3) * sum_{k=1..3} (1, 0) / k = (1/3) * (1 + 1/2 + 1/3) = 0.6111 in x (unit steps, eps 1e-5 ignored).
    tt = roadtrack.build("tracker", "tracktrack")
    for k, s in enumerate([0.9, 0.8, 0.7, 0.6]):
        tt.update(dets([[2.0 * k, 0, 10 + 2.0 * k, 20]], [s + 0.05]))
    t = tt.tracks
    np.testing.assert_allclose(t.corner_velocity[0, :, 0], [0.6111] * 4, atol=1e-4)
    np.testing.assert_allclose(t.corner_velocity[0, :, 1], 0.0)
    assert t.prev_score[0] == pytest.approx(0.75) and t.scores[0] == pytest.approx(0.65)
    # The next frame's anchor is the observation 3 frames back: x1 = 2 (age 1 of age 4).
    t.age = t.age + 1  # the next frame's advance (age 3 -> 4), then the part's prepare
    tt.history.prepare(t)
    assert tt.history.view_fields(t)["anchor_xyxy"][0].tolist() == [2.0, 0, 12.0, 20]


def test_score_adaptive_ema_by_hand():
    # beta = 0.95 + 0.05 * (1 - score): score 1 -> 0.95, f = normalise(0.95, 0.05); score 0 -> 1, unchanged.
    part = ScoreWeightedAppearance()
    t = TrackTable({**TrackTrackHistory().columns(), **part.columns()})
    rows = t.append(2, ids=np.array([1, 2]))
    d = Detections([BOX, BOX], scores=[0.0, 0.0], features=np.array([[1.0, 0.0], [1.0, 0.0]], np.float32))
    part.embed(t, d, None, np.zeros((2, 4)))
    part.start(t, rows, d, np.arange(2))
    new = Detections([BOX, BOX], scores=[1.0, 0.0], features=np.array([[0.0, 1.0], [0.0, 1.0]], np.float32))
    part.embed(t, new, None, np.zeros((2, 4)))
    part.update(t, rows, new, np.arange(2))
    np.testing.assert_allclose(t.features[0], np.array([0.95, 0.05]) / np.hypot(0.95, 0.05), atol=1e-6)
    np.testing.assert_allclose(t.features[1], [1.0, 0.0])


def test_bad_options():
    with pytest.raises(ValueError, match="nsa"):
        roadtrack.build("tracker", "tracktrack", nsa="cubic")
    with pytest.raises(ValueError, match="freeze_size"):
        roadtrack.build("tracker", "tracktrack", freeze_size="all")
    with pytest.raises(ValueError, match="min_len"):
        roadtrack.build("tracker", "tracktrack", min_len=0)


@pytest.mark.parametrize("preset", ["tracktrack", "fasttracker"])
def test_association_only_reads_the_view(preset, monkeypatch):
    # Every array the associator sees is read-only (a view of the tracker's own, which stays writeable); the
    # detections carry features, so TrackTrack's appearance term and EMA run too.
    import dataclasses

    from roadtrack.trackers.tracker import MultiObjectTracker

    build_view = MultiObjectTracker._view

    def read_only_view(self, t, predicted):
        view = build_view(self, t, predicted)
        frozen = {name: value.view() for name, value in vars(view).items() if isinstance(value, np.ndarray)}
        extra = {name: value.view() for name, value in view.extra.items()}
        for value in (*frozen.values(), *extra.values()):
            value.flags.writeable = False
        return dataclasses.replace(view, extra=extra, **frozen)

    monkeypatch.setattr(MultiObjectTracker, "_view", read_only_view)
    tracker = roadtrack.build("tracker", preset)
    rng = np.random.default_rng(0)
    ids = set()
    for k in range(20):
        xy = np.array([[10.0, 10.0], [60.0, 12.0], [35.0, 11.0]]) + 3 * k + rng.normal(0, 1, (3, 2))
        keep = rng.random(3) > 0.2
        out = tracker.update(Detections(np.concatenate([xy, xy + 40], axis=1)[keep],
                                        scores=rng.uniform(0.3, 0.95, keep.sum()),
                                        features=rng.normal(size=(keep.sum(), 4)).astype(np.float32)))
        ids |= set(out.ids.tolist())
    assert ids  # something was tracked
