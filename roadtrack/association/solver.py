"""One assignment solver for every associator: `solve(cost, max_cost, method) -> Matches`."""

from __future__ import annotations

import lap
import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from roadtrack.core import Matches

METHODS = ("lap", "scipy")
# Problems with more cells than this are split into independent blocks first (see `components`).
SPLIT_CELLS = 4096


def _index(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def matches_from_pairs(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> Matches:
    """`Matches` for the pairs (rows[k], cols[k]) of a (n_rows, n_cols) problem, sorted by row."""
    order = np.argsort(rows, kind="stable")
    rows, cols = _index(rows)[order], _index(cols)[order]
    return Matches(rows, cols, complement(rows, n_rows), complement(cols, n_cols))


def complement(taken: np.ndarray, n: int) -> np.ndarray:
    """Sorted int64 indices in range(n) that are not in ``taken``."""
    free = np.empty(n, bool)  # np.ones is a Python-level wrapper: a measurable share of a small frame
    free.fill(True)
    free[taken] = False
    return free.nonzero()[0].astype(np.int64, copy=False)


def one_to_one(candidates: np.ndarray) -> bool:
    """True if the (T, D) boolean matrix has at least one pair and no row or column with two."""
    return bool(candidates.any()) and candidates.sum(0).max() == 1 and candidates.sum(1).max() == 1


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


def split_blocks(allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Independent parts of a (T, D) assignment problem: connected components of the bipartite graph whose
    edges are the ``allowed`` pairs.

    Returns:
        (K,) rows and (K,) cols of the pairs that are the only allowed pair of both their row and their column
        (1 x 1 blocks, whose assignment is the pair itself), and one (rows, cols) pair of sorted int64 index
        arrays per larger block. Rows and columns without an allowed pair are in no block.
    """
    n_rows, n_cols = allowed.shape
    r, c = allowed.nonzero()
    single = (np.bincount(r, minlength=n_rows)[r] == 1) & (np.bincount(c, minlength=n_cols)[c] == 1)
    r_rest, c_rest = r[~single], c[~single]
    if r_rest.size == 0:
        return r[single], c[single], []
    graph = coo_matrix((np.ones(r_rest.size), (r_rest, c_rest + n_rows)), shape=(n_rows + n_cols, n_rows + n_cols))
    _, labels = connected_components(graph, directed=False)
    used = np.unique(labels[r_rest])
    blocks = []
    rows_by_label = np.unique(r_rest)
    cols_by_label = np.unique(c_rest)
    row_lab, col_lab = labels[rows_by_label], labels[cols_by_label + n_rows]
    order_r, order_c = np.argsort(row_lab, kind="stable"), np.argsort(col_lab, kind="stable")
    r_bounds = np.searchsorted(row_lab[order_r], np.stack([used, used + 1]))
    c_bounds = np.searchsorted(col_lab[order_c], np.stack([used, used + 1]))
    for (a, b), (x, y) in zip(r_bounds.T, c_bounds.T):
        blocks.append((np.sort(rows_by_label[order_r[a:b]]), np.sort(cols_by_label[order_c[x:y]])))
    return r[single], c[single], blocks


def components(allowed: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """All blocks of `split_blocks`, 1 x 1 ones included, as (rows, cols) index arrays."""
    single_r, single_c, blocks = split_blocks(allowed)
    return [(np.array([a]), np.array([b])) for a, b in zip(single_r, single_c)] + blocks


def _solve_dense(cost: np.ndarray, allowed: np.ndarray, max_cost: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    limit = _pair_limit(cost, allowed, max_cost)
    # Forbidden pairs cost exactly the limit: matching one gains nothing, and any such pair the solver
    # happens to return is dropped below, so forbidden pairs never change the optimum.
    filled = np.where(allowed, cost, limit)
    if method == "lap":
        _, x, _ = lap.lapjv(filled, extend_cost=True, cost_limit=limit)
        rows = (x >= 0).nonzero()[0]
        cols = x[rows]
    else:
        rows, cols = linear_sum_assignment(filled)
    keep = allowed[rows, cols]
    return rows[keep], cols[keep]


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
    rows, cols = assign(cost, max_cost, method)
    return matches_from_pairs(rows, cols, *cost.shape)


def assign(cost: np.ndarray, max_cost: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    """`solve` without input checks or `Matches`: matched (K,) rows and (K,) cols of a (T, D) float64 ``cost``.

    For associators, which call the solver several times per frame on arrays they built themselves.
    """
    if cost.size == 0:
        return _EMPTY, _EMPTY
    allowed = np.isfinite(cost) & (cost <= max_cost)  # comparisons with NaN are False and do not warn
    if not allowed.any():
        return _EMPTY, _EMPTY
    if one_to_one(allowed):  # every allowed pair is in the optimum (the common, easy frame)
        return allowed.nonzero()
    if np.isfinite(max_cost) and cost.size > SPLIT_CELLS:
        # With a finite max_cost the objective is a sum over pairs of (cost - L), so blocks that share no
        # allowed pair are independent: solving them apart gives the same optimum, much faster when sparse.
        single_r, single_c, blocks = split_blocks(allowed)
        found_r, found_c = [single_r], [single_c]
        for rows, cols in blocks:
            r, c = _solve_dense(cost[np.ix_(rows, cols)], allowed[np.ix_(rows, cols)], max_cost, method)
            found_r.append(rows[r])
            found_c.append(cols[c])
        return np.concatenate(found_r), np.concatenate(found_c)
    return _solve_dense(cost, allowed, max_cost, method)


_EMPTY = np.zeros(0, np.int64)
