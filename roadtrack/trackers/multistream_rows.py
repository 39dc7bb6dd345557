"""Row bookkeeping of `MultiStreamTracker`: the tracks of some streams taken out of the table and put back, and
the reported rows of all streams split into one `Tracks` per stream."""

from __future__ import annotations

import copy
from typing import Hashable, Sequence

import numpy as np

from roadtrack.core import Detections, Tracks
from roadtrack.core.table import NO_EXTRAS
from roadtrack.trackers.table import TrackTable


def take_rows(t: TrackTable, rows: np.ndarray) -> TrackTable:
    """A new table of ``rows`` ((T,) bool) of ``t``, with the same columns and class list."""
    out = copy.copy(t)
    for name in t.row_fields:
        setattr(out, name, getattr(t, name)[rows])
    return out


def _with_classes(t: TrackTable, classes: np.ndarray) -> None:
    """Re-lay ``t``'s class tallies over the (C,) sorted ``classes`` (a superset of its own)."""
    if np.array_equal(t.classes, classes):
        return
    votes = np.zeros((len(t), classes.shape[0]))
    votes[:, np.searchsorted(classes, t.classes)] = t.class_votes
    t.classes, t.class_votes = classes, votes


def merge_rows(a: TrackTable, b: TrackTable) -> TrackTable:
    """The rows of both tables (same columns) in one table sorted by stream, each stream's rows in their order."""
    classes = np.union1d(a.classes, b.classes).astype(np.int64)
    _with_classes(a, classes)
    _with_classes(b, classes)
    # Feature width: a stream that never had features has zero rows; widen the narrower side with zeros.
    if "features" in a.row_fields and a.features.shape[1] != b.features.shape[1]:
        narrow, dim = (a, b.features.shape[1]) if a.features.shape[1] == 0 else (b, a.features.shape[1])
        narrow.features = np.zeros((len(narrow), dim), np.float32)
        narrow.gallery = np.zeros((len(narrow), 0, dim), np.float32)
    out = copy.copy(a)
    for name in a.row_fields:
        setattr(out, name, np.concatenate([getattr(a, name), getattr(b, name)], axis=0))
    out.keep(np.argsort(out.stream, kind="stable"))
    return out


def split_reported(reported: dict[str, np.ndarray], keys: Sequence[Hashable], slots: np.ndarray,
                   detections: Sequence[Detections]) -> dict[Hashable, Tracks]:
    """One `Tracks` per stream from the reported rows of all streams (sorted by stream, ``slots`` ascending);
    each stream's tracks carry its own detections' extra columns, as a single tracker's do."""
    bounds = np.searchsorted(reported["stream"], np.concatenate([slots, slots[-1:] + 1]))
    ids, xyxy, scores = reported["ids"], reported["xyxy"], reported["scores"]
    class_ids, state, age, det_index = reported["class_ids"], reported["state"], reported["age"], reported["det_index"]
    out = {}
    for k, key in enumerate(keys):
        a, b = bounds[k], bounds[k + 1]
        tracks = object.__new__(Tracks)  # as `Tracks.trusted`, at a third of its cost (N of these per frame)
        tracks.__dict__.update(ids=ids[a:b], xyxy=xyxy[a:b], scores=scores[a:b], class_ids=class_ids[a:b],
                               state=state[a:b], age=age[a:b], det_index=det_index[a:b], features=None,
                               extras=NO_EXTRAS)
        extras = detections[k].extras
        out[key] = tracks.carrying(extras) if extras else tracks
    return out


def trusted_detections(xyxy: np.ndarray, scores: np.ndarray, class_ids: np.ndarray) -> Detections:
    """`Detections` from columns of already validated `Detections` (float64 (K, 4) valid boxes, (K,) float64
    scores, (K,) int64 classes), without validating them again."""
    out = object.__new__(Detections)
    out.__dict__.update(xyxy=xyxy, scores=scores, class_ids=class_ids, features=None, extras=NO_EXTRAS)
    return out
