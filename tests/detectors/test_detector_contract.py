"""Every registered detector honours the `Detector` contract and takes the same class options."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack.pipeline  # noqa: F401  (registers every stage)
from conftest import require_module, require_shared
from roadtrack.core import Detections, Detector
from roadtrack.core.registry import available, build
from roadtrack.detectors import ROAD_AGENTS

FRAMES = [np.zeros((96, 128, 3), np.uint8), np.full((64, 80, 3), 200, np.uint8)]


def _torchvision_weights(tmp_path):
    require_module("torch")
    require_module("torchvision")
    import torch
    from torchvision.models import detection

    model = detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91)
    torch.save(model.state_dict(), tmp_path / "ssdlite.pt")
    return {"weights": tmp_path / "ssdlite.pt", "arch": "ssdlite320_mobilenet_v3_large", "device": "cpu"}


def _det_file(tmp_path):
    (tmp_path / "det.txt").write_text("1,-1,10,20,30,40,0.9,-1,-1,-1\n2,-1,5,5,10,10,0.8,-1,-1,-1\n")
    return {"path": tmp_path / "det.txt"}


def _openvino_export(tmp_path):
    require_module("openvino")
    return {"weights": require_shared("models", "yolov8n_int8_openvino_model"), "device": "cpu"}


def _ultralytics_export(tmp_path):
    require_module("ultralytics")
    return _openvino_export(tmp_path)


def _yolox(tmp_path):
    require_module("onnxruntime")
    return {"weights": require_shared("models", "yolox_nano", "yolox_nano.onnx"), "device": "cpu"}


# Registered name -> options building it. A newly registered detector fails here until it is added.
OPTIONS = {
    "callable": lambda tmp: {"fn": lambda frame: [[1, 2, 30, 40, 0.9, 0]], "class_names": ["person"]},
    "precomputed": _det_file,
    "torchvision": _torchvision_weights,
    "ultralytics": _ultralytics_export,
    "yolo-openvino": _openvino_export,
    "yolox": _yolox,
}


@pytest.fixture
def one_torch_thread():
    """torch's OpenMP threads spin at barriers: on a busy 2-core machine 1 thread is ~20x faster than 2."""
    try:
        import torch
    except ImportError:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.mark.parametrize("name", available("detector"))
def test_detector_contract(name, tmp_path, one_torch_thread):
    assert name in OPTIONS, f"add an OPTIONS entry for the newly registered detector {name!r}"
    options = OPTIONS[name](tmp_path)
    detector = build("detector", name, **options)
    assert isinstance(detector, Detector)
    assert detector.class_names and all(isinstance(k, int) and isinstance(v, str)
                                        for k, v in detector.class_names.items())
    assert detector.detect([], frame_ids=[]) == []
    out = detector.detect(FRAMES, frame_ids=[1, 2])
    assert len(out) == 2 and all(isinstance(d, Detections) for d in out)
    detector.reset()
    # The same options plus the ROAD preset: output classes become the ROAD agents, and only those ids appear.
    road = build("detector", name, **options, class_map="road", classes=["Ped", "Car"])
    assert road.class_names == dict(enumerate(ROAD_AGENTS))
    for d in road.detect(FRAMES, frame_ids=[1, 2]):
        assert set(d.class_ids.tolist()) <= {0, 1}
    if name != "precomputed":  # the only detector that never looks at pixels
        with pytest.raises(ValueError, match="expected dtype uint8"):
            detector.detect([FRAMES[0].astype(np.float32)])
