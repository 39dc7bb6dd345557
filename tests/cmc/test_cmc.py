"""Camera-motion estimators: accuracy on real frames warped by known transforms, frame-to-frame chaining,
rescaling, and robustness (never raise, identity on failure)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import require_shared

from roadtrack.cmc import ECCCMC, ORBCMC, SparseFlowCMC, build_cmc
from roadtrack.cmc.base import CameraMotion
from roadtrack.core import Detections


@pytest.fixture(scope="module")
def pets_frames():
    video = require_shared("data", "MOT15", "train", "PETS09-S2L1", "PETS09-S2L1.avi")
    cap = cv2.VideoCapture(str(video))
    frames = [cap.read()[1] for _ in range(12)]
    cap.release()
    assert all(f is not None for f in frames)
    return frames


def similarity(deg: float, scale: float, tx: float, ty: float, size) -> np.ndarray:
    w, h = size
    a = cv2.getRotationMatrix2D((w / 2, h / 2), deg, scale)
    a[:, 2] += (tx, ty)
    return a


def corner_error(a: np.ndarray, b: np.ndarray, size) -> float:
    w, h = size
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float)
    return float(np.linalg.norm(corners @ a[:, :2].T + a[:, 2] - (corners @ b[:, :2].T + b[:, 2]), axis=1).max())


TRANSFORMS = [(0.0, 1.0, 3.3, -2.1), (0.5, 1.01, -4.0, 1.5), (-1.0, 0.99, 6.0, 3.0), (0.3, 1.0, -1.2, 0.4)]


@pytest.mark.parametrize("params", TRANSFORMS)
def test_sparse_flow_recovers_known_transform_within_half_a_pixel(pets_frames, params):
    frame = pets_frames[0]
    size = frame.shape[1], frame.shape[0]
    truth = similarity(*params, size)
    cmc = SparseFlowCMC()
    assert np.array_equal(cmc.estimate(frame), np.eye(2, 3))  # first frame: identity
    warped = cv2.warpAffine(frame, truth, size, borderMode=cv2.BORDER_REFLECT)
    assert corner_error(cmc.estimate(warped), truth, size) < 0.5


def test_ecc_recovers_a_rigid_transform(pets_frames):
    frame = pets_frames[0]
    size = frame.shape[1], frame.shape[0]
    truth = similarity(0.0, 1.0, 3.3, -2.1, size)
    cmc = ECCCMC()
    cmc.estimate(frame)
    assert corner_error(cmc.estimate(cv2.warpAffine(frame, truth, size, borderMode=cv2.BORDER_REFLECT)), truth, size) < 0.5


def test_orb_is_roughly_right(pets_frames):
    frame = pets_frames[0]
    size = frame.shape[1], frame.shape[0]
    truth = similarity(0.5, 1.01, -4.0, 1.5, size)
    cmc = ORBCMC()
    cmc.estimate(frame)
    assert corner_error(cmc.estimate(cv2.warpAffine(frame, truth, size, borderMode=cv2.BORDER_REFLECT)), truth, size) < 3.0


def test_each_frame_is_aligned_to_the_previous_one(pets_frames):
    # Frames shifted by 0, 4 and 10 px: the second estimate is the 6 px step, not the 10 px total.
    frame = pets_frames[0]
    size = frame.shape[1], frame.shape[0]
    cmc = SparseFlowCMC()
    shifts = [0.0, 4.0, 10.0]
    steps = [cmc.estimate(cv2.warpAffine(frame, similarity(0, 1, s, 0, size), size, borderMode=cv2.BORDER_REFLECT))
             for s in shifts]
    assert steps[1][0, 2] == pytest.approx(4.0, abs=0.3) and steps[2][0, 2] == pytest.approx(6.0, abs=0.3)


def test_static_camera_with_moving_people_gives_near_identity(pets_frames):
    # PETS09's camera is fixed: consecutive real frames differ by walking people only (masked as detections).
    cmc = SparseFlowCMC()
    people = Detections([[400, 150, 450, 280]])
    for frame in pets_frames:
        a = cmc.estimate(frame, people)
        assert corner_error(a, np.eye(2, 3), (768, 576)) < 1.0


def test_rescaling_to_full_resolution_is_exact():
    # A transform of the small image, mapped to full resolution and back to the small image, by hand for d = 0.25:
    # x_s = 0.25 (x + 0.5) - 0.5. A small-image shift of 1 px is a full-image shift of 4 px.
    full = CameraMotion._to_full(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, -2.0]]), np.array([0.25, 0.25]))
    np.testing.assert_allclose(full, [[1, 0, 4], [0, 1, -8]])
    rot = np.array([[0.0, -1.0, 3.0], [1.0, 0.0, 5.0]])
    d = np.array([0.5, 0.25])
    full = CameraMotion._to_full(rot, d)
    p = np.array([100.0, 40.0])
    p_small = d * (p + 0.5) - 0.5
    q_small = rot[:, :2] @ p_small + rot[:, 2]
    np.testing.assert_allclose(full[:, :2] @ p + full[:, 2], (q_small + 0.5) / d - 0.5)


@pytest.mark.parametrize("cls", [SparseFlowCMC, ECCCMC, ORBCMC])
def test_bad_frames_give_identity_and_never_raise(cls):
    cmc = cls()
    rng = np.random.default_rng(0)
    frames = [
        None, np.zeros((480, 640, 3), np.uint8), np.zeros((480, 640, 3), np.uint8),  # blank: nothing to track
        (rng.random((480, 640, 3)) * 255).astype(np.uint8), (rng.random((480, 640, 3)) * 255).astype(np.uint8),
        np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8),  # tiny
        (rng.random((480, 640)) * 255).astype(np.uint8),  # grey, new size
        rng.random((480, 640, 3)) * 300.0,  # float, out of range
        np.zeros((0, 0, 3), np.uint8), np.zeros((10,), np.uint8),
    ]
    for frame in frames:
        a = cmc.estimate(frame, Detections([[0, 0, 10, 10]]))
        assert a.shape == (2, 3) and np.isfinite(a).all()
    for frame in frames[:3]:
        np.testing.assert_array_equal(cmc.estimate(frame), np.eye(2, 3))


def test_implausible_estimates_are_rejected():
    cmc = SparseFlowCMC()
    assert np.array_equal(cmc._checked(np.array([[3.0, 0, 0], [0, 3.0, 0]]), (480, 640)), np.eye(2, 3))  # 3x zoom
    assert np.array_equal(cmc._checked(np.array([[1.0, 0, 500], [0, 1.0, 0]]), (480, 640)), np.eye(2, 3))  # huge jump
    assert np.array_equal(cmc._checked(np.array([[np.nan, 0, 0], [0, 1.0, 0]]), (480, 640)), np.eye(2, 3))
    ok = np.array([[1.0, 0, 5], [0, 1.0, -3]])
    assert np.array_equal(cmc._checked(ok, (480, 640)), ok)


def test_build_by_name_and_bad_options():
    assert isinstance(build_cmc("sparse-flow"), SparseFlowCMC) and build_cmc(None) is None and build_cmc("none") is None
    with pytest.raises(ValueError, match="unknown cmc method"):
        build_cmc("gyro")
    with pytest.raises(ValueError, match="scale"):
        SparseFlowCMC(scale=0.0)
    with pytest.raises(ValueError, match="unknown ECC motion"):
        ECCCMC(motion="homography")


def test_cmc_methods_are_registered_and_chosen_by_name():
    import roadtrack
    from roadtrack.cmc import ORBCMC, build_cmc
    from roadtrack.trackers import botsort

    assert roadtrack.available("cmc") == ["ecc", "orb", "sparse-flow"]
    assert isinstance(botsort(with_reid=False, cmc="orb").cmc, ORBCMC)
    assert botsort(with_reid=False, cmc=None).cmc is None and build_cmc("none") is None
    with pytest.raises(ValueError, match="sparse-flow"):
        build_cmc("optical-flow")
