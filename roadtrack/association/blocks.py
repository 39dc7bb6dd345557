"""Block-diagonal association: many independent problems (one per camera stream) in one call.

N streams' tracks and detections are laid out as padded blocks, ``(N, T, ...)`` and ``(N, D, ...)``: block n holds
stream n's rows in their own order, padded to the largest stream. Costs are computed for all blocks at once
(pairs across streams never exist), and `assign_blocks` gives every block exactly the assignment that
`roadtrack.association.solver.assign` gives that stream's matrix alone: blocks whose allowed pairs already form a
one-to-one matching (most blocks of most frames) are taken together in one vectorised step; the others are
solved one by one on the very sub-matrix a single-stream associator would have built, so ties break the same way.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.costs import iou_of_corners
from roadtrack.association.solver import assign
from roadtrack.association.stages import sort_assignment

_EMPTY = np.zeros(0, np.int64)


@dataclasses.dataclass(frozen=True)
class BlockLayout:
    """Where the rows of a stream-sorted table go in the padded blocks.

    Attributes:
        block: (K,) int64 block (stream) of each row, non-decreasing.
        pos: (K,) int64 position of each row inside its block.
        starts: (N,) int64 first row of each block; counts: (N,) rows per block.
        width: the padded block size (at least 1, so empty streams still have a block).
    """

    block: np.ndarray
    pos: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    width: int

    @classmethod
    def of(cls, block: np.ndarray, n_blocks: int) -> "BlockLayout":
        """Layout of rows labelled by a non-decreasing (K,) int ``block`` in [0, n_blocks)."""
        counts = np.bincount(block, minlength=n_blocks)
        starts = np.zeros(n_blocks, np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        pos = np.arange(block.shape[0]) - starts[block]
        return cls(block, pos, starts, counts, max(int(counts.max(initial=0)), 1))

    def pad(self, values: np.ndarray, fill: float) -> np.ndarray:
        """(K, ...) row values -> (N, width, ...) blocks, ``fill`` in the padding."""
        out = np.full((self.counts.shape[0], self.width, *values.shape[1:]), fill, values.dtype)
        out[self.block, self.pos] = values
        return out

    def mask(self, rows: np.ndarray | None = None) -> np.ndarray:
        """(N, width) bool: True at the given (K,) bool ``rows`` (all rows when None), False in the padding."""
        out = np.zeros((self.counts.shape[0], self.width), bool)
        out[self.block, self.pos] = True if rows is None else rows
        return out

    def rows(self, block: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Row indices of (block, pos) pairs."""
        return self.starts[block] + pos


def iou_blocks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of block n of ``a`` (N, T, 4) with every box of block n of ``b`` (N, D, 4): (N, T, D).

    The arithmetic of `roadtrack.association.iou` (`iou_of_corners`), so every real pair gets the very value a
    single-stream IoU gives it; padding cells may hold anything (0 where the union is not positive).
    """
    return iou_of_corners(*(a[:, :, k:k + 1] for k in range(4)), *(b[:, None, :, k] for k in range(4)))


def one_to_one_blocks(allowed: np.ndarray) -> np.ndarray:
    """(N,) True where block n of the (N, T, D) bool ``allowed`` has a pair and no row or column with two
    (`roadtrack.association.solver.one_to_one` per block)."""
    if allowed.shape[1] == 0 or allowed.shape[2] == 0:
        return np.zeros(allowed.shape[0], bool)
    return (allowed.sum(1).max(1) == 1) & (allowed.sum(2).max(1) == 1)


def assign_blocks(cost: np.ndarray, row_mask: np.ndarray, col_mask: np.ndarray, max_cost: float,
                  method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block n, `assign` of the sub-matrix ``cost[n][rows, cols]`` with rows ``row_mask[n]`` and columns
    ``col_mask[n]`` (each in its block order), as a single-stream associator solves its subset.

    Args:
        cost: (N, T, D) float64 costs; ``inf`` forbids a pair.
        row_mask: (N, T) bool rows taking part; col_mask: (N, D) bool columns taking part.
        max_cost: largest cost of a match; method: ``"lap"`` or ``"scipy"``.

    Returns:
        (K,) blocks, (K,) rows and (K,) columns of the matched pairs, positions inside the blocks.
    """
    # cost <= a finite max_cost is False for inf and NaN already: one pass instead of two.
    allowed = cost <= max_cost if np.isfinite(max_cost) else np.isfinite(cost)
    allowed &= row_mask[:, :, None]
    allowed &= col_mask[:, None, :]
    if allowed.shape[1] == 0 or allowed.shape[2] == 0:
        return _EMPTY, _EMPTY, _EMPTY
    per_col = np.count_nonzero(allowed, axis=1).max(axis=1)  # (N,) most pairs of one column
    per_row = np.count_nonzero(allowed, axis=2).max(axis=1)
    hard = ((per_col > 1) | (per_row > 1)).nonzero()[0]  # blocks without a pair, or one-to-one, are done
    if hard.size == 0:
        return allowed.nonzero()
    allowed[hard] = False
    found_n, found_r, found_c = allowed.nonzero()
    found_n, found_r, found_c = [found_n], [found_r], [found_c]
    for n in hard:
        rows, cols = row_mask[n].nonzero()[0], col_mask[n].nonzero()[0]
        r, c = assign(cost[n][rows][:, cols], max_cost, method)  # two plain takes: cheaper than np.ix_
        found_n.append(np.full(r.shape[0], n, np.int64))
        found_r.append(rows[r])
        found_c.append(cols[c])
    return np.concatenate(found_n), np.concatenate(found_r), np.concatenate(found_c)


def sort_assignment_blocks(similarity: np.ndarray, threshold: float, row_mask: np.ndarray, col_mask: np.ndarray,
                           allowed: np.ndarray | None, method: str) -> tuple[np.ndarray, ...]:
    """Per block, SORT's matching (`roadtrack.association.sort_assignment`) of the block's real rows and columns.

    Blocks whose candidate pairs (``similarity > threshold``, allowed) are one-to-one take them; blocks where no
    allowed pair reaches ``threshold`` match nothing; the others run `sort_assignment` on their own sub-matrix.

    Returns:
        (K,) blocks, rows, columns of the matched pairs.
    """
    real = row_mask[:, :, None] & col_mask[:, None, :]
    ok = real if allowed is None else real & allowed
    candidates = (similarity > threshold) & ok
    easy = one_to_one_blocks(candidates)
    reachable = ((similarity >= threshold) & ok).any(axis=(1, 2))
    hard = (reachable & ~easy).nonzero()[0]
    candidates[~easy] = False
    found = list(candidates.nonzero())
    if hard.size == 0:
        return tuple(found)
    found = [[f] for f in found]
    for n in hard:
        rows, cols = row_mask[n].nonzero()[0], col_mask[n].nonzero()[0]
        sub_allowed = None if allowed is None else allowed[n][rows][:, cols]
        if sub_allowed is not None and sub_allowed.all():
            sub_allowed = None  # one class in the block: `same_class` gives a single stream None too
        r, c = sort_assignment(similarity[n][rows][:, cols], threshold, sub_allowed, method=method)
        found[0].append(np.full(len(r), n, np.int64))
        found[1].append(rows[r])
        found[2].append(cols[c])
    return tuple(np.concatenate(f) for f in found)
