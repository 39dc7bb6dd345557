"""One source in one worker: build (or reuse) the worker's `Pipeline`, run the source into a temporary folder,
and move the folder to its final name only once every file in it is complete.

A worker keeps the pipeline of its last task, so a dataset run with one detector loads it once per worker;
`Pipeline.run` resets the tracker and detector at the start of every source, so outputs do not depend on
which worker ran which source before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from roadtrack.io.atomic import atomic_write, pid_alive
from roadtrack.io.frames import Frame, FrameSource
from roadtrack.runner.manifest import Record, fingerprint
from roadtrack.runner.sources import Source, open_frames

RUN_INFO = "run.json"
# .<name>.<pid>-<8 hex>.partial (a folder being written) or .old (a replaced folder being deleted)
_TEMP_SUFFIXES = (".partial", ".old")
REPORT_EVERY = 10  # frames between progress reports: a queue message per frame would cost more than a frame


@dataclasses.dataclass(frozen=True)
class Task:
    """Everything a worker needs to run one source; plain data, so it crosses process and machine boundaries.

    Attributes:
        source: the `Source`.
        stages: the pipeline config (as `Pipeline.from_config` takes it) for this source.
        formats: output formats (``mot``, ``kitti``, ``roadpp``).
        events: ``--events`` spec (``kinematic``, ``scores``, a ``.ckpt``) or None.
        event_labels: label lists for ``kinematic`` and ``scores``.
        event_options: more keyword arguments of the event classifier (ego motion, traffic side, camera), as
            ``roadtrack track``'s event options give them.
        device: device of the event classifier (the detector's is in ``stages``).
        batch: frames per detector call.
        save_video: also write ``annotated.mp4``.
        max_frames: stop each source after this many frames.
    """

    source: Source
    stages: Mapping[str, Any]
    formats: tuple[str, ...] = ("mot",)
    events: str | None = None
    event_labels: str = "road_waymo"
    event_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    device: str | None = None
    batch: int = 1
    save_video: bool = False
    max_frames: int | None = None

    def pipeline_settings(self) -> dict:
        """What the pipeline is built from: tasks with equal settings share a worker's pipeline."""
        return {"stages": self.stages, "events": self.events, "event_labels": self.event_labels,
                "event_options": dict(self.event_options),
                "device": self.device, "batch": self.batch}

    def fingerprint(self) -> str:
        """Of everything that shapes this source's outputs (a finished source with another one is redone)."""
        return fingerprint({**self.pipeline_settings(), "source": dataclasses.asdict(self.source),
                            "formats": sorted(self.formats), "save_video": self.save_video,
                            "max_frames": self.max_frames})


class Worker:
    """Runs tasks one after another in this process, into ``out_dir/<source name>/``.

    Args:
        out_dir: the run's output folder (shared by all workers; on a cluster, a shared filesystem).
        report: called with (source name, frames read so far) every `REPORT_EVERY` frames and at the end.
    """

    def __init__(self, out_dir: str | os.PathLike, report: Callable[[str, int], None] | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.report = report
        self._settings: str | None = None
        self._pipeline: Any = None

    def pipeline(self, task: Task) -> Any:
        """This worker's pipeline for ``task``: built on the first task and whenever the settings change."""
        key = fingerprint(task.pipeline_settings())
        if key != self._settings:
            from roadtrack.pipeline import Pipeline

            self._pipeline, self._settings = None, None  # free the old detector before loading the next
            pipeline = Pipeline.from_config(dict(task.stages))
            pipeline.batch_size = task.batch
            if task.events:
                from roadtrack.events import event_classifier_from_spec

                pipeline.event_classifier = event_classifier_from_spec(
                    task.events, labels=task.event_labels,
                    class_names=getattr(pipeline.detector, "class_names", None) or None,
                    device=task.device or "auto", options=task.event_options)
            self._pipeline, self._settings = pipeline, key
        return self._pipeline

    def run(self, task: Task) -> Record:
        """Run one source; never raises for a bad source (the record says ``failed`` and why), only for
        KeyboardInterrupt and SystemExit."""
        name = task.source.name
        start = time.perf_counter()
        tmp = _temporary(self.out_dir, name, ".partial")
        try:
            pipeline = self.pipeline(task)
            frames = _Reporting(open_frames(task.source).limit(task.max_frames), self._report_for(name))
            result = pipeline.run(frames, out_dir=tmp, formats=task.formats, save_video=task.save_video,
                                  keep_tracks=False, progress=False)
            seconds = time.perf_counter() - start
            from roadtrack.events.spec import events_run_info

            outputs = {kind: path.name for kind, path in result.outputs.items()}
            info = {"source": task.source.path, "config": json.loads(json.dumps(dict(task.stages), default=str)),
                    "frames": result.frames, "tracks": len(result.tubes), "seconds_per_stage": result.timings,
                    "outputs": outputs, **events_run_info(pipeline.event_classifier)}
            with atomic_write(tmp / RUN_INFO) as handle:
                handle.write(json.dumps(info, indent=2) + "\n")
            commit_folder(tmp, self.out_dir / name)
            labels = getattr(pipeline.event_classifier, "labels", None) or task.event_labels
            return Record(name, "done", result.frames, len(result.tubes), seconds, "", task.fingerprint(), outputs,
                          str(getattr(labels, "name", labels)) if "roadpp" in outputs else "")
        except Exception as exc:  # one bad source must not stop the others: the record carries the error
            shutil.rmtree(tmp, ignore_errors=True)
            return Record(name, "failed", seconds=time.perf_counter() - start, error=one_line(exc),
                          fingerprint=task.fingerprint())
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _report_for(self, name: str) -> Callable[[int], None]:
        report = self.report
        return (lambda frames: report(name, frames)) if report is not None else (lambda frames: None)


def commit_folder(tmp: Path, final: Path) -> None:
    """Move the finished folder ``tmp`` onto ``final``, replacing an older ``final`` (never merging into it)."""
    old = None
    if final.exists():
        old = _temporary(final.parent, final.name, ".old", create=False)
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_stale_folders(out_dir: str | os.PathLike) -> list[Path]:
    """Delete the temporary folders of workers that died (SIGKILL, a crash); returns them."""
    removed = []
    out = Path(out_dir)
    if not out.is_dir():
        return removed
    for path in out.iterdir():
        pid = _temporary_pid(path.name)
        if pid is not None and path.is_dir() and not pid_alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def one_line(exc: BaseException) -> str:
    """The error as one line: type and first line of the message (an OSError names its file)."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    text = str(exc).splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _temporary(folder: Path, name: str, suffix: str, create: bool = True) -> Path:
    path = folder / f".{name}.{os.getpid()}-{secrets.token_hex(4)}{suffix}"
    if create:
        path.mkdir(parents=True)
    return path


def _temporary_pid(name: str) -> int | None:
    if not name.startswith(".") or not name.endswith(_TEMP_SUFFIXES):
        return None
    stem = name.rsplit(".", 1)[0]
    pid = stem.rsplit(".", 1)[-1].split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


class _Reporting(FrameSource):
    """``inner`` unchanged, reporting how many frames were read (for the runner's progress bar)."""

    def __init__(self, inner: FrameSource, report: Callable[[int], None]) -> None:
        super().__init__(inner.name, inner.fps, inner.size, inner.length)
        self.inner, self.report = inner, report

    def __getattr__(self, name: str) -> Any:  # det_path, frames_from, ... of the wrapped source
        inner = self.__dict__.get("inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    def _frames(self) -> Iterator[Frame]:
        count = 0
        with contextlib.closing(iter(self.inner)) as frames:
            for count, frame in enumerate(frames, start=1):
                yield frame
                if count % REPORT_EVERY == 0:
                    self.report(count)
        self.report(count)
