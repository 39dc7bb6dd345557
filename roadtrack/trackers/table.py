"""`TrackTable`: a tracker's live tracks as one table of arrays (one row per track, no per-track objects).

The table holds the columns every tracker needs (ids, counters, class vote, last box); each tracker part adds
the columns it owns (the motion part its means and covariances, the appearance part its features, ...) by
declaring them, so a tracker carries only the state its parts use.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from roadtrack.core import TrackState


@dataclasses.dataclass(frozen=True)
class Column:
    """One per-track column: (T, *trailing) of ``dtype``, new rows filled with ``fill``.

    A trailing size may grow at run time (features get their width from the first embedding); new rows then
    take the column's current width.
    """

    trailing: tuple[int, ...] = ()
    dtype: type = np.float64
    fill: float = 0


# The columns of every tracker; parts declare theirs (`KalmanMotion.columns`, `Appearance.columns`, ...).
CORE_COLUMNS: dict[str, Column] = {
    "ids": Column((), np.int64),                    # track ids
    "class_ids": Column((), np.int64),              # current class: the score-weighted vote, see `vote`
    "class_votes": Column((0,), np.float64),        # (T, C) summed detection scores per class of `classes`
    "scores": Column((), np.float64),               # score of the detection that last updated the track
    "hits": Column((), np.int64),                   # updates since creation (the creating detection not counted)
    "hit_streak": Column((), np.int64),             # updates since the last missed frame (0 on creation, as SORT)
    "age": Column((), np.int64),                    # predictions since creation (0 on the creation frame)
    "time_since_update": Column((), np.int64),      # frames since the last update (0 on an updated frame)
    "state": Column((), np.int8, int(TrackState.TENTATIVE)),  # `TrackState` values
    "det_index": Column((), np.int64, -1),          # row of this frame's detections that updated it, -1 if none
    "last_xyxy": Column((4,), np.float64),          # last observed box (the creating detection at first)
}


class TrackTable:
    """Mutable state of all live tracks of one tracker: one attribute per column, each (T, ...).

    Args:
        columns: the parts' columns by name, added to `CORE_COLUMNS`; a name may not be declared twice.

    Attributes:
        row_fields: names of all columns, in the order kept and appended.
        classes: (C,) int64 sorted class ids that have been voted for (not a row field).
    """

    def __init__(self, columns: Mapping[str, Column] | None = None) -> None:
        columns = dict(columns or {})
        clash = sorted(set(columns) & set(CORE_COLUMNS))
        if clash:
            raise ValueError(f"track table columns declared twice: {', '.join(clash)}")
        self.schema = {**CORE_COLUMNS, **columns}
        self.row_fields = tuple(self.schema)
        for name, column in self.schema.items():
            setattr(self, name, np.full((0, *column.trailing), column.fill, column.dtype))
        self.classes = np.zeros(0, np.int64)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def columns(self) -> dict[str, np.ndarray]:
        """The current column arrays by name (references, not copies)."""
        return {name: getattr(self, name) for name in self.row_fields}

    def snapshot(self) -> dict:
        """References to every column (and the class list), for `restore`: one dict copy, no array copied."""
        return self.__dict__.copy()

    def restore(self, snapshot: dict) -> None:
        """Put back the arrays of an earlier `snapshot` (valid when every change since replaced arrays, as the
        steps before association do, rather than writing into them)."""
        self.__dict__.update(snapshot)

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (a (T,) bool mask or int indices), in place, preserving order."""
        rows = np.asarray(rows)
        if rows.dtype == bool and rows.all():
            return
        for name in self.row_fields:
            setattr(self, name, getattr(self, name)[rows])

    def append(self, n: int, **values: np.ndarray) -> np.ndarray:
        """Add ``n`` rows at the end: the given columns from ``values`` (each (n, ...)), the others filled with
        their column's fill value. Returns the (n,) new row indices.

        The new tracks' class tallies get one vote each from ``class_ids`` weighted by ``scores``.
        """
        unknown = sorted(set(values) - set(self.schema))
        if unknown:
            raise ValueError(f"unknown track table column(s): {', '.join(unknown)}")
        start = len(self)
        if n == 0:
            return np.zeros(0, np.int64)
        for name in self.row_fields:
            current = getattr(self, name)
            block = values.get(name)
            if block is None:
                block = np.full((n, *current.shape[1:]), self.schema[name].fill, current.dtype)
            setattr(self, name, np.concatenate([current, np.asarray(block, current.dtype)], axis=0))
        rows = np.arange(start, start + n)
        if "class_ids" in values:
            self.vote(rows, self.class_ids[rows], self.scores[rows])
        return rows

    def _column(self, class_ids: np.ndarray) -> np.ndarray:
        """Vote columns of ``class_ids``, first adding columns for classes not seen before."""
        n_classes = self.classes.shape[0]
        if n_classes:
            cols = np.searchsorted(self.classes, class_ids)
            if (self.classes[np.minimum(cols, n_classes - 1)] == class_ids).all():
                return cols
        classes = np.union1d(self.classes, class_ids).astype(np.int64)
        votes = np.zeros((len(self), classes.shape[0]))
        votes[:, np.searchsorted(classes, self.classes)] = self.class_votes
        self.classes, self.class_votes = classes, votes
        return np.searchsorted(self.classes, class_ids)

    def vote(self, rows: np.ndarray, class_ids: np.ndarray, scores: np.ndarray) -> None:
        """Add the detections' scores to the class tallies of distinct ``rows`` and re-elect their class.

        A track's class is the class with the largest score sum; on a tie the current class stays, so one
        frame never overturns a class it does not outvote. Negative scores count as 0 (a vote, not a veto).

        Args:
            rows: (K,) distinct int track rows.
            class_ids: (K,) int64 classes of the detections matched to them.
            scores: (K,) float64 detection scores.
        """
        rows = np.asarray(rows, np.int64)
        if rows.size == 0:
            return
        if self.classes.shape[0] == 1 and (class_ids == self.classes[0]).all():
            # One class seen so far and voted again: the tally grows, the winner cannot change.
            self.class_votes[rows, 0] += scores.clip(0.0, None)
            return
        cols = self._column(np.asarray(class_ids, np.int64))
        self.class_votes[rows, cols] += scores.clip(0.0, None)
        tally = self.class_votes[rows]
        current = tally[np.arange(rows.size), np.searchsorted(self.classes, self.class_ids[rows])]
        best = self.classes[tally.argmax(axis=1)]
        self.class_ids[rows] = np.where(current >= tally.max(axis=1), self.class_ids[rows], best)
