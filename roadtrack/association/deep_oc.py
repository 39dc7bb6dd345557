"""Deep OC-SORT's additions to OC-SORT (Maggiolino et al., ICIP 2023) as pure, batched functions.

* Dynamic appearance (DA): the weight of the old feature in a track's appearance EMA grows as the detection's
  score falls, so uncertain (often occluded) detections barely change the track's look.
* Adaptive weighting (AW): the appearance term of a pair is boosted when the embedding is discriminative,
  i.e. when a track's (or detection's) best cosine similarity clearly beats its second best.
* Camera-motion compensation of the observation history: OC-SORT's terms read past observed boxes, so
  they are warped with the Kalman state (`warp_boxes`).

The first association step maximises ``IoU + inertia * score * direction_consistency + W * cos_sim`` with
``W = adaptive_weights(cos_sim, w_association_emb, aw_param)`` (see the preset spec).
"""

from __future__ import annotations

import numpy as np


def dynamic_appearance_alpha(det_scores: np.ndarray, det_thresh: float, alpha_fixed: float = 0.95) -> np.ndarray:
    """DA's EMA weight of the old feature per detection: ``alpha_f + (1 - alpha_f) * (1 - trust)``,
    ``trust = (s - det_thresh) / (1 - det_thresh)``.

    A detection scoring 1 gives ``alpha_f``; one at ``det_thresh`` gives 1 (the track keeps its feature).
    Only detections above ``det_thresh`` are associated, so the weight lies in [alpha_f, 1).

    Args:
        det_scores: (D,) detection confidences.
        det_thresh: the tracker's detection threshold, < 1.
        alpha_fixed: weight at full confidence (``alpha_fixed_emb``), in [0, 1].

    Returns:
        (D,) float64.

    Example:
        >>> dynamic_appearance_alpha(np.array([1.0, 0.8]), 0.6, 0.95).round(4).tolist()  # trust 1 and 0.5
        [0.95, 0.975]
    """
    if not det_thresh < 1.0:
        raise ValueError(f"det_thresh must be < 1, got {det_thresh}")
    if not 0.0 <= alpha_fixed <= 1.0:
        raise ValueError(f"alpha_fixed must lie in [0, 1], got {alpha_fixed}")
    trust = (np.asarray(det_scores, np.float64) - det_thresh) / (1.0 - det_thresh)
    return alpha_fixed + (1.0 - alpha_fixed) * (1.0 - trust)


def dynamic_ema(track_features: np.ndarray, det_features: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Per-row EMA ``alpha * old + (1 - alpha) * new``, L2-normalised (Deep OC-SORT's ``update_emb``).

    Args:
        track_features: (N, K) current track features; det_features: (N, K) matched detections' features.
        alpha: (N,) weights of the old feature (`dynamic_appearance_alpha`).

    Returns:
        (N, K) float32 unit rows.
    """
    old = np.asarray(track_features, np.float64)
    new = np.asarray(det_features, np.float64)
    if old.shape != new.shape:
        raise ValueError(f"feature shapes differ: tracks {old.shape}, detections {new.shape}")
    a = np.asarray(alpha, np.float64).reshape(-1, 1)
    mixed = a * old + (1.0 - a) * new
    return (mixed / np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _top_two_gap(sim: np.ndarray, axis: int) -> np.ndarray:
    """Best minus second-best value along ``axis`` (needs >= 2 entries there)."""
    part = -np.partition(-sim, 1, axis=axis)  # the two largest first, in order
    return np.take(part, 0, axis=axis) - np.take(part, 1, axis=axis)


def adaptive_weights(similarity: np.ndarray, w_association_emb: float = 0.75, aw_param: float = 0.5) -> np.ndarray:
    """AW's per-pair weight of the appearance similarity (Deep OC-SORT reference code, ``compute_aw_new_metric``).

    ``W[t, d] = w + min(gap_track[t], eps) / 2 + min(gap_det[d], eps) / 2`` where ``gap_track[t]`` is track t's
    best minus second-best similarity over the detections (counted only with >= 2 detections), ``gap_det[d]``
    the same for detection d over the tracks (only with >= 2 tracks) and ``eps = aw_param`` caps the boost.

    Args:
        similarity: (T, D) cosine similarities of unit features, in [-1, 1].
        w_association_emb: the base weight ``w``.
        aw_param: the cap ``eps`` of each half-boost, >= 0.

    Returns:
        (T, D) float64 weights in [w, w + eps].
    """
    sim = np.asarray(similarity, np.float64)
    if sim.ndim != 2:
        raise ValueError(f"similarity: expected shape (T, D), got {sim.shape}")
    if aw_param < 0:
        raise ValueError(f"aw_param must be >= 0, got {aw_param}")
    t, d = sim.shape
    weights = np.full(sim.shape, float(w_association_emb))
    if d >= 2:
        weights += np.minimum(_top_two_gap(sim, axis=1), aw_param)[:, None] / 2.0
    if t >= 2:
        weights += np.minimum(_top_two_gap(sim, axis=0), aw_param)[None, :] / 2.0
    return weights


def appearance_score(similarity: np.ndarray, w_association_emb: float = 0.75, aw_param: float = 0.5,
                     adaptive: bool = True) -> np.ndarray:
    """The appearance term added to IoU and OCM in Deep OC-SORT's first step: ``W * cos_sim``.

    Args:
        similarity: (T, D) cosine similarities; adaptive: AW on (`adaptive_weights`), else ``W = w``.

    Returns:
        (T, D) float64.
    """
    sim = np.asarray(similarity, np.float64)
    weights = adaptive_weights(sim, w_association_emb, aw_param) if adaptive else w_association_emb
    return weights * sim


def warp_boxes(xyxy: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Move boxes with a camera motion: both corners ``(x1, y1)`` and ``(x2, y2)`` by ``A[:, :2] p + A[:, 2]``.

    As in Deep OC-SORT's ``apply_affine_correction`` for observations: the two corners are mapped, not the
    four (a rotation then yields the box spanned by the mapped corners). Any leading shape works.

    Args:
        xyxy: (..., 4) boxes, pixels; affine: (2, 3) transform from the previous frame to this one.

    Returns:
        (..., 4) float64.
    """
    boxes = np.asarray(xyxy, np.float64)
    a = np.asarray(affine, np.float64)
    if a.shape != (2, 3):
        raise ValueError(f"affine: expected shape (2, 3), got {a.shape}")
    if boxes.shape[-1] != 4:
        raise ValueError(f"xyxy: expected shape (..., 4), got {boxes.shape}")
    points = boxes.reshape(*boxes.shape[:-1], 2, 2)  # (..., corner, xy)
    moved = points @ a[:, :2].T + a[:, 2]
    return moved.reshape(boxes.shape)
