"""Time MOT evaluation of all 11 MOT15 train sequences: roadtrack.metrics against TrackEval (and py-motmetrics).

    python benchmarks/metrics.py [--repeat 3] [--no-motmetrics]

Tracker output: `sort()` on each sequence's det/det.txt, written to a temporary folder first (not timed).
Each timing covers reading the files and computing the metrics, from paths to final numbers:

- roadtrack: `evaluate_files(..., benchmark="MOT15")`: HOTA, CLEAR, Identity;
- TrackEval: `Evaluator.evaluate` with `MotChallenge2DBox` (MOT15) and HOTA, CLEAR, Identity, printing and
  output files off, no parallelism;
- py-motmetrics (CLEAR and Identity only): `read_mot` + one `MOTAccumulator` per sequence + `compute_many`.

Runs alternate between the tools; the best of ``--repeat`` runs is kept, and ratios are printed from this one
run (the machine is shared, so compare ratios, not absolute times). TrackEval and py-motmetrics are test-only
dependencies (pip install trackeval).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from _shared import MOT15

from roadtrack import Pipeline
from roadtrack.detectors import PrecomputedDetector
from roadtrack.io import read_mot, write_mot
from roadtrack.metrics import evaluate_files
from roadtrack.trackers import sort


def _patch_numpy() -> None:
    """TrackEval's published sources use np.float/np.int, py-motmetrics 1.4 np.asfarray (all gone in NumPy 2)."""
    for name, value in (("float", float), ("int", int), ("bool", bool)):
        if name not in np.__dict__:
            setattr(np, name, value)
    if "asfarray" not in np.__dict__:
        np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)


def write_sort_outputs(sequences: list[str], out: Path) -> None:
    out.mkdir(parents=True)
    for seq in sequences:
        result = Pipeline(detector=PrecomputedDetector(MOT15 / seq / "det" / "det.txt"), tracker=sort()).run(MOT15 / seq)
        write_mot(out / f"{seq}.txt", result.track_rows())


def run_roadtrack(pred: Path) -> dict[str, float]:
    ev = evaluate_files(MOT15, pred, benchmark="MOT15")
    return {"HOTA": ev.result("HOTA").summary()["HOTA"], "MOTA": ev.result("CLEAR").MOTA,
            "IDF1": ev.result("Identity").IDF1}


def run_trackeval(trackers: Path, sequences: list[str]) -> dict[str, float]:
    import trackeval

    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = trackeval.Evaluator({
            "USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False, "TIME_PROGRESS": False,
            "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False, "DISPLAY_LESS_PROGRESS": True})
        dataset = trackeval.datasets.MotChallenge2DBox({
            "GT_FOLDER": str(MOT15), "TRACKERS_FOLDER": str(trackers), "TRACKERS_TO_EVAL": ["sort"],
            "BENCHMARK": "MOT15", "SKIP_SPLIT_FOL": True, "SEQ_INFO": {s: None for s in sequences},
            "PRINT_CONFIG": False})
        metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR({"PRINT_CONFIG": False}),
                   trackeval.metrics.Identity({"PRINT_CONFIG": False})]
        results, _ = evaluator.evaluate([dataset], metrics)
    res = results["MotChallenge2DBox"]["sort"]["COMBINED_SEQ"]["pedestrian"]
    return {"HOTA": float(np.mean(res["HOTA"]["HOTA"])), "MOTA": float(res["CLEAR"]["MOTA"]),
            "IDF1": float(res["Identity"]["IDF1"])}


def run_motmetrics(pred: Path, sequences: list[str]) -> dict[str, float]:
    import motmetrics as mm

    accumulators = []
    for seq in sequences:
        gt = read_mot(MOT15 / seq / "gt" / "gt.txt")
        gt = gt[np.trunc(gt.scores) != 0]
        tracks = read_mot(pred / f"{seq}.txt")
        acc = mm.MOTAccumulator(auto_id=False)
        gt_frames, pred_frames = dict(gt.split_by_frame()), dict(tracks.split_by_frame())
        for frame in sorted(set(gt_frames) | set(pred_frames)):
            g, p = gt_frames.get(frame, gt[:0]), pred_frames.get(frame, tracks[:0])
            acc.update(g.ids.tolist(), p.ids.tolist(), mm.distances.iou_matrix(g.tlwh, p.tlwh, max_iou=0.5),
                       frameid=frame)
        accumulators.append(acc)
    summary = mm.metrics.create().compute_many(
        accumulators, metrics=["mota", "idf1", "num_switches", "num_fragmentations", "mostly_tracked", "motp"],
        names=sequences, generate_overall=True)
    return {"HOTA": float("nan"), "MOTA": float(summary.loc["OVERALL", "mota"]),
            "IDF1": float(summary.loc["OVERALL", "idf1"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the best is kept (default: 3)")
    parser.add_argument("--no-motmetrics", action="store_true", help="skip the py-motmetrics timing")
    args = parser.parse_args()
    _patch_numpy()
    sequences = sorted(d.name for d in MOT15.iterdir() if (d / "gt" / "gt.txt").is_file())
    with tempfile.TemporaryDirectory() as tmp:
        trackers = Path(tmp)
        pred = trackers / "sort" / "data"
        write_sort_outputs(sequences, pred)
        tools = {"roadtrack.metrics": lambda: run_roadtrack(pred),
                 "TrackEval": lambda: run_trackeval(trackers, sequences)}
        if not args.no_motmetrics:
            tools["py-motmetrics (CLEAR, Identity only)"] = lambda: run_motmetrics(pred, sequences)
        best = {name: float("inf") for name in tools}
        scores = {}
        for _ in range(args.repeat):
            for name, fn in tools.items():
                start = time.perf_counter()
                scores[name] = fn()
                best[name] = min(best[name], time.perf_counter() - start)

    frames = sum(int(line.split("=")[1]) for s in sequences
                 for line in (MOT15 / s / "seqinfo.ini").read_text().splitlines() if line.startswith("seqLength"))
    print(f"# {datetime.date.today()} {platform.node()} {platform.processor() or platform.machine()}, "
          f"{len(sequences)} MOT15 train sequences ({frames} frames), sort() on det/det.txt, best of {args.repeat}")
    print("| tool | seconds | frames/s | HOTA | MOTA | IDF1 |")
    print("|---|---|---|---|---|---|")
    for name in tools:
        cells = " | ".join("-" if np.isnan(v) else f"{100 * v:.3f}" for v in scores[name].values())
        print(f"| {name} | {best[name]:.3f} | {frames / best[name]:.0f} | {cells} |")
    ours = best["roadtrack.metrics"]
    for name in tools:
        if name != "roadtrack.metrics":
            print(f"roadtrack.metrics is {best[name] / ours:.1f}x faster than {name}")


if __name__ == "__main__":
    main()
