"""Readers for detection files produced elsewhere: MOTChallenge ``det.txt``, KITTI tracking and COCO-json results.

Each returns the detections as `TrackRows` with roadtrack's 1-based frame numbers plus the class id -> name table,
so `PrecomputedDetector` can serve any of them.

- MOTChallenge: ``frame,-1,x,y,w,h,score,...`` (1-based frames), one class.
- KITTI tracking: ``frame id type trunc occl alpha x1 y1 x2 y2 h w l X Y Z ry [score]`` (0-based frames); class ids
  index ``KITTI_CLASSES``, other types get the next ids; ``DontCare`` regions are not detections and are dropped.
- COCO results: a JSON list of ``{"image_id", "category_id", "bbox": [x, y, w, h], "score"}`` (the format
  ``pycocotools``' ``loadRes`` reads), or a COCO dataset dict whose ``annotations`` hold them (then its
  ``categories`` name the classes). ``image_id`` is taken as the frame number.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from roadtrack.core.boxes import tlwh_to_xyxy
from roadtrack.detectors.coco import COCO_CATEGORIES
from roadtrack.io._text import not_integer, row_line
from roadtrack.io.kitti import KITTI_CLASSES, read_kitti_tracking
from roadtrack.io.mot import read_mot
from roadtrack.io.rows import TrackRows

FORMATS = ("auto", "mot", "kitti", "coco")
DEFAULT_FRAME_OFFSET = {"mot": 0, "kitti": 1, "coco": 0}  # added to the file's frame numbers -> 1-based frames


def sniff_format(path: Path) -> str:
    """``"coco"`` for ``.json``; else ``"mot"`` when the first line is comma-separated, ``"kitti"`` otherwise."""
    if path.suffix.lower() == ".json":
        return "coco"
    with open(path, "rb") as f:  # bytes: a binary file is then refused by the reader, naming the file
        first = next((line for line in f if line.strip()), b"")
    return "mot" if b"," in first else "kitti"


def read_detections(
    path: str | os.PathLike, fmt: str = "auto", frame_offset: int | None = None, class_id: int = 0,
    num_frames: int | None = None,
) -> tuple[TrackRows, dict[int, str]]:
    """Read a detection file of any supported format.

    Args:
        path: the file.
        fmt: ``"mot"``, ``"kitti"``, ``"coco"`` or ``"auto"`` (see `sniff_format`).
        frame_offset: added to the file's frame numbers (COCO: image ids) to get 1-based frames; default 0 for
            MOT and COCO, 1 for KITTI's 0-based frames.
        class_id: class id of every MOTChallenge row (that format has no class column).
        num_frames: frames in the sequence (``seqLength``); rows after it are an error. None: no upper bound.

    Returns:
        Rows (``ids`` -1 for detections; KITTI result ids are kept) and class id -> name.

    Raises:
        FileNotFoundError: no such file.
        ValueError: unknown format or a malformed file, naming the file and the first bad line or entry;
            a frame (after ``frame_offset``) below 1 or above ``num_frames``, naming the line or entry.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"detection file not found: {path}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown detection file format {fmt!r}; choose from {', '.join(FORMATS)}")
    fmt = sniff_format(path) if fmt == "auto" else fmt
    offset = DEFAULT_FRAME_OFFSET[fmt] if frame_offset is None else int(frame_offset)
    if fmt == "mot":
        rows, names = read_mot(path, class_id=class_id), {int(class_id): "person"}
    elif fmt == "kitti":
        rows = read_kitti_tracking(path)
    else:
        rows, names = read_coco_results(path)
    if offset:
        rows = TrackRows(rows.frames + offset, rows.ids, rows.xyxy, rows.scores, rows.class_ids, rows.extra)
    # Every row is still there (in file order), so row k is the k-th non-blank line (COCO: entry k).
    _check_frame_range(path, fmt, rows.frames, offset, num_frames)
    if fmt == "kitti":
        rows, names = _kitti_detections(rows)
    return rows, names


def _check_frame_range(path: Path, fmt: str, frames: np.ndarray, offset: int, num_frames: int | None) -> None:
    """A row outside frames 1..num_frames would never be served to the tracker: refuse it by name."""
    bad = (frames < 1) | (frames > (np.inf if num_frames is None else num_frames))
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0])
    frame = int(frames[row])
    shown = f"frame {frame - offset} (+ offset {offset} = {frame})" if offset else f"frame {frame}"
    allowed = f"1..{num_frames}" if num_frames is not None else "from 1"
    where = f"{path}, detection {row}" if fmt == "coco" else f"{path}, line {row_line(path, row)}"
    raise ValueError(f"{where}: {shown} is outside the sequence (frames {allowed})")


def _kitti_detections(rows: TrackRows) -> tuple[TrackRows, dict[int, str]]:
    types = np.asarray(rows.extra["type"], dtype=str)
    keep = types != "DontCare"
    rows, types = rows[keep], types[keep]
    names = dict(enumerate(KITTI_CLASSES))
    class_ids = rows.class_ids.copy()
    for extra_type in dict.fromkeys(types[class_ids < 0].tolist()):  # types outside KITTI's list, in file order
        new_id = len(names)
        names[new_id] = extra_type
        class_ids[types == extra_type] = new_id
    rows = TrackRows(rows.frames, rows.ids, rows.xyxy, rows.scores, class_ids, rows.extra)
    return rows, {k: v for k, v in names.items() if v != "DontCare"}


def read_coco_results(path: str | os.PathLike) -> tuple[TrackRows, dict[int, str]]:
    """Read COCO-json detection results.

    Returns:
        Rows with ``frames`` = ``image_id``, ``class_ids`` = ``category_id``, ids -1, and category id -> name
        (from the file's ``categories``, else the COCO categories, else ``class<id>``).

    Raises:
        ValueError: not JSON, or an entry without a valid ``image_id``, ``category_id``, ``bbox`` or ``score``.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"{path}: not a JSON file: {type(exc).__name__}: {exc}") from None
    categories = None
    if isinstance(data, dict):
        if "annotations" not in data:
            raise ValueError(f"{path}: expected a list of detections or a COCO dict with 'annotations'")
        categories = _categories(path, data.get("categories")) or None
        data = data["annotations"]
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of detections, got {type(data).__name__}")
    table = np.zeros((len(data), 7))
    for k, det in enumerate(data):
        try:
            x, y, w, h = (float(v) for v in det["bbox"])
            table[k] = det["image_id"], det["category_id"], x, y, w, h, det.get("score", 1.0)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ValueError(f"{path}, detection {k}: expected image_id, category_id, bbox [x, y, w, h] and score, "
                             f"got {json.dumps(det)[:200]} ({type(exc).__name__}: {exc})") from None
    bad = ~np.all(np.isfinite(table), axis=1) | np.any(not_integer(table[:, :2]), axis=1) | np.any(table[:, 4:6] < 0, axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}, detection {k}: bad values {json.dumps(data[k])[:200]} "
                         "(ids must be integers, sizes >= 0, all finite)")
    class_ids = table[:, 1].astype(np.int64)
    if categories is None:
        known = set(class_ids.tolist()) <= set(COCO_CATEGORIES)
        categories = dict(COCO_CATEGORIES) if known else {c: f"class{c}" for c in sorted(set(class_ids.tolist()))}
    rows = TrackRows(table[:, 0].astype(np.int64), np.full(len(table), -1), tlwh_to_xyxy(table[:, 2:6]),
                     table[:, 6], class_ids)
    return rows, categories


def _categories(path: Path, categories: object) -> dict[int, str]:
    """A COCO ``categories`` list (``[{"id": int, "name": str}, ...]``) as id -> name."""
    if categories is None:
        return {}
    if not isinstance(categories, list):
        raise ValueError(f"{path}: 'categories' must be a list of {{id, name}}, got {type(categories).__name__}")
    out = {}
    for k, c in enumerate(categories):
        ok = isinstance(c, dict) and isinstance(c.get("id"), int) and not isinstance(c["id"], bool) \
            and isinstance(c.get("name"), str)
        if not ok:
            raise ValueError(f"{path}, category {k}: expected {{\"id\": int, \"name\": str}}, got {json.dumps(c)[:200]}")
        out[c["id"]] = c["name"]
    return out
