"""Shared mechanics of the row-aligned array containers (`Detections`, `Tracks`).

A table is a frozen dataclass whose array fields all have one row per object. Subclasses list those
fields in ``_ROW_FIELDS`` and validate in ``__post_init__``; slicing and concatenation live here once.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, ClassVar, Mapping, Sequence, TypeVar

import numpy as np

T = TypeVar("T", bound="ArrayTable")


def as_column(name: str, value: Any, dtype: type, rows: int | None, trailing: tuple[int, ...] = ()) -> np.ndarray:
    """Convert ``value`` to an array of shape ``(rows, *trailing)`` or raise a ValueError naming ``name``.

    ``rows=None`` accepts any row count (used for the first field, which fixes N).
    """
    arr = np.asarray(value)
    if arr.size == 0 and arr.ndim <= 1 + len(trailing):
        arr = arr.reshape((0, *trailing))
    if dtype is np.int64 and arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name}: expected whole numbers, got non-integer values")
    if dtype is np.int64 and arr.dtype.kind not in "iufb":
        raise ValueError(f"{name}: expected integers, got dtype {arr.dtype}")
    arr = arr.astype(dtype, copy=False)
    expected = ("N" if rows is None else rows, *trailing)
    if arr.ndim != 1 + len(trailing) or (rows is not None and arr.shape[0] != rows) or arr.shape[1:] != trailing:
        raise ValueError(f"{name}: expected shape {_fmt_shape(expected)}, got {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    return arr


def as_features(value: Any, rows: int) -> np.ndarray:
    """(rows, D) float32 embeddings; D is taken from the input."""
    arr = np.asarray(value)
    if arr.ndim != 2:
        raise ValueError(f"features: expected shape ({rows}, D), got {arr.shape}")
    return as_column("features", arr, np.float32, rows, (arr.shape[1],))


NO_EXTRAS: Mapping[str, np.ndarray] = types.MappingProxyType({})
"""The extras of a table without extra columns (shared, read-only)."""


def as_extras(value: Mapping[str, Any] | None, rows: int, allow_nan: bool) -> Mapping[str, np.ndarray]:
    """Validate named extra per-row columns: a read-only ``{name: (rows, ...) array}``.

    Names are non-empty strings; values numeric (bool, int or float) arrays with at least one dimension and
    ``rows`` rows. ``allow_nan=False`` also refuses NaN and inf (detections); tracks use NaN for "no value".
    """
    if value is None or (isinstance(value, types.MappingProxyType) and not value):
        return NO_EXTRAS
    if not isinstance(value, Mapping):
        raise ValueError(f"extras: expected a mapping of name -> (N, ...) array, got {type(value).__name__}")
    out = {}
    for name, column in value.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"extras: names must be non-empty strings, got {name!r}")
        arr = np.asarray(column)
        if arr.ndim == 0 or arr.shape[0] != rows or arr.dtype.kind not in "biuf":
            raise ValueError(f"extras[{name!r}]: expected a numeric array of shape ({rows}, ...), got "
                             f"{arr.dtype} {arr.shape}")
        if not allow_nan and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError(f"extras[{name!r}]: contains NaN or inf")
        out[name] = arr
    return types.MappingProxyType(out)


def _fmt_shape(shape: tuple) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_corners(name: str, xyxy: np.ndarray) -> None:
    if np.any(xyxy[:, 2] < xyxy[:, 0]) or np.any(xyxy[:, 3] < xyxy[:, 1]):
        bad = int(np.flatnonzero((xyxy[:, 2] < xyxy[:, 0]) | (xyxy[:, 3] < xyxy[:, 1]))[0])
        raise ValueError(f"{name}: x2 < x1 or y2 < y1 in row {bad}: {xyxy[bad].tolist()}")


def row_index(index: Any, n: int) -> Any:
    if isinstance(index, (int, np.integer)):
        if not -n <= index < n:
            raise IndexError(f"row {index} out of range for {n} rows")
        return [int(index)]  # keep the row dimension: indexing always returns a table
    if isinstance(index, slice):
        return index
    idx = np.asarray(index)
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise IndexError(f"boolean mask has shape {idx.shape}, expected ({n},)")
        return idx
    if idx.size == 0:
        return idx.astype(np.int64)
    if idx.dtype.kind not in "iu":
        raise IndexError(f"rows must be selected by int, slice, bool mask or int array, got {idx.dtype}")
    return idx


@dataclasses.dataclass(frozen=True, eq=False)
class ArrayTable:
    """Base for containers of parallel per-row arrays. Optional fields may be None."""

    _ROW_FIELDS: ClassVar[tuple[str, ...]] = ()

    def __len__(self) -> int:
        return int(getattr(self, self._ROW_FIELDS[0]).shape[0])

    def __getitem__(self: T, index: Any) -> T:
        rows = row_index(index, len(self))
        columns: dict[str, Any] = {name: getattr(self, name)[rows] for name in self._present_fields()}
        extras = getattr(self, "extras", None)
        if extras:
            columns["extras"] = {name: value[rows] for name, value in extras.items()}
        return self._replace_rows(columns)

    def _present_fields(self) -> list[str]:
        return [name for name in self._ROW_FIELDS if getattr(self, name) is not None]

    def _replace_rows(self: T, columns: dict[str, np.ndarray]) -> T:
        return dataclasses.replace(self, **columns)

    @classmethod
    def concat(cls: type[T], tables: Sequence[T]) -> T:
        """Stack tables row-wise. Optional columns must be present in all tables or in none."""
        tables = list(tables)
        if not tables:
            return cls.empty()  # type: ignore[attr-defined]
        first = tables[0]
        columns = {}
        for name in first._ROW_FIELDS:
            values = [getattr(t, name) for t in tables]
            present = [v is not None for v in values]
            if any(present) and not all(present):
                raise ValueError(f"{name}: present in some tables and missing in others; cannot concatenate")
            if all(present):
                columns[name] = np.concatenate(values, axis=0)
        if hasattr(first, "extras"):
            columns["extras"] = cls._concat_extras(tables)
        return dataclasses.replace(first, **columns)

    @classmethod
    def _concat_extras(cls, tables: Sequence[T]) -> dict[str, np.ndarray]:
        """Stack the extras: every table with rows must have the same names (an empty table may have none)."""
        names = {n: t.extras[n] for t in tables for n in t.extras}  # type: ignore[attr-defined]
        out = {}
        for name, sample in names.items():
            parts = []
            for t in tables:
                value = t.extras.get(name)  # type: ignore[attr-defined]
                if value is None:
                    value = cls._missing_extra(name, len(t), sample)
                parts.append(value)
            out[name] = np.concatenate(parts, axis=0)
        return out

    @classmethod
    def _missing_extra(cls, name: str, rows: int, sample: np.ndarray) -> np.ndarray:
        """Rows for a table that lacks extra column ``name``: none for an empty table, else an error."""
        if rows == 0:
            return np.zeros((0, *sample.shape[1:]), sample.dtype)
        raise ValueError(f"extras[{name!r}]: present in some tables and missing in others; cannot concatenate")
