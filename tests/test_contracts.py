"""Every registered tracker honours the `Tracker` contract: empty frames, one box, stable ids, reset()."""

import numpy as np
import pytest

import roadtrack.pipeline  # noqa: F401  (registers every stage)
from roadtrack import Detections, Tracks
from roadtrack.core.registry import available, build


def moving_box(k):
    return Detections([[100 + 3 * k, 50, 140 + 3 * k, 130]], [0.9], [0])


@pytest.mark.parametrize("name", available("tracker"))
def test_tracker_contract(name):
    tracker = build("tracker", name)
    empty = tracker.update(Detections.empty())
    assert isinstance(empty, Tracks) and len(empty) == 0
    outputs = [tracker.update(moving_box(k)) for k in range(10)]
    ids = {int(i) for out in outputs for i in out.ids}
    assert len(ids) == 1, f"{name}: one object moving steadily must keep one id, got {ids}"
    assert len(outputs[-1]) == 1 and outputs[-1].det_index.tolist() == [0]
    np.testing.assert_allclose(outputs[-1].xyxy, moving_box(9).xyxy, atol=2.0)
    tracker.reset()
    tracker.update(Detections.empty())
    again = [tracker.update(moving_box(k)) for k in range(10)]
    assert [o.ids.tolist() for o in again] == [o.ids.tolist() for o in outputs], "reset() must restore a fresh tracker"
