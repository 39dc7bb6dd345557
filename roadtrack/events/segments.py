"""Per-class on/off segmentation of per-frame label scores along one tube.

`label_runs` finds, for every class of a (T, C) score array at once, the frames where the class is "on": the
state sequence minimising sum over frames of (threshold - score) while on (0 while off) plus ``switch_cost`` per
change of state — a two-state Viterbi path per class, the idea of the baseline's ``indiv`` trimming
(``shared/specs/road.md`` §4 item 6) applied to every class. A switch cost of 0 reduces to thresholding; a
larger one ignores short dips and blips, so a label switch must be sustained before a segment ends or starts.
"""

from __future__ import annotations

import numpy as np


def label_runs(scores: np.ndarray, threshold: float, switch_cost: float = 0.0) -> np.ndarray:
    """Runs of frames on which each class is on.

    Args:
        scores: (T, C) per-frame scores.
        threshold: a frame's score counts for the class when above this.
        switch_cost: cost of each on/off change (in score units summed over frames); 0: plain thresholding.

    Returns:
        (R, 3) int64 rows ``(class, start, end)``, end exclusive, ordered by class then start.

    Example:
        >>> s = np.array([[0.9], [0.9], [0.1], [0.9], [0.9], [0.0], [0.0], [0.0]])
        >>> label_runs(s, 0.5).tolist(), label_runs(s, 0.5, switch_cost=1.0).tolist()
        ([[0, 0, 2], [0, 3, 5]], [[0, 0, 5]])
    """
    scores = np.asarray(scores, np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores: expected shape (T, C), got {scores.shape}")
    if switch_cost < 0:
        raise ValueError(f"switch_cost must be >= 0, got {switch_cost}")
    on = scores >= threshold if switch_cost == 0 or len(scores) == 0 else _viterbi(threshold - scores, switch_cost)
    edges = np.diff(np.pad(on.astype(np.int8), ((1, 1), (0, 0))), axis=0).T  # (C, T + 1)
    cols, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # row-major order pairs each run's end with its start
    return np.stack([cols, starts, ends], 1).astype(np.int64)


def _viterbi(on_cost: np.ndarray, switch_cost: float) -> np.ndarray:
    """(T, C) bool cheapest on/off paths, all classes at once; starting in either state is free."""
    t_len, n = on_cost.shape
    off, on = np.zeros(n), on_cost[0].copy()
    came_on = np.zeros((t_len, n), bool)   # best predecessor of "on" at t was "on"
    came_off = np.zeros((t_len, n), bool)  # best predecessor of "off" at t was "off"
    for t in range(1, t_len):
        stay_on, enter_on = on, off + switch_cost
        stay_off, leave_on = off, on + switch_cost
        came_on[t] = stay_on <= enter_on
        came_off[t] = stay_off <= leave_on
        on = np.minimum(stay_on, enter_on) + on_cost[t]
        off = np.minimum(stay_off, leave_on)
    state = on < off
    path = np.empty((t_len, n), bool)
    for t in range(t_len - 1, -1, -1):
        path[t] = state
        state = np.where(state, came_on[t], ~came_off[t])
    return path
