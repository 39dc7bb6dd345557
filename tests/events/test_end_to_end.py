"""Pipeline + event classifier -> ROAD++ submission and annotated video, on a rendered ROAD-Waymo clip."""

import cv2
import numpy as np
import pytest

from roadtrack.datasets import load_road
from roadtrack.core.labels import ROAD_WAYMO
from roadtrack.datasets.synthetic_video import Camera, write_synthetic_videos
from roadtrack.events import event_classifier_from_spec, render_event_video, write_roadpp_outputs
from roadtrack.validate_events import NoisyBoxDetector
from roadtrack.io.roadpp import read_submission
from roadtrack.pipeline import Pipeline
from roadtrack.trackers import sort


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    root = tmp_path_factory.mktemp("waymo_clip")
    ann = load_road(write_synthetic_videos(root, {"val": 1}, dataset="road_waymo", seed=2, num_frames=16,
                                           camera=Camera(320, 240, 267.0)))
    video = ann.subset("val")[0]
    events = event_classifier_from_spec("kinematic", class_names=dict(enumerate(ROAD_WAYMO.agent)))
    pipe = Pipeline(NoisyBoxDetector(video, ROAD_WAYMO.agent), sort(max_age=4, min_hits=2, class_aware=False),
                    event_classifier=events)
    path = root / "videos" / f"{video.name}.mp4"
    return video, path, pipe.run(path)


def test_pipeline_labels_tubes_with_the_roadpp_lists(clip):
    _, _, result = clip
    assert result.events and result.timings["events"] > 0
    for tube in result.events:
        assert np.all(np.diff(tube.frames) == 1)
        assert {k: v.shape[1] for k, v in tube.labels.items()} == {"agent": 10, "action": 22, "loc": 16,
                                                                   "duplex": 49, "triplet": 86}


def test_roadpp_submission_is_valid(clip, tmp_path):
    video, _, result = clip
    paths = write_roadpp_outputs(result.events, tmp_path, video.name, (320, 240))
    sub = read_submission(paths["roadpp"])  # ROAD-Waymo lists, 840 x 600, contiguous frames: validated
    assert set(sub) == {"agent", "action", "loc", "duplex", "triplet"} and list(sub["agent"]) == [video.name]
    assert len(sub["agent"][video.name]) >= len(result.events)  # at least one agent tube per labelled tube
    boxes = np.concatenate([t.boxes for t in sub["agent"][video.name]])
    assert boxes[:, 2].max() > 320 and boxes[:, 2].max() <= 840  # rescaled from 320 x 240 to 840 x 600


def test_annotated_event_video(clip, tmp_path):
    _, path, result = clip
    out = render_event_video(path, result.events, tmp_path / "events.mp4", "road_waymo")
    capture = cv2.VideoCapture(str(out))
    frames = 0
    while capture.read()[0]:
        frames += 1
    assert frames == 16 and not list(tmp_path.glob("*.partial*"))


@pytest.mark.parametrize("spec, error, match", [
    ("temporal", ValueError, "unknown event classifier"),
    ("kinematics", ValueError, "one of kinematic"),
    ("missing.ckpt", FileNotFoundError, "checkpoint not found"),
])
def test_event_classifier_spec_errors(spec, error, match):
    with pytest.raises(error, match=match):
        event_classifier_from_spec(spec)
