"""What every MOT metric provides: per-sequence statistics, then a combination of them.

A metric's ``evaluate_sequence(data) -> Stats`` counts one sequence (one class). Stats are plain counts
and sums, so the stats of several sequences add up field by field, and ``combine(stats) -> Result``
turns any number of them into final scores. This is exactly how TrackEval combines sequences
(`combine_sequences`): counts are summed and ratios recomputed from the sums, which weights each
sequence by its detections, not equally.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import ClassVar, Generic, Iterable, Mapping, Sequence, TypeVar

import numpy as np

from roadtrack.metrics.data import SequenceData


@dataclasses.dataclass(frozen=True)
class Stats:
    """Counts and sums of one or more sequences; ``a + b`` are the stats of both."""

    def __add__(self, other: "Stats") -> "Stats":
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in dataclasses.fields(self)})


S = TypeVar("S", bound=Stats)
R = TypeVar("R", bound="Result")


@dataclasses.dataclass(frozen=True)
class Result:
    """Final scores. Subclasses list their table columns in ``SUMMARY`` and their count fields in ``COUNTS``.

    Ratios are fractions in [0, 1] (tables print them as percentages). Per-threshold metrics (HOTA) hold
    arrays over the thresholds; their summary value is the mean over thresholds.
    """

    SUMMARY: ClassVar[tuple[str, ...]] = ()
    COUNTS: ClassVar[tuple[str, ...]] = ()

    def summary(self) -> dict[str, float]:
        """Table columns by name, each a float (arrays averaged over thresholds), counts as whole numbers."""
        out = {}
        for name in self.SUMMARY:
            value = np.mean(self.field(name))
            out[name] = int(round(value)) if name in self.COUNTS else float(value)
        return out

    def field(self, name: str):
        """A value by its table name (e.g. ``"HOTA(0)"``, which is the attribute ``HOTA0``)."""
        return getattr(self, name.replace("(", "").replace(")", ""))

    def to_dict(self) -> dict[str, float | list[float]]:
        """Every field, arrays as lists, for JSON."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = np.asarray(value).tolist() if np.ndim(value) else (
                int(value) if f.name in self.COUNTS else float(value))
        return out

    def is_empty(self) -> bool:
        """True when there was nothing to count (no ground truth and no predictions)."""
        return False


class Metric(abc.ABC, Generic[S, R]):
    """A MOT metric family (HOTA, CLEAR, Identity)."""

    name: ClassVar[str] = ""

    @abc.abstractmethod
    def evaluate_sequence(self, data: SequenceData) -> S:
        """Counts and sums of one sequence (one class)."""

    @abc.abstractmethod
    def result(self, stats: S) -> R:
        """Final scores from (summed) stats."""

    @abc.abstractmethod
    def zero(self) -> S:
        """Stats of nothing, the start of a sum."""

    def sequence_result(self, stats: S) -> R:
        """Scores of one sequence; the same as `result` except where a reference tool reports otherwise."""
        return self.result(stats)

    def combine(self, stats: Iterable[S]) -> R:
        """Scores of several sequences together: their stats summed, ratios recomputed (TrackEval's rule)."""
        total = self.zero()
        for s in stats:
            total = total + s
        return self.result(total)

    def average_classes(self, results: Mapping[str, R] | Sequence[R], ignore_empty: bool = False) -> R:
        """TrackEval's class average: every score averaged over classes, counts summed.

        Args:
            results: one combined result per class.
            ignore_empty: leave out classes with neither ground truth nor predictions.

        Returns:
            A result of the same type. (TrackEval's "detection average" is `combine` over all classes' stats.)
        """
        items = list(results.values()) if isinstance(results, Mapping) else list(results)
        if ignore_empty:
            items = [r for r in items if not r.is_empty()]
        if not items:
            return self.result(self.zero())
        kind = type(items[0])
        values = {}
        for f in dataclasses.fields(kind):
            column = np.asarray([getattr(r, f.name) for r in items], dtype=np.float64)
            values[f.name] = column.sum(axis=0) if f.name in kind.COUNTS else column.mean(axis=0)
        return kind(**values)


def safe_ratio(num, den):
    """``num / max(1, den)``, TrackEval's guard against empty denominators."""
    return np.asarray(num, np.float64) / np.maximum(1.0, den)
