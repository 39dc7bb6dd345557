"""NoisyBoxDetector, the stand-in detector of the end-to-end validation on synthetic videos."""

import numpy as np
import pytest

from roadtrack.datasets import load_road
from roadtrack.datasets.synthetic_video import Camera, write_synthetic_videos
from roadtrack.validate_events import NoisyBoxDetector


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("validate")
    return root, write_synthetic_videos(root, {"val": 1}, seed=5, num_frames=8, camera=Camera(320, 240, 267.0))


def test_noisy_box_detector(written):
    _, path = written
    video = load_road(path).subset("val_3")[0]
    frame = int(video.box_frames[0])
    exact = NoisyBoxDetector(video, load_road(path).labels.agent, jitter=0, miss=0, confusion=0, false_rate=0)
    (dets,) = exact.detect([None], [frame])
    rows = video.frame_boxes(frame)
    np.testing.assert_allclose(np.sort(dets.xyxy, axis=0),
                               np.sort(video.boxes[rows] * [320, 240, 320, 240], axis=0), atol=1e-6)
    noisy = NoisyBoxDetector(video, load_road(path).labels.agent, seed=1)
    first, second = noisy.detect([None, None], [frame, frame])
    np.testing.assert_array_equal(first.xyxy, second.xyxy)  # seeded per frame
    with pytest.raises(ValueError, match="frame_ids"):
        noisy.detect([None])
