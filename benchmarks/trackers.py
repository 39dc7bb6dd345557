"""Trackers alone on MOT15 public detections, roadtrack presets against peers, in one run (issue 9, target A).

    python benchmarks/trackers.py [--peers-python PATH] [--repeats 3] [--no-peers] [--presets sort,bytetrack]
                                  [--sizes 10,100,1000] [--no-scaling]

Data: the 11 sequences of ../shared/data/MOT15/train with their det/det.txt, scored as
../shared/benchmarks/peers-mot15.md describes (all gt rows kept, HOTA from TrackEval, MOTA/IDF1/IDSW from
py-motmetrics at IoU 0.5, frame-weighted). Timing: tracker update calls only, best of ``--repeats`` per
sequence. Peers run in their own environment (default /work/peers-venv/bin/python, or $ROADTRACK_PEERS_PYTHON)
through benchmarks/peers/run_peer.py; this script installs nothing.

Then the scaling test: synthetic scenes of 10 .. 1000 objects moving linearly with noise; per-frame update time.

    python benchmarks/trackers.py --memory [--memory-frames 100000] [--presets ...]

runs each preset on an endless synthetic stream (20 objects alive at a time, each living ~100 frames, with
appearance features) and prints the process's peak memory and the live track count along the way.
"""

from __future__ import annotations

import argparse
import configparser
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import MOT15  # noqa: E402
from peers.scoring import combine, read_rows, score_sequence, tracks_to_rows  # noqa: E402

from roadtrack.core import Detections  # noqa: E402
from roadtrack.core.registry import build  # noqa: E402
import roadtrack.trackers  # noqa: E402,F401

RUN_PEER = Path(__file__).resolve().parent / "peers" / "run_peer.py"
DEFAULT_PEERS_PYTHON = os.environ.get("ROADTRACK_PEERS_PYTHON", "/work/peers-venv/bin/python")
# roadtrack preset (and options) -> the same algorithm in BoxMOT; BoT-SORT without ReID and CMC (no frames).
PRESETS = {
    "sort": ("sort", {}, None),
    "bytetrack": ("bytetrack", {}, "boxmot-bytetrack"),
    "ocsort": ("ocsort", {}, "boxmot-ocsort"),
    "botsort": ("botsort", {"with_reid": False, "cmc": None}, "boxmot-botsort"),
}
# Published by ../shared/benchmarks/peers-mot15.md; abewley/sort is not on PyPI, so it is not rerun here.
ORIGINAL_SORT = {"HOTA": 35.25, "MOTA": 40.84, "IDF1": 45.82, "IDSW": 582, "fps": 2380.0}


def sequences() -> list[tuple[Path, int]]:
    out = []
    for seq in sorted(p for p in MOT15.iterdir() if (p / "det" / "det.txt").is_file()):
        info = configparser.ConfigParser()
        info.read(seq / "seqinfo.ini")
        out.append((seq, int(info["Sequence"]["seqLength"])))
    return out


def load_detections(seq: Path, n_frames: int) -> list[Detections]:
    rows = read_rows(seq / "det" / "det.txt")
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    bounds = np.searchsorted(rows[:, 0], np.arange(1, n_frames + 2))
    return [Detections.from_tlwh(rows[a:b, 2:6], scores=rows[a:b, 6]) for a, b in zip(bounds[:-1], bounds[1:])]


def run_roadtrack(name: str, options: dict, seqs, repeats: int) -> tuple[dict[str, np.ndarray], float]:
    """MOT rows per sequence and the total best-of-``repeats`` update seconds."""
    outputs, total = {}, 0.0
    for seq, n in seqs:
        frames = load_detections(seq, n)
        best = np.inf
        for _ in range(repeats):
            tracker = build("tracker", name, **options)
            rows, seconds = [], 0.0
            for k, dets in enumerate(frames, start=1):
                t0 = time.perf_counter()
                tracks = tracker.update(dets)
                seconds += time.perf_counter() - t0
                rows.append(tracks_to_rows(k, tracks.ids, tracks.xyxy, tracks.scores))
            best = min(best, seconds)
        outputs[seq.name] = np.concatenate(rows)
        total += best
    return outputs, total


def run_peer(python: str, peer: str, seqs, repeats: int) -> tuple[dict[str, np.ndarray], float]:
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([python, str(RUN_PEER), "mot15", "--tracker", peer, "--data", str(MOT15), "--out", out,
                               "--repeats", str(repeats)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"peer {peer} failed:\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        return {seq.name: read_rows(Path(out) / f"{seq.name}.txt") for seq, _ in seqs}, result["seconds"]


def score(outputs: dict[str, np.ndarray], seqs) -> dict:
    per_seq = [score_sequence(read_rows(seq / "gt" / "gt.txt"), outputs[seq.name], n, drop_zero_marked=False)
               for seq, n in seqs]
    return combine([n for _, n in seqs], per_seq)


def synthetic_scene(n_objects: int, n_frames: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(F, N, 4) xyxy boxes moving linearly with 1 px noise on a canvas growing with N (constant density)."""
    rng = np.random.default_rng(seed)
    side = 200.0 * np.sqrt(n_objects)
    start = rng.uniform(0, side, (n_objects, 2))
    size = rng.uniform(20, 60, (n_objects, 2))
    velocity = rng.normal(0, 2.0, (n_objects, 2))
    t = np.arange(n_frames)[:, None, None]
    centre = start[None] + velocity[None] * t + rng.normal(0, 1.0, (n_frames, n_objects, 2))
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=2)
    scores = rng.uniform(0.75, 1.0, (n_frames, n_objects))
    return boxes, scores


def time_synthetic(name: str, options: dict, boxes: np.ndarray, scores: np.ndarray, repeats: int) -> float:
    frames = [Detections(b, s) for b, s in zip(boxes, scores)]
    best = np.inf
    for _ in range(repeats):
        tracker = build("tracker", name, **options)
        t0 = time.perf_counter()
        for dets in frames:
            tracker.update(dets)
        best = min(best, time.perf_counter() - t0)
    return 1000.0 * best / len(frames)


def memory_stream(name: str, n_frames: int, report_every: int) -> list[tuple[int, float, int, int]]:
    """(frame, MiB allocated by Python objects, live tracks, next id) samples on an endless synthetic stream."""
    import tracemalloc

    rng = np.random.default_rng(0)
    alive, tracker = 20, build("tracker", name)
    start = rng.uniform(0, 1500, (alive, 2))
    velocity = rng.normal(0, 2, (alive, 2))
    born = np.zeros(alive, np.int64)
    looks = rng.normal(size=(alive, 64)).astype(np.float32)
    samples = []
    tracemalloc.start()
    for k in range(n_frames):
        dead = (k - born) > rng.integers(50, 150, alive)
        if dead.any():  # replace finished objects by new ones elsewhere
            m = int(dead.sum())
            start[dead], velocity[dead], born[dead] = rng.uniform(0, 1500, (m, 2)), rng.normal(0, 2, (m, 2)), k
            looks[dead] = rng.normal(size=(m, 64))
        centre = start + velocity * (k - born)[:, None] + rng.normal(0, 1, (alive, 2))
        boxes = np.concatenate([centre - [15, 40], centre + [15, 40]], axis=1)
        dets = Detections(boxes, rng.uniform(0.7, 1.0, alive), features=looks + rng.normal(0, 0.1, looks.shape))
        tracker.update(dets)
        if (k + 1) % report_every == 0:
            current, _ = tracemalloc.get_traced_memory()
            samples.append((k + 1, current / 2**20, len(tracker.tracks), tracker.next_id))
    tracemalloc.stop()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--synthetic-frames", type=int, default=30)
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--memory", action="store_true", help="only the long-stream memory test")
    parser.add_argument("--memory-frames", type=int, default=100_000)
    args = parser.parse_args()
    if args.memory:
        every = max(1, args.memory_frames // 5)
        print(f"# memory: {args.memory_frames} synthetic frames, 20 objects alive, 64-d features; Python heap "
              f"(tracemalloc) MiB / live tracks at every {every} frames")
        print("| tracker | " + " | ".join(f"frame {k}" for k in range(every, args.memory_frames + 1, every)) +
              " | ids issued |")
        print("|---|" + "---|" * (args.memory_frames // every + 1))
        for name in args.presets.split(","):
            samples = memory_stream(PRESETS[name][0] if name in PRESETS else name, args.memory_frames, every)
            print(f"| {name} | " + " | ".join(f"{mib:.2f} MiB / {live}" for _, mib, live, _ in samples) +
                  f" | {samples[-1][3] - 1} |", flush=True)
        return
    seqs = sequences()
    total_frames = sum(n for _, n in seqs)

    print(f"# {datetime.datetime.now():%Y-%m-%d %H:%M} {platform.node()}, {os.cpu_count()} cores, "
          f"MOT15 train public detections, {len(seqs)} sequences, {total_frames} frames, best of {args.repeats}")
    print("| tracker | HOTA | MOTA | IDF1 | IDSW | frames/s (update only) | peer | ΔHOTA | ΔMOTA | ΔIDF1 | speed ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key in args.presets.split(","):
        name, options, peer = PRESETS[key]
        outputs, seconds = run_roadtrack(name, options, seqs, args.repeats)
        ours = score(outputs, seqs)
        ours["fps"] = total_frames / seconds
        if peer is None:
            ref, ref_name = ORIGINAL_SORT, "SORT (abewley, peers-mot15.md)"
        elif args.no_peers:
            ref, ref_name = None, "-"
        else:
            peer_out, peer_seconds = run_peer(args.peers_python, peer, seqs, args.repeats)
            ref = score(peer_out, seqs)
            ref["fps"] = total_frames / peer_seconds
            ref_name = peer
            print(f"| {peer} | {ref['HOTA']:.2f} | {ref['MOTA']:.2f} | {ref['IDF1']:.2f} | {ref['IDSW']} | "
                  f"{ref['fps']:.0f} | | | | | |", flush=True)
        label = key + ("" if not options else " (" + ", ".join(f"{k}={v}" for k, v in options.items()) + ")")
        deltas = ["-"] * 4 if ref is None else [
            f"{ours[m] - ref[m]:+.2f}" for m in ("HOTA", "MOTA", "IDF1")] + [f"{ours['fps'] / ref['fps']:.2f}×"]
        print(f"| **roadtrack {label}** | {ours['HOTA']:.2f} | {ours['MOTA']:.2f} | {ours['IDF1']:.2f} | "
              f"{ours['IDSW']} | {ours['fps']:.0f} | {ref_name} | {' | '.join(deltas)} |", flush=True)

    if args.no_scaling:
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"\n# scaling: synthetic scenes, {args.synthetic_frames} frames, ms per frame (update only), best of {args.repeats}")
    print("| tracker | " + " | ".join(f"{n} objects" for n in sizes) + f" | growth {sizes[0]}→{sizes[-1]} |")
    print("|---|" + "---|" * (len(sizes) + 1))
    with tempfile.TemporaryDirectory() as tmp:
        scenes = {}
        for n in sizes:
            boxes, scores = synthetic_scene(n, args.synthetic_frames)
            scenes[n] = (boxes, scores, Path(tmp) / f"scene_{n}.npz")
            np.savez(scenes[n][2], boxes=boxes, scores=scores)
        for key in args.presets.split(","):
            name, options, peer = PRESETS[key]
            ours = [time_synthetic(name, options, b, s, args.repeats) for b, s, _ in scenes.values()]
            print(f"| roadtrack {key} | " + " | ".join(f"{v:.2f}" for v in ours) + f" | {ours[-1] / ours[0]:.0f}× |",
                  flush=True)
            if peer is None or args.no_peers:
                continue
            theirs = []
            for _, _, path in scenes.values():
                proc = subprocess.run([args.peers_python, str(RUN_PEER), "synthetic", "--tracker", peer, "--scene",
                                       str(path), "--repeats", str(args.repeats)], capture_output=True, text=True)
                theirs.append(json.loads(proc.stdout.strip().splitlines()[-1])["ms_per_frame"] if proc.returncode == 0
                              else float("nan"))
            print(f"| {peer} | " + " | ".join(f"{v:.2f}" for v in theirs) + f" | {theirs[-1] / theirs[0]:.0f}× |",
                  flush=True)


if __name__ == "__main__":
    main()
