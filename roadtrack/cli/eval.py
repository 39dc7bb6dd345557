"""``roadtrack eval mot|road``: score tracks against ground truth (HOTA, CLEAR, Identity) or ROAD event
detections against ROAD annotations (frame-mAP, video-mAP).

Both print tables and, with ``--out DIR``, write ``DIR/results.json`` and ``DIR/summary.csv`` (ROAD also
``DIR/per_class_ap.png``). ``summary.csv`` holds the printed values (ratios and mAP in percent); MOT's
``results.json`` keeps ratios as fractions in [0, 1], ROAD's keeps AP in percent.
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import Any

from roadtrack.io.atomic import atomic_write

_MOT_BENCHMARKS = ("auto", "MOT15", "MOT16", "MOT17", "MOT20", "KITTI", "none")
_CLEAR_CONVENTIONS = ("motmetrics", "trackeval")


def add_parser(sub: Any) -> None:
    from roadtrack.cli.run import add_engine_options
    from roadtrack.runner import ENGINES

    ev = sub.add_parser("eval", help="evaluate tracks (HOTA, CLEAR, IDF1) or ROAD event detections (mAP)",
                        description="Evaluate tracker output (eval mot) or ROAD / ROAD++ detections (eval road).")
    kinds = ev.add_subparsers(dest="eval_kind", required=True, metavar="{mot,road}", parser_class=type(ev))
    mot = kinds.add_parser(
        "mot", help="HOTA, CLEAR-MOT and identity metrics on MOTChallenge or KITTI tracking files",
        description="Score tracker output against ground truth with HOTA (as TrackEval), CLEAR-MOT and IDF1 "
                    "(as py-motmetrics), per sequence and combined across sequences as TrackEval combines them.",
    )
    mot.add_argument("--gt", required=True,
                     help="ground truth: a gt.txt, a sequence folder (SEQ/gt/gt.txt), or a folder of sequence folders "
                          "(MOT15/train); for KITTI a label file, a label_02 folder or the folder holding label_02")
    mot.add_argument("--pred", required=True,
                     help="tracker output: one result file (single sequence), a folder of <sequence>.txt files, "
                          "or a 'roadtrack run' output folder (<sequence>/tracks.txt)")
    mot.add_argument("--benchmark", default="auto", choices=_MOT_BENCHMARKS,
                     help="rules for ignored objects: MOT15 (zero-marked gt rows), MOT16/17/20 (also distractor "
                          "classes), KITTI (DontCare regions, vans, occlusion, small boxes), none; "
                          "auto: MOT17 if the gt has a class column, else MOT15 (default: auto)")
    mot.add_argument("--classes", default=None,
                     help="KITTI classes to evaluate, comma-separated (default: car,pedestrian)")
    mot.add_argument("--clear-convention", default="motmetrics", choices=_CLEAR_CONVENTIONS,
                     help="CLEAR matching and MT/Frag rules: py-motmetrics' or TrackEval's (default: motmetrics)")
    mot.add_argument("--threshold", type=float, default=0.5,
                     help="minimum IoU of a CLEAR or identity match (default: 0.5)")
    mot.add_argument("--name", default=None, help="tracker name in the tables (default: the prediction folder's name)")
    mot.add_argument("--out", default=None,
                     help="folder to write summary.csv (the printed tables' values: ratios in percent) and "
                          "results.json (every field, ratios as fractions in [0, 1]) into")
    mot.add_argument("--quiet", action="store_true", help="do not print the tables")
    add_engine_options(mot, ENGINES, default_workers=1, unit="sequences")

    road = kinds.add_parser(
        "road", help="frame-mAP and video-mAP of ROAD / ROAD++ detections",
        description="Score a ROAD++ submission pickle against ROAD annotations, as the official evaluation does.",
    )
    road.add_argument("--annotations", required=True, help="ROAD annotation JSON (e.g. road_trainval_v1.0.json)")
    road.add_argument("--pred", required=True, help="detections: a ROAD++ submission pickle")
    road.add_argument("--subset", default="val", help="annotation split to evaluate (default: val)")
    road.add_argument("--unofficial", action="store_true",
                      help="fix the official evaluation's quirks (official=False), e.g. compare tubes with gaps "
                           "frame by frame")
    road.add_argument("--trust-pickle", action="store_true",
                      help="unpickle any object the prediction file names; unpickling can run code, so by default "
                           "only dicts, lists, numbers, strings and numpy arrays (all a submission holds) are loaded")
    road.add_argument("--out", default=None,
                      help="folder to write results.json, summary.csv and per_class_ap.png into")
    road.add_argument("--quiet", action="store_true", help="do not print the tables")
    add_engine_options(road, ENGINES, default_workers=1, unit="videos")


def run(args: argparse.Namespace) -> int:
    if args.eval_kind == "mot":
        return _run_mot(args)
    return _run_road(args)


def _out_dir(out: str | None) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out {path} is a file, not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _parallel(args: argparse.Namespace) -> dict[str, Any]:
    """``{"map_fn": ...}`` scoring the sequences (videos) on --workers processes or Ray tasks, with the same
    numbers as one after another; empty for one worker (the evaluation's own default)."""
    from roadtrack.runner import parallel_map

    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    if args.engine == "pool" and args.workers == 1:
        return {}
    return {"map_fn": functools.partial(parallel_map, engine=args.engine, workers=args.workers,
                                        ray_address=args.ray_address)}


def _run_mot(args: argparse.Namespace) -> int:
    from roadtrack.metrics.evaluate import default_metrics, evaluate_files

    for flag, path in (("--gt", args.gt), ("--pred", args.pred)):
        if not Path(path).exists():
            raise FileNotFoundError(f"{flag} not found: {path}")
    if not 0.0 < args.threshold <= 1.0:
        raise ValueError(f"--threshold must be in (0, 1], got {args.threshold}")
    classes = [c.strip().lower() for c in args.classes.split(",") if c.strip()] if args.classes else None
    out = _out_dir(args.out)
    evaluation = evaluate_files(args.gt, args.pred, benchmark=args.benchmark, classes=classes, tracker=args.name,
                                metrics=default_metrics(args.clear_convention, args.threshold), **_parallel(args))
    if not args.quiet:
        print(evaluation.table(), end="")
    if out is not None:
        written = [evaluation.write_json(out / "results.json"), evaluation.write_csv(out / "summary.csv")]
        print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


def _run_road(args: argparse.Namespace) -> int:
    for flag, path in (("--annotations", args.annotations), ("--pred", args.pred)):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{flag} not found: {path}")
    try:
        from roadtrack.metrics.road import evaluate_road_files
    except ImportError as exc:
        raise RuntimeError(f"ROAD evaluation is unavailable in this installation ({exc})") from None
    out = _out_dir(args.out)
    evaluation = evaluate_road_files(args.annotations, args.pred, subset=args.subset, official=not args.unofficial,
                                     trust_pickle=args.trust_pickle, **_parallel(args))
    if not args.quiet:
        print(evaluation.table())
    if out is not None:
        with atomic_write(out / "results.json", "w", encoding="utf-8") as f:
            json.dump(evaluation.to_dict(), f, indent=1)
            f.write("\n")
        evaluation.write_csv(out / "summary.csv")
        evaluation.plot_per_class(out / "per_class_ap.png")
        print(f"wrote {out / 'results.json'}, {out / 'summary.csv'}, {out / 'per_class_ap.png'}")
    return 0
