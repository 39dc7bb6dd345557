"""`YoloxDetector`: the grid decode by hand, end to end on a synthetic YOLOX-format graph, and on the shared
YOLOX-nano with onnxruntime and OpenVINO against PETS09-S2L1's ground truth."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from conftest import require_module, require_shared
from detector_data import pets_ap50, pets_ap_frames
from roadtrack.core import registry
from roadtrack.detectors import YoloxDetector
from roadtrack.detectors.yolox import decode_boxes, grid

PERSON = 0


def test_grid_order_and_size():
    cells, strides = grid((416, 416))
    # 52^2 + 26^2 + 13^2 = 2704 + 676 + 169 = 3549 rows, as yolox_nano.onnx outputs.
    assert cells.shape == (3549, 2) and strides.shape == (3549, 1)
    assert cells[51].tolist() == [51, 0] and cells[52].tolist() == [0, 1]  # x runs fastest
    assert strides[2703, 0] == 8 and strides[2704, 0] == 16 and cells[2704].tolist() == [0, 0]
    assert strides[-1, 0] == 32 and cells[-1].tolist() == [12, 12]


def test_decode_boxes_hand_computed():
    raw = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.25, np.log(3), np.log(0.5)]])
    cells = np.array([[2.0, 1.0], [0.0, 4.0]])
    strides = np.array([[8.0], [32.0]])
    # Row 1: centre ((2 + .5) * 8, (1 + .5) * 8) = (20, 12), size 8 x 8 -> [16, 8, 24, 16].
    # Row 2: centre (0 * 32, 4.25 * 32) = (0, 136), size 3 * 32 = 96 by 0.5 * 32 = 16 -> [-48, 128, 48, 144].
    np.testing.assert_allclose(decode_boxes(raw, cells, strides), [[16, 8, 24, 16], [-48, 128, 48, 144]])


def synthetic_yolox(path, classes: int = 3, mix_batch: bool = False) -> None:
    """A YOLOX-format ONNX graph on a 64x64 input (8x8 + 4x4 + 2x2 = 84 cells) whose outputs are known.

    Per stride s, a stride-s s x s convolution gives each cell ``tx = ty = 0.5``, ``tw = th = 0`` (a cell-sized
    box centred on the cell), objectness = the mean blue value of the cell's patch / 255, and score 0.8 for class 2;
    then Reshape to [1, C, -1], Concat and Transpose, as YOLOX's export does (its fixed batch of 1 included).
    ``mix_batch`` first replaces the input x by ``2x - mean over the batch``: the same for one image, but images of
    a batch then leak into each other.
    """
    onnx = require_module("onnx")
    from onnx import TensorProto, helper, numpy_helper

    channels = 5 + classes
    nodes, inits, parts = [], [], []
    source = "images"
    if mix_batch:
        inits.append(numpy_helper.from_array(np.array(2, np.float32), "two"))
        nodes += [helper.make_node("ReduceMean", ["images"], ["batch_mean"], axes=[0], keepdims=1),
                  helper.make_node("Mul", ["images", "two"], ["twice"]),
                  helper.make_node("Sub", ["twice", "batch_mean"], ["mixed"])]
        source = "mixed"
    for s in (8, 16, 32):
        weight = np.zeros((channels, 3, s, s), np.float32)
        weight[4, 0] = 1 / (255 * s * s)  # objectness: mean of the blue channel (BGR input, 0-255)
        bias = np.zeros(channels, np.float32)
        bias[[0, 1]] = 0.5
        bias[5 + 2] = 0.8
        inits += [numpy_helper.from_array(weight, f"w{s}"), numpy_helper.from_array(bias, f"b{s}"),
                  numpy_helper.from_array(np.array([1, channels, -1], np.int64), f"shape{s}")]
        nodes += [helper.make_node("Conv", [source, f"w{s}", f"b{s}"], [f"conv{s}"], kernel_shape=[s, s],
                                   strides=[s, s]),
                  helper.make_node("Reshape", [f"conv{s}", f"shape{s}"], [f"flat{s}"])]
        parts.append(f"flat{s}")
    nodes += [helper.make_node("Concat", parts, ["cat"], axis=2),
              helper.make_node("Transpose", ["cat"], ["output"], perm=[0, 2, 1])]
    graph = helper.make_graph(nodes, "synthetic_yolox", [helper.make_tensor_value_info("images", TensorProto.FLOAT,
                              [1, 3, 64, 64])], [helper.make_tensor_value_info("output", TensorProto.FLOAT,
                              [1, 84, channels])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    onnx.save(model, str(path))


def blue_square(h, w, y0, x0, size):
    frame = np.zeros((h, w, 3), np.uint8)
    frame[y0:y0 + size, x0:x0 + size, 0] = 255
    return frame


# Blue fills the 16x16 top-left block of the input: the four stride-8 cells there and the stride-16 cell (0, 0)
# have objectness 1 (score 1 x 0.8); the stride-32 cell sees a quarter of blue (0.25 x 0.8 = 0.2 < conf 0.5).
# Boxes: stride-8 cells centred at (4, 4), (12, 4), (4, 12), (12, 12), size 8; stride-16 cell at (8, 8), size 16.
# NMS keeps all five: IoU([0,0,16,16], [0,0,8,8]) = 64 / 256 = 0.25 < 0.45.
TOP_LEFT_BOXES = [[0, 0, 8, 8], [8, 0, 16, 8], [0, 8, 8, 16], [8, 8, 16, 16], [0, 0, 16, 16]]


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_synthetic_graph_end_to_end(tmp_path, backend):
    require_module(backend)
    synthetic_yolox(tmp_path / "synthetic.onnx")
    det = YoloxDetector(tmp_path / "synthetic.onnx", conf=0.5, backend=backend, device="cpu",
                        class_names=["a", "b", "c"])
    assert det.input_hw == (64, 64) and det.num_classes == 3 and det.batch is None  # the batch of 1 was lifted
    frames = [
        blue_square(64, 64, 0, 0, 16),
        blue_square(64, 64, 48, 48, 16),  # the bottom-right block: same boxes shifted by 48
        # 128 wide, 64 high: gain 0.5, placed top-left, padded below with grey 114 (objectness 0.45 < 0.5).
        # Blue 32x32 at the top-left -> the same 16x16 input block -> boxes scaled back by 2.
        blue_square(64, 128, 0, 0, 32),
        np.zeros((64, 64, 3), np.uint8),
    ]
    out = det.detect(frames)
    expected = [np.array(TOP_LEFT_BOXES, float), np.array(TOP_LEFT_BOXES, float) + 48,
                np.array(TOP_LEFT_BOXES, float) * 2, np.zeros((0, 4))]
    for d, boxes in zip(out, expected):
        order = np.lexsort(d.xyxy.T[::-1])
        np.testing.assert_allclose(d.xyxy[order], boxes[np.lexsort(boxes.T[::-1])], atol=1e-4)
        np.testing.assert_allclose(d.scores, 0.8, atol=1e-5)
        assert np.all(d.class_ids == 2)
    assert det.class_names == {0: "a", 1: "b", 2: "c"}
    for frame, batched in zip(frames, out):  # one call per frame gives the same
        np.testing.assert_allclose(det.detect([frame])[0].xyxy, batched.xyxy, atol=1e-4)


def test_graph_that_mixes_a_batch_keeps_batch_1(tmp_path):
    require_module("onnxruntime")
    synthetic_yolox(tmp_path / "mixing.onnx", mix_batch=True)
    det = YoloxDetector(tmp_path / "mixing.onnx", conf=0.5, backend="onnxruntime", device="cpu")
    assert det.batch == 1  # the rewritten graph runs a batch of 2, but its outputs differ: not trusted
    out = det.detect([blue_square(64, 64, 0, 0, 16), blue_square(64, 64, 48, 48, 16)])
    np.testing.assert_allclose(np.sort(out[1].xyxy, axis=0), np.sort(np.array(TOP_LEFT_BOXES, float) + 48, axis=0),
                               atol=1e-4)


def test_without_onnx_package_runs_one_frame_per_call(tmp_path, monkeypatch):
    require_module("onnxruntime")
    synthetic_yolox(tmp_path / "synthetic.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)  # the batch rewrite needs onnx; without it: batch 1
    det = YoloxDetector(tmp_path / "synthetic.onnx", conf=0.5, backend="onnxruntime", device="cpu")
    assert det.batch == 1
    out = det.detect([blue_square(64, 64, 0, 0, 16)] * 3)
    assert [len(d) for d in out] == [5, 5, 5]


@pytest.fixture(scope="module")
def nano():
    return require_shared("models", "yolox_nano", "yolox_nano.onnx")


@pytest.fixture(scope="module")
def nano_ort(nano):
    require_module("onnxruntime")
    return YoloxDetector(nano, device="cpu", backend="onnxruntime")


def test_nano_loads(nano_ort):
    assert nano_ort.input_hw == (416, 416) and nano_ort.num_classes == 80
    assert nano_ort.class_names[0] == "person" and nano_ort.class_names[9] == "traffic light"
    assert nano_ort.batch is None and nano_ort.backend == "onnxruntime" and nano_ort.device == "cpu"


def test_nano_person_ap50_on_pets(nano):
    require_module("onnxruntime")
    det = YoloxDetector(nano, conf=0.01, classes=["person"], device="cpu", backend="onnxruntime")
    # Measured 0.975 on these 20 frames, with both backends (all 795: benchmarks/results_detectors.md).
    assert pets_ap50(det) > 0.94


def test_openvino_backend_agrees_with_onnxruntime(nano, nano_ort):
    require_module("openvino")
    ov = YoloxDetector(nano, device="cpu", backend="openvino")
    assert ov.batch is None
    frames = pets_ap_frames()[:6]
    for a, b in zip(nano_ort.detect(frames), ov.detect(frames)):
        assert len(a) == len(b) >= 3
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=0.05)  # float32 both (OpenVINO forced to f32)
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-4)
        np.testing.assert_array_equal(a.class_ids, b.class_ids)


def test_batch_equals_single_calls(nano_ort):
    frames = pets_ap_frames()[:5]
    for frame, together in zip(frames, nano_ort.detect(frames)):
        alone = nano_ort.detect([frame])[0]
        np.testing.assert_allclose(alone.xyxy, together.xyxy, atol=1e-3)
        np.testing.assert_allclose(alone.scores, together.scores, atol=1e-5)


def test_road_class_map(nano, nano_ort):
    frame = pets_ap_frames()[:1]
    coco = nano_ort.detect(frame)[0]
    road = YoloxDetector(nano, device="cpu", backend="onnxruntime", class_map="road", classes=["Ped", "Car"])
    mapped = road.detect(frame)[0]
    assert road.class_names[0] == "Ped" and road.class_names[1] == "Car"
    # COCO person (0) -> Ped (0), car (2) -> Car (1); the parked van's 'truck' box is filtered out.
    expected = coco[np.isin(coco.class_ids, [0, 2])]
    np.testing.assert_allclose(mapped.xyxy, expected.xyxy)
    assert mapped.class_ids.tolist() == np.where(expected.class_ids == 2, 1, 0).tolist()
    assert 0 in mapped.class_ids.tolist()


def test_blank_frames_and_empty_batch(nano_ort):
    out = nano_ort.detect([np.zeros((480, 640, 3), np.uint8), np.full((100, 50, 3), 114, np.uint8)])
    assert [len(d) for d in out] == [0, 0]
    assert nano_ort.detect([]) == []


def test_registered(nano):
    require_module("onnxruntime")
    assert registry.get("detector", "yolox") is YoloxDetector
    det = registry.build("detector", "yolox", weights=str(nano), conf=0.5, classes=["person"], device="cpu")
    assert det.conf == 0.5


def test_wrong_architecture_onnx():
    require_module("onnxruntime")
    reid = require_shared("models", "reid", "osnet_x0_25_msmt17.onnx")  # a ReID network: (1, 512) output
    with pytest.raises(ValueError, match=r"not a YOLOX export: expected an output of shape \(B, 672, 5 \+ classes\)"
                                         r".*on a 256x128 input\), got \(1, 512\)"):
        YoloxDetector(reid, device="cpu")


@pytest.mark.parametrize(
    "name, content, error, match",
    [
        ("missing.onnx", None, FileNotFoundError, "weights not found: .*missing.onnx"),
        ("model.onnx", b"not an onnx file", ValueError, "cannot load weights .*model.onnx: "),
        ("model.pt", b"\x80\x02", ValueError, "expected a YOLOX .onnx export"),
    ],
)
def test_bad_weights(tmp_path, name, content, error, match):
    require_module("onnxruntime")
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(error, match=match):
        YoloxDetector(tmp_path / name, device="cpu")


@pytest.mark.parametrize(
    "options, match",
    [
        ({"classes": ["pedestrian"]}, "unknown class name 'pedestrian'; valid classes are 0: person"),
        ({"conf": -0.1}, r"conf must lie in \[0, 1\]"),
        ({"backend": "tensorrt"}, "unknown backend 'tensorrt'; choose from auto, onnxruntime, openvino"),
        ({"device": "gpu"}, "unknown device 'gpu'"),
        ({"device": "cuda"}, "no CUDA provider"),
        ({"class_names": ["person"]}, "predicts 80 classes, so give names for ids 0..79; got 1 names"),
        ({"threads": 0}, "threads must be at least 1"),
    ],
)
def test_bad_options(nano, options, match):
    require_module("onnxruntime")
    with pytest.raises(ValueError, match=match):
        YoloxDetector(nano, **{"backend": "onnxruntime", **options})


@pytest.mark.parametrize(
    "frames, match",
    [
        ([np.zeros((480, 640), np.uint8)], r"frames\[0\]: expected shape \(H, W, 3\)"),
        ([np.zeros((480, 640, 3), np.float32)], "expected dtype uint8"),
        (np.zeros((480, 640, 3), np.uint8), r"got shape \(480, 640, 3\)"),
    ],
)
def test_bad_frames(nano_ort, frames, match):
    with pytest.raises(ValueError, match=match):
        nano_ort.detect(frames)
