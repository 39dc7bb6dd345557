"""The associators of SORT, ByteTrack and BoT-SORT over many streams at once (`roadtrack.association.blocks`).

`match_blocks(associator, tracks, detections)` gives, for every stream, the matches that ``associator.match``
gives that stream alone: the same costs, element by element, and the same solver on the same sub-matrices. Only
the appearance terms (BoT-SORT) are computed stream by stream, on exactly the rows and columns a single stream
uses, because a matrix product's rounding may depend on the shapes it is computed with.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.appearance import cosine_distance, iou_gated_appearance
from roadtrack.association.blocks import BlockLayout, assign_blocks, iou_blocks, sort_assignment_blocks
from roadtrack.association.byte import ByteAssociator
from roadtrack.association.iou_associator import IoUAssociator
from roadtrack.association.recovery import LostTrackRecovery


@dataclasses.dataclass(frozen=True)
class BlockSide:
    """One side (tracks or detections) of N streams' problems, padded into blocks (see `BlockLayout`).

    Attributes:
        layout: where each row sits. xyxy: (N, W, 4) boxes (padding: unit boxes at the origin).
        valid: (N, W) bool real rows. class_ids: (N, W) int64. scores: (N, W) float64 (padding 0).
        features: (K, F) float32 features of the K rows (in row order) or None.
        has_features: (N,) bool, True where a single-stream tracker would see features for this stream.
        confirmed, time_since_update, hits: (N, W) track fields (None for detections).
        multi_class: False when every row of both sides has one class (no class gate needed).
    """

    layout: BlockLayout
    xyxy: np.ndarray
    valid: np.ndarray
    class_ids: np.ndarray
    scores: np.ndarray
    features: np.ndarray | None = None
    has_features: np.ndarray | None = None
    confirmed: np.ndarray | None = None
    time_since_update: np.ndarray | None = None
    hits: np.ndarray | None = None

    @classmethod
    def build(cls, layout: BlockLayout, xyxy: np.ndarray, class_ids: np.ndarray, scores: np.ndarray,
              **fields) -> "BlockSide":
        padded = {k: layout.pad(v, 0) for k, v in fields.items() if k in ("confirmed", "time_since_update", "hits")}
        rest = {k: v for k, v in fields.items() if k not in padded}
        return cls(layout, layout.pad(xyxy, 0.0) if xyxy.shape[0] else _unit_boxes(layout), layout.mask(),
                   layout.pad(class_ids, -1), layout.pad(scores, 0.0), **padded, **rest)

    def rows(self, n: int, positions: np.ndarray) -> np.ndarray:
        return self.layout.starts[n] + positions


def _unit_boxes(layout: BlockLayout) -> np.ndarray:
    return np.zeros((layout.counts.shape[0], layout.width, 4))


def _class_gate(tracks: BlockSide, dets: BlockSide, class_aware: bool) -> np.ndarray | None:
    """(N, T, D) bool same-class pairs, or None when no pair can differ (as `same_class` gives one stream None)."""
    if not class_aware:
        return None
    t, d = tracks.class_ids[tracks.valid], dets.class_ids[dets.valid]
    if t.size == 0 or d.size == 0 or ((t == d[0]).all() and (d == d[0]).all()):
        return None
    return tracks.class_ids[:, :, None] == dets.class_ids[:, None, :]


def match_blocks(associator, tracks: BlockSide, dets: BlockSide) -> tuple[np.ndarray, np.ndarray]:
    """Per-stream matches of ``associator`` (a `ByteAssociator` or `IoUAssociator`) for all streams.

    Returns:
        (K,) track rows and (K,) detection rows (in the stream-sorted tables), sorted by track row.
    """
    if type(associator) is ByteAssociator:
        n, r, c = _byte(associator, tracks, dets)
    elif type(associator) is IoUAssociator:
        overlap = iou_blocks(tracks.xyxy, dets.xyxy)
        n, r, c = sort_assignment_blocks(overlap, associator.iou_threshold, tracks.valid, dets.valid,
                                         _class_gate(tracks, dets, associator.class_aware), associator.method)
    else:
        raise NotImplementedError(f"no block matching for {type(associator).__name__}")
    rows, cols = tracks.layout.starts[n] + r, dets.layout.starts[n] + c
    order = np.argsort(rows, kind="stable")
    return rows[order], cols[order]


def _appearance_streams(tracks: BlockSide, dets: BlockSide) -> np.ndarray:
    if tracks.features is None or dets.features is None:
        return np.zeros(0, np.int64)
    return (tracks.has_features & dets.has_features).nonzero()[0]


def _byte(a: ByteAssociator, tracks: BlockSide, dets: BlockSide):
    overlap = iou_blocks(tracks.xyxy, dets.xyxy)
    iou_cost = 1.0 - overlap
    fused = 1.0 - (1.0 - iou_cost) * dets.scores[:, None, :] if a.fuse_score else iou_cost
    same = _class_gate(tracks, dets, a.class_aware)
    with_features = _appearance_streams(tracks, dets) if a.appearance else np.zeros(0, np.int64)

    def cost(rows: np.ndarray, cols: np.ndarray, use_fused: bool) -> np.ndarray:
        out = fused if use_fused else iou_cost
        if use_fused and with_features.size:
            out = out.copy()
            for n in with_features:
                r, c = rows[n].nonzero()[0], cols[n].nonzero()[0]
                if r.size == 0 or c.size == 0:
                    continue
                block = np.ix_(r, c)
                appearance = cosine_distance(tracks.features[tracks.rows(n, r)], dets.features[dets.rows(n, c)])
                out[n][block] = iou_gated_appearance(iou_cost[n][block], out[n][block], appearance,
                                                     a.proximity_thresh, a.appearance_thresh)
        return out if same is None else np.where(same, out, np.inf)

    scores, valid = dets.scores, dets.valid
    high = valid & (scores > a.high_thresh)
    low = valid & (scores > a.low_thresh) & (scores < a.high_thresh)
    confirmed = tracks.confirmed.astype(bool)
    unconfirmed = tracks.valid & ~confirmed
    n1, r1, c1 = assign_blocks(cost(confirmed, high, True), confirmed, high, a.match_thresh, a.method)
    recent = confirmed & (tracks.time_since_update == 1)
    recent[n1, r1] = False
    n2, r2, c2 = assign_blocks(cost(recent, low, False), recent, low, a.low_match_thresh, a.method)
    high_left = high.copy()
    high_left[n1, c1] = False
    n3, r3, c3 = assign_blocks(cost(unconfirmed, high_left, True), unconfirmed, high_left,
                               a.unconfirmed_match_thresh, a.method)
    n, r, c = np.concatenate([n1, n2, n3]), np.concatenate([r1, r2, r3]), np.concatenate([c1, c2, c3])
    if a.recovery is not None:
        matched = np.zeros_like(tracks.valid)
        matched[n, r] = True
        high_left[n3, c3] = False
        n4, r4, c4 = _recover(a.recovery, tracks, dets, tracks.valid & ~matched, high_left, matched, overlap, same)
        n, r, c = np.concatenate([n, n4]), np.concatenate([r, r4]), np.concatenate([c, c4])
    return n, r, c


def _widen(xyxy: np.ndarray, buffer: float) -> np.ndarray:
    margin = buffer * (xyxy[..., 2:] - xyxy[..., :2])
    return np.concatenate([xyxy[..., :2] - margin, xyxy[..., 2:] + margin], axis=-1)


def _recover(rec: LostTrackRecovery, tracks: BlockSide, dets: BlockSide, free_tracks: np.ndarray,
             free_dets: np.ndarray, matched: np.ndarray, overlap: np.ndarray, same: np.ndarray | None):
    """`LostTrackRecovery.match` for all streams (the same gates and costs, see there)."""
    lost = free_tracks & tracks.confirmed.astype(bool) & (tracks.time_since_update >= 2) \
        & (tracks.hits >= rec.min_hits)
    if not lost.any() or not free_dets.any():
        return np.zeros((3, 0), np.int64)
    near = np.where(matched[:, :, None], overlap, -np.inf).max(axis=1) if overlap.shape[1] else None
    free_dets = free_dets if near is None else free_dets & (near <= rec.max_overlap)
    t_box, d_box = tracks.xyxy, dets.xyxy
    cost = 1.0 - iou_blocks(_widen(t_box, rec.buffer), _widen(d_box, rec.buffer))
    heights = np.maximum(t_box[..., 3] - t_box[..., 1], 1e-9)[:, :, None]
    ratio = (d_box[..., 3] - d_box[..., 1])[:, None, :] / heights
    allowed = (ratio <= rec.max_height_ratio) & (ratio * rec.max_height_ratio >= 1.0) & (cost <= rec.max_cost)
    if rec.class_aware and same is not None:
        allowed &= same
    if rec.appearance_weight > 0:
        w = rec.appearance_weight
        for n in _appearance_streams(tracks, dets):
            r, c = lost[n].nonzero()[0], free_dets[n].nonzero()[0]
            if r.size == 0 or c.size == 0:
                continue
            block = np.ix_(r, c)
            appearance = cosine_distance(tracks.features[tracks.rows(n, r)], dets.features[dets.rows(n, c)]) / 2.0
            cost[n][block] = (1.0 - w) * cost[n][block] + w * appearance
    return assign_blocks(np.where(allowed, cost, np.inf), lost, free_dets, np.inf, rec.method)
