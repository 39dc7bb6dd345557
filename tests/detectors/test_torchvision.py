"""`TorchvisionDetector` with randomly initialised models saved to tmp_path: no trained torchvision detection
weights exist in ../shared, so these check loading, batching, parity with calling the model directly, class
handling and the error cases, not accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_module
from roadtrack.core import registry
from roadtrack.detectors import TorchvisionDetector
from roadtrack.detectors.torchvision_models import ARCHS

# The smallest builder of each family; the resnet50 ones are ~130 MB state dicts, so run at a small size.
FAMILIES = {
    "fasterrcnn_mobilenet_v3_large_320_fpn": {"min_size": 96, "max_size": 128},
    "retinanet_resnet50_fpn": {"min_size": 96, "max_size": 128},
    "fcos_resnet50_fpn": {"min_size": 96, "max_size": 128},
    "ssdlite320_mobilenet_v3_large": {},
}


@pytest.fixture(scope="module")
def torch():
    require_module("torchvision")
    torch = require_module("torch")
    # One thread: torch's OpenMP workers spin at barriers, which on a shared 2-core machine made a forward pass 20x
    # slower with 2 threads than with 1. Restored afterwards, as the setting is process-wide.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(previous)


class _Saved(dict):
    """arch -> path of a random-weight state dict, written on first use (seeded, so runs are reproducible)."""

    def __init__(self, torch, folder):
        super().__init__()
        self.torch, self.folder = torch, folder

    def __missing__(self, arch):
        from torchvision.models import detection

        self.torch.manual_seed(0)
        model = detection.__dict__[arch](weights=None, weights_backbone=None, num_classes=91)
        self[arch] = self.folder / f"{arch}.pt"
        self.torch.save(model.state_dict(), self[arch])
        return self[arch]


@pytest.fixture(scope="module")
def saved(torch, tmp_path_factory):
    return _Saved(torch, tmp_path_factory.mktemp("torchvision"))


def frames(n=2, h=96, w=128):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize("arch", FAMILIES)
def test_matches_the_model_called_directly(torch, saved, arch):
    from torchvision.models import detection

    # Random heads give many tied scores, so only the same batching is compared (ties may break differently).
    det = TorchvisionDetector(saved[arch], arch=arch, conf=0.0, device="cpu", batch=2, **FAMILIES[arch])
    batch = frames()
    out = det.detect(batch)
    assert len(out) == 2 and det.class_names[1] == "person" and det.class_names[3] == "car"
    score, nms, per_image = ARCHS[arch]
    options = {score: 0.0, nms: 0.5, per_image: 300, **FAMILIES[arch]}  # the detector's conf, iou and max_det
    reference = detection.__dict__[arch](weights=None, weights_backbone=None, num_classes=91, **options)
    reference.load_state_dict(torch.load(saved[arch], weights_only=True), strict=False)
    with torch.inference_mode():
        expected = reference.eval()([torch.from_numpy(f[..., ::-1].copy()).permute(2, 0, 1).float() / 255
                                     for f in batch])
    for ours, theirs, frame in zip(out, expected, batch):
        assert len(ours) > 0  # a random model with threshold 0 always proposes boxes
        np.testing.assert_allclose(ours.xyxy, theirs["boxes"].numpy(), rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(ours.scores, theirs["scores"].numpy(), rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(ours.class_ids, theirs["labels"].numpy())
        assert np.all(ours.xyxy[:, [2, 3]] <= [frame.shape[1], frame.shape[0]])


def test_conf_classes_and_class_map(saved):
    arch = "ssdlite320_mobilenet_v3_large"
    everything = TorchvisionDetector(saved[arch], arch=arch, conf=0.0, device="cpu").detect(frames(1))[0]
    # COCO category ids: 1 person, 3 car, 8 truck; as ROAD agents: Ped 0, Car 1, LarVeh 5.
    road = TorchvisionDetector(saved[arch], arch=arch, conf=0.0, device="cpu", class_map="road",
                               classes=["Ped", "Car", "LarVeh"]).detect(frames(1))[0]
    expected = everything[np.isin(everything.class_ids, [1, 3, 8])]
    np.testing.assert_allclose(road.xyxy, expected.xyxy)
    lookup = {1: 0, 3: 1, 8: 5}
    assert road.class_ids.tolist() == [lookup[c] for c in expected.class_ids.tolist()]
    high = TorchvisionDetector(saved[arch], arch=arch, conf=0.02, device="cpu").detect(frames(1))[0]
    assert np.all(high.scores > 0.02) and len(high) == int((everything.scores > 0.02).sum())


def test_training_checkpoint_and_data_parallel_prefix(torch, saved, tmp_path):
    arch = "ssdlite320_mobilenet_v3_large"
    state = torch.load(saved[arch], weights_only=True)
    path = tmp_path / "checkpoint.pth"
    torch.save({"model": {f"module.{k}": v for k, v in state.items()}, "epoch": 3}, path)
    a = TorchvisionDetector(path, arch=arch, conf=0.0, device="cpu").detect(frames(1))[0]
    b = TorchvisionDetector(saved[arch], arch=arch, conf=0.0, device="cpu").detect(frames(1))[0]
    np.testing.assert_array_equal(a.xyxy, b.xyxy)


def test_never_downloads(saved, monkeypatch):
    import torch.hub

    def no_download(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    arch = "fasterrcnn_mobilenet_v3_large_320_fpn"
    TorchvisionDetector(saved[arch], arch=arch, device="cpu")


def test_registered(saved):
    arch = "ssdlite320_mobilenet_v3_large"
    assert registry.get("detector", "torchvision") is TorchvisionDetector
    det = registry.build("detector", "torchvision", weights=str(saved[arch]), arch=arch, device="cpu")
    assert det.arch == arch and det.detect([]) == []


def test_errors_on_weights(torch, saved, tmp_path):
    cases = [
        # A checkpoint of another architecture: names what differs.
        (dict(weights=saved["ssdlite320_mobilenet_v3_large"], arch="fasterrcnn_mobilenet_v3_large_320_fpn"),
         ValueError, r"not a fasterrcnn_mobilenet_v3_large_320_fpn checkpoint: \d+ parameters missing \(e.g. "
                     r"backbone.*\), \d+ unexpected"),
        # Right architecture, another class count.
        (dict(weights=saved["fcos_resnet50_fpn"], arch="fcos_resnet50_fpn", num_classes=3),
         ValueError, r"head.classification_head.cls_logits.weight has shape \(91, 256, 3, 3\) in the file but "
                     r"\(3, 256, 3, 3\) in fcos_resnet50_fpn; is num_classes right"),
        (dict(weights=tmp_path / "none.pt"), FileNotFoundError, "weights not found: .*none.pt"),
        (dict(weights=_write(tmp_path / "text.pt", b"not a checkpoint")), ValueError,
         r"text.pt: not a state dict saved with torch.save\(model.state_dict\(\)\)"),
        (dict(weights=_save(torch, tmp_path / "list.pt", [1, 2])), ValueError,
         "expected a mapping of parameter names to tensors"),
        (dict(weights=saved["fcos_resnet50_fpn"], arch="yolov8"), ValueError,
         "unknown arch 'yolov8'; choose from fasterrcnn_resnet50_fpn, "),
        (dict(weights=saved["ssdlite320_mobilenet_v3_large"], arch="ssdlite320_mobilenet_v3_large", min_size=128),
         ValueError, "resizes to its fixed input size; min_size/max_size do not apply"),
        (dict(weights=saved["fcos_resnet50_fpn"], arch="fcos_resnet50_fpn", iou=2), ValueError,
         r"iou must lie in \[0, 1\]"),
        (dict(weights=saved["fcos_resnet50_fpn"], arch="fcos_resnet50_fpn", device="cuda:3"), ValueError,
         "asks for CUDA"),
        (dict(weights=saved["fcos_resnet50_fpn"], arch="fcos_resnet50_fpn", threads=0), ValueError,
         "threads must be at least 1"),
    ]
    for options, error, match in cases:
        with pytest.raises(error, match=match):
            TorchvisionDetector(**{"device": "cpu", **options})


def test_full_model_pickle_is_refused(torch, tmp_path):
    # A whole pickled module (torch.save(model)) needs unpickling arbitrary code: refused with a hint.
    path = tmp_path / "whole.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(ValueError, match="not a state dict saved with torch.save"):
        TorchvisionDetector(path, arch="ssdlite320_mobilenet_v3_large", device="cpu")


@pytest.mark.parametrize(
    "bad, match",
    [
        ([np.zeros((120, 160), np.uint8)], r"frames\[0\]: expected shape \(H, W, 3\)"),
        ([np.zeros((120, 160, 3), np.float32)], "expected dtype uint8"),
    ],
)
def test_bad_frames(saved, bad, match):
    arch = "ssdlite320_mobilenet_v3_large"
    det = TorchvisionDetector(saved[arch], arch=arch, device="cpu")
    with pytest.raises(ValueError, match=match):
        det.detect(bad)


def _write(path, content: bytes):
    path.write_bytes(content)
    return path


def _save(torch, path, obj):
    torch.save(obj, path)
    return path
