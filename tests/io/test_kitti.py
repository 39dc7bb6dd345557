import numpy as np
import pytest

from roadtrack.core import Tracks
from roadtrack.io import KITTI_CLASSES, KittiWriter, read_kitti_tracking, write_kitti_tracking
from roadtrack.io.kitti import kitti_class_ids

SEQUENCES = [f"{i:04d}" for i in range(21)]


@pytest.fixture
def labels(shared):
    return shared("data", "kitti_tracking", "training", "label_02")


@pytest.mark.parametrize("seq", SEQUENCES)
def test_label_files_round_trip_exactly(labels, tmp_path, seq):
    source = labels / f"{seq}.txt"
    rows = read_kitti_tracking(source)
    lines = source.read_text().splitlines()
    assert len(rows) == len(lines)
    assert rows.extra["type"].tolist() == [line.split(" ")[2] for line in lines]  # type strings preserved
    dont_care = rows.extra["type"] == "DontCare"
    assert np.all(rows.ids[dont_care] == -1) and np.all(rows.class_ids[dont_care] == KITTI_CLASSES.index("DontCare"))
    out = write_kitti_tracking(tmp_path / "out.txt", rows)
    again = read_kitti_tracking(out)
    assert again.equals(rows)
    # Labels have no score column, and the writer does not invent one.
    assert len(out.read_text().splitlines()[0].split(" ")) == 17


def test_first_object_of_sequence_0000_by_hand(labels):
    # Line 3: 0 0 Van 0 0 -1.793451 296.744956 161.752147 455.226042 292.372804 2.000000 1.823255 4.433886
    #         -4.552284 1.858523 13.410495 -2.115488
    van = read_kitti_tracking(labels / "0000.txt")[2]
    assert van.frames.tolist() == [0] and van.ids.tolist() == [0]  # 0-based frames kept as in the file
    assert van.class_ids.tolist() == [KITTI_CLASSES.index("Van")] == [1]
    assert van.xyxy.tolist() == [[296.744956, 161.752147, 455.226042, 292.372804]]
    assert van.scores.tolist() == [1.0]
    expected = {"truncated": 0, "occluded": 0, "alpha": -1.793451, "height_3d": 2.0, "width_3d": 1.823255,
                "length_3d": 4.433886, "x_3d": -4.552284, "y_3d": 1.858523, "z_3d": 13.410495, "rotation_y": -2.115488}
    assert {k: van.extra[k].tolist()[0] for k in expected} == expected


def test_class_ids_from_types():
    # The tracking labels write the object benchmark's Person_sitting as "Person"; unknown types get -1.
    assert kitti_class_ids(np.array(["Car", "Person", "Person_sitting", "DontCare", "Bus"])).tolist() == [0, 4, 4, 8, -1]


def test_result_file_with_scores(tmp_path):
    path = tmp_path / "res.txt"
    path.write_text("3 5 Car -1 -1 -10 1 2 30.5 40 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.75\n")
    rows = read_kitti_tracking(path)
    assert rows.scores.tolist() == [0.75] and rows.xyxy.tolist() == [[1, 2, 30.5, 40]]
    assert write_kitti_tracking(tmp_path / "out.txt", rows).read_text() == path.read_text()


@pytest.mark.parametrize(
    "text, match",
    [
        ("0 1 Car 0 0 0 1 2 3 4 1 1 1 1 1 1\n", r"line 1: expected 17, 18 or more columns, got 16"),
        ("0 1 Car 0 0 0 1 2 3 4 1 1 1 1 1 1 1\n0 2 Car 0 0 0 x 2 3 4 1 1 1 1 1 1 1\n", r"line 2: not a number: 'x'"),
        ("0 1 Car 0 0 0 1 2 3 4 1 1 1 1 1 1 1\n0 1 Car 0 0 0 1 2 3 4 1 1 1 1 1 1 1 0.5\n",
         r"line 2: 18 columns where earlier lines have 17"),
        ("0.5 1 Car 0 0 0 1 2 3 4 1 1 1 1 1 1 1\n", r"line 1: bad frame"),
        ("0 1 Car 0 0 0 5 2 3 4 1 1 1 1 1 1 1\n", r"line 1: bad box"),  # x2 = 3 < x1 = 5
    ],
)
def test_read_errors(tmp_path, text, match):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_kitti_tracking(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="none.txt"):
        read_kitti_tracking(tmp_path / "none.txt")


def test_kitti_writer_lines_by_hand(tmp_path):
    tracks = Tracks(ids=[4, 2, 9], xyxy=[[10, 20, 15, 28], [1, 2, 3.5, 4], [0, 0, 1, 1]], scores=[0.9, 0.5, 0.1],
                    class_ids=[0, 2, 9])
    path = tmp_path / "kitti.txt"
    with KittiWriter(path, {0: "person", 2: "car", 9: "traffic light"}) as out:
        out.write(1, tracks)  # roadtrack frame 1 is KITTI frame 0
        out.write(2, Tracks.empty())
    assert path.read_text().splitlines() == [
        "0 2 Car -1 -1 -10 1 2 3.5 4 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.5",
        "0 4 Pedestrian -1 -1 -10 10 20 15 28 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.9",
        "0 9 traffic_light -1 -1 -10 0 0 1 1 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.1",
    ]
    rows = read_kitti_tracking(path)
    assert rows.class_ids.tolist() == [0, 3, -1]  # Car, Pedestrian, not a KITTI class
    assert rows.scores.tolist() == [0.5, 0.9, 0.1]


def test_kitti_writer_rounds_corners_and_score(tmp_path):
    path = tmp_path / "kitti.txt"
    with KittiWriter(path, {0: "car"}) as out:
        out.write(1, Tracks(ids=[3], xyxy=[[639.4499999999999, 1.0005, 700.1234, 50]], scores=[0.4567], class_ids=[0]))
    # 1.0005 is stored as 1.000499999999999945..., so it rounds down to 1 (ties do not arise).
    assert path.read_text() == "0 3 Car -1 -1 -10 639.45 1 700.123 50 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.457\n"


def test_kitti_result_columns_after_the_score_are_ignored_as_trackeval_does(tmp_path):
    # The published GT-SORT results have 19 columns; TrackEval reads columns 0..17 by position.
    path = tmp_path / "0000.txt"
    path.write_text("0 1 Car -1 -1 -10 1 2 30 40 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.9 7\n"
                    "1 1 Car -1 -1 -10 1 2 30 41 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.8 7\n")
    rows = read_kitti_tracking(path)
    assert rows.scores.tolist() == [0.9, 0.8] and rows.xyxy[1].tolist() == [1, 2, 30, 41]
    path.write_text("0 1 Car -1 -1 -10 1 2 30 40 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.9 7\n"
                    "1 1 Car -1 -1 -10 1 2 30 41 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.8\n")
    with pytest.raises(ValueError, match=r"0000.txt, line 2: 18 columns where earlier lines have 19"):
        read_kitti_tracking(path)


def test_kitti_writer_unnamed_class_and_partial_on_error(tmp_path):
    path = tmp_path / "kitti.txt"
    with pytest.raises(RuntimeError):
        with KittiWriter(path, {}) as out:
            out.write(5, Tracks(ids=[1], xyxy=[[0, 0, 2, 2]], scores=[1.0], class_ids=[3]))
            raise RuntimeError("stop")
    assert not path.exists()
    assert (tmp_path / "kitti.txt.partial").read_text().startswith("4 1 class3 ")
