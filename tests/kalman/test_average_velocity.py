"""C-BIoU's average-velocity motion estimate (roadtrack.kalman.average_velocity) on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.kalman.average_velocity import AverageVelocityMotion


def box(x: float) -> np.ndarray:
    return np.array([[x, 0.0, x + 10, 10]])


def test_paper_formula_over_consecutive_frames():
    m = AverageVelocityMotion(n=2)
    mean, cov = m.initiate(box(0.0))
    assert cov.shape == (1, 0, 0)
    for x in (4.0, 6.0):
        mean, cov = m.update(*m.predict(mean, cov), box(x))
    # Observations 0, 4, 6: s = o^t + 1/2 (o^t - o^(t-2)) = 6 + (6 - 0) / 2.
    assert m.to_xyxy(m.predict(mean, cov)[0])[0, 0] == pytest.approx(9.0)
    mean, cov = m.update(*m.predict(mean, cov), box(12.0))
    # Only n + 1 = 3 observations are kept: 4, 6, 12. Two frames ahead: 12 + 2/2 * (12 - 4).
    mean, cov = m.predict(*m.predict(mean, cov))
    assert m.to_xyxy(mean)[0].tolist() == [20.0, 0.0, 30.0, 10.0]
    assert mean[0, m.DELTA] == 2.0


def test_velocity_spans_the_frames_of_a_gap_and_tracks_are_independent():
    m = AverageVelocityMotion(n=5)
    mean, cov = m.initiate(np.concatenate([box(0.0), box(100.0)]))
    for _ in range(3):
        mean, cov = m.predict(mean, cov)
    # Track 0 is seen again 3 frames later 9 px on: 3 px per frame. Track 1 was never seen again: velocity 0.
    upd, _ = m.update(mean[:1], cov[:1], box(9.0))
    mean[:1] = upd
    ahead = m.to_xyxy(m.predict(mean, cov)[0])
    assert ahead[:, 0].tolist() == [12.0, 100.0]


def test_bad_window():
    with pytest.raises(ValueError, match="n must be"):
        AverageVelocityMotion(n=0)
