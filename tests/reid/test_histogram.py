import numpy as np
import pytest

from roadtrack import Detections
from roadtrack.reid import ColorHistogramEmbedder


def test_same_colour_is_closer_than_other_colour():
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[:, :100] = (0, 0, 255)  # red half (BGR)
    frame[:, 100:] = (255, 0, 0)  # blue half
    dets = Detections([[0, 0, 50, 90], [50, 10, 100, 100], [120, 0, 180, 90]])
    f = ColorHistogramEmbedder().embed(frame, dets)
    assert f.shape == (3, 96) and f.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-6)
    assert f[0] @ f[1] == pytest.approx(1.0) and f[0] @ f[2] == pytest.approx(0.0)


def test_box_outside_frame_gets_defined_uniform_vector():
    frame = np.zeros((50, 50, 3), np.uint8)
    f = ColorHistogramEmbedder(stripes=1, hue_bins=2, saturation_bins=2).embed(frame, Detections([[60, 60, 80, 80]]))
    np.testing.assert_allclose(f, [[0.5, 0.5, 0.5, 0.5]])


def test_wrong_frame_is_an_error():
    with pytest.raises(ValueError, match="uint8"):
        ColorHistogramEmbedder().embed(np.zeros((10, 10, 3), np.float32), Detections([[0, 0, 5, 5]]))
