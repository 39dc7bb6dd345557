import numpy as np
import pytest

from roadtrack.core import Detections, Tracks
from roadtrack.io import TrackRows


def _rows() -> TrackRows:
    # Deliberately not sorted by frame: file order must be kept within a frame.
    return TrackRows(
        frames=[3, 1, 3, 2],
        ids=[7, 5, 8, 5],
        xyxy=[[0, 0, 1, 1], [1, 1, 2, 2], [2, 2, 3, 3], [3, 3, 4, 4]],
        scores=[0.1, 0.2, 0.3, 0.4],
        class_ids=[0, 1, 0, 1],
        extra={"visibility": [0.5, 0.6, 0.7, 0.8]},
    )


def test_defaults_and_dtypes():
    rows = TrackRows(frames=[1, 2], ids=[4, 4], xyxy=[[0, 0, 2, 2], [1, 1, 3, 3]])
    assert rows.frames.dtype == np.int64 and rows.ids.dtype == np.int64
    assert rows.scores.tolist() == [1.0, 1.0] and rows.class_ids.tolist() == [0, 0]
    assert dict(rows.extra) == {}
    assert rows.tlwh.tolist() == [[0, 0, 2, 2], [1, 1, 2, 2]]


def test_split_by_frame_groups_in_frame_order_keeping_file_order():
    groups = [(frame, part.ids.tolist(), part.extra["visibility"].tolist()) for frame, part in _rows().split_by_frame()]
    assert groups == [(1, [5], [0.6]), (2, [5], [0.8]), (3, [7, 8], [0.5, 0.7])]


def test_frame_numbers_and_for_frame():
    rows = _rows()
    assert rows.frame_numbers().tolist() == [1, 2, 3]
    assert rows.for_frame(3).ids.tolist() == [7, 8]
    assert len(rows.for_frame(99)) == 0


def test_indexing_slices_extra_columns():
    part = _rows()[np.array([True, False, True, False])]
    assert part.ids.tolist() == [7, 8] and part.extra["visibility"].tolist() == [0.5, 0.7]
    assert _rows()[1].frames.tolist() == [1]  # an int keeps the row dimension


def test_concat_and_equals():
    rows = _rows()
    joined = TrackRows.concat([rows[:2], rows[2:]])
    assert joined.equals(rows)
    assert not joined.equals(rows[:3])
    assert not rows.equals(TrackRows(rows.frames, rows.ids, rows.xyxy, rows.scores, rows.class_ids))  # extra differs


def test_conversions_of_one_frame():
    part = _rows().for_frame(3)
    tracks = part.to_tracks()
    assert isinstance(tracks, Tracks) and tracks.ids.tolist() == [7, 8] and tracks.scores.tolist() == [0.1, 0.3]
    dets = part.to_detections()
    assert isinstance(dets, Detections) and dets.xyxy.tolist() == [[0, 0, 1, 1], [2, 2, 3, 3]]
    back = TrackRows.from_tracks(3, tracks)
    assert back.frames.tolist() == [3, 3] and back.ids.tolist() == [7, 8]


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: _rows().to_tracks(), ValueError, "rows span 3 frames"),
        (lambda: _rows().to_detections(), ValueError, "rows span 3 frames"),
        (lambda: TrackRows([1], [1], [[0, 0, 1, 1]], extra={"v": [1, 2]}), ValueError, r"extra\['v'\]: expected 1 rows"),
        (lambda: TrackRows([1], [1], [[2, 0, 1, 1]]), ValueError, "x2 < x1"),
        (lambda: TrackRows([1.5], [1], [[0, 0, 1, 1]]), ValueError, "frames: expected whole numbers"),
        (lambda: TrackRows.concat([_rows(), TrackRows([1], [1], [[0, 0, 1, 1]])]), ValueError, "extra columns differ"),
        (lambda: TrackRows.concat([_rows(), _rows()]), None, None),  # does not raise
    ],
)
def test_errors(make, error, match):
    if error is None:
        make()
    else:
        with pytest.raises(error, match=match):
            make()


def test_empty():
    rows = TrackRows.empty(["world_x"])
    assert len(rows) == 0 and rows.xyxy.shape == (0, 4) and list(rows.extra) == ["world_x"]
    assert list(rows.split_by_frame()) == []
    assert len(rows.to_tracks()) == 0
