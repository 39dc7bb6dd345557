"""``roadtrack export-reid``: torch embedders to ONNX with a dynamic batch axis, checked against torch."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import require_module, require_shared
from roadtrack.cli import build_parser


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "roadtrack", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_help_documents_every_option():
    parser, handlers = build_parser()
    assert "export-reid" in handlers
    sub = parser._subparsers._group_actions[0].choices["export-reid"]
    text = sub.format_help()
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and all(flag in text for flag in action.option_strings)


def test_export_osnet_from_the_shared_onnx_weights(tmp_path):
    require_module("torch")
    require_module("onnxruntime")
    weights = require_shared("models", "reid", "osnet_x0_25_msmt17.onnx")
    out = tmp_path / "osnet.onnx"
    done = run_cli("export-reid", "osnet", "--weights", weights, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "output (batch, 512)" in done.stdout and "max |torch - onnxruntime|" in done.stdout
    diff = float(done.stdout.rsplit("=", 1)[1])
    assert diff <= 1e-4

    from roadtrack.reid import ONNXEmbedder, OSNetONNXEmbedder
    from roadtrack.reid import onnx_graph

    assert onnx_graph.input_shape(onnx_graph.load_model(out)) == ["batch", 3, 256, 128]
    exported = ONNXEmbedder(out)  # crop size and normalisation come from the file's metadata
    assert exported.preprocess == OSNetONNXEmbedder(weights).preprocess and exported.batch_dynamic
    frame = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 80, 200], [100, 30, 160, 230], [200, 0, 300, 239]], float)
    np.testing.assert_allclose(exported.embed(frame, boxes), OSNetONNXEmbedder(weights).embed(frame, boxes), atol=1e-4)


@pytest.mark.parametrize("args, message", [
    (["osnet", "--weights", "no/such.pth"], "weights not found: no/such.pth"),
    (["resnet18", "--weights", "w.pt", "--variant", "x0_25"], "--variant applies to osnet only, not resnet18"),
])
def test_errors_are_one_line(tmp_path, args, message):
    require_module("torch")
    done = run_cli("export-reid", *args, "--out", tmp_path / "x.onnx")
    assert done.returncode == 2, done.stdout
    assert done.stderr.strip().splitlines() == [f"roadtrack: error: {message}"]
    assert not (tmp_path / "x.onnx").exists()
