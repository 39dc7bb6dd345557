from types import SimpleNamespace

import numpy as np
import pytest
from conftest import require_module

from roadtrack.core import Detections
from roadtrack.io import (
    detections_from_array, detections_from_supervision, detections_from_ultralytics, detections_to_array,
    detections_to_supervision, detections_to_ultralytics,
)

# Values exactly representable in float32, so conversions through float32 tensors compare exactly.
XYXY = [[10.5, 20.0, 30.25, 40.0], [0.0, 0.0, 5.0, 5.0]]
SCORES = [0.75, 0.5]
CLASSES = [2, 0]


def _dets() -> Detections:
    return Detections(XYXY, SCORES, CLASSES)


def _same(a: Detections, b: Detections) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("xyxy", "scores", "class_ids"))


class FakeTensor:
    """Just enough of torch.Tensor: detach().cpu().numpy()."""

    def __init__(self, array):
        self.array = np.asarray(array, np.float32)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.array


def _fake_result(xyxy, conf, cls, tensor=np.asarray):
    return SimpleNamespace(boxes=SimpleNamespace(xyxy=tensor(xyxy), conf=tensor(conf), cls=tensor(cls)))


@pytest.mark.parametrize("tensor", [np.asarray, FakeTensor])
def test_from_ultralytics_duck_typed(tensor):
    d = detections_from_ultralytics(_fake_result(XYXY, SCORES, [2.0, 0.0], tensor))
    assert _same(d, _dets()) and d.class_ids.dtype == np.int64


def test_from_ultralytics_empty():
    d = detections_from_ultralytics(_fake_result(np.zeros((0, 4)), np.zeros(0), np.zeros(0)))
    assert len(d) == 0 and d.xyxy.shape == (0, 4)


def test_ultralytics_results_round_trip():
    require_module("ultralytics")
    require_module("torch")
    image = np.zeros((60, 80, 3), np.uint8)
    result = detections_to_ultralytics(_dets(), image, {0: "person", 2: "car"})
    assert type(result).__name__ == "Results" and result.names[2] == "car"
    assert result.boxes.data.shape == (2, 6)
    assert _same(detections_from_ultralytics(result), _dets())


def test_supervision_dict_and_object():
    as_dict = detections_to_supervision(_dets())
    assert set(as_dict) == {"xyxy", "confidence", "class_id"} and as_dict["xyxy"].shape == (2, 4)
    assert _same(detections_from_supervision(as_dict), _dets())
    assert _same(detections_from_supervision(SimpleNamespace(**as_dict)), _dets())
    # supervision allows confidence and class_id to be None.
    d = detections_from_supervision({"xyxy": np.array(XYXY), "confidence": None, "class_id": None})
    assert d.scores.tolist() == [1.0, 1.0] and d.class_ids.tolist() == [0, 0]


def test_array_round_trip():
    arr = detections_to_array(_dets())
    # Row 0: [x1, y1, x2, y2, score, class] = [10.5, 20, 30.25, 40, 0.75, 2].
    assert arr.tolist() == [[10.5, 20.0, 30.25, 40.0, 0.75, 2.0], [0.0, 0.0, 5.0, 5.0, 0.5, 0.0]]
    assert _same(detections_from_array(arr), _dets())
    assert detections_to_array(Detections.empty()).shape == (0, 6)
    assert len(detections_from_array(np.zeros((0, 6)))) == 0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: detections_from_array(np.zeros((3, 5))), r"array: expected shape \(N, 6\), got \(3, 5\)"),
        (lambda: detections_from_array(np.zeros(6)), r"array: expected shape \(N, 6\), got \(6,\)"),
        (lambda: detections_from_array([[0, 0, 1, 1, 0.5, 1.5]]), "class_ids: expected whole numbers"),
        (lambda: detections_from_ultralytics(_fake_result(np.zeros((2, 4)), np.zeros(3), np.zeros(2))),
         r"boxes\.conf: expected shape \(2,\), got \(3,\)"),
        (lambda: detections_from_ultralytics(_fake_result(np.zeros((2, 5)), np.zeros(2), np.zeros(2))),
         r"boxes\.xyxy: expected shape \(N, 4\)"),
        (lambda: detections_from_ultralytics([_fake_result(XYXY, SCORES, CLASSES)]), "expected one Results"),
        (lambda: detections_from_ultralytics(SimpleNamespace(boxes=None)), "has no boxes"),
        (lambda: detections_from_supervision({"confidence": [1.0]}), "has no 'xyxy'"),
        (lambda: detections_from_supervision({"xyxy": XYXY, "class_id": [1]}), r"class_id: expected shape \(2,\)"),
        (lambda: detections_from_array(np.array(XYXY)[:, [0, 1, 2, 3, 0, 1]] * 0), None),  # does not raise
    ],
)
def test_shape_errors(call, match):
    if match is None:
        call()
    else:
        with pytest.raises(ValueError, match=match):
            call()
