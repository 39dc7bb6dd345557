"""OC-SORT's observation-centric re-update (ORU), batched over tracks with different gaps.

While a track goes unobserved the filter only predicts, and its velocity error grows with every frame.
When the track is observed again, OC-SORT (Cao et al., CVPR 2023, section 3.2) rolls the filter back to the
frame where the observations stopped and re-runs it along a virtual trajectory: the boxes linearly
interpolated between the last observation and the new one, one per missed frame.
"""

from __future__ import annotations

import numpy as np

from roadtrack.core.boxes import xywh_to_xyxy, xyxy_to_xywh
from roadtrack.kalman.base import LinearKalman


def observation_centric_reupdate(
    model: LinearKalman,
    saved_mean: np.ndarray,
    saved_cov: np.ndarray,
    last_xyxy: np.ndarray,
    new_xyxy: np.ndarray,
    gaps: np.ndarray,
    last_scores: np.ndarray | None = None,
    new_scores: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Replay the filter of N re-found tracks along virtual observations.

    For track n with gap ``g = gaps[n]`` (frames from its last observation to ``new_xyxy``), starting from
    the saved prior of the first unobserved frame, this runs ``update(v_1), predict, update(v_2), ...,
    predict, update(v_g)`` with ``v_k = last + k / g * (new - last)`` interpolated in centre, width and
    height. ``v_g`` is the new box itself; as in OC-SORT, the caller then applies the ordinary update with
    the new box, so the real observation counts twice.

    Args:
        model: the tracks' motion model.
        saved_mean: (N, S) state one prediction after the last update (the first unobserved frame's prior).
        saved_cov: (N, S, S) its covariance.
        last_xyxy: (N, 4) last observed boxes, pixels.
        new_xyxy: (N, 4) boxes the tracks are re-found with, pixels.
        gaps: (N,) int frames between the two observations, >= 1.
        last_scores, new_scores: (N,) detection scores of the two observations, interpolated like the boxes
            (``c_k = c_last + k / g * (c_new - c_last)``) for models that track confidence (Hybrid-SORT); None for
            box-only models.

    Returns:
        (N, S) means and (N, S, S) covariances of the current frame, before its own update.

    Example:
        >>> from roadtrack.kalman import SortKalman
        >>> kf = SortKalman()
        >>> m, c = kf.predict(*kf.initiate(np.array([[0.0, 0, 10, 10]])))
        >>> m2, _ = observation_centric_reupdate(kf, m, c, np.array([[0.0, 0, 10, 10]]),
        ...                                      np.array([[4.0, 0, 14, 10]]), np.array([2]))
        >>> bool(m2[0, 4] > 0)   # the replay has learnt a rightward velocity
        True
    """
    mean = np.array(saved_mean, np.float64, copy=True)
    cov = np.array(saved_cov, np.float64, copy=True)
    gaps = np.asarray(gaps, np.int64)
    if mean.shape[0] == 0:
        return mean, cov
    if np.any(gaps < 1):
        raise ValueError(f"gaps must be >= 1, got {gaps.min()}")
    start, end = xyxy_to_xywh(last_xyxy), xyxy_to_xywh(new_xyxy)
    step = (end - start) / gaps[:, None]
    if last_scores is not None:
        c0 = np.asarray(last_scores, np.float64)
        score_step = (np.asarray(new_scores, np.float64) - c0) / gaps
    for k in range(1, int(gaps.max()) + 1):
        rows = np.flatnonzero(gaps >= k)
        virtual = xywh_to_xyxy(start[rows] + k * step[rows])
        scores = None if last_scores is None else c0[rows] + k * score_step[rows]
        mean[rows], cov[rows] = model.update(mean[rows], cov[rows], virtual, scores)
        more = rows[gaps[rows] > k]
        if more.size:
            mean[more], cov[more] = model.predict(mean[more], cov[more])
    return mean, cov
