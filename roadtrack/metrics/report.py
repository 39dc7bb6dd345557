"""Print and save a `MotEvaluation`: TrackEval-style text tables, a JSON file with everything, a CSV summary.

Tables show ratios as percentages with 5 significant digits and counts as integers, one row per sequence
(sorted by name) and a ``COMBINED`` row, one table per metric family and class, as TrackEval prints them.
``summary.csv`` holds the same numbers as the tables -- ratios in percent (0-100, full precision), counts
as integers -- as TrackEval's summary file does; ``results.json`` keeps every field as computed, ratios as
fractions in [0, 1], as TrackEval's detailed results do.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from roadtrack.io.atomic import atomic_write
from roadtrack.metrics.base import Result
from roadtrack.metrics.hota import ALPHAS

if TYPE_CHECKING:
    from roadtrack.metrics.evaluate import MotEvaluation

_NAME_WIDTH, _VALUE_WIDTH = 35, 10


def _cell(result: Result, name: str, value: float) -> str:
    return f"{_table_value(result, name, value):1.5g}" if name not in result.COUNTS else f"{int(value):d}"


def _table_value(result: Result, name: str, value: float) -> float | int:
    """A summary value in table units: counts as int, ratios in percent."""
    return int(value) if name in result.COUNTS else 100 * value


def _row(cells: list[str]) -> str:
    head = f"{cells[0]:<{_NAME_WIDTH}}"
    rest = "".join(f"{c:<{max(_VALUE_WIDTH, len(c) + 1)}}" for c in cells[1:])
    return (head + rest).rstrip()


def format_table(title: str, rows: Mapping[str, Result]) -> str:
    """One metric family as a table.

    Args:
        title: text of the header's first cell, e.g. ``"HOTA: sort-pedestrian"``.
        rows: row name -> result (all of one type); a row named ``COMBINED`` is printed last.

    Returns:
        The table, lines joined by newlines.
    """
    results = list(rows.values())
    if not results:
        return title
    names = list(results[0].SUMMARY)
    lines = [_row([title] + names)]
    order = sorted(k for k in rows if k != "COMBINED") + (["COMBINED"] if "COMBINED" in rows else [])
    for key in order:
        summary = rows[key].summary()
        lines.append(_row([key] + [_cell(rows[key], n, summary[n]) for n in names]))
    return "\n".join(lines)


def format_tables(evaluation: "MotEvaluation") -> str:
    """All tables of an evaluation: per class and metric family, then class averages if any."""
    blocks = []
    for cls in evaluation.classes:
        for metric in evaluation.metrics:
            rows = {seq: evaluation.results[cls][seq][metric] for seq in evaluation.results[cls]}
            blocks.append(format_table(f"{metric}: {evaluation.tracker}-{cls}", rows))
    for kind, per_metric in evaluation.class_averages.items():
        for metric, result in per_metric.items():
            blocks.append(format_table(f"{metric}: {evaluation.tracker}-{kind}", {"COMBINED": result}))
    return "\n\n".join(blocks) + "\n"


def _clean(value):
    """JSON has no NaN/inf: write them as null."""
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def evaluation_to_dict(evaluation: "MotEvaluation") -> dict:
    """Everything in an evaluation as plain Python: per class, sequence and metric every field (HOTA's
    per-alpha arrays included, with the alphas), plus a ``summary`` of table values."""

    def block(per_metric: Mapping[str, Result]) -> dict:
        return {metric: {"summary": {k: _clean(v) for k, v in r.summary().items()},
                         "fields": {k: _clean(v) for k, v in r.to_dict().items()}}
                for metric, r in per_metric.items()}

    return {
        "benchmark": evaluation.benchmark,
        "tracker": evaluation.tracker,
        "metrics": list(evaluation.metrics),
        "classes": list(evaluation.classes),
        "sequences": list(evaluation.sequences),
        "hota_alphas": ALPHAS.tolist(),
        "results": {cls: {seq: block(per_metric) for seq, per_metric in per_seq.items()}
                    for cls, per_seq in evaluation.results.items()},
        "class_averages": {kind: block(per_metric) for kind, per_metric in evaluation.class_averages.items()},
    }


def write_json(evaluation: "MotEvaluation", path: str | os.PathLike) -> Path:
    """Write `evaluation_to_dict` as JSON (atomically). Returns the path."""
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(evaluation_to_dict(evaluation), f, indent=1)
        f.write("\n")
    return path


def summary_rows(evaluation: "MotEvaluation") -> list[dict[str, object]]:
    """One flat row per class and sequence (``COMBINED`` included, class averages last): the table values,
    ratios in percent (0-100, not rounded) and counts as int."""
    rows = []
    groups = [(cls, evaluation.results[cls]) for cls in evaluation.classes]
    groups += [(kind, {"COMBINED": per_metric}) for kind, per_metric in evaluation.class_averages.items()]
    for cls, per_seq in groups:
        order = [s for s in evaluation.sequences if s in per_seq] + ["COMBINED"]
        for seq in order:
            row: dict[str, object] = {"class": cls, "sequence": seq}
            for metric in evaluation.metrics:
                result = per_seq[seq][metric]
                row.update({k: _table_value(result, k, v) for k, v in result.summary().items()})
            rows.append(row)
    return rows


def write_csv(evaluation: "MotEvaluation", path: str | os.PathLike) -> Path:
    """Write `summary_rows` as CSV (atomically): columns ``class, sequence`` and every summary field, ratios
    in percent as in the printed tables."""
    rows = summary_rows(evaluation)
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["class", "sequence"])
        writer.writeheader()
        writer.writerows(rows)
    return path
