"""The presets' published behaviour on hand-made sequences: BYTE, OC-SORT, DeepSORT, StrongSORT, BoT-SORT."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.core import Detections, Embedder, TrackState
from roadtrack.core.registry import available
from roadtrack.trackers import MultiObjectTracker, ObservationHistory, botsort, bytetrack, deepsort, ocsort, strongsort

PRESETS = ["sort", "deepsort", "bytetrack", "ocsort", "botsort", "strongsort"]
BOX = np.array([100.0, 100.0, 140.0, 180.0])
EMPTY = Detections.empty()


def det(*boxes, scores=None, class_ids=None, features=None) -> Detections:
    return Detections(np.array(boxes, float).reshape(-1, 4), scores=scores, class_ids=class_ids, features=features)


def test_all_presets_registered_with_their_published_defaults():
    assert set(PRESETS) <= set(available("tracker"))
    b = bytetrack()
    assert (b.associator.high_thresh, b.associator.match_thresh, b.lifecycle.max_age) == (0.5, 0.8, 30)
    assert b.lifecycle.new_track_min_score == pytest.approx(0.6)  # track_thresh + 0.1
    assert bytetrack(new_track_thresh=0.45).lifecycle.new_track_min_score == 0.45
    assert bytetrack(track_buffer=25, frame_rate=7).lifecycle.max_age == 5  # int(7 / 30 * 25)
    o = ocsort()
    assert (o.associator.det_thresh, o.associator.inertia, o.lifecycle.max_age, o.history.delta_t) == (0.6, 0.2, 30, 3)
    d = deepsort()
    assert (d.associator.max_appearance_distance, d.lifecycle.min_hits, d.appearance.budget) == (0.2, 2, 100)
    s = strongsort()
    assert (s.associator.appearance_weight, s.associator.cascade_depth, s.motion.model.nsa, s.appearance.ema_alpha) == (0.98, None, True, 0.9)
    bs = botsort()
    assert (bs.associator.high_thresh, bs.lifecycle.new_track_min_score, bs.associator.proximity_thresh) == (0.6, 0.7, 0.5)
    assert bs.cmc is not None and botsort(cmc=None).cmc is None
    with pytest.raises(ValueError, match="unknown option"):
        roadtrack.build("tracker", "bytetrack", max_age=3)
    with pytest.raises(ValueError, match="unknown cmc method"):
        botsort(cmc="gyro")


def test_bytetrack_lifecycle():
    t = bytetrack()
    first = t.update(det(BOX, scores=[0.9]))
    assert first.ids.tolist() == [1] and first.state.tolist() == [TrackState.CONFIRMED]  # frame 1: confirmed at once
    # A low-score detection (0.3) keeps the track (BYTE's second step) ...
    assert t.update(det(BOX + 2, scores=[0.3])).ids.tolist() == [1]
    # ... but never starts one, and a 0.55 detection (below track_thresh + 0.1) starts none either.
    t.update(det(BOX + 4, [400, 400, 440, 480], [600, 100, 640, 180], scores=[0.9, 0.3, 0.55]))
    assert t.tracks.ids.tolist() == [1]
    # A new track (0.9) is tentative: unreported when created, confirmed by its next detection.
    assert t.update(det(BOX + 6, [400, 400, 440, 480], scores=[0.9, 0.9])).ids.tolist() == [1]
    assert t.update(det(BOX + 8, [400, 400, 440, 480], scores=[0.9, 0.9])).ids.tolist() == [1, 2]
    # A tentative track is deleted on its first miss.
    t.update(det(BOX + 10, [400, 400, 440, 480], [700, 0, 740, 80], scores=[0.9, 0.9, 0.9]))
    t.update(det(BOX + 12, [400, 400, 440, 480], scores=[0.9, 0.9]))
    assert t.tracks.ids.tolist() == [1, 2]


def test_bytetrack_keeps_lost_tracks_for_the_buffer_and_refinds_them():
    t = bytetrack(track_buffer=5)
    for _ in range(3):
        t.update(det(BOX, scores=[0.9]))
    for _ in range(5):
        assert len(t.update(EMPTY)) == 0
    assert t.update(det(BOX, scores=[0.9])).ids.tolist() == [1]  # lost 5 frames (<= buffer): same id
    for _ in range(6):
        t.update(EMPTY)
    t.update(det(BOX, scores=[0.9]))
    assert t.tracks.ids.tolist() == [2]  # lost 6 frames: deleted, the box starts track 2


def test_ocsort_reports_the_observed_box_and_recovers_after_a_gap():
    t = ocsort()
    boxes = [BOX + [6 * k, 0, 6 * k, 0] for k in range(12)]
    out = [t.update(det(b, scores=[0.9])) for b in boxes[:5]]
    np.testing.assert_allclose(out[-1].xyxy, [boxes[4]])  # the detection itself, not the Kalman state
    for _ in range(3):
        t.update(EMPTY)
    back = t.update(det(boxes[8], scores=[0.9]))
    assert t.tracks.ids.tolist() == [1] and back.ids.tolist() == []  # re-found; hit streak restarts (min_hits 3)
    # The re-update learnt ~6 px/frame over the gap, so the next prediction is close to the next box.
    predicted = t.motion.model.to_xyxy(t.motion.model.predict(t.tracks.mean, t.tracks.cov)[0])
    assert abs(predicted[0, 0] - boxes[9][0]) < 3.0
    assert t.update(det(boxes[9], scores=[0.5])).ids.tolist() == []  # below det_thresh: ignored


class ColourEmbedder(Embedder):
    """Mean colour of each box: enough appearance for synthetic frames."""

    def __init__(self):
        self.calls = 0

    def embed(self, frame, detections):
        self.calls += 1
        out = []
        for x1, y1, x2, y2 in detections.xyxy.astype(int):
            out.append(frame[max(y1, 0):y2, max(x1, 0):x2].reshape(-1, 3).mean(axis=0) + 1.0)
        out = np.array(out, np.float32).reshape(-1, 3)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def two_people_frame(a, b):
    frame = np.zeros((300, 600, 3), np.uint8)
    frame[int(a[1]):int(a[3]), int(a[0]):int(a[2])] = (0, 0, 255)
    frame[int(b[1]):int(b[3]), int(b[0]):int(b[2])] = (255, 0, 0)
    return frame


@pytest.mark.parametrize("name", ["deepsort", "strongsort", "botsort"])
def test_appearance_presets_reidentify_after_occlusion(name):
    # Red walks right, blue stands still; red is hidden for 5 frames and reappears 60 px further, where its
    # Kalman prediction (stopped) no longer overlaps: only appearance can give it its id back.
    embedder = ColourEmbedder()
    options = {"cmc": None} if name != "deepsort" else {}
    t = roadtrack.build("tracker", name, embedder=embedder, **options)
    blue = np.array([400.0, 100.0, 440.0, 180.0])
    ids = []
    for k in range(25):
        red = np.array([50.0 + 4 * k, 100.0, 90.0 + 4 * k, 180.0])
        hidden = 12 <= k < 17
        boxes = [blue] if hidden else [red, blue]
        out = t.update(det(*boxes, scores=[0.9] * len(boxes)), two_people_frame(red, blue))
        if not hidden and k >= 20:
            ids.append(out.ids[out.det_index == 0].tolist())
    assert embedder.calls > 0
    assert all(i == ids[0] for i in ids) and ids[0] == [1], f"{name}: red got ids {ids}"


def test_features_from_the_detections_are_used_without_an_embedder():
    t = deepsort()
    f = np.array([[1.0, 0.0]], np.float32)
    for k in range(4):
        t.update(det(BOX + 2 * k, scores=[0.9], features=f))
    assert t.tracks.gallery_count.tolist() == [4] and t.tracks.features.shape == (1, 2)


def test_gallery_is_bounded_and_freed():
    t = deepsort(nn_budget=3, max_age=2)
    f = np.array([[1.0, 0.0]], np.float32)
    for k in range(10):
        t.update(det(BOX + k, scores=[0.9], features=f))
    assert t.tracks.gallery.shape[1] == 3 and t.tracks.gallery_count.tolist() == [3]
    for _ in range(4):
        t.update(EMPTY)
    assert len(t.tracks) == 0 and t.tracks.gallery.shape[0] == 0


def test_strongsort_ignores_detections_below_min_confidence():
    t = strongsort(cmc=None)
    assert all(len(t.update(det(BOX, scores=[0.5]))) == 0 for _ in range(5))
    assert len(t.tracks) == 0


def test_botsort_camera_motion_keeps_ids_through_a_pan():
    # The camera pans 25 px per frame: a standing person moves 25 px per frame in the image, more than half
    # its width, so without compensation the prediction (built up slowly) loses IoU quickly at the start.
    rng = np.random.default_rng(0)
    world = (rng.random((400, 1400)) * 255).astype(np.uint8)
    world = np.repeat(world[:, :, None], 3, axis=2)
    person = np.array([700.0, 150.0, 740.0, 230.0])
    ids = set()
    t = botsort(cmc="sparse-flow", with_reid=False)
    for k in range(12):
        shift = 25 * k
        frame = np.ascontiguousarray(world[:, shift:shift + 640])
        box = person - [shift, 0, shift, 0] + [250, 0, 250, 0]
        out = t.update(det(box, scores=[0.9]), frame)
        ids.update(out.ids.tolist())
        np.testing.assert_allclose(out.xyxy, [box], atol=3.0)
    assert ids == {1}


def test_class_vote_and_class_aware_association_in_every_preset():
    for name in PRESETS:
        t = roadtrack.build("tracker", name)
        for _ in range(5):
            t.update(det(BOX, scores=[0.9], class_ids=[0]))
        t.update(det(BOX, scores=[0.9], class_ids=[2]))
        assert 0 in t.tracks.class_ids.tolist(), name  # the pedestrian track keeps its class
        assert sorted(set(t.tracks.ids.tolist())) == t.tracks.ids.tolist()


@pytest.mark.parametrize("name", PRESETS)
def test_edge_frames_never_crash(name):
    t = roadtrack.build("tracker", name)
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 3000, (5000, 2))
    many = det(*np.concatenate([xy, xy + rng.uniform(5, 50, (5000, 2))], axis=1), scores=rng.uniform(0.05, 1, 5000))
    frames = [EMPTY, det(BOX, scores=[0.9]), det(BOX, BOX, BOX, scores=[0.9, 0.9, 0.9]),
              det([5, 5, 5, 5], [0, 0, 0, 10], BOX, scores=[0.9, 0.9, 0.9]), many, many, EMPTY, det(BOX, scores=[0.0])]
    for frame in frames:
        out = t.update(frame)
        assert np.isfinite(out.xyxy).all() and len(np.unique(out.ids)) == len(out)
        assert np.all((out.det_index >= -1) & (out.det_index < max(len(frame), 1)))


def test_memory_stays_bounded_on_a_long_stream():
    # 300 frames of 20 short-lived objects each: the table holds only live tracks.
    t = bytetrack(track_buffer=5)
    rng = np.random.default_rng(2)
    sizes = []
    for k in range(300):
        xy = rng.uniform(0, 2000, (20, 2))
        t.update(det(*np.concatenate([xy, xy + 30], axis=1), scores=[0.9] * 20))
        sizes.append(len(t.tracks))
    assert max(sizes[100:]) <= 20 * 7 and t.next_id > 1000


def test_multi_object_tracker_rejects_bad_options():
    with pytest.raises(ValueError, match="delta_t"):
        MultiObjectTracker(ocsort().motion, ocsort().associator, ocsort().lifecycle, history=ObservationHistory(-1))
    with pytest.raises(ValueError, match="n_init"):
        deepsort(n_init=0)


def test_lazy_embedding_skips_only_unambiguous_detections():
    # Two people far apart walk steadily: after their tracks are confirmed, motion matches them beyond doubt,
    # so only the first frames and the periodic refresh (every 10 frames) are embedded. When they meet, the
    # crossing frames are embedded again.
    class Counting(ColourEmbedder):
        rows = 0

        def embed(self, frame, detections):
            Counting.rows += len(detections)
            return super().embed(frame, detections)

    def run(lazy: bool, meet: bool) -> int:
        Counting.rows = 0
        t = deepsort(embedder=Counting(), lazy_embedding=lazy)
        for k in range(50):  # walking towards each other, they overlap from frame 39 on
            red = np.array([50.0 + 4 * k, 100.0, 90.0 + 4 * k, 180.0])
            blue = np.array([400.0 - (4 * k if meet else 0), 100.0, 440.0 - (4 * k if meet else 0), 180.0])
            t.update(det(red, blue, scores=[0.9, 0.9]), two_people_frame(red, blue))
        return Counting.rows

    assert run(lazy=False, meet=False) == 100
    apart, meeting = run(lazy=True, meet=False), run(lazy=True, meet=True)
    assert apart <= 30 and meeting > apart
