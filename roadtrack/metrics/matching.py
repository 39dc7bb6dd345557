"""One-to-one matching of same-frame pairs, all frames of a sequence in one call.

Most frames need no solver: a pair whose ground-truth row and predicted row occur in no other candidate
pair belongs to every maximum-weight matching. Only frames with competing pairs go to the Hungarian
solver (`scipy.optimize.linear_sum_assignment`), each on the small matrix of its competing rows.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def match_pairs(frames: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Maximum-weight one-to-one matching within each frame.

    Args:
        frames: (P,) frame of each candidate pair; pairs of one frame must be contiguous.
        rows: (P,) int row index (e.g. ground-truth row); a row belongs to one frame only, and the rows of a
            frame are consecutive numbers (as rows of a table sorted by frame are).
        cols: (P,) int column index (e.g. predicted row), likewise.
        weights: (P,) float64 > 0, the gain of matching each pair.

    Returns:
        (P,) bool, True for the matched pairs: per frame, no row or column twice, total weight maximal.

    Example:
        >>> match_pairs(np.array([1, 1, 1]), np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([.9, .8, .7])).tolist()
        [False, True, True]
    """
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    matched = np.zeros(len(rows), bool)
    if len(rows) == 0:
        return matched
    isolated = (np.bincount(rows)[rows] == 1) & (np.bincount(cols)[cols] == 1)
    matched[isolated] = True
    todo = np.flatnonzero(~isolated)
    if len(todo) == 0:
        return matched
    frames = np.asarray(frames)[todo]
    weights = np.asarray(weights, np.float64)
    for part in np.split(todo, np.flatnonzero(frames[1:] != frames[:-1]) + 1):
        matched[part[_solve(rows[part], cols[part], weights[part])]] = True
    return matched


def _solve(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Indices into the given pairs of a maximum-weight matching (a dense Hungarian problem).

    Rows (and columns) of one frame are consecutive indices, so offsets give the dense matrix directly;
    rows or columns without a candidate pair are zero and never chosen.
    """
    r, c = rows - rows.min(), cols - cols.min()
    gain = np.zeros((int(r.max()) + 1, int(c.max()) + 1))
    gain[r, c] = weights
    index = np.full(gain.shape, -1, np.int64)
    index[r, c] = np.arange(len(rows))
    rr, cc = linear_sum_assignment(gain, maximize=True)
    chosen = index[rr, cc]
    return chosen[(chosen >= 0) & (gain[rr, cc] > 0)]
