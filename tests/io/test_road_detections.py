"""ROAD++ baseline-layout detection files with per-box label scores, and the precomputed detector on them."""

import numpy as np
import pytest

from roadtrack.core.labels import ROAD, ROAD_WAYMO
from roadtrack.detectors import PrecomputedDetector
from roadtrack.io.adapters import detections_from_ultralytics
from roadtrack.io.road_detections import layout, read_road_detections, write_road_detections

PARTS = len(ROAD_WAYMO.agent) + len(ROAD_WAYMO.action) + len(ROAD_WAYMO.loc)  # 10 + 22 + 16 = 48


def _rows(n, agent=1):
    rows = np.zeros((n, 5 + PARTS))
    rows[:, :4] = [[84, 60, 168, 180]] * n   # in the 840 x 600 evaluation frame
    rows[:, 4] = 0.7
    rows[:, 5 + agent] = 0.9                  # agent scores come first
    rows[:, 5 + 10 + ROAD_WAYMO.action.index("Stop")] = 0.8
    return rows


def test_round_trip_and_layout(tmp_path):
    write_road_detections(tmp_path / "v", {1: _rows(2), 3: np.zeros((0, 5 + PARTS))})
    dets = read_road_detections(tmp_path / "v")
    assert dets.labels.name == "road_waymo" and dets.label_types == ("agent", "action", "loc")
    assert sorted(dets.frames) == [1, 3] and len(dets.frames[3]) == 0
    first = dets.frames[1]
    assert first.class_ids.tolist() == [1, 1] and first.scores.tolist() == pytest.approx([0.7, 0.7])
    assert {k: v.shape for k, v in first.extras.items()} == {"agent_scores": (2, 10), "action_scores": (2, 22),
                                                             "loc_scores": (2, 16)}
    assert layout(sum(ROAD.counts)) == (ROAD, ("agent", "action", "loc", "duplex", "triplet"))
    with pytest.raises(ValueError, match="47 score columns match no label layout"):
        layout(47)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="detection folder not found"):
        read_road_detections(tmp_path / "missing")
    write_road_detections(tmp_path / "v", {2: np.zeros((1, 9))})
    with pytest.raises(ValueError, match="4 score columns match no label layout"):
        read_road_detections(tmp_path / "v")


def test_precomputed_detector_rescales_to_the_image_and_declares_its_columns(tmp_path):
    write_road_detections(tmp_path / "v", {1: _rows(1)})
    det = PrecomputedDetector(tmp_path / "v")
    assert det.extra_columns == {"agent_scores": (10,), "action_scores": (22,), "loc_scores": (16,)}
    assert det.class_names[1] == "Car"
    image = np.zeros((300, 420, 3), np.uint8)  # half the 840 x 600 frame
    (frame1, frame2) = det.detect([image, image], [1, 2])
    assert frame1.xyxy.tolist() == [[42.0, 30.0, 84.0, 90.0]]
    assert len(frame2) == 0 and set(frame2.extras) == set(det.extra_columns)  # empty frames keep the columns
    (unscaled,) = det.detect([None], [1])
    assert unscaled.xyxy.tolist() == [[84.0, 60.0, 168.0, 180.0]]


def test_ultralytics_adapter_takes_extra_heads():
    class Boxes:
        xyxy = np.array([[0.0, 0.0, 4.0, 4.0]])
        conf = np.array([0.9])
        cls = np.array([2.0])

    class Result:
        boxes = Boxes()

    d = detections_from_ultralytics(Result(), extras={"action_scores": np.full((1, 22), 0.5)})
    assert d.extras["action_scores"].shape == (1, 22)
    with pytest.raises(ValueError, match=r"extras\['x'\]: expected 1 rows"):
        detections_from_ultralytics(Result(), extras={"x": np.zeros((2, 3))})
