"""Association: pure (T, D) cost functions and gates, one assignment solver, and associators built from them."""

from roadtrack.association.appearance import (
    cosine_distance, direction_consistency, fuse_score, gallery_distance, gate_by_mahalanobis, iou_gated_appearance,
)
from roadtrack.association.byte import ByteAssociator
from roadtrack.association.cascade import CascadeAssociator
from roadtrack.association.costs import BOX_SIMILARITIES, buffered_iou, ciou, class_gate, diou, giou, iou, same_class
from roadtrack.association.iou_associator import IoUAssociator
from roadtrack.association.ocsort import OCSortAssociator
from roadtrack.association.recovery import LostTrackRecovery
from roadtrack.association.solver import METHODS, matches_from_pairs, solve
from roadtrack.association.stages import solve_subset, sort_assignment
from roadtrack.association.ucmc import UCMCAssociator

__all__ = [
    "BOX_SIMILARITIES", "METHODS", "ByteAssociator", "CascadeAssociator", "IoUAssociator", "LostTrackRecovery", "OCSortAssociator", "UCMCAssociator",
    "buffered_iou", "ciou", "class_gate", "cosine_distance", "diou", "direction_consistency",
    "fuse_score", "gallery_distance", "gate_by_mahalanobis", "giou", "iou", "iou_gated_appearance",
    "matches_from_pairs", "same_class", "solve", "solve_subset", "sort_assignment",
]
