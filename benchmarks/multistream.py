"""Many streams in one tracker call: tracker-stage cost per stream-frame of a `MultiStreamTracker` against N separate
roadtrack trackers and N separate BoxMOT trackers, in the same run.

N synthetic streams (cameras) of 20 objects each (`trackers.synthetic_scene`, one seed per stream), 30 frames.
Timed: the tracker calls only (the detections are built beforehand), best of ``--repeats``; ms per stream-frame =
best time / (N x frames). The multi-stream outputs are checked against the separate trackers' (ids and boxes, bit
for bit) before timing. BoxMOT 18.0.0 runs in the peers environment (benchmarks/README.md), motion only, one
tracker per stream updated in turn (`peers/run_peer.py streams`).

    python benchmarks/multistream.py                          # N = 1, 8, 64, 256; bytetrack and botsort
    python benchmarks/multistream.py --streams 64 --no-peers --profile   # cProfile of one N=64 run
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trackers import synthetic_scene  # noqa: E402  (benchmarks/trackers.py: the scaling test's scenes)

from roadtrack.core import Detections, build  # noqa: E402
from roadtrack.trackers.multistream import MultiStreamTracker  # noqa: E402

HERE = Path(__file__).resolve().parent
RUN_PEER = HERE / "peers" / "run_peer.py"
PRESETS = {"bytetrack": {}, "botsort": {"with_reid": False, "cmc": None}}
PEER = {"bytetrack": "boxmot-bytetrack", "botsort": "boxmot-botsort"}


def scenes(n_streams: int, n_objects: int, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, F, N, 4) boxes and (S, F, N) scores, one synthetic scene per stream."""
    pairs = [synthetic_scene(n_objects, n_frames, seed=s) for s in range(n_streams)]
    return np.stack([b for b, _ in pairs]), np.stack([s for _, s in pairs])


def per_frame(boxes: np.ndarray, scores: np.ndarray) -> list[dict[int, Detections]]:
    return [{s: Detections(boxes[s, f], scores[s, f]) for s in range(boxes.shape[0])} for f in range(boxes.shape[1])]


def run_multi(preset: str, frames: list[dict[int, Detections]]) -> tuple[float, list]:
    tracker = MultiStreamTracker(preset, **PRESETS[preset])
    out = []
    t0 = time.perf_counter()
    for batch in frames:
        out.append(tracker.update(batch))
    return time.perf_counter() - t0, out


def run_separate(preset: str, frames: list[dict[int, Detections]]) -> tuple[float, list]:
    trackers = {s: build("tracker", preset, **PRESETS[preset]) for s in frames[0]}
    out = []
    t0 = time.perf_counter()
    for batch in frames:
        out.append({s: trackers[s].update(d) for s, d in batch.items()})
    return time.perf_counter() - t0, out


def same(a: list, b: list) -> bool:
    return all(np.array_equal(x[s].ids, y[s].ids) and np.array_equal(x[s].xyxy, y[s].xyxy)
               for x, y in zip(a, b) for s in x)


def run_boxmot(python: str, preset: str, boxes: np.ndarray, scores: np.ndarray, repeats: int) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        scene = Path(tmp) / "scene.npz"
        np.savez(scene, boxes=boxes, scores=scores)
        proc = subprocess.run([python, str(RUN_PEER), "streams", "--tracker", PEER[preset], "--scene", str(scene),
                               "--repeats", str(repeats)], capture_output=True, text=True, cwd=HERE / "peers")
    if proc.returncode:
        print(f"  {PEER[preset]} failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 8, 64, 256])
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    parser.add_argument("--peers-python", default=os.environ.get("ROADTRACK_PEERS_PYTHON", "/work/peers-venv/bin/python"))
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one multi-stream run and stop")
    args = parser.parse_args()
    peers = not args.no_peers and Path(args.peers_python).exists()
    load = os.getloadavg()
    print(f"# {args.objects} objects per stream, {args.frames} frames, best of {args.repeats}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; ms per stream-frame (tracker calls)")
    print("\n| preset | N | MultiStreamTracker | N roadtrack trackers | N BoxMOT 18 trackers | vs roadtrack | vs BoxMOT | equal |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for preset in args.presets:
        for n in args.streams:
            boxes, scores = scenes(n, args.objects, args.frames)
            frames = per_frame(boxes, scores)
            if args.profile:
                cProfile.runctx("run_multi(preset, frames)", globals(), {"preset": preset, "frames": frames},
                                "/tmp/multistream.prof")
                pstats.Stats("/tmp/multistream.prof").sort_stats("tottime").print_stats(20)
                continue
            _, multi_out = run_multi(preset, frames)
            _, separate_out = run_separate(preset, frames)
            equal = same(multi_out, separate_out)
            multi = min(run_multi(preset, frames)[0] for _ in range(args.repeats))
            separate = min(run_separate(preset, frames)[0] for _ in range(args.repeats))
            scale = 1000.0 / (n * args.frames)
            peer = run_boxmot(args.peers_python, preset, boxes, scores, args.repeats) if peers else None
            boxmot = peer["ms_per_stream_frame"] if peer else float("nan")
            print(f"| {preset} | {n} | {multi * scale:.4f} | {separate * scale:.4f} | {boxmot:.4f} | "
                  f"{separate / multi:.1f}x | {boxmot / (multi * scale):.1f}x | {'yes' if equal else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
