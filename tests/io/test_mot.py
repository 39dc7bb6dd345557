import numpy as np
import pytest

from roadtrack.core import Tracks
from roadtrack.io import MotWriter, read_mot, write_mot

MOT15_TRAIN = [
    "ADL-Rundle-6", "ADL-Rundle-8", "ETH-Bahnhof", "ETH-Pedcross2", "ETH-Sunnyday", "KITTI-13", "KITTI-17",
    "PETS09-S2L1", "TUD-Campus", "TUD-Stadtmitte", "Venice-2",
]


@pytest.mark.parametrize("kind", ["gt/gt.txt", "det/det.txt"])
@pytest.mark.parametrize("seq", MOT15_TRAIN)
def test_mot15_files_round_trip_exactly(mot15, tmp_path, seq, kind):
    source = mot15 / seq / kind
    rows = read_mot(source)
    assert len(rows) == source.read_bytes().count(b"\n")  # one row per line
    assert sorted(rows.extra) == ["world_x", "world_y", "world_z"]  # MOT15 files have 10 columns
    out = write_mot(tmp_path / "out.txt", rows)
    again = read_mot(out)
    assert again.equals(rows)
    # The shortest-repr formatting even reproduces the original text.
    assert out.read_text() == source.read_text()


def test_pets_first_detection_by_hand(mot15):
    # det.txt line 1: 1,-1,649.441,231.502,44.417,86.13,0.995474,-1,-1,-1
    rows = read_mot(mot15 / "PETS09-S2L1" / "det" / "det.txt")
    first = rows[0]
    assert first.frames.tolist() == [1] and first.ids.tolist() == [-1]
    assert first.xyxy.tolist() == [[649.441, 231.502, 649.441 + 44.417, 231.502 + 86.13]]
    assert first.scores.tolist() == [0.995474]
    assert [first.extra[k].tolist() for k in ("world_x", "world_y", "world_z")] == [[-1], [-1], [-1]]


def test_min_score_and_class_id(tmp_path):
    path = tmp_path / "det.txt"
    path.write_text("1,-1,0,0,10,10,0.9,-1,-1,-1\n1,-1,0,0,10,10,0.3,-1,-1,-1\n2,-1,5,5,1,1,0.5,-1,-1,-1\n")
    rows = read_mot(path, min_score=0.5, class_id=3)
    assert rows.scores.tolist() == [0.9, 0.5]  # 0.3 < 0.5 dropped, 0.5 kept
    assert rows.class_ids.tolist() == [3, 3]


@pytest.mark.parametrize(
    "text, extra, rewritten",
    [
        # 6 columns: no conf, score 1; written back with conf and -1 world columns.
        ("1,2,10,20,5,8\n", {}, "1,2,10,20,5,8,1,-1,-1,-1\n"),
        # 7 columns.
        ("1,2,10,20,5,8,0.5\n", {}, "1,2,10,20,5,8,0.5,-1,-1,-1\n"),
        # 9 columns (MOT16/17 gt): class and visibility kept and written back as 9 columns.
        ("1,2,10,20,5,8,1,1,0.75\n", {"mot_class": [1], "visibility": [0.75]}, "1,2,10,20,5,8,1,1,0.75\n"),
        # 10 columns (MOT15 gt): world x, y, z.
        ("1,2,10,20,5,8,1,-4.1554,-7.3591,0\n", {"world_x": [-4.1554], "world_y": [-7.3591], "world_z": [0]},
         "1,2,10,20,5,8,1,-4.1554,-7.3591,0\n"),
    ],
)
def test_column_layouts(tmp_path, text, extra, rewritten):
    path = tmp_path / "in.txt"
    path.write_text(text)
    rows = read_mot(path)
    assert rows.xyxy.tolist() == [[10, 20, 10 + 5, 20 + 8]]
    assert {k: v.tolist() for k, v in rows.extra.items()} == extra
    assert write_mot(tmp_path / "out.txt", rows).read_text() == rewritten


@pytest.mark.parametrize(
    "text, error, match",
    [
        ("1,1,10,20,5,8,1\n1,2,x,20,5,8,1\n", ValueError, r"in\.txt, line 2: not a number: 'x'"),
        ("1,1,10,20,5\n", ValueError, r"line 1: expected 6, 7, 8, 9, 10 columns, got 5"),
        ("1,1,10,20,5,8,1\n2,1,10,20,5,8\n", ValueError, r"line 2: 6 columns where earlier lines have 7"),
        ("1,1,10,20,5,8,1\n\n   \n2,1,10,20,x,8,1\n", ValueError, r"line 4: not a number"),
        ("1.5,1,10,20,5,8,1\n", ValueError, r"line 1: bad frame: 1\.5"),
        ("1,1,10,20,5,8,1\n2,0.5,10,20,5,8,1\n", ValueError, r"line 2: bad id: 0\.5"),
        ("1,1,10,20,-5,8,1\n", ValueError, r"line 1: bad box"),
        ("1,1,10,20,5,8,nan\n", ValueError, r"line 1: bad conf"),
        ("1,1,10,20,5,8,1\n  \n2,1,10,20,5,8,1\n\n", None, None),  # blank lines are skipped: does not raise
        ("", None, None),  # an empty file has no rows
    ],
)
def test_read_errors(tmp_path, text, error, match):
    path = tmp_path / "in.txt"
    path.write_text(text)
    if error is None:
        assert len(read_mot(path)) == text.count(",1\n")
    else:
        with pytest.raises(error, match=match):
            read_mot(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        read_mot(tmp_path / "nope.txt")


def _tracks(ids, xyxy, scores) -> Tracks:
    return Tracks(np.array(ids), np.array(xyxy, float), np.array(scores, float), np.zeros(len(ids), np.int64))


def test_mot_writer_lines_by_hand(tmp_path):
    path = tmp_path / "tracks.txt"
    with MotWriter(path) as out:
        out.write(1, _tracks([2, 1], [[10, 20, 15, 28], [0.5, 1.25, 3, 4]], [0.9, 1.0]))
        out.write(2, Tracks.empty())
        out.write(3, _tracks([1], [[1, 2, 3.5, 4.5]], [0.25]))
        assert not path.exists()  # appears only when complete
    # Sorted by id within a frame; w = x2 - x1 (15 - 10 = 5, 3 - 0.5 = 2.5), h = y2 - y1 (28 - 20 = 8, 4 - 1.25 = 2.75).
    assert path.read_text().splitlines() == [
        "1,1,0.5,1.25,2.5,2.75,1,-1,-1,-1",
        "1,2,10,20,5,8,0.9,-1,-1,-1",
        "3,1,1,2,2.5,2.5,0.25,-1,-1,-1",
    ]
    rows = read_mot(path)
    assert rows.frames.tolist() == [1, 1, 3] and rows.ids.tolist() == [1, 2, 1]
    assert rows.xyxy.tolist() == [[0.5, 1.25, 3, 4], [10, 20, 15, 28], [1, 2, 3.5, 4.5]]


def test_mot_writer_round_trips_arbitrary_floats(tmp_path):
    rng = np.random.default_rng(0)
    corners = np.sort(rng.uniform(-50, 2000, size=(500, 2, 2)), axis=1)  # (x1 < x2, y1 < y2) pairs
    xyxy = np.stack([corners[:, 0, 0], corners[:, 0, 1], corners[:, 1, 0], corners[:, 1, 1]], axis=1)
    tracks = _tracks(np.arange(500), xyxy, rng.uniform(0, 1, 500))
    with MotWriter(tmp_path / "t.txt", decimals=None) as out:  # exact values, not rounded
        out.write(7, tracks)
    back = read_mot(tmp_path / "t.txt")
    assert back.ids.tolist() == list(range(500)) and np.array_equal(back.scores, tracks.scores)
    assert np.array_equal(back.xyxy[:, :2], xyxy[:, :2])
    # The file stores w = x2 - x1; x1 + w can only land on x2 up to float64 rounding (one ulp).
    assert np.all(np.abs(back.xyxy[:, 2:] - xyxy[:, 2:]) <= np.abs(np.spacing(xyxy[:, 2:])))
    # Rewriting what was read is exact again.
    write_mot(tmp_path / "again.txt", back)
    assert read_mot(tmp_path / "again.txt").equals(back)


def test_mot_writer_rejects_frames_out_of_order(tmp_path):
    with MotWriter(tmp_path / "t.txt") as out:
        out.write(5, Tracks.empty())
        with pytest.raises(ValueError, match="got frame 4 after 5"):
            out.write(4, Tracks.empty())


def test_mot_writer_keeps_partial_on_error(tmp_path):
    path = tmp_path / "t.txt"
    with pytest.raises(KeyboardInterrupt):
        with MotWriter(path) as out:
            out.write(1, _tracks([1], [[0, 0, 1, 1]], [0.5]))
            raise KeyboardInterrupt
    assert not path.exists()
    assert (tmp_path / "t.txt.partial").read_text() == "1,1,0,0,1,1,0.5,-1,-1,-1\n"


def test_mot_writer_rounds_to_three_decimals_by_default(tmp_path):
    # A Kalman box lands on 639.4499999999999 (float noise); the file shows 639.45, as MOTChallenge files do.
    # w = round(700.0044 - 639.4499999999999, 3) = round(60.5544.., 3) = 60.554; h = round(3.3333 - 0.1, 3) = 3.233.
    path = tmp_path / "t.txt"
    with MotWriter(path) as out:
        out.write(1, _tracks([1], [[639.4499999999999, 0.1, 700.0044, 3.3333]], [0.876543]))
    assert path.read_text() == "1,1,639.45,0.1,60.554,3.233,0.877,-1,-1,-1\n"
    with MotWriter(path, decimals=1) as out:
        out.write(1, _tracks([1], [[639.4499999999999, 0.1, 700.0044, 3.3333]], [0.876543]))
    assert path.read_text() == "1,1,639.4,0.1,60.6,3.2,0.9,-1,-1,-1\n"  # 639.4499.. rounds down at one decimal


def test_tiny_and_huge_numbers_are_written_positionally(tmp_path):
    path = tmp_path / "t.txt"
    with MotWriter(path, decimals=None) as out:
        out.write(1, _tracks([1], [[0, 0, 1, 1]], [3.25e-7]))
    assert path.read_text() == "1,1,0,0,1,1,0.000000325,-1,-1,-1\n"  # not 3.25e-07
    assert read_mot(path).scores.tolist() == [3.25e-7]
