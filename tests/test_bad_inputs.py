"""Hostile and broken inputs through the command line: each is exit status 2 with one line naming the file,
and nothing appears under a final output name (only ``*.partial`` may remain).

Each row builds its inputs in ``tmp_path`` (from real clips in ../shared where pixels matter) and gives the
command and the fragments the error line must hold. Before these were handled, the first five rows tracked
silently (22 of 71 frames, a half-grey frame, mixed coordinate systems, dropped detection rows), the
prediction rows failed without the file or named the wrong one, and the pickle row ran its payload.
"""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest
from test_cli import _assert_one_line_error, run_cli

from roadtrack.datasets import synthetic_road

DETS = "1,-1,10,10,50,50,0.9,-1,-1,-1\n2,-1,12,10,50,50,0.9,-1,-1,-1\n"
SEQINFO = "[Sequence]\nname={name}\nframeRate=10\nseqLength={length}\n"


def _jpeg(width: int, height: int = 48) -> bytes:
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2] = 200
    return cv2.imencode(".jpg", image)[1].tobytes()


def _dets(tmp_path):
    (tmp_path / "dets.txt").write_text(DETS)
    return ("--detections", tmp_path / "dets.txt")


def truncated_video(tmp_path, shared):
    data = shared("data", "dashcam", "udacity_solidWhiteRight.mp4").read_bytes()  # moov at the front
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 10])
    return ("track", tmp_path / "cut.mp4", *_dets(tmp_path)), ["cut.mp4", "of the 221 frames the container declares"]


def corrupt_jpeg(tmp_path, shared):
    # A real frame cut in half: cv2.imread returns it with the lower half grey and only a libjpeg warning.
    image = cv2.imread(str(shared("data", "kitti_raw_sfnd", "2011_09_26_sfnd", "img1", "000001.png")))
    data = cv2.imencode(".jpg", image)[1].tobytes()
    folder = tmp_path / "imgs"
    folder.mkdir()
    for k in (1, 3):
        (folder / f"{k}.jpg").write_bytes(data)
    (folder / "2.jpg").write_bytes(data[: len(data) // 2])
    return ("track", folder, *_dets(tmp_path)), ["2.jpg", "truncated image"]


def mixed_sizes(tmp_path, shared):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "1.jpg").write_bytes(_jpeg(64))
    (folder / "2.jpg").write_bytes(_jpeg(32))
    return ("track", folder, *_dets(tmp_path), "--save-video"), ["2.jpg", "is 32x48 but 1.jpg", "64x48"]


def _sequence(tmp_path, det_text: str, length: int = 4):
    seq = tmp_path / "SEQ"
    (seq / "det").mkdir(parents=True)
    (seq / "seqinfo.ini").write_text(SEQINFO.format(name="SEQ", length=length))
    (seq / "det" / "det.txt").write_text(det_text)
    return seq


def det_frame_zero(tmp_path, shared):
    seq = _sequence(tmp_path, DETS.replace("2,-1", "0,-1"))
    return ("track", seq, "--detector", "precomputed"), ["det.txt, line 2", "frame 0 is outside the sequence"]


def det_after_seq_length(tmp_path, shared):
    seq = _sequence(tmp_path, DETS.replace("2,-1", "5,-1"))
    return ("track", seq, "--detector", "precomputed"), ["det.txt, line 2", "frame 5", "frames 1..4"]


def loose_detections_after_the_video(tmp_path, shared):
    # A --detections file beside a video (no seqinfo.ini): the video's 5 frames bound the rows.
    writer = cv2.VideoWriter(str(tmp_path / "v.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for _ in range(5):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    (tmp_path / "dets.txt").write_text("1,-1,1,1,10,10,0.9,-1,-1,-1\n9,-1,1,1,10,10,0.9,-1,-1,-1\n")
    return ("track", tmp_path / "v.mp4", "--detections", tmp_path / "dets.txt"), ["dets.txt, line 2", "frame 9",
                                                                                    "frames 1..5"]


def video_shorter_than_seq_length(tmp_path, shared):
    seq = _sequence(tmp_path, DETS, length=80)
    (seq / "SEQ.mp4").symlink_to(shared("data", "MOT15", "train", "TUD-Campus", "TUD-Campus.mp4"))
    return ("track", seq, "--detector", "precomputed"), ["SEQ.mp4: has 71 frames", "seqLength=80"]


def _mot_eval(tmp_path, pred: bytes):
    seq = _sequence(tmp_path / "gt", "")
    (seq / "gt").mkdir()
    (seq / "gt" / "gt.txt").write_text("1,3,10,10,40,40,1,-1,-1,-1\n2,3,12,10,40,40,1,-1,-1,-1\n")
    (tmp_path / "trk").mkdir()
    (tmp_path / "trk" / "SEQ.txt").write_bytes(pred)
    return ("eval", "mot", "--gt", tmp_path / "gt", "--pred", tmp_path / "trk")


def binary_predictions(tmp_path, shared):
    return _mot_eval(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00"), ["SEQ.txt: not a UTF-8 text file"]


def duplicate_prediction_id(tmp_path, shared):
    pred = b"1,3,10,10,40,40,1,-1,-1,-1\n1,3,60,10,40,40,1,-1,-1,-1\n"
    return _mot_eval(tmp_path, pred), ["trk/SEQ.txt, line 2", "id 3 more than once in frame 1", "also on line 1"]


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def crafted_pickle(tmp_path, shared):
    annotations = synthetic_road("road_waymo", seed=3, num_videos=2).write(tmp_path / "ann.json")
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"agent": {"val_00000": [_RunsCode(tmp_path / "pwned")]}}))
    return (("eval", "road", "--annotations", annotations, "--pred", tmp_path / "evil.pkl"),
            ["evil.pkl: refusing to unpickle posix.system", "--trust-pickle"])


CASES = [truncated_video, corrupt_jpeg, mixed_sizes, det_frame_zero, det_after_seq_length,
         loose_detections_after_the_video, video_shorter_than_seq_length, binary_predictions, duplicate_prediction_id, crafted_pickle]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input_is_exit_2_with_one_line_naming_the_file(tmp_path, shared, case):
    args, fragments = case(tmp_path, shared)
    out = tmp_path / "out"
    done = run_cli(*args, "--out", out, *(["--no-progress"] if args[0] == "track" else []))
    _assert_one_line_error(done, *fragments)
    final = sorted(p.name for p in out.rglob("*") if p.is_file() and ".partial" not in p.name) if out.exists() else []
    assert final == [], f"files under final names after a failure: {final}"
    assert not (tmp_path / "pwned").exists()  # the crafted pickle's payload never ran
