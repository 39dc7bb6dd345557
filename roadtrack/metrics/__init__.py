"""Tracking metrics. CLEAR-MOT and identity metrics come from py-motmetrics."""

from roadtrack.metrics.clear import clear_mot

__all__ = ["clear_mot"]
