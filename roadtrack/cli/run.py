"""``roadtrack run SOURCES... --out DIR``: track every source of a dataset in parallel, resumably.

Takes the options of ``roadtrack track`` for every source, plus where to run (``--workers``, ``--engine``).
``roadtrack track DATASET_DIR`` (a folder of several sources) comes here too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from roadtrack.cli._event_options import event_options_from_args
from roadtrack.cli.track import _formats, _output_folder, _stages_from_args, add_pipeline_options


def add_parser(sub: Any) -> None:
    from roadtrack.runner import ENGINES

    run = sub.add_parser(
        "run", help="track every video or sequence of a dataset in parallel (local processes or Ray), resumably",
        description="Track many sources with one pipeline: OUT/<source>/ as 'roadtrack track' writes it, plus "
                    "OUT/summary.json and summary.csv (per source: frames, tracks, frames/s, status) and, with "
                    "--format roadpp, OUT/tubes.pkl holding every video. A rerun skips finished sources; a failed "
                    "source is recorded with its error and the others go on.",
    )
    run.add_argument("sources", nargs="+",
                     help="videos, image folders or sequence folders, or datasets: a MOTChallenge split "
                          "(MOT15/train), KITTI tracking training/ (image_02, or label_02 with --detections), "
                          "a folder of videos (ROAD / ROAD-Waymo videos/, with --annotations and --split)")
    add_pipeline_options(run)
    run.add_argument("--annotations", default=None, metavar="JSON",
                     help="ROAD / ROAD-Waymo annotation file: run only the videos of --split")
    run.add_argument("--split", default=None, help="split of --annotations to run, e.g. val (default: val)")
    add_engine_options(run, ENGINES)
    run.add_argument("--fail-fast", action="store_true", help="stop at the first failed source")
    run.add_argument("--overwrite", action="store_true", help="run every source again, even finished ones")


def add_engine_options(parser: argparse.ArgumentParser, engines: tuple[str, ...], default_workers: int | None = None,
                       unit: str = "sources") -> None:
    """``--workers``, ``--engine``, ``--ray-address`` (shared with ``roadtrack eval``)."""
    default = "one per core" if default_workers is None else str(default_workers)
    parser.add_argument("--workers", type=int, default=default_workers,
                        help=f"processes working on the {unit} in parallel (default: {default}; 1 works in this "
                             "process)")
    parser.add_argument("--engine", default="pool", choices=engines,
                        help="pool: local processes (default); ray: Ray (pip install 'roadtrack[ray]')")
    parser.add_argument("--ray-address", default=None, metavar="ADDRESS",
                        help="with --engine ray, an existing cluster (e.g. ray://head:10001 or auto); files must "
                             "then be on a filesystem every node sees (default: a local Ray)")


def run(args: argparse.Namespace) -> int:
    return run_dataset(args, args.sources)


def run_dataset(args: argparse.Namespace, paths: list[str]) -> int:
    """Run every source under ``paths`` with the pipeline options of ``args`` (a ``run`` or ``track`` parse)."""
    from roadtrack.config import load_config
    from roadtrack.runner import Task, discover, run_tasks

    if args.batch < 1 or (args.max_frames is not None and args.max_frames < 1):
        raise ValueError("--batch and --max-frames must be at least 1")
    detections = args.detections
    if detections is not None and not Path(detections).is_dir():
        raise ValueError(f"--detections {detections}: for a dataset, a folder with each source's detections "
                         "(<name>.txt, <name>/ or <name>/det/det.txt)")
    sources = discover(paths, detections=detections, annotations=getattr(args, "annotations", None),
                       split=getattr(args, "split", None))
    config = load_config(args.config) if args.config else {}
    event_options = event_options_from_args(args)
    if len(sources) > 1 and Path(str(event_options.get("ego", ""))).is_file():
        raise ValueError("--ego-motion CSV: one file is one video's ego motion; for a dataset use auto, frames, "
                         "tracks or none (or run each video with 'roadtrack track')")
    formats = tuple(_formats(args))
    out = _output_folder(args.out)
    tasks = []
    for source in sources:
        per_source = argparse.Namespace(**{**vars(args), "detections": source.detections})
        tasks.append(Task(source, _stages_from_args(per_source, Path(source.path), config), formats, args.events,
                          args.event_labels, event_options, args.device, args.batch, args.save_video,
                          args.max_frames))
    engine = getattr(args, "engine", "pool")
    if engine == "ray":
        import ray  # noqa: F401  (the optional extra: a missing one is reported by name before any work)
    result = run_tasks(tasks, out, engine=engine, workers=getattr(args, "workers", None),
                       ray_address=getattr(args, "ray_address", None), fail_fast=getattr(args, "fail_fast", False),
                       overwrite=getattr(args, "overwrite", False), progress=not args.no_progress)
    if result.skipped:
        print(f"skipped {len(result.skipped)} source(s) finished by an earlier run (--overwrite to redo them)",
              file=sys.stderr)
    print(result.table())
    for kind, path in result.outputs.items():
        if path is not None:
            print(f"wrote {kind}: {path}")
    return 1 if result.failed else 0

