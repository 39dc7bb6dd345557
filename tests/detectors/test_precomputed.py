import numpy as np
import pytest

from roadtrack.core import Detector
from roadtrack.core.registry import build
from roadtrack.detectors.precomputed import PrecomputedDetector


@pytest.fixture
def pets_det(mot15):
    return mot15 / "PETS09-S2L1" / "det" / "det.txt"


def test_frame_one_is_exactly_the_file_rows(pets_det):
    # The first lines of PETS09-S2L1/det/det.txt, all of frame 1 (frame 2 starts on line 4):
    #   1,-1,649.441,231.502,44.417,86.13,0.995474,-1,-1,-1
    #   1,-1,252.783,207.732,35.813,96.641,0.991175,-1,-1,-1
    #   1,-1,499.296,156.205,33.338,76.362,0.985592,-1,-1,-1
    detector = PrecomputedDetector(pets_det)
    assert isinstance(detector, Detector)
    (dets,) = detector.detect([None], frame_ids=[1])
    assert dets.xyxy.tolist() == [
        [649.441, 231.502, 649.441 + 44.417, 231.502 + 86.13],
        [252.783, 207.732, 252.783 + 35.813, 207.732 + 96.641],
        [499.296, 156.205, 499.296 + 33.338, 156.205 + 76.362],
    ]
    assert dets.scores.tolist() == [0.995474, 0.991175, 0.985592]
    assert dets.class_ids.tolist() == [0, 0, 0]


def test_min_score_and_class_id(pets_det):
    detector = PrecomputedDetector(pets_det, min_score=0.99, class_id=5)
    (dets,) = detector.detect([None], frame_ids=[1])
    assert dets.scores.tolist() == [0.995474, 0.991175]  # 0.985592 < 0.99 dropped
    assert dets.class_ids.tolist() == [5, 5] and detector.class_names == {5: "person"}


def test_frames_without_rows_are_empty(mot15):
    # KITTI-13's det.txt starts at frame 4 with one row: 4,-1,748.744,152.562,32.441,55.121,0.672558,-1,-1,-1
    detector = PrecomputedDetector(mot15 / "KITTI-13" / "det" / "det.txt")
    *empty, four = detector.detect([None] * 4, frame_ids=[1, 2, 3, 4])
    assert [len(d) for d in empty] == [0, 0, 0]
    assert four.xyxy.tolist() == [[748.744, 152.562, 748.744 + 32.441, 152.562 + 55.121]]
    assert len(detector.detect([None], frame_ids=[10_000])[0]) == 0  # past the end
    assert detector.frame_numbers[0] == 4


def test_counter_numbers_frames_from_one_and_reset_rewinds(mot15):
    detector = PrecomputedDetector(mot15 / "KITTI-13" / "det" / "det.txt")
    lengths = [len(d) for d in detector.detect([None] * 4)]  # frames 1, 2, 3, 4
    assert lengths == [0, 0, 0, 1]
    detector.reset()
    (first,) = detector.detect([np.zeros((2, 2, 3), np.uint8)])  # images are ignored
    assert len(first) == 0  # frame 1 again
    detector.detect([None], frame_ids=[4])
    (after,) = detector.detect([None])  # continues after the last explicit frame id: frame 5
    assert np.array_equal(after.xyxy, detector.detect([None], frame_ids=[5])[0].xyxy)


def test_registered_by_name(pets_det):
    detector = build("detector", "precomputed", path=pets_det, min_score=0.5)
    assert isinstance(detector, PrecomputedDetector)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda tmp: PrecomputedDetector(tmp / "none.txt"), FileNotFoundError, r"detection file not found: .*none\.txt"),
        (lambda tmp: _bad_file(tmp), ValueError, r"det\.txt, line 2: not a number"),
        (lambda tmp: _good_file(tmp).detect([None, None], frame_ids=[1]), ValueError, "2 frames but 1 frame_ids"),
        (lambda tmp: _good_file(tmp).detect([], frame_ids=[]), None, None),  # does not raise
    ],
)
def test_errors(tmp_path, make, error, match):
    if error is None:
        assert make(tmp_path) == []
    else:
        with pytest.raises(error, match=match):
            make(tmp_path)


def _good_file(tmp) -> PrecomputedDetector:
    (tmp / "det.txt").write_text("1,-1,0,0,10,10,0.9,-1,-1,-1\n")
    return PrecomputedDetector(tmp / "det.txt")


def _bad_file(tmp) -> PrecomputedDetector:
    (tmp / "det.txt").write_text("1,-1,0,0,10,10,0.9,-1,-1,-1\n2,-1,a,0,10,10,0.9,-1,-1,-1\n")
    return PrecomputedDetector(tmp / "det.txt")
