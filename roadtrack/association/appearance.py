"""Appearance and fused costs: (T, ·) tracks x (D, ·) detections -> (T, D), ``inf`` forbids a pair."""

from __future__ import annotations

import numpy as np


def cosine_distance(track_features: np.ndarray, det_features: np.ndarray) -> np.ndarray:
    """``1 - cos`` between each track's feature (an EMA or the latest) and each detection's.

    Args:
        track_features: (T, K) float features; det_features: (D, K). Rows need not be normalised.

    Returns:
        (T, D) float64 in [0, 2]; a zero vector has distance 1 to everything.

    Example:
        >>> cosine_distance(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0], [0.0, 1.0]])).tolist()
        [[0.0, 1.0]]
    """
    a = _normalised(track_features)
    b = _normalised(det_features)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: tracks {a.shape[1]}, detections {b.shape[1]}")
    return np.clip(1.0 - a @ b.T, 0.0, 2.0)


def gallery_distance(gallery: np.ndarray, counts: np.ndarray, det_features: np.ndarray) -> np.ndarray:
    """DeepSORT's nearest-neighbour cosine distance: the smallest ``1 - cos`` over each track's stored features.

    Args:
        gallery: (T, B, K) float features, L2-normalised; slots ``>= counts[t]`` of row t are unused.
        counts: (T,) int number of used slots per track (0 gives distance inf: nothing to compare with).
        det_features: (D, K) features.

    Returns:
        (T, D) float64.
    """
    t, b, k = gallery.shape
    det = _normalised(det_features)
    if t == 0 or det.shape[0] == 0:
        return np.zeros((t, det.shape[0]))
    if k != det.shape[1]:
        raise ValueError(f"feature dimensions differ: gallery {k}, detections {det.shape[1]}")
    sims = (gallery.reshape(t * b, k) @ det.T).reshape(t, b, -1).astype(np.float64)
    used = np.arange(b)[None, :] < np.asarray(counts)[:, None]
    sims[~used] = -np.inf
    return np.clip(1.0 - sims.max(axis=1), 0.0, np.inf)


def _normalised(features: np.ndarray) -> np.ndarray:
    arr = np.asarray(features, np.float32)
    if arr.ndim != 2:
        raise ValueError(f"features: expected shape (N, K), got {arr.shape}")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.maximum(norms, 1e-12)


def fuse_score(iou_cost: np.ndarray, det_scores: np.ndarray) -> np.ndarray:
    """ByteTrack's score fusion: ``1 - (1 - cost) * score``, so confident detections look closer.

    Args:
        iou_cost: (T, D) ``1 - IoU`` costs; det_scores: (D,) confidences.
    """
    return 1.0 - (1.0 - iou_cost) * np.asarray(det_scores, np.float64)[None, :]


def iou_gated_appearance(
    iou_cost: np.ndarray, fused_cost: np.ndarray, appearance: np.ndarray,
    proximity_thresh: float, appearance_thresh: float,
) -> np.ndarray:
    """BoT-SORT's motion + appearance cost: ``min(fused IoU cost, appearance / 2)`` with the appearance term
    counting only for pairs that overlap (``1 - IoU <= proximity_thresh``) and look alike
    (``appearance / 2 <= appearance_thresh``); elsewhere it is 1.

    Args:
        iou_cost: (T, D) ``1 - IoU``; fused_cost: (T, D) the motion cost actually used (e.g. `fuse_score`).
        appearance: (T, D) cosine distances in [0, 2].
        proximity_thresh, appearance_thresh: the two gates.

    Example:
        >>> iou_gated_appearance(np.array([[0.4, 0.9]]), np.array([[0.5, 0.95]]), np.array([[0.2, 0.1]]),
        ...                      0.5, 0.25).tolist()   # second pair: too far for appearance to count
        [[0.1, 0.95]]
    """
    emb = appearance / 2.0
    emb = np.where((emb > appearance_thresh) | (iou_cost > proximity_thresh), 1.0, emb)
    return np.minimum(fused_cost, emb)


def gate_by_mahalanobis(cost: np.ndarray, squared_distance: np.ndarray, threshold: float,
                        weight: float = 1.0) -> np.ndarray:
    """DeepSORT/StrongSORT motion gate: forbid pairs whose squared Mahalanobis distance exceeds ``threshold``.

    With ``weight < 1`` the remaining costs become ``weight * cost + (1 - weight) * squared_distance``
    (StrongSORT's motion-cost blend, ``weight = 0.98``).

    Args:
        cost: (T, D) appearance costs; squared_distance: (T, D) from `roadtrack.kalman.gating_distance`.
        threshold: gate, usually ``CHI2INV95[4]``.
        weight: share of ``cost`` in the blend, in [0, 1].
    """
    blended = cost if weight == 1.0 else weight * cost + (1.0 - weight) * squared_distance
    return np.where(squared_distance > threshold, np.inf, blended)


def direction_consistency(
    velocity: np.ndarray, previous_xyxy: np.ndarray, has_previous: np.ndarray, det_xyxy: np.ndarray
) -> np.ndarray:
    """OC-SORT's velocity-direction consistency (OCM): how well each detection continues a track's heading.

    For a track with unit direction ``u`` (its motion between two earlier observations) and the unit direction
    ``w`` from its previous observation's centre to a detection's centre, the value is
    ``(pi / 2 - arccos(u . w)) / pi`` in [-0.5, 0.5]: 0.5 straight ahead, -0.5 straight back. Tracks without a
    previous observation get 0.

    Args:
        velocity: (T, 2) unit direction (dx, dy) per track (zeros when unknown).
        previous_xyxy: (T, 4) the observation the direction is measured from.
        has_previous: (T,) bool.
        det_xyxy: (D, 4) detection boxes.

    Returns:
        (T, D) float64.
    """
    pc = (previous_xyxy[:, :2] + previous_xyxy[:, 2:]) / 2.0
    dc = (det_xyxy[:, :2] + det_xyxy[:, 2:]) / 2.0
    angle = _consistency(velocity[:, None, :], pc[:, None, :], dc[None, :, :])
    return np.where(np.asarray(has_previous, bool)[:, None], angle, 0.0)


def direction_consistency_pairs(
    velocity: np.ndarray, previous_xyxy: np.ndarray, has_previous: np.ndarray, det_xyxy: np.ndarray
) -> np.ndarray:
    """`direction_consistency` for K given (track, detection) pairs: (K, 2), (K, 4), (K,), (K, 4) -> (K,)."""
    pc = (previous_xyxy[:, :2] + previous_xyxy[:, 2:]) / 2.0
    dc = (det_xyxy[:, :2] + det_xyxy[:, 2:]) / 2.0
    return np.where(np.asarray(has_previous, bool), _consistency(velocity, pc, dc), 0.0)


def _consistency(velocity: np.ndarray, from_centre: np.ndarray, to_centre: np.ndarray) -> np.ndarray:
    """``(pi / 2 - arccos(u . w)) / pi`` over broadcast (..., 2) velocities and centres."""
    dx = to_centre[..., 0] - from_centre[..., 0]
    dy = to_centre[..., 1] - from_centre[..., 1]
    norm = np.sqrt(dx**2 + dy**2) + 1e-6
    cos = np.clip(velocity[..., 0] * dx / norm + velocity[..., 1] * dy / norm, -1.0, 1.0)
    return (np.pi / 2.0 - np.abs(np.arccos(cos))) / np.pi
