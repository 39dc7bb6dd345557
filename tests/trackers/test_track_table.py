"""`TrackTable`: vectorised append / keep and the score-weighted class vote."""

from __future__ import annotations

import numpy as np

from roadtrack.core import TrackState
import pytest

from roadtrack.trackers import Column, TrackTable
from roadtrack.trackers.table import CORE_COLUMNS

PART_COLUMNS = {"mean": Column((3,)), "cov": Column((3, 3)), "obs_age": Column((2,), np.int64, -1)}


def table_with(n: int, classes=None, scores=None) -> TrackTable:
    t = TrackTable(PART_COLUMNS)
    classes = np.zeros(n, np.int64) if classes is None else np.asarray(classes)
    scores = np.ones(n) if scores is None else np.asarray(scores, float)
    t.append(n, ids=np.arange(1, n + 1), mean=np.zeros((n, 3)), cov=np.zeros((n, 3, 3)), class_ids=classes,
             scores=scores, det_index=np.arange(n))
    return t


def test_append_sets_fresh_counters():
    t = table_with(3)
    assert len(t) == 3 and t.ids.tolist() == [1, 2, 3]
    for name in ("hits", "hit_streak", "age", "time_since_update"):
        assert getattr(t, name).tolist() == [0, 0, 0]
    assert t.state.tolist() == [TrackState.TENTATIVE] * 3
    assert t.mean.shape == (3, 3) and t.cov.shape == (3, 3, 3)
    assert t.obs_age.tolist() == [[-1, -1]] * 3  # a part's own fill value


def test_columns_are_the_core_ones_plus_the_parts():
    assert TrackTable().row_fields == tuple(CORE_COLUMNS)
    assert TrackTable(PART_COLUMNS).row_fields == (*CORE_COLUMNS, "mean", "cov", "obs_age")
    with pytest.raises(ValueError, match="declared twice: ids"):
        TrackTable({"ids": Column()})
    with pytest.raises(ValueError, match="unknown track table column"):
        TrackTable().append(1, velocity=np.zeros((1, 2)))


def test_restore_puts_back_replaced_columns():
    t = table_with(2)
    before = t.snapshot()
    t.age = t.age + 1
    t.keep(np.array([True, False]))
    t.restore(before)
    assert len(t) == 2 and t.age.tolist() == [0, 0]


def test_keep_selects_rows_of_every_field_in_order():
    t = table_with(4, classes=[0, 1, 0, 1])
    t.keep(np.array([True, False, True, True]))
    assert t.ids.tolist() == [1, 3, 4] and t.class_ids.tolist() == [0, 0, 1] and t.det_index.tolist() == [0, 2, 3]
    assert all(getattr(t, name).shape[0] == 3 for name in t.row_fields)


def test_vote_by_hand():
    t = table_with(2, classes=[5, 7], scores=[0.9, 0.5])
    # Row 0: class 5 has 0.9; a class 7 vote of 0.6 (< 0.9) leaves it at 5, a second (1.2 > 0.9) flips it.
    t.vote(np.array([0]), np.array([7]), np.array([0.6]))
    assert t.class_ids.tolist() == [5, 7]
    t.vote(np.array([0]), np.array([7]), np.array([0.6]))
    assert t.class_ids.tolist() == [7, 7]
    # A class never seen before gets a new column; a tie (0.5 vs 0.5) keeps the current class.
    t.vote(np.array([1]), np.array([-1]), np.array([0.5]))
    assert t.classes.tolist() == [-1, 5, 7] and t.class_ids.tolist() == [7, 7]
    np.testing.assert_allclose(t.class_votes, [[0.0, 0.9, 1.2], [0.5, 0.0, 0.5]])


def test_negative_scores_do_not_vote():
    t = table_with(1, classes=[1], scores=[0.2])
    t.vote(np.array([0]), np.array([2]), np.array([-5.0]))
    assert t.class_ids.tolist() == [1]
