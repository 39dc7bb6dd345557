"""`import roadtrack.reid` and the default OSNet ONNX embedder work where torch cannot be imported."""

import subprocess
import sys
import textwrap

from conftest import require_module
from reid_inputs import osnet_onnx  # noqa: F401  (fixture)

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, sys

    class BlockTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"torch", "torchvision"}:
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, BlockTorch())
    import numpy as np
    import roadtrack.reid
    from roadtrack import Detections
    from roadtrack.core import registry

    emb = registry.build("embedder", "osnet-onnx", weights=sys.argv[1])
    out = emb.embed(np.full((300, 200, 3), 90, np.uint8), Detections([[10, 10, 60, 150], [80, 20, 150, 200]]))
    assert out.shape == (2, 512), out.shape
    try:
        registry.build("embedder", "osnet", weights=sys.argv[1])
    except ImportError as exc:
        assert "pip install 'roadtrack[torch]'" in str(exc), exc
    else:
        raise AssertionError("building a torch embedder without torch must raise ImportError")
    assert not any(m.split(".")[0] in {"torch", "torchvision"} for m in sys.modules)
    print("ok")
    """
)


def test_default_embedder_works_without_torch(osnet_onnx):
    require_module("onnxruntime")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(osnet_onnx)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
