"""`YoloOpenVINODetector`: parity with Ultralytics on the same OpenVINO export, plus its error cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from conftest import require_module, require_shared
from detector_data import pets_ap50, read_frames
from roadtrack.core import Detections, registry
from roadtrack.detectors import YoloOpenVINODetector
from roadtrack.detectors.postprocess import pairwise_iou


PERSON = 0
PETS_FRAMES = (0, 100, 400, 700)
TUD_FRAMES = (0, 35, 70)


@pytest.fixture(scope="module")
def weights():
    require_module("openvino")
    return require_shared("models", "yolov8n_int8_openvino_model")


@pytest.fixture(scope="module")
def pets():
    return read_frames(require_shared("data", "MOT15", "train", "PETS09-S2L1", "PETS09-S2L1.avi"), PETS_FRAMES)


@pytest.fixture(scope="module")
def tud():
    return read_frames(require_shared("data", "MOT15", "train", "TUD-Campus", "TUD-Campus.mp4"), TUD_FRAMES)


@pytest.fixture(scope="module")
def native(weights):
    return YoloOpenVINODetector(weights, device="cpu")


def match_persons(a: Detections, b: Detections) -> tuple[np.ndarray, np.ndarray]:
    """Pair the person boxes of ``a`` and ``b`` by maximum IoU (pairs with IoU > 0.5 only)."""
    a, b = a[a.class_ids == PERSON], b[b.class_ids == PERSON]
    if not len(a) or not len(b):
        return a[[]], b[[]]
    iou = np.stack([pairwise_iou(box, b.xyxy) for box in a.xyxy])
    rows, cols = linear_sum_assignment(-iou)
    good = iou[rows, cols] > 0.5
    return a[rows[good]], b[cols[good]]


def test_matches_ultralytics_on_the_same_export(weights, native, pets, tud):
    require_module("ultralytics")
    from roadtrack.detectors import UltralyticsDetector

    reference = UltralyticsDetector(weights, device="cpu")
    assert native.class_names == reference.class_names
    frames = pets + tud
    ours, theirs = native.detect(frames), reference.detect(frames)
    box_diff = score_diff = 0.0
    for k, (a, b) in enumerate(zip(ours, theirs)):
        n_a, n_b = int((a.class_ids == PERSON).sum()), int((b.class_ids == PERSON).sum())
        assert n_a >= 1, f"frame {k}: no persons found"
        assert abs(n_a - n_b) <= 1, f"frame {k}: {n_a} persons vs Ultralytics' {n_b}"
        ma, mb = match_persons(a, b)
        assert len(ma) == min(n_a, n_b), f"frame {k}: only {len(ma)} of {min(n_a, n_b)} persons pair up"
        if len(ma):
            box_diff = max(box_diff, float(np.abs(ma.xyxy - mb.xyxy).max()))
            score_diff = max(score_diff, float(np.abs(ma.scores - mb.scores).max()))
    assert box_diff <= 1.0
    assert score_diff <= 0.01


def test_people_in_pets_frame_0(native, pets):
    d = native.detect(pets[:1])[0]
    persons = d[d.class_ids == PERSON]
    # Three people walk in frame 0 (MOT frame 1); the other boxes are the parked van and car.
    assert len(persons) == 3
    assert np.all(persons.scores > 0.7)
    assert {native.class_names[c] for c in d.class_ids} <= {"person", "car", "truck"}


def test_batch_equals_single_calls(native, pets):
    batched = native.detect(pets)
    for frame, together in zip(pets, batched):
        alone = native.detect([frame])[0]
        np.testing.assert_array_equal(alone.xyxy, together.xyxy)
        np.testing.assert_array_equal(alone.scores, together.scores)
        np.testing.assert_array_equal(alone.class_ids, together.class_ids)


def test_boxes_lie_in_the_frame(native, pets, tud):
    for frame, d in zip(pets + tud, native.detect(pets + tud)):
        h, w = frame.shape[:2]
        assert d.xyxy.dtype == np.float64 and d.class_ids.dtype == np.int64
        assert np.all(d.xyxy >= 0) and np.all(d.xyxy[:, [0, 2]] <= w) and np.all(d.xyxy[:, [1, 3]] <= h)
        assert np.all(d.scores > 0.25) and np.all(np.diff(d.scores) <= 0)


def test_blank_frame_gives_empty_detections(native):
    out = native.detect([np.zeros((480, 640, 3), np.uint8), np.full((100, 50, 3), 114, np.uint8)])
    assert [len(d) for d in out] == [0, 0]
    assert out[0].xyxy.shape == (0, 4)
    assert native.detect([]) == []


def test_class_filter_by_id_and_name(weights, native, pets):
    everything = native.detect(pets)
    # The .xml inside the folder works as weights too.
    for classes in ([PERSON], ["person"]):
        persons = YoloOpenVINODetector(weights / "yolov8n.xml", classes=classes, device="cpu").detect(pets)
        for all_d, person_d in zip(everything, persons):
            assert len(person_d) and np.all(person_d.class_ids == PERSON)
            # NMS is per class, so filtering cannot change the person boxes.
            np.testing.assert_array_equal(person_d.xyxy, all_d[all_d.class_ids == PERSON].xyxy)


def test_max_det_keeps_the_best(weights, native, pets):
    top2 = YoloOpenVINODetector(weights, max_det=2, device="cpu").detect(pets[1:2])[0]
    everything = native.detect(pets[1:2])[0]
    assert len(everything) > 2
    np.testing.assert_array_equal(top2.scores, everything.scores[:2])


def test_registered(weights):
    assert registry.get("detector", "yolo-openvino") is YoloOpenVINODetector
    det = registry.build("detector", "yolo-openvino", weights=str(weights), conf=0.5, device="cpu")
    assert det.class_names[0] == "person" and len(det.class_names) == 80 and det.input_hw == (640, 640)


def test_missing_weights_names_the_path(tmp_path):
    missing = tmp_path / "nowhere" / "yolov8n_openvino_model"
    with pytest.raises(FileNotFoundError, match="nowhere/yolov8n_openvino_model"):
        YoloOpenVINODetector(missing)


@pytest.mark.parametrize(
    "files, target, match",
    [
        (["metadata.yaml"], "", "expected one OpenVINO .xml model in the folder, found no .xml file"),
        (["a.xml", "a.bin", "b.xml", "b.bin"], "", r"found several .xml files \(a.xml, b.xml\)"),
        (["model.xml"], "model.xml", "model.bin is missing"),
        (["model.onnx"], "model.onnx", "expected an \\*_openvino_model folder or its .xml file"),
        (["model.xml", "model.bin"], "", "(?s)cannot load weights .*Unable to read the model"),  # not IR
    ],
)
def test_unloadable_weights(tmp_path, files, target, match):
    require_module("openvino")
    for name in files:
        (tmp_path / name).write_text("not a model")
    with pytest.raises(ValueError, match=match):
        YoloOpenVINODetector(tmp_path / target)


@pytest.mark.parametrize(
    "frames, match",
    [
        ([np.zeros((480, 640), np.uint8)], r"frames\[0\]: expected shape \(H, W, 3\)"),
        ([np.zeros((480, 640, 3), np.float32)], "expected dtype uint8"),
        ([np.zeros((480, 640, 4), np.uint8)], "expected shape"),
        (np.zeros((480, 640, 3), np.uint8), r"got shape \(480, 640, 3\)"),  # one frame instead of a list
        ([None], "expected a numpy array"),
    ],
)
def test_bad_frames(native, frames, match):
    with pytest.raises(ValueError, match=match):
        native.detect(frames)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"classes": ["pedestrian"]}, "unknown class name 'pedestrian'; valid classes are 0: person"),
        ({"conf": 1.5}, r"conf must lie in \[0, 1\], got 1.5"),
        ({"max_det": 0}, "max_det must be at least 1"),
        ({"device": "gpu"}, "unknown device 'gpu'"),
    ],
)
def test_bad_options(weights, options, match):
    with pytest.raises(ValueError, match=match):
        YoloOpenVINODetector(weights, **options)


def test_dynamic_batch_export_runs_a_batch_in_one_call(weights, pets, tmp_path):
    ov = require_module("openvino")
    model = ov.Core().read_model(str(weights / "yolov8n.xml"))
    model.reshape([-1, 3, -1, -1])  # as `yolo export format=openvino dynamic=True` would write it
    folder = tmp_path / "yolov8n_dynamic_openvino_model"
    ov.save_model(model, str(folder / "yolov8n.xml"), compress_to_fp16=False)
    (folder / "metadata.yaml").write_bytes((weights / "metadata.yaml").read_bytes())
    dynamic = YoloOpenVINODetector(folder, classes=["person"], device="cpu")
    static = YoloOpenVINODetector(weights, classes=["person"], device="cpu")
    assert dynamic._batch is None and static._batch == 1
    for a, b in zip(dynamic.detect(pets), static.detect(pets)):
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1e-3)
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-4)


def test_person_ap50_on_pets(weights):
    det = YoloOpenVINODetector(weights, conf=0.01, classes=["person"], device="cpu")
    # Measured 0.966 on these 20 frames (all 795: benchmarks/results_detectors.md).
    assert pets_ap50(det) > 0.94


def test_road_class_map_nms_runs_on_output_classes(weights, native, pets):
    road = YoloOpenVINODetector(weights, class_map="road", device="cpu")
    assert road.class_names[5] == "LarVeh"
    everything = native.detect(pets)
    for coco, mapped in zip(everything, road.detect(pets)):
        # COCO person/car/truck -> Ped 0/Car 1/LarVeh 5; classes without an agent (e.g. handbag) are dropped.
        agents = coco[np.isin(coco.class_ids, [0, 1, 2, 3, 5, 7, 9])]
        np.testing.assert_allclose(mapped.xyxy, agents.xyxy)
        lookup = {0: 0, 1: 2, 2: 1, 3: 3, 5: 6, 7: 5, 9: 8}
        assert mapped.class_ids.tolist() == [lookup[c] for c in agents.class_ids.tolist()]
    # A map that merges car and truck into one label runs NMS over both together: never more boxes than before.
    merged = YoloOpenVINODetector(weights, device="cpu",
                                  class_map={"labels": ["vehicle"], "map": {"car": "vehicle", "truck": "vehicle"}})
    for coco, veh in zip(everything, merged.detect(pets)):
        assert len(veh) <= int(np.isin(coco.class_ids, [2, 7]).sum())
