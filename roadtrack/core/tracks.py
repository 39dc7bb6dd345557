"""`Tracks` (a tracker's output for one frame) and `Tube` (one track over time)."""

from __future__ import annotations

import dataclasses
import enum
import types
from typing import ClassVar, Mapping

import numpy as np

from roadtrack.core import boxes
from roadtrack.core.table import NO_EXTRAS, ArrayTable, as_column, as_extras, as_features, check_corners


class TrackState(enum.IntEnum):
    TENTATIVE = 0  # not yet confirmed by n_init hits
    CONFIRMED = 1
    LOST = 2  # confirmed, currently unmatched (coasting on the motion model)


@dataclasses.dataclass(frozen=True, eq=False)
class Tracks(ArrayTable):
    """Tracks reported for one frame.

    Attributes:
        ids: (N,) int64 track ids, unique within a frame and never reused by one tracker instance.
        xyxy: (N, 4) float64 boxes, pixels.
        scores: (N,) float64 score of the detection each track was last updated from.
        class_ids: (N,) int64 class of each track.
        state: (N,) int8 `TrackState` values.
        age: (N,) int64 frames since the track was started (0 on its first frame).
        det_index: (N,) int64 row of this frame's `Detections` that updated the track, -1 when coasting.
        features: optional (N, D) float32 appearance embedding of each track.
        extras: the named extra columns of the detections (`Detections.extras`), row by row from the detection
            each track was updated from (``det_index``). Coasting tracks (``det_index == -1``) have no detection:
            their rows are NaN, and integer or bool columns become float64 to hold it. Empty when the
            detections have none.
    """

    ids: np.ndarray
    xyxy: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    state: np.ndarray | None = None
    age: np.ndarray | None = None
    det_index: np.ndarray | None = None
    features: np.ndarray | None = None
    extras: Mapping[str, np.ndarray] | None = None
    _ROW_FIELDS: ClassVar[tuple[str, ...]] = ("ids", "xyxy", "scores", "class_ids", "state", "age", "det_index", "features")

    def __post_init__(self) -> None:
        ids = as_column("ids", self.ids, np.int64, None)
        n = ids.shape[0]
        xyxy = as_column("xyxy", self.xyxy, np.float64, n, (4,))
        check_corners("xyxy", xyxy)
        columns = {
            "ids": ids,
            "xyxy": xyxy,
            "scores": as_column("scores", self.scores, np.float64, n),
            "class_ids": as_column("class_ids", self.class_ids, np.int64, n),
            "state": np.full(n, TrackState.CONFIRMED, np.int8) if self.state is None else as_column("state", self.state, np.int64, n).astype(np.int8),
            "age": np.zeros(n, np.int64) if self.age is None else as_column("age", self.age, np.int64, n),
            "det_index": np.full(n, -1, np.int64) if self.det_index is None else as_column("det_index", self.det_index, np.int64, n),
        }
        if self.features is not None:
            columns["features"] = as_features(self.features, n)
        columns["extras"] = as_extras(self.extras, n, allow_nan=True)
        for name, value in columns.items():
            object.__setattr__(self, name, value)

    @classmethod
    def _missing_extra(cls, name: str, rows: int, sample: np.ndarray) -> np.ndarray:
        """Tracks of a frame whose detections had no extras (an empty frame: all coasting) get NaN rows."""
        return np.full((rows, *sample.shape[1:]), np.nan, _nan_dtype(sample))

    def carrying(self, extras: Mapping[str, np.ndarray]) -> "Tracks":
        """A copy holding ``extras`` (the tracked `Detections.extras`) gathered by ``det_index``, NaN rows for
        coasting tracks. The other columns are shared, not copied."""
        hit = self.det_index >= 0
        rows = self.det_index[hit]
        gathered = {}
        for name, value in extras.items():
            column = np.full((len(self), *value.shape[1:]), np.nan, _nan_dtype(value))
            column[hit] = value[rows]
            gathered[name] = column
        out = object.__new__(type(self))
        out.__dict__.update(self.__dict__)
        object.__setattr__(out, "extras", types.MappingProxyType(gathered))  # built here: nothing to validate
        return out

    @classmethod
    def empty(cls) -> "Tracks":
        return cls(np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))

    @classmethod
    def trusted(cls, ids: np.ndarray, xyxy: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, state: np.ndarray,
                age: np.ndarray, det_index: np.ndarray) -> "Tracks":
        """Build from columns a tracker already holds in the right dtypes and shapes, without re-validating them
        (the per-frame output of a tracker; checking it costs as much as a small frame's association).

        Args:
            ids, class_ids, age, det_index: (N,) int64; xyxy: (N, 4) float64 valid boxes; scores: (N,) float64;
            state: (N,) int8.
        """
        out = object.__new__(cls)
        for name, value in (("ids", ids), ("xyxy", xyxy), ("scores", scores), ("class_ids", class_ids),
                            ("state", state), ("age", age), ("det_index", det_index), ("features", None),
                            ("extras", NO_EXTRAS)):
            object.__setattr__(out, name, value)
        return out

    @property
    def tlwh(self) -> np.ndarray:
        return boxes.xyxy_to_tlwh(self.xyxy)


def _nan_dtype(value: np.ndarray) -> np.dtype:
    """A float dtype that holds ``value``'s values and NaN."""
    return value.dtype if value.dtype.kind == "f" else np.dtype(np.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class Tube:
    """One track over time.

    Attributes:
        track_id: the tracker's id.
        frames: (T,) int64 strictly increasing frame numbers (gaps allowed).
        xyxy: (T, 4) float64 boxes, pixels.
        scores: (T,) float64 per-frame scores.
        class_ids: (T,) int64 per-frame classes.
        labels: per-frame score arrays of extra label types, e.g. ``{"action": (T, C)}``.
        extras: the tracks' extra columns per frame (`Tracks.extras`), each (T, ...); NaN rows where the track
            had no detection (coasting). `roadtrack.events.fill_gaps` interpolates them over filled frames.
    """

    track_id: int
    frames: np.ndarray
    xyxy: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    labels: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
    extras: Mapping[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        frames = as_column("frames", self.frames, np.int64, None)
        n = frames.shape[0]
        if np.any(np.diff(frames) <= 0):
            raise ValueError("frames: must be strictly increasing")
        xyxy = as_column("xyxy", self.xyxy, np.float64, n, (4,))
        check_corners("xyxy", xyxy)
        object.__setattr__(self, "frames", frames)
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "scores", as_column("scores", self.scores, np.float64, n))
        object.__setattr__(self, "class_ids", as_column("class_ids", self.class_ids, np.int64, n))
        for name, value in self.labels.items():
            arr = np.asarray(value, dtype=np.float64)
            if arr.shape[:1] != (n,):
                raise ValueError(f"labels[{name!r}]: expected {n} rows, got shape {arr.shape}")
        object.__setattr__(self, "extras", as_extras(self.extras, n, allow_nan=True))

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @property
    def label(self) -> int:
        """The tube's class: the score-weighted vote over its frames."""
        if len(self) == 0:
            raise ValueError("an empty tube has no label")
        classes, inverse = np.unique(self.class_ids, return_inverse=True)
        return int(classes[np.argmax(np.bincount(inverse, weights=self.scores))])

    @property
    def score(self) -> float:
        return float(self.scores.mean()) if len(self) else 0.0
