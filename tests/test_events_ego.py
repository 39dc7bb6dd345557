"""Ego motion for the event classifiers: the CSV format, its errors, the estimate from tracks, the geometry."""

import numpy as np
import pytest

from roadtrack.core import Tube
from roadtrack.events.ego import EgoMotion, ego_from_tracks, observe_ego, read_ego_csv, write_ego_csv
from roadtrack.events.geometry import CameraGeometry, ego_step

CAM = CameraGeometry.from_image((1000, 500), focal=800.0, horizon=0.5, camera_height=1.5)
FPS = 10.0


def test_geometry_round_trip_and_defaults():
    ground = np.array([[-3.5, 10.0], [2.0, 40.0]])
    np.testing.assert_allclose(CAM.ground(CAM.pixels(ground)), ground)
    # 20 m ahead: 800 * 1.5 / 20 = 60 px below the horizon row 250
    np.testing.assert_allclose(CAM.pixels(np.array([[0.0, 20.0]])), [[500.0, 310.0]])
    default = CameraGeometry.from_image((1242, 375))
    assert default.focal == pytest.approx(1.1 * np.sqrt(1242 * 375)) and default.horizon == 187.5
    assert default.height == 1.5


def test_ego_step_moves_static_points_as_the_camera_advances_and_turns():
    # 1 m forward, then 0.1 rad to the left: a point 10 m ahead is 9 m ahead, turned 0.1 rad to the right
    p = ego_step(1.0, 0.1)[0] @ np.array([0.0, 10.0, 1.0])
    np.testing.assert_allclose(p[:2], [9 * np.sin(0.1), 9 * np.cos(0.1)])


def _write(tmp_path, text):
    path = tmp_path / "ego.csv"
    path.write_text(text)
    return path


def test_ego_csv_round_trip_and_interpolation(tmp_path):
    path = _write(tmp_path, "frame,speed_mps,yaw_rate_rps,timestamp\n3,10,0.1,x\n1,8,0.0,y\n")  # extra column ignored
    ego = read_ego_csv(path)
    np.testing.assert_array_equal(ego.frames, [1, 3])
    speed, yaw = ego.at(np.array([0, 2, 5]))
    np.testing.assert_allclose(speed, [8, 9, 10])  # nearest outside, linear between
    np.testing.assert_allclose(yaw, [0, 0.05, 0.1])
    again = read_ego_csv(write_ego_csv(tmp_path / "again.csv", ego))
    np.testing.assert_allclose(again.speed, ego.speed)


@pytest.mark.parametrize("text, match", [
    ("frame,speed\n1,2\n", "missing column.*yaw_rate_rps"),
    ("frame,speed_mps,yaw_rate_rps\n", "no rows"),
    ("frame,speed_mps,yaw_rate_rps\n1,fast,0\n", "line 2: expected numbers"),
    ("frame,speed_mps,yaw_rate_rps\n1,2,nan\n", "line 2: .*finite"),
    ("frame,speed_mps,yaw_rate_rps\n1.5,2,0\n", "line 2: frame must be an integer"),
    ("frame,speed_mps,yaw_rate_rps\n1,2,0\n1,3,0\n", "frame 1 appears more than once"),
])
def test_ego_csv_errors(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        read_ego_csv(_write(tmp_path, text))


def test_ego_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="ego-motion CSV"):
        read_ego_csv(tmp_path / "nope.csv")


def _scene(speed=10.0, yaw_rate=0.1, frames=20):
    """Three parked cars and one car driving towards the camera, seen from a car at ``speed`` turning left."""
    world = {1: (-4.0, 30.0, 0.0), 2: (4.0, 35.0, 0.0), 3: (-5.0, 45.0, 0.0), 4: (-3.5, 70.0, -12.0)}  # x, z, vz
    step = ego_step(speed / FPS, yaw_rate / FPS)[0]
    pose = np.eye(3)  # world (first frame's axes) -> this frame's camera axes
    rows = {k: [] for k in world}
    for t in range(frames):
        for k, (x, z, vz) in world.items():
            p = pose @ np.array([x, z + vz * t / FPS, 1.0])
            (u, v), = CAM.pixels(p[None, :2])
            tall, wide = CAM.focal * 1.5 / p[1], CAM.focal * 1.8 / p[1]
            rows[k].append([u - wide / 2, v - tall, u + wide / 2, v])
        pose = step @ pose
    return [Tube(k, np.arange(frames), np.array(r), np.ones(frames), np.ones(frames, int)) for k, r in rows.items()]


def test_ego_from_tracks_finds_the_motion_most_tracks_share():
    ego = ego_from_tracks(_scene(), CAM, FPS, heights=[1.5] * 4)
    assert ego.source == "tracks"
    inner = slice(5, -5)  # the ends have no tube window
    np.testing.assert_allclose(ego.speed[inner], 10.0, atol=0.3)  # the oncoming car (22 m/s apparent) is outvoted
    np.testing.assert_allclose(ego.yaw_rate[inner], 0.1, atol=0.01)


def test_observe_ego_choices(tmp_path):
    tubes = _scene()
    geometry_of = lambda size: CAM  # noqa: E731
    _, _, source = observe_ego("auto", None, tubes, FPS, geometry_of, (1000, 500))
    assert source == "tracks"  # no frames, no CSV
    path = write_ego_csv(tmp_path / "e.csv", EgoMotion(np.arange(20), np.full(20, 10.0), np.full(20, 0.1), "csv"))
    obs, _, source = observe_ego(str(path), None, tubes, FPS, geometry_of, (1000, 500))
    assert source == "csv"
    # a parked car's contact point is carried exactly onto its next position by the CSV's motion
    from roadtrack.events.motion import _warp

    bottom = lambda b: np.c_[(b[:, 0] + b[:, 2]) / 2, b[:, 3]]  # noqa: E731
    h = obs.homography(np.array([3]), np.array([4]))
    np.testing.assert_allclose(_warp(h, bottom(tubes[0].xyxy[3:4])), bottom(tubes[0].xyxy[4:5]), atol=1e-6)
    with pytest.raises(ValueError, match="needs the video's frames"):
        observe_ego("frames", None, tubes, FPS, geometry_of)
    with pytest.raises(ValueError, match="use one of auto, frames, tracks, none or a CSV"):
        observe_ego("gps", None, tubes, FPS, geometry_of)
