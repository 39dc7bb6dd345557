"""`UltralyticsDetector` on the shared OpenVINO export; weights are never downloaded."""

from __future__ import annotations

import socket
import sys

import numpy as np
import pytest

from conftest import require_module, require_shared
from detector_data import pets_ap50, read_frames
from roadtrack.core import registry
from roadtrack.detectors import UltralyticsDetector
from roadtrack.detectors.postprocess import pairwise_iou


PERSON = 0


@pytest.fixture(scope="module")
def weights():
    require_module("ultralytics")
    require_module("openvino")
    return require_shared("models", "yolov8n_int8_openvino_model")


@pytest.fixture(scope="module")
def pets_dir():
    return require_shared("data", "MOT15", "train", "PETS09-S2L1")


@pytest.fixture(scope="module")
def pets(pets_dir):
    return read_frames(pets_dir / "PETS09-S2L1.avi", (0, 100, 400, 700))


@pytest.fixture(scope="module")
def detector(weights):
    return UltralyticsDetector(weights, device="cpu")


def test_loads_the_openvino_export(detector):
    assert len(detector.class_names) == 80
    assert detector.class_names[0] == "person" and detector.class_names[2] == "car"
    assert all(isinstance(k, int) and isinstance(v, str) for k, v in detector.class_names.items())
    assert detector.batch == 1  # the export has a fixed batch of 1 (metadata.yaml: batch: 1)


def test_finds_the_people_of_pets_frame_0(detector, pets, pets_dir):
    d = detector.detect(pets[:1], frame_ids=[1])[0]
    persons = d[d.class_ids == PERSON]
    # Ground truth of MOT frame 1 (video frame 0): three people, tlwh -> xyxy.
    gt = np.loadtxt(pets_dir / "gt" / "gt.txt", delimiter=",")
    gt = gt[gt[:, 0] == 1, 2:6]
    gt[:, 2:] += gt[:, :2]
    assert len(gt) == 3 and len(persons) == 3
    best_iou = [pairwise_iou(box, persons.xyxy).max() for box in gt]
    assert min(best_iou) > 0.5, best_iou  # measured 0.64-0.94; 0.5 is the MOTChallenge match threshold
    assert np.all(persons.scores > 0.7)


def test_batch_of_4_equals_4_single_calls(detector, pets):
    together = detector.detect(pets)
    for frame, batched in zip(pets, together):
        alone = detector.detect([frame])[0]
        np.testing.assert_allclose(alone.xyxy, batched.xyxy)
        np.testing.assert_allclose(alone.scores, batched.scores)
        np.testing.assert_array_equal(alone.class_ids, batched.class_ids)
    assert [len(d) for d in together] == [5, 9, 5, 10]  # measured: persons plus parked vehicles


def test_classes_by_name(weights, detector, pets):
    persons_only = UltralyticsDetector(weights, classes=["person"], device="cpu")
    assert persons_only.class_names == detector.class_names  # a filter does not rename classes
    for everything, persons in zip(detector.detect(pets), persons_only.detect(pets)):
        assert len(persons) >= 3 and np.all(persons.class_ids == PERSON)
        np.testing.assert_allclose(persons.xyxy, everything[everything.class_ids == PERSON].xyxy)


def test_unknown_class_name_lists_the_valid_ones(weights):
    with pytest.raises(ValueError, match="unknown class name 'pedestrian'; valid classes are 0: person, 1: bicycle"):
        UltralyticsDetector(weights, classes=["pedestrian"], device="cpu")


def test_blank_frame_and_empty_batch(detector):
    assert len(detector.detect([np.zeros((480, 640, 3), np.uint8)])[0]) == 0
    assert detector.detect([]) == []


def test_registered():
    assert registry.get("detector", "ultralytics") is UltralyticsDetector


def test_missing_weights_never_reach_ultralytics_or_the_network(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # so the bare name below is surely missing
    def no_network(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    # With ultralytics unimportable, any attempt to use it would raise ImportError instead.
    monkeypatch.setitem(sys.modules, "ultralytics", None)
    with pytest.raises(FileNotFoundError, match="weights not found: does/not/exist/yolov8n.pt"):
        UltralyticsDetector("does/not/exist/yolov8n.pt", device="cpu")
    with pytest.raises(FileNotFoundError, match="yolov8n.pt"):
        UltralyticsDetector("yolov8n.pt", device="cpu")  # a bare name Ultralytics would download


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("x.onnx", b"this is not an onnx model", "cannot load weights .*x.onnx: "),
        ("x.pt", b"this is not a torch checkpoint", "cannot load weights .*x.pt: "),
        ("yolov8n.yaml", b"nc: 80\n", "cannot load weights .*yolov8n.yaml: a model config file"),
    ],
)
def test_unloadable_weights_raise_value_error(tmp_path, name, content, match):
    require_module("ultralytics")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        UltralyticsDetector(path, device="cpu")


@pytest.mark.parametrize(
    "frames, match",
    [
        ([np.zeros((480, 640), np.uint8)], r"frames\[0\]: expected shape \(H, W, 3\)"),
        ([np.zeros((480, 640, 3), np.float64)], "expected dtype uint8"),
    ],
)
def test_bad_frames(detector, frames, match):
    with pytest.raises(ValueError, match=match):
        detector.detect(frames)


def test_road_class_map(weights, detector, pets):
    road = UltralyticsDetector(weights, class_map="road", classes=["Ped"], device="cpu")
    assert road.class_names[0] == "Ped" and len(road.class_names) == 10
    for everything, peds in zip(detector.detect(pets), road.detect(pets)):
        assert len(peds) >= 3 and np.all(peds.class_ids == 0)
        np.testing.assert_allclose(peds.xyxy, everything[everything.class_ids == PERSON].xyxy)


def test_person_ap50_on_pets(weights):
    det = UltralyticsDetector(weights, conf=0.01, classes=["person"], device="cpu")
    # Measured 0.966 on these 20 frames, as YoloOpenVINODetector (all 795: benchmarks/results_detectors.md).
    assert pets_ap50(det) > 0.94


@pytest.fixture(scope="module")
def random_checkpoints(tmp_path_factory):
    """Untrained YOLOv8n and RT-DETR-l checkpoints built from Ultralytics' own model configs (no download)."""
    ultralytics = require_module("ultralytics")
    folder = tmp_path_factory.mktemp("ultralytics")
    ultralytics.YOLO("yolov8n.yaml").save(folder / "yolo_random.pt")
    # No "rtdetr" in the file name: the architecture must be recognised from the checkpoint itself.
    ultralytics.RTDETR("rtdetr-l.yaml").save(folder / "detr_random.pt")
    return folder


def test_pt_checkpoint_runs_whole_batches(random_checkpoints):
    det = UltralyticsDetector(random_checkpoints / "yolo_random.pt", conf=0.0, imgsz=160, device="cpu", batch=4)
    assert det.arch == "yolo" and det.batch == 4  # a .pt model takes any batch size
    frames = [np.random.default_rng(k).integers(0, 256, (120, 160, 3), dtype=np.uint8) for k in range(5)]
    out = det.detect(frames)
    assert len(out) == 5 and all(len(d) > 0 for d in out)  # untrained, conf 0: boxes everywhere
    np.testing.assert_allclose(det.detect(frames[4:])[0].xyxy, out[4].xyxy, atol=1e-3)


def test_rtdetr_checkpoint(random_checkpoints):
    det = UltralyticsDetector(random_checkpoints / "detr_random.pt", conf=0.0, imgsz=160, device="cpu", max_det=50,
                              class_map={"labels": ["thing"], "map": {0: "thing", 1: "thing"}})
    assert det.arch == "rtdetr" and det.class_names == {0: "thing"}
    out = det.detect([np.zeros((120, 160, 3), np.uint8)] * 2)
    assert len(out) == 2 and all(np.all(d.class_ids == 0) and len(d) <= 50 for d in out)
    forced = UltralyticsDetector(random_checkpoints / "detr_random.pt", imgsz=160, device="cpu", arch="rtdetr")
    assert forced.arch == "rtdetr"
    with pytest.raises(ValueError, match="unknown arch 'detr'; choose from auto, yolo, rtdetr"):
        UltralyticsDetector(random_checkpoints / "detr_random.pt", arch="detr")
