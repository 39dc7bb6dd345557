"""Association: pure (T, D) cost functions and gates, one assignment solver, and associators built from them."""

from roadtrack.association.costs import class_gate, iou
from roadtrack.association.iou_associator import IoUAssociator
from roadtrack.association.solver import METHODS, matches_from_pairs, solve

__all__ = ["METHODS", "IoUAssociator", "class_gate", "iou", "matches_from_pairs", "solve"]
