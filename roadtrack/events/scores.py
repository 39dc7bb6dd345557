"""`ScoreEventClassifier` (registered ``scores``): road events from a detector's own per-box label scores.

A ROAD++ detector (3D-RetinaNet / the ROAD-Waymo baseline, or a YOLO with extra multi-label heads) scores every
box for the agent, action and location classes (and possibly duplexes and triplets). Those scores travel as
extra columns (`Detections.extras`, named by `roadtrack.core.labels.score_column`) through the tracker into
the tubes; this classifier turns them into tube labels:

1. agent tubes as `finalize_tubes` makes them (gaps filled, short tubes dropped); the extras of filled and
   coasting frames are interpolated between the observed frames (`fill_gaps`);
2. temporal smoothing: a centred moving average of every score column along the track (``smooth`` frames),
   except the agent scores, which are averaged over the whole track: an agent tube has one agent class
   (ROAD annotates one per tube), so any change of the best agent class along a track is noise;
3. duplex and triplet scores composed from the smoothed parts (agent x action [x location], the used
   combinations only, `compose`) unless the detector scored them itself.

Its `event_options` then cut the labelled tubes into per-label segments (`split_events`): a two-state path per
class with a cost per label switch, and a minimum segment length. No training and no pixels are needed.

Example:
    >>> clf = ScoreEventClassifier(labels="road_waymo")
    >>> labelled = clf.classify(tubes)      # tubes whose extras hold "agent_scores", "action_scores", ...  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

import numpy as np

from roadtrack.core import EventClassifier, Tube, register
from roadtrack.core.labels import LABEL_TYPES, LabelSet, label_set, score_column
from roadtrack.events.compose import EventOptions, compose
from roadtrack.events.labels import agent_class_map
from roadtrack.events.tubes import TubeOptions, agent_scores, finalize_tubes, moving_average

REQUIRED_TYPES = ("action", "loc")
"""Label types the detector must score; agent scores fall back to the tracks' class votes."""

SCORE_EVENTS = EventOptions(smooth=1, threshold=0.3, min_length=4, top_k=10, switch_cost=1.0,
                            thresholds=(("triplet", 0.2),))
"""How the smoothed scores are cut into segments (already smoothed, so no second moving average). Chosen on
``benchmarks/events_scores.py`` with seeds 0 and 3 (a triplet score is a product of three part scores, hence
its lower threshold); seed 7 is the held-out check (``benchmarks/RESULTS.md``)."""


@register("event_classifier", "scores")
class ScoreEventClassifier(EventClassifier):
    """Tube labels from the per-box label scores the detector carried through the tracker.

    Args:
        labels: the used label lists the score columns follow (``"road_waymo"`` for ROAD++, ``"road"``).
        class_names: the detector's class id -> name; used only for agent scores when the detections carry
            none (the tubes' class votes, as `agent_scores` computes them).
        smooth: width in frames of the moving average along the track (1: none).
        tube_options: how tracker tubes become agent tubes (`TubeOptions`).
        event_options: how labelled tubes are cut into per-label segments (`EventOptions`); read by the
            ROAD++ writer.

    Raises:
        ValueError (in `classify`): tubes without ``action_scores`` / ``loc_scores`` extras, or score columns
            whose width is not the number of classes of ``labels``.
    """

    def __init__(self, labels: str | LabelSet = "road_waymo", class_names: Mapping[int, str] | None = None,
                 smooth: int = 5, tube_options: TubeOptions = TubeOptions(),
                 event_options: EventOptions = SCORE_EVENTS) -> None:
        if smooth < 1:
            raise ValueError(f"smooth must be >= 1, got {smooth}")
        self.labels = label_set(labels)
        self.class_map = agent_class_map(class_names, self.labels)
        self.smooth, self.tube_options, self.event_options = smooth, tube_options, event_options

    def classify(self, tubes: Sequence[Tube], video: Any = None) -> list[Tube]:
        """Agent tubes with ``labels`` for all five label types, from their score extras.

        Args:
            tubes: raw tracker tubes (`TubeBuilder.build`) whose ``extras`` hold the score columns.
            video: unused (the scores path needs no pixels).

        Returns:
            Agent tubes (`finalize_tubes`) with ``labels[t]`` (T, number of classes of ``t``) in [0, 1] for
            every label type ``t``.
        """
        out = []
        for tube in finalize_tubes(tubes, self.tube_options):
            scores = {t: self._column(tube, t) for t in LABEL_TYPES}
            if scores["agent"] is None:
                scores["agent"] = agent_scores(tube, len(self.labels.agent), self.class_map)
            parts = {t: moving_average(np.nan_to_num(v, nan=0.0), self.smooth).clip(0.0, 1.0)
                     for t, v in scores.items() if v is not None and t != "agent"}
            agent = np.nan_to_num(scores["agent"], nan=0.0).clip(0.0, 1.0)
            parts["agent"] = np.broadcast_to(agent.mean(axis=0), agent.shape).copy()
            out.append(dataclasses.replace(tube, labels=compose(parts, self.labels)))
        return out

    def _column(self, tube: Tube, label_type: str) -> np.ndarray | None:
        name = score_column(label_type)
        value = tube.extras.get(name)
        if value is None:
            if label_type in REQUIRED_TYPES:
                have = ", ".join(sorted(tube.extras)) or "none"
                raise ValueError(f"the scores event path needs detections with per-box label scores: extra column "
                                 f"{name!r} is missing (the tracks carry: {have}); use a detector or detection "
                                 "file that scores agent, action and location classes, or another --events")
            return None
        expected = len(self.labels[label_type])
        if value.ndim != 2 or value.shape[1] != expected:
            raise ValueError(f"extra column {name!r} has shape {value.shape}: expected (T, {expected}), one score "
                             f"per {label_type} class of {self.labels.name}")
        return value


def scores_label_set(extra_columns: Mapping[str, tuple[int, ...]]) -> LabelSet | None:
    """The label set whose class counts match a detector's score columns (name -> trailing shape), or None
    when the action or location scores are missing or match no label set.

    Example:
        >>> scores_label_set({"action_scores": (22,), "loc_scores": (16,)}).name
        'road_waymo'
    """
    for name in ("road_waymo", "road"):
        labels = label_set(name)
        shapes = [extra_columns.get(score_column(t)) for t in REQUIRED_TYPES]
        if all(s is not None and tuple(s) == (len(labels[t]),) for s, t in zip(shapes, REQUIRED_TYPES)):
            return labels
    return None
