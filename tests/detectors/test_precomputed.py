import numpy as np
import pytest

from roadtrack.core import Detector
from roadtrack.core.registry import build
from roadtrack.detectors.precomputed import PrecomputedDetector


@pytest.fixture
def pets_det(mot15):
    return mot15 / "PETS09-S2L1" / "det" / "det.txt"


def test_frame_one_is_exactly_the_file_rows(pets_det):
    # The first lines of PETS09-S2L1/det/det.txt, all of frame 1 (frame 2 starts on line 4):
    #   1,-1,649.441,231.502,44.417,86.13,0.995474,-1,-1,-1
    #   1,-1,252.783,207.732,35.813,96.641,0.991175,-1,-1,-1
    #   1,-1,499.296,156.205,33.338,76.362,0.985592,-1,-1,-1
    detector = PrecomputedDetector(pets_det)
    assert isinstance(detector, Detector)
    (dets,) = detector.detect([None], frame_ids=[1])
    assert dets.xyxy.tolist() == [
        [649.441, 231.502, 649.441 + 44.417, 231.502 + 86.13],
        [252.783, 207.732, 252.783 + 35.813, 207.732 + 96.641],
        [499.296, 156.205, 499.296 + 33.338, 156.205 + 76.362],
    ]
    assert dets.scores.tolist() == [0.995474, 0.991175, 0.985592]
    assert dets.class_ids.tolist() == [0, 0, 0]


def test_min_score_and_class_id(pets_det):
    detector = PrecomputedDetector(pets_det, min_score=0.99, class_id=5)
    (dets,) = detector.detect([None], frame_ids=[1])
    assert dets.scores.tolist() == [0.995474, 0.991175]  # 0.985592 < 0.99 dropped
    assert dets.class_ids.tolist() == [5, 5] and detector.class_names == {5: "person"}


def test_frames_without_rows_are_empty(mot15):
    # KITTI-13's det.txt starts at frame 4 with one row: 4,-1,748.744,152.562,32.441,55.121,0.672558,-1,-1,-1
    detector = PrecomputedDetector(mot15 / "KITTI-13" / "det" / "det.txt")
    *empty, four = detector.detect([None] * 4, frame_ids=[1, 2, 3, 4])
    assert [len(d) for d in empty] == [0, 0, 0]
    assert four.xyxy.tolist() == [[748.744, 152.562, 748.744 + 32.441, 152.562 + 55.121]]
    assert len(detector.detect([None], frame_ids=[10_000])[0]) == 0  # past the end
    assert detector.frame_numbers[0] == 4


def test_counter_numbers_frames_from_one_and_reset_rewinds(mot15):
    detector = PrecomputedDetector(mot15 / "KITTI-13" / "det" / "det.txt")
    lengths = [len(d) for d in detector.detect([None] * 4)]  # frames 1, 2, 3, 4
    assert lengths == [0, 0, 0, 1]
    detector.reset()
    (first,) = detector.detect([np.zeros((2, 2, 3), np.uint8)])  # images are ignored
    assert len(first) == 0  # frame 1 again
    detector.detect([None], frame_ids=[4])
    (after,) = detector.detect([None])  # continues after the last explicit frame id: frame 5
    assert np.array_equal(after.xyxy, detector.detect([None], frame_ids=[5])[0].xyxy)


def test_registered_by_name(pets_det):
    detector = build("detector", "precomputed", path=pets_det, min_score=0.5)
    assert isinstance(detector, PrecomputedDetector)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda tmp: PrecomputedDetector(tmp / "none.txt"), FileNotFoundError, r"detection file not found: .*none\.txt"),
        (lambda tmp: _bad_file(tmp), ValueError, r"det\.txt, line 2: not a number"),
        (lambda tmp: _good_file(tmp).detect([None, None], frame_ids=[1]), ValueError, "2 frames but 1 frame_ids"),
        (lambda tmp: _good_file(tmp).detect([], frame_ids=[]), None, None),  # does not raise
    ],
)
def test_errors(tmp_path, make, error, match):
    if error is None:
        assert make(tmp_path) == []
    else:
        with pytest.raises(error, match=match):
            make(tmp_path)


def _good_file(tmp) -> PrecomputedDetector:
    (tmp / "det.txt").write_text("1,-1,0,0,10,10,0.9,-1,-1,-1\n")
    return PrecomputedDetector(tmp / "det.txt")


def _bad_file(tmp) -> PrecomputedDetector:
    (tmp / "det.txt").write_text("1,-1,0,0,10,10,0.9,-1,-1,-1\n2,-1,a,0,10,10,0.9,-1,-1,-1\n")
    return PrecomputedDetector(tmp / "det.txt")


@pytest.fixture
def kitti_0000(shared):
    return shared("data", "kitti_tracking", "training", "label_02", "0000.txt")


def test_kitti_labels_as_detections(kitti_0000):
    # Frame 0 of KITTI 0000 (roadtrack frame 1): two DontCare regions (dropped), then
    #   0 0 Van ... 296.744956 161.752147 455.226042 292.372804 ...
    #   0 1 Cyclist ... 737.619499 161.531951 931.112229 374.000000 ...
    #   0 2 Pedestrian ... 1106.137292 166.576807 1204.470628 323.876144 ...
    detector = PrecomputedDetector(kitti_0000)
    (dets,) = detector.detect([None], frame_ids=[1])
    assert dets.xyxy.tolist() == [[296.744956, 161.752147, 455.226042, 292.372804],
                                  [737.619499, 161.531951, 931.112229, 374.0],
                                  [1106.137292, 166.576807, 1204.470628, 323.876144]]
    assert [detector.class_names[c] for c in dets.class_ids] == ["Van", "Cyclist", "Pedestrian"]
    assert "DontCare" not in detector.class_names.values() and dets.scores.tolist() == [1.0, 1.0, 1.0]


def test_kitti_with_road_map(kitti_0000):
    # Van -> MedVeh (4), Cyclist -> Cyc (2), Pedestrian -> Ped (0); classes keeps Ped and Cyc only.
    detector = PrecomputedDetector(kitti_0000, class_map="road", classes=["Ped", "Cyc"])
    (dets,) = detector.detect([None], frame_ids=[1])
    assert dets.class_ids.tolist() == [2, 0] and detector.class_names[2] == "Cyc"
    everything = PrecomputedDetector(kitti_0000, class_map="road")
    assert everything.detect([None], frame_ids=[1])[0].class_ids.tolist() == [4, 2, 0]


def test_kitti_results_keep_unknown_types_and_scores(tmp_path):
    (tmp_path / "res.txt").write_text(
        "0 3 Car -1 -1 -10 10 20 30 40 -1 -1 -1 -1000 -1000 -1000 -10 0.75\n"
        "2 4 Bus -1 -1 -10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10 0.5\n"
    )
    detector = PrecomputedDetector(tmp_path / "res.txt")
    first, _, third = detector.detect([None] * 3, frame_ids=[1, 2, 3])
    assert first.scores.tolist() == [0.75] and detector.class_names[first.class_ids[0]] == "Car"
    assert detector.class_names[third.class_ids[0]] == "Bus" and third.class_ids[0] == 9  # after KITTI's 9 types


COCO_RESULTS = [
    {"image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 40], "score": 0.9},
    {"image_id": 1, "category_id": 3, "bbox": [100, 50, 20, 10], "score": 0.4},
    {"image_id": 3, "category_id": 10, "bbox": [5.5, 6, 7, 8], "score": 0.7},
]


def test_coco_results(tmp_path):
    import json

    (tmp_path / "dets.json").write_text(json.dumps(COCO_RESULTS))
    detector = PrecomputedDetector(tmp_path / "dets.json", min_score=0.5)
    one, two, three = detector.detect([None] * 3, frame_ids=[1, 2, 3])
    assert one.xyxy.tolist() == [[10, 20, 40, 60]] and one.class_ids.tolist() == [1]  # 0.4 car dropped
    assert len(two) == 0 and three.xyxy.tolist() == [[5.5, 6, 12.5, 14]]
    assert detector.class_names[1] == "person" and detector.class_names[10] == "traffic light"
    road = PrecomputedDetector(tmp_path / "dets.json", class_map="road")
    assert [d.class_ids.tolist() for d in road.detect([None] * 3, frame_ids=[1, 2, 3])] == [[0, 1], [], [8]]
    # Zero-based image ids: frame_offset 1 makes image 0 frame 1.
    shifted = PrecomputedDetector(tmp_path / "dets.json", frame_offset=1)
    assert shifted.frame_numbers == [2, 4]


def test_coco_dataset_dict_names_its_categories(tmp_path):
    import json

    data = {"annotations": [{"image_id": 2, "category_id": 7, "bbox": [0, 0, 1, 1], "score": 0.5}],
            "categories": [{"id": 7, "name": "rickshaw"}]}
    (tmp_path / "d.json").write_text(json.dumps(data))
    detector = PrecomputedDetector(tmp_path / "d.json", format="coco")
    assert detector.class_names == {7: "rickshaw"} and detector.frame_numbers == [2]


@pytest.mark.parametrize(
    "name, content, options, match",
    [
        ("d.json", "{not json", {}, r"d.json: not a JSON file"),
        ("d.json", '{"images": []}', {}, "expected a list of detections or a COCO dict with 'annotations'"),
        ("d.json", '[{"image_id": 1, "bbox": [0, 0, 1, 1]}]', {}, r"d.json, detection 0: expected image_id, "
                                                                  r"category_id, bbox .*KeyError"),
        ("d.json", '[{"image_id": 1.5, "category_id": 1, "bbox": [0, 0, 1, 1]}]', {}, "detection 0: bad values"),
        ("d.json", '[{"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 1]}]', {}, "sizes >= 0"),
        ("d.txt", "1,-1,0,0,1,1,0.9,-1,-1,-1\n", {"format": "yolo"}, "unknown detection file format 'yolo'"),
        ("d.txt", "0 1 Car -1 -1 -10 10 20 5 40 -1 -1 -1 -1 -1 -1 -10\n", {}, r"d.txt, line 1: bad box"),
        ("d.txt", "1,-1,0,0,1,1,0.9,-1,-1,-1\n", {"class_map": "road", "classes": ["Car"]}, None),  # no error
    ],
)
def test_file_errors(tmp_path, name, content, options, match):
    (tmp_path / name).write_text(content)
    if match is None:
        assert len(PrecomputedDetector(tmp_path / name, **options).detect([None], frame_ids=[1])[0]) == 0
    else:
        with pytest.raises(ValueError, match=match):
            PrecomputedDetector(tmp_path / name, **options)
