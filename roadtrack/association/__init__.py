"""Association: pure (T, D) cost functions and gates, one assignment solver, and associators built from them."""

from roadtrack.association.appearance import (
    cosine_distance, direction_consistency, fuse_score, gallery_distance, gate_by_mahalanobis, iou_gated_appearance,
)
from roadtrack.association.boosttrack import BoostAssociator
from roadtrack.association.byte import ByteAssociator
from roadtrack.association.cascade import CascadeAssociator
from roadtrack.association.cbiou import BufferedByteAssociator, CBIoUAssociator
from roadtrack.association.costs import BOX_SIMILARITIES, buffered_iou, ciou, class_gate, diou, giou, iou, same_class
from roadtrack.association.deep_ocsort import DeepOCSortAssociator
from roadtrack.association.fasttracker import FastTrackerAssociator
from roadtrack.association.hybrid_sort import HybridSortAssociator
from roadtrack.association.iou_associator import IoUAssociator
from roadtrack.association.ocsort import OCSortAssociator
from roadtrack.association.recovery import LostTrackRecovery
from roadtrack.association.solver import METHODS, matches_from_pairs, solve
from roadtrack.association.stages import solve_subset, sort_assignment
from roadtrack.association.tracktrack import TPAAssociator
from roadtrack.association.ucmc import UCMCAssociator

__all__ = [
    "BOX_SIMILARITIES", "METHODS", "BoostAssociator", "BufferedByteAssociator", "ByteAssociator", "CBIoUAssociator",
    "CascadeAssociator", "DeepOCSortAssociator", "FastTrackerAssociator", "HybridSortAssociator", "IoUAssociator",
    "LostTrackRecovery", "OCSortAssociator", "TPAAssociator", "UCMCAssociator",
    "buffered_iou", "ciou", "class_gate", "cosine_distance", "diou", "direction_consistency",
    "fuse_score", "gallery_distance", "gate_by_mahalanobis", "giou", "iou", "iou_gated_appearance",
    "matches_from_pairs", "same_class", "solve", "solve_subset", "sort_assignment",
]
