"""ByteTrack and BoT-SORT on MOT15 train with public detections: at least BoxMOT's scores.

Protocol of ../shared/benchmarks/peers-mot15.md (as benchmarks/trackers.py runs it): the 11 sequences'
``det/det.txt``, each sequence's frame rate given to the tracker, all gt rows kept; HOTA (mean over alphas), MOTA
and IDF1 at IoU 0.5 per sequence, averaged with the frame counts as weights. HOTA comes from roadtrack.metrics,
which equals TrackEval to 1e-14 (tests/metrics). The BoxMOT figures are the published peers' table.
"""

from __future__ import annotations

import configparser

import numpy as np
import pytest

import roadtrack
from roadtrack.core import Detections
from roadtrack.io import TrackRows, read_mot
from roadtrack.metrics import CLEAR, HOTA, Identity
from roadtrack.metrics.benchmarks import plain

BOXMOT = {  # peers-mot15.md: HOTA, MOTA, IDF1
    "bytetrack": (36.97, 38.67, 48.31),
    "botsort": (37.51, 39.57, 49.43),
}
OPTIONS = {"bytetrack": {}, "botsort": {"with_reid": False, "cmc": None}}


def _track(seq, preset: str, options: dict) -> tuple[TrackRows, int]:
    info = configparser.ConfigParser()
    info.read(seq / "seqinfo.ini")
    n_frames, rate = int(info["Sequence"]["seqLength"]), float(info["Sequence"]["frameRate"])
    dets = read_mot(seq / "det" / "det.txt")
    tracker = roadtrack.build("tracker", preset, frame_rate=rate, **options)
    frames, ids, boxes = [], [], []
    by_frame = dict(dets.split_by_frame())
    for k in range(1, n_frames + 1):
        d = by_frame.get(k)
        tracks = tracker.update(Detections(d.xyxy, scores=d.scores) if d is not None else Detections.empty())
        frames.append(np.full(len(tracks), k))
        ids.append(tracks.ids)
        boxes.append(tracks.xyxy)
    return TrackRows(np.concatenate(frames), np.concatenate(ids), np.concatenate(boxes).reshape(-1, 4)), n_frames


def _scores(mot15, preset: str, options: dict) -> tuple[float, float, float]:
    totals, weights = [], []
    for seq in sorted(p for p in mot15.iterdir() if (p / "det" / "det.txt").is_file()):
        pred, n = _track(seq, preset, options)
        data = plain(read_mot(seq / "gt" / "gt.txt"), pred, num_frames=n, name=seq.name)
        hota = HOTA().sequence_result(HOTA().evaluate_sequence(data))
        clear = CLEAR().sequence_result(CLEAR().evaluate_sequence(data))
        ident = Identity().sequence_result(Identity().evaluate_sequence(data))
        totals.append((100 * float(np.mean(hota.HOTA)), 100 * clear.MOTA, 100 * ident.IDF1))
        weights.append(n)
    return tuple(np.average(np.array(totals), axis=0, weights=weights))


@pytest.mark.parametrize("preset", ["bytetrack", "botsort"])
def test_at_least_boxmot_on_mot15_public_detections(mot15, preset):
    hota, mota, idf1 = _scores(mot15, preset, OPTIONS[preset])
    print(f"\n{preset}: HOTA {hota:.2f} MOTA {mota:.2f} IDF1 {idf1:.2f}; BoxMOT {BOXMOT[preset]}")
    boxmot_hota, boxmot_mota, boxmot_idf1 = BOXMOT[preset]
    assert hota >= boxmot_hota and mota >= boxmot_mota and idf1 >= boxmot_idf1


def test_recovery_is_what_lifts_bytetrack_hota(mot15):
    # Without the recovery step (the published algorithm) ByteTrack's HOTA stays below BoxMOT's.
    assert _scores(mot15, "bytetrack", {"recovery": False})[0] < BOXMOT["bytetrack"][0]
