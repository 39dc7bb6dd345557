"""``roadtrack export-reid``: torch embedders to ONNX with a dynamic batch axis, checked against torch."""

import numpy as np
import pytest

from conftest import require_module, require_shared
from roadtrack.cli import build_parser, main


def run_cli(capsys, *args):
    """Run the command in this process (torch is imported once for all tests); (exit status, stdout, stderr)."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_help_documents_every_option():
    parser, handlers = build_parser()
    assert "export-reid" in handlers
    sub = parser._subparsers._group_actions[0].choices["export-reid"]
    text = sub.format_help()
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and all(flag in text for flag in action.option_strings)


def test_export_osnet_from_the_shared_onnx_weights(tmp_path, capsys):
    require_module("torch")
    require_module("onnxruntime")
    weights = require_shared("models", "reid", "osnet_x0_25_msmt17.onnx")
    out = tmp_path / "osnet.onnx"
    status, stdout, stderr = run_cli(capsys, "export-reid", "osnet", "--weights", weights, "--out", out)
    assert status == 0, stderr
    assert "output (batch, 512)" in stdout and "max |torch - onnxruntime|" in stdout
    diff = float(stdout.rsplit("=", 1)[1])
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
def test_errors_are_one_line(tmp_path, capsys, args, message):
    require_module("torch")
    status, stdout, stderr = run_cli(capsys, "export-reid", *args, "--out", tmp_path / "x.onnx")
    assert status == 2, stdout
    assert stderr.strip().splitlines() == [f"roadtrack: error: {message}"]
    assert not (tmp_path / "x.onnx").exists()


def test_export_resnet18_from_a_local_state_dict(tmp_path, capsys):
    torch = require_module("torch")
    torchvision = require_module("torchvision")
    require_module("onnxruntime")
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), tmp_path / "resnet18.pth")
    status, stdout, stderr = run_cli(capsys, "export-reid", "resnet18", "--weights", tmp_path / "resnet18.pth",
                                     "--input-hw", 128, 64, "--out", tmp_path / "r18.onnx")
    assert status == 0, stderr
    assert "input (batch, 3, 128, 64), output (batch, 512)" in stdout

    from roadtrack.reid import ONNXEmbedder, ResNet18Embedder

    exported = ONNXEmbedder(tmp_path / "r18.onnx")
    assert exported.preprocess.input_hw == (128, 64) and exported.dim == 512
    frame = np.random.default_rng(1).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    boxes = np.array([[0, 0, 50, 120], [60, 20, 140, 190]], float)
    reference = ResNet18Embedder(tmp_path / "resnet18.pth", device="cpu", input_hw=(128, 64))
    np.testing.assert_allclose(exported.embed(frame, boxes), reference.embed(frame, boxes), atol=1e-4)
