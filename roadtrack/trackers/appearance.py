"""`AppearanceMemory`: how a track remembers what it looked like (smoothed feature or a gallery of samples)."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.trackers.table import TrackTable

KINDS = ("ema", "gallery")


def _normalise(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


@dataclasses.dataclass(frozen=True)
class AppearanceMemory:
    """Per-track appearance state, kept in the track table (freed with the track).

    Attributes:
        kind: ``"ema"`` keeps one exponentially smoothed feature per track (BoT-SORT, StrongSORT):
            ``f = alpha * f + (1 - alpha) * new``, renormalised. ``"gallery"`` keeps the last ``budget``
            features (DeepSORT's nearest-neighbour metric) and the latest as ``features``.
        ema_alpha: smoothing weight of the old feature, in [0, 1).
        budget: gallery size per track.
    """

    kind: str = "ema"
    ema_alpha: float = 0.9
    budget: int = 100

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown appearance memory {self.kind!r}; choose from {', '.join(KINDS)}")
        if not 0.0 <= self.ema_alpha < 1.0:
            raise ValueError(f"ema_alpha must lie in [0, 1), got {self.ema_alpha}")
        if self.budget < 1:
            raise ValueError(f"budget must be >= 1, got {self.budget}")

    def start(self, table: TrackTable, rows: np.ndarray, features: np.ndarray) -> None:
        """First features (K, D) of new tracks ``rows``."""
        if rows.size == 0:
            return
        features = _normalise(features)
        table.ensure_feature_dim(features.shape[1])
        table.features[rows] = features
        table.feature_age[rows] = 0
        if self.kind == "gallery":
            table.add_to_gallery(rows, features, self.budget)

    def update(self, table: TrackTable, rows: np.ndarray, features: np.ndarray) -> None:
        """Fold new features (K, D) into distinct ``rows``."""
        if rows.size == 0:
            return
        features = _normalise(features)
        if table.features.shape[1] != features.shape[1]:
            self.start(table, rows, features)
            return
        table.feature_age[rows] = 0
        if self.kind == "gallery":
            table.features[rows] = features
            table.add_to_gallery(rows, features, self.budget)
            return
        old = table.features[rows]
        fresh = ~np.any(old != 0, axis=1)  # tracks that had no feature yet take the new one as is
        smoothed = np.where(fresh[:, None], features, self.ema_alpha * old + (1.0 - self.ema_alpha) * features)
        table.features[rows] = _normalise(smoothed)
