"""OSNet in torch: every width builds, torchreid checkpoints load, and the shared ONNX weights reproduce onnxruntime."""

import numpy as np
import pytest

from conftest import require_module
from reid_inputs import osnet_onnx, pets  # noqa: F401  (fixtures)
from roadtrack.core import registry

torch = require_module("torch")
from roadtrack.reid import OSNetEmbedder, OSNetONNXEmbedder  # noqa: E402
from roadtrack.reid.nets.osnet import OSNet  # noqa: E402
from roadtrack.reid.nets.weights import build_osnet, fuse_osnet  # noqa: E402


def randomise_batchnorm(model, seed=0):
    """Give every BatchNorm non-trivial statistics, so folding it is really tested."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=gen) - 0.5)
    return model.eval()


# Parameters without the classifier (torchreid's model zoo lists 2.2M for x1_0)
@pytest.mark.parametrize("variant, params", [("x1_0", 2_169_508), ("x0_75", 1_285_754), ("x0_5", 630_034),
                                             ("x0_25", None)])
def test_every_width_builds_and_maps_a_crop_to_512(variant, params):
    model = OSNet(variant).eval()
    if params is not None:
        assert sum(p.numel() for p in model.parameters()) == params
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 256, 128)).shape == (2, 512)


def test_fusing_batchnorm_keeps_the_output():
    model = randomise_batchnorm(OSNet("x0_25"))
    x = torch.randn(2, 3, 256, 128, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        np.testing.assert_allclose(fuse_osnet(model)(x).numpy(), model(x).numpy(), atol=1e-5)


def test_torchreid_checkpoint_loads_with_wrapper_prefix_and_classifier(tmp_path):
    model = randomise_batchnorm(OSNet("x0_25", num_classes=7))
    state = {f"module.{k}": v for k, v in model.state_dict().items()}  # DataParallel-saved, with classifier
    torch.save({"state_dict": state, "epoch": 60}, tmp_path / "osnet.pth.tar")
    loaded = build_osnet(tmp_path / "osnet.pth.tar", fused=False)
    assert loaded.variant == "x0_25" and not loaded.fused and loaded.classifier is None
    x = torch.randn(1, 3, 256, 128)
    with torch.no_grad():
        np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="not an OSNet x0_5 checkpoint"):
        build_osnet(tmp_path / "osnet.pth.tar", variant="x0_5")


def test_shared_onnx_weights_reproduce_onnxruntime_on_real_crops(osnet_onnx, pets):
    frame, dets = pets
    reference = OSNetONNXEmbedder(osnet_onnx)
    blob = reference.preprocess.blob(reference.preprocess.crops(frame, dets.xyxy)[0])
    model = build_osnet(osnet_onnx)
    assert model.variant == "x0_25" and model.fused
    with torch.no_grad():
        raw = model(torch.from_numpy(blob)).numpy()
    np.testing.assert_allclose(raw, reference._forward(blob), atol=1e-4)  # raw features, |values| up to ~6
    embedder = registry.build("embedder", "osnet", weights=str(osnet_onnx), device="cpu")
    assert isinstance(embedder, OSNetEmbedder) and not embedder.fp16
    np.testing.assert_allclose(embedder.embed(frame, dets), reference.embed(frame, dets), atol=1e-4)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"weights": "missing.pth"}, FileNotFoundError, "missing.pth"),
    ({"variant": "x2_0"}, ValueError, "unknown OSNet variant"),
    ({"fp16": True, "device": "cpu"}, ValueError, "fp16 needs a CUDA"),
])
def test_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        OSNetEmbedder(**kwargs)


def test_wrong_variant_for_the_onnx_file_is_named(osnet_onnx):
    with pytest.raises(ValueError, match=r"OSNet x1_0 expects \(64, 3, 7, 7\); wrong architecture or variant"):
        build_osnet(osnet_onnx, variant="x1_0")
    with pytest.raises(ValueError, match="unfused"):
        build_osnet(osnet_onnx, fused=False)
