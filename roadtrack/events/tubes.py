"""Build `Tube`s (one track over time) from a tracker's per-frame output, and clean them into agent tubes.

`TubeBuilder` groups the raw tracker rows by id. `finalize_tubes` then turns raw tubes into the agent tubes
events are computed on: gaps filled by linear interpolation (as the ROAD++ 2023 track-1 winner did), long
gaps split the tube, boxes optionally smoothed, short tubes dropped, and every frame given the tube's agent
class (the score-weighted vote, `Tube.label`).
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence

import numpy as np

from roadtrack.core import Tracks, Tube


class TubeBuilder:
    """Collects per-frame `Tracks` and groups their rows by track id at the end.

    Rows are stored as per-frame arrays (not per track), so adding a frame costs O(rows) numpy work.
    """

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, Tracks]] = []

    def add(self, frame: int, tracks: Tracks) -> None:
        if len(tracks):
            self._chunks.append((np.full(len(tracks), frame, np.int64), tracks))

    def build(self) -> list[Tube]:
        """Tubes ordered by track id; each tube's frames ascend."""
        if not self._chunks:
            return []
        frames = np.concatenate([f for f, _ in self._chunks])
        tracks = Tracks.concat([t for _, t in self._chunks])
        order = np.lexsort((frames, tracks.ids))
        frames, tracks = frames[order], tracks[order]
        starts = np.flatnonzero(np.r_[True, np.diff(tracks.ids) != 0])
        bounds = np.r_[starts, len(tracks)]
        return [
            Tube(int(tracks.ids[a]), frames[a:b], tracks.xyxy[a:b], tracks.scores[a:b], tracks.class_ids[a:b],
                 extras={name: value[a:b] for name, value in tracks.extras.items()})
            for a, b in zip(bounds[:-1], bounds[1:])
        ]


def tubes_from_tracks(frames_and_tracks: Iterable[tuple[int, Tracks]]) -> list[Tube]:
    """Group ``(frame, Tracks)`` pairs into tubes, one per track id."""
    builder = TubeBuilder()
    for frame, tracks in frames_and_tracks:
        builder.add(frame, tracks)
    return builder.build()


@dataclasses.dataclass(frozen=True)
class TubeOptions:
    """How raw tracker tubes become agent tubes.

    Attributes:
        max_gap: longest run of missing frames filled by interpolation; a longer gap splits the tube.
        smooth: width in frames of the centred moving average applied to the boxes (1: none).
        min_length: tubes with fewer frames (after filling) are dropped.
        gap_score: factor applied to the interpolated per-frame scores (the frames nobody detected).
    """

    max_gap: int = 8
    smooth: int = 3
    min_length: int = 5
    gap_score: float = 0.8

    def __post_init__(self) -> None:
        if self.max_gap < 0 or self.smooth < 1 or self.min_length < 1 or not 0 <= self.gap_score <= 1:
            raise ValueError(f"bad tube options {self}: need max_gap >= 0, smooth >= 1, min_length >= 1, "
                             "0 <= gap_score <= 1")


def fill_gaps(tube: Tube, max_gap: int = 8, gap_score: float = 0.8) -> list[Tube]:
    """Fill missing frames by linear interpolation; gaps longer than ``max_gap`` frames split the tube.

    Args:
        tube: frames (T,) increasing, possibly with gaps.
        max_gap: longest gap (missing frames) that is filled.
        gap_score: interpolated scores are multiplied by this.

    Returns:
        Tubes with contiguous frames, in time order; labels are interpolated like the scores. Extra columns
        (`Tube.extras`) are interpolated between the frames where they are known (rows without NaN: frames the
        track was updated on), so filled and coasting frames get the linear blend of the nearest observed rows
        (the nearest one before the first or after the last); a piece without any known row keeps NaN.

    Example:
        >>> t = Tube(1, [1, 3], [[0, 0, 2, 2], [2, 0, 4, 2]], [1.0, 1.0], [0, 0])
        >>> fill_gaps(t, gap_score=0.5)[0].xyxy[1].tolist(), fill_gaps(t, gap_score=0.5)[0].scores.tolist()
        ([1.0, 0.0, 3.0, 2.0], [1.0, 0.5, 1.0])
    """
    if len(tube) == 0:
        return []
    missing = np.diff(tube.frames) - 1
    cuts = np.flatnonzero(missing > max_gap) + 1
    out = []
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(tube)]):
        frames = tube.frames[a:b]
        full = np.arange(frames[0], frames[-1] + 1)
        observed = np.isin(full, frames)
        xyxy = _interp_columns(full, frames, tube.xyxy[a:b])
        scores = np.interp(full, frames, tube.scores[a:b]) * np.where(observed, 1.0, gap_score)
        # The class of a filled frame is that of the last observed frame before it.
        class_ids = tube.class_ids[a:b][np.searchsorted(frames, full, side="right") - 1]
        labels = {k: _interp_columns(full, frames, np.asarray(v, np.float64)[a:b]) for k, v in tube.labels.items()}
        extras = {k: _interp_known(full, frames, v[a:b]) for k, v in tube.extras.items()}
        out.append(Tube(tube.track_id, full, xyxy, scores, class_ids, labels, extras))
    return out


def _interp_columns(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """`np.interp` of every column of ``fp`` (N, ...) at ``x`` (M,) -> (M, ...)."""
    flat = fp.reshape(len(xp), -1)
    cols = [np.interp(x, xp, flat[:, k]) for k in range(flat.shape[1])]
    return np.stack(cols, axis=1).reshape((len(x), *fp.shape[1:])) if cols else np.zeros((len(x), *fp.shape[1:]))


def _interp_known(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """`_interp_columns` over the rows of ``fp`` without NaN; all NaN when there are none."""
    fp = np.asarray(fp, np.float64)
    known = np.isfinite(fp.reshape(len(xp), -1)).all(axis=1)
    if not known.any():
        return np.full((len(x), *fp.shape[1:]), np.nan)
    xp, fp = (xp, fp) if known.all() else (xp[known], fp[known])
    # Piecewise linear per row (wide score columns: one gather instead of one np.interp per column).
    lo = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 1)
    hi = np.minimum(lo + 1, len(xp) - 1)
    span = (xp[hi] - xp[lo]).astype(np.float64)
    weight = np.clip(np.divide(x - xp[lo], span, out=np.zeros(len(x)), where=span > 0), 0.0, 1.0)
    return fp[lo] + weight.reshape((-1,) + (1,) * (fp.ndim - 1)) * (fp[hi] - fp[lo])


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average along axis 0; near the ends the window shrinks symmetrically.

    The symmetric shrink keeps linear motion unbiased: the first and last values are kept as they are.

    Args:
        values: (T, ...) array.
        window: width in frames; an even width acts as the next smaller odd one; 1 returns a copy.

    Returns:
        (T, ...) float64.

    Example:
        >>> moving_average(np.array([0.0, 1.0, 2.0, 6.0]), 3).tolist()
        [0.0, 1.0, 3.0, 6.0]
    """
    values = np.asarray(values, np.float64)
    n = len(values)
    if window <= 2 or n == 0:
        return values.copy()
    idx = np.arange(n)
    half = np.minimum.reduce([np.full(n, window // 2 if window % 2 else window // 2 - 1), idx, n - 1 - idx])
    cum = np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)])
    lo, hi = idx - half, idx + half + 1
    count = (2 * half + 1).reshape((-1,) + (1,) * (values.ndim - 1))
    return (cum[hi] - cum[lo]) / count


def finalize_tubes(tubes: Sequence[Tube], options: TubeOptions = TubeOptions()) -> list[Tube]:
    """Raw tracker tubes -> agent tubes: fill gaps, smooth boxes, drop short tubes, vote the class.

    Args:
        tubes: e.g. `TubeBuilder.build` output; boxes in pixels.
        options: see `TubeOptions`.

    Returns:
        Tubes with contiguous frames and at least ``options.min_length`` frames, each with a single class
        (the score-weighted vote over its observed frames) on every frame, ordered by (track id, first frame).
    """
    out = []
    for tube in tubes:
        if len(tube) == 0:
            continue
        voted = tube.label
        for piece in fill_gaps(tube, options.max_gap, options.gap_score):
            if len(piece) < options.min_length:
                continue
            xyxy = moving_average(piece.xyxy, options.smooth)
            out.append(dataclasses.replace(piece, xyxy=xyxy, class_ids=np.full(len(piece), voted, np.int64)))
    return out


def agent_scores(tube: Tube, num_classes: int, class_map: np.ndarray | None = None) -> np.ndarray:
    """Per-frame agent-class scores of a tube: its per-frame score times each class's vote share.

    The vote share of class c is the score-weighted fraction of the tube's frames detected as c, so a tube
    detected as ``Car`` in 9 frames and ``MedVeh`` in 1 scores 0.9 and 0.1 of its frame score.

    Args:
        tube: frames (T,), scores (T,), class_ids (T,) detector classes.
        num_classes: number of agent classes.
        class_map: (K,) int64 detector class -> agent class index, -1 for classes that are not agents;
            None when detector classes already are agent indices.

    Returns:
        (T, num_classes) float64 in [0, 1].
    """
    if class_map is None:
        classes = tube.class_ids
    else:
        class_map = np.asarray(class_map)
        inside = (tube.class_ids >= 0) & (tube.class_ids < len(class_map))
        classes = np.where(inside, class_map[np.clip(tube.class_ids, 0, max(len(class_map) - 1, 0))], -1)
    valid = (classes >= 0) & (classes < num_classes)
    votes = np.bincount(classes[valid], weights=tube.scores[valid], minlength=num_classes)[:num_classes]
    share = votes / votes.sum() if votes.sum() > 0 else votes
    return np.clip(tube.scores[:, None] * share[None, :], 0.0, 1.0)
