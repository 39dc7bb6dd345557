"""Appearance for many streams: which detections each stream embeds (as `Appearance.embed` decides for one
stream), and one embedder call for the crops of all streams."""

from __future__ import annotations

import numpy as np

from roadtrack.association.blocks import BlockLayout, iou_blocks
from roadtrack.core import Detections, Embedder, TrackState
from roadtrack.trackers.appearance import LAZY_DOUBT_IOU, Appearance
from roadtrack.trackers.table import TrackTable

TENTATIVE = int(TrackState.TENTATIVE)


def embed_many(embedder: Embedder, frames: list[np.ndarray], detections: list[Detections]) -> list[np.ndarray]:
    """Embed the detections of several frames: in one network call when the embedder offers ``embed_many``
    (`roadtrack.reid.CropEmbedder` does: the crops of all frames go through the network together), else one
    ``embed`` per frame. Returns one (N_i, D) float32 array per frame."""
    many = getattr(embedder, "embed_many", None)
    if many is not None:
        return list(many(frames, detections))
    return [np.asarray(embedder.embed(f, d), np.float32) for f, d in zip(frames, detections)]


def unambiguous_blocks(appearance: Appearance, t: TrackTable, tracks: BlockLayout, predicted: np.ndarray,
                       dets: BlockLayout, det_xyxy: np.ndarray) -> np.ndarray:
    """(K,) detections that motion alone matches beyond doubt in their own stream (`Appearance._unambiguous`
    for every stream at once).

    Args:
        tracks, dets: the layouts of the stream-sorted track table and detections.
        predicted: (T, 4) predicted track boxes; det_xyxy: (K, 4).
    """
    fresh = (t.time_since_update == 1) & (t.state != TENTATIVE) & (t.feature_age < appearance.refresh)
    fresh = tracks.pad(fresh, False)
    d_boxes = dets.pad(det_xyxy, 0.0)
    overlap = iou_blocks(tracks.pad(predicted, 0.0), d_boxes)
    overlap[~tracks.mask()] = -1.0  # padding never overlaps, nor wins an argmax against a real track
    touching = overlap > LAZY_DOUBT_IOU
    one_track = touching.sum(1) == 1
    track_of = np.argmax(overlap, axis=1)  # (N, D)
    alone = (iou_blocks(d_boxes, d_boxes) > LAZY_DOUBT_IOU).sum(2) == 1
    n = np.arange(overlap.shape[0])[:, None]
    d = np.arange(overlap.shape[2])[None, :]
    easy = one_track & alone & fresh[n, track_of] & (overlap[n, track_of, d] >= 0.6)
    easy &= touching.sum(2)[n, track_of] == 1
    return easy[dets.block, dets.pos]


def embed_streams(appearance: Appearance, t: TrackTable, tracks: BlockLayout, predicted: np.ndarray,
                  dets: Detections, layout: BlockLayout, given: list[np.ndarray | None],
                  frames: list[np.ndarray | None]) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Features of all streams' detections, with one embedder call for all crops.

    Per stream, as `Appearance.embed` for one: detections that came with features keep them; otherwise, given an
    embedder and the stream's frame, the detections scoring above ``min_score`` (and, when lazy, not matched beyond
    doubt by motion) are embedded.

    Args:
        dets: (K,) the detections of all streams, stream by stream; layout: their `BlockLayout`.
        given: per stream, (K_n, F) features that came with the detections, or None.
        frames: per stream, the frame (or None).

    Returns:
        ``(features, has, embedded)``: (K, F) float32 features (zeros where none) or None when no stream has any;
        (N,) bool streams whose detections have features this frame (a single stream's tracker would see
        ``detections.features``); (K,) bool rows with real features (the rows the memory takes).
    """
    n_streams = layout.counts.shape[0]
    has = np.zeros(n_streams, bool)
    embedded = np.zeros(len(dets), bool)
    pieces: dict[int, np.ndarray] = {}
    for n, feats in enumerate(given):
        if feats is not None:
            has[n] = True
            pieces[n] = np.asarray(feats, np.float32)
    embedder = appearance.embedder
    todo = [n for n in range(n_streams) if not has[n] and frames[n] is not None and layout.counts[n]]
    if embedder is not None and todo:
        wanted = dets.scores > appearance.min_score
        if appearance.lazy:
            wanted &= ~unambiguous_blocks(appearance, t, tracks, predicted, layout, dets.xyxy)
        jobs = []
        for n in todo:
            start = layout.starts[n]
            rows = wanted[start:start + layout.counts[n]].nonzero()[0]
            if rows.size:
                jobs.append((n, start + rows))
        if jobs:
            outs = embed_many(embedder, [frames[n] for n, _ in jobs], [dets[rows] for _, rows in jobs])
            for (n, rows), out in zip(jobs, outs):
                if out.ndim != 2 or out.shape[0] != rows.size:
                    raise ValueError(f"{type(embedder).__name__} returned shape {out.shape} for {rows.size} "
                                     f"detections; expected ({rows.size}, D)")
                block = np.zeros((layout.counts[n], out.shape[1]), np.float32)
                block[rows - layout.starts[n]] = out
                pieces[n] = block
                has[n] = True
                embedded[rows] = True
    if not pieces:
        return None, has, embedded
    dims = {p.shape[1] for p in pieces.values()}
    if len(dims) != 1:
        raise ValueError(f"the streams' features have different lengths {sorted(dims)}; use one embedder")
    features = np.zeros((len(dets), dims.pop()), np.float32)
    for n, block in pieces.items():
        start = layout.starts[n]
        features[start:start + block.shape[0]] = block
        if given[n] is not None:
            embedded[start:start + block.shape[0]] = True
    return features, has, embedded
