"""Event composition: duplex and triplet scores from agent, action and location scores; event tubes.

A labelled agent tube carries per-frame scores for every class of each label type (``Tube.labels``).
`compose` adds ``duplex`` = agent x action and ``triplet`` = agent x action x location, for the dataset's
used composite classes only (the baseline's ``JOINT_4M_MARGINALS``, children derived from the names).
`split_events` then cuts one agent tube into event tubes: for each class, the runs of frames where its
smoothed score reaches a threshold, each with its own per-frame scores and tube score.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

import numpy as np

from roadtrack.core import Tube
from roadtrack.core.labels import LABEL_TYPES, LabelSet
from roadtrack.events.segments import label_runs
from roadtrack.events.tubes import moving_average


def compose(labels: Mapping[str, np.ndarray], label_set: LabelSet) -> dict[str, np.ndarray]:
    """Add duplex and triplet scores to per-frame agent, action and location scores.

    Args:
        labels: ``agent`` (T, A), ``action`` (T, B), ``loc`` (T, L) scores in [0, 1], columns in the order of
            ``label_set``'s used lists.
        label_set: the dataset's used lists.

    Returns:
        A copy of ``labels`` plus ``duplex`` (T, len(label_set.duplex)) and ``triplet`` (T, len(label_set.triplet)).
        A composite type already in ``labels`` (a detector that scores duplexes itself) is kept as given.

    Example:
        >>> from roadtrack.core.labels import ROAD
        >>> s = compose({"agent": np.eye(10)[[1]], "action": np.full((1, 19), 0.5), "loc": np.ones((1, 12))}, ROAD)
        >>> float(s["triplet"][0, ROAD.triplet.index("Car-Stop-Jun")]), float(s["duplex"][0, 0])
        (0.5, 0.0)
    """
    out = {k: np.asarray(v, np.float64) for k, v in labels.items()}
    for kind in ("duplex", "triplet"):
        if kind in out:
            continue
        children = np.asarray(label_set.children(kind), np.int64)
        score = np.ones((len(out["agent"]), len(children)))
        for column, part in zip(children.T, ("agent", "action", "loc")):
            score = score * out[part][:, column]
        out[kind] = score
    return out


@dataclasses.dataclass(frozen=True)
class EventOptions:
    """How labelled agent tubes are cut into event tubes.

    Attributes:
        smooth: window, in frames, of the moving average applied to per-frame scores before thresholding.
        threshold: a class is "on" on frames whose smoothed score is at least this.
        min_length: shorter runs are dropped.
        top_k: per agent tube and label type, only the classes with the highest mean score are considered.
        switch_cost: 0: a class is on wherever its smoothed score reaches ``threshold``; above 0: on/off by the
            cheapest two-state path with this cost per switch (`roadtrack.events.segments.label_runs`), so brief
            dips and blips do not cut or start segments.
        thresholds: per-label-type overrides of ``threshold``, as ``(label_type, threshold)`` pairs (composite
            scores are products of two or three parts, so they sit lower than a part's).
    """

    smooth: int = 5
    threshold: float = 0.05
    min_length: int = 3
    top_k: int = 10
    switch_cost: float = 0.0
    thresholds: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.smooth < 1 or self.min_length < 1 or self.top_k < 1 or self.switch_cost < 0:
            raise ValueError(f"bad event options {self}: need smooth, min_length, top_k >= 1 and switch_cost >= 0")
        unknown = sorted({t for t, _ in self.thresholds} - set(LABEL_TYPES))
        if unknown:
            raise ValueError(f"thresholds: unknown label type(s) {unknown}; choose from {list(LABEL_TYPES)}")

    def threshold_of(self, label_type: str) -> float:
        """The threshold for ``label_type``: its override, else ``threshold``."""
        return dict(self.thresholds).get(label_type, self.threshold)


@dataclasses.dataclass(frozen=True, eq=False)
class EventTube:
    """One event tube: a class of one label type on a run of an agent tube's frames.

    Attributes:
        label_type: one of `LABEL_TYPES`.
        label_id: class index into the used list of ``label_type``.
        track_id: the agent tube's track id.
        frames: (T,) int64 contiguous frame numbers.
        xyxy: (T, 4) float64 boxes, pixels of the video.
        scores: (T,) smoothed per-frame scores of the class.
        score: the tube's score: the mean of ``scores``.
    """

    label_type: str
    label_id: int
    track_id: int
    frames: np.ndarray
    xyxy: np.ndarray
    scores: np.ndarray
    score: float

    def __len__(self) -> int:
        return int(self.frames.shape[0])


def split_events(tube: Tube, label_type: str, options: EventOptions = EventOptions()) -> list[EventTube]:
    """Cut a labelled agent tube into event tubes of one label type.

    Args:
        tube: contiguous frames with ``tube.labels[label_type]`` of shape (T, C).
        label_type: which scores to cut by.
        options: smoothing, threshold, minimum length and top-k; see `EventOptions`.

    Returns:
        Event tubes ordered by class, then time.
    """
    scores = moving_average(np.asarray(tube.labels[label_type], np.float64), options.smooth)
    if scores.size == 0:
        return []
    top = np.sort(np.argsort(-scores.mean(0), kind="stable")[: options.top_k])
    runs = label_runs(scores[:, top], options.threshold_of(label_type), options.switch_cost)
    out = []
    for col, a, b in runs.tolist():
        col = top[col]
        if b - a < options.min_length:
            continue
        s = scores[a:b, col]
        out.append(EventTube(label_type, int(col), tube.track_id, tube.frames[a:b], tube.xyxy[a:b], s, float(s.mean())))
    return out


def event_tubes(tubes: Sequence[Tube], label_types: Sequence[str] = LABEL_TYPES,
                options: EventOptions = EventOptions()) -> dict[str, list[EventTube]]:
    """`split_events` over many labelled tubes and label types: ``{label_type: [EventTube]}``."""
    check_label_types(label_types)
    return {t: [e for tube in tubes if t in tube.labels for e in split_events(tube, t, options)] for t in label_types}


def tubes_on_frame(tubes: Sequence[Tube], frame: int) -> list[tuple[Tube, int]]:
    """``(tube, row)`` for every tube with a box on ``frame`` (``tube.frames[row] == frame``), in input order."""
    rows = [(t, int(np.searchsorted(t.frames, frame))) for t in tubes
            if len(t) and t.frames[0] <= frame <= t.frames[-1]]
    return [(t, i) for t, i in rows if t.frames[i] == frame]


def check_label_types(label_types: Sequence[str]) -> None:
    """Raise a ValueError naming any entry that is not one of `LABEL_TYPES`."""
    unknown = sorted(set(label_types) - set(LABEL_TYPES))
    if unknown:
        raise ValueError(f"unknown label type(s) {unknown}; choose from {list(LABEL_TYPES)}")
