"""End-to-end validation of an event classifier on annotated videos, without a real detector.

Each video of the chosen split runs through the whole `Pipeline`: `NoisyBoxDetector` (defined here: the ground-truth
boxes with detector-like noise) -> tracker -> tubes -> the event classifier. The labelled tubes are written as
a tube pickle (all five label types, the ROAD++ layout) and a frame-detection pickle (baseline layout), and
both are scored by `roadtrack.metrics.road.evaluate_road_files`, the function behind ``roadtrack eval road``.

It runs the `Pipeline`, so it sits above it (next to `roadtrack.cli`), not in `roadtrack.events`, which the
Pipeline imports.

Example:
    >>> run = evaluate_events(KinematicEventClassifier(), "road_synthetic_v1.0.json", "videos", "test",
    ...                       "runs/kinematic")                                                # doctest: +SKIP
    >>> print(run.tubes.table())                                                                 # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from roadtrack.config import build_stage
from roadtrack.core import Detections, Detector, EventClassifier
from roadtrack.core.labels import EVAL_SIZES, LABEL_TYPES
from roadtrack.datasets.road import RoadAnnotations, RoadVideo, load_road
from roadtrack.events.compose import EventOptions
from roadtrack.events.export import frame_detections, merge_predictions, submission_tubes
from roadtrack.events.training import find_video
from roadtrack.io.atomic import atomic_write
from roadtrack.io.roadpp import write_submission
from roadtrack.metrics.road import evaluate_road_files
from roadtrack.pipeline import Pipeline


class NoisyBoxDetector(Detector):
    """A stand-in detector for synthetic videos: ground-truth boxes with detector-like noise, no pixels needed.

    Each ground-truth box is missed with probability ``miss``; otherwise its corners move by Gaussian noise of
    ``jitter`` x its size, its class changes to another agent class with probability ``confusion``, and it
    scores uniformly in [0.4, 1]. Each frame adds a false box with probability ``false_rate`` (score in
    [0.05, 0.4]). Noise is seeded per frame, so results do not depend on batching.

    Args:
        video: the video's annotations (`roadtrack.datasets.RoadVideo`); class ids are its agent indices.
        agent_names: the used agent names (``class_names`` of the detector).
        jitter, miss, confusion, false_rate: noise levels, see above.
        seed: noise seed.
    """

    def __init__(self, video: RoadVideo, agent_names: Sequence[str], jitter: float = 0.04, miss: float = 0.1,
                 confusion: float = 0.05, false_rate: float = 0.05, seed: int = 0) -> None:
        self.video, self.class_names = video, dict(enumerate(agent_names))
        self.jitter, self.miss, self.confusion, self.false_rate, self.seed = jitter, miss, confusion, false_rate, seed
        self._agent = np.full(len(video.boxes), -1, np.int64)
        self._agent[video.box_labels["agent"].rows] = video.box_labels["agent"].ids
        self._size = np.array([video.width, video.height] * 2, np.float64)

    def detect(self, frames: Sequence[np.ndarray | None], frame_ids: Sequence[int] | None = None) -> list[Detections]:
        if frame_ids is None:
            raise ValueError("NoisyBoxDetector needs frame_ids")
        return [self._frame(int(f)) for f in frame_ids]

    def _frame(self, frame: int) -> Detections:
        rng = np.random.default_rng([self.seed, frame])
        rows = self.video.frame_boxes(frame)
        rows = rows[(self._agent[rows] >= 0) & (rng.random(len(rows)) >= self.miss)]
        box = self.video.boxes[rows] * self._size
        noisy = box + rng.normal(0.0, self.jitter, box.shape) * np.tile(box[:, 2:] - box[:, :2], 2)
        classes = self._agent[rows].copy()
        swap = rng.random(len(rows)) < self.confusion
        classes[swap] = rng.integers(0, len(self.class_names), int(swap.sum()))
        scores = rng.uniform(0.4, 1.0, len(rows))
        if rng.random() < self.false_rate:
            w, h = self.video.width, self.video.height
            x, y, s = rng.uniform(0, w * 0.9), rng.uniform(h * 0.4, h * 0.9), rng.uniform(10, 60)
            noisy = np.r_[noisy, [[x, y, x + s, y + s]]]
            classes = np.r_[classes, rng.integers(0, len(self.class_names))]
            scores = np.r_[scores, rng.uniform(0.05, 0.4)]
        noisy = np.clip(noisy, 0, self._size)
        noisy[:, 2:] = np.maximum(noisy[:, 2:], noisy[:, :2] + 1.0)
        return Detections(noisy, scores, classes)


@dataclasses.dataclass
class EventsRun:
    """Scores of one classifier on one split.

    Attributes:
        tubes: evaluation of the tube pickle (video-mAP, and frame-mAP from the tubes' boxes).
        frames: evaluation of the frame-detection pickle (frame-mAP with agent-ness).
        paths: the pickles written.
        seconds: time spent in the event classifier.
    """

    tubes: Any
    frames: Any
    paths: dict[str, Path]
    seconds: float


def evaluate_events(classifier: EventClassifier, annotations: str | os.PathLike | RoadAnnotations,
                    videos: str | os.PathLike, subset: str, out_dir: str | os.PathLike,
                    tracker: Mapping[str, Any] | None = None, noise: Mapping[str, float] | None = None,
                    options: EventOptions = EventOptions(), official: bool = True, seed: int = 0) -> EventsRun:
    """Run the pipeline with ``classifier`` on every video of ``subset`` and evaluate the predictions.

    Args:
        classifier: the event classifier; its label columns must follow the annotations' label set.
        annotations: annotation JSON path (or loaded annotations).
        videos: folder of ``<video>.mp4`` (see `roadtrack.events.training.find_video`).
        subset: split id to run on, e.g. ``"test"``.
        out_dir: where ``tubes.pkl`` and ``frame_detections.pkl`` go.
        tracker: tracker spec for `Pipeline.from_config` style building; default SORT with max_age 4,
            min_hits 2, class-agnostic (class noise would otherwise split tracks; the tube vote fixes the class).
        noise: `NoisyBoxDetector` options (jitter, miss, confusion, false_rate).
        options: how labelled tubes are cut into event tubes.
        official: score with the official rules (False: classes absent from the split are left out of the mean).
        seed: detector-noise seed.

    Returns:
        `EventsRun`.
    """
    path = Path(annotations) if not isinstance(annotations, RoadAnnotations) else Path(annotations.source)
    ann = annotations if isinstance(annotations, RoadAnnotations) else load_road(path)
    labels = ann.labels
    size = EVAL_SIZES[labels.name]
    tracker = dict(tracker or {"name": "sort", "max_age": 4, "min_hits": 2, "class_aware": False})
    per_video, frames, seconds = {}, {}, 0.0
    for video in ann.subset(subset):
        detector = NoisyBoxDetector(video, labels.agent, seed=seed, **(noise or {}))
        pipe = Pipeline(detector, build_stage("tracker", tracker), event_classifier=classifier)
        result = pipe.run(find_video(videos, video.name))
        seconds += result.timings.get("events", 0.0)
        image = (video.width, video.height)
        per_video[video.name] = submission_tubes(result.events, image, LABEL_TYPES, options, size)
        for label_type, dets in frame_detections(result.events, image, video.name, size).items():
            frames.setdefault(label_type, {}).update(dets)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"tubes": write_submission(out / "tubes.pkl", merge_predictions(per_video), labels, size),
             "frames": out / "frame_detections.pkl"}
    with atomic_write(paths["frames"], "wb") as f:
        pickle.dump(frames, f, protocol=4)
    return EventsRun(evaluate_road_files(path, paths["tubes"], subset, official),
                     evaluate_road_files(path, paths["frames"], subset, official), paths, seconds)


def summary_rows(run: EventsRun, label_types: Sequence[str] = LABEL_TYPES) -> list[tuple[str, float, float, float]]:
    """Rows ``(label_type, frame-mAP@0.5, video-mAP@0.2, video-mAP@0.5)``; frame-mAP from the frame pickle."""
    rows = []
    for t in ("agent_ness", *label_types):
        frame = run.frames.get("frame", t)
        v2, v5 = run.tubes.get("video", t, 0.2), run.tubes.get("video", t, 0.5)
        rows.append((t, frame.mAP if frame else float("nan"), v2.mAP if v2 else float("nan"),
                     v5.mAP if v5 else float("nan")))
    return rows
