"""KITTI tracking label and result files.

One object per line, space separated (the official KITTI tracking devkit format)::

    frame track_id type truncated occluded alpha x1 y1 x2 y2 h w l X Y Z rotation_y [score]

Frames are 0-based; ``track_id`` is -1 for ``DontCare`` regions; boxes are pixel corners; ``h w l``
are 3D sizes and ``X Y Z`` the 3D position in camera coordinates (metres); results add ``score``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np

from roadtrack.core.tracks import Tracks
from roadtrack.io._text import check_rows, format_floats, format_ints, join_lines, not_integer, parse_table
from roadtrack.io.atomic import AtomicTextWriter, atomic_write
from roadtrack.io.rows import TrackRows

KITTI_CLASSES = ("Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc", "DontCare")
# The tracking labels spell the object benchmark's "Person_sitting" as "Person" (KITTI tracking 0013, 0019).
KITTI_TYPE_ALIASES = {"Person": "Person_sitting"}
# COCO detector names -> KITTI types, so that KITTI evaluation (TrackEval: 'car', 'pedestrian') counts them.
# Detector class names (COCO, and ROAD agents from a detector's class map) -> KITTI types, so KITTI
# evaluation counts them; other names are written as they are.
COCO_TO_KITTI = {"person": "Pedestrian", "car": "Car", "truck": "Truck", "bicycle": "Cyclist", "train": "Tram",
                 "Ped": "Pedestrian", "Cyc": "Cyclist", "LarVeh": "Truck", "MedVeh": "Van"}

# Numeric columns after ``type``, by name, with the value the writer uses when they are unknown.
KITTI_COLUMNS: dict[str, float] = {
    "truncated": -1, "occluded": -1, "alpha": -10,
    "height_3d": -1000, "width_3d": -1000, "length_3d": -1000,
    "x_3d": -1000, "y_3d": -1000, "z_3d": -1000, "rotation_y": -10,
}
_TYPE, _BOX, _SCORE = 2, slice(6, 10), 17
_OTHER = (3, 4, 5, 10, 11, 12, 13, 14, 15, 16)  # file columns of KITTI_COLUMNS, in order
_LABEL_COLUMNS, _RESULT_COLUMNS = 17, 18


def kitti_class_ids(types: np.ndarray) -> np.ndarray:
    """(N,) type strings -> (N,) int64 indices into `KITTI_CLASSES`; -1 for types outside it."""
    types = np.asarray(types, dtype=str)
    for alias, name in KITTI_TYPE_ALIASES.items():
        types = np.where(types == alias, name, types)
    classes = np.asarray(KITTI_CLASSES)
    order = np.argsort(classes)
    pos = np.searchsorted(classes[order], types).clip(0, len(classes) - 1)
    found = classes[order][pos] == types
    return np.where(found, order[pos], -1).astype(np.int64)


def read_kitti_tracking(path: str | os.PathLike) -> TrackRows:
    """Read a KITTI tracking label (17 columns) or result (18 columns, with score) file.

    Columns after the 18th (e.g. the 19 of the published GT-SORT results) are ignored, as TrackEval's
    KITTI reader ignores them; every line must still have the same number of columns.

    Args:
        path: e.g. ``kitti_tracking/training/label_02/0000.txt``.

    Returns:
        `TrackRows` in file order with the file's 0-based frames; ``class_ids`` index `KITTI_CLASSES`
        (-1 for other types); ``scores`` 1 for label files; ``extra`` holds ``type`` (the original
        strings) and every `KITTI_COLUMNS` column.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed line, naming the file and line number.

    Example:
        >>> rows = read_kitti_tracking("label_02/0000.txt")                       # doctest: +SKIP
        >>> rows[rows.class_ids == KITTI_CLASSES.index("Car")].ids              # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"KITTI tracking file not found: {path}")
    numbers, texts = parse_table(path, None, (_LABEL_COLUMNS, _RESULT_COLUMNS), text_columns=(_TYPE,), trailing=True)
    frames, ids = numbers[:, 0], numbers[:, 1]
    for name, column in (("frame", frames), ("track_id", ids)):
        check_rows(path, name, column, not_integer(column))
    xyxy = numbers[:, _BOX]
    check_rows(path, "box (x1, y1, x2, y2)", xyxy,
               ~np.all(np.isfinite(xyxy), axis=1) | (xyxy[:, 2] < xyxy[:, 0]) | (xyxy[:, 3] < xyxy[:, 1]))
    scores = numbers[:, _SCORE] if numbers.shape[1] == _RESULT_COLUMNS else np.ones(len(numbers))
    check_rows(path, "score", scores, ~np.isfinite(scores))
    types = texts[_TYPE]
    extra = {"type": types}
    extra.update({name: numbers[:, c].copy() for name, c in zip(KITTI_COLUMNS, _OTHER)})
    return TrackRows(frames.astype(np.int64), ids.astype(np.int64), xyxy, scores, kitti_class_ids(types), extra)


def format_kitti(rows: TrackRows, types: np.ndarray | None = None, with_score: bool = True,
                 decimals: int | None = None) -> str:
    """Rows as KITTI tracking text, in the given order.

    Args:
        rows: rows to write; missing `KITTI_COLUMNS` are written as their unknown values.
        types: (N,) type strings; default ``rows.extra["type"]``, else `KITTI_CLASSES` by class id.
        with_score: write the 18th (score) column, as result files have; label files have none.
        decimals: None writes exact values; an int rounds the box corners and the score to that many
            decimal places, printed in their shortest form (``639.45``, not ``639.4499999999999``).
    """
    if len(rows) == 0:
        return ""
    if types is None:
        types = rows.extra["type"] if "type" in rows.extra else _types_from_ids(rows.class_ids)
    types = np.asarray(types, dtype=str)
    if np.any(np.char.find(types, " ") >= 0) or np.any(types == ""):
        raise ValueError("KITTI types must be non-empty and contain no spaces")
    n = len(rows)
    numeric = [rows.extra.get(name, np.full(n, unknown)) for name, unknown in KITTI_COLUMNS.items()]
    # File order: truncated occluded alpha | box | h w l X Y Z rotation_y | [score].
    xyxy, scores = rows.xyxy, rows.scores
    if decimals is not None:
        xyxy, scores = np.round(xyxy, decimals), np.round(scores, decimals)
    floats = np.column_stack([*numeric[:3], xyxy, *numeric[3:], *([scores] if with_score else [])])
    ints = format_ints(np.column_stack([rows.frames, rows.ids]))
    table = np.concatenate([ints, types.astype(object)[:, None], format_floats(floats)], axis=1)
    return join_lines(table, " ")


def _types_from_ids(class_ids: np.ndarray) -> np.ndarray:
    known = (class_ids >= 0) & (class_ids < len(KITTI_CLASSES))
    if not np.all(known):
        bad = int(class_ids[~known][0])
        raise ValueError(f"class id {bad} is not a KITTI class (0..{len(KITTI_CLASSES) - 1}); pass types=")
    return np.asarray(KITTI_CLASSES)[class_ids]


def write_kitti_tracking(path: str | os.PathLike, rows: TrackRows, with_score: bool | None = None) -> Path:
    """Write rows as a KITTI tracking file (atomically; see `atomic_write`). Returns the path.

    Args:
        path: output file.
        rows: e.g. from `read_kitti_tracking`; ``read_kitti_tracking(path)`` then equals ``rows`` exactly.
        with_score: write the score column; default: only when some score differs from 1 (labels have none).
    """
    if with_score is None:
        with_score = bool(np.any(rows.scores != 1.0))
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(format_kitti(rows, with_score=with_score))
    return path


def kitti_type_names(class_names: Mapping[int, str]) -> dict[int, str]:
    """Detector class names -> KITTI type tokens: COCO and ROAD names mapped by `COCO_TO_KITTI`, spaces -> ``_``."""
    return {int(k): COCO_TO_KITTI.get(v, v).replace(" ", "_") for k, v in class_names.items()}


class KittiWriter(AtomicTextWriter):
    """Streams tracker output to a KITTI tracking result file (18 columns, with score).

    Per track: frame, id, type (from ``class_names``), ``-1 -1 -10`` for truncated/occluded/alpha,
    the box, ``-1000`` for the 3D size and position, ``-10`` for rotation_y, and the score.

    Args:
        path: output file; appears on `close` or a clean ``with`` exit (else ``<path>.partial``).
        class_names: class id -> name; COCO names become KITTI types (``person`` -> ``Pedestrian``);
            ids without a name are written as ``class<id>``.
        frame_offset: added to each frame number; the default -1 turns roadtrack's 1-based frame
            numbers into KITTI's 0-based ones.
        decimals: decimal places of the box corners and score (see `format_kitti`); None writes exact values.
    """

    def __init__(self, path: str | os.PathLike, class_names: Mapping[int, str] | None = None, frame_offset: int = -1,
                 decimals: int | None = 3) -> None:
        super().__init__(path)
        self.decimals = decimals
        self.type_names = kitti_type_names(class_names or {})
        self.frame_offset = frame_offset
        self._last_frame: int | None = None

    def write(self, frame: int, tracks: Tracks) -> None:
        """Append one frame's tracks; ``frame`` (1-based by default) must not decrease between calls."""
        frame = int(frame)
        if self._last_frame is not None and frame < self._last_frame:
            raise ValueError(f"frames must be written in order: got frame {frame} after {self._last_frame}")
        self._last_frame = frame
        if len(tracks) == 0:
            return
        rows = TrackRows.from_tracks(frame + self.frame_offset, tracks)
        rows = rows[np.argsort(rows.ids, kind="stable")]
        classes, inverse = np.unique(rows.class_ids, return_inverse=True)
        names = np.asarray([self.type_names.get(c, f"class{c}") for c in classes.tolist()])  # one per class
        self._write_text(format_kitti(rows, types=names[inverse.reshape(-1)], decimals=self.decimals))
