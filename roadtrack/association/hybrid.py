"""Hybrid-SORT's weak cues (Yang et al., AAAI 2024) as pure, batched functions.

* Height-modulated IoU (HMIoU): IoU times the overlap of the two boxes' vertical extents.
* Robust observation-centric momentum: OC-SORT's direction consistency on the four box corners, each with a
  track direction summed over the last ``delta_t`` observations.
* Tracklet confidence modelling (TCM): ``|predicted track confidence - detection score|`` as a cost, with the
  track confidence predicted by a Kalman filter (first step, `roadtrack.kalman.hybrid`) or by linear
  extrapolation of the last two scores (BYTE step, `extrapolated_confidence`).

The association steps compose these with `roadtrack.association.sort_assignment` (see the preset spec):
first step ``sort_assignment(hmiou, iou_threshold, bonus=inertia * score * corner_consistency - w * tcm_cost)``.

Corners are ordered (x1, y1), (x1, y2), (x2, y1), (x2, y2); directions are (dx, dy) like
`roadtrack.association.direction_consistency`.
"""

from __future__ import annotations

import numpy as np

from roadtrack.association.costs import _boxes, iou

# Column pairs (x, y) of the four corners in an xyxy row: top-left, bottom-left, top-right, bottom-right.
CORNERS = ((0, 1), (0, 3), (2, 1), (2, 3))
_CX = np.array([c[0] for c in CORNERS])
_CY = np.array([c[1] for c in CORNERS])


def height_iou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """Overlap of the vertical extents: ``max(0, min(y2) - max(y1)) / (max(y2) - min(y1))``.

    Args:
        a_xyxy: (T, 4) boxes, pixels; b_xyxy: (D, 4).

    Returns:
        (T, D) float64 in [0, 1]; 0 where both extents are empty.
    """
    a = _boxes(a_xyxy, "a_xyxy")
    b = _boxes(b_xyxy, "b_xyxy")
    inter = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    hull = np.maximum(a[:, None, 3], b[None, :, 3]) - np.minimum(a[:, None, 1], b[None, :, 1])
    inter = np.maximum(inter, 0.0)
    return np.divide(inter, hull, out=np.zeros_like(inter), where=hull > 0)


def hmiou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """Height-modulated IoU: `iou` times `height_iou` (Hybrid-SORT, eq. 4).

    Boxes of similar height at similar depth overlap more; a tall track and a short detection (a person
    partly hidden behind another) are penalised even where their boxes overlap.

    Args:
        a_xyxy: (T, 4) boxes, pixels; b_xyxy: (D, 4).

    Returns:
        (T, D) float64 in [0, 1].

    Example:
        >>> round(float(hmiou(np.array([[0, 0, 10, 10]]), np.array([[5, 5, 15, 15]]))[0, 0]), 4)  # 25/175 * 5/15
        0.0476
    """
    return iou(a_xyxy, b_xyxy) * height_iou(a_xyxy, b_xyxy)


def _corner_points(xyxy: np.ndarray) -> np.ndarray:
    """(..., 4) xyxy -> (..., 4, 2) corner points in `CORNERS` order."""
    return np.stack([xyxy[..., _CX], xyxy[..., _CY]], axis=-1)


def _unit(d: np.ndarray) -> np.ndarray:
    """Directions (..., 2) divided by their norm + 1e-6 (the references' guard; a zero move stays zero)."""
    return d / (np.sqrt(d[..., 0] ** 2 + d[..., 1] ** 2) + 1e-6)[..., None]


def corner_directions(from_xyxy: np.ndarray, to_xyxy: np.ndarray) -> np.ndarray:
    """Unit direction of each corner from one box to another, for N pairs: (N, 4), (N, 4) -> (N, 4, 2)."""
    return _unit(_corner_points(np.asarray(to_xyxy, np.float64)) - _corner_points(np.asarray(from_xyxy, np.float64)))


def recent_observations(obs_xyxy: np.ndarray, obs_age: np.ndarray, age: np.ndarray,
                        delta_t: int) -> tuple[np.ndarray, np.ndarray]:
    """The observations of the last ``delta_t`` frames from a ring of observations by age.

    Args:
        obs_xyxy: (N, K, 4) observed boxes, slot ``age % K``; obs_age: (N, K) int their ages (-1 = empty).
        age: (N,) int current ages (this frame's, after prediction).
        delta_t: frames back, <= K.

    Returns:
        (N, delta_t, 4) boxes observed at ages ``age - 1, ..., age - delta_t`` and (N, delta_t) bool, True where
        such an observation exists.
    """
    k = obs_xyxy.shape[1]
    if not 1 <= delta_t <= k:
        raise ValueError(f"delta_t must lie in [1, {k}] (the kept history), got {delta_t}")
    want = np.asarray(age)[:, None] - np.arange(1, delta_t + 1)[None, :]  # (N, delta_t)
    slot = want % k
    rows = np.arange(obs_xyxy.shape[0])[:, None]
    # want >= 0: empty slots hold age -1, which must not pass for an observation at age -1.
    return obs_xyxy[rows, slot], (obs_age[rows, slot] == want) & (want >= 0)


def corner_velocity(previous_xyxy: np.ndarray, valid: np.ndarray, new_xyxy: np.ndarray,
                    fallback_xyxy: np.ndarray | None = None) -> np.ndarray:
    """Hybrid-SORT's per-corner track direction after an update with ``new_xyxy``.

    The *sum* of the unit corner directions from each valid recent observation to the new box (not
    renormalised, as in the reference code: its dot products are clipped to [-1, 1] when compared). Rows with
    no valid recent observation use the single direction from ``fallback_xyxy`` (the last observation).

    Args:
        previous_xyxy: (N, K, 4) recent observations (see `recent_observations`); valid: (N, K) bool.
        new_xyxy: (N, 4) the boxes the tracks are updated with.
        fallback_xyxy: (N, 4) last observed boxes, or None (rows without history then get zeros).

    Returns:
        (N, 4, 2) float64 (dx, dy) per corner.
    """
    previous_xyxy = np.asarray(previous_xyxy, np.float64)
    valid = np.asarray(valid, bool)
    new_corners = _corner_points(np.asarray(new_xyxy, np.float64))[:, None]  # (N, 1, 4, 2)
    steps = _unit(new_corners - _corner_points(previous_xyxy))  # (N, K, 4, 2)
    total = np.where(valid[:, :, None, None], steps, 0.0).sum(axis=1)
    none = ~valid.any(axis=1)
    if fallback_xyxy is not None and none.any():
        total[none] = corner_directions(np.asarray(fallback_xyxy)[none], np.asarray(new_xyxy)[none])
    return total


def corner_consistency(velocity: np.ndarray, previous_xyxy: np.ndarray, has_previous: np.ndarray,
                       det_xyxy: np.ndarray) -> np.ndarray:
    """Four-corner direction consistency: the sum over corners of OC-SORT's ``(pi/2 - arccos(u . w)) / pi``.

    ``u`` is a track's corner direction (`corner_velocity`), ``w`` the unit direction of the same corner from
    the track's previous observation (OC-SORT's ``delta_t`` frames back) to a detection; ``u . w`` is clipped
    to [-1, 1]. Tracks without a previous observation get 0.

    Args:
        velocity: (T, 4, 2) corner directions; previous_xyxy: (T, 4); has_previous: (T,) bool.
        det_xyxy: (D, 4) detection boxes.

    Returns:
        (T, D) float64 in [-2, 2] (four terms in [-0.5, 0.5]).
    """
    velocity = np.asarray(velocity, np.float64)
    det = _boxes(det_xyxy, "det_xyxy")
    prev = _boxes(previous_xyxy, "previous_xyxy")
    if velocity.shape != (prev.shape[0], 4, 2):
        raise ValueError(f"velocity: expected shape ({prev.shape[0]}, 4, 2), got {velocity.shape}")
    w = _unit(_corner_points(det)[None, :] - _corner_points(prev)[:, None])  # (T, D, 4, 2)
    cos = np.clip(np.einsum("tcx,tdcx->tdc", velocity, w), -1.0, 1.0)
    total = ((np.pi / 2.0 - np.arccos(cos)) / np.pi).sum(axis=2)
    return np.where(np.asarray(has_previous, bool)[:, None], total, 0.0)


def corner_consistency_pairs(velocity: np.ndarray, previous_xyxy: np.ndarray, has_previous: np.ndarray,
                             det_xyxy: np.ndarray) -> np.ndarray:
    """`corner_consistency` for N given (track, detection) pairs: row i of each argument belongs to pair i.

    Args:
        velocity: (N, 4, 2); previous_xyxy: (N, 4); has_previous: (N,) bool; det_xyxy: (N, 4).

    Returns:
        (N,) float64 in [-2, 2].
    """
    velocity = np.asarray(velocity, np.float64)
    w = _unit(_corner_points(np.asarray(det_xyxy, np.float64)) - _corner_points(np.asarray(previous_xyxy, np.float64)))
    cos = np.clip((velocity * w).sum(axis=2), -1.0, 1.0)  # (N, 4)
    total = ((np.pi / 2.0 - np.arccos(cos)) / np.pi).sum(axis=1)
    return np.where(np.asarray(has_previous, bool), total, 0.0)


def tcm_cost(track_confidence: np.ndarray, det_scores: np.ndarray) -> np.ndarray:
    """Tracklet confidence modelling cost ``|c_track - s_det|``: (T,), (D,) -> (T, D) float64 in [0, 1]."""
    c = np.asarray(track_confidence, np.float64).reshape(-1)
    s = np.asarray(det_scores, np.float64).reshape(-1)
    return np.abs(c[:, None] - s[None, :])


def kalman_confidence(confidence_state: np.ndarray, track_thresh: float) -> np.ndarray:
    """First-step track confidence: the Kalman-predicted confidence clipped to [``track_thresh``, 1]. (T,) -> (T,)."""
    return np.clip(np.asarray(confidence_state, np.float64), track_thresh, 1.0)


def extrapolated_confidence(score: np.ndarray, previous_score: np.ndarray, has_previous: np.ndarray,
                            track_thresh: float, low: float = 0.1) -> np.ndarray:
    """BYTE-step track confidence: ``s + (s - s_prev)`` (linear extrapolation of the last two scores), or ``s``
    where the track missed the last frame, clipped to [``low``, ``track_thresh``].

    Args:
        score: (T,) score of the last update (or of the creating detection); previous_score: (T,) the score
            before it (the update or creation before, however long ago).
        has_previous: (T,) bool, True where the track was updated last frame: the reference forgets
            ``s_prev`` on every missed frame and a track not yet updated has none.
        track_thresh: upper clip (the low-score detections lie below it); low: lower clip.

    Returns:
        (T,) float64.
    """
    s = np.asarray(score, np.float64)
    guess = np.where(np.asarray(has_previous, bool), 2.0 * s - np.asarray(previous_score, np.float64), s)
    return np.clip(guess, low, track_thresh)
