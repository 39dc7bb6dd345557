"""MOTChallenge text files: ground truth, detections and tracker results.

One object per line, comma separated: ``frame,id,x,y,w,h,conf`` then up to three more columns,
frames 1-based, boxes as top-left corner and size in pixels. The trailing columns differ by edition:

- 10 columns (MOT15 gt, all det.txt, results): ``X,Y,Z`` world position, -1 when unknown;
- 9 columns (MOT16/17/20 gt): ``class,visibility``.

They are kept in `TrackRows.extra` as ``world_x, world_y, world_z`` or ``mot_class, visibility``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from roadtrack.core.boxes import tlwh_to_xyxy
from roadtrack.core.tracks import Tracks
from roadtrack.io._text import check_rows, exact_extent, format_floats, format_ints, join_lines, not_integer, parse_table
from roadtrack.io.atomic import AtomicTextWriter, atomic_write
from roadtrack.io.rows import TrackRows

# Column count -> names of the columns after ``conf``.
EXTRA_COLUMNS: dict[int, tuple[str, ...]] = {
    10: ("world_x", "world_y", "world_z"),
    9: ("mot_class", "visibility"),
    8: ("mot_class",),
    7: (),
    6: (),
}
_UNKNOWN = "-1"  # MOTChallenge's "not given" value for the trailing columns


def read_mot(path: str | os.PathLike, *, min_score: float | None = None, class_id: int = 0) -> TrackRows:
    """Read a MOTChallenge gt, det or result file.

    Args:
        path: the ``.txt`` file (6 to 10 comma-separated columns).
        min_score: drop rows whose ``conf`` column is below this (for det.txt; in gt files it is a 0/1 flag).
        class_id: class id given to every row (MOTChallenge files are single-class).

    Returns:
        `TrackRows` in file order; ``xyxy`` = ``(x, y, x + w, y + h)``; files without ``conf`` get score 1.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed line (column count, non-number, non-integer frame/id, negative size),
            naming the file and line number.

    Example:
        >>> rows = read_mot("MOT15/train/PETS09-S2L1/det/det.txt", min_score=0.5)   # doctest: +SKIP
        >>> rows.for_frame(1).to_detections()                                        # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MOTChallenge file not found: {path}")
    table, _ = parse_table(path, ",", tuple(EXTRA_COLUMNS))
    frames, ids, tlwh = table[:, 0], table[:, 1], table[:, 2:6]
    for name, column in (("frame", frames), ("id", ids)):
        check_rows(path, name, column, not_integer(column))
    check_rows(path, "box (x, y, w, h)", tlwh, ~np.all(np.isfinite(tlwh), axis=1) | np.any(tlwh[:, 2:] < 0, axis=1))
    scores = table[:, 6] if table.shape[1] > 6 else np.ones(len(table))
    check_rows(path, "conf", scores, ~np.isfinite(scores))
    names = EXTRA_COLUMNS[table.shape[1]]
    rows = TrackRows(
        frames=frames.astype(np.int64),
        ids=ids.astype(np.int64),
        xyxy=tlwh_to_xyxy(tlwh),
        scores=scores,
        class_ids=np.full(len(table), class_id, np.int64),
        extra={name: table[:, 7 + k].copy() for k, name in enumerate(names)},
    )
    return rows if min_score is None else rows[rows.scores >= min_score]


def format_mot(rows: TrackRows, decimals: int | None = None) -> str:
    """Rows as MOTChallenge text, in the given order.

    The trailing columns come from ``rows.extra`` (``world_x/y/z`` -> 10 columns, else
    ``mot_class[, visibility]`` -> 8 or 9 columns), otherwise ``-1,-1,-1``.

    Args:
        rows: the rows.
        decimals: None: widths and heights are chosen so that `read_mot` recovers ``xyxy`` exactly.
            An int: ``x, y, w, h`` and the score are rounded to that many decimal places and printed in
            their shortest form (``639.45``, not ``639.4499999999999``), as MOTChallenge files are.
    """
    if len(rows) == 0:
        return ""
    names = _trailing_names(rows)
    if decimals is None:
        corner, size, scores = rows.xyxy[:, :2], exact_extent(rows.xyxy[:, :2], rows.xyxy[:, 2:]), rows.scores
    else:
        corner, size = np.round(rows.xyxy[:, :2], decimals), np.round(rows.xyxy[:, 2:] - rows.xyxy[:, :2], decimals)
        scores = np.round(rows.scores, decimals)
    floats = np.column_stack([corner, size, scores, *(rows.extra[name] for name in names or ())])
    columns = [format_ints(np.column_stack([rows.frames, rows.ids])), format_floats(floats)]
    if names is None:
        columns.append(np.full((len(rows), 3), _UNKNOWN, dtype=object))
    return join_lines(np.concatenate(columns, axis=1), ",")


def _trailing_names(rows: TrackRows) -> tuple[str, ...] | None:
    """The extra columns to write after ``conf``: world x/y/z, else class[, visibility]; None: -1,-1,-1."""
    for ncols in (10, 9, 8):
        if all(name in rows.extra for name in EXTRA_COLUMNS[ncols]):
            return EXTRA_COLUMNS[ncols]
    return None


def write_mot(path: str | os.PathLike, rows: TrackRows) -> Path:
    """Write rows as a MOTChallenge file (atomically; see `atomic_write`). Returns the path.

    For rows read by `read_mot` (from a 7-, 9- or 10-column file), ``read_mot(path)`` then equals
    ``rows`` exactly. The format stores widths, not corners, so for arbitrary float corners ``x2, y2``
    can come back one ulp off (see `roadtrack.io._text.exact_extent`); all else is exact.
    """
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(format_mot(rows))
    return path


class MotWriter(AtomicTextWriter):
    """Streams tracker output to a MOTChallenge result file: ``frame,id,x,y,w,h,score,-1,-1,-1``.

    Rows are written as frames arrive (frame numbers must not decrease), sorted by id within a frame.
    The file appears at ``path`` on `close` or a clean ``with`` exit; an exception leaves
    ``<path>.partial`` instead.

    Args:
        path: output file.
        decimals: decimal places of ``x, y, w, h`` and score (see `format_mot`); None writes exact values.

    Example:
        >>> with MotWriter("runs/seq/tracks.txt") as out:           # doctest: +SKIP
        ...     for frame, tracks in results:
        ...         out.write(frame, tracks)
    """

    def __init__(self, path: str | os.PathLike, decimals: int | None = 3) -> None:
        super().__init__(path)
        self.decimals = decimals
        self._last_frame: int | None = None

    def write(self, frame: int, tracks: Tracks) -> None:
        """Append one frame's tracks.

        Args:
            frame: 1-based frame number, >= the previous call's.
            tracks: the tracker's output for that frame.
        """
        frame = int(frame)
        if self._last_frame is not None and frame < self._last_frame:
            raise ValueError(f"frames must be written in order: got frame {frame} after {self._last_frame}")
        self._last_frame = frame
        if len(tracks):
            rows = TrackRows.from_tracks(frame, tracks)
            self._write_text(format_mot(rows[np.argsort(rows.ids, kind="stable")], self.decimals))
