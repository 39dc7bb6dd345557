"""Tracking metrics: HOTA, CLEAR-MOT and Identity, with MOTChallenge and KITTI benchmark rules.

Each metric counts one sequence (``evaluate_sequence(data) -> stats``) and combines any number of
sequences from their stats (``combine(stats) -> result``), as TrackEval does. `evaluate_files` runs
all of them over a benchmark's files; `roadtrack.metrics.report` prints and saves the results.

Example:
    >>> from roadtrack.metrics import evaluate_files
    >>> ev = evaluate_files("../shared/data/MOT15/train", "runs/sort")            # doctest: +SKIP
    >>> print(ev.table())                                                           # doctest: +SKIP
"""

from roadtrack.metrics.base import Metric, Result, Stats
from roadtrack.metrics.clear import CLEAR, ClearResult, ClearStats, clear_mot
from roadtrack.metrics.data import SequenceData, build_sequence
from roadtrack.metrics.evaluate import COMBINED, MotEvaluation, default_metrics, evaluate, evaluate_files
from roadtrack.metrics.hota import ALPHAS, HOTA, HotaResult, HotaStats
from roadtrack.metrics.identity import Identity, IdentityResult, IdentityStats

__all__ = [
    "ALPHAS", "CLEAR", "COMBINED", "ClearResult", "ClearStats", "HOTA", "HotaResult", "HotaStats", "Identity",
    "IdentityResult", "IdentityStats", "Metric", "MotEvaluation", "Result", "SequenceData", "Stats",
    "build_sequence", "clear_mot", "default_metrics", "evaluate", "evaluate_files",
]
