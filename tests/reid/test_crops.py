"""Crop extraction and normalisation shared by the neural embedders."""

import numpy as np
import pytest

from roadtrack import Detections
from roadtrack.reid.crops import Preprocess, check_frame, finish, pixel_boxes


def test_boxes_are_rounded_and_clipped_and_empty_ones_flagged():
    boxes, valid = pixel_boxes([[-5, -5, 10.4, 20.6], [90, 40, 130, 60], [120, 0, 140, 10], [5, 5, 5.2, 9]], 100, 50)
    assert boxes.tolist() == [[0, 0, 10, 21], [90, 40, 100, 50], [100, 0, 100, 10], [5, 5, 5, 9]]
    assert valid.tolist() == [True, True, False, False]


def test_crop_of_a_partly_outside_box_equals_the_crop_of_its_clipped_box():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    prep = Preprocess((32, 16))
    outside, valid = prep.crops(frame, np.array([[-20.0, 30, 40, 90]]))
    clipped, _ = prep.crops(frame, np.array([[0.0, 30, 40, 60]]))
    assert valid.tolist() == [True] and np.array_equal(outside, clipped)


def test_blob_is_rgb_normalised_chw():
    crops = np.zeros((2, 4, 3, 3), np.uint8)
    crops[..., 0] = 255  # blue in BGR
    blob = Preprocess((4, 3), mean=(0.5, 0.5, 0.5), std=(0.25, 0.5, 0.5)).blob(crops)
    assert blob.shape == (2, 3, 4, 3) and blob.dtype == np.float32 and blob.flags["C_CONTIGUOUS"]
    # RGB order: channel 2 is blue: (1 - 0.5) / 0.5 = 1; red (0 - 0.5) / 0.25 = -2; green (0 - 0.5) / 0.5 = -1
    np.testing.assert_allclose(blob[:, :, 0, 0], [[-2, -1, 1]] * 2, rtol=1e-6)


def test_finish_normalises_rows_and_zeroes_empty_crops():
    out = finish(np.array([[3.0, 4.0], [1.0, 1.0]]), np.array([True, False]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert out.dtype == np.float32


@pytest.mark.parametrize("frame, match", [
    (np.zeros((10, 10, 3), np.float32), "uint8"),
    (np.zeros((10, 10), np.uint8), r"\(10, 10\)"),
    (np.zeros((10, 10, 4), np.uint8), r"\(10, 10, 4\)"),
    (np.zeros((0, 10, 3), np.uint8), r"\(0, 10, 3\)"),
    ([[0, 0, 0]], "numpy array"),
])
def test_wrong_frame_is_a_value_error(frame, match):
    with pytest.raises(ValueError, match=match):
        check_frame(frame)


def test_check_frame_accepts_a_bgr_image():
    frame = np.zeros((4, 5, 3), np.uint8)
    assert check_frame(frame) is frame
    assert Preprocess((8, 4)).crops(frame, Detections.empty().xyxy)[0].shape == (0, 8, 4, 3)
