"""Cost functions, the class gate and the assignment solver."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from roadtrack.association import class_gate, iou, solve
from roadtrack.core import Matches


# ---- iou -----------------------------------------------------------------------------------------
def test_iou_by_hand():
    a = np.array([[0, 0, 10, 10], [0, 0, 4, 4]])
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30]])
    expected = np.array([
        [50 / (100 + 100 - 50), 1.0, 0.0],  # half overlap: 5 x 10 = 50
        [0.0, 16 / 100, 0.0],  # the 4 x 4 box inside the 10 x 10 box
    ])
    np.testing.assert_allclose(iou(a, b), expected)


def test_iou_zero_area_boxes_give_zero_not_nan():
    point = np.array([[5.0, 5.0, 5.0, 5.0]])
    line = np.array([[0.0, 5.0, 10.0, 5.0]])
    box = np.array([[0.0, 0.0, 10.0, 10.0]])
    out = iou(np.concatenate([point, line, box]), np.concatenate([point, line, box]))
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out, [[0, 0, 0], [0, 0, 0], [0, 0, 1]])


@pytest.mark.parametrize("t, d", [(0, 3), (3, 0), (0, 0)])
def test_iou_empty_shapes(t, d):
    assert iou(np.zeros((t, 4)), np.zeros((d, 4))).shape == (t, d)


def test_iou_matches_pairwise_loop():
    rng = np.random.default_rng(0)
    a = np.sort(rng.uniform(0, 50, (7, 2, 2)), axis=1).transpose(0, 2, 1).reshape(7, 4)[:, [0, 2, 1, 3]]
    b = np.sort(rng.uniform(0, 50, (5, 2, 2)), axis=1).transpose(0, 2, 1).reshape(5, 4)[:, [0, 2, 1, 3]]

    def one(p, q):
        iw = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
        ih = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
        union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - iw * ih
        return iw * ih / union

    np.testing.assert_allclose(iou(a, b), [[one(p, q) for q in b] for p in a], rtol=1e-12)


def test_iou_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"a_xyxy: expected shape \(N, 4\)"):
        iou(np.zeros((2, 3)), np.zeros((1, 4)))


# ---- class_gate ----------------------------------------------------------------------------------
def test_class_gate_forbids_other_classes():
    cost = np.array([[0.1, 0.2], [0.3, 0.4]])
    gated = class_gate(cost, np.array([0, 1]), np.array([1, 1]))
    np.testing.assert_array_equal(gated, [[np.inf, np.inf], [0.3, 0.4]])
    assert cost[0, 0] == 0.1  # pure: the input is unchanged


# ---- solve ---------------------------------------------------------------------------------------
def pairs(m: Matches) -> list[tuple[int, int]]:
    return list(zip(m.rows.tolist(), m.cols.tolist()))


@pytest.mark.parametrize("method", ["lap", "scipy"])
@pytest.mark.parametrize(
    "cost, max_cost, expected",
    [
        # Diagonal is best: 0.1 + 0.2 = 0.3 against 0.9 + 0.8 = 1.7.
        ([[0.1, 0.9], [0.8, 0.2]], 1.0, [(0, 0), (1, 1)]),
        # Pairs above max_cost are never matched: only 0.1 qualifies.
        ([[0.1, 0.9], [0.8, 0.7]], 0.5, [(0, 0)]),
        # inf forbids (0, 0); the rest pairs up: 0.5 + 0.5 = 1.0.
        ([[np.inf, 0.5], [0.5, 0.1]], np.inf, [(0, 1), (1, 0)]),
        # Rectangular, more columns: row 0 takes its cheaper column.
        ([[0.4, 0.3, 0.9]], 1.0, [(0, 1)]),
        # Rectangular, more rows.
        ([[0.4], [0.3], [0.9]], 1.0, [(1, 0)]),
        # A cost equal to max_cost is allowed.
        ([[0.5]], 0.5, [(0, 0)]),
        # Everything forbidden.
        ([[np.inf, np.inf]], np.inf, []),
        # Negative costs are fine (SORT solves on -IoU).
        ([[-0.9, -0.1], [-0.2, -0.8]], np.inf, [(0, 0), (1, 1)]),
    ],
)
def test_solve_by_hand(method, cost, max_cost, expected):
    m = solve(np.array(cost, dtype=float), max_cost, method=method)
    assert pairs(m) == expected
    n_rows, n_cols = np.shape(cost)
    assert sorted(m.rows.tolist() + m.unmatched_rows.tolist()) == list(range(n_rows))
    assert sorted(m.cols.tolist() + m.unmatched_cols.tolist()) == list(range(n_cols))


@pytest.mark.parametrize("method", ["lap", "scipy"])
@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (4, 0)])
def test_solve_empty(method, shape):
    m = solve(np.zeros(shape), 1.0, method=method)
    assert isinstance(m, Matches)
    for field in (m.rows, m.cols, m.unmatched_rows, m.unmatched_cols):
        assert field.dtype == np.int64
    assert m.rows.size == 0 and m.unmatched_rows.tolist() == list(range(shape[0]))
    assert m.unmatched_cols.tolist() == list(range(shape[1]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(cost=np.zeros((2, 2)), max_cost=1.0, method="hungarian"), "unknown method 'hungarian'"),
        (dict(cost=np.zeros(3), max_cost=1.0), r"cost: expected shape \(T, D\)"),
        (dict(cost=np.zeros((2, 2)), max_cost=np.nan), "max_cost must not be NaN"),
    ],
)
def test_solve_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        solve(**kwargs)


def brute_force(cost: np.ndarray, max_cost: float) -> float:
    """Least ``sum(cost - max_cost)`` over all partial matchings of allowed pairs (tiny problems only)."""
    n_rows, n_cols = cost.shape
    best = 0.0
    for k in range(1, min(n_rows, n_cols) + 1):
        for rows in itertools.combinations(range(n_rows), k):
            for cols in itertools.permutations(range(n_cols), k):
                c = cost[list(rows), list(cols)]
                if np.all(c <= max_cost):
                    best = min(best, float(np.sum(c - max_cost)))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_lap_and_scipy_agree_and_are_optimal(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 5, 2))
    cost = rng.uniform(0, 1, shape)  # continuous costs: the optimum is unique almost surely
    cost[rng.random(shape) < 0.2] = np.inf
    max_cost = float(rng.uniform(0.3, 1.0))
    by_lap, by_scipy = solve(cost, max_cost, "lap"), solve(cost, max_cost, "scipy")
    assert pairs(by_lap) == pairs(by_scipy)
    assert by_lap.unmatched_rows.tolist() == by_scipy.unmatched_rows.tolist()
    assert by_lap.unmatched_cols.tolist() == by_scipy.unmatched_cols.tolist()
    value = float(np.sum(cost[by_lap.rows, by_lap.cols] - max_cost))
    assert value == pytest.approx(brute_force(cost, max_cost), abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_without_max_cost_lap_and_scipy_agree_on_larger_problems(seed):
    rng = np.random.default_rng(100 + seed)
    shape = tuple(rng.integers(5, 30, 2))
    cost = rng.uniform(-1, 1, shape)
    cost[rng.random(shape) < 0.3] = np.inf
    by_lap, by_scipy = solve(cost, np.inf, "lap"), solve(cost, np.inf, "scipy")
    assert pairs(by_lap) == pairs(by_scipy)


def test_dense_cost_matrices_have_a_bound():
    # 10 001 x 5 000 pairs = 50 005 000 cells > MAX_DENSE_CELLS (50 000 000): a clear error before any allocation,
    # where 100 000 x 100 000 used to die in numpy asking for 74.5 GiB.
    from roadtrack.association.costs import MAX_DENSE_CELLS

    assert MAX_DENSE_CELLS == 50_000_000
    with pytest.raises(ValueError, match=r"IoU of 10001 x 5000 boxes would need a 0\.4 GiB matrix; the bound"):
        iou(np.zeros((10001, 4)), np.zeros((5000, 4)))
    with pytest.raises(ValueError, match="74.5 GiB"):
        iou(np.zeros((100_000, 4)), np.zeros((100_000, 4)))
    assert iou(np.zeros((10000, 4)), np.zeros((5000, 4))).shape == (10000, 5000)  # at the bound: computed


def test_a_frame_beyond_the_bound_fails_clearly_and_leaves_the_tracker_as_it_was():
    import roadtrack
    from roadtrack.core import Detections

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100_000, (7100, 2))
    dets = Detections(np.concatenate([xy, xy + 20], axis=1), scores=np.full(7100, 0.9))
    tracker = roadtrack.build("tracker", "bytetrack")
    tracker.update(dets)  # 7 100 tracks start
    with pytest.raises(ValueError, match="7100 x 7100 boxes"):
        tracker.update(dets)  # 7 100 x 7 100 = 50 410 000 pairs
    assert tracker.frame_count == 1 and tracker.tracks.age.tolist() == [0] * 7100
