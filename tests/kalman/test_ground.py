"""UCMCTrack's ground-plane geometry and filter, checked by hand and against filterpy."""

from __future__ import annotations

import filterpy.kalman as filterpy_kalman
import numpy as np
import pytest

from roadtrack.kalman.ground import GroundKalman, GroundPlane, footpoint, footpoint_sigma

SCALE = GroundPlane(np.diag([0.05, 0.05, 1.0]))  # top-down view: 5 cm per pixel, no horizon


def test_pure_scale_homography_by_hand():
    boxes = np.array([[90.0, 60.0, 110.0, 100.0], [0.0, 0.0, 100.0, 400.0]])
    np.testing.assert_allclose(footpoint(boxes), [[100.0, 100.0], [50.0, 400.0]])
    xy, jac = SCALE.to_ground(footpoint(boxes))
    np.testing.assert_allclose(xy, [[100 * 0.05, 100 * 0.05], [50 * 0.05, 400 * 0.05]])
    np.testing.assert_allclose(jac, np.broadcast_to(0.05 * np.eye(2), (2, 2, 2)))
    # Heights 40 and 400: sigma_u = clip(0.05 h, 2, 13), sigma_v = clip(0.05 h, 2, 10) -> (2, 2) and (13, 10).
    np.testing.assert_allclose(footpoint_sigma(boxes[:, 3] - boxes[:, 1]), [[2.0, 2.0], [13.0, 10.0]])
    _, r = GroundKalman(SCALE).ground_measurements(boxes)
    np.testing.assert_allclose(r[0], 0.05**2 * np.diag([2.0**2, 2.0**2]))
    np.testing.assert_allclose(r[1], 0.05**2 * np.diag([13.0**2, 10.0**2]))


def test_road_camera_projects_by_hand():
    # f = width = 1000, principal point (500, 250), lens 1.5 m up, level:
    # Y = f * 1.5 / (v - 250), X = (u - 500) * 1.5 / (v - 250).
    plane = GroundPlane.road_camera(1000, 500)
    xy, jac = plane.to_ground(np.array([[600.0, 350.0], [500.0, 1250.0]]))
    np.testing.assert_allclose(xy, [[100 * 1.5 / 100, 1000 * 1.5 / 100], [0.0, 1000 * 1.5 / 1000]])
    # dX/du = 1.5 / (v - cy); dX/dv = -1.5 (u - cx) / (v - cy)^2; dY/du = 0; dY/dv = -f 1.5 / (v - cy)^2.
    np.testing.assert_allclose(jac[0], [[1.5 / 100, -1.5 * 100 / 100**2], [0.0, -1000 * 1.5 / 100**2]], atol=1e-12)
    np.testing.assert_allclose(plane.to_image(xy), [[600.0, 350.0], [500.0, 1250.0]])


def test_road_camera_pitch_and_horizon():
    # Tilted down 45 degrees: the optical axis (the principal point) meets the road 1.5 / tan(45) = 1.5 m ahead,
    # and the horizon rises to cy - f tan(45) = 250 - 1000.
    plane = GroundPlane.road_camera(1000, 500, pitch_deg=45.0)
    np.testing.assert_allclose(plane.to_ground(np.array([[500.0, 250.0]]))[0], [[0.0, 1.5]], atol=1e-9)
    horizon = plane.image_to_ground[2]
    np.testing.assert_allclose(-horizon[2] / horizon[1], 250.0 - 1000.0)
    # Level camera: a point above the horizon goes to the margin, 2 px below it: Y = 1000 * 1.5 / 2.
    level = GroundPlane.road_camera(1000, 500)
    np.testing.assert_allclose(level.to_ground(np.array([[500.0, 100.0], [500.0, 251.0]]))[0], [[0.0, 750.0]] * 2)


def test_sign_and_scale_of_a_homography_do_not_matter():
    plane = GroundPlane.road_camera(1280, 720, focal=900.0, camera_height=1.3)
    flipped = GroundPlane(-3.0 * plane.image_to_ground)  # same mapping, other sign and scale
    uv = np.array([[640.0, 500.0], [100.0, 700.0]])
    np.testing.assert_allclose(flipped.to_ground(uv)[0], plane.to_ground(uv)[0], atol=1e-9)
    np.testing.assert_allclose(flipped.clamp_below_horizon(np.array([[640.0, 0.0]])),
                               plane.clamp_below_horizon(np.array([[640.0, 0.0]])))


@pytest.mark.parametrize("kwargs, match", [
    (dict(image_to_ground=np.zeros((3, 3))), "singular"),
    (dict(image_to_ground=np.eye(2)), r"\(3, 3\)"),
    (dict(image_to_ground=np.eye(3), horizon_margin=-1.0), "horizon_margin"),
])
def test_bad_planes_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GroundPlane(**kwargs)


def test_initiate_and_predict_by_hand():
    kf = GroundKalman(SCALE, fps=10.0, wx=2.0, wy=2.0, vmax=0.5)
    mean, cov = kf.initiate(np.array([[90.0, 60.0, 110.0, 100.0]]))
    np.testing.assert_allclose(mean, [[5.0, 5.0, 20.0, 40.0, 0.0, 0.0]])
    pvv = 0.5**2 / 3  # initial velocity variance vmax^2 / 3
    np.testing.assert_allclose(np.diag(cov[0]), [1.0, 1.0, 0.0, 0.0, pvv, pvv])
    mean = mean + np.array([0, 0, 0, 0, 1.0, -2.0])  # 1 m/s right, 2 m/s back
    mean, cov = kf.predict(mean, cov)
    dt = 0.1
    np.testing.assert_allclose(mean[0], [5.0 + dt * 1.0, 5.0 - dt * 2.0, 20.0, 40.0, 1.0, -2.0])
    # P' = F P F^T + Q, Q = w [[dt^4/4, dt^3/2], [dt^3/2, dt^2]] per axis.
    assert cov[0, 0, 0] == pytest.approx(1.0 + dt**2 * pvv + 2.0 * dt**4 / 4)
    assert cov[0, 0, 4] == pytest.approx(dt * pvv + 2.0 * dt**3 / 2)
    assert cov[0, 4, 4] == pytest.approx(pvv + 2.0 * dt**2)
    assert cov[0, 0, 1] == 0.0 and cov[0, 2, 2] == 0.0  # axes independent; size not filtered
    np.testing.assert_allclose(kf.to_xyxy(mean), [[102.0 - 10.0, 96.0 - 40.0, 102.0 + 10.0, 96.0]])


def test_update_equals_filterpy_with_ucmc_layout():
    """The reference's filter: filterpy, state (x, vx, y, vy), each detection with its own R."""
    plane = GroundPlane.road_camera(1280, 720)
    kf = GroundKalman(plane, fps=25.0, wx=5.0, wy=5.0, vmax=10.0)
    rng = np.random.default_rng(0)
    boxes = np.array([[600.0, 400.0, 680.0, 470.0], [200.0, 420.0, 300.0, 520.0]])
    mean, cov = kf.initiate(boxes)
    xy0, r0 = kf.ground_measurements(boxes)
    dt = 1 / 25.0
    refs = []
    for i in range(2):
        ref = filterpy_kalman.KalmanFilter(dim_x=4, dim_z=2)
        ref.F = np.array([[1, dt, 0, 0], [0, 1, 0, 0], [0, 0, 1, dt], [0, 0, 0, 1]])
        ref.H = np.array([[1, 0, 0, 0], [0, 0, 1, 0]])
        ref.P = np.diag([1.0, 10.0**2 / 3, 1.0, 10.0**2 / 3])
        g = np.array([[dt**2 / 2, 0], [dt, 0], [0, dt**2 / 2], [0, dt]])
        ref.Q = g @ np.diag([5.0, 5.0]) @ g.T
        ref.x = np.array([[xy0[i, 0]], [0.0], [xy0[i, 1]], [0.0]])
        refs.append(ref)
    order = [0, 4, 1, 5]  # our (X, Y, w, h, vX, vY) in the reference's (x, vx, y, vy) order
    for _ in range(12):
        mean, cov = kf.predict(mean, cov)
        boxes = boxes + np.array([4.0, 1.5, 4.0, 1.5]) + rng.normal(0, 1.0, boxes.shape)
        xy, r = kf.ground_measurements(boxes)
        mean, cov = kf.update(mean, cov, boxes)
        for i, ref in enumerate(refs):
            ref.predict()
            ref.update(xy[i][:, None], R=r[i])
            np.testing.assert_allclose(mean[i, order], ref.x[:, 0], rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(cov[i][np.ix_(order, order)], ref.P, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(mean[:, 2:4], boxes[:, 2:] - boxes[:, :2])  # size copied


def test_warp_moves_the_footpoint_through_the_image():
    kf = GroundKalman(SCALE)
    mean, cov = kf.initiate(np.array([[90.0, 60.0, 110.0, 100.0]]))
    same, same_cov = kf.warp(mean, cov, np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    np.testing.assert_allclose(same, mean)
    np.testing.assert_allclose(same_cov, cov)
    # 10 px right, and a vertical scale 1.5 about the origin: centre (100, 80) -> (110, 120), height 40 -> 60,
    # bottom (110, 150) -> ground (5.5, 7.5).
    moved, _ = kf.warp(mean, cov, np.array([[1.0, 0, 10.0], [0, 1.5, 0]]))
    np.testing.assert_allclose(moved[0, :2], [110 * 0.05, 150 * 0.05])
    np.testing.assert_allclose(moved[0, 2:], mean[0, 2:])


def test_gating_distance_is_ground_mahalanobis():
    kf = GroundKalman(SCALE)
    mean, cov = kf.initiate(np.array([[90.0, 60.0, 110.0, 100.0]]))
    # 20 px right = 1 m; S_xx = P 1 + R (0.05 * 2)^2 = 1.01.
    d = kf.gating_distance(mean, cov, np.array([[110.0, 60.0, 130.0, 100.0]]))
    np.testing.assert_allclose(d, [[1.0**2 / (1.0 + 0.05**2 * 4)]])
    assert kf.gating_distance(mean, cov, np.zeros((0, 4))).shape == (1, 0)


def test_ground_plane_sources_and_registration():
    import roadtrack
    from roadtrack.kalman.ground import ground_plane

    assert ground_plane() is None
    np.testing.assert_allclose(ground_plane(image_size=(1000, 500)).image_to_ground,
                               GroundPlane.road_camera(1000, 500).image_to_ground)
    np.testing.assert_allclose(ground_plane(homography=[[0.05, 0, 0], [0, 0.05, 0], [0, 0, 1]]).image_to_ground,
                               SCALE.image_to_ground)
    # The road camera written out as intrinsics and extrinsics gives the same plane.
    k = np.array([[1000.0, 0, 500], [0, 1000, 250], [0, 0, 1]])
    r = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    camera = {"intrinsics": k, "rotation": r, "translation": -r @ [0, 0, 1.5]}
    np.testing.assert_allclose(ground_plane(camera=camera).image_to_ground,
                               GroundPlane.road_camera(1000, 500).image_to_ground, atol=1e-12)
    with pytest.raises(ValueError, match="homography and image_size"):
        ground_plane(homography=np.eye(3), image_size=(10, 10))
    with pytest.raises(ValueError, match="camera: expected"):
        ground_plane(camera={"intrinsics": k})
    kf = roadtrack.build("motion", "ground", image_size=(1000, 500), camera_height=3.0, wx=5.0)
    assert isinstance(kf, GroundKalman) and kf._q[0, 0] == pytest.approx(5.0 / 30**4 / 4)
    # Height 3 m doubles every ground distance of the 1.5 m default: 100 px below the horizon is 30 m ahead.
    assert kf.plane.to_ground(np.array([[500.0, 350.0]]))[0][0, 1] == pytest.approx(1000 * 3.0 / 100)
    with pytest.raises(ValueError, match="needs a geometry"):
        roadtrack.build("motion", "ground")
