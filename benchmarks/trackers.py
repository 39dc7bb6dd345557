"""Trackers alone on MOT15 public detections, roadtrack presets against peers, in one run (issue 9, target A).

    python benchmarks/trackers.py [--peers-python PATH] [--newest-boxmot-python PATH] [--repeats 3] [--no-peers]
                                  [--presets sort,bytetrack] [--sizes 10,100,1000] [--no-scaling]

Data: the 11 sequences of ../shared/data/MOT15/train with their det/det.txt, scored as
../shared/benchmarks/peers-mot15.md describes (all gt rows kept, HOTA from TrackEval, MOTA/IDF1/IDSW from
py-motmetrics at IoU 0.5, frame-weighted; trackers with a frame-rate option get each sequence's frame rate,
which is how the published peer figures were made). Timing: tracker update calls only, best of ``--repeats``
per sequence. Peers run in their own environment (default /work/peers-venv/bin/python, or $ROADTRACK_PEERS_PYTHON)
through benchmarks/peers/run_peer.py; the peers of issue 16's presets also run with the newest BoxMOT (default
/work/peers-venv-new/bin/python, or $ROADTRACK_NEWEST_BOXMOT_PYTHON; skipped when missing). This script installs
nothing.

Then the scaling test: synthetic scenes of 10 .. 1000 objects moving linearly with noise; per-frame update time.

    python benchmarks/trackers.py --memory [--memory-frames 100000] [--presets ...]
    python benchmarks/trackers.py --cmc

runs each preset on an endless synthetic stream (20 objects alive at a time, each living ~100 frames, with
appearance features) and prints the process's resident memory and the live track count along the way.
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

RUN_PEER = Path(__file__).resolve().parent / "peers" / "run_peer.py"
DEFAULT_PEERS_PYTHON = os.environ.get("ROADTRACK_PEERS_PYTHON", "/work/peers-venv/bin/python")
# The newest BoxMOT release (25.0.0) in its own environment: it runs the peers of the new presets a second time.
NEWEST_BOXMOT_PYTHON = os.environ.get("ROADTRACK_NEWEST_BOXMOT_PYTHON", "/work/peers-venv-new/bin/python")
NEWEST_BOXMOT_PEERS = ("boxmot-deepocsort", "boxmot-hybridsort", "boxmot-boosttrack", "boxmot-boosttrack++")
# roadtrack preset key -> (registered name, options, peers: the same algorithm elsewhere, the first one compared
# in the row, the others on a line each); BoT-SORT without ReID and CMC (no frames). Peer names: peers/zoo.py.
PRESETS = {
    "sort": ("sort", {}, ()),
    "bytetrack": ("bytetrack", {}, ("boxmot-bytetrack",)),
    "ocsort": ("ocsort", {}, ("boxmot-ocsort",)),
    "botsort": ("botsort", {"with_reid": False, "cmc": None}, ("boxmot-botsort",)),
    # The published algorithms, without roadtrack's lost-track recovery step:
    "bytetrack/no-recovery": ("bytetrack", {"recovery": False}, ("boxmot-bytetrack",)),
    "botsort/no-recovery": ("botsort", {"with_reid": False, "cmc": None, "recovery": False}, ("boxmot-botsort",)),
    # Issue 16's presets (motion only here: A has no frames). BoostTrack at BoxMOT's class defaults is BoostTrack
    # (the "+"/"++" switches off); boxmot-boosttrack++ turns on the three switches of BoostTrack++.
    "deepocsort": ("deepocsort", {}, ("boxmot-deepocsort",)),
    "hybridsort": ("hybridsort", {}, ("boxmot-hybridsort",)),
    "boosttrack": ("boosttrack", {}, ("boxmot-boosttrack", "boxmot-boosttrack++")),
    "tracktrack": ("tracktrack", {}, ("ultralytics-tracktrack",)),
    "fasttracker": ("fasttracker", {}, ("ultralytics-fasttrack",)),
    "cbiou": ("cbiou", {}, ()),  # in neither BoxMOT 18/25 nor Ultralytics 8.4.190 (roboflow trackers has it)
    "ucmctrack": ("ucmctrack", {}, ()),  # in neither
}
# Published by ../shared/benchmarks/peers-mot15.md; abewley/sort is not on PyPI, so it is not rerun here.
ORIGINAL_SORT = {"HOTA": 35.25, "MOTA": 40.84, "IDF1": 45.82, "IDSW": 582, "fps": 2380.0}
NO_PEER = "none in BoxMOT 18/25 or Ultralytics 8.4.190"


def peer_runs(peers: tuple[str, ...], args) -> list[tuple[str, str]]:
    """(python, peer) pairs: each peer in the peers' environment, then the new ones with the newest BoxMOT too."""
    runs = [(args.peers_python, p) for p in peers]
    if args.newest_boxmot_python and Path(args.newest_boxmot_python).exists():
        runs += [(args.newest_boxmot_python, p) for p in peers if p in NEWEST_BOXMOT_PEERS]
    return runs


def sequences() -> list[tuple[Path, int]]:
    out = []
    for seq in sorted(p for p in MOT15.iterdir() if (p / "det" / "det.txt").is_file()):
        info = configparser.ConfigParser()
        info.read(seq / "seqinfo.ini")
        out.append((seq, int(info["Sequence"]["seqLength"])))
    return out


def frame_rate(seq: Path) -> float:
    info = configparser.ConfigParser()
    info.read(seq / "seqinfo.ini")
    return float(info["Sequence"].get("frameRate", 30))


def _with_rate(name: str, options: dict, seq: Path) -> dict:
    """Presets whose buffers are in frames at 30 frames/s get the sequence's rate, as the peers do."""
    import inspect

    from roadtrack.core.registry import get

    if "frame_rate" in inspect.signature(get("tracker", name)).parameters:
        return {**options, "frame_rate": frame_rate(seq)}
    return options


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
            tracker = build("tracker", name, **_with_rate(name, options, seq))
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


def run_peer(python: str, peer: str, seqs, repeats: int) -> tuple[dict[str, np.ndarray], float, str]:
    """MOT rows per sequence, total best-of-``repeats`` update seconds, and the peer library's version."""
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([python, str(RUN_PEER), "mot15", "--tracker", peer, "--data", str(MOT15), "--out", out,
                               "--repeats", str(repeats), "--seq-frame-rate"], capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"peer {peer} failed:\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        rows = {seq.name: read_rows(Path(out) / f"{seq.name}.txt") for seq, _ in seqs}
        return rows, result["seconds"], result.get("version", "")


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


def _rss_mib() -> float:
    """Resident memory of this process, MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_stream(name: str, n_frames: int, report_every: int) -> list[tuple[int, float, int, int]]:
    """(frame, resident MiB, live tracks, next id) samples on an endless synthetic stream."""
    rng = np.random.default_rng(0)
    alive, tracker = 20, build("tracker", name)
    start = rng.uniform(0, 1500, (alive, 2))
    velocity = rng.normal(0, 2, (alive, 2))
    born = np.zeros(alive, np.int64)
    looks = rng.normal(size=(alive, 64)).astype(np.float32)
    samples = []
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
            samples.append((k + 1, _rss_mib(), len(tracker.tracks), tracker.next_id))
    return samples


def cmc_benchmark(args) -> None:
    """Camera-motion estimators: corner error on real frames warped by known transforms, and ms per frame."""
    import cv2

    from roadtrack.core.registry import available, get

    video = MOT15 / "PETS09-S2L1" / "PETS09-S2L1.avi"
    cap = cv2.VideoCapture(str(video))
    base = [cap.read()[1] for _ in range(60)]
    cap.release()
    h, w = base[0].shape[:2]
    rng = np.random.default_rng(0)
    truths, frames = [], [base[0]]
    for k in range(1, 40):  # each frame moved from the previous one by a known similarity transform
        a = cv2.getRotationMatrix2D((w / 2, h / 2), rng.normal(0, 0.5), 1 + rng.normal(0, 0.005))
        a[:, 2] += rng.normal(0, 4, 2)
        truths.append(a)
        frames.append(cv2.warpAffine(base[0], a, (w, h), borderMode=cv2.BORDER_REFLECT))
    # Pairs (0 -> k): the estimator sees the base frame, then the warped one, then resets.
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float)

    def corner_error(a, b):
        return float(np.linalg.norm(corners @ a[:, :2].T + a[:, 2] - (corners @ b[:, :2].T + b[:, 2]), axis=1).max())

    print(f"\n# camera motion: corner error (px) on PETS09 frame 1 warped by 39 random similarity transforms "
          f"(rotation sd 0.5 deg, scale sd 0.5 %, shift sd 4 px), and ms per {w}x{h} frame on 60 real frames")
    print("| method | median corner error | max corner error | ms per frame |")
    print("|---|---|---|---|")
    for name, cls in ((n, get("cmc", n)) for n in available("cmc")):
        errors = []
        for truth, warped in zip(truths, frames[1:]):
            est = cls()
            est.estimate(base[0])
            errors.append(corner_error(est.estimate(warped), truth))
        est, best = cls(), np.inf
        for _ in range(args.repeats):
            est.reset()
            est.estimate(base[0])
            t0 = time.perf_counter()
            for frame in base[1:]:
                est.estimate(frame)
            best = min(best, (time.perf_counter() - t0) / (len(base) - 1))
        print(f"| roadtrack {name}{' (default)' if name == 'sparse-flow' else ''} | {np.median(errors):.3f} | "
              f"{max(errors):.3f} | {1000 * best:.2f} |", flush=True)
    if args.no_peers:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for method in ("ecc", "sof"):
            errors = []
            for truth, warped in zip(truths, frames[1:]):
                np.savez(Path(tmp) / "pair.npz", frames=np.stack([base[0], warped]))
                out = _peer_cmc(args.peers_python, method, Path(tmp) / "pair.npz")
                errors.append(corner_error(np.array(out["warps"][1]), truth))
            np.savez(Path(tmp) / "real.npz", frames=np.stack(base))
            ms = min(_peer_cmc(args.peers_python, method, Path(tmp) / "real.npz")["ms"] for _ in range(args.repeats))
            print(f"| BoxMOT {method} | {np.median(errors):.3f} | {max(errors):.3f} | {ms:.2f} |", flush=True)


def _peer_cmc(python: str, method: str, frames: Path) -> dict:
    proc = subprocess.run([python, str(RUN_PEER), "cmc", "--tracker", method, "--frames", str(frames)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"peer cmc {method} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(r: dict) -> str:
    return f"{r['HOTA']:.2f} | {r['MOTA']:.2f} | {r['IDF1']:.2f} | {r['IDSW']} | {r['fps']:.0f} | {1000 / r['fps']:.3f}"


def _versus(ours: dict, ref: dict | None) -> str:
    if ref is None:
        return "- | - | - | -"
    return " | ".join([f"{ours[m] - ref[m]:+.3f}" for m in ("HOTA", "MOTA", "IDF1")] + [f"{ours['fps'] / ref['fps']:.2f}×"])


def accuracy_table(args) -> None:
    """A: each preset on MOT15 public detections beside its peers, scored and timed in this run."""
    seqs = sequences()
    total_frames = sum(n for _, n in seqs)
    print(f"# {datetime.datetime.now():%Y-%m-%d %H:%M} {platform.node()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.2f}, MOT15 train public detections, {len(seqs)} sequences, {total_frames} frames, "
          f"best of {args.repeats}")
    print("| tracker | HOTA | MOTA | IDF1 | IDSW | frames/s (update only) | ms/frame | peer | ΔHOTA | ΔMOTA | ΔIDF1 | "
          "speed ratio (peer ms / ours) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    peer_scores: dict[tuple[str, str], tuple[str, dict]] = {}
    for key in args.presets.split(","):
        name, options, peers = PRESETS[key]
        refs = []  # (label, scores) of this preset's peers, in this run
        if key == "sort":
            refs.append(("SORT (abewley, peers-mot15.md)", ORIGINAL_SORT))
        for python, peer in ([] if args.no_peers else peer_runs(peers, args)):
            if (python, peer) not in peer_scores:
                peer_out, peer_seconds, version = run_peer(python, peer, seqs, args.repeats)
                ref = score(peer_out, seqs)
                ref["fps"] = total_frames / peer_seconds
                peer_scores[python, peer] = (f"{peer} ({version})", ref)
                print(f"| {peer} ({version}) | {_fmt(ref)} | | | | | |", flush=True)
            refs.append(peer_scores[python, peer])
        outputs, seconds = run_roadtrack(name, options, seqs, args.repeats)
        ours = score(outputs, seqs)
        ours["fps"] = total_frames / seconds
        label = key + ("" if not options else " (" + ", ".join(f"{k}={v}" for k, v in options.items()) + ")")
        first, ref = refs[0] if refs else ("-" if peers else NO_PEER, None)
        print(f"| **roadtrack {label}** | {_fmt(ours)} | {first} | {_versus(ours, ref)} |", flush=True)
        for other, ref in refs[1:]:
            print(f"| ↳ roadtrack {key} | | | | | | | {other} | {_versus(ours, ref)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--newest-boxmot-python", default=NEWEST_BOXMOT_PYTHON,
                        help="the newest BoxMOT's environment (skipped when missing; '' turns it off)")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--presets", default=",".join(PRESETS), help=f"comma-separated, from: {', '.join(PRESETS)}")
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--synthetic-frames", type=int, default=30)
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--memory", action="store_true", help="only the long-stream memory test")
    parser.add_argument("--cmc", action="store_true", help="only the camera-motion accuracy and speed comparison")
    parser.add_argument("--memory-frames", type=int, default=100_000)
    args = parser.parse_args()
    if args.cmc:
        cmc_benchmark(args)
        return
    if args.memory:
        every = max(1, args.memory_frames // 5)
        print(f"# memory: {args.memory_frames} synthetic frames, 20 objects alive, 64-d features; resident MiB "
              f"of the process / live tracks at every {every} frames (run each preset in its own process)")
        print("| tracker | " + " | ".join(f"frame {k}" for k in range(every, args.memory_frames + 1, every)) +
              " | ids issued |")
        print("|---|" + "---|" * (args.memory_frames // every + 1))
        for name in args.presets.split(","):
            samples = memory_stream(PRESETS[name][0] if name in PRESETS else name, args.memory_frames, every)
            print(f"| {name} | " + " | ".join(f"{mib:.2f} MiB / {live}" for _, mib, live, _ in samples) +
                  f" | {samples[-1][3] - 1} |", flush=True)
        return
    accuracy_table(args)
    if args.no_scaling:
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"\n# scaling: synthetic scenes, {args.synthetic_frames} frames, ms per frame (update only), best of {args.repeats}")
    print("| tracker | " + " | ".join(f"{n} objects" for n in sizes) + f" | growth {sizes[0]}→{sizes[-1]} |")
    print("|---|" + "---|" * (len(sizes) + 1))
    done: set[tuple[str, str]] = set()
    with tempfile.TemporaryDirectory() as tmp:
        scenes = {}
        for n in sizes:
            boxes, scores = synthetic_scene(n, args.synthetic_frames)
            scenes[n] = (boxes, scores, Path(tmp) / f"scene_{n}.npz")
            np.savez(scenes[n][2], boxes=boxes, scores=scores)
        for key in args.presets.split(","):
            if "@" in key:  # parameter variants scale like their preset
                continue
            name, options, peers = PRESETS[key]
            ours = [time_synthetic(name, options, b, s, args.repeats) for b, s, _ in scenes.values()]
            print(f"| roadtrack {key} | " + " | ".join(f"{v:.2f}" for v in ours) + f" | {ours[-1] / ours[0]:.0f}× |",
                  flush=True)
            for python, peer in ([] if args.no_peers else peer_runs(peers, args)):
                if (python, peer) in done:
                    continue
                done.add((python, peer))
                theirs, version = [], ""
                for _, _, path in scenes.values():
                    proc = subprocess.run([python, str(RUN_PEER), "synthetic", "--tracker", peer, "--scene",
                                           str(path), "--repeats", str(args.repeats)], capture_output=True, text=True)
                    result = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {}
                    theirs.append(result.get("ms_per_frame", float("nan")))
                    version = result.get("version", version)
                print(f"| {peer} ({version}) | " + " | ".join(f"{v:.2f}" for v in theirs) +
                      f" | {theirs[-1] / theirs[0]:.0f}× |", flush=True)

if __name__ == "__main__":
    main()
