"""Rendered synthetic ROAD videos: schema-exact annotations the loader reads, labels by the ROAD definitions."""

import json

import cv2
import numpy as np
import pytest

from roadtrack.datasets import load_road
from roadtrack.core.labels import LABEL_TYPES
from roadtrack.datasets.synthetic_video import Camera, render_video, write_synthetic_videos

CAMERA = Camera(width=320, height=240, focal=267.0)
LOCATIONS = {"VehLane", "OutgoLane", "IncomLane", "LftPav", "RhtPav", "Jun", "xing"}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic_video")
    path = write_synthetic_videos(root, {"train": 2, "val": 1}, dataset="road", seed=5, num_frames=12,
                                  camera=CAMERA, image_folders=True)
    return root, path


def test_annotations_load_with_the_road_lists(written):
    root, path = written
    ann = load_road(path)
    assert ann.dataset == "road" and [v.name for v in ann.subset("val_3")] == ["val_00000"]
    for video in ann.videos.values():
        assert (video.width, video.height, video.numf) == (320, 240, 12)
        assert video.annotated.all() and video.frames.tolist() == list(range(1, 13))
        assert len(video.boxes) and np.all((video.boxes >= 0) & (video.boxes <= 1))
        assert set(video.box_tube_uids) == {t.uid for t in video.tubes["agent"]}
        for label_type in LABEL_TYPES:  # every box label is a used class (unused composites dropped by name)
            assert np.all(video.box_labels[label_type].ids < len(ann.labels[label_type]))
    doc = json.loads(path.read_text())
    assert doc["triplet_labels"] == list(ann.labels.triplet)
    assert set(doc["triplet_labels"]) <= set(doc["all_triplet_labels"])


def test_videos_and_frames_match_the_annotations(written):
    root, _ = written
    capture = cv2.VideoCapture(str(root / "videos" / "train_00000.mp4"))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 12
    image = cv2.imread(str(root / "rgb-images" / "train_00000" / "00012.jpg"))
    assert image.shape == (240, 320, 3)


def test_generation_is_seeded(tmp_path):
    a = write_synthetic_videos(tmp_path / "a", {"val": 1}, seed=9, num_frames=8, camera=CAMERA)
    b = write_synthetic_videos(tmp_path / "b", {"val": 1}, seed=9, num_frames=8, camera=CAMERA)
    assert a.read_text() == b.read_text()


def test_labels_follow_the_definitions():
    seen = {}
    for seed in range(6):
        _, tracks, _ = render_video(np.random.default_rng(seed), 24, CAMERA)
        for track in tracks:
            for actions, locs in track["labels"]:
                seen.setdefault(track["kind"], set()).update(actions)
                if track["kind"] == "TL":
                    assert actions in (["Red"], ["Amber"], ["Green"]) and locs == []
                else:
                    assert locs and set(locs) <= LOCATIONS
                    assert len(set(actions) & {"Stop", "MovAway", "MovTow", "Brake", "TurLft", "TurRht", "Wait2X",
                                               "XingFmLft", "XingFmRht"}) == 1  # exactly one motion action
    assert seen["Ped"] <= {"Stop", "MovAway", "MovTow", "Wait2X", "XingFmLft", "XingFmRht", "PushObj"}
    assert seen["TL"] <= {"Red", "Amber", "Green"} and {"MovAway", "MovTow"} <= seen["Car"]


def test_render_video_shapes_and_boxes():
    frames, tracks, ego = render_video(np.random.default_rng(1), 10, CAMERA)
    assert frames.shape == (10, 240, 320, 3) and frames.dtype == np.uint8 and ego.shape == (10,)
    for track in tracks:
        assert np.all(np.diff(track["frames"]) > 0)
        boxes = track["boxes"]
        assert np.all(boxes[:, 2:] > boxes[:, :2]) and np.all((boxes >= 0) & (boxes <= 1))

