"""`IoUAssociator`: SORT's association rules."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.association import IoUAssociator
from roadtrack.core import Detections


def strip(x1: float, x2: float) -> list[float]:
    """A box spanning [x1, x2] horizontally and [0, 10] vertically: IoU is then overlap / union along x."""
    return [x1, 0.0, x2, 10.0]


@pytest.mark.parametrize("method", ["lap", "scipy"])
def test_discards_below_threshold_after_solving_as_sort_does(method):
    # Tracks A = [0, 10], B = [12, 22]; detections d1 = [4, 14], d2 = [-5, 5]. IoU along x:
    #   A-d1 = 6 / 14 = 0.429   A-d2 = 5 / 15 = 0.333
    #   B-d1 = 2 / 18 = 0.111   B-d2 = 0
    # Row A has two pairs above 0.3, so SORT solves the full assignment on IoU:
    #   {A-d1, B-d2} = 0.429 < {A-d2, B-d1} = 0.444, and then drops B-d1 (0.111 < 0.3).
    # Forbidding pairs below 0.3 before solving would have matched A-d1 instead.
    tracks = np.array([strip(0, 10), strip(12, 22)])
    dets = Detections([strip(4, 14), strip(-5, 5)])
    m = IoUAssociator(iou_threshold=0.3, method=method).associate(tracks, np.zeros(2, np.int64), dets)
    assert (m.rows.tolist(), m.cols.tolist()) == ([0], [1])
    assert m.unmatched_rows.tolist() == [1] and m.unmatched_cols.tolist() == [0]


def test_one_to_one_candidates_are_taken_directly():
    # A-d0 = 1.0 and B-d1 = 8 / 12 = 0.667 are the only pairs above 0.3.
    tracks = np.array([strip(0, 10), strip(20, 30)])
    dets = Detections([strip(0, 10), strip(22, 32)])
    m = IoUAssociator().associate(tracks, np.zeros(2, np.int64), dets)
    assert (m.rows.tolist(), m.cols.tolist()) == ([0, 1], [0, 1])


def test_pair_below_threshold_is_not_matched():
    # IoU 2 / 18 = 0.111 < 0.3.
    m = IoUAssociator().associate(np.array([strip(0, 10)]), np.zeros(1, np.int64), Detections([strip(8, 18)]))
    assert m.rows.size == 0 and m.unmatched_rows.tolist() == [0] and m.unmatched_cols.tolist() == [0]


def test_class_aware_forbids_other_classes():
    tracks = np.array([strip(0, 10)])
    dets = Detections([strip(0, 10)], class_ids=[2])
    aware = IoUAssociator(class_aware=True).associate(tracks, np.array([1]), dets)
    blind = IoUAssociator(class_aware=False).associate(tracks, np.array([1]), dets)
    assert aware.rows.size == 0
    assert (blind.rows.tolist(), blind.cols.tolist()) == ([0], [0])


def test_class_aware_takes_the_same_class_box_even_when_another_overlaps_more():
    # Track of class 0 at [0, 10]; the class-1 box overlaps it fully, the class-0 box by 8 / 12 = 0.667.
    dets = Detections([strip(0, 10), strip(2, 12)], class_ids=[1, 0])
    m = IoUAssociator().associate(np.array([strip(0, 10)]), np.array([0]), dets)
    assert (m.rows.tolist(), m.cols.tolist()) == ([0], [1])


@pytest.mark.parametrize("n_tracks, n_dets", [(0, 0), (0, 3), (3, 0)])
def test_empty_inputs(n_tracks, n_dets):
    dets = Detections(np.tile(strip(0, 10), (n_dets, 1)))
    m = IoUAssociator().associate(np.tile(strip(0, 10), (n_tracks, 1)), np.zeros(n_tracks, np.int64), dets)
    assert m.rows.size == 0
    assert m.unmatched_rows.tolist() == list(range(n_tracks)) and m.unmatched_cols.tolist() == list(range(n_dets))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(iou_threshold=1.5), r"iou_threshold must lie in \[0, 1\]"),
        (dict(method="auction"), "unknown method 'auction'"),
    ],
)
def test_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        IoUAssociator(**kwargs)


def test_registered_by_name():
    built = roadtrack.build("associator", "iou", iou_threshold=0.5)
    assert isinstance(built, IoUAssociator) and built.iou_threshold == 0.5
