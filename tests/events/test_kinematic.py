"""KinematicEventClassifier on tubes projected from known world motion, and ego-motion from rendered video."""

import numpy as np
import pytest

from roadtrack.core import Tube
from roadtrack.core.labels import ROAD
from roadtrack.datasets.synthetic_video import FPS, Camera, render_video
from roadtrack.events import KinematicEventClassifier
from roadtrack.events.motion import _warp
from roadtrack.events.observe import APPEARANCE_DIM, box_appearance, observe_video

W, H, HORIZON, FOCAL, MOUNT = 480, 360, 0.4, 0.83, 1.5


def _project(x, z, width, height, track_id, cls):
    """Boxes of an object of (width, height) metres standing at lateral x, depth z (arrays over frames)."""
    f = FOCAL * W
    u, bottom = W / 2 + f * x / z, HORIZON * H + f * MOUNT / z
    half, tall = f * width / (2 * z), f * height / z
    boxes = np.c_[u - half, bottom - tall, u + half, bottom]
    return Tube(track_id, np.arange(1, len(x) + 1), boxes, np.full(len(x), 0.9), np.full(len(x), cls))


def _classifier(**options):
    """The classifier with the projection's camera (the defaults come from the image size instead)."""
    return KinematicEventClassifier(labels="road", image_size=(W, H), horizon=HORIZON, focal=FOCAL * W,
                                    camera_height=MOUNT, **options)


def _scores(tube, kind):
    (out,) = _classifier().classify([tube], None)
    names = ROAD[kind]
    return {n: float(out.labels[kind][:, names.index(n)].mean()) for n in names}


N = 24
CAR, PED = ROAD.agent.index("Car"), ROAD.agent.index("Ped")


@pytest.mark.parametrize("x, z, size, cls, action, loc", [
    (np.zeros(N), np.full(N, 15.0), (1.8, 1.5), CAR, "Stop", "VehLane"),  # parked ahead in the AV's lane
    (np.full(N, 3.5), np.linspace(15, 25, N), (1.8, 1.5), CAR, "MovAway", "OutgoLane"),  # 5 m/s away
    (np.full(N, 7.0), np.linspace(40, 20, N), (1.8, 1.5), CAR, "MovTow", "IncomLane"),  # 10 m/s towards
    (np.linspace(-3, 0, N), np.full(N, 12.0), (0.5, 1.7), PED, "XingFmLft", "VehLane"),  # 1.5 m/s left to right
    (np.full(N, 10.0), np.linspace(10, 12, N), (0.5, 1.7), PED, "MovAway", "RhtPav"),  # walking on the pavement
])
def test_actions_and_locations_from_world_motion(x, z, size, cls, action, loc):
    tube = _project(x, z, *size, 1, cls)
    actions, locs = _scores(tube, "action"), _scores(tube, "loc")
    assert max(actions, key=actions.get) == action, actions
    assert actions[action] > 0.6
    assert max(locs, key=locs.get) == loc, locs


def test_turning_car_in_the_junction():
    # a car ahead turns left: heading sweeps from +Z to -X on a 6 m arc at 5 m/s
    angle = np.linspace(0, np.pi / 2, N)
    x, z = -6 + 6 * np.cos(angle), 20 + 6 * np.sin(angle)
    (out,) = _classifier().classify([_project(x, z, 1.8, 1.5, 1, CAR)])
    left, right = (out.labels["action"][:, ROAD.action.index(n)] for n in ("TurLft", "TurRht"))
    assert left.max() > 0.5 and left.mean() > 3 * right.mean()
    assert out.labels["loc"][:, ROAD.loc.index("Jun")].max() > 0.5


def test_traffic_light_colour_from_pixels():
    frames = [np.full((H, W, 3), 90, np.uint8) for _ in range(8)]
    for image in frames:
        image[100:110, 300:310] = (40, 40, 250)  # a lit red lamp (BGR)
    tube = Tube(1, np.arange(1, 9), np.tile([298.0, 98, 312, 140], (8, 1)), np.full(8, 0.9),
                np.full(8, ROAD.agent.index("TL")))
    (out,) = KinematicEventClassifier(labels="road").classify([tube], frames)
    act = out.labels["action"].mean(0)
    assert act[ROAD.action.index("Red")] > 0.5 > act[ROAD.action.index("Green")]
    assert not out.labels["loc"].any()  # traffic lights have no location


def test_box_appearance_cells():
    image = np.zeros((30, 30, 3), np.uint8)
    image[:10, :10] = (0, 0, 255)  # top-left cell pure red, lit
    desc = box_appearance(image, np.array([[0.0, 0.0, 30.0, 30.0]])).reshape(3, 3, -1)
    assert desc.shape == (3, 3, APPEARANCE_DIM // 9)
    np.testing.assert_allclose(desc[0, 0, :4], [0, 0, 1, 1])  # B, G, R, red fraction
    assert desc[1:, :, 3].sum() == 0


def test_ground_homography_matches_the_rendered_ego_motion():
    cam = Camera(width=320, height=240, focal=267.0)
    for seed in range(20):
        frames, _, ego_speed = render_video(np.random.default_rng(seed), 3, cam)
        if ego_speed[0] > 3:
            break
    obs = observe_video(list(frames), [], horizon=cam.horizon)
    hom = obs.homography(np.array([1]), np.array([2]))[0]
    y0 = cam.horizon * cam.height
    rows = np.array([150.0, 180.0, 220.0])
    points = np.c_[np.full(3, 100.0), rows]
    z = cam.focal * cam.mount / (rows - y0)
    expected = y0 + cam.focal * cam.mount / (z - ego_speed[0] / FPS)  # a static ground point one frame later
    np.testing.assert_allclose(_warp(np.repeat(hom[None], 3, 0), points)[:, 1], expected, atol=1.0)
