"""`Appearance`: the tracker part that owns appearance — the embedder, lazy embedding and each track's memory of
what it looked like (a smoothed feature or a gallery of samples)."""

from __future__ import annotations

import numpy as np

from roadtrack.association.costs import iou
from roadtrack.core import Detections, Embedder, TrackState
from roadtrack.trackers.parts import TrackPart
from roadtrack.trackers.table import Column, TrackTable

KINDS = ("ema", "gallery")
TENTATIVE = int(TrackState.TENTATIVE)
# Lazy embedding: overlaps above this IoU with another track or detection leave a match in doubt. Neighbours that
# only touch (IoU 0.1-0.3, common in groups of people) leave a 0.6-IoU match beyond doubt; measured on the three
# MOT15 videos this embeds 20-35 % fewer crops with the same BoT-SORT scores (benchmarks/RESULTS.md).
LAZY_DOUBT_IOU = 0.3


def _normalise(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


class Appearance(TrackPart):
    """Appearance part. Columns: ``features`` (T, D) float32 (smoothed or latest; D = 0 until the first features),
    ``gallery`` (T, B, D) float32 stored samples with ``gallery_count``/``gallery_next`` (a ring of ``budget``
    slots, grown by doubling), ``feature_age`` (T,) frames since the appearance was last updated.

    Features come from the detections when they carry them, else from ``embedder`` (which this part owns).

    Args:
        kind: ``"ema"`` keeps one exponentially smoothed feature per track (BoT-SORT, StrongSORT):
            ``f = alpha * f + (1 - alpha) * new``, renormalised. ``"gallery"`` keeps the last ``budget``
            features (DeepSORT's nearest-neighbour metric) and the latest as ``features``.
        ema_alpha: smoothing weight of the old feature, in [0, 1).
        budget: gallery size per track.
        embedder: computes features for detections that carry none (needs the frame).
        min_score: only detections scoring above this are embedded (BoT-SORT embeds high-score ones).
        lazy: skip the embedder for detections that motion alone matches beyond doubt: the only detection
            overlapping a track that was updated last frame (IoU >= 0.6 with its prediction; no other track or
            detection overlaps either by IoU above 0.3), while that track's appearance is younger than
            ``refresh`` frames. Appearance then costs in proportion to the ambiguity of a scene.
        refresh: frames after which a track's appearance is refreshed even when unambiguous.
    """

    EMA_ALPHA, BUDGET = 0.9, 100  # BoT-SORT's smoothing and DeepSORT's nn_budget

    def __init__(self, kind: str = "ema", ema_alpha: float = EMA_ALPHA, budget: int = BUDGET,
                 embedder: Embedder | None = None, min_score: float = -np.inf, lazy: bool = False,
                 refresh: int = 10) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown appearance memory {kind!r}; choose from {', '.join(KINDS)}")
        if not 0.0 <= ema_alpha < 1.0:
            raise ValueError(f"ema_alpha must lie in [0, 1), got {ema_alpha}")
        if budget < 1:
            raise ValueError(f"budget must be >= 1, got {budget}")
        self.kind, self.ema_alpha, self.budget = kind, ema_alpha, budget
        self.embedder, self.min_score, self.lazy, self.refresh = embedder, min_score, lazy, refresh
        self._embedded = None  # this frame's (D,) rows with real features, None: no features this frame

    def columns(self) -> dict[str, Column]:
        return {"features": Column((0,), np.float32), "gallery": Column((0, 0), np.float32),
                "gallery_count": Column((), np.int64), "gallery_next": Column((), np.int64),
                "feature_age": Column((), np.int64)}

    def view_fields(self, t: TrackTable) -> dict[str, np.ndarray | None]:
        if t.features.shape[1] == 0:
            return {}
        if self.kind == "gallery":
            return {"features": t.features, "gallery": t.gallery, "gallery_count": t.gallery_count}
        return {"features": t.features}

    def check(self, t: TrackTable, detections: Detections) -> None:
        """Raise before a frame changes anything when the detections' features cannot be compared with the tracks'."""
        f = detections.features
        if f is not None and len(t) and t.features.shape[1] and f.shape[1] != t.features.shape[1]:
            raise ValueError(f"detections carry {f.shape[1]}-dimensional features but the tracks have "
                             f"{t.features.shape[1]}-dimensional ones; use one embedder per tracker")

    # ---- one frame -----------------------------------------------------------------------------
    def prepare(self, t: TrackTable) -> None:
        t.feature_age = t.feature_age + 1

    def embed(self, t: TrackTable, dets: Detections, frame: np.ndarray | None, predicted: np.ndarray) -> Detections:
        """Features for ``dets``: their own, else the embedder's for rows scoring above ``min_score`` (others get
        zeros, and the memory ignores them)."""
        self._embedded = None
        if dets.features is not None:
            self._embedded = np.ones(len(dets), bool)
            return dets
        if self.embedder is None or frame is None or len(dets) == 0:
            return dets
        wanted = dets.scores > self.min_score
        if self.lazy:
            wanted &= ~self._unambiguous(t, dets, predicted)
        rows = wanted.nonzero()[0]
        if rows.size == 0:
            return dets
        embedded = np.asarray(self.embedder.embed(frame, dets[rows]), np.float32)
        if embedded.ndim != 2 or embedded.shape[0] != rows.size:
            raise ValueError(f"{type(self.embedder).__name__}.embed returned shape {embedded.shape} for "
                             f"{rows.size} detections; expected ({rows.size}, D)")
        if len(t) and t.features.shape[1] and embedded.shape[1] != t.features.shape[1]:
            raise ValueError(f"{type(self.embedder).__name__} returned {embedded.shape[1]}-dimensional features; "
                             f"the tracks have {t.features.shape[1]}-dimensional ones")
        features = np.zeros((len(dets), embedded.shape[1]), np.float32)
        features[rows] = embedded
        self._embedded = np.zeros(len(dets), bool)
        self._embedded[rows] = True
        return dets.with_features(features)

    def _unambiguous(self, t: TrackTable, dets: Detections, predicted: np.ndarray) -> np.ndarray:
        """(D,) detections that motion alone matches beyond doubt (see ``lazy``)."""
        fresh = (t.time_since_update == 1) & (t.state != TENTATIVE) & (t.feature_age < self.refresh)
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

    def update(self, t: TrackTable, rows: np.ndarray, dets: Detections, cols: np.ndarray) -> None:
        if self._embedded is not None:
            ok = self._embedded[cols]
            self.remember(t, rows[ok], dets.features[cols[ok]], self.ema_weights(dets.scores[cols[ok]]))

    def ema_weights(self, scores: np.ndarray) -> float | np.ndarray:
        """Weight of the old feature in the EMA, for detections of (K,) ``scores``: ``ema_alpha`` for all."""
        return self.ema_alpha

    def start(self, t: TrackTable, rows: np.ndarray, dets: Detections, new: np.ndarray) -> None:
        if self._embedded is not None:
            ok = self._embedded[new]
            self.remember_first(t, rows[ok], dets.features[new[ok]])

    # ---- memory --------------------------------------------------------------------------------
    def remember_first(self, t: TrackTable, rows: np.ndarray, features: np.ndarray) -> None:
        """First features (K, D) of new tracks ``rows``."""
        if rows.size == 0:
            return
        features = _normalise(features)
        self._ensure_dim(t, features.shape[1])
        t.features[rows] = features
        t.feature_age[rows] = 0
        if self.kind == "gallery":
            self._add_to_gallery(t, rows, features)

    def remember(self, t: TrackTable, rows: np.ndarray, features: np.ndarray,
                 alpha: float | np.ndarray | None = None) -> None:
        """Fold new features (K, D) into distinct ``rows``; ``alpha``: the EMA's weight of the old feature, one
        for all or (K,) per row (default ``ema_alpha``)."""
        if rows.size == 0:
            return
        features = _normalise(features)
        if t.features.shape[1] != features.shape[1]:
            self.remember_first(t, rows, features)
            return
        t.feature_age[rows] = 0
        if self.kind == "gallery":
            t.features[rows] = features
            self._add_to_gallery(t, rows, features)
            return
        old = t.features[rows]
        fresh = ~np.any(old != 0, axis=1)  # tracks that had no feature yet take the new one as is
        alpha = self.ema_alpha if alpha is None else alpha
        if np.ndim(alpha):
            alpha = np.asarray(alpha, np.float32)[:, None]
        smoothed = np.where(fresh[:, None], features, alpha * old + (1.0 - alpha) * features)
        t.features[rows] = _normalise(smoothed)

    @staticmethod
    def _ensure_dim(t: TrackTable, dim: int) -> None:
        """Give ``features`` (and the gallery) D = ``dim`` columns; a change of D drops stored features."""
        if t.features.shape[1] != dim:
            t.features = np.zeros((len(t), dim), np.float32)
            t.gallery = np.zeros((len(t), t.gallery.shape[1], dim), np.float32)
            t.gallery_count[:] = 0
            t.gallery_next[:] = 0

    def _add_to_gallery(self, t: TrackTable, rows: np.ndarray, features: np.ndarray) -> None:
        """Store (K, D) ``features`` as the newest samples of distinct ``rows``, keeping at most ``budget`` each;
        the gallery grows by doubling up to ``budget`` slots, so short-lived tracks cost little memory."""
        budget = self.budget
        needed = min(budget, int(t.gallery_count[rows].max()) + 1)
        if needed > t.gallery.shape[1]:
            size = min(budget, max(needed, 2 * t.gallery.shape[1], 4))
            grown = np.zeros((len(t), size, features.shape[1]), np.float32)
            # Rows that have wrapped are full at the old size, which is below budget only if never wrapped.
            grown[:, : t.gallery.shape[1]] = t.gallery
            t.gallery = grown
        slot = t.gallery_next[rows] % budget
        t.gallery[rows, slot] = features
        t.gallery_next[rows] = (slot + 1) % budget
        t.gallery_count[rows] = np.minimum(t.gallery_count[rows] + 1, budget)


class ScoreWeightedAppearance(Appearance):
    """EMA appearance that trusts a confident detection more (Deep OC-SORT's dynamic appearance, BoostTrack's and
    TrackTrack's memories): the old feature's weight is ``alpha = ema_alpha + (1 - ema_alpha) * (1 - trust)``
    with ``trust = (score - det_thresh) / (1 - det_thresh)``, clipped to [0, 1]; a barely confident (often
    occluded) detection hardly changes the memory. TrackTrack's rule is ``det_thresh = 0``.

    Args:
        det_thresh: the score of no trust, in [0, 1).
        ema_alpha: the old feature's weight for a fully trusted detection (0.95 in all three references).
        embedder, min_score, lazy, refresh: see `Appearance`.
    """

    EMA_ALPHA = 0.95

    def __init__(self, det_thresh: float = 0.0, ema_alpha: float = EMA_ALPHA, **options) -> None:
        if not 0.0 <= det_thresh < 1.0:
            raise ValueError(f"det_thresh must lie in [0, 1), got {det_thresh}")
        super().__init__("ema", ema_alpha=ema_alpha, **options)
        self.det_thresh = det_thresh

    def ema_weights(self, scores: np.ndarray) -> np.ndarray:
        trust = (np.asarray(scores, np.float64) - self.det_thresh) / (1.0 - self.det_thresh)
        return np.clip(self.ema_alpha + (1.0 - self.ema_alpha) * (1.0 - trust), 0.0, 1.0)
