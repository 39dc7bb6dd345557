"""Run many sources, resumably: skip the finished ones, record each outcome, merge the outputs.

Layout of ``OUT``::

    OUT/<source>/tracks.txt, run.json (and tubes.pkl, tracks_kitti.txt, annotated.mp4 as asked)
    OUT/manifest.json       which sources are done (or failed, with the error), for reruns
    OUT/summary.json, .csv  per source: frames, tracks, seconds, frames/s, status, error
    OUT/tubes.pkl           with --format roadpp: one ROAD++ submission holding every video

A source folder appears under its final name only when all its files are complete; a run that is killed
leaves hidden ``.<source>.<pid>-<hex>.partial`` folders, removed by the next run.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from roadtrack.io.atomic import remove_stale_temporaries
from roadtrack.runner.engines import ENGINES, default_workers, run_pool, run_ray
from roadtrack.runner.manifest import Manifest, Record
from roadtrack.runner.sources import Source, discover
from roadtrack.runner.summary import format_table, merge_tubes, write_summary
from roadtrack.runner.worker import Task, remove_stale_folders


@dataclasses.dataclass
class RunResult:
    """What a dataset run did.

    Attributes:
        out_dir: the output folder.
        records: one per source, in source order (status ``done``, ``failed``, or ``pending`` when
            ``fail_fast`` stopped the run first).
        skipped: sources finished by an earlier run, not run again.
        outputs: kind -> path of the merged outputs (``summary_json``, ``summary_csv``, ``roadpp``).
    """

    out_dir: Path
    records: list[Record]
    skipped: list[str]
    outputs: dict[str, Path]

    @property
    def failed(self) -> list[Record]:
        return [r for r in self.records if r.status != "done"]

    def table(self) -> str:
        """The final table (one line per source, then totals)."""
        return format_table(self.records)


def run_tasks(tasks: Sequence[Task], out_dir: str | os.PathLike, engine: str = "pool", workers: int | None = None,
              ray_address: str | None = None, fail_fast: bool = False, overwrite: bool = False,
              progress: bool = False, videos: Sequence[str] | None = None) -> RunResult:
    """Run ``tasks`` (one per source) into ``out_dir``; see `run_many` for the arguments.

    Args:
        videos: every video the merged ``tubes.pkl`` must hold (default: the tasks' sources).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_folders(out)
    remove_stale_temporaries(out)
    manifest = Manifest(out)
    todo = [t for t in tasks if overwrite or manifest.finished(t.source.name, t.fingerprint()) is None]
    running = {t.source.name for t in todo}
    skipped = [t.source.name for t in tasks if t.source.name not in running]
    bars = _Bars(len(tasks), len(skipped), progress)
    records = _engine(engine, todo, out, workers, ray_address, bars.frames)
    try:
        for record in records:
            manifest.add(record)
            bars.finished(record)
            if fail_fast and record.status != "done":
                break
    finally:
        records.close()  # stops the workers at once when leaving early (fail-fast, Ctrl-C)
        bars.close()
    results = []
    for task in tasks:  # a record of other settings is from an earlier run: this run did not reach the source
        record = manifest.records.get(task.source.name)
        ok = record is not None and record.fingerprint == task.fingerprint()
        results.append(record if ok else Record(task.source.name, "pending"))
    outputs = dict(zip(("summary_json", "summary_csv"), write_summary(out, results)))
    if any("roadpp" in t.formats for t in tasks):
        labels = next((r.labels for r in results if r.labels), tasks[0].event_labels)
        outputs["roadpp"] = merge_tubes(out, results, videos or [t.source.name for t in tasks], labels)
    return RunResult(out, results, skipped, outputs)


def run_many(sources: Sequence[str | os.PathLike | Source], out_dir: str | os.PathLike,
             config: Mapping[str, Any] | Callable[[Source], Mapping[str, Any]], *,
             formats: Sequence[str] = ("mot",), events: str | None = None, event_labels: str = "road_waymo",
             event_options: Mapping[str, Any] | None = None,
             batch: int = 1, save_video: bool = False, max_frames: int | None = None, engine: str = "pool",
             workers: int | None = None, ray_address: str | None = None, fail_fast: bool = False,
             overwrite: bool = False, progress: bool = False) -> RunResult:
    """Track many sources with one pipeline config, in parallel and resumably (`Pipeline.run` per source).

    Args:
        sources: `Source` objects, or paths found by `discover` (videos, sequence folders, a MOTChallenge split,
            KITTI ``training/``, a folder of videos).
        out_dir: output folder: one sub-folder per source plus the merged outputs (module docstring).
        config: a pipeline config (`Pipeline.from_config`), or a function giving one per source. A
            ``precomputed`` detector without ``path`` reads each source's own detections (`Source.detections`,
            else ``<sequence>/det/det.txt``).
        formats, save_video, max_frames: as in `Pipeline.run`, for every source.
        events, event_labels: an event classifier spec as ``roadtrack track --events`` takes it.
        event_options: more keyword arguments of that classifier (``ego``, ``traffic_side``, ``focal``, ...).
        batch: frames per detector call.
        engine: ``"pool"`` (local processes) or ``"ray"``.
        workers: worker processes (Ray actors); default: one per core. 1 runs in this process.
        ray_address: with ``engine="ray"``, an existing cluster; None starts a local Ray for the run.
        fail_fast: stop at the first failed source (default: record it and go on).
        overwrite: run every source again, even those an earlier run finished.
        progress: show a bar over sources and one over frames.

    Returns:
        `RunResult`.

    Example:
        >>> result = run_many(["../shared/data/MOT15/train"], "runs/mot15",
        ...                   {"detector": "precomputed", "tracker": "bytetrack"}, workers=2)   # doctest: +SKIP
        >>> print(result.table())                                                             # doctest: +SKIP
    """
    found = [s for s in sources if isinstance(s, Source)]
    paths = [s for s in sources if not isinstance(s, Source)]
    found += discover(paths) if paths else []
    tasks = [Task(s, _stages(config, s), tuple(dict.fromkeys(formats)), events, event_labels,
                  dict(event_options or {}), None, batch, save_video, max_frames) for s in found]
    return run_tasks(tasks, out_dir, engine, workers, ray_address, fail_fast, overwrite, progress)


def _stages(config: Mapping[str, Any] | Callable[[Source], Mapping[str, Any]], source: Source) -> dict:
    stages = dict(config(source) if callable(config) else config)
    detector = stages.get("detector")
    detector = {"name": detector} if isinstance(detector, str) else dict(detector or {})
    if detector.get("name") == "precomputed" and "path" not in detector:
        default = Path(source.path) / "det" / "det.txt"
        if source.detections is None and not default.is_file():
            raise ValueError(f"{source.name}: no detections (give Source.detections or a det/det.txt)")
        detector["path"] = source.detections or str(default)
    stages["detector"] = detector
    return stages


def _engine(engine: str, tasks: Sequence[Task], out: Path, workers: int | None, ray_address: str | None,
            progress: Callable[[str, int], None]) -> Iterator[Record]:
    if engine == "ray":
        device = str((tasks[0].stages.get("detector") or {}).get("device") or "") if tasks else ""
        return run_ray(tasks, out, workers, ray_address, num_gpus=1.0 if device.startswith("cuda") else 0.0)
    return run_pool(tasks, out, workers or default_workers(), progress)


class _Bars:
    """One bar over sources and one over the frames the running sources have read (their names shown)."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self._read: dict[str, int] = {}
        self.sources = self.frames_bar = None
        if enabled:
            from tqdm import tqdm

            self.sources = tqdm(total=total, initial=done, unit="source", desc="sources", position=0,
                                dynamic_ncols=True)
            self.frames_bar = tqdm(unit="frame", desc="frames", position=1, dynamic_ncols=True)

    def frames(self, name: str, count: int) -> None:
        if self.frames_bar is None:
            return
        step = count - self._read.get(name, 0)
        if step > 0:  # a source read twice (the event video pass) is not counted again
            self._read[name] = count
            self.frames_bar.update(step)
            self.frames_bar.set_postfix_str(", ".join(self._read), refresh=False)

    def finished(self, record: Record) -> None:
        self._read.pop(record.name, None)
        if self.sources is not None:
            self.sources.update(1)
            if self.frames_bar is not None:
                self.frames_bar.set_postfix_str(", ".join(self._read), refresh=True)

    def close(self) -> None:
        for bar in (self.frames_bar, self.sources):
            if bar is not None:
                bar.close()
