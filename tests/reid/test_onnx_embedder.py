"""The default embedder (OSNet on ONNX) and the generic ONNX embedder, on real PETS09-S2L1 crops."""

import numpy as np
import pytest

from conftest import require_module
from reid_inputs import osnet_onnx, pets  # noqa: F401  (fixtures)
from roadtrack import Detections
from roadtrack.core import registry
from roadtrack.reid import ONNXEmbedder, OSNetONNXEmbedder

onnx = require_module("onnx")
ort = require_module("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


@pytest.fixture(scope="module")
def osnet(osnet_onnx):
    return OSNetONNXEmbedder(osnet_onnx)


def test_registered_as_osnet_onnx(osnet_onnx):
    emb = registry.build("embedder", "osnet-onnx", weights=str(osnet_onnx))
    assert isinstance(emb, OSNetONNXEmbedder) and emb.batch_dynamic and emb.dim == 512


def test_batched_output_equals_plain_onnxruntime_one_crop_at_a_time(osnet, osnet_onnx, pets):
    frame, dets = pets
    features = osnet.embed(frame, dets)
    assert features.shape == (len(dets), 512) and features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, rtol=1e-5)
    session = ort.InferenceSession(str(osnet_onnx), providers=["CPUExecutionProvider"])  # the unmodified file
    blob = osnet.preprocess.blob(osnet.preprocess.crops(frame, dets.xyxy)[0])
    raw = np.concatenate([session.run(None, {"images": blob[i:i + 1]})[0] for i in range(len(blob))])
    np.testing.assert_allclose(features, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-5)
    # and the crops are people: each is closer to itself 0 frames later than to anyone else
    sims = features @ features.T
    assert np.all(sims[~np.eye(len(dets), dtype=bool)] < 0.95)


def test_openvino_backend_agrees_with_onnxruntime(osnet_onnx, osnet, pets):
    require_module("openvino")
    frame, dets = pets
    ov = OSNetONNXEmbedder(osnet_onnx, backend="openvino")
    assert ov.backend == "openvino"
    np.testing.assert_allclose(ov.embed(frame, dets), osnet.embed(frame, dets), atol=1e-4)


def test_boxes_outside_the_frame(osnet, pets):
    frame, _ = pets
    h, w = frame.shape[:2]
    dets = Detections([[-40, 100, 60, 300], [0, 100, 60, 300], [w + 10, 0, w + 50, 80], [10, 10, 10, 60]])
    features = osnet.embed(frame, dets)
    np.testing.assert_allclose(features[0], features[1], atol=1e-6)  # partly outside = its clipped box
    assert np.all(features[2:] == 0.0), "boxes with no pixel in the frame get all-zero rows"
    assert osnet.embed(frame, Detections.empty()).shape == (0, 512)


@pytest.mark.parametrize("frame, match", [
    (np.zeros((576, 768, 3), np.float32), "uint8"),
    (np.zeros((576, 768), np.uint8), r"\(576, 768\)"),
])
def test_wrong_frame_is_a_value_error(osnet, frame, match):
    with pytest.raises(ValueError, match=match):
        osnet.embed(frame, Detections([[0, 0, 10, 20]]))


def tiny_model(path, input_shape, output_shape, channels=3):
    """A 1x1 convolution + global pool ONNX model: (B, C, H, W) -> (B, 4) (or a bad output shape)."""
    w = numpy_helper.from_array(np.ones((4, channels, 1, 1), np.float32), "w")
    nodes = [helper.make_node("Conv", ["images", "w"], ["c"]), helper.make_node("GlobalAveragePool", ["c"], ["p"]),
             helper.make_node("Flatten", ["p"], ["output"])]
    if output_shape is None:  # no pooling: a dense (B, 4, H, W) map, like a detector head
        nodes = nodes[:1]
        nodes[0].output[0] = "output"
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("images", TensorProto.FLOAT, input_shape)],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, output_shape or ["b", 4, "h", "w"])], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), str(path))
    return path


def test_generic_onnx_model_with_dynamic_size_needs_input_hw(tmp_path, pets):
    frame, dets = pets
    path = tiny_model(tmp_path / "user.onnx", ["b", 3, "h", "w"], ["b", 4])
    with pytest.raises(ValueError, match="input_hw"):
        ONNXEmbedder(path)
    emb = registry.build("embedder", "onnx", weights=str(path), input_hw=(64, 32))
    out = emb.embed(frame, dets)
    assert out.shape == (len(dets), 4)
    np.testing.assert_allclose(np.abs(out), 0.5, rtol=1e-5)  # 4 equal channels -> each +-1/sqrt(4)


@pytest.mark.parametrize("make, error, match", [
    (lambda p: p / "missing.onnx", FileNotFoundError, "missing.onnx"),
    (lambda p: tiny_model(p / "gray.onnx", [1, 1, 64, 32], [1, 4], channels=1), ValueError, "3-channel"),
    (lambda p: tiny_model(p / "dense.onnx", [1, 3, 64, 32], None), ValueError, r"\(batch, D\) embedding output"),
    (lambda p: tiny_model(p / "batch4.onnx", [4, 3, 256, 128], [4, 4]), ValueError, "batch is fixed at 4"),
    (lambda p: (p / "junk.onnx").write_bytes(b"\x00junk") and p / "junk.onnx", ValueError, "cannot load ONNX"),
])
def test_load_errors(tmp_path, make, error, match):
    with pytest.raises(error, match=match):
        OSNetONNXEmbedder(make(tmp_path))


def test_unknown_backend_and_device(osnet_onnx):
    with pytest.raises(ValueError, match="backend"):
        OSNetONNXEmbedder(osnet_onnx, backend="tensorrt")
    with pytest.raises(ValueError, match="device"):
        OSNetONNXEmbedder(osnet_onnx, device="gpu")
