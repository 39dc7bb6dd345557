"""Calls per frame of a tracker preset on MOT15 public detections: a load-independent measure of the hot path.

    python benchmarks/hot_path.py bytetrack [ocsort ...]

Counts, with cProfile, the Python-level function calls and the C calls (numpy functions and methods, builtins)
per frame of `update` over the 11 MOT15 train sequences. numpy operators (``a + b``) are not counted. Timings on a
shared VM drift with the load; these counts do not.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trackers import _with_rate, load_detections, sequences  # noqa: E402

from roadtrack.core.registry import build  # noqa: E402

MOTION_ONLY = {"botsort": {"with_reid": False, "cmc": None}}


def calls_per_frame(name: str) -> tuple[float, float]:
    data = [(seq, load_detections(seq, n)) for seq, n in sequences()]
    runs = [(build("tracker", name, **_with_rate(name, dict(MOTION_ONLY.get(name, {})), seq)), dets)
            for seq, dets in data]
    frames = sum(len(dets) for _, dets in data)
    profile = cProfile.Profile()
    profile.enable()
    for tracker, dets in runs:
        for d in dets:
            tracker.update(d)
    profile.disable()
    python = c = 0
    for (filename, _, _), (_, calls, _, _, _) in pstats.Stats(profile).stats.items():
        if filename == "~":
            c += calls
        else:
            python += calls
    return python / frames, c / frames


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        sys.exit(0)
    for preset in sys.argv[1:] or ["bytetrack"]:
        py, c = calls_per_frame(preset)
        print(f"{preset}: {py:.0f} Python-level calls + {c:.0f} C calls per frame")
