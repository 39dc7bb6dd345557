"""Giving fixed-batch ONNX exports a dynamic batch axis, in memory."""

import numpy as np
import pytest

from conftest import require_module
from reid_inputs import osnet_onnx  # noqa: F401  (fixture)
from roadtrack.reid import onnx_graph

onnx = require_module("onnx")
ort = require_module("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def tiny_fixed_batch_model(allowzero=None):
    """(1, 3, 4, 2) -> GlobalAveragePool -> Reshape to [1, -1] -> MatMul (3 -> 2): the shape of an OSNet export."""
    shape = helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([1, -1], np.int64)))
    attrs = {} if allowzero is None else {"allowzero": allowzero}
    nodes = [helper.make_node("GlobalAveragePool", ["images"], ["pooled"]), shape,
             helper.make_node("Reshape", ["pooled", "shape"], ["flat"], **attrs),
             helper.make_node("MatMul", ["flat", "w"], ["output"])]
    w = numpy_helper.from_array(np.array([[1, 0], [0, 1], [1, 1]], np.float32), "w")
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 4, 2])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 2])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


def run(model, x):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"images": x})[0]


def test_tiny_model_runs_any_batch_after_rewrite():
    model = tiny_fixed_batch_model()
    x = np.arange(3 * 3 * 4 * 2, dtype=np.float32).reshape(3, 3, 4, 2)
    with pytest.raises(Exception):
        run(model, x)  # the original rejects batch 3
    fixed = onnx_graph.make_batch_dynamic(model)
    onnx.checker.check_model(fixed)
    assert onnx_graph.input_shape(fixed) == ["batch", 3, 4, 2]
    assert onnx_graph.input_shape(model) == [1, 3, 4, 2], "the input model must not change"
    means = x.mean(axis=(2, 3))
    np.testing.assert_allclose(run(fixed, x), means @ np.array([[1, 0], [0, 1], [1, 1]]), rtol=1e-6)


def test_reshape_with_allowzero_is_left_alone():
    fixed = onnx_graph.make_batch_dynamic(tiny_fixed_batch_model(allowzero=1))
    reshape = next(n for n in fixed.graph.node if n.op_type == "Reshape")
    assert reshape.input[1] == "shape"


def test_shared_osnet_batch_of_three_equals_three_single_runs(osnet_onnx):
    model = onnx_graph.load_model(osnet_onnx)
    x = np.random.default_rng(0).standard_normal((3, 3, 256, 128)).astype(np.float32)
    single = np.concatenate([run(model, x[i:i + 1]) for i in range(3)])
    batched = run(onnx_graph.make_batch_dynamic(model), x)
    assert batched.shape == (3, 512)
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        onnx_graph.load_model(tmp_path / "nope.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"not a protobuf at all")
    with pytest.raises(ValueError, match="cannot load ONNX weights"):
        onnx_graph.load_model(tmp_path / "bad.onnx")
