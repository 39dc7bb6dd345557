"""Block-diagonal association (`roadtrack.association.blocks`): each block gets its stream's own assignment."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.association import iou, sort_assignment
from roadtrack.association.blocks import BlockLayout, assign_blocks, iou_blocks, sort_assignment_blocks
from roadtrack.association.solver import assign


def test_layout_pads_stream_sorted_rows():
    layout = BlockLayout.of(np.array([0, 0, 2, 2, 2]), 3)  # stream 1 has no rows
    assert layout.starts.tolist() == [0, 2, 2] and layout.counts.tolist() == [2, 0, 3]
    assert layout.pos.tolist() == [0, 1, 0, 1, 2] and layout.width == 3
    padded = layout.pad(np.arange(5.0), -1.0)
    assert padded.tolist() == [[0, 1, -1], [-1, -1, -1], [2, 3, 4]]
    assert layout.mask(np.array([True, False, True, True, False])).tolist() == \
        [[True, False, False], [False, False, False], [True, True, False]]


def test_iou_blocks_equals_iou_bit_for_bit():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 100, (3, 7, 2))
    b = rng.uniform(0, 100, (3, 5, 2))
    a = np.concatenate([a, a + rng.uniform(5, 40, a.shape)], axis=2)
    b = np.concatenate([b, b + rng.uniform(5, 40, b.shape)], axis=2)
    blocks = iou_blocks(a, b)
    for n in range(3):
        assert np.array_equal(blocks[n], iou(a[n], b[n]))


def test_hand_computed_blocks():
    """Block 0: rows 0 and 1 both want column 0 (0.1 and 0.2) and row 1 may also take column 1 (0.3): the least
    total is 0.1 + 0.3. Block 1: one pair within max_cost 0.5 (0.4); 0.6 is too dear."""
    inf = np.inf
    cost = np.array([[[0.1, inf], [0.2, 0.3]], [[0.4, 0.6], [inf, 0.9]]])
    ones = np.ones((2, 2), bool)
    n, r, c = assign_blocks(cost, ones, ones, 0.5, "scipy")
    assert sorted(zip(n.tolist(), r.tolist(), c.tolist())) == [(0, 0, 0), (0, 1, 1), (1, 0, 0)]
    rows = np.array([[False, True], [True, True]])  # block 0 without row 0: row 1 takes column 0 (0.2)
    n, r, c = assign_blocks(cost, rows, ones, 0.5, "scipy")
    assert sorted(zip(n.tolist(), r.tolist(), c.tolist())) == [(0, 1, 0), (1, 0, 0)]


@pytest.mark.parametrize("method", ["lap", "scipy"])
@pytest.mark.parametrize("max_cost", [0.5, 0.8, np.inf])
def test_assign_blocks_equals_each_block_alone(method, max_cost):
    """Random blocks with many ties (costs on a grid of 0.1) and forbidden pairs: the same pairs as `assign` on
    each block's sub-matrix of its selected rows and columns."""
    rng = np.random.default_rng(1)
    for _ in range(30):
        n_blocks, t, d = rng.integers(1, 6), rng.integers(0, 7), rng.integers(0, 7)
        cost = np.round(rng.uniform(0, 1, (n_blocks, t, d)), 1)
        cost[rng.random(cost.shape) < 0.3] = np.inf
        rows, cols = rng.random((n_blocks, t)) < 0.8, rng.random((n_blocks, d)) < 0.8
        got_n, got_r, got_c = assign_blocks(cost, rows, cols, max_cost, method)
        for k in range(n_blocks):
            rk, ck = rows[k].nonzero()[0], cols[k].nonzero()[0]
            r, c = assign(cost[k][np.ix_(rk, ck)], max_cost, method)
            want = sorted(zip(rk[r].tolist(), ck[c].tolist()))
            assert sorted(zip(got_r[got_n == k].tolist(), got_c[got_n == k].tolist())) == want


def test_sort_assignment_blocks_equals_each_block_alone():
    rng = np.random.default_rng(2)
    for _ in range(30):
        n_blocks, t, d = rng.integers(1, 5), rng.integers(0, 6), rng.integers(0, 6)
        sim = np.round(rng.uniform(0, 1, (n_blocks, t, d)), 1)
        allowed = rng.random(sim.shape) < 0.8
        rows, cols = np.ones((n_blocks, t), bool), np.ones((n_blocks, d), bool)
        got_n, got_r, got_c = sort_assignment_blocks(sim, 0.3, rows, cols, allowed, "scipy")
        for k in range(n_blocks):
            r, c = sort_assignment(sim[k], 0.3, allowed[k], method="scipy")
            assert sorted(zip(got_r[got_n == k].tolist(), got_c[got_n == k].tolist())) == \
                sorted(zip(np.asarray(r).tolist(), np.asarray(c).tolist()))
