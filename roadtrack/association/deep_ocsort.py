"""`DeepOCSortAssociator`: OC-SORT's association with Deep OC-SORT's adaptively weighted appearance term."""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.appearance import cosine_distance
from roadtrack.association.deep_oc import appearance_score
from roadtrack.association.ocsort import OCSortAssociator
from roadtrack.core import Detections, TrackView, register


@register("associator", "deepocsort")
@dataclasses.dataclass(frozen=True)
class DeepOCSortAssociator(OCSortAssociator):
    """Deep OC-SORT (Maggiolino et al., ICIP 2023) association: `OCSortAssociator` whose first (OCM) step maximises

        ``similarity + inertia * score * direction_consistency + W * cos_sim``

    where ``cos_sim`` (T, D) is the cosine similarity of the track and detection features and ``W`` the
    adaptive weight (`roadtrack.association.deep_oc.adaptive_weights`: ``w_association_emb`` plus up to
    ``aw_param`` / 2 for each of the track's and the detection's best-minus-second-best similarity). The
    appearance term counts for all pairs (not gated by IoU), but only in the OCM step's assignment: as in OC-SORT,
    if the pairs above ``iou_threshold`` are one-to-one they are taken as they are, and a match still needs
    ``similarity >= iou_threshold``. The recovery (OCR) step stays box-only.

    Without features on both sides (no embedder, or the first frames) it is exactly `OCSortAssociator`.

    Args:
        w_association_emb: the base weight ``w`` of the appearance term (Deep OC-SORT: 0.75 on MOT17/MOT20).
        aw_param: cap of each half of the adaptive boost (Deep OC-SORT: 0.5).
        adaptive: False weighs every pair by ``w_association_emb`` (the reference's ``aw_off``).
        Others: as `OCSortAssociator`.
    """

    w_association_emb: float = 0.75
    aw_param: float = 0.5
    adaptive: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.aw_param < 0:
            raise ValueError(f"aw_param must be >= 0, got {self.aw_param}")

    def needs_features(self) -> bool:
        return self.w_association_emb != 0.0

    def _extra_score(self, tracks: TrackView, detections: Detections, cols: np.ndarray) -> np.ndarray | None:
        """(T, len(cols)) ``W * cos_sim``, or None when either side has no features."""
        tf, df = tracks.features, detections.features
        if self.w_association_emb == 0.0 or tf is None or df is None or tf.shape[1] == 0 or len(tracks) == 0 \
                or cols.size == 0:
            return None
        if tf.shape[1] != df.shape[1]:
            raise ValueError(f"track features are {tf.shape[1]}-dimensional, detection features {df.shape[1]}")
        # Rows without a feature yet (zeros) have similarity 0 with everything: no appearance opinion.
        similarity = 1.0 - cosine_distance(tf, df[cols])
        similarity[~np.any(tf != 0, axis=1)] = 0.0
        similarity[:, ~np.any(df[cols] != 0, axis=1)] = 0.0
        return appearance_score(similarity, self.w_association_emb, self.aw_param, self.adaptive)
