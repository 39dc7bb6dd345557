"""Large assignment problems are split into independent blocks; the result must equal the dense solve."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association import iou, solve, sort_assignment
from roadtrack.association import solver, stages
from roadtrack.association.solver import components


def scene(seed: int, n: int = 120):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40 * np.sqrt(n), (n, 2))
    a = np.concatenate([xy, xy + 20], axis=1)
    b = a[rng.permutation(n)[: n - 7]] + rng.normal(0, 4, (n - 7, 4))
    b[:, 2:] = np.maximum(b[:, 2:], b[:, :2] + 1)
    return a, b


def test_components_by_hand():
    allowed = np.array([[1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]], bool)
    got = [(r.tolist(), c.tolist()) for r, c in components(allowed)]
    assert sorted(got) == [([0], [0]), ([1, 2], [2, 3])]  # row 3 and column 1 have no pair


@pytest.mark.parametrize("seed", range(4))
def test_block_solve_equals_dense_solve(seed, monkeypatch):
    a, b = scene(seed)
    cost = 1.0 - iou(a, b)
    blocks = solve(cost, max_cost=0.8, method="scipy")
    assert cost.size > solver.SPLIT_CELLS
    monkeypatch.setattr(solver, "SPLIT_CELLS", 10**9)
    dense = solve(cost, max_cost=0.8, method="scipy")
    assert len(blocks.rows) == len(dense.rows)
    assert cost[blocks.rows, blocks.cols].sum() == pytest.approx(cost[dense.rows, dense.cols].sum(), abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_sort_assignment_blocks_equal_dense(seed, monkeypatch):
    a, b = scene(seed)
    sim = iou(a, b)
    sim[0, :] = 0.0  # a row overlapping nothing
    r1, c1 = sort_assignment(sim, 0.3, method="scipy")
    monkeypatch.setattr(stages, "SPLIT_CELLS", 10**9)
    r2, c2 = sort_assignment(sim, 0.3, method="scipy")
    assert sim[r1, c1].sum() == pytest.approx(sim[r2, c2].sum(), abs=1e-9) and len(r1) == len(r2)
