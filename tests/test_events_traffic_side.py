"""Traffic side: the kinematic classifier's lanes follow the side of the road traffic drives on."""

import numpy as np
import pytest

from roadtrack.core import Tube
from roadtrack.core.labels import ROAD_WAYMO
from roadtrack.events import KinematicEventClassifier
from roadtrack.events.geometry import CameraGeometry
from roadtrack.events.kinematic import default_traffic_side

W, H = 1000, 500
CAM = CameraGeometry.from_image((W, H), focal=800.0, horizon=0.5, camera_height=1.5)
CAR, PED = ROAD_WAYMO.agent.index("Car"), ROAD_WAYMO.agent.index("Ped")
N, FPS = 30, 10.0


def _tube(track_id, x, z, cls, height=1.5, width=1.8):
    """Boxes of an object at lateral x (m), depth z (m) per frame, from a static camera."""
    (u, v) = CAM.pixels(np.c_[x, z]).T
    tall, wide = CAM.focal * height / z, CAM.focal * width / z
    return Tube(track_id, np.arange(N), np.c_[u - wide / 2, v - tall, u + wide / 2, v], np.full(N, 0.9),
                np.full(N, cls))


def _scene(mirror: bool):
    s = -1.0 if mirror else 1.0
    return [_tube(1, np.full(N, s * 4.0), np.full(N, 20.0), CAR),  # parked one lane to the right
            _tube(2, s * np.linspace(-4, -1, N), np.full(N, 12.0), PED, 1.75, 0.5),  # crossing from the left
            _tube(3, np.full(N, s * 7.0), np.full(N, 15.0), PED, 1.75, 0.5)]  # standing on the right pavement


def _labels(tubes, side):
    clf = KinematicEventClassifier(labels="road_waymo", traffic_side=side, ego="none", fps=FPS, image_size=(W, H),
                                   focal=800.0, horizon=0.5, camera_height=1.5)
    out = {t.track_id: t for t in clf.classify(tubes, None)}
    top = {}
    for tid, tube in out.items():
        names = set()
        for kind in ("action", "loc"):
            mean = tube.labels[kind].mean(0)
            names |= {ROAD_WAYMO[kind][i] for i in np.flatnonzero(mean > 0.5)}
        top[tid] = names
    return top


SWAP = {"LftPav": "RhtPav", "RhtPav": "LftPav", "XingFmLft": "XingFmRht", "XingFmRht": "XingFmLft",
        "TurLft": "TurRht", "TurRht": "TurLft"}


def test_parked_car_lane_depends_on_the_traffic_side():
    right, left = _labels(_scene(False), "right"), _labels(_scene(False), "left")
    assert right[1] == {"Stop", "OutgoLane"}  # right-hand traffic: the lane on the right goes our way
    assert left[1] == {"Stop", "IncomLane"}  # left-hand traffic (UK): oncoming traffic on the right
    assert right[2] == left[2] and "XingFmLft" in right[2]
    assert right[3] == {"Stop", "RhtPav"}


@pytest.mark.parametrize("side", ["right", "left"])
def test_mirrored_scene_with_the_other_traffic_side_swaps_left_and_right(side):
    other = {"right": "left", "left": "right"}[side]
    plain, mirrored = _labels(_scene(False), side), _labels(_scene(True), other)
    assert plain[1] and plain[2] and plain[3]
    for tid in plain:
        assert mirrored[tid] == {SWAP.get(n, n) for n in plain[tid]}, tid


def test_default_traffic_side_per_label_set():
    assert default_traffic_side("road") == "left"
    assert default_traffic_side("road_waymo") == "right"
    assert KinematicEventClassifier(labels="road").traffic_side == "left"
    with pytest.raises(ValueError, match="traffic_side must be 'left' or 'right'"):
        KinematicEventClassifier(traffic_side="middle")
