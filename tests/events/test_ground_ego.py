"""Ego motion from road corners: the rigid ground fit, its rejection of implausible steps, sustained labels."""

import dataclasses

import cv2
import numpy as np
import pytest

from roadtrack.cli._event_options import add_event_options, event_options_from_args
from roadtrack.events.geometry import CameraGeometry, ego_step
from roadtrack.events.ground_ego import (GroundStep, ego_series, fit_ground_step, fit_horizon, road_mask,
                                         track_road_corners)
from roadtrack.events.kinematic import KinematicEventClassifier, sustained

CAM = CameraGeometry.from_image((960, 540), focal=800.0, horizon=0.55, camera_height=1.5)


def _moved(ground, forward, yaw):
    return (ego_step(forward, yaw)[0] @ np.c_[ground, np.ones(len(ground))].T).T[:, :2]


@pytest.mark.parametrize("forward, yaw", [
    (1.0, 0.0),      # 25 m/s at 25 fps, straight
    (0.4, 0.004),    # 10 m/s turning left at 0.1 rad/s
    (0.8, -0.006),   # turning right
    (0.0, 0.0),      # standing still
    (-0.1, 0.0),     # reversing
])
def test_fit_recovers_a_known_ground_step_despite_noise_and_outliers(forward, yaw):
    rng = np.random.default_rng(0)
    ground = np.c_[rng.uniform(-8, 8, 120), rng.uniform(6, 35, 120)]
    prev = CAM.pixels(ground) + rng.normal(0, 0.3, (120, 2))
    cur = CAM.pixels(_moved(ground, forward, yaw)) + rng.normal(0, 0.3, (120, 2))
    cur[:30] += rng.uniform(-40, 40, (30, 2))  # a quarter of the corners on cars, poles, shadows: wrong
    step = fit_ground_step(prev, cur, CAM)
    assert step is not None and step.inliers >= 80
    # 0.3 px of noise on ~90 corners: a few centimetres and tenths of a milliradian
    assert step.forward == pytest.approx(forward, abs=0.03)
    assert step.yaw == pytest.approx(yaw, abs=5e-4)


def test_fit_refuses_corners_that_agree_on_no_step():
    rng = np.random.default_rng(1)
    prev = np.c_[rng.uniform(0, 960, 100), rng.uniform(340, 540, 100)]
    cur = prev + rng.uniform(-30, 30, (100, 2))
    assert fit_ground_step(prev, cur, CAM) is None
    assert fit_ground_step(prev[:5], prev[:5], CAM) is None  # too few corners
    above = np.c_[rng.uniform(0, 960, 50), rng.uniform(0, 300, 50)]  # sky and far scenery: never used
    assert fit_ground_step(above, above, CAM) is None


def test_tracked_corners_of_a_rendered_road_give_the_true_step():
    # A random road texture seen by CAM, then warped by the ground motion of a known step: what the next
    # frame would show if the road were flat and the car advanced 0.8 m while turning 0.005 rad left.
    rng = np.random.default_rng(2)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (540, 960), dtype=np.uint8), (0, 0), 2.0)
    texture = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX)
    hom = CAM.pixel_homography(ego_step(0.8, 0.005))[0]
    nxt = cv2.warpPerspective(texture, hom, (960, 540), flags=cv2.INTER_LINEAR)
    mask = road_mask(texture.shape, np.array([[400.0, 320, 560, 420]]), 0.62)
    assert mask[330:420, 420:540].max() == 0 and mask[500, 100] == 255  # a box and the sky are left out
    pairs = track_road_corners(texture, nxt, mask)
    assert len(pairs) > 50
    step = fit_ground_step(pairs[:, :2], pairs[:, 2:], CAM)
    assert step is not None
    assert step.forward == pytest.approx(0.8, abs=0.04) and step.yaw == pytest.approx(0.005, abs=1e-3)


def test_implausible_steps_are_dropped_and_filled_from_their_neighbours():
    steps = [GroundStep(0.8, 0.0, 50) for _ in range(25)]  # 20 m/s at 25 fps
    steps[5] = GroundStep(4.0, 0.0, 50)     # 100 m/s: no car
    steps[10] = GroundStep(0.8, 0.2, 50)    # 5 rad/s: no car
    steps[15] = GroundStep(0.2, 0.0, 50)    # 5 m/s between two frames at 20 m/s: a jump
    steps[20] = None                        # no fit
    speed, yaw, report = ego_series(steps, 25.0)
    np.testing.assert_allclose(speed, 20.0)  # every bad step replaced by its neighbours' 0.8 m x 25 fps
    np.testing.assert_allclose(yaw, 0.0)
    assert report == {"steps": 25, "fitted": 24, "too_fast": 2, "kept": 21, "median_speed_mps": 20.0}


def test_a_container_faster_than_the_capture_rate_is_reported():
    steps = [GroundStep(4.0 + 0.1 * (i % 3), 0.0, 40) for i in range(39)]  # 4 m between nuScenes keyframes
    _, _, report = ego_series(steps, 20.0)  # read as 20 fps: 80 m/s
    assert report["too_fast"] == 39 and "--capture-fps" in report["warning"]
    speed, _, report = ego_series(steps, 2.0)  # the capture rate: 8 m/s, nothing to say
    assert "warning" not in report and speed.mean() == pytest.approx(8.2, abs=0.1)
    _, _, report = ego_series([GroundStep(2.2, 0.0, 40)] * 10, 20.0)  # 44 m/s: plausible, but as a median suspect
    assert report["too_fast"] == 0 and "median speed 44" in report["warning"]


@pytest.mark.parametrize("score, window, expected", [
    ([0, 1, 1, 0, 0, 1, 1, 1, 1, 0], 3, [0, 0, 0, 0, 0, 1, 1, 1, 1, 0]),  # the 2-frame blip goes, 4 frames stay
    ([0.2, 0.9, 0.8, 0.9], 1, [0.2, 0.9, 0.8, 0.9]),                       # window 1: unchanged
    ([0.9, 0.8], 5, [0.8, 0.8]),                                           # shorter than the window: its minimum
    ([0.5, 0.9, 0.9, 0.9], 3, [0.5, 0.9, 0.9, 0.9]),
])
def test_sustained(score, window, expected):
    np.testing.assert_allclose(sustained(np.array(score, float), window), expected)


def _args(*argv):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--events")
    add_event_options(parser)
    return parser.parse_args(list(argv))


def test_capture_fps_option():
    assert event_options_from_args(_args("--events", "kinematic", "--capture-fps", "2")) == {"capture_fps": 2.0}
    with pytest.raises(ValueError, match="--capture-fps must be positive"):
        event_options_from_args(_args("--events", "kinematic", "--capture-fps", "0"))
    with pytest.raises(ValueError, match="--capture-fps: applies to --events kinematic only"):
        event_options_from_args(_args("--events", "m.ckpt", "--capture-fps", "2"))
    with pytest.raises(ValueError, match="capture_fps must be positive"):
        KinematicEventClassifier(capture_fps=-1.0)


def test_the_horizon_is_refitted_to_the_road_motion():
    # Corners of a road seen by CAM (horizon row 297) over 10 frame pairs at 20 m/s; a camera that believes
    # the horizon is 40 px lower bends the road and finds no rigid step, the refit one finds CAM's row.
    rng = np.random.default_rng(3)
    flow = []
    for _ in range(10):
        ground = np.c_[rng.uniform(-8, 8, 80), rng.uniform(6, 35, 80)]
        flow.append(np.c_[CAM.pixels(ground), CAM.pixels(_moved(ground, 0.8, 0.002))] + rng.normal(0, 0.2, (80, 4)))
    wrong = dataclasses.replace(CAM, horizon=CAM.horizon + 40)
    assert fit_ground_step(flow[0][:, :2], flow[0][:, 2:], wrong) is None
    fitted = fit_horizon(flow, wrong)
    assert fitted.horizon == pytest.approx(CAM.horizon, abs=0.01 * 540)  # candidates are 1 % of H apart
    assert fit_horizon(flow, CAM).horizon == CAM.horizon  # a right horizon stays


def test_speeds_that_jump_between_frames_are_reported():
    # keyframes 0.5 s apart read as 20 fps: 1.0 to 2.2 m per step is 20 to 44 m/s, changing by 24 m/s in 0.05 s
    steps = [GroundStep(f, 0.0, 40) for f in [1.0, 2.2, 1.4, 2.0, 1.0, 2.2, 1.2, 1.9, 1.0, 2.1, 1.5, 2.2]]
    _, _, report = ego_series(steps, 20.0)
    assert report["too_fast"] == 0 and "jumps" in report["warning"] and "--capture-fps" in report["warning"]
    _, _, report = ego_series(steps, 2.0)  # 2 to 4.4 m/s at 2 Hz: a car in town
    assert "warning" not in report


def test_no_turn_where_the_box_is_cut_by_the_image_edge():
    from roadtrack.core import Tube
    from roadtrack.core.labels import ROAD

    # a car turning left on a 6 m arc 20 m ahead (as in test_kinematic), 24 frames at 12 fps
    angle = np.linspace(0, np.pi / 2, 24)
    x, z = -6 + 6 * np.cos(angle), 20 + 6 * np.sin(angle)
    f, u0 = 0.83 * 480, 240
    u, bottom = u0 + f * x / z, 0.4 * 360 + f * 1.5 / z
    boxes = np.c_[u - f * 0.9 / z, bottom - f * 1.5 / z, u + f * 0.9 / z, bottom]
    clf = KinematicEventClassifier(labels="road", image_size=(480, 360), horizon=0.4, focal=f, camera_height=1.5)
    turn = ROAD.action.index("TurLft")

    def turning(xyxy):
        (out,) = clf.classify([Tube(1, np.arange(1, 25), xyxy, np.full(24, 0.9), np.full(24, ROAD.agent.index("Car")))])
        return out.labels["action"][:, turn].max()

    assert turning(boxes) > 0.5
    cut = boxes.copy()
    cut[:, 0] = 0.0  # the box runs to the picture's left edge: part of the object is outside, its centre unknown
    assert turning(cut) < 0.1


def test_a_standing_camera_keeps_its_horizon():
    # the road does not move: every horizon fits, so none is taken from the flow
    rng = np.random.default_rng(4)
    ground = np.c_[rng.uniform(-8, 8, 80), rng.uniform(6, 35, 80)]
    still = [np.c_[CAM.pixels(ground), CAM.pixels(ground)] + rng.normal(0, 0.3, (80, 4)) for _ in range(10)]
    wrong = dataclasses.replace(CAM, horizon=CAM.horizon + 40)
    assert fit_horizon(still, wrong).horizon == wrong.horizon
