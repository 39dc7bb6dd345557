"""`import roadtrack`, `Pipeline` and SORT must work where torch (and Ultralytics) cannot be imported."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, sys

    class BlockHeavy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"torch", "torchvision", "ultralytics"}:
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, BlockHeavy())
    import numpy as np
    from roadtrack import Detections, Pipeline
    from roadtrack.trackers import sort
    import roadtrack.detectors, roadtrack.io, roadtrack.metrics, roadtrack.cli

    tracker = sort(min_hits=1)
    ids = []
    for k in range(5):
        out = tracker.update(Detections([[10 + 5 * k, 10, 30 + 5 * k, 50]], [0.9], [0]))
        ids.append(out.ids.tolist())
    assert ids == [[1]] * 5, ids
    assert not any(m.split(".")[0] in {"torch", "ultralytics"} for m in sys.modules)
    print("ok")
    """
)


def test_core_and_sort_work_without_torch():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
