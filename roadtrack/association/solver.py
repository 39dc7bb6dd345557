"""One assignment solver for every associator: `solve(cost, max_cost, method) -> Matches`."""

from __future__ import annotations

import lap
import numpy as np
from scipy.optimize import linear_sum_assignment

from roadtrack.core import Matches

METHODS = ("lap", "scipy")


def _index(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def matches_from_pairs(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> Matches:
    """`Matches` for the pairs (rows[k], cols[k]) of a (n_rows, n_cols) problem, sorted by row."""
    order = np.argsort(rows, kind="stable")
    rows, cols = _index(rows)[order], _index(cols)[order]
    return Matches(rows, cols, _complement(rows, n_rows), _complement(cols, n_cols))


def _complement(taken: np.ndarray, n: int) -> np.ndarray:
    """Sorted int64 indices in range(n) that are not in ``taken``."""
    free = np.ones(n, bool)
    free[taken] = False
    return np.flatnonzero(free).astype(np.int64, copy=False)


def _pair_limit(cost: np.ndarray, allowed: np.ndarray, max_cost: float) -> float:
    """The price ``L`` of leaving a row or column unmatched: matching pair (i, j) gains ``L - cost[i, j]``.

    Just above ``max_cost``, so every allowed pair (cost <= max_cost) is worth matching. Without a finite
    ``max_cost``, ``L`` is chosen so large that one more pair always outweighs any change in the others'
    costs: the result is then a maximum-cardinality assignment of least cost, which is what
    ``linear_sum_assignment`` returns on a matrix without forbidden pairs.
    """
    if np.isfinite(max_cost):
        return float(np.nextafter(max_cost, np.inf))
    lo, hi = float(cost[allowed].min()), float(cost[allowed].max())
    return hi + (hi - lo + 1.0) * (min(cost.shape) + 1)


def solve(cost: np.ndarray, max_cost: float = np.inf, method: str = "lap") -> Matches:
    """Least-cost assignment of rows (tracks) to columns (detections), leaving pairs above ``max_cost`` out.

    The problem solved is: choose pairs with ``cost <= max_cost`` (finite, not NaN), each row and column at
    most once, minimising ``sum(cost[pair] - L)`` with ``L`` just above ``max_cost`` -- the semantics of
    ``lap.lapjv(..., extend_cost=True, cost_limit=L)``. Both methods solve exactly that problem, so they
    agree whenever the optimum is unique.

    Args:
        cost: (T, D) float costs; ``inf`` (or NaN) forbids a pair.
        max_cost: largest cost a matched pair may have; ``inf`` asks for as many pairs as possible.
        method: ``"lap"`` (Jonker-Volgenant, gatagat/lap) or ``"scipy"`` (``linear_sum_assignment``).

    Returns:
        `Matches` with rows sorted ascending; unmatched indices sorted ascending. Same type for empty input.

    Example:
        >>> m = solve(np.array([[0.1, 0.9], [0.2, np.inf], [0.8, 0.7]]), max_cost=0.75)
        >>> m.rows.tolist(), m.cols.tolist(), m.unmatched_rows.tolist()
        ([0, 2], [0, 1], [1])
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    cost = np.asarray(cost, np.float64)
    if cost.ndim != 2:
        raise ValueError(f"cost: expected shape (T, D), got {cost.shape}")
    if np.isnan(max_cost):
        raise ValueError("max_cost must not be NaN")
    n_rows, n_cols = cost.shape
    with np.errstate(invalid="ignore"):
        allowed = np.isfinite(cost) & (cost <= max_cost)
    if not allowed.any():
        return matches_from_pairs(np.empty(0), np.empty(0), n_rows, n_cols)

    limit = _pair_limit(cost, allowed, max_cost)
    # Forbidden pairs cost exactly the limit: matching one gains nothing, and any such pair the solver
    # happens to return is dropped below, so forbidden pairs never change the optimum.
    filled = np.where(allowed, cost, limit)
    if method == "lap":
        _, x, _ = lap.lapjv(filled, extend_cost=True, cost_limit=limit)
        rows = np.flatnonzero(x >= 0)
        cols = x[rows]
    else:
        rows, cols = linear_sum_assignment(filled)
    keep = allowed[rows, cols]
    return matches_from_pairs(rows[keep], cols[keep], n_rows, n_cols)
