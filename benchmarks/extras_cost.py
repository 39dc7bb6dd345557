"""What carrying extra per-row columns costs the tracker: ByteTrack on MOT15 public detections, plain vs with
ROAD-Waymo label scores attached (agent 10 + action 22 + loc 16 columns per box), interleaved, best of N.

    python benchmarks/extras_cost.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # this tree
from trackers import _with_rate, load_detections, sequences  # noqa: E402

from roadtrack.core.registry import build  # noqa: E402

COLUMNS = {"agent_scores": 10, "action_scores": 22, "loc_scores": 16}


def with_scores(frames, rng):
    return [d.with_extras(**{k: rng.random((len(d), n)) for k, n in COLUMNS.items()}) for d in frames]


def seconds(seqs, data) -> float:
    total = 0.0
    for (seq, _), frames in zip(seqs, data):
        tracker = build("tracker", "bytetrack", **_with_rate("bytetrack", {}, seq))
        t0 = time.perf_counter()
        for d in frames:
            tracker.update(d)
        total += time.perf_counter() - t0
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    seqs = sequences()
    plain = [load_detections(seq, n) for seq, n in seqs]
    scored = [with_scores(frames, np.random.default_rng(0)) for frames in plain]
    n = sum(len(f) for f in plain)
    best = {"plain": np.inf, "scores": np.inf}
    for _ in range(args.repeats):
        best["plain"] = min(best["plain"], seconds(seqs, plain))
        best["scores"] = min(best["scores"], seconds(seqs, scored))
    for name, s in best.items():
        print(f"bytetrack, {name}: {1000 * s / n:.3f} ms/frame ({n} frames)")
    print(f"ratio scores / plain: {best['scores'] / best['plain']:.2f}")


if __name__ == "__main__":
    main()
