"""TrackTrack (Shim et al., "Focusing on Tracks for Online Multi-Object Tracking", CVPR 2025): the new costs, the
iterative assignment of Track-Perspective-based Association (TPA) and Track-Aware Initialization (TAI).

TPA matches every tracked or lost track against *all* detections at once (high-score, low-score, and high-score
ones that only a looser detector NMS kept), with one cost:

    cost = w_iou * (1 - HMIoU) + w_reid * cosine + w_conf * |projected score - score| + w_angle * angle
           + penalty_p [low-score detection] + penalty_q [recovered detection],

set to 1 where IoU <= 0.1 and clipped to [0, 1]; then pairs that are each other's cheapest and cost less than a
threshold are matched, the threshold shrinks, and this repeats while it finds pairs. TAI starts tracks only from
detections that overlap neither a live track nor a stronger new detection.

Reference code: kamkyu94/TrackTrack ``trackers/utils.py`` (``iou_distance``, ``conf_distance``, ``angle_distance``,
``iterative_assignment``, ``track_aware_nms``, ``find_deleted_detections``) and ``trackers/track.py``
(``get_vel``, ``update_features``); Ultralytics ``trackers/track_tracker.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.appearance import cosine_distance
from roadtrack.association.costs import _boxes, iou, same_class
from roadtrack.association.solver import matches_from_pairs
from roadtrack.core import Associator, Detections, Matches, TrackView, register

# Corners of an xyxy box as (x column, y column): left-top, left-bottom, right-top, right-bottom (reference order).
_CORNER_X = np.array([0, 0, 2, 2])
_CORNER_Y = np.array([1, 3, 1, 3])
_NORM_EPS = 1e-5  # the reference adds it to every corner displacement's length

HIGH, LOW, RECOVERED = 0, 1, 2  # detection groups of the TPA cost


def hmiou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Height-modulated IoU: IoU times the boxes' vertical overlap over their vertical union.

    Args:
        a_xyxy: (T, 4) boxes, pixels; b_xyxy: (D, 4).

    Returns:
        iou (T, D) and hmiou (T, D), float64 in [0, 1]. The height ratio is clipped at 0 and its union is never
        zero for boxes of positive height. (The reference computes IoU with a +1 pixel convention and does not
        clip the ratio; clipping changes nothing where IoU > 0, the only pairs the TPA gate keeps.)

    Example:
        >>> overlap, hm = hmiou(np.array([[0.0, 0.0, 10.0, 10.0]]), np.array([[0.0, 5.0, 10.0, 15.0]]))
        >>> round(float(overlap[0, 0]), 4), round(float(hm[0, 0]), 4)  # IoU 50/150, heights 5/15
        (0.3333, 0.1111)
    """
    a = _boxes(a_xyxy, "a_xyxy")
    b = _boxes(b_xyxy, "b_xyxy")
    overlap = iou(a, b)
    if overlap.size == 0:
        return overlap, overlap.copy()
    inter = np.minimum(a[:, 3:4], b[:, 3]) - np.maximum(a[:, 1:2], b[:, 1])
    union = np.maximum(a[:, 3:4], b[:, 3]) - np.minimum(a[:, 1:2], b[:, 1])
    ratio = np.divide(np.clip(inter, 0.0, None), union, out=np.zeros_like(overlap), where=union > 0)
    return overlap, overlap * ratio


def projected_score_distance(track_scores: np.ndarray, previous_scores: np.ndarray,
                             det_scores: np.ndarray) -> np.ndarray:
    """``|s + (s - s_prev) - d|``: a track's score extrapolated one frame, against each detection's score.

    Args:
        track_scores: (T,) score of each track's latest detection; previous_scores: (T,) of the one before it
            (the latest again when the track has one observation).
        det_scores: (D,) detection scores.

    Returns:
        (T, D) float64.
    """
    s = np.asarray(track_scores, np.float64).reshape(-1)
    projected = 2.0 * s - np.asarray(previous_scores, np.float64).reshape(-1)
    return np.abs(projected[:, None] - np.asarray(det_scores, np.float64).reshape(1, -1))


def corner_directions(from_xyxy: np.ndarray, to_xyxy: np.ndarray) -> np.ndarray:
    """Unit displacement of each of the four corners from every ``from`` box to every ``to`` box.

    Args:
        from_xyxy: (T, 4) boxes; to_xyxy: (D, 4) boxes, pixels.

    Returns:
        (T, D, 4, 2) float64 ``(dx, dy) / (|(dx, dy)| + 1e-5)`` for the corners left-top, left-bottom, right-top,
        right-bottom; zero where a corner did not move.
    """
    delta = _boxes(to_xyxy, "to_xyxy")[None, :, :] - _boxes(from_xyxy, "from_xyxy")[:, None, :]  # (T, D, 4)
    d = np.stack([delta[..., _CORNER_X], delta[..., _CORNER_Y]], axis=-1)  # (T, D, 4, 2)
    return d / (np.sqrt((d * d).sum(-1, keepdims=True)) + _NORM_EPS)


def corner_velocity(current_xyxy: np.ndarray, previous_xyxy: np.ndarray) -> np.ndarray:
    """TrackTrack's track velocity: corner directions from the last K observations, weighted by 1 / k.

    ``v = (1 / K) * sum_{k=1..K} dir(box_{t-k} -> box_t) / k`` per corner (reference ``Track.update`` with
    ``delta_t = 3``). Where frame ``t - k`` has no observation the reference uses the latest one, which is the
    current box: pass ``current_xyxy`` there and that term is zero.

    Args:
        current_xyxy: (N, 4) each track's new detection box.
        previous_xyxy: (N, K, 4) its observed boxes 1..K frames back (or the current box where missing).

    Returns:
        (N, 4, 2) float64, not unit length.
    """
    cur = np.asarray(current_xyxy, np.float64).reshape(-1, 4)
    prev = np.asarray(previous_xyxy, np.float64).reshape(cur.shape[0], -1, 4)
    k = prev.shape[1]
    delta = cur[:, None, :] - prev  # (N, K, 4)
    d = np.stack([delta[..., _CORNER_X], delta[..., _CORNER_Y]], axis=-1)  # (N, K, 4, 2)
    unit = d / (np.sqrt((d * d).sum(-1, keepdims=True)) + _NORM_EPS)
    weights = 1.0 / np.arange(1, k + 1)
    return np.einsum("nkcx,k->ncx", unit, weights) / k


def angle_distance(track_velocity: np.ndarray, track_anchor_xyxy: np.ndarray, det_xyxy: np.ndarray,
                   det_scores: np.ndarray) -> np.ndarray:
    """Mean corner angle between each track's velocity and the direction from its anchor box to each detection.

    ``angle = score_d * mean_c arccos(clip(v_tc . dir_tdc, -1, 1)) / pi`` (reference ``angle_distance``), where the
    anchor is the track's observation ``delta_t`` (3) frames back, or its latest observation if it has none then.

    Args:
        track_velocity: (T, 4, 2) from `corner_velocity`.
        track_anchor_xyxy: (T, 4) anchor boxes; det_xyxy: (D, 4); det_scores: (D,).

    Returns:
        (T, D) float64 in [0, max score].
    """
    directions = corner_directions(track_anchor_xyxy, det_xyxy)  # (T, D, 4, 2)
    v = np.asarray(track_velocity, np.float64).reshape(-1, 4, 2)
    dot = np.einsum("tcx,tdcx->tdc", v, directions)
    angle = np.arccos(np.clip(dot, -1.0, 1.0)).mean(-1) / np.pi
    return angle * np.asarray(det_scores, np.float64).reshape(1, -1)


def tpa_cost(overlap: np.ndarray, hm: np.ndarray, confidence: np.ndarray, angle: np.ndarray,
             det_groups: np.ndarray, appearance: np.ndarray | None = None, iou_weight: float = 0.5,
             reid_weight: float = 0.5, conf_weight: float = 0.1, angle_weight: float = 0.05, penalty_p: float = 0.2,
             penalty_q: float = 0.4, min_iou: float = 0.1) -> np.ndarray:
    """TrackTrack's association cost of T tracks and D detections.

    Without ``appearance`` the box term has weight 1 (reference ``no_reid``); with it, ``iou_weight`` and
    ``reid_weight``, and a NaN appearance distance (a side without a feature) falls back to the box term
    (Ultralytics). Then ``+ conf_weight * confidence + angle_weight * angle``, ``+ penalty_p`` for low-score and
    ``+ penalty_q`` for recovered detections, 1 where ``overlap <= min_iou``, clipped to [0, 1].

    Args:
        overlap: (T, D) IoU; hm: (T, D) HMIoU (`hmiou`).
        confidence: (T, D) `projected_score_distance`; angle: (T, D) `angle_distance`.
        det_groups: (D,) int, `HIGH`, `LOW` or `RECOVERED` for each detection.
        appearance: (T, D) cosine distances in [0, 1] or None.

    Returns:
        (T, D) float64 costs in [0, 1].
    """
    box = 1.0 - np.asarray(hm, np.float64)
    if appearance is None:
        cost = box.copy()
    else:
        app = np.asarray(appearance, np.float64)
        cost = iou_weight * box + reid_weight * np.where(np.isnan(app), box, app)
    cost += conf_weight * np.asarray(confidence, np.float64) + angle_weight * np.asarray(angle, np.float64)
    groups = np.asarray(det_groups).reshape(-1)
    if groups.shape[0] != cost.shape[1]:
        raise ValueError(f"det_groups: expected {cost.shape[1]} entries, got {groups.shape[0]}")
    cost += np.where(groups == LOW, penalty_p, 0.0) + np.where(groups == RECOVERED, penalty_q, 0.0)
    cost[np.asarray(overlap) <= min_iou] = 1.0
    return np.clip(cost, 0.0, 1.0)


def iterative_assignment(cost: np.ndarray, match_thresh: float,
                         reduce_step: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """TPA's matching: mutual nearest neighbours below a threshold that shrinks each round.

    Round k (k = 0, 1, ...) matches every still-free track and detection that are each other's cheapest among
    the free ones (first index on ties, like ``np.argmin``) with ``cost < match_thresh - k * reduce_step``; it
    stops at the first round without a new pair.

    Args:
        cost: (T, D) float costs.
        match_thresh: threshold of the first round; reduce_step: its decrease per round.

    Returns:
        Matched (K,) rows and (K,) cols, int64, in the order found.

    Example:
        >>> r, c = iterative_assignment(np.array([[0.1, 0.2], [0.15, 0.6]]), 0.7)
        >>> r.tolist(), c.tolist()  # round 0: (0, 0); round 1 (threshold 0.65): (1, 1)
        ([0, 1], [0, 1])
    """
    cost = np.array(cost, np.float64, copy=True)
    rows_found, cols_found = [], []
    if cost.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    thresh = match_thresh
    all_rows = np.arange(cost.shape[0])
    while True:
        nearest_det = np.argmin(cost, axis=1)
        nearest_track = np.argmin(cost, axis=0)
        ok = (nearest_track[nearest_det] == all_rows) & (cost[all_rows, nearest_det] < thresh)
        if not ok.any():
            break
        r, c = all_rows[ok], nearest_det[ok]
        rows_found.append(r)
        cols_found.append(c)
        cost[r, :] = np.inf
        cost[:, c] = np.inf
        thresh -= reduce_step
    if not rows_found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows_found).astype(np.int64), np.concatenate(cols_found).astype(np.int64)


def track_aware_init(track_xyxy: np.ndarray, det_xyxy: np.ndarray, det_scores: np.ndarray, tai_thresh: float = 0.55,
                     init_thresh: float = 0.7) -> np.ndarray:
    """TAI: which unmatched detections may start tracks.

    A detection starts a track if its score exceeds ``init_thresh``, its IoU with every live track is at most
    ``tai_thresh``, and no detection with a strictly higher score that itself survives overlaps it by more than
    ``tai_thresh`` (greedy NMS in descending score order; the reference walks the detections in input order, the
    same on score-sorted detector output; Ultralytics walks them by score, as here).

    Args:
        track_xyxy: (T, 4) boxes of the tracks updated this frame (tracked and new), pixels.
        det_xyxy: (D, 4) candidate detections (high-score, unmatched); det_scores: (D,).

    Returns:
        (D,) bool.
    """
    scores = np.asarray(det_scores, np.float64).reshape(-1)
    det = _boxes(det_xyxy, "det_xyxy")
    allow = scores > init_thresh
    if det.shape[0] == 0:
        return allow
    tracks = _boxes(track_xyxy, "track_xyxy")
    if tracks.shape[0]:
        allow &= iou(det, tracks).max(axis=1) <= tai_thresh
    if allow.sum() < 2:
        return allow
    pair = iou(det, det)
    for i in np.argsort(-scores, kind="stable"):
        if allow[i]:
            allow &= ~((pair[i] > tai_thresh) & (scores < scores[i]))
    return allow


def recovered_detections(kept_xyxy: np.ndarray, loose_xyxy: np.ndarray, dedup_iou: float = 0.97) -> np.ndarray:
    """Detections that only a looser NMS kept: no kept detection overlaps them by ``dedup_iou`` or more.

    TrackTrack runs the detector's NMS twice (IoU 0.8 and 0.95, reference pickles ``_0.80``/``_0.95``;
    Ultralytics 0.95 loose) and adds the loose-only boxes scoring above the high threshold to the TPA pool with
    ``penalty_q``.

    Args:
        kept_xyxy: (N, 4) boxes after the normal NMS; loose_xyxy: (L, 4) after the loose NMS.

    Returns:
        (L,) bool, True for the loose-only boxes.
    """
    loose = _boxes(loose_xyxy, "loose_xyxy")
    kept = _boxes(kept_xyxy, "kept_xyxy")
    if kept.shape[0] == 0:
        return np.ones(loose.shape[0], bool)
    if loose.shape[0] == 0:
        return np.zeros(0, bool)
    return iou(loose, kept).max(axis=1) < dedup_iou


def score_adaptive_ema(track_features: np.ndarray, det_features: np.ndarray, det_scores: np.ndarray,
                       alpha: float = 0.95) -> np.ndarray:
    """TrackTrack's appearance memory: an EMA that trusts a confident detection more.

    ``beta = alpha + (1 - alpha) * (1 - score)``, ``f = normalise(beta * f_track + (1 - beta) * f_det)``
    (reference ``Track.update_features``, alpha 0.95).

    Args:
        track_features: (N, K) L2-normalised; det_features: (N, K) of each track's matched detection;
        det_scores: (N,).

    Returns:
        (N, K) float32, L2-normalised.
    """
    beta = alpha + (1.0 - alpha) * (1.0 - np.asarray(det_scores, np.float64).reshape(-1, 1))
    mixed = beta * np.asarray(track_features, np.float64) + (1.0 - beta) * np.asarray(det_features, np.float64)
    norm = np.linalg.norm(mixed, axis=1, keepdims=True)
    return (mixed / np.where(norm > 0, norm, 1.0)).astype(np.float32)


@register("associator", "tpa")
@dataclasses.dataclass(frozen=True)
class TPAAssociator(Associator):
    """TrackTrack's association (TPA), two calls of one step.

    1. Confirmed tracks (tracked or lost) against every detection above ``low_thresh``: high-score ones (above
       ``high_thresh``) and low-score ones (``+ penalty_p``); cost `tpa_cost`, matched by `iterative_assignment`.
       TrackTrack's third group, boxes that only a looser detector NMS kept (``+ penalty_q``), needs a second
       detection set per frame that `Detections` does not carry: the group is empty here (as in Ultralytics
       whenever it runs on given detections); `recovered_detections` and ``penalty_q`` are ready for it.
    2. Tentative tracks against the high-score detections left: the same cost and assignment.

    Reads from the view: ``xyxy`` (predicted), ``scores``, and from ``extra`` (a `TrackTrackHistory` part):
    ``prev_scores`` (T,), ``corner_velocity`` (T, 4, 2), ``anchor_xyxy`` (T, 4) (the observation ``delta_t``
    frames back, else the latest). Without them the score term uses the latest score twice, the velocity is zero
    and the anchor is the last observation (or the predicted box).

    Args:
        high_thresh, low_thresh: detection score bounds (high: ``> high_thresh``; low: in (low, high]).
        match_thresh, reduce_step: first threshold of `iterative_assignment` and its decrease per round.
        iou_weight, reid_weight, conf_weight, angle_weight, penalty_p, penalty_q, min_iou: see `tpa_cost`.
        appearance: add the cosine distance of the tracks' and detections' features when both carry them.
        class_aware: forbid matching a track to a detection of another class.
    """

    high_thresh: float = 0.6
    low_thresh: float = 0.1
    match_thresh: float = 0.7
    reduce_step: float = 0.05
    iou_weight: float = 0.5
    reid_weight: float = 0.5
    conf_weight: float = 0.1
    angle_weight: float = 0.05
    penalty_p: float = 0.2
    penalty_q: float = 0.4
    min_iou: float = 0.1
    appearance: bool = False
    class_aware: bool = True

    def __post_init__(self) -> None:
        if not self.low_thresh <= self.high_thresh:
            raise ValueError(f"low_thresh ({self.low_thresh}) must not exceed high_thresh ({self.high_thresh})")
        if self.reduce_step <= 0:
            raise ValueError(f"reduce_step must be > 0, got {self.reduce_step}")

    def needs_features(self) -> bool:
        return self.appearance

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        scores = detections.scores
        groups = np.full(len(detections), -1)
        groups[(scores > self.low_thresh) & (scores <= self.high_thresh)] = LOW
        groups[scores > self.high_thresh] = HIGH
        pool = np.nonzero(tracks.confirmed)[0]
        r1, c1 = self._assign(tracks, detections, pool, np.nonzero(groups >= 0)[0], groups)
        free = groups == HIGH
        free[c1] = False
        tentative = np.nonzero(~tracks.confirmed)[0]
        r2, c2 = self._assign(tracks, detections, tentative, np.nonzero(free)[0], groups)
        return matches_from_pairs(np.concatenate([r1, r2]), np.concatenate([c1, c2]), len(tracks), len(detections))

    def _assign(self, tracks: TrackView, dets: Detections, rows: np.ndarray, cols: np.ndarray,
                groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Matched (K,) track rows and detection cols among ``rows`` x ``cols``."""
        if rows.size == 0 or cols.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        extra, n = tracks.extra, len(tracks)
        track_scores = np.ones(n) if tracks.scores is None else tracks.scores
        previous = extra.get("prev_scores", track_scores)
        velocity = extra.get("corner_velocity", np.zeros((n, 4, 2)))
        anchor = extra.get("anchor_xyxy", tracks.xyxy if tracks.last_xyxy is None else tracks.last_xyxy)
        det_xyxy, det_scores = dets.xyxy[cols], dets.scores[cols]
        overlap, hm = hmiou(tracks.xyxy[rows], det_xyxy)
        confidence = projected_score_distance(track_scores[rows], previous[rows], det_scores)
        angle = angle_distance(velocity[rows], anchor[rows], det_xyxy, det_scores)
        app = None
        if self.appearance and tracks.features is not None and dets.features is not None:
            tf, df = tracks.features[rows], dets.features[cols]
            app = np.clip(cosine_distance(tf, df), 0.0, 1.0)
            # A side without a feature (never embedded) falls back to the box term (Ultralytics' NaN rule).
            app[~np.any(tf != 0, axis=1)] = np.nan
            app[:, ~np.any(df != 0, axis=1)] = np.nan
        cost = tpa_cost(overlap, hm, confidence, angle, groups[cols], app, self.iou_weight, self.reid_weight,
                        self.conf_weight, self.angle_weight, self.penalty_p, self.penalty_q, self.min_iou)
        same = same_class(tracks.class_ids[rows], dets.class_ids[cols]) if self.class_aware else None
        if same is not None:
            cost = np.where(same, cost, np.inf)
        r, c = iterative_assignment(cost, self.match_thresh, self.reduce_step)
        return rows[r], cols[c]
