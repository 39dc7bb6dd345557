"""Run one peer tracker in the peers' own environment; called by benchmarks/trackers.py and pipeline.py.

    /work/peers-venv/bin/python benchmarks/peers/run_peer.py mot15 --tracker boxmot-bytetrack --data DIR --out DIR
    /work/peers-venv/bin/python benchmarks/peers/run_peer.py synthetic --tracker boxmot-bytetrack --scene FILE.npz
    /work/peers-venv/bin/python benchmarks/peers/run_peer.py streams --tracker boxmot-bytetrack --scene FILE.npz
    /work/peers-venv/bin/python benchmarks/peers/run_peer.py e2e --tracker boxmot-botsort --video V --out FILE.txt ...

This file imports no roadtrack code (it runs where roadtrack is not installed) and only the peer libraries;
the peers and their settings are in zoo.py. Run it with another environment's Python (e.g. the newest BoxMOT's,
/work/peers-venv-new) to measure that release.
It prints one JSON line with timings; tracks go to MOTChallenge text files (frame,id,x,y,w,h,score,-1,-1,-1).
"""

from __future__ import annotations

import argparse
import configparser
import json
import sys
import time
from pathlib import Path

import numpy as np

from zoo import PEERS, Peer, version  # same folder (a script's folder is on sys.path)


def _seq_frames(seq: Path) -> int:
    info = configparser.ConfigParser()
    info.read(seq / "seqinfo.ini")
    return int(info["Sequence"]["seqLength"])


def _seq_rate(seq: Path) -> float:
    info = configparser.ConfigParser()
    info.read(seq / "seqinfo.ini")
    return float(info["Sequence"].get("frameRate", 30))


def _by_frame(rows: np.ndarray, n: int) -> list[np.ndarray]:
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    bounds = np.searchsorted(rows[:, 0], np.arange(1, n + 2))
    return [rows[bounds[i]:bounds[i + 1]] for i in range(n)]


def _write_mot(path: Path, per_frame: list[np.ndarray]) -> None:
    with open(path, "w") as f:
        for k, rows in enumerate(per_frame, start=1):
            for x1, y1, x2, y2, tid, score in rows:
                f.write(f"{k},{int(tid)},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{score:.4f},-1,-1,-1\n")


def run_mot15(args) -> dict:
    """Public detections of each sequence; best of ``repeats`` update-time sums; tracks of the last run."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    total_frames, total_seconds = 0, 0.0
    for seq in sorted(p for p in Path(args.data).iterdir() if (p / "det" / "det.txt").is_file()):
        n = _seq_frames(seq)
        raw = np.loadtxt(seq / "det" / "det.txt", delimiter=",", ndmin=2)
        frames = []
        for d in _by_frame(raw, n):
            xyxy = np.concatenate([d[:, 2:4], d[:, 2:4] + d[:, 4:6]], axis=1)
            frames.append(np.column_stack([xyxy, d[:, 6], np.zeros(len(d))]))
        best = np.inf
        for _ in range(args.repeats):
            peer = Peer(args.tracker, frame_rate=_seq_rate(seq) if args.seq_frame_rate else 30.0)
            results, seconds = [], 0.0
            for dets in frames:
                t0 = time.perf_counter()
                res = peer.update(dets, None)
                seconds += time.perf_counter() - t0
                results.append(res)
            best = min(best, seconds)
        _write_mot(out / f"{seq.name}.txt", results)
        total_frames += n
        total_seconds += best
    return {"tracker": args.tracker, "version": version(args.tracker), "frames": total_frames,
            "seconds": total_seconds}


def run_synthetic(args) -> dict:
    """Per-frame update time on a synthetic scene saved by benchmarks/trackers.py (``boxes`` (F, N, 4), ``scores``)."""
    scene = np.load(args.scene)
    boxes, scores = scene["boxes"], scene["scores"]
    best = np.inf
    for _ in range(args.repeats):
        peer = Peer(args.tracker)
        t0 = time.perf_counter()
        for f in range(boxes.shape[0]):
            peer.update(np.column_stack([boxes[f], scores[f], np.zeros(len(scores[f]))]), None)
        best = min(best, time.perf_counter() - t0)
    return {"tracker": args.tracker, "version": version(args.tracker), "ms_per_frame": 1000.0 * best / boxes.shape[0]}


def run_streams(args) -> dict:
    """N separate trackers, one per stream, updated in turn per frame, on the scenes saved by
    benchmarks/multistream.py (``boxes`` (S, F, N, 4), ``scores`` (S, F, N)): ms per stream-frame."""
    scene = np.load(args.scene)
    boxes, scores = scene["boxes"], scene["scores"]
    streams, frames = boxes.shape[:2]
    dets = [[np.column_stack([boxes[s, f], scores[s, f], np.zeros(scores.shape[2])]) for s in range(streams)]
            for f in range(frames)]
    best = np.inf
    for _ in range(args.repeats):
        peers = [Peer(args.tracker) for _ in range(streams)]
        t0 = time.perf_counter()
        for per_stream in dets:
            for peer, d in zip(peers, per_stream):
                peer.update(d, None)
        best = min(best, time.perf_counter() - t0)
    return {"tracker": args.tracker, "version": version(args.tracker), "ms_per_stream_frame": 1000.0 * best / (streams * frames)}


def run_cmc(method: str, argv: list[str]) -> dict:
    """BoxMOT's camera-motion classes on frames written by benchmarks/trackers.py --cmc: the transform of each
    consecutive pair (as a list) and the mean ms per ``apply``."""
    sub = argparse.ArgumentParser()
    sub.add_argument("--frames", required=True)
    a = sub.parse_args(argv)
    from boxmot.motion.cmc import get_cmc_method

    frames = np.load(a.frames)["frames"]
    cmc = get_cmc_method(method)()
    warps, seconds = [], 0.0
    for k, frame in enumerate(frames):
        t0 = time.perf_counter()
        warp = cmc.apply(frame, np.zeros((0, 6), np.float32))
        if k:
            seconds += time.perf_counter() - t0
        warps.append(np.asarray(warp, np.float64)[:2].tolist())
    return {"tracker": f"boxmot-{method}", "warps": warps, "ms": 1000 * seconds / max(len(frames) - 1, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["mot15", "synthetic", "streams", "e2e", "cmc"])
    parser.add_argument("--tracker", required=True, choices=PEERS + ("ecc", "sof", "orb"))
    parser.add_argument("--data")
    parser.add_argument("--out")
    parser.add_argument("--scene")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seq-frame-rate", action="store_true", help="pass each sequence's frame rate (mot15)")
    args, rest = parser.parse_known_args()
    if args.mode == "cmc":
        result = run_cmc(args.tracker, rest)
    elif args.mode == "e2e":
        from e2e_peer import run_e2e  # same folder
        # --repeats is parsed here (shared with mot15), so hand it on.
        result = run_e2e(args.tracker, rest + ["--repeats", str(args.repeats)] + (["--out", args.out] if args.out else []))
    else:
        result = {"mot15": run_mot15, "synthetic": run_synthetic, "streams": run_streams}[args.mode](args)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
