"""`Pipeline.stream_many`: many sources, detection batched across streams, per-stream results equal to running
the pipeline on each source alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import roadtrack
from roadtrack import Pipeline
from roadtrack.core import Detections, Detector
from roadtrack.streams import LiveSource, open_stream


class BlobDetector(Detector):
    """Boxes of the bright blobs of a frame (connected components); records the batch sizes it was called with."""

    class_names = {0: "blob"}

    def __init__(self) -> None:
        self.batches: list[int] = []

    def detect(self, frames, frame_ids=None):
        self.batches.append(len(frames))
        out = []
        for frame in frames:
            n, _, stats, _ = cv2.connectedComponentsWithStats((frame.max(axis=2) > 60).astype(np.uint8))
            x, y, w, h = stats[1:, 0], stats[1:, 1], stats[1:, 2], stats[1:, 3]
            boxes = np.stack([x, y, x + w, y + h], axis=1).astype(np.float64)
            out.append(Detections(boxes, scores=np.clip(0.5 + w / 200.0, 0, 1)))
        return out


def _video(seed: int, n_frames: int) -> list[np.ndarray]:
    """Frames of 6 bright boxes moving on a dark, noisy background."""
    rng = np.random.default_rng(seed)
    start, size = rng.uniform(20, 260, (6, 2)), rng.uniform(15, 40, (6, 2))
    velocity = rng.normal(0, 2.5, (6, 2))
    frames = []
    for f in range(n_frames):
        img = rng.integers(0, 30, (320, 320, 3), dtype=np.uint8)
        for (x, y), (w, h) in zip((start + velocity * f).astype(int), size.astype(int)):
            img[max(y, 0):max(y + h, 0), max(x, 0):max(x + w, 0)] = (90 + 20 * (x % 5), 200, 120)
        frames.append(img)
    return frames


VIDEOS = {"a": _video(1, 20), "b": _video(2, 14), "c": _video(3, 17)}


def _alone(tracker: str, video) -> list[tuple]:
    pipe = Pipeline(BlobDetector(), roadtrack.build("tracker", tracker))
    return [(r.index, r.tracks.ids.tolist(), r.tracks.xyxy.tolist()) for r in pipe.stream(video)]


def _together(tracker: str, sync: bool, batch=None, detector=None):
    pipe = Pipeline(detector or BlobDetector(), roadtrack.build("tracker", tracker))
    got = {k: [] for k in VIDEOS}
    for step in pipe.stream_many(VIDEOS, sync=sync, batch=batch):
        for key, item in step.items():
            assert item.stream == key
            got[key].append((item.index, item.tracks.ids.tolist(), item.tracks.xyxy.tolist()))
    return got


@pytest.mark.parametrize("tracker", ["bytetrack", "sort", "ocsort"])  # ocsort: per-stream trackers (not batched)
def test_in_step_equals_each_source_alone(tracker):
    detector = BlobDetector()
    got = _together(tracker, True, detector=detector)
    for key, video in VIDEOS.items():
        assert got[key] == _alone(tracker, video)
    # One detector call per step with the frames of every running stream: 14 steps of 3, 3 of 2, 3 of 1.
    assert detector.batches == [3] * 14 + [2] * 3 + [1] * 3


def test_batch_limits_frames_per_detector_call():
    detector = BlobDetector()
    got = _together("bytetrack", True, batch=2, detector=detector)
    assert max(detector.batches) == 2 and sum(detector.batches) == 20 + 14 + 17
    assert got["b"] == _alone("bytetrack", VIDEOS["b"])


def test_as_they_come_gives_every_frame_in_order_and_the_same_tracks():
    got = _together("bytetrack", False)
    for key, video in VIDEOS.items():
        assert got[key] == _alone("bytetrack", video)


def test_a_failing_source_stops_the_run_with_its_error():
    def broken():
        yield VIDEOS["a"][0]
        raise OSError("camera unplugged")

    pipe = Pipeline(BlobDetector(), roadtrack.build("tracker", "bytetrack"))
    with pytest.raises(OSError, match="unplugged"):
        for _ in pipe.stream_many({"ok": VIDEOS["a"], "bad": broken()}, sync=False):
            pass


def test_live_source_reads_what_opencv_opens(shared):
    video = shared("data", "MOT15", "train", "TUD-Campus", "TUD-Campus.mp4")
    live = [f.image for f in LiveSource(str(video)).limit(3)]
    recorded = [f.image for f in open_stream(video, max_frames=3)]
    assert len(live) == 3 and all(np.array_equal(a, b) for a, b in zip(live, recorded))
    with pytest.raises(ValueError, match="cannot open"):
        LiveSource("rtsp://127.0.0.1:1/none")
