"""ROAD / ROAD-Waymo detection files with per-box label scores, in the official baseline's dump layout.

The ROAD++ baseline (3D-RetinaNet, ``shared/specs/road.md`` §4 and §6.2) dumps one pickle per frame,
``DIR/<video>/<frame:05d>.pkl`` (1-based frames), holding ``{'main': (N, 5 + C) array}``: rows
``[x1, y1, x2, y2, agentness, scores...]`` with boxes in pixels of the evaluation frame (840 x 600 for
ROAD-Waymo, 682 x 512 for ROAD) and sigmoid scores of every agent, action and location class, then of every
duplex and triplet class, in the used-list order of `roadtrack.core.labels`. A detector without composite
heads gives only the first three groups (C = agents + actions + locations); other keys (``'ego'``) are ignored.

`read_road_detections` turns a video's folder into one `Detections` per frame: ``scores`` is the agentness,
``class_ids`` the best agent class, and the score groups become extra columns named by
`roadtrack.core.labels.score_column` (``agent_scores``, ``action_scores``, ...). Frames without a file have
no detections.

Example:
    >>> dets = read_road_detections("detections/val_00000")                # doctest: +SKIP
    >>> dets.frames[1].extras["action_scores"].shape                       # doctest: +SKIP
    (7, 22)
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import re
from pathlib import Path
from typing import Mapping

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.core.labels import EVAL_SIZES, LABEL_TYPES, LabelSet, label_set, score_column
from roadtrack.io.atomic import atomic_write
from roadtrack.io.roadpp import load_pickle

PARTS = ("agent", "action", "loc")
_FRAME_FILE = re.compile(r"^(\d+)\.pkl$")


@dataclasses.dataclass(frozen=True)
class RoadDetections:
    """One video's detections read from a baseline-layout folder.

    Attributes:
        labels: the label set the score columns follow.
        label_types: label types with score columns (agent, action, loc, and duplex, triplet when present).
        box_size: (width, height) of the pixel space the boxes are in.
        frames: 1-based frame -> `Detections` (only frames with a file).
    """

    labels: LabelSet
    label_types: tuple[str, ...]
    box_size: tuple[int, int]
    frames: Mapping[int, Detections]

    @property
    def extra_columns(self) -> dict[str, tuple[int, ...]]:
        return {score_column(t): (len(self.labels[t]),) for t in self.label_types}

    def empty(self) -> Detections:
        """A frame without detections, with the same (empty) extra columns."""
        return Detections.empty(extras=self.extra_columns)


def layout(width: int, labels: str | LabelSet | None = None) -> tuple[LabelSet, tuple[str, ...]]:
    """The label set and label types whose class counts add up to ``width`` score columns.

    Raises:
        ValueError: no label set (or not the given one) has agent+action+loc or all five types adding to it.
    """
    choices = [label_set(labels)] if labels is not None else [label_set("road_waymo"), label_set("road")]
    for ls in choices:
        for types in (PARTS, LABEL_TYPES):
            if sum(len(ls[t]) for t in types) == width:
                return ls, types
    expected = ", ".join(f"{ls.name}: {sum(len(ls[t]) for t in PARTS)} or {sum(ls.counts)}" for ls in choices)
    raise ValueError(f"{width} score columns match no label layout (agent+action+loc or all five types; {expected})")


def frame_detections(rows: np.ndarray, labels: LabelSet, label_types: tuple[str, ...], where: str) -> Detections:
    """(N, 5 + C) baseline rows -> `Detections` with score extras (views into ``rows``)."""
    rows = np.asarray(rows, np.float64)
    width = 5 + sum(len(labels[t]) for t in label_types)
    if rows.size == 0:
        rows = rows.reshape(0, width)
    if rows.ndim != 2 or rows.shape[1] != width:
        raise ValueError(f"{where}: expected (N, {width}) rows [x1, y1, x2, y2, agentness, scores...], got {rows.shape}")
    extras, start = {}, 5
    for t in label_types:
        extras[score_column(t)] = rows[:, start:start + len(labels[t])]
        start += len(labels[t])
    agent = extras[score_column("agent")]
    class_ids = agent.argmax(axis=1) if len(rows) else np.zeros(0, np.int64)
    try:
        return Detections(rows[:, :4], rows[:, 4], class_ids, extras=extras)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def read_road_detections(folder: str | os.PathLike, labels: str | LabelSet | None = None,
                         box_size: tuple[int, int] | None = None) -> RoadDetections:
    """Read one video's per-frame detection pickles.

    Args:
        folder: ``DIR/<video>`` holding ``00001.pkl``, ``00002.pkl``, ...
        labels: the label set of the score columns; default: found from the column count (ROAD-Waymo first).
        box_size: (width, height) of the boxes' pixel space; default the label set's evaluation size.

    Raises:
        FileNotFoundError: no such folder. ValueError: no frame files, or a file that is not a dict with a
            ``'main'`` array of the right width (naming the file).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"detection folder not found: {folder}")
    files = sorted((int(m.group(1)), p) for p in folder.iterdir() if (m := _FRAME_FILE.match(p.name)))
    if not files:
        raise ValueError(f"{folder}: no <frame>.pkl files (the ROAD baseline's detection layout)")
    raw = {}
    for frame, path in files:
        if frame < 1:
            raise ValueError(f"{path}: frame numbers are 1-based")
        data = load_pickle(path)
        if not isinstance(data, Mapping) or "main" not in data:
            raise ValueError(f"{path}: expected a dict with a 'main' array of detections")
        raw[frame] = (np.asarray(data["main"]), path)
    width = next((a.shape[1] for a, _ in raw.values() if a.ndim == 2), None)
    if width is None:
        raise ValueError(f"{folder}: every frame is empty; cannot tell the score layout")
    ls, types = layout(width - 5, labels)
    frames = {f: frame_detections(a, ls, types, str(p)) for f, (a, p) in raw.items()}
    size = tuple(box_size) if box_size is not None else EVAL_SIZES[ls.name]
    return RoadDetections(ls, types, (int(size[0]), int(size[1])), frames)


def write_road_detections(folder: str | os.PathLike, frames: Mapping[int, np.ndarray]) -> Path:
    """Write ``{frame: (N, 5 + C) rows}`` as ``folder/<frame:05d>.pkl`` files ``{'main': rows}`` (float32)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for frame, rows in frames.items():
        with atomic_write(folder / f"{int(frame):05d}.pkl", "wb") as f:
            pickle.dump({"main": np.asarray(rows, np.float32)}, f, protocol=4)
    return folder
