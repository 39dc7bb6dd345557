"""BoostTrack / BoostTrack++ (Stanojević & Todorović, MVA 2024; arXiv 2408.13003): detection-confidence boosts and
the confidence-weighted similarity, as pure functions over all tracks and detections of a frame.

Layout: tracks are rows, detections columns, ``(T, ·), (D, ·) -> (T, D)`` (the reference code uses (D, T)).
Track boxes are this frame's predictions. Constants and their sources are listed in /work/notes/presets/boosttrack.md;
the defaults here are the reference code's (vukasin-stanojevic/BoostTrack, ``default_settings.py``, ``tracker/``).
"""

from __future__ import annotations

import numpy as np

from roadtrack.association.costs import _boxes, iou
from roadtrack.association.solver import METHODS, assign, one_to_one

# The reference's Mahalanobis "limit": the chi-square 0.99 quantile for 4 degrees of freedom (chi2inv(0.99, 4)).
CHI2INV99_4 = 13.2767


def tracklet_confidence(age: np.ndarray, time_since_update: np.ndarray, coef: float = 0.9, warmup: int = 7) -> np.ndarray:
    """BoostTrack's tracklet confidence: low while a track is young, then decaying with every missed frame.

    ``coef ** (warmup - age)`` while ``age < warmup``, else ``coef ** (time_since_update - 1)``.

    Args:
        age: (T,) int frames since creation, counting this frame's prediction (1 in the frame after creation).
        time_since_update: (T,) int frames since the last update, counting this frame (1 = updated last frame).
        coef, warmup: the reference's 0.9 and 7.

    Returns:
        (T,) float64 in (0, 1].
    """
    age = np.asarray(age, np.float64)
    tsu = np.asarray(time_since_update, np.float64)
    return np.where(age < warmup, coef ** (warmup - age), coef ** (tsu - 1.0))


def diagonal_mahalanobis(track_mean: np.ndarray, track_var: np.ndarray, det_meas: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance with a diagonal covariance, as BoostTrack computes it.

    The reference uses the diagonal of the *state* covariance P (not the innovation covariance P + R).

    Args:
        track_mean: (T, M) predicted means in measurement space (BoostTrack: cx, cy, h, w/h).
        track_var: (T, M) positive variances, the diagonal of each track's P restricted to those components.
        det_meas: (D, M) detections in the same space.

    Returns:
        (T, D) float64 ``sum_m (z_m - x_m)^2 / var_m``.
    """
    x = np.asarray(track_mean, np.float64)
    v = np.asarray(track_var, np.float64)
    z = np.asarray(det_meas, np.float64)
    if x.ndim != 2 or v.shape != x.shape or z.ndim != 2 or (z.size and z.shape[1] != x.shape[1]):
        raise ValueError(f"diagonal_mahalanobis: expected (T, M), (T, M), (D, M); got {x.shape}, {v.shape}, {z.shape}")
    if x.shape[0] == 0 or z.shape[0] == 0:
        return np.zeros((x.shape[0], z.shape[0]))
    diff = z[None, :, :] - x[:, None, :]
    return np.einsum("tdm,tm->td", diff * diff, 1.0 / v)


def mahalanobis_similarity(distance: np.ndarray, limit: float = CHI2INV99_4, temperature: float = 1.0) -> np.ndarray:
    """BoostTrack's Mahalanobis term: a softmax over the detections of each track, zero beyond ``limit``.

    ``a = limit - min(d, limit)``; ``sim[t, d] = exp(a / temp) / sum_d' exp(a[t, d'] / temp)``, then 0 where
    ``d > limit``. Pairs beyond the limit still count in the denominator (as ``exp(0) = 1``), as in the reference.

    Args:
        distance: (T, D) squared Mahalanobis distances (`diagonal_mahalanobis`).
        limit: gate, chi-square 0.99 for 4 dof by default.
        temperature: softmax temperature (> 0).

    Returns:
        (T, D) float64 in [0, 1]; each row sums to at most 1.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    d = np.asarray(distance, np.float64)
    if d.size == 0:
        return np.zeros(d.shape)
    a = (limit - np.minimum(d, limit)) / temperature
    e = np.exp(a - a.max(axis=1, keepdims=True))  # shifted per row: same ratios, no overflow
    sim = e / e.sum(axis=1, keepdims=True)
    sim[d > limit] = 0.0
    return sim


def shape_similarity(track_xyxy: np.ndarray, det_xyxy: np.ndarray, corrected: bool = False) -> np.ndarray:
    """BoostTrack's shape similarity ``exp(-(|w_d - w_t| / max(w_d, w_t) + |h_d - h_t| / N))``.

    The published code normalises the height difference by the larger *width* (``N = max(w_d, w_t)``, its
    default ``s_sim_corr=False``); ``corrected=True`` uses ``N = max(h_d, h_t)``.

    Args:
        track_xyxy: (T, 4) boxes, pixels; det_xyxy: (D, 4).

    Returns:
        (T, D) float64 in (0, 1].
    """
    t = _boxes(track_xyxy, "track_xyxy")
    d = _boxes(det_xyxy, "det_xyxy")
    tw, th = (t[:, 2] - t[:, 0])[:, None], (t[:, 3] - t[:, 1])[:, None]
    dw, dh = (d[:, 2] - d[:, 0])[None, :], (d[:, 3] - d[:, 1])[None, :]
    w_norm = np.maximum(dw, tw)
    h_norm = np.maximum(dh, th) if corrected else w_norm
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.abs(dw - tw) / w_norm + np.abs(dh - th) / h_norm
    return np.exp(-np.nan_to_num(term, nan=0.0, posinf=np.inf))


def soft_buffered_iou(track_xyxy: np.ndarray, track_confidence: np.ndarray, det_xyxy: np.ndarray,
                      track_scale: float = 0.5, det_scale: float = 0.25) -> np.ndarray:
    """BoostTrack++'s soft BIoU: buffered IoU whose buffers grow as the track's confidence falls.

    For a pair (t, d) with tracklet confidence ``c_t``, the track box is widened by ``(1 - c_t) * track_scale``
    and the detection by ``(1 - c_t) * det_scale`` of their own width and height on each side.

    Args:
        track_xyxy: (T, 4) predicted boxes; track_confidence: (T,) `tracklet_confidence`; det_xyxy: (D, 4).
        track_scale, det_scale: the reference's k2 = 0.5 and k1 = 0.25.

    Returns:
        (T, D) float64 in [0, 1].
    """
    t = _boxes(track_xyxy, "track_xyxy")
    d = _boxes(det_xyxy, "det_xyxy")
    c = np.asarray(track_confidence, np.float64).reshape(-1)
    if c.shape[0] != t.shape[0]:
        raise ValueError(f"track_confidence: expected ({t.shape[0]},), got {c.shape}")
    if t.shape[0] == 0 or d.shape[0] == 0:
        return np.zeros((t.shape[0], d.shape[0]))
    slack = (1.0 - c)[:, None, None]  # (T, 1, 1)
    tw = (t[:, 2:] - t[:, :2])[:, None, :]  # (T, 1, 2) width, height
    dw = (d[:, 2:] - d[:, :2])[None, :, :]  # (1, D, 2)
    t_lo = t[:, None, :2] - tw * slack * track_scale  # (T, 1, 2)
    t_hi = t[:, None, 2:] + tw * slack * track_scale
    d_lo = d[None, :, :2] - dw * slack * det_scale  # (T, D, 2): the buffer depends on the pair's track
    d_hi = d[None, :, 2:] + dw * slack * det_scale
    inter = np.clip(np.minimum(t_hi, d_hi) - np.maximum(t_lo, d_lo), 0.0, None).prod(axis=2)
    union = (t_hi - t_lo).prod(axis=2) + (d_hi - d_lo).prod(axis=2) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def association_similarity(
    overlap: np.ndarray, track_confidence: np.ndarray, det_scores: np.ndarray, iou_threshold: float = 0.3,
    mahalanobis: np.ndarray | None = None, shape: np.ndarray | None = None, appearance: np.ndarray | None = None,
    lambda_iou: float = 0.5, lambda_mhd: float = 0.25, lambda_shape: float = 0.25,
) -> np.ndarray:
    """BoostTrack's similarity, maximised by the assignment.

    ``S = IoU + lambda_iou * C * IoU + lambda_mhd * M + lambda_shape * C * shape + lambda_emb * E`` with
    ``C[t, d] = c_t * s_d`` (tracklet confidence times detection score) set to 0 where ``IoU < iou_threshold``,
    and ``lambda_emb = 1.5 * (1 + lambda_iou + lambda_mhd + lambda_shape)`` (3.0 with the defaults).

    Args:
        overlap: (T, D) IoU of predicted track boxes and detections.
        track_confidence: (T,) `tracklet_confidence`; det_scores: (D,) (boosted) detection scores.
        mahalanobis: (T, D) `mahalanobis_similarity` or None (term left out).
        shape: (T, D) `shape_similarity` or None. The reference adds it only together with the Mahalanobis term.
        appearance: (T, D) cosine similarity of embeddings in [-1, 1], or None.

    Returns:
        (T, D) float64.
    """
    overlap = np.asarray(overlap, np.float64)
    conf = np.asarray(track_confidence, np.float64).reshape(-1, 1) * np.asarray(det_scores, np.float64).reshape(1, -1)
    if conf.shape != overlap.shape:
        raise ValueError(f"association_similarity: confidences give {conf.shape}, overlap is {overlap.shape}")
    conf[overlap < iou_threshold] = 0.0
    sim = overlap + lambda_iou * conf * overlap
    if mahalanobis is not None:
        sim += lambda_mhd * mahalanobis
    if shape is not None:
        sim += lambda_shape * conf * shape
    if appearance is not None:
        sim += 1.5 * (1.0 + lambda_iou + lambda_shape + lambda_mhd) * np.asarray(appearance, np.float64)
    return sim


def boost_assignment(similarity: np.ndarray, overlap: np.ndarray, iou_threshold: float = 0.3,
                     appearance: np.ndarray | None = None, appearance_min: float = 0.75,
                     method: str = "lap") -> tuple[np.ndarray, np.ndarray]:
    """BoostTrack's matching: maximise ``similarity``, then keep pairs that overlap enough.

    1. If the pairs with ``similarity > iou_threshold`` form a one-to-one matching, they are the assignment;
       otherwise a maximum-cardinality assignment maximising the total similarity.
    2. A pair is kept if ``IoU >= iou_threshold``, or (with appearance) ``IoU >= iou_threshold / 2`` and
       ``appearance >= appearance_min``.

    Args:
        similarity: (T, D) `association_similarity`; overlap: (T, D) IoU; appearance: (T, D) cosine or None.

    Returns:
        Matched (K,) track rows and (K,) detection columns.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    sim = np.asarray(similarity, np.float64)
    if sim.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    candidates = sim > iou_threshold
    if one_to_one(candidates):
        rows, cols = np.nonzero(candidates)
    else:
        rows, cols = assign(sim.max() - sim, np.inf, method)  # non-negative cost, same optimum as -sim
    ov = np.asarray(overlap, np.float64)[rows, cols]
    keep = ov >= iou_threshold
    if appearance is not None:
        keep |= (ov >= iou_threshold / 2.0) & (np.asarray(appearance, np.float64)[rows, cols] >= appearance_min)
    return rows[keep], cols[keep]


# ---- detection-confidence boosts (applied before the score threshold) ----------------------------------

def dlo_boost(scores: np.ndarray, best_similarity: np.ndarray, coef: float = 0.65) -> np.ndarray:
    """BoostTrack's DLO boost ``max(s, coef * max_t S[t, d])`` (MOT17 0.65, MOT20 0.5; S is IoU there).

    Args:
        scores: (D,) detection scores; best_similarity: (D,) largest similarity of each detection to any track.
    """
    return np.maximum(np.asarray(scores, np.float64), coef * np.asarray(best_similarity, np.float64))


def soft_boost(scores: np.ndarray, best_similarity: np.ndarray, alpha: float = 0.65, power: float = 1.5) -> np.ndarray:
    """BoostTrack++'s soft boost ``max(s, alpha * s + (1 - alpha) * max_t S[t, d] ** power)``; (D,), (D,) -> (D,)."""
    s = np.asarray(scores, np.float64)
    return np.maximum(s, alpha * s + (1.0 - alpha) * np.asarray(best_similarity, np.float64) ** power)


def varying_threshold_boost(scores: np.ndarray, similarity: np.ndarray, time_since_update: np.ndarray,
                            det_thresh: float, start: float = 0.95, end: float = 0.8, steps: int = 20,
                            margin: float = 1e-5) -> np.ndarray:
    """BoostTrack++'s varying threshold: lift a detection to ``det_thresh + margin`` when some track is similar
    enough, the bar falling from ``start`` by ``(start - end) / steps`` per missed frame down to ``end``.

    Args:
        scores: (D,); similarity: (T, D); time_since_update: (T,) with 1 = updated last frame.

    Returns:
        (D,) float64 scores.
    """
    s = np.asarray(scores, np.float64).copy()
    sim = np.asarray(similarity, np.float64)
    if sim.size == 0:
        return s
    missed = np.asarray(time_since_update, np.float64).reshape(-1, 1) - 1.0
    bar = np.maximum(start - missed * (start - end) / steps, end)  # (T, 1)
    hit = (sim > bar).any(axis=0)
    s[hit] = np.maximum(s[hit], det_thresh + margin)
    return s


def duo_boost(scores: np.ndarray, nearest_distance: np.ndarray, det_xyxy: np.ndarray, det_thresh: float,
              limit: float = CHI2INV99_4, iou_limit: float = 0.3, margin: float = 1e-4) -> np.ndarray:
    """BoostTrack's DUO boost: detections far from every track (likely new objects) are lifted to
    ``det_thresh + margin``, after a non-maximum suppression among themselves.

    Candidates score below ``det_thresh`` and have ``min_t d2[t, d] > limit``. A candidate is lifted unless
    another candidate overlapping it by IoU > ``iou_limit`` scores strictly higher (ties are all lifted).

    Args:
        scores: (D,); nearest_distance: (D,) smallest squared Mahalanobis distance to any track (the reference
            boosts nothing in a frame without tracks: `boost_scores` then skips this step); det_xyxy: (D, 4).

    Returns:
        (D,) float64 scores.
    """
    s = np.asarray(scores, np.float64).copy()
    cand = np.flatnonzero((np.asarray(nearest_distance, np.float64) > limit) & (s < det_thresh))
    if cand.size == 0:
        return s
    boxes = _boxes(det_xyxy, "det_xyxy")[cand]
    near = iou(boxes, boxes) > iou_limit
    np.fill_diagonal(near, False)
    rival = np.where(near, s[cand][None, :], -np.inf).max(axis=1)  # best overlapping candidate's score
    s[cand[s[cand] >= rival]] = det_thresh + margin
    return s


def rich_similarity(mahalanobis: np.ndarray, shape: np.ndarray, soft_biou: np.ndarray) -> np.ndarray:
    """BoostTrack++'s boost similarity: the mean of the Mahalanobis, shape and soft-BIoU terms, (T, D) each."""
    return (np.asarray(mahalanobis, np.float64) + np.asarray(shape, np.float64) + np.asarray(soft_biou, np.float64)) / 3.0


def boost_scores(
    scores: np.ndarray, det_xyxy: np.ndarray, track_xyxy: np.ndarray, track_confidence: np.ndarray,
    time_since_update: np.ndarray, distance: np.ndarray, det_thresh: float, use_dlo_boost: bool = True,
    use_duo_boost: bool = True, dlo_boost_coef: float = 0.65, use_rich_s: bool = True, use_sb: bool = True,
    use_vt: bool = True, s_sim_corr: bool = False,
) -> np.ndarray:
    """All of a frame's confidence boosts in the reference order: DLO (plain, or soft and/or varying threshold
    on the rich or IoU similarity), then DUO on the DLO-boosted scores. Nothing changes without tracks.

    Args:
        scores: (D,) detection scores; det_xyxy: (D, 4).
        track_xyxy: (T, 4) predicted boxes; track_confidence: (T,); time_since_update: (T,), 1 = updated last frame.
        distance: (T, D) `diagonal_mahalanobis` of the detections to the predicted states.
        det_thresh: the score a detection needs to be associated (and to start a track).
        use_rich_s, use_sb, use_vt: BoostTrack++'s rich similarity, soft boost and varying threshold; all False
            gives BoostTrack's ``max(s, dlo_boost_coef * max IoU)``.

    Returns:
        (D,) float64 boosted scores.
    """
    s = np.asarray(scores, np.float64).copy()
    track_xyxy = _boxes(track_xyxy, "track_xyxy")
    if track_xyxy.shape[0] == 0 or s.size == 0:
        return s
    distance = np.asarray(distance, np.float64)
    if use_dlo_boost:
        if use_rich_s:
            sim = rich_similarity(mahalanobis_similarity(distance), shape_similarity(track_xyxy, det_xyxy, s_sim_corr),
                                  soft_buffered_iou(track_xyxy, track_confidence, det_xyxy))
        else:
            sim = iou(track_xyxy, det_xyxy)
        best = sim.max(axis=0)
        if not use_sb and not use_vt:
            s = dlo_boost(s, best, dlo_boost_coef)
        if use_sb:
            s = soft_boost(s, best)
        if use_vt:
            s = varying_threshold_boost(s, sim, time_since_update, det_thresh)
    if use_duo_boost:
        s = duo_boost(s, distance.min(axis=0), det_xyxy, det_thresh)
    return s
