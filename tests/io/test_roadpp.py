"""ROAD++ submission pickles: round trips, validation before writing, conversion from tracker tubes."""

import pickle
import zipfile

import numpy as np
import pytest

from roadtrack.core import Tube
from roadtrack.io.roadpp import (
    SUBMISSION_SIZE, SubmissionTube, read_submission, submission_tube, validate_submission, write_submission,
    zip_submission,
)


def good_tube(**changes):
    tube = {"label_id": 1, "scores": np.array([0.9, 0.8, 0.7]), "boxes": np.array([[10, 20, 50, 80]] * 3, float),
            "score": 0.8, "frames": np.array([4, 5, 6])}
    tube.update(changes)
    return tube


def submission(**changes):
    return {"agent": {"val_00000": [good_tube(**changes)]}, "triplet": {"val_00001": [good_tube(label_id=85)]}}


def test_round_trip(tmp_path):
    path = write_submission(tmp_path / "tubes.pkl", submission())
    raw = pickle.loads(path.read_bytes())
    # The pickled layout the evaluator indexes: numpy arrays, int label, float score.
    tube = raw["agent"]["val_00000"][0]
    assert set(tube) == {"label_id", "scores", "boxes", "score", "frames"}
    assert isinstance(tube["frames"], np.ndarray) and tube["frames"].dtype == np.int64
    assert isinstance(tube["boxes"], np.ndarray) and tube["boxes"].shape == (3, 4)
    assert type(tube["label_id"]) is int and type(tube["score"]) is float
    back = read_submission(path)
    assert list(back) == ["agent", "triplet"]
    got = back["agent"]["val_00000"][0]
    assert got.label_id == 1 and got.frames.tolist() == [4, 5, 6] and got.score == 0.8
    np.testing.assert_array_equal(got.boxes, good_tube()["boxes"])
    assert back["triplet"]["val_00001"][0].label_id == 85


def test_submission_tube_objects_and_empty_lists(tmp_path):
    t = SubmissionTube(0, [1, 2], [[0, 0, 840, 600], [1, 1, 2, 2]], [1.0, 0.5], 0.75)
    path = write_submission(tmp_path / "s.pkl", {"agent": {"val_00000": [t], "val_00001": []}})
    back = read_submission(path)
    assert back["agent"]["val_00001"] == [] and back["agent"]["val_00000"][0].boxes[0].tolist() == [0, 0, 840, 600]


@pytest.mark.parametrize("bad, match", [
    (submission(label_id=10), r"agent/val_00000/tube 0: label_id 10 is not a agent class id of road_waymo \(0\.\.9\)"),
    (submission(label_id=-1), r"label_id -1"),
    (submission(label_id=1.0), r"label_id 1\.0"),
    (submission(label_id=True), r"label_id True"),
    (submission(frames=np.array([4, 5, 7])), r"frames must be contiguous and increasing: frame 5 is followed by 7"),
    (submission(frames=np.array([6, 5, 4])), r"frame 6 is followed by 5"),
    (submission(frames=np.array([0, 1, 2])), r"frames are 1-based, got first frame 0"),
    (submission(frames=[4, 5, 6]), None),  # a list is converted: does not raise
    (submission(frames=np.array([4.0, 5.0, 6.0])), r"frames must be a non-empty 1-D integer array"),
    (submission(frames=np.array([], int), boxes=np.zeros((0, 4)), scores=np.zeros(0)), r"non-empty"),
    (submission(boxes=np.array([[10, 20, 50, 80]] * 2, float)), r"boxes must be a \(3, 4\) numeric array"),
    (submission(boxes=np.array([[10, 20, np.nan, 80]] * 3)), r"NaN or inf in boxes at frame 4"),
    (submission(boxes=np.array([[10, 20, 50, 80], [10, 20, 50, 80], [10, 20, 850, 80]], float)),
     r"box \[10\.0, 20\.0, 850\.0, 80\.0\] at frame 6 is outside the 840x600 frame"),
    (submission(boxes=np.array([[-1, 20, 50, 80]] * 3, float)), r"at frame 4 is outside the 840x600 frame"),
    (submission(boxes=np.array([[50, 20, 10, 80]] * 3, float)), r"at frame 4 has x2 < x1 or y2 < y1"),
    (submission(scores=np.array([0.9, np.inf, 0.7])), r"NaN or inf in scores at frame 5"),
    (submission(scores=np.array([0.9, 0.8])), r"scores must be a \(3,\) numeric array"),
    (submission(score=float("nan")), r"score must be a finite number"),
    (submission(score="high"), r"score must be a finite number, got 'high'"),
    ({"event": {}}, r"unknown label type 'event'"),
    ({"agent": {"val_00000": good_tube()}}, r"agent/val_00000: expected a list of tubes, got dict"),
    ({"agent": {3: []}}, r"video names must be strings, got 3"),
    ({"agent": {"v": [{"label_id": 1}]}}, r"missing keys \['scores', 'boxes', 'score', 'frames'\]"),
    ([1, 2], r"expected a dict of label type"),
    (submission(), None),  # does not raise
])
def test_validation_errors_and_nothing_written(tmp_path, bad, match):
    path = tmp_path / "tubes.pkl"
    if match is None:
        write_submission(path, bad)
        assert path.exists()
        return
    with pytest.raises(ValueError, match=match):
        write_submission(path, bad)
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a .partial


def test_error_names_the_file_on_read(tmp_path):
    path = tmp_path / "theirs.pkl"
    path.write_bytes(pickle.dumps(submission(frames=np.array([1, 3, 4]))))
    with pytest.raises(ValueError, match=r"theirs\.pkl: agent/val_00000/tube 0: frames must be contiguous"):
        read_submission(path)


@pytest.mark.parametrize("content, match", [
    (b"not a pickle", r"junk\.pkl: not a readable pickle"),
    (pickle.dumps(submission())[:40], r"junk\.pkl: not a readable pickle"),
])
def test_unreadable_files(tmp_path, content, match):
    path = tmp_path / "junk.pkl"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        read_submission(path)


def test_frame_size_and_label_set_are_parameters(tmp_path):
    # ROAD labels (10 agents with OthTL = 9) and the 682 x 512 space.
    sub = {"agent": {"v": [good_tube(label_id=9, boxes=np.array([[0, 0, 682, 512]] * 3, float))]}}
    write_submission(tmp_path / "road.pkl", sub, labels="road", frame_size=(682, 512))
    with pytest.raises(ValueError, match="outside the 682x512 frame"):
        validate_submission({"agent": {"v": [good_tube(boxes=np.array([[0, 0, 700, 10]] * 3, float))]}},
                            "road", (682, 512))
    assert validate_submission({"agent": {"v": [good_tube(boxes=np.array([[0, 0, 900, 10]] * 3, float))]}},
                               frame_size=None)  # bounds check off


def test_zip_holds_the_one_pickle(tmp_path):
    pkl = write_submission(tmp_path / "tubes_none_0.pkl", submission())
    zipped = zip_submission(pkl)
    assert zipped == tmp_path / "tubes_none_0.zip"
    with zipfile.ZipFile(zipped) as zf:
        assert zf.namelist() == ["tubes_none_0.pkl"]
    assert read_submission(zipped)["agent"]["val_00000"][0].frames.tolist() == [4, 5, 6]


def test_submission_tube_rescales_interpolates_and_clips():
    # A 1920 x 1280 track on frames 2, 3, 5 (missing 4): x * 840 / 1920 = x * .4375, y * 600 / 1280 = y * .46875.
    track = Tube(track_id=7, frames=[2, 3, 5], xyxy=[[0, 0, 192, 128], [192, 128, 384, 256], [384, 256, 1930, 1280]],
                 scores=[0.9, 0.6, 0.3], class_ids=[1, 1, 1])
    sub = submission_tube(track, label_id=1, image_size=(1920, 1280))
    assert sub.frames.tolist() == [2, 3, 4, 5]
    np.testing.assert_allclose(sub.boxes[0], [0, 0, 84, 60])
    np.testing.assert_allclose(sub.boxes[1], [84, 60, 168, 120])
    # Frame 4 is the mean of frames 3 and 5: x1 = (84 + 168) / 2 = 126, x2 = (168 + 844.375) / 2 = 506.1875.
    np.testing.assert_allclose(sub.boxes[2], [126, 90, 506.1875, 360])
    np.testing.assert_allclose(sub.boxes[3], [168, 120, 840, 600])  # 1930 * .4375 = 844.4 clipped to 840
    np.testing.assert_allclose(sub.scores, [0.9, 0.6, 0.45, 0.3])
    assert sub.score == pytest.approx(0.6)  # mean of the observed frames
    validate_submission({"agent": {"v": [sub]}})  # a valid submission tube
    assert SUBMISSION_SIZE == (840, 600)


class _RunsCode:
    """Unpickles as a call of os.system, as a crafted submission would."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def test_crafted_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"agent": {"val_00000": [_RunsCode(marker)]}}))
    with pytest.raises(ValueError, match=r"evil\.pkl: refusing to unpickle posix\.system: .*--trust-pickle"):
        read_submission(path)
    assert not marker.exists()


def test_trust_pickle_lifts_the_restriction(tmp_path):
    import collections

    path = tmp_path / "mine.pkl"
    path.write_bytes(pickle.dumps(collections.OrderedDict(submission())))  # a class outside the safe list
    with pytest.raises(ValueError, match=r"refusing to unpickle collections\.OrderedDict"):
        read_submission(path)
    assert set(read_submission(path, trust_pickle=True)) == {"agent", "triplet"}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_submissions_of_every_protocol_and_numpy_1_paths_load(tmp_path, protocol):
    # Tubes hold numpy arrays and numpy scalars (np.int64 label, np.float64 score), as real submissions do.
    data = submission(label_id=np.int64(1), score=np.float64(0.8), frames=np.array([4, 5, 6], np.int32))
    raw = pickle.dumps(data, protocol=protocol)
    if protocol == 0:  # text opcodes name modules verbatim: write the paths numpy 1.x pickles carry
        assert b"numpy._core.multiarray" in raw
        raw = raw.replace(b"numpy._core.", b"numpy.core.")
    path = tmp_path / "sub.pkl"
    path.write_bytes(raw)
    tube = read_submission(path)["agent"]["val_00000"][0]
    assert tube.label_id == 1 and tube.score == 0.8 and tube.frames.tolist() == [4, 5, 6]


def test_codecs_encode_is_only_latin1(tmp_path):
    # Protocol 0-2 pickles store bytes as _codecs.encode(text, 'latin1'); any other codec is refused.
    path = tmp_path / "codec.pkl"
    path.write_bytes(b"c_codecs\nencode\n(Vabc\nVrot13\ntR.")
    with pytest.raises(ValueError, match=r"codec\.pkl: not a readable pickle: .*_codecs\.encode with encoding 'rot13'"):
        read_submission(path)
