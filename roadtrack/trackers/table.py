"""`TrackTable`: a tracker's live tracks as one table of arrays (one row per track, no per-track objects)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from roadtrack.core import TrackState


@dataclasses.dataclass(eq=False)
class TrackTable:
    """Mutable state of all live tracks of one tracker; every row field has one row per track.

    Attributes:
        ids: (T,) int64 track ids.
        mean: (T, S) float64 motion-model state means.
        cov: (T, S, S) float64 state covariances.
        class_ids: (T,) int64 current class of each track (the score-weighted vote, see `vote`).
        class_votes: (T, C) float64 summed detection scores per class; column k counts class ``classes[k]``.
        scores: (T,) float64 score of the detection that last updated the track.
        hits: (T,) int64 number of updates.
        hit_streak: (T,) int64 updates since the last missed frame (0 right after creation, as in SORT).
        age: (T,) int64 predictions since creation (0 on the creation frame).
        time_since_update: (T,) int64 frames since the last update (0 on an updated frame).
        state: (T,) int8 `TrackState` values.
        det_index: (T,) int64 row of the current frame's detections that updated the track, -1 if none.
        classes: (C,) int64 sorted class ids that have been voted for (not a row field).
    """

    ids: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    class_ids: np.ndarray
    class_votes: np.ndarray
    scores: np.ndarray
    hits: np.ndarray
    hit_streak: np.ndarray
    age: np.ndarray
    time_since_update: np.ndarray
    state: np.ndarray
    det_index: np.ndarray
    classes: np.ndarray
    ROW_FIELDS: ClassVar[tuple[str, ...]] = (
        "ids", "mean", "cov", "class_ids", "class_votes", "scores", "hits", "hit_streak", "age",
        "time_since_update", "state", "det_index",
    )

    @classmethod
    def empty(cls, state_dim: int) -> "TrackTable":
        """A table without tracks for S = ``state_dim``."""
        ints = lambda: np.zeros(0, np.int64)  # noqa: E731 - fresh array per field
        return cls(
            ids=ints(), mean=np.zeros((0, state_dim)), cov=np.zeros((0, state_dim, state_dim)),
            class_ids=ints(), class_votes=np.zeros((0, 0)), scores=np.zeros(0), hits=ints(), hit_streak=ints(),
            age=ints(), time_since_update=ints(), state=np.zeros(0, np.int8), det_index=ints(), classes=ints(),
        )

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (a (T,) bool mask or int indices), in place, preserving order."""
        for name in self.ROW_FIELDS:
            setattr(self, name, getattr(self, name)[rows])

    def append(
        self, ids: np.ndarray, mean: np.ndarray, cov: np.ndarray, class_ids: np.ndarray, scores: np.ndarray,
        det_index: np.ndarray,
    ) -> None:
        """Add N new tracks at the end: zero counters, TENTATIVE, one class vote from their first detection.

        Args:
            ids: (N,) int64 new ids.
            mean: (N, S) initial means; cov: (N, S, S) initial covariances.
            class_ids: (N,) int64 classes of the creating detections; scores: (N,) their scores.
            det_index: (N,) int64 detection rows the tracks start from.
        """
        n = len(ids)
        if n == 0:
            return
        zeros = np.zeros(n, np.int64)
        new = {
            "ids": np.asarray(ids, np.int64), "mean": mean, "cov": cov, "class_ids": np.asarray(class_ids, np.int64),
            "class_votes": np.zeros((n, self.class_votes.shape[1])), "scores": np.asarray(scores, np.float64),
            "hits": zeros, "hit_streak": zeros, "age": zeros, "time_since_update": zeros,
            "state": np.full(n, TrackState.TENTATIVE, np.int8), "det_index": np.asarray(det_index, np.int64),
        }
        for name in self.ROW_FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name), new[name]], axis=0))
        self.vote(np.arange(len(self) - n, len(self)), new["class_ids"], new["scores"])

    def _column(self, class_ids: np.ndarray) -> np.ndarray:
        """Vote columns of ``class_ids``, first adding columns for classes not seen before."""
        n_classes = self.classes.shape[0]
        if n_classes:
            cols = np.searchsorted(self.classes, class_ids)
            if np.all(self.classes[np.minimum(cols, n_classes - 1)] == class_ids):
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
        cols = self._column(np.asarray(class_ids, np.int64))
        self.class_votes[rows, cols] += np.clip(scores, 0.0, None)
        tally = self.class_votes[rows]
        current = tally[np.arange(rows.size), np.searchsorted(self.classes, self.class_ids[rows])]
        best = self.classes[np.argmax(tally, axis=1)]
        self.class_ids[rows] = np.where(current >= tally.max(axis=1), self.class_ids[rows], best)
