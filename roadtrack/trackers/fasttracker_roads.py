"""FastTracker's road-structure refinement (Hashempoor and Hwang, arXiv 2508.14370): per-scene region polygons
(ROIs) that keep each track's recent path inside its road region and its motion inside the region's direction
cone. Off unless a scene's ROIs are given."""

from __future__ import annotations

import numpy as np

from roadtrack.association.fasttracker import (clamp_to_cone, closest_point_on_polygon, cone_axis_and_angle,
                                               points_in_polygon)
from roadtrack.trackers.table import Column, TrackTable


class RoadStructure:
    """ROI repair and direction cones over each track's centre history (reference
    ``enforce_environment_constraints``), run at the end of a frame on the tracks in the tracked state.

    Per frame, for each such track: its box centre (the first two state components, an (x, y, a, h) or
    (x, y, w, h) centre) is appended to ``center_history``; the first ROI containing it is the track's region.
    (i) Repair: if the history shows an excursion outside the region that ended (outside points after the last
    earlier inside one) of at most ``repair_max_gap`` entries, those centres are moved onto the region's boundary
    (`closest_point_on_polygon`); the current centre is inside, so the state is unchanged (the reference also
    writes a top-left corner into the state's centre there, a bug not followed). (ii) Cone: for a quadrilateral
    region ordered E1, E2, O2, O1 (`cone_axis_and_angle`) and at least ``window + 1`` stored centres, the
    displacement from the centre ``window`` entries back is rotated into the cone (`clamp_to_cone`, steps
    under ``min_step`` pixels left alone); a changed centre is written to the history and the state.

    Columns: ``center_history`` (T, L, 2) right-aligned, newest last, with ``center_count``;
    L = max(``window`` + 1, ``repair_max_gap`` + 2) (the reference keeps the whole path).

    Args:
        rois: polygons, each (M, 2) image pixels with M >= 3; only quadrilaterals get a direction cone.
        repair_max_gap: longest excursion repaired, entries (reference 15).
        window: entries back of the cone's anchor (reference ``dir_window_N`` 10).
        min_step: shortest displacement the cone acts on, pixels (reference 3).
    """

    def __init__(self, rois, repair_max_gap: int = 15, window: int = 10, min_step: float = 3.0) -> None:
        self.rois = [np.asarray(r, np.float64) for r in rois]
        for k, roi in enumerate(self.rois):
            if roi.ndim != 2 or roi.shape[1] != 2 or roi.shape[0] < 3:
                raise ValueError(f"rois[{k}]: expected shape (M, 2) with M >= 3, got {roi.shape}")
        if repair_max_gap < 0 or window < 1:
            raise ValueError(f"repair_max_gap must be >= 0 and window >= 1, got {repair_max_gap}, {window}")
        self.repair_max_gap, self.window, self.min_step = repair_max_gap, window, min_step
        self.cones = [cone_axis_and_angle(r) if r.shape[0] == 4 else None for r in self.rois]
        self.length = max(window + 1, repair_max_gap + 2)

    def columns(self) -> dict[str, Column]:
        return {"center_history": Column((self.length, 2)), "center_count": Column((), np.int64)}

    def apply(self, t: TrackTable, rows: np.ndarray) -> np.ndarray:
        """Record and constrain the centres of track ``rows`` (int); returns the rows whose state moved."""
        if rows.size == 0:
            return rows
        hist = t.center_history
        hist[rows] = np.roll(hist[rows], -1, axis=1)
        hist[rows, -1] = t.mean[rows, :2]
        t.center_count[rows] = np.minimum(t.center_count[rows] + 1, self.length)
        region = np.full(rows.size, -1)
        for k, roi in enumerate(self.rois):
            free = region < 0
            region[free & points_in_polygon(hist[rows, -1], roi)] = k
        moved = []
        for k, roi in enumerate(self.rois):
            r = rows[region == k]
            if r.size == 0:
                continue
            self._repair(t, r, roi)
            if self.cones[k] is not None:
                moved.append(self._cone(t, r, *self.cones[k]))
        return np.concatenate(moved) if moved else np.zeros(0, np.int64)

    def _repair(self, t: TrackTable, rows: np.ndarray, roi: np.ndarray) -> None:
        n, length = rows.size, self.length
        valid = np.arange(length)[None, :] >= (length - t.center_count[rows])[:, None]  # (n, L) stored entries
        inside = points_in_polygon(t.center_history[rows].reshape(-1, 2), roi).reshape(n, length)
        before_now = np.arange(length)[None, :] < length - 1
        out = valid & ~inside & before_now
        idx = np.arange(length)[None, :]
        last_out = np.where(out, idx, -1).max(axis=1)  # the most recent earlier outside entry
        last_in = np.where(valid & inside & (idx < last_out[:, None]), idx, -1).max(axis=1)  # inside before it
        ok = (last_out >= 0) & (last_in >= 0) & (last_out - last_in <= self.repair_max_gap)
        fix = ok[:, None] & (idx > last_in[:, None]) & (idx <= last_out[:, None])
        r, j = np.nonzero(fix)
        if r.size:
            t.center_history[rows[r], j] = closest_point_on_polygon(t.center_history[rows[r], j], roi)

    def _cone(self, t: TrackTable, rows: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
        rows = rows[t.center_count[rows] >= self.window + 1]
        if rows.size == 0:
            return rows
        current = t.center_history[rows, -1]
        adjusted = clamp_to_cone(t.center_history[rows, -1 - self.window], current, axis, angle, self.min_step)
        changed = ~np.all(np.isclose(adjusted, current, atol=1e-3), axis=1)
        rows, adjusted = rows[changed], adjusted[changed]
        t.center_history[rows, -1] = adjusted
        t.mean[rows, :2] = adjusted
        return rows
