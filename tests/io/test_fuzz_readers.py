"""Fuzzing the readers of untrusted files: any input parses or raises a ValueError naming the file.

Property-based (hypothesis), bounded for CI: few examples per reader, no deadline, well under 10 s in all.
Inputs are near-misses of the real formats (valid rows with fields replaced, dropped, duplicated or made
binary; valid pickles mutated or truncated), since purely random bytes rarely get past a first check.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadtrack.detectors.detection_files import read_detections
from roadtrack.io import read_kitti_tracking, read_mot
from roadtrack.io.roadpp import read_submission

# ROADTRACK_FUZZ_EXAMPLES=5000 fuzzes deeper locally; CI keeps the default.
FUZZ = settings(max_examples=int(os.environ.get("ROADTRACK_FUZZ_EXAMPLES", 60)), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

MOT_ROW = ["1", "3", "794.27", "247.59", "71.245", "174.88", "1", "-1", "-1", "-1"]
KITTI_ROW = ["0", "2", "Car", "0", "1", "-1.8", "296.7", "161.7", "455.2", "292.1", "1.6", "1.6", "3.7",
             "-16.5", "2.4", "25.0", "-2.4", "0.87"]
# Tokens a broken or hostile file might hold where a number should be.
ODD_FIELDS = st.sampled_from(["", " ", "nan", "inf", "-inf", "1e400", "-0", "1.5", "x", "1,5", "\x00", "\ufeff1",
                              "9" * 30, "0x10", "1_000", "\u0661", "DontCare", "-1", "\r", "\x1c", "\u2028", "\t"])


def _rows(template: list[str], sep: str) -> st.SearchStrategy[str]:
    """Lines from ``template`` with random fields replaced, dropped or added."""
    field = st.one_of(st.sampled_from(template), ODD_FIELDS, st.text(max_size=4))
    line = st.one_of(
        st.just(sep.join(template)),
        st.lists(field, min_size=len(template) - 2, max_size=len(template) + 2).map(sep.join),
    )
    return st.lists(line, min_size=0, max_size=6).map(lambda lines: "\n".join(lines))


def _check(reader, content: str | bytes, suffix: str = ".txt") -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        try:
            reader(path)
        except ValueError as exc:
            assert str(path) in str(exc), f"{type(exc).__name__} without the file name: {exc}"


_BINARY = st.binary(max_size=64)


@FUZZ
@given(st.one_of(_rows(MOT_ROW, ","), _BINARY))
def test_mot_reader(content):
    _check(read_mot, content)


@FUZZ
@given(st.one_of(_rows(KITTI_ROW, " "), _BINARY))
def test_kitti_reader(content):
    _check(read_kitti_tracking, content)


@FUZZ
@given(st.one_of(_rows(MOT_ROW, ","), _rows(KITTI_ROW, " "), _BINARY), st.sampled_from([None, 5]))
def test_detection_file_reader(content, num_frames):
    _check(lambda p: read_detections(p, num_frames=num_frames), content)


_JSON_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
                                     st.text(max_size=3)),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)
_DETECTION = st.fixed_dictionaries({}, optional={"image_id": _JSON_VALUE, "category_id": _JSON_VALUE,
                                                 "bbox": st.one_of(_JSON_VALUE, st.lists(st.floats(), max_size=5)),
                                                 "score": _JSON_VALUE})


@FUZZ
@given(st.one_of(st.lists(_DETECTION, max_size=3), _JSON_VALUE,
                 st.fixed_dictionaries({"annotations": st.lists(_DETECTION, max_size=2)},
                                       optional={"categories": _JSON_VALUE})))
def test_coco_reader(data):
    import json

    _check(read_detections, json.dumps(data), ".json")


def _arrays() -> st.SearchStrategy:
    return st.sampled_from([np.zeros(0), np.arange(3), np.ones((2, 4)), np.array([1.5, np.nan]),
                            np.array(["a"]), np.array([[1, 2, 3, 4]], np.int32), np.ones(2, bool), np.float64(2.5),
                            np.int64(1), np.array(3)])


_LEAF = st.one_of(st.none(), st.integers(-2, 700), st.floats(), st.text(max_size=3), _arrays())
_TUBE = st.fixed_dictionaries({}, optional={k: _LEAF for k in ("label_id", "scores", "boxes", "score", "frames")})
_SUBMISSION = st.one_of(
    st.dictionaries(st.sampled_from(["agent", "action", "loc", "other"]),
                    st.one_of(_LEAF, st.dictionaries(st.one_of(st.text(max_size=4), st.integers()),
                                                     st.one_of(_LEAF, st.lists(st.one_of(_TUBE, _LEAF), max_size=2)),
                                                     max_size=2)), max_size=2),
    _LEAF, st.lists(_LEAF, max_size=2),
)


@FUZZ
@given(_SUBMISSION, st.integers(0, pickle.HIGHEST_PROTOCOL), st.data())
def test_roadpp_reader(submission, protocol, data):
    raw = pickle.dumps(submission, protocol=protocol)
    mutation = data.draw(st.sampled_from(["none", "truncate", "flip"]))
    if mutation == "truncate" and raw:
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif mutation == "flip" and raw:
        at = data.draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([data.draw(st.integers(0, 255))]) + raw[at + 1:]
    _check(read_submission, raw, ".pkl")


_FRAME_ID = st.one_of(st.sampled_from(["val_0000000001", "val_00000", "val_0000012345", "x", "val_000²1"]),
                      st.text(max_size=8), st.integers())
_PER_CLASS = st.one_of(_LEAF, st.lists(st.one_of(_arrays(), st.sampled_from([np.array([[1, 2, 3, 4, 0.5]]),
                                                                                np.array([[5, 5, 1, 1, 0.5]])])),
                                       max_size=3))
_FRAME_LAYOUT = st.dictionaries(st.sampled_from(["agent_ness", "agent", "av_actions", "other"]),
                                st.one_of(_LEAF, st.dictionaries(_FRAME_ID, _PER_CLASS, max_size=3)), max_size=2)


@FUZZ
@given(st.one_of(_FRAME_LAYOUT, _SUBMISSION))
def test_road_predictions_reader(data):
    from roadtrack.core.labels import label_set
    from roadtrack.metrics.road.predictions import read_predictions

    labels = label_set("road_waymo")
    _check(lambda p: read_predictions(p, labels, video_names={"val_00000", "val_000"}), pickle.dumps(data), ".pkl")


@pytest.mark.parametrize("reader", [read_mot, read_kitti_tracking, read_detections])
def test_binary_file_is_named(tmp_path, reader):
    # A binary file used to surface as a raw UnicodeDecodeError without the file name.
    path = tmp_path / "tracks.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(ValueError, match=r"tracks.txt: not a UTF-8 text file \(byte 0 is 0x89\)"):
        reader(path)


def test_non_ascii_digits_in_a_frame_id_are_named(tmp_path):
    # str.isdigit accepts '²', which int() refuses: this surfaced as a bare "invalid literal for int()".
    from roadtrack.core.labels import label_set
    from roadtrack.metrics.road.predictions import read_predictions

    path = tmp_path / "frames.pkl"
    path.write_bytes(pickle.dumps({"agent_ness": {"val_000²1": [np.array([[1, 2, 3, 4, 0.5]])]}}))
    with pytest.raises(ValueError, match=r"frames\.pkl: agent_ness/val_000²1: frame ids must be video name \+ 5-digit"):
        read_predictions(path, label_set("road_waymo"))


def test_ids_beyond_int64_precision_are_refused(tmp_path):
    # 1e30 used to pass the integer check and become -2**63, merging with every other huge id.
    path = tmp_path / "t.txt"
    path.write_text("1," + "9" * 30 + ",1,1,1,1,1,-1,-1,-1\n")
    with pytest.raises(ValueError, match=r"t\.txt, line 1: bad id: 1e\+30"):
        read_mot(path)
