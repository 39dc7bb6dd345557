"""Evaluate a tracker on many sequences and classes: per-sequence results and their combination.

Example:
    >>> ev = evaluate_files("MOT15/train", "runs/sort", benchmark="MOT15")         # doctest: +SKIP
    >>> ev.result("HOTA").summary()["HOTA"], ev.result("CLEAR", sequence="TUD-Campus").MOTA  # doctest: +SKIP
    >>> print(ev.table())                                                          # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from roadtrack.metrics.base import Metric, Result
from roadtrack.metrics.clear import CLEAR
from roadtrack.metrics.data import SequenceData
from roadtrack.metrics.hota import HOTA
from roadtrack.metrics.identity import Identity
from roadtrack.metrics.loaders import load_kitti, load_mot

COMBINED = "COMBINED"
CLASS_AVERAGE, DETECTION_AVERAGE = "class_average", "detection_average"
# map_fn(fn, items) -> [fn(x) for x in items], computed in any order or place (e.g. in parallel)
MapFn = Callable[[Callable[[Any], Any], Sequence[Any]], list]
BENCHMARKS = ("auto", "MOT15", "MOT16", "MOT17", "MOT20", "KITTI", "none")


def default_metrics(clear_convention: str = "motmetrics", threshold: float = 0.5) -> list[Metric]:
    """HOTA, CLEAR and Identity, the metric families MOTChallenge and KITTI report."""
    return [HOTA(), CLEAR(threshold, convention=clear_convention), Identity(threshold)]


@dataclasses.dataclass(frozen=True)
class MotEvaluation:
    """Scores of one tracker: per class, per sequence and combined over sequences.

    Attributes:
        benchmark: the rules applied (``"MOT15"``, ``"KITTI"``, ...).
        tracker: name shown in tables.
        metrics: metric family names in table order (``"HOTA"``, ``"CLEAR"``, ``"Identity"``).
        classes: evaluated classes.
        sequences: sequence names, in evaluation order.
        results: class -> sequence name or `COMBINED` -> metric name -> result.
        class_averages: with several classes, `CLASS_AVERAGE` (mean of the classes' scores) and
            `DETECTION_AVERAGE` (all classes' counts together) -> metric name -> result, as TrackEval's
            ``cls_comb_cls_av`` and ``cls_comb_det_av``; empty for one class.
    """

    benchmark: str
    tracker: str
    metrics: tuple[str, ...]
    classes: tuple[str, ...]
    sequences: tuple[str, ...]
    results: Mapping[str, Mapping[str, Mapping[str, Result]]]
    class_averages: Mapping[str, Mapping[str, Result]] = dataclasses.field(default_factory=dict)

    def result(self, metric: str, cls: str | None = None, sequence: str = COMBINED) -> Result:
        """One result; ``cls`` may be omitted when there is a single class."""
        if cls is None:
            if len(self.classes) != 1:
                raise ValueError(f"several classes were evaluated ({', '.join(self.classes)}); pass cls=")
            cls = self.classes[0]
        return self.results[cls][sequence][metric]

    def table(self) -> str:
        """TrackEval-style text tables (see `roadtrack.metrics.report.format_tables`)."""
        from roadtrack.metrics.report import format_tables

        return format_tables(self)

    def to_dict(self) -> dict:
        """Everything, JSON-ready (see `roadtrack.metrics.report.evaluation_to_dict`)."""
        from roadtrack.metrics.report import evaluation_to_dict

        return evaluation_to_dict(self)

    def write_json(self, path: str | os.PathLike) -> Path:
        from roadtrack.metrics.report import write_json

        return write_json(self, path)

    def write_csv(self, path: str | os.PathLike) -> Path:
        from roadtrack.metrics.report import write_csv

        return write_csv(self, path)


def evaluate(data: Mapping[str, Mapping[str, SequenceData]], metrics: Sequence[Metric] | None = None,
             benchmark: str = "", tracker: str = "tracker", map_fn: MapFn | None = None) -> MotEvaluation:
    """Run each metric on every sequence of every class and combine the sequences as TrackEval does.

    Args:
        data: class name -> sequence name -> `SequenceData` (e.g. from `roadtrack.metrics.loaders`).
        metrics: metric instances; default `default_metrics()`.
        benchmark: label for reports.
        tracker: label for reports.
        map_fn: ``map_fn(fn, items) -> [fn(x) for x in items]``, e.g. `roadtrack.runner.parallel_map` to score
            the sequences in parallel; default: one after another here.

    Returns:
        `MotEvaluation`.
    """
    metrics = list(default_metrics() if metrics is None else metrics)
    results: dict[str, dict[str, dict[str, Result]]] = {}
    stats_by_metric: dict[str, list] = {m.name: [] for m in metrics}
    sequences: list[str] = []
    flat = (map_fn or _map)(functools.partial(_sequence_stats, metrics),
                            [d for per_seq in data.values() for d in per_seq.values()])
    for cls, per_seq in data.items():
        results[cls] = {}
        for seq in per_seq:
            results[cls][seq] = {}
            if seq not in sequences:
                sequences.append(seq)
        seq_stats, flat = flat[:len(per_seq)], flat[len(per_seq):]  # this class's sequences, in order
        for k, metric in enumerate(metrics):
            stats = [s[k] for s in seq_stats]
            stats_by_metric[metric.name] += stats
            for seq, s in zip(per_seq, stats):
                results[cls][seq][metric.name] = metric.sequence_result(s)
            results[cls].setdefault(COMBINED, {})[metric.name] = metric.combine(stats)
    averages: dict[str, dict[str, Result]] = {}
    if len(results) > 1:
        for metric in metrics:
            per_class = {cls: results[cls][COMBINED][metric.name] for cls in results}
            averages.setdefault(CLASS_AVERAGE, {})[metric.name] = metric.average_classes(per_class)
            averages.setdefault(DETECTION_AVERAGE, {})[metric.name] = metric.combine(stats_by_metric[metric.name])
    return MotEvaluation(benchmark=benchmark, tracker=tracker, metrics=tuple(m.name for m in metrics),
                         classes=tuple(results), sequences=tuple(sequences), results=results,
                         class_averages=averages)


def _sequence_stats(metrics: Sequence[Metric], data: SequenceData) -> list:
    """Every metric's statistics of one sequence (a picklable unit of work for `evaluate`'s ``map_fn``)."""
    return [metric.evaluate_sequence(data) for metric in metrics]


def _map(fn: Callable[[Any], Any], items: Sequence[Any]) -> list:
    return [fn(x) for x in items]


def evaluate_files(gt: str | os.PathLike, pred: str | os.PathLike, benchmark: str = "auto",
                   metrics: Sequence[Metric] | None = None, classes: Sequence[str] | None = None,
                   tracker: str | None = None, map_fn: MapFn | None = None) -> MotEvaluation:
    """Evaluate tracker files against ground-truth files with a benchmark's rules.

    Args:
        gt: MOTChallenge: a ``gt.txt``, a sequence folder (``SEQ/gt/gt.txt``) or a folder of sequence folders;
            KITTI: a label file, a ``label_02`` folder, or the folder holding ``label_02`` (and the seqmap).
        pred: a result file (one sequence) or a folder with one ``<sequence>.txt`` per sequence.
        benchmark: ``"MOT15"``, ``"MOT16"``, ``"MOT17"``, ``"MOT20"``, ``"KITTI"``, ``"none"`` (MOTChallenge
            files, no preprocessing; ground-truth rows with ``conf`` 0 still dropped) or ``"auto"``
            (MOT17 rules when the ground truth has a class column, else MOT15).
        metrics: metric instances; default `default_metrics()`.
        classes: KITTI classes (default car and pedestrian); MOTChallenge has only pedestrian.
        tracker: name for reports; default: the prediction folder's (or file's) name.
        map_fn: as in `evaluate`.

    Returns:
        `MotEvaluation`.

    Raises:
        FileNotFoundError: missing ground truth or predictions for a sequence.
        ValueError: a malformed file (naming file and line), frames outside a sequence, or a bad option.
    """
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose from {', '.join(BENCHMARKS)}")
    pred = Path(pred)
    folder = pred.resolve()
    folder = folder.parent if folder.name == "data" else folder  # TrackEval layout: <tracker>/data/<seq>.txt
    name = tracker or (pred.stem if pred.is_file() else folder.name)
    if benchmark == "KITTI":
        data = load_kitti(gt, pred, classes=tuple(classes) if classes else ("car", "pedestrian"))
    else:
        if classes and list(classes) != ["pedestrian"]:
            raise ValueError(f"MOTChallenge evaluates only the pedestrian class, got {', '.join(classes)}")
        used, per_seq = load_mot(gt, pred, benchmark)
        data, benchmark = {"pedestrian": per_seq}, used
    return evaluate(data, metrics, benchmark=benchmark, tracker=name, map_fn=map_fn)
