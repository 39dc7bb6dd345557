"""The ucmctrack preset: UCMCTrack's rules at the tracker level, by hand, and its geometry rule."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.association.ucmc import UCMCAssociator, ucmc_cost
from roadtrack.core import Detections
from roadtrack.kalman.ground import GroundPlane
from roadtrack.trackers.presets.ucmctrack import ROAD_SETTING

TOP_DOWN = [[0.05, 0, 0], [0, 0.05, 0], [0, 0, 1]]  # 5 cm per pixel, seen from above


def box(x, y=60.0, w=20.0, h=40.0, score=0.9):
    return Detections([[x, y, x + w, y + h]], [score])


def test_a_jump_past_the_box_keeps_its_id_where_bytetrack_starts_a_new_one():
    # One 20 x 40 px box: x 90 (frame 1), 120 (frame 2: 30 px = 1.5 m away, no overlap), 121 (frame 3).
    frames = [box(90.0), box(120.0), box(121.0)]
    ucmc = roadtrack.build("tracker", "ucmctrack", homography=TOP_DOWN)
    ucmc.update(frames[0])
    # Frame 2, by hand (dt = 1/30 s, vmax 0.5, wx 0.1): the track's position variance after prediction is
    # P = 1 + dt^2 vmax^2 / 3 + wx dt^4 / 4 = 1.0000926 m^2 per axis; the footpoint's, R = (0.05 m * 2 px)^2
    # = 0.01 (sigma = clip(0.05 * 40, 2, 13) = 2 px). S = P + R = 1.0100926 I, d = (1.5, 0):
    # MMD = 2.25 / S + ln S^2 = 2.2275 + 0.0201 = 2.2476 <= a = 10: a match.
    t = ucmc.tracks
    mean, cov = ucmc.motion.model.predict(t.mean, t.cov)
    s = 1.0 + (1 / 30) ** 2 * 0.5**2 / 3 + 0.1 * (1 / 30) ** 4 / 4 + 0.01
    np.testing.assert_allclose(ucmc_cost(ucmc.motion.model, mean, cov, frames[1].xyxy), [[2.25 / s + 2 * np.log(s)]])
    out = [ucmc.update(d) for d in frames[1:]]
    # Confirmed by its third detection (two updates), reported at the detection's box, id 1 all along.
    assert len(out[0]) == 0 and out[1].ids.tolist() == [1] and ucmc.tracks.hits.tolist() == [2]
    np.testing.assert_allclose(out[1].xyxy, frames[2].xyxy)
    # ByteTrack: no IoU between frames 1 and 2, so frame 2 starts track 2, which frame 3 confirms.
    byte = roadtrack.build("tracker", "bytetrack")
    byte_out = [byte.update(d) for d in frames]
    assert byte_out[2].ids.tolist() == [2]


def test_lifecycle_tentative_low_score_and_coasting():
    tracker = roadtrack.build("tracker", "ucmctrack", homography=TOP_DOWN, cdt=4)
    # A tentative track dies on its first miss.
    tracker.update(box(90.0))
    tracker.update(Detections.empty())
    assert len(tracker.tracks) == 0
    # Low-score detections (0.5 <= score < 0.6) neither start tracks nor ...
    tracker.update(box(90.0, score=0.55))
    assert len(tracker.tracks) == 0
    for k in range(3):  # track 2: confirmed on its third detection
        out = tracker.update(box(90.0 + k))
    assert out.ids.tolist() == [2]
    # ... but keep a confirmed track (step 2); below conf_thresh 0.5 a detection is ignored.
    assert tracker.update(box(93.0, score=0.55)).ids.tolist() == [2]
    assert len(tracker.update(box(94.0, score=0.4))) == 0 and len(tracker.tracks) == 1
    # cdt 4: the reference deletes a coasted track once death_count (1 on its update frame, +1 per miss) reaches
    # 4, i.e. on its 3rd miss; the 0.4 detection was miss 1.
    tracker.update(Detections.empty())
    assert len(tracker.tracks) == 1
    tracker.update(Detections.empty())
    assert len(tracker.tracks) == 0


def test_geometry_rule():
    # 1. configured (image_size, homography or camera): fixed, kept by reset.
    sized = roadtrack.build("tracker", "ucmctrack", image_size=(1242, 375))
    assert sized.motion.geometry_source == "configured"
    np.testing.assert_allclose(sized.motion.model.plane.image_to_ground,
                               GroundPlane.road_camera(1242, 375).image_to_ground)
    # 2. else the first frame's size.
    framed = roadtrack.build("tracker", "ucmctrack")
    assert framed.motion.model is None
    framed.update(Detections.empty(), frame=np.zeros((375, 1242, 3), np.uint8))
    assert framed.motion.geometry_source == "frame"
    np.testing.assert_allclose(framed.motion.model.plane.image_to_ground,
                               GroundPlane.road_camera(1242, 375).image_to_ground)
    # 3. else the extent of the first non-empty detections: largest x2 99.5 -> 100, largest y2 180.2 -> 181.
    guessed = roadtrack.build("tracker", "ucmctrack", camera_height=2.0)
    guessed.update(Detections.empty())
    assert guessed.motion.model is None  # nothing to track, nothing guessed yet
    guessed.update(Detections([[10, 20, 99.5, 100], [0, 0, 30, 180.2]], [0.9, 0.9]))
    assert guessed.motion.geometry_source == "detections"
    np.testing.assert_allclose(guessed.motion.model.plane.image_to_ground,
                               GroundPlane.road_camera(100, 181, camera_height=2.0).image_to_ground)
    # A found geometry lasts until reset; a configured one survives it.
    guessed.update(Detections([[0, 0, 500, 500]], [0.9]))
    assert guessed.motion.model.plane.image_to_ground.shape == (3, 3) and guessed.motion.geometry_source == "detections"
    np.testing.assert_allclose(guessed.motion.model.plane.image_to_ground,
                               GroundPlane.road_camera(100, 181, camera_height=2.0).image_to_ground)
    guessed.reset()
    sized.reset()
    assert guessed.motion.model is None and sized.motion.geometry_source == "configured"
    with pytest.raises(ValueError, match="homography and image_size"):
        roadtrack.build("tracker", "ucmctrack", homography=TOP_DOWN, image_size=(640, 480))
    with pytest.raises(ValueError, match="cdt"):
        roadtrack.build("tracker", "ucmctrack", cdt=1)


def test_a_failed_frame_forgets_a_geometry_it_found(monkeypatch):
    tracker = roadtrack.build("tracker", "ucmctrack")

    def fail(self, view, dets):
        raise RuntimeError("associator failed")

    monkeypatch.setattr(UCMCAssociator, "match", fail)
    with pytest.raises(RuntimeError):
        tracker.update(box(90.0), frame=np.zeros((100, 200, 3), np.uint8))
    assert tracker.motion.model is None and tracker.frame_count == 0


def test_road_setting_and_associator_reads_only(read_only_views):
    tracker = roadtrack.build("tracker", "ucmctrack", image_size=(1242, 375), **ROAD_SETTING)
    assert (tracker.associator.a1, tracker.lifecycle.max_age, tracker.motion.model._q[4, 4]) == (100.0, 8, 5.0 / 900)
    # Two cars on a KITTI-sized road camera, approaching (boxes grow, footpoints move down).
    ids = set()
    for k in range(12):
        dets = Detections([[400 - 2 * k, 180, 460 + 2 * k, 220 + 2 * k], [800 + 3 * k, 185, 840 + 5 * k, 215 + k]],
                          [0.9, 0.8])
        ids |= set(tracker.update(dets).ids.tolist())
    assert ids == {1, 2}
