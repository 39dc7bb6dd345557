"""The ROAD++ baseline's online agent-path linking and tube labelling, as ``shared/specs/road.md`` §4 describes it.

Our own implementation of the described algorithm (no code of the baseline), used by ``events_scores.py`` as
the reference to beat. Defaults are the baseline's: top 10 boxes per frame above agentness 0.025, IoU 0.5
gating, edge score = agentness (cost ``score``), jump gap 4, paths of at most 5 boxes dropped, per label type
the top 10 classes by the mean of each class's top quarter of frame scores, no temporal trimming.
One deliberate deviation, in the baseline's favour: its gap filling is a no-op (§3.8) that leaves frames
misaligned with boxes; here gaps are interpolated, so its tubes are judged on correctly placed boxes.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from roadtrack.association.costs import iou
from roadtrack.core.labels import LABEL_TYPES, LabelSet
from roadtrack.events.compose import compose
from roadtrack.io.roadpp import SubmissionTube


@dataclasses.dataclass
class _Path:
    frames: list[int]
    boxes: list[np.ndarray]
    scores: list[float]
    labels: list[np.ndarray]

    def predicted(self, jump_gap: int) -> np.ndarray:
        """Constant-velocity extrapolation from the box ``tm`` steps back, tm = min(jump_gap + 1, length)."""
        tm = min(jump_gap + 1, len(self.boxes))
        if tm < 2:
            return self.boxes[-1]
        return self.boxes[-1] + (self.boxes[-1] - self.boxes[-tm]) / (tm - 1)

    def priority(self, jump_gap: int) -> float:
        return float(np.mean(sorted(self.scores, reverse=True)[: jump_gap + 1]))


def link_paths(frames: Mapping[int, np.ndarray], top_k: int = 10, conf: float = 0.025, iou_threshold: float = 0.5,
               jump_gap: int = 4, min_edge: float = 0.1) -> list[_Path]:
    """Greedy online agent paths over ``{frame: (N, 5 + C) rows [x1, y1, x2, y2, agentness, scores...]}``."""
    live: list[_Path] = []
    dead: list[_Path] = []
    for frame in sorted(frames):
        rows = np.asarray(frames[frame], np.float64)
        rows = rows[rows[:, 4] > conf] if len(rows) else rows
        rows = rows[np.argsort(-rows[:, 4], kind="stable")[:top_k]] if len(rows) else rows
        taken = np.zeros(len(rows), bool)
        if len(rows):
            for path in live:  # in priority order: stronger paths pick first
                if frame - path.frames[-1] > jump_gap:
                    continue
                overlap = iou(path.predicted(jump_gap)[None], rows[:, :4])[0]
                edge = np.where((overlap >= iou_threshold) & ~taken, rows[:, 4], 0.0)
                if edge.sum() > min_edge:
                    k = int(edge.argmax())
                    taken[k] = True
                    path.frames.append(frame)
                    path.boxes.append(rows[k, :4])
                    path.scores.append(float(rows[k, 4]))
                    path.labels.append(rows[k, 5:])
        for k in np.flatnonzero(~taken):
            live.append(_Path([frame], [rows[k, :4]], [float(rows[k, 4])], [rows[k, 5:]]))
        dead += [p for p in live if frame - p.frames[-1] > jump_gap]
        live = [p for p in live if frame - p.frames[-1] <= jump_gap]
        live.sort(key=lambda p: -p.priority(jump_gap))
    return dead + live


def label_paths(paths: list[_Path], labels: LabelSet, part_types: tuple[str, ...] = ("agent", "action", "loc"),
                min_len: int = 5, top_k: int = 10) -> dict[str, list[SubmissionTube]]:
    """Per label type, the top classes of each path longer than ``min_len`` boxes as whole-path tubes.

    Duplex and triplet scores, when the detector gives none, are the products of the parts (the baseline's
    ``JOINT_4M_MARGINALS``), as roadtrack composes them.
    """
    out: dict[str, list[SubmissionTube]] = {t: [] for t in LABEL_TYPES}
    for path in paths:
        if len(path.frames) <= min_len:
            continue
        frames = np.arange(path.frames[0], path.frames[-1] + 1)
        boxes = _interp(frames, path.frames, np.array(path.boxes))
        per_frame = _interp(frames, path.frames, np.array(path.labels))
        start, parts = 0, {}
        for t in part_types:
            n = len(labels[t])
            parts[t] = per_frame[:, start:start + n]
            start += n
        for label_type, scores in compose(parts, labels).items():
            n_classes = scores.shape[1]
            top = -np.sort(-scores, axis=0)[: max(1, n_classes // 4)].mean(axis=0)
            for c in np.argsort(-top, kind="stable")[:top_k]:
                out[label_type].append(SubmissionTube(int(c), frames, boxes, scores[:, c], float(top[c])))
    return out


def _interp(x: np.ndarray, xp: list[int], fp: np.ndarray) -> np.ndarray:
    return np.stack([np.interp(x, xp, fp[:, k]) for k in range(fp.shape[1])], axis=1)
