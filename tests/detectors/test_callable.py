"""`CallableDetector`: a user's function returning N x 6 arrays plugs in with one line."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_module
from roadtrack.core import registry
from roadtrack.detectors import CallableDetector

FRAME = np.zeros((100, 200, 3), np.uint8)
ROWS = [[10, 20, 50, 90, 0.9, 0], [60, 10, 80, 30, 0.3, 2], [0, 0, 5, 5, 0.6, 16]]


def fixed_rows(frame):
    return np.array(ROWS)


def test_per_frame_function():
    calls = []

    def fn(frame):
        calls.append(frame.shape)
        return ROWS

    det = CallableDetector(fn)
    out = det.detect([FRAME, FRAME[:50]])
    assert calls == [(100, 200, 3), (50, 200, 3)]
    assert [len(d) for d in out] == [3, 3]
    np.testing.assert_array_equal(out[0].xyxy, np.array(ROWS)[:, :4])
    assert out[0].scores.tolist() == [0.9, 0.3, 0.6] and out[0].class_ids.tolist() == [0, 2, 16]


def test_batched_function_conf_and_road_map():
    det = CallableDetector(lambda frames: [np.array(ROWS)] * len(frames), batched=True, conf=0.5,
                           class_names={0: "person", 2: "car", 16: "dog"}, class_map="road")
    out = det.detect([FRAME, FRAME])
    # conf 0.5 drops the car (0.3); the dog has no ROAD agent; person -> Ped 0.
    assert [d.class_ids.tolist() for d in out] == [[0], [0]]
    assert det.class_names[0] == "Ped"


def test_class_filter_by_name():
    det = CallableDetector(fixed_rows, classes=["car"], class_names=["person", "bicycle", "car"])
    assert det.detect([FRAME])[0].class_ids.tolist() == [2]


def test_torch_tensors_and_empty_results():
    torch = require_module("torch")
    det = CallableDetector(lambda frame: torch.tensor(ROWS[:1], dtype=torch.float32))
    np.testing.assert_allclose(det.detect([FRAME])[0].xyxy, [[10, 20, 50, 90]])
    for empty in (None, [], np.zeros((0, 6))):
        assert len(CallableDetector(lambda frame, e=empty: e).detect([FRAME])[0]) == 0
    assert det.detect([]) == []


def test_import_path_and_registry():
    det = registry.build("detector", "callable", fn="test_callable:fixed_rows", conf=0.5)
    assert det.fn is fixed_rows
    assert len(det.detect([FRAME])[0]) == 2
    assert CallableDetector("test_callable.fixed_rows").fn is fixed_rows


@pytest.mark.parametrize(
    "fn, options, match",
    [
        (lambda f: [[0, 0, 1, 1, 0.5]], {}, r"fn result for frame 0 \(expected \(N, 6\) rows .*got \(1, 5\)"),
        (lambda f: [[5, 0, 1, 1, 0.5, 0]], {}, r"frame 0 .*x2 < x1 or y2 < y1 in row 0"),
        (lambda f: [[0, 0, 1, 1, 0.5, 0.5]], {}, "class_ids: expected whole numbers"),
        (lambda fs: [ROWS], {"batched": True}, "fn returned 1 results for a batch of 2 frames"),
    ],
)
def test_bad_results(fn, options, match):
    with pytest.raises(ValueError, match=match):
        CallableDetector(fn, **options).detect([FRAME, FRAME])


@pytest.mark.parametrize(
    "fn, options, match",
    [
        ("no_such_module_xyz:fn", {}, "fn: cannot import 'no_such_module_xyz:fn'"),
        ("numpy:pi", {}, "fn: 'numpy:pi' is a float, not a callable"),
        (3, {}, "expected a callable or an import path, got int"),
        (fixed_rows, {"conf": 2}, r"conf must lie in \[0, 1\]"),
        (fixed_rows, {"classes": ["car"]}, "unknown class name 'car'"),  # no class_names given
    ],
)
def test_bad_options(fn, options, match):
    with pytest.raises(ValueError, match=match):
        CallableDetector(fn, **options)


def test_bad_frames():
    with pytest.raises(ValueError, match="expected dtype uint8"):
        CallableDetector(fixed_rows).detect([FRAME.astype(np.float32)])
