"""The merged outputs of a dataset run: ``summary.json``, ``summary.csv``, the ROAD++ ``tubes.pkl`` over all
videos, and the final table.

Everything here is written from the records in source order, so it does not depend on which worker finished
first. ``seconds`` and ``frames_per_s`` are measurements and differ between runs; every other value, and the
merged ``tubes.pkl``, is the same byte for byte whichever engine or worker count made it.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Sequence

from roadtrack.io.atomic import atomic_write
from roadtrack.runner.manifest import Record

SUMMARY_JSON, SUMMARY_CSV, MERGED_TUBES = "summary.json", "summary.csv", "tubes.pkl"
COLUMNS = ("source", "status", "frames", "tracks", "seconds", "frames_per_s", "error")


def rows(records: Sequence[Record]) -> list[dict[str, Any]]:
    """One row per source: the `COLUMNS`."""
    return [{"source": r.name, "status": r.status, "frames": r.frames, "tracks": r.tracks,
             "seconds": round(r.seconds, 3), "frames_per_s": round(r.fps, 1), "error": r.error} for r in records]


def write_summary(out_dir: str | os.PathLike, records: Sequence[Record]) -> list[Path]:
    """Write ``summary.json`` (rows and totals) and ``summary.csv`` (the rows) into ``out_dir``."""
    out = Path(out_dir)
    table = rows(records)
    done = [r for r in records if r.status == "done"]
    totals = {"sources": len(records), "done": len(done), "failed": len(records) - len(done),
              "frames": sum(r.frames for r in done), "tracks": sum(r.tracks for r in done)}
    with atomic_write(out / SUMMARY_JSON, "w", encoding="utf-8") as handle:
        handle.write(json.dumps({"totals": totals, "sources": table}, indent=1) + "\n")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    with atomic_write(out / SUMMARY_CSV, "w", encoding="utf-8", newline="") as handle:
        handle.write(text.getvalue())
    return [out / SUMMARY_JSON, out / SUMMARY_CSV]


def merge_tubes(out_dir: str | os.PathLike, records: Sequence[Record], videos: Sequence[str],
                labels: Any = "road_waymo") -> Path | None:
    """One ROAD++ submission ``out_dir/tubes.pkl`` with every video of ``videos`` (empty where a source failed
    or found nothing); None when no source wrote a ``tubes.pkl``."""
    from roadtrack.io.roadpp_merge import merge_submissions

    out = Path(out_dir)
    paths = [out / r.name / r.outputs["roadpp"] for r in records if r.status == "done" and "roadpp" in r.outputs]
    if not paths:
        return None
    return merge_submissions(paths, out / MERGED_TUBES, videos=videos, labels=labels)


def format_table(records: Sequence[Record]) -> str:
    """The final table: one line per source, then the totals."""
    table = rows(records)
    width = max([len("source"), *(len(r["source"]) for r in table)])
    lines = [f"{'source':<{width}}  status  {'frames':>7}  {'tracks':>6}  {'frames/s':>8}  error"]
    for r in table:
        lines.append(f"{r['source']:<{width}}  {r['status']:<6}  {r['frames']:>7}  {r['tracks']:>6}  "
                     f"{r['frames_per_s']:>8.1f}  {r['error']}".rstrip())
    done = sum(r.status == "done" for r in records)
    lines.append(f"{done} of {len(records)} sources done, {len(records) - done} failed; "
                 f"{sum(r.frames for r in records)} frames, {sum(r.tracks for r in records)} tracks")
    return "\n".join(lines)
