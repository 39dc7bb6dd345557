"""``roadtrack stream SOURCE... --out DIR``: many cameras (videos, folders, ``rtsp://`` URLs) through one process.

Every step sends the frames of all streams to the detector (``--batch`` frames per call) and updates one
`MultiStreamTracker`; each stream's tracks go to ``OUT/<name>/tracks.txt`` as they come. Ctrl-C or SIGTERM on a
live camera is the normal way to stop: the files then hold every frame tracked so far.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from roadtrack.cli.track import _check_appearance, _output_folder, _stages_from_args, add_pipeline_options

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def add_parser(sub: Any) -> None:
    stream = sub.add_parser(
        "stream", help="track many live sources (videos, image folders, rtsp:// URLs) in one process, one batched "
                       "detector call and one tracker update per step",
        description="Track N sources at once (Pipeline.stream_many): OUT/<name>/tracks.txt per source, written as "
                    "frames arrive. Each stream's tracks equal those of 'roadtrack track' on it alone.")
    stream.add_argument("sources", nargs="+", help="video files, image folders, sequence folders or camera URLs")
    add_pipeline_options(stream)
    stream.add_argument("--names", default=None,
                        help="comma-separated output names, one per source (default: file names; URLs: stream<k>)")
    stream.add_argument("--async", dest="sync", action="store_false",
                        help="read each source in its own thread and step with the frames that have arrived (live "
                             "cameras at different rates); default: one frame of every source per step")


def run(args: argparse.Namespace) -> int:
    from roadtrack.config import load_config
    from roadtrack.io import MotWriter
    from roadtrack.pipeline import Pipeline

    _refuse_single_source_options(args)
    if args.batch < 1 or (args.max_frames is not None and args.max_frames < 1):
        raise ValueError("--batch and --max-frames must be at least 1")
    names = stream_names(args.sources, args.names)
    for source in args.sources:
        if not _URL.match(source) and not Path(source).exists():
            raise FileNotFoundError(f"source not found: {source}")
    if args.detections is not None:
        raise ValueError("--detections names one source's boxes; 'roadtrack stream' runs a detector on every source")
    config = load_config(args.config) if args.config else {}
    stages = _stages_from_args(args, Path(args.sources[0]), config)
    pipeline = Pipeline.from_config(stages)
    _check_appearance(pipeline, stages["tracker"]["name"])
    out = _output_folder(args.out)
    frames = dict.fromkeys(names, 0)
    ids: dict[str, set] = {name: set() for name in names}
    start = time.perf_counter()
    stopped = None
    for name in names:
        (out / name).mkdir(exist_ok=True)
    with ExitStack() as stack:
        writers = {name: stack.enter_context(MotWriter(out / name / "tracks.txt")) for name in names}
        steps = pipeline.stream_many(dict(zip(names, args.sources)), sync=args.sync, batch=args.batch,
                                     max_frames=args.max_frames)
        try:
            for step in steps:
                for name, item in step.items():
                    writers[name].write(item.index, item.tracks)
                    frames[name] += 1
                    ids[name].update(item.tracks.ids.tolist())
        except KeyboardInterrupt as exc:  # the usual end of a live run: keep what was tracked (files commit below)
            stopped = exc
            steps.close()
    seconds = time.perf_counter() - start
    for name in names:
        print(f"{name}: {frames[name]} frames, {len(ids[name])} tracks -> {out / name / 'tracks.txt'}")
    total = sum(frames.values())
    print(f"{len(names)} streams, {total} frames in {seconds:.1f} s ({total / max(seconds, 1e-9):.1f} frames/s)")
    if stopped is not None:
        from roadtrack.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

        print("roadtrack: stopped; every stream's tracks.txt holds the frames tracked until then", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(stopped, Terminated) else EXIT_INTERRUPTED
    return 0


def stream_names(sources: list[str], names: str | None) -> list[str]:
    """One output folder name per source: ``--names``, else file stems (URLs: ``stream<k>``), made unique."""
    if names is not None:
        chosen = [n.strip() for n in names.split(",")]
        if len(chosen) != len(sources) or not all(chosen) or len(set(chosen)) != len(chosen):
            raise ValueError(f"--names: {len(sources)} different non-empty names needed, got {names!r}")
        return chosen
    chosen, seen = [], set()
    for k, source in enumerate(sources):
        base = f"stream{k}" if _URL.match(source) else Path(source.rstrip("/")).stem or f"stream{k}"
        name, n = base, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        chosen.append(name)
    return chosen


def _refuse_single_source_options(args: argparse.Namespace) -> None:
    """Options of 'roadtrack track' that have no meaning here yet: an error, not a silent no-op."""
    unsupported = [flag for flag, given in (
        ("--events", args.events is not None), ("--save-video", args.save_video),
        ("--format other than mot", bool(args.formats) and set(args.formats) != {"mot"}),
        ("--no-tracks", args.no_tracks)) if given]
    if unsupported:
        raise ValueError(f"{', '.join(unsupported)}: not available with 'roadtrack stream' (tracks.txt per stream); "
                         "run 'roadtrack track' or 'roadtrack run' on recorded videos for events and other formats")

