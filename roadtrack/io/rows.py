"""`TrackRows`: box rows of many frames, the in-memory form of MOTChallenge and KITTI files."""

from __future__ import annotations

import dataclasses
import types
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import numpy as np

from roadtrack.core.boxes import xyxy_to_tlwh
from roadtrack.core.detections import Detections
from roadtrack.core.table import ArrayTable, row_index, as_column, check_corners
from roadtrack.core.tracks import Tracks


@dataclasses.dataclass(frozen=True, eq=False)
class TrackRows(ArrayTable):
    """Rows of ``(frame, id, box, score, class)`` spanning many frames, in file order.

    Attributes:
        frames: (N,) int64 frame numbers as the file has them (1-based for MOTChallenge, 0-based for KITTI).
        ids: (N,) int64 track ids; -1 for detections and KITTI ``DontCare`` regions.
        xyxy: (N, 4) float64 boxes, pixels, x1 <= x2 and y1 <= y2.
        scores: (N,) float64 confidences (MOTChallenge gt: the 0/1 "consider" flag). Default 1.
        class_ids: (N,) int64 class indices. Default 0.
        extra: format-specific columns by name, each with N rows (e.g. MOT15 ``world_x``, KITTI ``type``).

    Example:
        >>> rows = TrackRows(frames=[1, 1, 2], ids=[1, 2, 1], xyxy=[[0, 0, 2, 4]] * 3)
        >>> [(f, len(r)) for f, r in rows.split_by_frame()]
        [(1, 2), (2, 1)]
    """

    frames: np.ndarray
    ids: np.ndarray
    xyxy: np.ndarray
    scores: np.ndarray | None = None
    class_ids: np.ndarray | None = None
    extra: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
    _ROW_FIELDS: ClassVar[tuple[str, ...]] = ("frames", "ids", "xyxy", "scores", "class_ids")

    def __post_init__(self) -> None:
        frames = as_column("frames", self.frames, np.int64, None)
        n = frames.shape[0]
        xyxy = as_column("xyxy", self.xyxy, np.float64, n, (4,))
        check_corners("xyxy", xyxy)
        columns = {
            "frames": frames,
            "ids": as_column("ids", self.ids, np.int64, n),
            "xyxy": xyxy,
            "scores": np.ones(n) if self.scores is None else as_column("scores", self.scores, np.float64, n),
            "class_ids": np.zeros(n, np.int64) if self.class_ids is None else as_column("class_ids", self.class_ids, np.int64, n),
        }
        extra = {}
        for name, value in self.extra.items():
            arr = np.asarray(value)
            if arr.ndim == 0 or arr.shape[0] != n:
                raise ValueError(f"extra[{name!r}]: expected {n} rows, got shape {arr.shape}")
            extra[name] = arr
        # A read-only view: the dataclass is frozen, so its mapping should be too.
        columns["extra"] = types.MappingProxyType(extra)
        for name, value in columns.items():
            object.__setattr__(self, name, value)

    @classmethod
    def empty(cls, extra_names: Sequence[str] = ()) -> "TrackRows":
        """No rows; ``extra_names`` become empty float64 columns."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4)), extra={k: np.zeros(0) for k in extra_names})

    @classmethod
    def from_tracks(cls, frame: int, tracks: Tracks) -> "TrackRows":
        """One frame's tracker output as rows with frame number ``frame``."""
        return cls(np.full(len(tracks), frame, np.int64), tracks.ids, tracks.xyxy, tracks.scores, tracks.class_ids)

    def __getitem__(self, index: Any) -> "TrackRows":
        rows = row_index(index, len(self))
        columns = {name: getattr(self, name)[rows] for name in self._ROW_FIELDS}
        return TrackRows(**columns, extra={name: value[rows] for name, value in self.extra.items()})

    @classmethod
    def concat(cls, tables: Sequence["TrackRows"]) -> "TrackRows":
        """Stack tables row-wise; all must have the same extra column names."""
        tables = list(tables)
        if not tables:
            return cls.empty()
        names = set(tables[0].extra)
        for t in tables[1:]:
            if set(t.extra) != names:
                raise ValueError(f"extra columns differ: {sorted(names)} vs {sorted(t.extra)}; cannot concatenate")
        columns = {name: np.concatenate([getattr(t, name) for t in tables]) for name in cls._ROW_FIELDS}
        extra = {name: np.concatenate([t.extra[name] for t in tables]) for name in tables[0].extra}
        return cls(**columns, extra=extra)

    @property
    def tlwh(self) -> np.ndarray:
        """(N, 4) top-left x, y, width, height, pixels."""
        return xyxy_to_tlwh(self.xyxy)

    def frame_numbers(self) -> np.ndarray:
        """(F,) int64 sorted distinct frame numbers that have rows."""
        return np.unique(self.frames)

    def for_frame(self, frame: int) -> "TrackRows":
        """The rows of one frame (possibly none), in file order. O(N); use `split_by_frame` to visit all."""
        return self[self.frames == frame]

    def split_by_frame(self) -> Iterator[tuple[int, "TrackRows"]]:
        """Yield ``(frame, rows)`` for each frame with rows, frames ascending, file order kept within a frame."""
        order = np.argsort(self.frames, kind="stable")
        keys, starts = np.unique(self.frames[order], return_index=True)
        for frame, idx in zip(keys.tolist(), np.split(order, starts[1:])):
            yield frame, self[idx]

    def _single_frame(self, target: str) -> None:
        if len(self) and np.any(self.frames != self.frames[0]):
            raise ValueError(f"rows span {len(self.frame_numbers())} frames; {target} holds one frame "
                             "(select with for_frame() or split_by_frame() first)")

    def to_tracks(self) -> Tracks:
        """These rows (all of one frame) as `Tracks`."""
        self._single_frame("Tracks")
        return Tracks(self.ids, self.xyxy, self.scores, self.class_ids)

    def to_detections(self) -> Detections:
        """These rows (all of one frame) as `Detections`; ids are dropped."""
        self._single_frame("Detections")
        return Detections(self.xyxy, self.scores, self.class_ids)

    def equals(self, other: "TrackRows") -> bool:
        """True when every column, extra columns included, is identical (same order, exact values)."""
        if not isinstance(other, TrackRows) or len(self) != len(other) or set(self.extra) != set(other.extra):
            return False
        same = all(np.array_equal(getattr(self, n), getattr(other, n)) for n in self._ROW_FIELDS)
        return same and all(np.array_equal(self.extra[k], other.extra[k]) for k in self.extra)
