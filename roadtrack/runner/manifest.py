"""The run's manifest, ``OUT/manifest.json``: which sources are finished, so a rerun skips them.

Only the main process writes it, atomically after every finished or failed source: a run killed at any
moment leaves the previous complete manifest. A source counts as done on rerun when the manifest says so,
its output folder exists and it was made with the same pipeline settings (their fingerprint is recorded).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping

from roadtrack.io.atomic import atomic_write

MANIFEST_NAME = "manifest.json"
VERSION = 1


@dataclasses.dataclass(frozen=True)
class Record:
    """The outcome of one source.

    Attributes:
        name: the source's name (its output folder).
        status: ``"done"`` or ``"failed"``.
        frames, tracks: counts of a finished source (0 when failed).
        seconds: wall time of the source in its worker.
        error: one line, for a failed source.
        fingerprint: of the settings the source ran with (`fingerprint`).
        outputs: kind -> file name inside the source's folder (``mot``: ``tracks.txt``, ``roadpp``: ``tubes.pkl``).
        labels: name of the label lists of its ``tubes.pkl`` (``road_waymo``, ``road``), empty without one.
    """

    name: str
    status: str
    frames: int = 0
    tracks: int = 0
    seconds: float = 0.0
    error: str = ""
    fingerprint: str = ""
    outputs: Mapping[str, str] = dataclasses.field(default_factory=dict)
    labels: str = ""

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def fingerprint(settings: Any) -> str:
    """A short stable hash of JSON-able settings (the pipeline config and output options of one source)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Manifest:
    """The records of one output folder, loaded from and saved to ``OUT/manifest.json``."""

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.path = Path(out_dir) / MANIFEST_NAME
        self.records: dict[str, Record] = {}
        if self.path.is_file():
            self.records = _load(self.path)

    def finished(self, name: str, settings_fingerprint: str) -> Record | None:
        """The record of ``name`` if it is done with these settings and its folder is still there, else None."""
        record = self.records.get(name)
        if record is None or record.status != "done" or record.fingerprint != settings_fingerprint:
            return None
        return record if (self.path.parent / name).is_dir() else None

    def add(self, record: Record) -> None:
        """Record one outcome and save at once (atomically)."""
        self.records[record.name] = record
        data = {"version": VERSION, "sources": {n: dataclasses.asdict(r) for n, r in self.records.items()}}
        with atomic_write(self.path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _load(path: Path) -> dict[str, Record]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
        return {name: Record(**fields) for name, fields in data["sources"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a roadtrack run manifest ({exc}); use another --out or --overwrite") from None
