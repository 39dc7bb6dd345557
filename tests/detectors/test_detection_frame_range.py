"""Detection rows outside the sequence's frames are errors naming the file and line, not silently dropped."""

import json

import pytest

from roadtrack.detectors.detection_files import read_detections
from roadtrack.detectors.precomputed import PrecomputedDetector

MOT = "1,-1,10,10,5,5,0.9,-1,-1,-1\n{frame},-1,10,10,5,5,0.9,-1,-1,-1\n"
KITTI = ("0 -1 Car -1 -1 -10 1 2 30 40 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.9\n\n"
         "{frame} -1 DontCare -1 -1 -10 1 2 30 40 -1000 -1000 -1000 -1000 -1000 -1000 -10 0.9\n")


@pytest.mark.parametrize("name, text, num_frames, match", [
    ("det.txt", MOT.format(frame=0), None, r"det\.txt, line 2: frame 0 is outside the sequence \(frames from 1\)"),
    ("det.txt", MOT.format(frame=6), 5, r"det\.txt, line 2: frame 6 is outside the sequence \(frames 1\.\.5\)"),
    ("det.txt", MOT.format(frame=5), 5, None),  # the last frame: does not raise
    # KITTI frames are 0-based (offset +1); a DontCare row counts too, and the blank line is skipped in the count.
    ("k.txt", KITTI.format(frame=5), 5, r"k\.txt, line 3: frame 5 \(\+ offset 1 = 6\) is outside the sequence"),
    ("k.txt", KITTI.format(frame=-1), None, r"k\.txt, line 3: frame -1 \(\+ offset 1 = 0\) is outside"),
    ("d.json", json.dumps([{"image_id": 0, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1}]), None,
     r"d\.json, detection 0: frame 0 is outside the sequence"),
])
def test_rows_outside_the_sequence_are_errors(tmp_path, name, text, num_frames, match):
    path = tmp_path / name
    path.write_text(text)
    if match is None:
        rows, _ = read_detections(path, num_frames=num_frames)
        assert rows.frames.tolist() == [1, 5]
        return
    with pytest.raises(ValueError, match=match):
        read_detections(path, num_frames=num_frames)


def test_precomputed_detector_bounds_frames_by_the_sequence_it_lies_in(tmp_path):
    seq = tmp_path / "SEQ"
    (seq / "det").mkdir(parents=True)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=SEQ\nframeRate=10\nseqLength=4\n")
    (seq / "det" / "det.txt").write_text(MOT.format(frame=5))
    with pytest.raises(ValueError, match=r"det\.txt, line 2: frame 5 is outside the sequence \(frames 1\.\.4\)"):
        PrecomputedDetector(seq / "det" / "det.txt")
    assert PrecomputedDetector(seq / "det" / "det.txt", num_frames=5).frame_numbers == [1, 5]
    loose = tmp_path / "dets.txt"  # not in a sequence folder: no upper bound unless num_frames is given
    loose.write_text(MOT.format(frame=5))
    assert PrecomputedDetector(loose).frame_numbers == [1, 5]
