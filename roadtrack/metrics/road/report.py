"""Presentation of a `RoadEvaluation`: text table, JSON-able dict, CSV and per-class AP bar chart.

Kept apart from the computation (style guide §5): nothing here changes a number.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roadtrack.io.atomic import atomic_write

if TYPE_CHECKING:
    from roadtrack.metrics.road.evaluate import RoadEvaluation

_TYPE_ORDER = ("agent_ness", "agent", "action", "loc", "duplex", "triplet")
_DATASET_NAMES = {"road": "ROAD", "road_waymo": "ROAD-Waymo"}


def _columns(ev: "RoadEvaluation") -> list[tuple[str, float]]:
    seen: list[tuple[str, float]] = []
    for r in ev.results:
        if (r.level, r.threshold) not in seen:
            seen.append((r.level, r.threshold))
    return sorted(seen, key=lambda c: (c[0] != "frame", c[1]))


def _label_types(ev: "RoadEvaluation") -> list[str]:
    present = {r.label_type for r in ev.results}
    return [t for t in _TYPE_ORDER if t in present]


def _fmt(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.2f}"


def format_table(ev: "RoadEvaluation") -> str:
    """Header lines, then one row per label type and one column per (level, threshold); mAP in percent."""
    rules = "official rules" if ev.official else "fixed rules (official=False)"
    lines = [
        f"{_DATASET_NAMES.get(ev.dataset, ev.dataset)} evaluation, subset {'+'.join(ev.subset)}: "
        f"{ev.num_videos} videos, {rules}, {ev.eval_size[0]}x{ev.eval_size[1]} pixels, video overlap {ev.metric}",
    ]
    if ev.frame_source == "tubes":
        lines.append("frame-mAP from the tubes' per-frame boxes")
    if ev.ignored_videos:
        shown = ", ".join(ev.ignored_videos[:5]) + (", ..." if len(ev.ignored_videos) > 5 else "")
        lines.append(f"ignored {len(ev.ignored_videos)} predicted videos not in the subset: {shown}")
    columns = _columns(ev)
    headers = ["label type"] + [f"{level}-mAP@{thr:g}" for level, thr in columns]
    rows = []
    for label_type in _label_types(ev):
        cells = []
        for level, thr in columns:
            r = ev.get(level, label_type, thr)
            cells.append(_fmt(r.mAP if r is not None else None))
        rows.append([label_type] + cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines.append("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))))
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def to_dict(ev: "RoadEvaluation") -> dict[str, Any]:
    """JSON-able summary: settings, then every result with its per-class APs (NaN -> None)."""
    return {
        "dataset": ev.dataset, "subset": list(ev.subset), "official": ev.official,
        "eval_size": list(ev.eval_size), "metric": ev.metric, "num_videos": ev.num_videos,
        "frame_source": ev.frame_source, "ignored_videos": list(ev.ignored_videos),
        "results": [
            {"level": r.level, "label_type": r.label_type, "threshold": r.threshold, "mAP": _num(r.mAP),
             "classes": [{"name": c.name, "ap": _num(c.ap), "num_gt": c.num_gt, "num_det": c.num_det,
                          "recall": _num(c.recall)} for c in r.classes]}
            for r in ev.results
        ],
    }


CSV_FIELDS = ("level", "threshold", "label_type", "class", "ap", "num_gt", "num_det", "recall")


def write_csv(ev: "RoadEvaluation", path: str | os.PathLike) -> Path:
    """Per-class rows (columns `CSV_FIELDS`) and one ``class = mAP`` row per result; NaN written empty."""
    with atomic_write(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for r in ev.results:
            for c in r.classes:
                writer.writerow([r.level, f"{r.threshold:g}", r.label_type, c.name, _csv(c.ap), c.num_gt, c.num_det,
                                 _csv(c.recall)])
            writer.writerow([r.level, f"{r.threshold:g}", r.label_type, "mAP", _csv(r.mAP),
                             sum(c.num_gt for c in r.classes), sum(c.num_det for c in r.classes), ""])
    return Path(path)


def _csv(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def plot_per_class(ev: "RoadEvaluation", path: str | os.PathLike) -> Path:
    """Bar chart of per-class AP: one panel per label type, one bar per class and (level, threshold).

    Uses matplotlib's object API with the Agg canvas (no pyplot, no global backend change); imported lazily.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    label_types = _label_types(ev)
    if not label_types:
        raise ValueError("nothing was evaluated: no per-class AP to plot")
    columns = _columns(ev)
    panels = []
    for label_type in label_types:
        series = [(lv, thr, ev.get(lv, label_type, thr)) for lv, thr in columns]
        panels.append((label_type, [(lv, thr, r) for lv, thr, r in series if r is not None]))
    rows = [len(series[0][2].classes) for _, series in panels]
    # Horizontal bars, one row per class: panels get heights in proportion to their class counts.
    fig = Figure(figsize=(9.5, 1.2 * len(panels) + 0.16 * sum(rows) * max(1.0, len(columns) / 2)),
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": [r + 3 for r in rows]})[:, 0]
    for ax, (label_type, series) in zip(axes, panels):
        names = [c.name for c in series[0][2].classes]
        height = 0.8 / len(series)
        for k, (level, thr, r) in enumerate(series):
            ys = [i - 0.4 + height * (k + 0.5) for i in range(len(names))]
            aps = [0.0 if math.isnan(c.ap) else c.ap for c in r.classes]
            ax.barh(ys, aps, height, label=f"{level}-AP@{thr:g} (mAP {_fmt(r.mAP)})")
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_ylim(len(names) - 0.4, -0.6)  # first class on top
        ax.set_xlim(0, 100)
        ax.set_xlabel("AP (%)", fontsize=8)
        ax.set_title(label_type, fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: bars reach 100
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    return Path(path)
