"""`roadtrack.events` and the kinematic classifier work where torch cannot be imported; the temporal one says why."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, sys

    class BlockTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "torch":
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, BlockTorch())
    import numpy as np
    import roadtrack.events
    from roadtrack import build
    from roadtrack.core import Tube
    from roadtrack.events import KinematicEventClassifier, TemporalEventClassifier

    tube = Tube(1, np.arange(1, 9), np.tile([100.0, 150, 140, 200], (8, 1)), np.full(8, 0.9), np.full(8, 1))
    (out,) = build("event_classifier", "kinematic", image_size=(480, 360)).classify([tube])
    assert out.labels["triplet"].shape == (8, 68)
    import os, tempfile
    with tempfile.TemporaryDirectory() as folder:
        ckpt = os.path.join(folder, "model.ckpt")
        open(ckpt, "wb").close()
        try:
            TemporalEventClassifier(ckpt)
            raise AssertionError("expected an ImportError")
        except ImportError as exc:
            assert "pip install 'roadtrack[torch]'" in str(exc), exc
    assert not any(m.split(".")[0] == "torch" for m in sys.modules)
    print("ok")
    """
)


def test_events_work_without_torch():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
