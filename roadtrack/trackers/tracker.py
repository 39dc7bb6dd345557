"""`MultiObjectTracker`: the one composed tracker (motion model + associator + lifecycle, optional appearance and CMC)."""

from __future__ import annotations

import numpy as np

from roadtrack.association import TrackAssociator, TrackView, iou
from roadtrack.core import Associator, Detections, Embedder, MotionModel, Tracker, Tracks, TrackState
from roadtrack.core.boxes import xyxy_to_xywh
from roadtrack.kalman import observation_centric_reupdate
from roadtrack.trackers.appearance import AppearanceMemory
from roadtrack.trackers.lifecycle import Lifecycle
from roadtrack.trackers.table import TrackTable


# Plain ints: comparing arrays with enum members goes through the slow enum attribute lookup every time.
TENTATIVE, CONFIRMED, LOST = int(TrackState.TENTATIVE), int(TrackState.CONFIRMED), int(TrackState.LOST)
# Lazy embedding: overlaps above this IoU with another track or detection leave a match in doubt. Neighbours that
# only touch (IoU 0.1-0.3, common in groups of people) leave a 0.6-IoU match beyond doubt; measured on the three
# MOT15 videos this embeds 20-35 % fewer crops with the same BoT-SORT scores (benchmarks/RESULTS.md).
LAZY_DOUBT_IOU = 0.3


def _valid_boxes(xyxy: np.ndarray) -> np.ndarray:
    """(N,) True where a box is finite with x1 <= x2 and y1 <= y2."""
    return np.isfinite(xyxy).all(axis=1) & (xyxy[:, 2] >= xyxy[:, 0]) & (xyxy[:, 3] >= xyxy[:, 1])


def _direction(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """(N, 2) unit vectors from the centres of ``a`` to those of ``b`` (OC-SORT's ``speed_direction``)."""
    d = xyxy_to_xywh(b_xyxy)[:, :2] - xyxy_to_xywh(a_xyxy)[:, :2]
    return d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-6)


class MultiObjectTracker(Tracker):
    """Tracking by detection: predict, compensate camera motion, associate, update, create, report, delete.

    Per frame: every track is predicted one frame ahead (and moved by the camera motion when ``cmc`` is set);
    tracks whose predicted box is not finite are deleted; the associator matches tracks to detections;
    matched tracks are corrected with their detection; unmatched detections scoring at least
    ``lifecycle.new_track_min_score`` start tracks; tracks are reported and deleted by ``lifecycle``.

    Detections with zero width or height are not tracked (they start and update no track): the motion models'
    aspect ratio is undefined for them. Their rows are skipped, so ``det_index`` still points into the
    ``Detections`` passed to `update`.

    Ids start at 1 and increase by one per new track; the counter belongs to the instance. All track state
    lives in one `TrackTable`; deleted tracks (and their appearance features) are dropped from it.

    Args:
        motion: batched motion model (a `roadtrack.kalman.LinearKalman` for CMC and re-update).
        associator: matches tracks to detections; a `TrackAssociator` sees states, features and history.
        lifecycle: confirmation, reporting and deletion rules.
        embedder: computes appearance features when the associator uses them and the detections carry none.
        cmc: camera-motion estimator (`roadtrack.cmc`), applied when a frame is given.
        appearance: how tracks remember features (default: smoothed, when the associator uses features).
        embed_min_score: only detections scoring above this are embedded (BoT-SORT embeds high-score ones).
        lazy_embedding: skip the embedder for detections that motion alone matches beyond doubt: the only
            detection overlapping a track that was updated last frame (IoU >= 0.6 with its prediction; no other
            track or detection overlaps either by IoU above 0.3), while that track's appearance is younger than
            ``embedding_refresh`` frames. Appearance then costs in proportion to the ambiguity of a scene.
        embedding_refresh: frames after which a track's appearance is refreshed even when unambiguous.
        observation_reupdate: OC-SORT's re-update of re-found tracks along a virtual trajectory.
        velocity_delta_t: keep this many recent observations per track for OC-SORT's direction term (0: none).
        freeze_lost_size: zero the box-size velocity of tracks not updated last frame before predicting
            (ByteTrack, BoT-SORT).
        predict_tentative: False leaves tentative tracks unpredicted for their one frame of probation, as the
            ByteTrack and BoT-SORT reference code does (their state is the creating detection, velocity 0).

    Example:
        >>> from roadtrack.trackers import sort
        >>> tracker = sort()
        >>> tracks = tracker.update(Detections([[10, 10, 50, 90]], scores=[0.9]))
        >>> tracks.ids.tolist(), tracks.det_index.tolist()
        ([1], [0])
    """

    def __init__(
        self, motion: MotionModel, associator: Associator, lifecycle: Lifecycle, embedder: Embedder | None = None,
        cmc=None, appearance: AppearanceMemory | None = None, embed_min_score: float = -np.inf,
        lazy_embedding: bool = False, embedding_refresh: int = 10, observation_reupdate: bool = False,
        velocity_delta_t: int = 0, freeze_lost_size: bool = False, predict_tentative: bool = True,
    ) -> None:
        if velocity_delta_t < 0:
            raise ValueError(f"velocity_delta_t must be >= 0, got {velocity_delta_t}")
        self.motion, self.associator, self.lifecycle = motion, associator, lifecycle
        self.embedder, self.cmc = embedder, cmc
        uses_features = isinstance(associator, TrackAssociator) and associator.needs_features()
        self.appearance = appearance if appearance is not None or not uses_features else AppearanceMemory()
        self.embed_min_score = embed_min_score
        self.lazy_embedding, self.embedding_refresh = lazy_embedding, embedding_refresh
        self.observation_reupdate = observation_reupdate
        self.velocity_delta_t = velocity_delta_t
        self.freeze_lost_size = freeze_lost_size
        self.predict_tentative = predict_tentative
        self.reset()

    def reset(self) -> None:
        """Forget all tracks (and the camera-motion reference frame); the next track gets id 1 again."""
        state_dim = self.motion.initiate(np.zeros((0, 4)))[0].shape[1]
        self.tracks = TrackTable.empty(state_dim, saved_state=self.observation_reupdate, history=self.velocity_delta_t)
        self.frame_count = 0
        self.next_id = 1
        if self.cmc is not None:
            self.cmc.reset()

    # ---- one frame -----------------------------------------------------------------------------
    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Advance one frame.

        Args:
            detections: this frame's detections (may be empty), optionally with ``features``.
            frame: the BGR image, used for camera-motion compensation and by the embedder; may be None.

        Returns:
            The reported tracks, ordered by id, with ``det_index`` into ``detections`` (-1 when coasting).
        """
        self.frame_count += 1
        t = self.tracks
        wh = detections.xyxy[:, 2:] - detections.xyxy[:, :2]
        usable = np.nonzero((wh > 0).all(axis=1))[0]
        dets = detections if usable.size == len(detections) else detections[usable]
        warp = self.cmc.estimate(frame, dets) if self.cmc is not None and frame is not None else None
        predicted = self._predict(t, warp)
        dets, feature_ok = self._features(dets, frame, predicted)
        if self.velocity_delta_t:
            self._previous = self._previous_observation(t)  # before any update changes the history
        matches = self.associator.match(self._view(t, predicted), dets) if isinstance(self.associator, TrackAssociator) \
            else self.associator.associate(predicted, t.class_ids, dets)
        self._update_matched(t, matches.rows, matches.cols, dets, usable, feature_ok)

        new = matches.unmatched_cols
        new = new[dets.scores[new] >= self.lifecycle.new_track_min_score]
        if new.size:
            self._start(t, new, dets, usable, feature_ok)

        xyxy = self.motion.to_xyxy(t.mean)
        ok = _valid_boxes(xyxy)  # all True for SORT's model; guards models whose state can degenerate
        if not ok.all():
            t.keep(ok)
            xyxy = xyxy[ok]
        if self.lifecycle.duplicate_iou is not None:
            keep = self._drop_duplicates(t, xyxy)
            t.keep(keep)
            xyxy = xyxy[keep]
        if self.lifecycle.report_box == "observation":
            seen = (t.hits > 0) & (t.time_since_update == 0)
            xyxy = np.where(seen[:, None], t.last_xyxy, xyxy)
        report = self.lifecycle.report(t.state, t.time_since_update, self.frame_count)
        out = Tracks(
            ids=t.ids[report], xyxy=xyxy[report], scores=t.scores[report], class_ids=t.class_ids[report],
            state=t.state[report], age=t.age[report], det_index=t.det_index[report],
        )
        t.keep(self.lifecycle.alive(t.state, t.time_since_update))
        return out

    # ---- steps ---------------------------------------------------------------------------------
    def _features(self, dets: Detections, frame: np.ndarray | None, predicted: np.ndarray) -> tuple[Detections, np.ndarray | None]:
        """Features for ``dets`` if the tracker keeps appearance: the detections' own, else the embedder's
        for rows scoring above ``embed_min_score`` (others get zeros). Returns the detections with features
        and a (D,) bool mask of rows that have real ones (None: no features this frame)."""
        if self.appearance is None:
            return dets, None
        if dets.features is not None:
            return dets, np.ones(len(dets), bool)
        if self.embedder is None or frame is None or len(dets) == 0:
            return dets, None
        wanted = dets.scores > self.embed_min_score
        if self.lazy_embedding:
            wanted &= ~self._unambiguous(dets, predicted)
        rows = np.nonzero(wanted)[0]
        if rows.size == 0:
            return dets, None
        embedded = np.asarray(self.embedder.embed(frame, dets[rows]), np.float32)
        features = np.zeros((len(dets), embedded.shape[1]), np.float32)
        features[rows] = embedded
        ok = np.zeros(len(dets), bool)
        ok[rows] = True
        return dets.with_features(features), ok

    def _unambiguous(self, dets: Detections, predicted: np.ndarray) -> np.ndarray:
        """(D,) detections that motion alone matches beyond doubt (see ``lazy_embedding``)."""
        t = self.tracks
        fresh = (t.time_since_update == 1) & (t.state != TENTATIVE) & (t.feature_age < self.embedding_refresh)
        if not fresh.any() or len(dets) == 0:
            return np.zeros(len(dets), bool)
        overlap = iou(predicted, dets.xyxy)  # all tracks: a real overlap with another track is a doubt
        touching = overlap > LAZY_DOUBT_IOU
        one_track = touching.sum(0) == 1
        track_of = np.argmax(overlap, axis=0)
        crowd = iou(dets.xyxy, dets.xyxy) > LAZY_DOUBT_IOU
        alone = crowd.sum(1) == 1  # only itself
        easy = one_track & alone & fresh[track_of] & (overlap[track_of, np.arange(len(dets))] >= 0.6)
        return easy & (touching.sum(1)[track_of] == 1)

    def _predict(self, t: TrackTable, warp: np.ndarray | None) -> np.ndarray:
        """Predict all tracks one frame, advance their counters, delete tracks that lost a valid box.

        Returns:
            (T, 4) xyxy predicted boxes of the remaining tracks.
        """
        if len(t) == 0:
            return np.zeros((0, 4))
        mean = t.mean
        if self.freeze_lost_size:
            mean = self.motion.freeze_size(mean, t.time_since_update > 0)
        if self.predict_tentative:
            t.mean, t.cov = self.motion.predict(mean, t.cov)
        else:
            rows = np.nonzero(t.state != TENTATIVE)[0]
            t.mean[rows], t.cov[rows] = self.motion.predict(mean[rows], t.cov[rows])
        if warp is not None:
            t.mean, t.cov = self.motion.warp(t.mean, t.cov, warp)
        t.age += 1
        t.feature_age += 1
        t.hit_streak[t.time_since_update > 0] = 0  # a missed frame ends the streak
        t.time_since_update += 1
        t.det_index[:] = -1
        t.state[t.state == CONFIRMED] = LOST  # confirmed when last updated
        if self.observation_reupdate:
            just_missed = np.nonzero(t.time_since_update == 1)[0]
            t.saved_mean[just_missed], t.saved_cov[just_missed] = t.mean[just_missed], t.cov[just_missed]
        predicted = self.motion.to_xyxy(t.mean)
        ok = _valid_boxes(predicted)
        if not ok.all():
            t.keep(ok)
        return predicted[ok]

    def _previous_observation(self, t: TrackTable) -> tuple[np.ndarray, np.ndarray]:
        """OC-SORT's ``k_previous_obs``: the observation from ``delta_t`` frames back (or the closest after it,
        else the last one), and whether the track has been observed at all."""
        prev = t.last_xyxy.copy()
        found = np.zeros(len(t), bool)
        k = self.velocity_delta_t
        for dt in range(k, 0, -1):
            want = t.age - dt
            slot = want % k
            hit = ~found & (t.obs_age[np.arange(len(t)), slot] == want)
            prev[hit] = t.obs_xyxy[np.nonzero(hit)[0], slot[hit]]
            found |= hit
        return prev, t.hits > 0

    def _view(self, t: TrackTable, predicted: np.ndarray) -> TrackView:
        has_features = self.appearance is not None and t.features.shape[1] > 0
        gallery = has_features and self.appearance.kind == "gallery"
        previous = has_previous = velocity = None
        if self.velocity_delta_t:
            previous, has_previous = self._previous
            velocity = t.velocity
        return TrackView(
            xyxy=predicted, class_ids=t.class_ids, confirmed=t.state != TENTATIVE,
            time_since_update=t.time_since_update, mean=t.mean, cov=t.cov, motion=self.motion,
            features=t.features if has_features else None, gallery=t.gallery if gallery else None,
            gallery_count=t.gallery_count if gallery else None, last_xyxy=t.last_xyxy, observed=t.hits > 0, hits=t.hits,
            velocity=velocity, previous_xyxy=previous, has_previous=has_previous,
        )

    def _update_matched(self, t: TrackTable, rows, cols, dets: Detections, usable, feature_ok) -> None:
        if rows.size == 0:
            return
        boxes = dets.xyxy[cols]
        if self.velocity_delta_t:
            previous, has_previous = self._previous  # computed for this frame's view, before any update
            moving = rows[has_previous[rows]]
            t.velocity[moving] = _direction(previous[moving], dets.xyxy[cols[has_previous[rows]]])
            slot = t.age[rows] % self.velocity_delta_t
            t.obs_xyxy[rows, slot] = boxes
            t.obs_age[rows, slot] = t.age[rows]
        if self.observation_reupdate:
            back = (t.time_since_update[rows] >= 2) & (t.hits[rows] > 0)
            r = rows[back]
            if r.size:
                t.mean[r], t.cov[r] = observation_centric_reupdate(
                    self.motion, t.saved_mean[r], t.saved_cov[r], t.last_xyxy[r], boxes[back], t.time_since_update[r])
        t.mean[rows], t.cov[rows] = self.motion.update(t.mean[rows], t.cov[rows], boxes, dets.scores[cols])
        t.last_xyxy[rows] = boxes
        t.time_since_update[rows] = 0
        t.hits[rows] += 1
        t.hit_streak[rows] += 1
        t.scores[rows] = dets.scores[cols]
        t.det_index[rows] = usable[cols]
        t.vote(rows, dets.class_ids[cols], dets.scores[cols])
        t.state[rows] = self.lifecycle.state_after_update(t.state[rows], t.hit_streak[rows])
        if feature_ok is not None:
            with_features = feature_ok[cols]
            self.appearance.update(t, rows[with_features], dets.features[cols[with_features]])

    def _start(self, t: TrackTable, new: np.ndarray, dets: Detections, usable, feature_ok) -> None:
        mean, cov = self.motion.initiate(dets.xyxy[new])
        ids = np.arange(self.next_id, self.next_id + new.size, dtype=np.int64)
        self.next_id += int(new.size)
        t.append(ids, mean, cov, dets.class_ids[new], dets.scores[new], usable[new], xyxy=dets.xyxy[new])
        rows = np.arange(len(t) - new.size, len(t))
        if self.lifecycle.min_hits <= 0 or (self.lifecycle.confirm_first_frame and self.frame_count == 1):
            t.state[rows] = CONFIRMED  # a new track has hit_streak 0 (SORT counts no hit on creation)
        if feature_ok is not None:
            with_features = feature_ok[new]
            self.appearance.start(t, rows[with_features], dets.features[new[with_features]])

    def _drop_duplicates(self, t: TrackTable, xyxy: np.ndarray) -> np.ndarray:
        """ByteTrack's duplicate removal: of an updated track and a lost one overlapping with IoU above
        ``duplicate_iou``, the younger is dropped. Returns the (T,) rows to keep."""
        keep = np.ones(len(t), bool)
        tracked = np.nonzero(t.time_since_update == 0)[0]
        lost = np.nonzero(t.state == LOST)[0]
        if tracked.size == 0 or lost.size == 0:
            return keep
        p, q = np.nonzero(iou(xyxy[tracked], xyxy[lost]) > self.lifecycle.duplicate_iou)
        p, q = tracked[p], lost[q]
        older_tracked = t.age[p] > t.age[q]
        keep[q[older_tracked]] = False
        keep[p[~older_tracked]] = False
        return keep
