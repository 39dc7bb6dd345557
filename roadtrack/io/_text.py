"""Number formatting and table parsing shared by the MOTChallenge and KITTI readers and writers.

Writers format every float with the shortest decimal that parses back to the same float64, so
read -> write -> read is exact and files keep the look of the originals (``44.417``, not ``44.417000``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

# Largest magnitude at which every integer is still exactly representable as float64 (2**53).
_EXACT_INT = float(2**53)
# np.ndarray.astype(str) switches to scientific notation outside this range.
_POSITIONAL_MIN, _POSITIONAL_MAX = 1e-4, 1e16


def format_floats(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip decimal strings, positional notation, whole numbers without ``.0``.

    Args:
        values: finite numbers, any shape.

    Returns:
        Object array of str of the same shape; ``float(s) == v`` for each pair.
    """
    v = np.asarray(values, dtype=np.float64)
    # numpy's float -> str conversion is the shortest repr that round-trips, done in C.
    out = v.astype(str).astype(object)
    whole = (v == np.round(v)) & (np.abs(v) < _EXACT_INT)
    out[whole] = v[whole].astype(np.int64).astype(str)
    magnitude = np.abs(v)
    scientific = ~whole & (((magnitude < _POSITIONAL_MIN) & (magnitude > 0)) | (magnitude >= _POSITIONAL_MAX))
    for index in zip(*np.nonzero(scientific)):  # rare: tiny scores or huge world coordinates
        out[index] = np.format_float_positional(v[index], unique=True, trim="-")
    return out


def not_integer(values: np.ndarray) -> np.ndarray:
    """True where a float column read from text is not an integer that int64 holds exactly (``1.5``, inf,
    NaN, ``1e30``: the last would become -2**63 and merge with every other huge id)."""
    values = np.asarray(values, np.float64)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(values) | (values != np.round(values)) | (np.abs(values) > _EXACT_INT)


def format_ints(values: np.ndarray) -> np.ndarray:
    """Integers, any shape -> object array of str of the same shape."""
    return np.asarray(values, dtype=np.int64).astype(str).astype(object)


def exact_extent(start: np.ndarray, end: np.ndarray, max_decimals: int = 15) -> np.ndarray:
    """Widths (or heights) to write for boxes stored as corners, chosen so reading them back is exact.

    A reader recovers ``end`` as ``start + width``. The plain difference ``end - start`` can carry
    rounding noise (649.441 + 44.417 - 649.441 = 44.416999999999916), so per element this returns the
    value with the fewest decimals (0, 1, ... ``max_decimals``) for which ``start + width == end`` holds in
    float64. That always works for boxes that were read as (x, y, w, h), since there ``end`` was computed
    as ``start + w``. For arbitrary corners no float64 width may exist (the sum can land on a rounding
    tie); those elements keep ``end - start``, and ``start + width`` is then within one ulp of ``end``.

    Args:
        start, end: float64 corner coordinates of the same shape, pixels.

    Returns:
        float64 extents, same shape.
    """
    start = np.asarray(start, np.float64)
    end = np.asarray(end, np.float64)
    diff = (end - start).reshape(-1, 1)
    scale = 10.0 ** np.arange(max_decimals + 1)
    # All precisions at once: (M, D) candidates, rounded as np.round does (rint(x * 10**d) / 10**d).
    candidates = np.rint(diff * scale) / scale
    ok = start.reshape(-1, 1) + candidates == end.reshape(-1, 1)
    first = ok.argmax(axis=1)
    chosen = candidates[np.arange(len(first)), first]
    return np.where(ok.any(axis=1), chosen, diff[:, 0]).reshape(start.shape)


def join_lines(table: np.ndarray, sep: str) -> str:
    """(N, C) table of str -> the text of N lines, each ending in a newline."""
    if len(table) == 0:
        return ""
    return "\n".join(map(sep.join, table.tolist())) + "\n"


def parse_table(path: Path, sep: str | None, columns: Sequence[int], text_columns: Sequence[int] = (),
                trailing: bool = False) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Parse a delimited text file, or raise a ValueError naming the file and the first bad line.

    Args:
        path: the text file.
        sep: column separator; None for runs of whitespace.
        columns: accepted column counts (all lines must have the same).
        text_columns: indices of non-numeric columns.
        trailing: also accept lines with more than ``max(columns)`` columns and ignore the surplus (as
            TrackEval does, which reads columns by position).

    Returns:
        (N, C) float64 table (text columns hold NaN) and the text columns as (N,) str arrays by index;
        C is the file's column count, at most ``max(columns)`` with ``trailing``.
        A file without rows gives (0, max(columns)).
    """
    text = read_text(path)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        return np.zeros((0, max(columns))), {c: np.zeros(0, str) for c in text_columns}
    ncols = len(first.split(sep))
    used = min(ncols, max(columns)) if trailing else ncols
    if used not in columns:
        raise _locate_error(path, lines, sep, columns, text_columns, trailing)
    numeric = [c for c in range(used) if c not in text_columns]
    try:
        table, texts = _load(lines, sep, numeric, text_columns)
    except ValueError:
        # Slow path, only on bad input: whitespace-only lines defeat np.loadtxt, so drop them and retry.
        try:
            table, texts = _load([line for line in lines if line.strip()], sep, numeric, text_columns)
        except ValueError:
            raise _locate_error(path, lines, sep, columns, text_columns, trailing) from None
    # usecols makes np.loadtxt ignore surplus columns, so count the fields of the whole file once.
    fields = len(text.split()) if sep is None else text.count(sep) + len(table)
    if fields != len(table) * ncols:
        raise _locate_error(path, lines, sep, columns, text_columns, trailing)
    full = np.full((len(table), used), np.nan)
    full[:, numeric] = table
    return full, texts


def _load(lines: list[str], sep: str | None, numeric: list[int], text_columns: Sequence[int]) -> tuple[np.ndarray, dict]:
    with warnings.catch_warnings():  # numpy notes each blank line ("contained no data"); blank lines are allowed
        warnings.filterwarnings("ignore", message="Input line", category=UserWarning)
        table = np.loadtxt(lines, delimiter=sep, usecols=numeric, ndmin=2, comments=None)
        texts = {c: np.loadtxt(lines, delimiter=sep, usecols=c, dtype=str, ndmin=1, comments=None) for c in text_columns}
    return table, texts


def _locate_error(path: Path, lines: list[str], sep: str | None, columns: Sequence[int], text_columns: Sequence[int],
                  trailing: bool = False) -> ValueError:
    """Find the first bad line (error path only, so a plain loop is fine)."""
    allowed = ", ".join(str(c) for c in sorted(columns)) + (" or more" if trailing else "")
    expected = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split(sep)
        where = f"{path}, line {number}"
        used = min(len(fields), max(columns)) if trailing else len(fields)
        if used not in columns:
            return ValueError(f"{where}: expected {allowed} columns, got {len(fields)}: {line!r}")
        if expected is not None and len(fields) != expected:
            return ValueError(f"{where}: {len(fields)} columns where earlier lines have {expected}: {line!r}")
        expected = len(fields)
        for index, field in enumerate(fields[:used]):
            if index in text_columns:
                continue
            try:
                float(field)
            except ValueError:
                return ValueError(f"{where}: not a number: {field.strip()!r} in {line!r}")
    return ValueError(f"{path}: cannot parse as a table of {allowed} columns")


def check_rows(path: Path, name: str, values: np.ndarray, bad: np.ndarray) -> None:
    """Raise a ValueError naming the file and line of the first row where ``bad`` is True.

    Args:
        values: (N, ...) the column checked, shown in the message.
        bad: (N,) bool, one per non-blank line of the file.
    """
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}, line {row_line(path, row)}: bad {name}: {np.asarray(values)[row].tolist()}")


def row_line(path: Path, row: int) -> int:
    """1-based line number of table row ``row`` (0-based, counting non-blank lines) of a text file.

    Line numbers are only needed on error paths, so they are found by a plain scan of the file.
    """
    lines = read_text(path).splitlines()
    return [number for number, line in enumerate(lines, start=1) if line.strip()][row]


def read_text(path: Path) -> str:
    """The file as UTF-8 text (a leading byte-order mark dropped), or a ValueError naming it (a binary file
    is not a table)."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file (byte {exc.start} is 0x{data[exc.start]:02x}); "
                         "expected a text table") from None
