"""Labelled tracks without frames: box sequences with per-frame action and location labels, one CSV per video.

What ``roadtrack train-events --tracks DIR`` reads (``DIR/<video>.csv``; optional ego motion in
``--ego-dir DIR/<video>.csv``, `roadtrack.events.ego`). Header row, then one row per (track, frame):

| column | meaning |
| --- | --- |
| ``frame`` | frame number (int) |
| ``track_id`` | the track (int) |
| ``agent`` | agent name of the label set (``Car``, ``Ped``...) |
| ``x1,y1,x2,y2`` | box, pixels |
| ``score`` | optional detection score (default 1) |
| ``labelled`` | optional 1/0: does this row carry ground truth (default 1) |
| ``action``, ``loc`` | optional label names joined by ``|`` (empty: none) |

Example (``benchmarks/kitti_labels.py`` writes such files from the KITTI tracking labels):

    frame,track_id,agent,x1,y1,x2,y2,labelled,action,loc
    0,3,Car,296.7,161.8,455.2,292.4,1,MovTow,IncomLane
"""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path

import numpy as np

from roadtrack.core import Tube
from roadtrack.core.labels import LabelSet

REQUIRED = ("frame", "track_id", "agent", "x1", "y1", "x2", "y2")
HEADS = ("action", "loc")


@dataclasses.dataclass(frozen=True, eq=False)
class LabelledTracks:
    """One video's labelled tracks.

    Attributes:
        name: the video (the file's stem).
        tubes: one `Tube` per track id (class ids are agent indices of the label set).
        targets: per tube ``{"action": (T, B), "loc": (T, L)}`` float32 0/1.
        labelled: per tube (T,) bool, rows that carry ground truth.
    """

    name: str
    tubes: list[Tube]
    targets: list[dict[str, np.ndarray]]
    labelled: list[np.ndarray]


def read_labelled_tracks(path: str | os.PathLike, labels: LabelSet) -> LabelledTracks:
    """Read one labelled-tracks CSV (module doc).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a missing column, a bad number, an unknown agent or label name (naming the line), a frame
            repeated within a track, or an inverted box.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"labelled tracks not found: {path}")
    rows: list[tuple] = []
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        header = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (need {','.join(REQUIRED)})")
        for line, row in enumerate(reader, start=2):
            try:
                frame, track = int(row["frame"]), int(row["track_id"])
                box = [float(row[c]) for c in ("x1", "y1", "x2", "y2")]
                score = float(row.get("score") or 1.0)
                labelled = bool(int(row.get("labelled") or 1))
            except (TypeError, ValueError):
                raise ValueError(f"{path}, line {line}: bad number in {dict(row)}") from None
            agent = row["agent"].strip()
            if agent not in labels.agent:
                raise ValueError(f"{path}, line {line}: agent {agent!r} is not a {labels.name} agent "
                                 f"({', '.join(labels.agent)})")
            hot = {}
            for head in HEADS:
                names = [n for n in (row.get(head) or "").split("|") if n.strip()]
                unknown = [n for n in names if n not in labels[head]]
                if unknown:
                    raise ValueError(f"{path}, line {line}: {head} label(s) {unknown} not in the {labels.name} list")
                hot[head] = [labels[head].index(n) for n in names]
            rows.append((track, frame, labels.agent.index(agent), box, score, labelled, hot))
    rows.sort(key=lambda r: (r[0], r[1]))
    tubes, targets, flags = [], [], []
    start = 0
    while start < len(rows):
        stop = start
        while stop < len(rows) and rows[stop][0] == rows[start][0]:
            stop += 1
        chunk = rows[start:stop]
        frames = np.array([r[1] for r in chunk])
        if np.any(np.diff(frames) == 0):
            raise ValueError(f"{path}: track {chunk[0][0]} has frame {frames[np.flatnonzero(np.diff(frames) == 0)[0]]} "
                             f"twice")
        try:
            tubes.append(Tube(chunk[0][0], frames, np.array([r[3] for r in chunk]), np.array([r[4] for r in chunk]),
                              np.array([r[2] for r in chunk])))
        except ValueError as exc:
            raise ValueError(f"{path}: track {chunk[0][0]}: {exc}") from None
        target = {h: np.zeros((len(chunk), len(labels[h])), np.float32) for h in HEADS}
        for i, r in enumerate(chunk):
            for h in HEADS:
                target[h][i, r[6][h]] = 1.0
        targets.append(target)
        flags.append(np.array([r[5] for r in chunk], bool))
        start = stop
    return LabelledTracks(path.stem, tubes, targets, flags)
