"""Choosing an event classifier from one command-line word: ``kinematic``, a ``.ckpt`` path, or a registered name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from roadtrack.core import EventClassifier
from roadtrack.core.registry import available, build
from roadtrack.core.labels import LabelSet


def event_classifier_from_spec(spec: str | os.PathLike, labels: str | LabelSet | None = None,
                               class_names: Mapping[int, str] | None = None, device: str = "auto",
                               options: Mapping[str, Any] | None = None) -> EventClassifier:
    """Build the event classifier ``spec`` names, as ``roadtrack track --events SPEC`` does.

    Args:
        spec: a checkpoint (``*.ckpt``, from ``roadtrack train-events``) -> `TemporalEventClassifier`; otherwise
            a registered event-classifier name (``kinematic``, ``scores``).
        labels: label lists for classifiers that take them (``kinematic``, ``scores``); default ``"road_waymo"``,
            the lists ROAD++ submissions use. A checkpoint brings its own.
        class_names: the detector's class id -> name (COCO or ROAD agent names), mapped to agent classes.
        device: for the learned classifier.
        options: more keyword arguments of the classifier (``ego``, ``traffic_side``, ``focal``, ``horizon``,
            ``camera_height`` for ``kinematic``; ``ego`` and the geometry for a checkpoint).

    Raises:
        FileNotFoundError: a ``.ckpt`` that does not exist.
        ValueError: an unknown name (the message lists the choices) or a bad checkpoint.

    Example:
        >>> event_classifier_from_spec("kinematic").labels.name
        'road_waymo'
    """
    text = str(spec)
    if text.endswith(".ckpt") or Path(text).is_file():
        from roadtrack.events.temporal import TemporalEventClassifier

        return TemporalEventClassifier(text, device=device, class_names=class_names, **dict(options or {}))
    if text not in available("event_classifier") or text == "temporal":
        choices = [n for n in available("event_classifier") if n != "temporal"]
        raise ValueError(f"unknown event classifier {text!r}; use a .ckpt from 'roadtrack train-events' or one of "
                         f"{', '.join(choices)}")
    return build("event_classifier", text, labels=labels or "road_waymo", class_names=class_names,
                 **dict(options or {}))


def events_run_info(classifier: Any) -> dict[str, Any]:
    """``{"events": {...}}`` for a run's ``run.json``: the classifier's ``run_info()`` (ego-motion source, traffic
    side, camera), or nothing for classifiers without one."""
    info = getattr(classifier, "run_info", None)
    return {"events": info()} if callable(info) else {}
