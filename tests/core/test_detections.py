import numpy as np
import pytest

from roadtrack import Detections

BOX = [[10.0, 20.0, 50.0, 100.0]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(xyxy=[[0, 0, 1]]), r"xyxy: expected shape \(N, 4\), got \(1, 3\)"),
        (dict(xyxy=[0, 0, 1, 1]), r"xyxy: expected shape \(N, 4\), got \(4,\)"),
        (dict(xyxy=[[0, 0, 1, np.nan]]), "xyxy: contains NaN or inf"),
        (dict(xyxy=[[0, 0, np.inf, 1]]), "xyxy: contains NaN or inf"),
        (dict(xyxy=[[2, 0, 1, 1]]), r"xyxy: x2 < x1 or y2 < y1 in row 0"),
        (dict(xyxy=[[0, 0, 1, 1], [0, 5, 1, 4]]), r"xyxy: x2 < x1 or y2 < y1 in row 1"),
        (dict(xyxy=BOX, scores=[0.5, 0.6]), r"scores: expected shape \(1,\), got \(2,\)"),
        (dict(xyxy=BOX, scores=[np.nan]), "scores: contains NaN or inf"),
        (dict(xyxy=BOX, class_ids=[0, 1]), r"class_ids: expected shape \(1,\), got \(2,\)"),
        (dict(xyxy=BOX, class_ids=[0.5]), "class_ids: expected whole numbers"),
        (dict(xyxy=BOX, class_ids=["car"]), "class_ids: expected integers"),
        (dict(xyxy=BOX, features=np.zeros((2, 8))), r"features: expected shape \(1, 8\), got \(2, 8\)"),
        (dict(xyxy=BOX, features=np.zeros(8)), r"features: expected shape \(1, D\), got \(8,\)"),
        (dict(xyxy=BOX, features=[[np.inf, 0.0]]), "features: contains NaN or inf"),
    ],
)
def test_invalid_input_names_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Detections(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [dict(xyxy=BOX), dict(xyxy=[[5, 5, 5, 5]]), dict(xyxy=np.zeros((0, 4))), dict(xyxy=[]),
     dict(xyxy=BOX, scores=[1], class_ids=[3.0], features=np.ones((1, 4)))],
)
def test_valid_input_does_not_raise(kwargs):
    d = Detections(**kwargs)
    assert d.xyxy.dtype == np.float64 and d.class_ids.dtype == np.int64 and d.scores.dtype == np.float64


def test_defaults_and_dtypes():
    d = Detections(BOX)
    assert d.scores.tolist() == [1.0] and d.class_ids.tolist() == [0] and d.features is None
    assert Detections(BOX, features=np.ones((1, 3), np.float64)).features.dtype == np.float32


def test_slicing_always_returns_detections():
    d = Detections([[0, 0, 1, 1], [1, 1, 3, 3], [2, 2, 5, 5]], [0.9, 0.2, 0.5], [0, 1, 2], np.eye(3))
    assert isinstance(d[0], Detections) and len(d[0]) == 1 and d[-1].class_ids.tolist() == [2]
    assert d[d.scores > 0.4].class_ids.tolist() == [0, 2]
    assert d[[2, 0]].scores.tolist() == [0.5, 0.9]
    assert d[1:].features.tolist() == [[0, 1, 0], [0, 0, 1]]
    assert len(d[np.zeros(3, bool)]) == 0 and len(d[[]]) == 0
    with pytest.raises(IndexError):
        d[3]
    with pytest.raises(IndexError, match="boolean mask"):
        d[np.ones(2, bool)]


def test_concat_and_empty():
    a = Detections([[0, 0, 1, 1]], [0.5], [1])
    b = Detections([[2, 2, 4, 4], [0, 0, 2, 2]], [0.7, 0.1], [0, 0])
    c = Detections.concat([a, Detections.empty(), b])
    assert c.scores.tolist() == [0.5, 0.7, 0.1] and c.class_ids.tolist() == [1, 0, 0]
    assert len(Detections.concat([])) == 0 and Detections.empty(8).features.shape == (0, 8)
    with pytest.raises(ValueError, match="features: present in some"):
        Detections.concat([a.with_features(np.ones((1, 2))), b])


def test_conversions_hand_computed():
    # box x1=10, y1=20, x2=50, y2=100: w = 40, h = 80, centre (30, 60), aspect 40/80 = 0.5
    d = Detections(BOX)
    assert d.tlwh.tolist() == [[10, 20, 40, 80]]
    assert d.xywh.tolist() == [[30, 60, 40, 80]]
    assert d.cxcyah.tolist() == [[30, 60, 0.5, 80]]
    assert d.area.tolist() == [3200]
    # normalised by a 100 x 200 image: 10/100, 20/200, 50/100, 100/200
    assert d.normalized(100, 200).tolist() == [[0.1, 0.1, 0.5, 0.5]]
    np.testing.assert_allclose(Detections.from_tlwh(d.tlwh).xyxy, d.xyxy)
    np.testing.assert_allclose(Detections.from_xywh(d.xywh).xyxy, d.xyxy)
    with pytest.raises(ValueError, match="image size"):
        d.normalized(0, 10)
