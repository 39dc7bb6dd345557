"""Property test: random detection streams never break the tracker's output invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roadtrack.core import Detections
from roadtrack.trackers import sort

# Coordinates on a coarse grid so that duplicates, touching and zero-area boxes are common.
coord = st.integers(0, 12).map(lambda v: v * 10.0)
size = st.sampled_from([0.0, 5.0, 10.0, 30.0])
row = st.tuples(coord, coord, size, size, st.floats(0.0, 1.0), st.integers(0, 2))
frame = st.lists(row, max_size=12)


def to_detections(rows) -> Detections:
    if not rows:
        return Detections.empty()
    arr = np.array(rows, dtype=float)
    return Detections.from_tlwh(arr[:, :4], scores=arr[:, 4], class_ids=arr[:, 5].astype(np.int64))


@settings(max_examples=150, deadline=None)
@given(frames=st.lists(frame, max_size=25), max_age=st.integers(0, 3), min_hits=st.integers(0, 3),
       class_aware=st.booleans())
def test_random_streams_keep_invariants(frames, max_age, min_hits, class_aware):
    tracker = sort(max_age=max_age, min_hits=min_hits, class_aware=class_aware)
    highest_id = 0
    for rows in frames:
        detections = to_detections(rows)
        out = tracker.update(detections)
        assert len(np.unique(out.ids)) == len(out)  # ids unique per frame
        assert np.isfinite(out.xyxy).all()
        assert np.all(out.xyxy[:, 2:] >= out.xyxy[:, :2])
        live = tracker.tracks.ids
        assert np.all(np.diff(live) > 0) and (live.size == 0 or live.min() >= 1)  # increasing, from 1
        new = live[live > highest_id]
        assert new.tolist() == list(range(highest_id + 1, highest_id + 1 + new.size))  # never reused
        highest_id = max(highest_id, int(live.max(initial=0)))
        # det_index: a valid, distinct row of a box with positive size (sort reports updated tracks only).
        idx = out.det_index
        assert np.all(idx >= 0) and np.all(idx < len(detections)) and len(np.unique(idx)) == len(idx)
        assert np.all(detections.xyxy[idx, 2:] > detections.xyxy[idx, :2])
        if class_aware:
            assert np.array_equal(out.class_ids, detections.class_ids[idx])


PRESETS = ["sort", "deepsort", "bytetrack", "ocsort", "botsort", "strongsort"]
feature_frame = st.lists(st.tuples(coord, coord, size, size, st.floats(0.0, 1.0), st.integers(0, 2),
                                   st.integers(0, 3)), max_size=10)


def with_features(rows) -> Detections:
    if not rows:
        return Detections.empty(feature_dim=4)
    arr = np.array(rows, dtype=float)
    features = np.eye(4, dtype=np.float32)[arr[:, 6].astype(int)] + 0.1  # four "looks"
    return Detections.from_tlwh(arr[:, :4], scores=arr[:, 4], class_ids=arr[:, 5].astype(np.int64), features=features)


def outputs(tracker, frames):
    return [(o.ids.tolist(), o.xyxy.round(6).tolist(), o.det_index.tolist()) for o in (tracker.update(f) for f in frames)]


@pytest.mark.parametrize("name", PRESETS)
@settings(max_examples=40, deadline=None)
@given(frames=st.lists(feature_frame, max_size=20))
def test_every_preset_keeps_invariants_and_resets(name, frames):
    import roadtrack

    dets = [with_features(rows) for rows in frames]
    tracker = roadtrack.build("tracker", name)
    highest = 0
    for d in dets:
        out = tracker.update(d)
        assert len(np.unique(out.ids)) == len(out)  # ids unique per frame
        assert np.isfinite(out.xyxy).all() and np.all(out.xyxy[:, 2:] >= out.xyxy[:, :2])
        assert np.all((out.det_index >= -1) & (out.det_index < max(len(d), 1)))
        live = tracker.tracks.ids
        assert np.all(np.diff(live) > 0) and (live.size == 0 or live.min() >= 1)  # increasing, from 1
        assert live.size == 0 or live.max() < tracker.next_id
        highest = max(highest, int(live.max(initial=0)))
    first = outputs(roadtrack.build("tracker", name), dets)
    tracker.reset()
    assert outputs(tracker, dets) == first  # reset() restores a fresh tracker
