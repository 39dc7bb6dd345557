"""`MultiStreamTracker`: N independent trackers (N cameras) updated in one call, on one table.

The tracks of all streams live in one `TrackTable` with a ``stream`` column, sorted by stream (each stream's rows
in the order its own tracker would keep them). One frame of all streams is one batched Kalman predict, one batched
update, one block-diagonal association (`roadtrack.association.block_matchers`) and one embedder call for the
crops of all streams; only small per-stream bookkeeping loops over streams. Every stream's output equals, id for
id and bit for bit, that of its own tracker built from the same preset (tests/trackers/test_multistream.py).
"""

from __future__ import annotations

import copy
from typing import Any, Hashable, Mapping

import numpy as np

from roadtrack.association.block_matchers import BlockSide, match_blocks
from roadtrack.association.blocks import BlockLayout, iou_blocks
from roadtrack.association.byte import ByteAssociator
from roadtrack.association.iou_associator import IoUAssociator
from roadtrack.association.solver import complement
from roadtrack.core import Detections, Tracks, TrackState, build
from roadtrack.trackers.appearance import Appearance
from roadtrack.trackers.lifecycle import Lifecycle, valid_boxes
from roadtrack.trackers.motion import FrozenSizeMotion, KalmanMotion
from roadtrack.trackers.multistream_reid import embed_streams
from roadtrack.trackers.multistream_rows import merge_rows, split_reported, take_rows, trusted_detections
from roadtrack.trackers.table import Column, TrackTable
from roadtrack.trackers.tracker import MultiObjectTracker

TENTATIVE, CONFIRMED, LOST = int(TrackState.TENTATIVE), int(TrackState.CONFIRMED), int(TrackState.LOST)
BLOCK_ASSOCIATORS = (ByteAssociator, IoUAssociator)


def check_supported(tracker: MultiObjectTracker) -> None:
    """Raise a ValueError naming what a `MultiStreamTracker` cannot batch in this tracker (its preset's parts)."""
    problems = []
    if type(tracker.associator) not in BLOCK_ASSOCIATORS:
        problems.append(f"associator {type(tracker.associator).__name__}")
    if type(tracker.motion) not in (KalmanMotion, FrozenSizeMotion):
        problems.append(f"motion part {type(tracker.motion).__name__}")
    if type(tracker.lifecycle) is not Lifecycle or tracker.lifecycle.report_box != "state":
        problems.append("its lifecycle")
    if tracker.history is not None or tracker.detection_step is not None or \
            any(p is not tracker.appearance for p in tracker.parts):
        problems.append("its extra parts")
    if tracker.appearance is not None and (type(tracker.appearance) is not Appearance or
                                           tracker.appearance.kind != "ema"):
        problems.append(f"appearance memory {type(tracker.appearance).__name__}({tracker.appearance.kind})")
    if problems:
        raise ValueError(f"MultiStreamTracker batches SORT, ByteTrack and BoT-SORT (with or without appearance); "
                         f"this tracker differs in: {', '.join(problems)}")


class MultiStreamTracker:
    """Many independent tracking streams (cameras) in one tracker: ``update({stream: detections})``.

    Each stream has its own ids (from 1), frame count, tracks and camera-motion state, exactly as if it had its
    own tracker built from ``tracker`` (results are bit-identical), but a frame of N streams costs one batched
    pass over all their tracks instead of N passes. Streams may be added and removed at any time; a stream that
    is not in an `update` call does not advance (its tracks neither age nor coast). A call that fails before its
    tracks are updated (an embedder error) leaves all streams as they were.

    Args:
        tracker: a preset name (``"sort"``, ``"bytetrack"``, ``"botsort"``) or a built `MultiObjectTracker` to copy
            the parts of (it is not updated itself).
        **options: the preset's options when ``tracker`` is a name (e.g. ``with_reid=False``, ``frame_rate=25``).

    Example:
        >>> mst = MultiStreamTracker("bytetrack")
        >>> out = mst.update({"cam0": Detections([[10, 10, 50, 90]], scores=[0.9]), "cam1": Detections.empty()})
        >>> out["cam0"].ids.tolist(), len(out["cam1"])
        ([1], 0)
    """

    def __init__(self, tracker: str | MultiObjectTracker = "bytetrack", **options: Any) -> None:
        if isinstance(tracker, str):
            tracker = build("tracker", tracker, **options)
        elif options:
            raise ValueError("options are for a preset name; a built tracker already has its own")
        check_supported(tracker)
        self.template = tracker
        self.motion, self.associator, self.lifecycle = tracker.motion, tracker.associator, tracker.lifecycle
        self.appearance = tracker.appearance
        self.reset()

    @property
    def embedder(self):
        return None if self.appearance is None else self.appearance.embedder

    def use_embedder(self, embedder) -> None:
        """Give the appearance part an embedder (as `MultiObjectTracker.use_embedder`)."""
        self.template.use_embedder(embedder)

    def reset(self) -> None:
        """Forget every stream and track."""
        columns = dict(self.motion.columns())
        if self.appearance is not None:
            columns.update(self.appearance.columns())
        columns["stream"] = Column((), np.int64)
        self.tracks = TrackTable(columns)
        self._slots: dict[Hashable, int] = {}
        self._free: list[int] = []
        self.frame_count = np.zeros(0, np.int64)
        self.next_id = np.zeros(0, np.int64)
        self.has_features = np.zeros(0, bool)  # streams whose tracks a single tracker would give features
        self._cmc: dict[int, Any] = {}

    @property
    def streams(self) -> list[Hashable]:
        """The streams' keys, in the order they were added."""
        return list(self._slots)

    def add_stream(self, key: Hashable) -> None:
        """Start a stream with no tracks (its first frame is frame 1, its first id 1); an existing key raises."""
        if key in self._slots:
            raise ValueError(f"stream {key!r} exists already")
        if self._free:
            slot = self._free.pop()
        else:
            slot = self.frame_count.shape[0]
            self.frame_count = np.append(self.frame_count, 0)
            self.next_id = np.append(self.next_id, 1)
            self.has_features = np.append(self.has_features, False)
        self.frame_count[slot], self.next_id[slot], self.has_features[slot] = 0, 1, False
        if self.template.cmc is not None:
            self._cmc[slot] = copy.deepcopy(self.template.cmc)
            self._cmc[slot].reset()
        self._slots[key] = slot

    def remove_stream(self, key: Hashable) -> None:
        """End a stream: its tracks are dropped and its key may be added again later (as a new stream)."""
        if key not in self._slots:
            raise KeyError(f"no stream {key!r}; streams: {self.streams}")
        slot = self._slots.pop(key)
        self.tracks.keep(self.tracks.stream != slot)
        self._cmc.pop(slot, None)
        self._free.append(slot)

    def update(self, detections: Mapping[Hashable, Detections],
               frames: Mapping[Hashable, np.ndarray | None] | None = None) -> dict[Hashable, Tracks]:
        """Advance the given streams by one frame each (unknown keys become new streams).

        Args:
            detections: stream key -> that stream's `Detections` of this frame (may be empty).
            frames: stream key -> BGR image, for camera-motion compensation and embedding; may be None.

        Returns:
            stream key -> the `Tracks` its own tracker would report, in the order of ``detections``.
        """
        for key in detections:
            if key not in self._slots:
                self.add_stream(key)
        keys = sorted(detections, key=self._slots.__getitem__)
        active = np.array([self._slots[k] for k in keys], np.int64)
        frames = frames or {}
        all_rows = len(self._slots) == len(keys)
        if all_rows:
            work, rest = self.tracks, None
        else:
            inside = np.isin(self.tracks.stream, active)
            work, rest = take_rows(self.tracks, inside), take_rows(self.tracks, ~inside)
        counters = self.frame_count.copy(), self.next_id.copy(), self.has_features.copy()
        before = work.snapshot()
        try:
            reported = self._step(work, keys, active, [detections[k] for k in keys], [frames.get(k) for k in keys])
        except BaseException:
            # Up to the association every step replaces arrays (as in `MultiObjectTracker`), so a frame that fails
            # there (an embedder error, bad features) leaves every stream as it was.
            work.restore(before)
            self.frame_count, self.next_id, self.has_features = counters
            raise
        self.tracks = work if rest is None else merge_rows(work, rest)
        out = split_reported(reported, keys, active, [detections[k] for k in keys])
        return {k: out[k] for k in detections}

    # ---- one frame of the active streams ---------------------------------------------------------------------
    def _step(self, t: TrackTable, keys, active: np.ndarray, det_list: list[Detections], frame_list: list):
        n = active.shape[0]
        lookup = np.full(self.frame_count.shape[0], -1, np.int64)
        lookup[active] = np.arange(n)
        dets, det_block, det_rows, given = _concat_trackable(det_list)
        self.frame_count[active] += 1
        warps = self._warps(active, frame_list, dets, det_block)
        self.motion.predict(t, None)
        if warps:
            self._warp(t, lookup, warps)
        self.lifecycle.advance(t)
        predicted = self.motion.boxes(t) if len(t) else np.zeros((0, 4))
        ok = valid_boxes(predicted)
        if not ok.all():
            t.keep(ok)
            predicted = predicted[ok]
        if self.appearance is not None:
            self.appearance.prepare(t)
        t_layout = BlockLayout.of(lookup[t.stream], n)
        d_layout = BlockLayout.of(det_block, n)
        features, det_has, embedded = None, np.zeros(n, bool), None
        if self.appearance is not None:
            features, det_has, embedded = embed_streams(self.appearance, t, t_layout, predicted, dets, d_layout,
                                                        given, frame_list)
            if features is not None:
                dets = dets.with_features(features)
        track_feats = t.features if self.appearance is not None and t.features.shape[1] else None
        side_t = BlockSide.build(t_layout, predicted, t.class_ids, t.scores, confirmed=t.state != TENTATIVE,
                                 time_since_update=t.time_since_update, hits=t.hits, features=track_feats,
                                 has_features=self.has_features[active])
        side_d = BlockSide.build(d_layout, dets.xyxy, dets.class_ids, dets.scores, features=features,
                                 has_features=det_has)
        rows, cols = match_blocks(self.associator, side_t, side_d)
        remembered = np.zeros(n, bool)
        if rows.size:
            if embedded is not None:
                self._remember(t, rows, dets, cols, embedded, remembered, lookup)
            self.motion.update(t, rows, dets.xyxy[cols], dets.scores[cols])
            self.lifecycle.record_update(t, rows, dets, cols, det_rows)
        new = self.lifecycle.new_tracks(t, None, dets, complement(cols, len(dets)))
        if new.size:
            self._start(t, new, dets, det_rows, det_block, active, embedded, remembered)
        if embedded is not None:
            self.has_features[active] |= remembered
        return self._finish(t, lookup, n)

    def _remember(self, t, rows, dets, cols, embedded, remembered, lookup) -> None:
        """`Appearance.update` with this frame's embedded rows of all streams."""
        ok = embedded[cols]
        a = self.appearance
        a.remember(t, rows[ok], dets.features[cols[ok]], a.ema_weights(dets.scores[cols[ok]]))
        remembered[lookup[t.stream[rows[ok]]]] = True

    def _start(self, t: TrackTable, new: np.ndarray, dets: Detections, det_rows: np.ndarray, det_block: np.ndarray,
               active: np.ndarray, embedded: np.ndarray | None, remembered: np.ndarray) -> None:
        block = det_block[new]  # non-decreasing: detections are stream by stream
        counts = np.bincount(block, minlength=active.shape[0])
        rank = np.arange(new.size) - np.searchsorted(block, block)
        slots = active[block]
        ids = self.next_id[slots] + rank
        self.next_id[active] += counts
        boxes = dets.xyxy[new]
        rows = t.append(new.size, ids=ids, class_ids=dets.class_ids[new], scores=dets.scores[new],
                        det_index=det_rows[new], last_xyxy=boxes, stream=slots,
                        **self.motion.start(boxes, dets.scores[new]))
        lc = self.lifecycle
        if lc.min_hits <= 0:
            t.state[rows] = CONFIRMED
        elif lc.confirm_first_frame:
            first = self.frame_count[slots] == 1
            t.state[rows[first]] = CONFIRMED
        if embedded is not None:  # `Appearance.start` with this frame's embedded rows of all streams
            ok = embedded[new]
            self.appearance.remember_first(t, rows[ok], dets.features[new[ok]])
            remembered[block[ok]] = True
        t.keep(np.argsort(t.stream, kind="stable"))  # the new rows join their streams, after the old ones

    def _finish(self, t: TrackTable, lookup: np.ndarray, n: int) -> Tracks:
        """`Lifecycle.finish_frame` for all streams: per-stream frame counts and duplicate removal."""
        lc = self.lifecycle
        xyxy = self.motion.boxes(t) if len(t) else np.zeros((0, 4))
        ok = valid_boxes(xyxy)
        if not ok.all():
            t.keep(ok)
            xyxy = xyxy[ok]
        if lc.duplicate_iou is not None and len(t):
            keep = _unique_blocks(t, xyxy, BlockLayout.of(lookup[t.stream], n), lc.duplicate_iou)
            t.keep(keep)
            xyxy = xyxy[keep]
        updated = t.time_since_update == 0
        established = t.state == CONFIRMED
        if lc.report_warmup:
            established = established | (self.frame_count[t.stream] <= lc.min_hits)
        shown = (updated & established) | ((t.state == LOST) & (t.time_since_update <= lc.max_report_gap))
        out = {"stream": t.stream[shown], "ids": t.ids[shown], "xyxy": xyxy[shown], "scores": t.scores[shown],
               "class_ids": t.class_ids[shown], "state": t.state[shown], "age": t.age[shown],
               "det_index": t.det_index[shown]}
        t.keep(lc.alive(t.state, t.time_since_update))
        return out

    # ---- camera motion, per stream ---------------------------------------------------------------------------
    def _warps(self, active, frame_list, dets, det_block) -> dict[int, np.ndarray]:
        if self.template.cmc is None:
            return {}
        warps = {}
        for b, (slot, frame) in enumerate(zip(active, frame_list)):
            if frame is not None:
                warps[b] = self._cmc[int(slot)].estimate(frame, dets[det_block == b])
        return warps

    def _warp(self, t: TrackTable, lookup: np.ndarray, warps: dict[int, np.ndarray]) -> None:
        block = lookup[t.stream]
        for b, warp in warps.items():
            rows = (block == b).nonzero()[0]
            if rows.size and warp is not None:
                t.mean[rows], t.cov[rows] = self.motion.model.warp(t.mean[rows], t.cov[rows], warp)


def _concat_trackable(det_list: list[Detections]):
    """All streams' detections with positive width and height, stream by stream.

    Returns:
        ``(dets, block, rows, given)``: the (K,) `Detections` (no features), (K,) their stream's position,
        (K,) their row in that stream's own `Detections`, and per stream its detections' (K_n, F) features or None.
    """
    lengths = np.array([len(d) for d in det_list], np.int64)
    if lengths.sum() == 0:
        empty = np.zeros(0, np.int64)
        return Detections.empty(), empty, empty, [None] * len(det_list)
    xyxy = np.concatenate([d.xyxy for d in det_list])
    block = np.repeat(np.arange(len(det_list)), lengths)
    starts = np.zeros(len(det_list), np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    rows = np.arange(xyxy.shape[0]) - starts[block]
    wh = xyxy[:, 2:] - xyxy[:, :2]
    usable = (wh > 0).all(axis=1)
    scores = np.concatenate([d.scores for d in det_list])
    class_ids = np.concatenate([d.class_ids for d in det_list])
    given = [None if d.features is None else d.features[usable[s:s + len(d)]] for d, s in zip(det_list, starts)]
    if not usable.all():
        xyxy, scores, class_ids, block, rows = xyxy[usable], scores[usable], class_ids[usable], block[usable], rows[usable]
    return trusted_detections(xyxy, scores, class_ids), block, rows, given


def _unique_blocks(t: TrackTable, xyxy: np.ndarray, layout: BlockLayout, threshold: float) -> np.ndarray:
    """ByteTrack's duplicate removal (`Lifecycle._unique`) within each stream. Returns the (T,) rows to keep."""
    keep = np.ones(len(t), bool)
    tracked = layout.mask(t.time_since_update == 0)
    lost = layout.mask(t.state == LOST)
    if not tracked.any() or not lost.any():
        return keep
    boxes = layout.pad(xyxy, 0.0)
    close = (iou_blocks(boxes, boxes) > threshold) & tracked[:, :, None] & lost[:, None, :]
    n, i, j = close.nonzero()
    p, q = layout.starts[n] + i, layout.starts[n] + j
    older_tracked = t.age[p] > t.age[q]
    keep[q[older_tracked]] = False
    keep[p[~older_tracked]] = False
    return keep
