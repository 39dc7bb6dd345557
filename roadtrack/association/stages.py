"""Assignment steps shared by the associators: solve on a subset of rows and columns, and SORT's rule."""

from __future__ import annotations

import numpy as np

from roadtrack.association.solver import SPLIT_CELLS, assign, one_to_one, solve, split_blocks


def solve_subset(cost: np.ndarray, rows: np.ndarray, cols: np.ndarray, max_cost: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``cost`` (len(rows), len(cols)) computed for track ``rows`` and detection ``cols``.

    Returns:
        Matched (K,) track indices and (K,) detection indices, in the caller's numbering.
    """
    r, c = assign(cost, max_cost, method)
    return np.asarray(rows)[r], np.asarray(cols)[c]


def sort_assignment(
    similarity: np.ndarray, threshold: float, allowed: np.ndarray | None = None,
    bonus: np.ndarray | None = None, method: str = "lap", shortcut: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """SORT's (and OC-SORT's) matching on a (T, D) similarity such as IoU.

    1. If the allowed pairs with ``similarity > threshold`` already form a one-to-one matching, take them.
    2. Otherwise solve a maximum-cardinality assignment maximising ``similarity + bonus`` over the allowed
       pairs, then drop the matched pairs with ``similarity < threshold``.

    Args:
        similarity: (T, D) float; threshold: the smallest kept similarity.
        allowed: (T, D) bool, pairs that may be matched at all (default: all).
        bonus: (T, D) extra score added before solving (OC-SORT's direction consistency), default none.
        method: solver, see `roadtrack.association.solve`.
        shortcut: take step 1 when it applies; False always solves (OC-SORT's recovery step does).

    Returns:
        Matched (K,) row indices and (K,) column indices.
    """
    candidates = similarity > threshold
    if allowed is not None:
        candidates &= allowed
    if shortcut and one_to_one(candidates):
        return candidates.nonzero()
    if similarity.size == 0 or (allowed is not None and not allowed.any()):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    score = similarity if bonus is None else similarity + bonus
    if similarity.size > SPLIT_CELLS:
        return _sort_assignment_by_blocks(similarity, threshold, allowed, score, method)
    # Solve on 1 - score: the same assignment as -score, kept non-negative for IoU as SORT does.
    cost = 1.0 - score if allowed is None else np.where(allowed, 1.0 - score, np.inf)
    full = solve(cost, max_cost=np.inf, method=method)
    keep = similarity[full.rows, full.cols] >= threshold
    return full.rows[keep], full.cols[keep]


def _sort_assignment_by_blocks(similarity, threshold, allowed, score, method):
    """Step 2 of `sort_assignment` on large problems, block by block.

    Pairs with ``similarity <= 0`` add nothing to a plain IoU objective, so the maximum-cardinality optimum
    restricted to overlapping pairs splits into independent blocks (connected components of the overlap
    graph). Without a bonus this is the same assignment as the dense solve (up to ties); with OC-SORT's
    bonus, non-overlapping pairs no longer influence the choice (they are dropped afterwards either way).
    """
    linked = similarity > 0
    if allowed is not None:
        linked &= allowed
    single_r, single_c, blocks = split_blocks(linked)
    keep = similarity[single_r, single_c] >= threshold  # a lone pair is its block's whole assignment
    found_r, found_c = [single_r[keep]], [single_c[keep]]
    for rows, cols in blocks:
        block = np.ix_(rows, cols)
        cost = 1.0 - score[block] if allowed is None else np.where(allowed[block], 1.0 - score[block], np.inf)
        r, c = assign(cost, np.inf, method)
        keep = similarity[block][r, c] >= threshold
        found_r.append(rows[r[keep]])
        found_c.append(cols[c[keep]])
    return np.concatenate(found_r), np.concatenate(found_c)
