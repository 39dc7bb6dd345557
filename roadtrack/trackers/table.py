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
        last_xyxy: (T, 4) float64 last observed box (the creating detection until the first update).
        saved_mean, saved_cov: (T, S), (T, S, S) prior of the first frame after the last update, kept for
            OC-SORT's re-update; (T, 0) and (T, 0, 0) when the tracker does not use it.
        obs_xyxy: (T, K, 4) the last K observed boxes by age (slot ``age % K``), ``obs_age`` (T, K) their ages
            (-1 = empty); K = 0 when the tracker keeps no history.
        velocity: (T, 2) unit direction between recent observations (OC-SORT), zeros when unknown.
        features: (T, D) float32 appearance (smoothed or latest); D = 0 until the first features arrive.
        gallery: (T, B, D) float32 stored features (DeepSORT), B = 0 without a gallery; ``gallery_count`` (T,)
            used slots, ``gallery_next`` (T,) slot written next (a ring of ``budget`` slots).
        feature_age: (T,) int64 frames since the track's appearance was last updated.
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
    last_xyxy: np.ndarray = None
    saved_mean: np.ndarray = None
    saved_cov: np.ndarray = None
    obs_xyxy: np.ndarray = None
    obs_age: np.ndarray = None
    velocity: np.ndarray = None
    features: np.ndarray = None
    gallery: np.ndarray = None
    gallery_count: np.ndarray = None
    gallery_next: np.ndarray = None
    feature_age: np.ndarray = None
    ROW_FIELDS: ClassVar[tuple[str, ...]] = (
        "ids", "mean", "cov", "class_ids", "class_votes", "scores", "hits", "hit_streak", "age",
        "time_since_update", "state", "det_index", "last_xyxy", "saved_mean", "saved_cov", "obs_xyxy", "obs_age",
        "velocity", "features", "gallery", "gallery_count", "gallery_next", "feature_age",
    )

    @classmethod
    def empty(cls, state_dim: int, saved_state: bool = False, history: int = 0) -> "TrackTable":
        """A table without tracks for S = ``state_dim``.

        Args:
            saved_state: keep ``saved_mean``/``saved_cov`` (OC-SORT's re-update needs them).
            history: K, the number of recent observations kept per track.
        """
        ints = lambda: np.zeros(0, np.int64)  # noqa: E731 - fresh array per field
        s = state_dim if saved_state else 0
        return cls(
            ids=ints(), mean=np.zeros((0, state_dim)), cov=np.zeros((0, state_dim, state_dim)),
            class_ids=ints(), class_votes=np.zeros((0, 0)), scores=np.zeros(0), hits=ints(), hit_streak=ints(),
            age=ints(), time_since_update=ints(), state=np.zeros(0, np.int8), det_index=ints(), classes=ints(),
            last_xyxy=np.zeros((0, 4)), saved_mean=np.zeros((0, s)), saved_cov=np.zeros((0, s, s)),
            obs_xyxy=np.zeros((0, history, 4)), obs_age=np.zeros((0, history), np.int64), velocity=np.zeros((0, 2)),
            features=np.zeros((0, 0), np.float32), gallery=np.zeros((0, 0, 0), np.float32),
            gallery_count=ints(), gallery_next=ints(), feature_age=ints(),
        )

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (a (T,) bool mask or int indices), in place, preserving order."""
        rows = np.asarray(rows)
        if rows.dtype == bool and rows.all():
            return
        for name in self.ROW_FIELDS:
            setattr(self, name, getattr(self, name)[rows])

    def append(
        self, ids: np.ndarray, mean: np.ndarray, cov: np.ndarray, class_ids: np.ndarray, scores: np.ndarray,
        det_index: np.ndarray, xyxy: np.ndarray | None = None, features: np.ndarray | None = None,
    ) -> None:
        """Add N new tracks at the end: zero counters, TENTATIVE, one class vote from their first detection.

        Args:
            ids: (N,) int64 new ids.
            mean: (N, S) initial means; cov: (N, S, S) initial covariances.
            class_ids: (N,) int64 classes of the creating detections; scores: (N,) their scores.
            det_index: (N,) int64 detection rows the tracks start from.
            xyxy: (N, 4) the creating detections' boxes (``last_xyxy``); default zeros.
            features: (N, D) their appearance features, stored as the first feature (and gallery sample).
        """
        n = len(ids)
        if n == 0:
            return
        zeros = np.zeros(n, np.int64)
        new = {
            "ids": np.asarray(ids, np.int64), "mean": mean, "cov": cov, "class_ids": np.asarray(class_ids, np.int64),
            "scores": np.asarray(scores, np.float64), "hits": zeros, "hit_streak": zeros, "age": zeros,
            "time_since_update": zeros, "state": np.full(n, TrackState.TENTATIVE, np.int8),
            "det_index": np.asarray(det_index, np.int64),
        }
        if xyxy is not None:
            new["last_xyxy"] = np.asarray(xyxy, np.float64)
        for name in self.ROW_FIELDS:
            current = getattr(self, name)
            block = new.get(name)
            if block is None:
                block = np.full((n, *current.shape[1:]), -1 if name == "obs_age" else 0, current.dtype)
            setattr(self, name, np.concatenate([current, block], axis=0))
        rows = np.arange(len(self) - n, len(self))
        self.vote(rows, new["class_ids"], new["scores"])
        if features is not None:
            self.ensure_feature_dim(features.shape[1])
            self.features[rows] = features

    def ensure_feature_dim(self, dim: int) -> None:
        """Give ``features`` (and an allocated gallery) D = ``dim`` columns; a change of D drops stored features."""
        if self.features.shape[1] != dim:
            self.features = np.zeros((len(self), dim), np.float32)
            self.gallery = np.zeros((len(self), self.gallery.shape[1], dim), np.float32)
            self.gallery_count[:] = 0
            self.gallery_next[:] = 0

    def add_to_gallery(self, rows: np.ndarray, features: np.ndarray, budget: int) -> None:
        """Store (K, D) ``features`` as the newest samples of distinct ``rows``, keeping at most ``budget`` each.

        The gallery grows by doubling up to ``budget`` slots, so short-lived tracks cost little memory.
        """
        if rows.size == 0:
            return
        self.ensure_feature_dim(features.shape[1])
        needed = min(budget, int(self.gallery_count[rows].max()) + 1)
        if needed > self.gallery.shape[1]:
            size = min(budget, max(needed, 2 * self.gallery.shape[1], 4))
            grown = np.zeros((len(self), size, features.shape[1]), np.float32)
            # Rows that have wrapped are full at the old size, which is below budget only if never wrapped.
            grown[:, : self.gallery.shape[1]] = self.gallery
            self.gallery = grown
        slot = self.gallery_next[rows] % budget
        self.gallery[rows, slot] = features
        self.gallery_next[rows] = (slot + 1) % budget
        self.gallery_count[rows] = np.minimum(self.gallery_count[rows] + 1, budget)

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
        if self.classes.shape[0] == 1 and np.all(class_ids == self.classes[0]):
            # One class seen so far and voted again: the tally grows, the winner cannot change.
            self.class_votes[rows, 0] += np.clip(scores, 0.0, None)
            return
        cols = self._column(np.asarray(class_ids, np.int64))
        self.class_votes[rows, cols] += np.clip(scores, 0.0, None)
        tally = self.class_votes[rows]
        current = tally[np.arange(rows.size), np.searchsorted(self.classes, self.class_ids[rows])]
        best = self.classes[np.argmax(tally, axis=1)]
        self.class_ids[rows] = np.where(current >= tally.max(axis=1), self.class_ids[rows], best)
