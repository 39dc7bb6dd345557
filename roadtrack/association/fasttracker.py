"""FastTracker (Hashempoor and Hwang, arXiv 2508.14370, 2025): what it adds to ByteTrack.

1. Occlusion-aware re-identification: a confirmed track that finds no detection in either BYTE step and whose
   box is mostly covered by a track matched this frame is marked occluded once; its Kalman state is rolled back
   to a few updates earlier (position 3, velocity 5), its height enlarged (x1.1) and its velocity damped, and it
   stays "tracked" (predicted and matched like a live track) for up to ``active_occ_to_lost_thresh`` frames.
2. New tracks are not started from detections overlapping a live track by IoU >= ``init_iou_suppress``.
3. Road-structure-aware refinement, only where the scene has region polygons (ROIs): inside a quadrilateral ROI
   whose entry edge E1-E2 and exit edge O1-O2 give a direction cone, a track's displacement over the last N
   frames is rotated onto the cone's boundary when it points outside the cone.

Reference code: Hamidreza-Hashempoor/FastTracker ``yolox/tracker/fasttracker.py`` (read in the fork
thowell332/FastTracker; ``is_occluded_by``, the occlusion block of ``update``, ``enforce_environment_constraints``,
``_point_in_polygon``, ``_clamp_point_to_polygon``, ``_cone_axis_and_theta``, ``_clamp_to_cone``) and
``configs/00{4,5}_default.json``; Ultralytics ``trackers/fast_tracker.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from roadtrack.association.byte import ByteAssociator
from roadtrack.association.costs import _boxes, iou
from roadtrack.association.solver import matches_from_pairs
from roadtrack.association.stages import solve_subset
from roadtrack.core import Detections, Matches, TrackView, register


def coverage(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """Share of each box in ``a`` that each box in ``b`` covers: intersection / area of a.

    Args:
        a_xyxy: (T, 4) boxes, pixels; b_xyxy: (D, 4).

    Returns:
        (T, D) float64 in [0, 1]; 0 for boxes of ``a`` with no area.

    Example:
        >>> coverage(np.array([[0.0, 0.0, 10.0, 10.0]]), np.array([[2.0, 0.0, 12.0, 10.0]])).tolist()
        [[0.8]]
    """
    a = _boxes(a_xyxy, "a_xyxy")
    b = _boxes(b_xyxy, "b_xyxy")
    iw = np.minimum(a[:, 2:3], b[:, 2]) - np.maximum(a[:, 0:1], b[:, 0])
    ih = np.minimum(a[:, 3:4], b[:, 3]) - np.maximum(a[:, 1:2], b[:, 1])
    inter = np.clip(iw, 0.0, None) * np.clip(ih, 0.0, None)
    area = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None]
    return np.divide(inter, area, out=np.zeros_like(inter), where=area > 0)


def occluded_by(track_xyxy: np.ndarray, occluder_xyxy: np.ndarray, cover_thresh: float = 0.7,
                same_track: np.ndarray | None = None) -> np.ndarray:
    """Which tracks are occluded: some occluder covers more than ``cover_thresh`` of their box.

    The reference tests each unmatched confirmed track against the tracks updated this frame that are not
    occluded themselves, skipping the track itself.

    Args:
        track_xyxy: (U, 4) predicted boxes of the unmatched tracks; occluder_xyxy: (A, 4).
        cover_thresh: smallest covered share that counts (reference ``is_occluded_by`` 0.7, Ultralytics
            ``occ_cover_thresh``).
        same_track: (U, A) bool, True where an occluder is the track itself; those pairs are ignored.

    Returns:
        (U,) bool.
    """
    cov = coverage(track_xyxy, occluder_xyxy)
    if same_track is not None:
        cov = np.where(same_track, 0.0, cov)
    return (cov > cover_thresh).any(axis=1) if cov.shape[1] else np.zeros(cov.shape[0], bool)


def occlusion_rollback(mean: np.ndarray, history: np.ndarray, count: np.ndarray, velocity_offset: int = 5,
                       position_offset: int = 3, enlarge: float = 1.1, dampen: float = 0.89, height_index: int = 3,
                       n_position: int = 4) -> np.ndarray:
    """FastTracker's state reset when a track becomes occluded (reference ``update``, occlusion block).

    In order: the velocities are taken from the ``velocity_offset``-th most recent stored state (if the track has
    that many), the positions from the ``position_offset``-th most recent, the height is multiplied by
    ``enlarge`` and the velocities by ``dampen``. Stored states are the posterior means after each update.

    Args:
        mean: (N, S) current (predicted) states; the first ``n_position`` components are positions, the rest
            their velocities (DeepSORT's xyah layout in the reference: height index 3, velocities 4:8).
        history: (N, H, S) stored states, oldest first, newest in the last slot ``H - 1``.
        count: (N,) how many of the last slots of ``history`` hold states.
        velocity_offset, position_offset: how many updates back (1 = the latest), reference 5 and 3.
        enlarge: height factor (reference 1.1); dampen: velocity factor (reference configs 0.89, Ultralytics 0.5).

    Returns:
        (N, S) new states (a copy).
    """
    out = np.array(mean, np.float64, copy=True)
    hist = np.asarray(history, np.float64)
    n = np.asarray(count).reshape(-1)
    depth = hist.shape[1]
    vel = slice(n_position, None)
    for offset, part in ((velocity_offset, vel), (position_offset, slice(0, n_position))):
        if 1 <= offset <= depth:
            rows = n >= offset
            out[rows, part] = hist[rows, depth - offset, part]
    out[:, height_index] *= enlarge
    out[:, vel] *= dampen
    return out


def init_suppression(det_xyxy: np.ndarray, active_xyxy: np.ndarray, iou_thresh: float = 0.7,
                     sequential: bool = False) -> np.ndarray:
    """Which unmatched detections may start a track: IoU with every active track below ``iou_thresh``.

    Args:
        det_xyxy: (D, 4) candidate detections; active_xyxy: (A, 4) tracks tracked or updated this frame.
        iou_thresh: reference config ``init_iou_suppress`` (0.8 in ``004``, 0.7 in ``005`` and Ultralytics);
            1 disables it in Ultralytics.
        sequential: also suppress against detections accepted earlier in input order (Ultralytics); the
            reference compares with the active tracks only.

    Returns:
        (D,) bool.
    """
    det = _boxes(det_xyxy, "det_xyxy")
    active = _boxes(active_xyxy, "active_xyxy")
    keep = np.ones(det.shape[0], bool)
    if det.shape[0] and active.shape[0]:
        keep = iou(det, active).max(axis=1) < iou_thresh
    if sequential and keep.sum() > 1:
        pair = iou(det, det)
        for i in np.flatnonzero(keep):
            if keep[i]:
                keep[i + 1:] &= pair[i, i + 1:] < iou_thresh
    return keep


# ---- road structure --------------------------------------------------------------------------------------------
def _polygon(polygon: np.ndarray) -> np.ndarray:
    poly = np.asarray(polygon, np.float64)
    if poly.ndim != 2 or poly.shape[1] != 2 or poly.shape[0] < 3:
        raise ValueError(f"polygon: expected shape (M, 2) with M >= 3, got {poly.shape}")
    return poly


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd ray casting (reference ``_point_in_polygon``): which (N, 2) points lie in the (M, 2) polygon.

    Returns:
        (N,) bool.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    poly = _polygon(polygon)
    (x1, y1), (x2, y2) = poly.T, np.roll(poly, -1, axis=0).T
    x, y = pts[:, 0:1], pts[:, 1:2]
    crosses = ((y1 > y) != (y2 > y)) & (x < (x2 - x1) * (y - y1) / ((y2 - y1) + 1e-9) + x1)
    return crosses.sum(axis=1) % 2 == 1


def closest_point_on_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(N, 2) points -> (N, 2) nearest points on the boundary of the (M, 2) polygon (reference
    ``_clamp_point_to_polygon``, which pulls short out-of-ROI excursions back onto the ROI)."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    a = _polygon(polygon)
    ab = np.roll(a, -1, axis=0) - a  # (M, 2) edges
    t = np.einsum("nmk,mk->nm", pts[:, None, :] - a[None], ab) / ((ab * ab).sum(1) + 1e-9)
    q = a[None] + np.clip(t, 0.0, 1.0)[..., None] * ab[None]  # (N, M, 2)
    best = ((q - pts[:, None, :]) ** 2).sum(-1).argmin(axis=1)
    return q[np.arange(pts.shape[0]), best]


def cone_axis_and_angle(roi: np.ndarray) -> tuple[np.ndarray, float]:
    """Direction cone of a quadrilateral ROI ordered E1, E2, O2, O1 (entry edge E1-E2, exit edge O2-O1).

    ``v1 = unit(O2 - E1)``, ``v2 = unit(O1 - E2)``; the axis is ``unit(v1 + v2)`` and the opening angle
    ``arccos(v1 . v2)`` (reference ``_cone_axis_and_theta``).

    Returns:
        (2,) unit axis and the opening angle, degrees.
    """
    quad = np.asarray(roi, np.float64)
    if quad.shape != (4, 2):
        raise ValueError(f"roi: a direction cone needs a (4, 2) quadrilateral, got {quad.shape}")
    e1, e2, o2, o1 = quad
    v1 = (o2 - e1) / (np.linalg.norm(o2 - e1) + 1e-9)
    v2 = (o1 - e2) / (np.linalg.norm(o1 - e2) + 1e-9)
    axis = (v1 + v2) / (np.linalg.norm(v1 + v2) + 1e-9)
    return axis, float(np.degrees(np.arccos(np.clip(v1 @ v2, -1.0, 1.0))))


def clamp_to_cone(anchor: np.ndarray, current: np.ndarray, axis: np.ndarray, angle_deg: float,
                  min_step: float = 3.0) -> np.ndarray:
    """Rotate displacements that leave a direction cone onto its nearer boundary, keeping their length.

    For ``delta = current - anchor`` longer than ``min_step`` pixels whose angle to ``axis`` exceeds half the
    opening angle, the point becomes ``anchor + |delta| * R(+-angle / 2) axis``, on the side of the cross product's
    sign (reference ``_clamp_to_cone``; the anchor is the track's centre ``dir_window_N`` = 10 frames back).

    Args:
        anchor: (N, 2) earlier centres; current: (N, 2) current centres, pixels.
        axis: (2,) cone axis (`cone_axis_and_angle`); angle_deg: opening angle, degrees.
        min_step: shorter displacements are left alone (reference 3 px).

    Returns:
        (N, 2) adjusted current centres.
    """
    anchor = np.asarray(anchor, np.float64).reshape(-1, 2)
    current = np.asarray(current, np.float64).reshape(-1, 2)
    u = np.asarray(axis, np.float64).reshape(2)
    u = u / (np.linalg.norm(u) + 1e-9)
    delta = current - anchor
    mag = np.linalg.norm(delta, axis=1)
    unit = delta / np.where(mag > 0, mag, 1.0)[:, None]
    half = np.radians(angle_deg) / 2.0
    outside = (mag >= min_step) & (np.arccos(np.clip(unit @ u, -1.0, 1.0)) > half)
    side = np.where(u[0] * unit[:, 1] - u[1] * unit[:, 0] > 0, 1.0, -1.0) * half
    boundary = np.stack([u[0] * np.cos(side) - u[1] * np.sin(side), u[0] * np.sin(side) + u[1] * np.cos(side)], axis=1)
    return np.where(outside[:, None], anchor + boundary * mag[:, None], current)


@register("associator", "fasttracker")
@dataclasses.dataclass(frozen=True)
class FastTrackerAssociator(ByteAssociator):
    """BYTE as FastTracker runs it: the low-score step takes every confirmed track still in the tracked state,
    not only those updated last frame.

    FastTracker keeps a confirmed track "tracked" for up to ``misses_to_lost`` missed frames (longer while it is
    occluded) before it counts as lost; such coasting tracks stay in the low-score step. Which tracks are in that
    state is the lifecycle's record, read from ``TrackView.extra["tracked"]`` (T,) bool; without it the step
    falls back to BYTE's rule (updated last frame). Steps 1 and 3 and the options are `ByteAssociator`'s;
    FastTracker's reference values are ``high_thresh`` 0.7, ``low_thresh`` 0.25, ``match_thresh`` 0.85.
    """

    high_thresh: float = 0.7
    low_thresh: float = 0.25
    match_thresh: float = 0.85

    def match(self, tracks: TrackView, detections: Detections) -> Matches:
        scores = detections.scores
        high = np.nonzero(scores > self.high_thresh)[0]
        low = np.nonzero((scores > self.low_thresh) & (scores < self.high_thresh))[0]
        confirmed = np.nonzero(tracks.confirmed)[0]
        unconfirmed = np.nonzero(~tracks.confirmed)[0]
        overlap = iou(tracks.xyxy, detections.xyxy)

        r1, c1 = solve_subset(self._cost(tracks, detections, confirmed, high, True, overlap), confirmed, high,
                              self.match_thresh, self.method)
        tracked = tracks.extra.get("tracked")
        still = tracks.time_since_update == 1 if tracked is None else np.asarray(tracked, bool)
        free_tracks = tracks.confirmed & still
        free_tracks[r1] = False
        active = np.nonzero(free_tracks)[0]
        r2, c2 = solve_subset(self._cost(tracks, detections, active, low, False, overlap), active, low,
                              self.low_match_thresh, self.method)
        free_dets = scores > self.high_thresh
        free_dets[c1] = False
        high_left = np.nonzero(free_dets)[0]
        r3, c3 = solve_subset(self._cost(tracks, detections, unconfirmed, high_left, True, overlap), unconfirmed,
                              high_left, self.unconfirmed_match_thresh, self.method)
        rows, cols = np.concatenate([r1, r2, r3]), np.concatenate([c1, c2, c3])
        if self.recovery is not None:
            free_tracks = np.ones(len(tracks), bool)
            free_tracks[rows] = False
            free_dets[c3] = False
            r4, c4 = self.recovery.match(tracks, detections, np.nonzero(free_tracks)[0], np.nonzero(free_dets)[0],
                                         rows, overlap)
            rows, cols = np.concatenate([rows, r4]), np.concatenate([cols, c4])
        return matches_from_pairs(rows, cols, len(tracks), len(detections))
