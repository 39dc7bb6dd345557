"""ROAD / ROAD-Waymo evaluation: frame-mAP and video-mAP per label type, as the official evaluation computes them.

``official=True`` follows the reference rule by rule (``shared/specs/road.md`` §3); ``official=False``
fixes its quirks:

* tubes are compared frame by frame: sIoU averages the continuous IoU over the frames where both tubes have
  a box, so ground-truth gaps neither zero the overlap nor misalign the boxes (`overlaps`);
* no +1-pixel term in tube IoU, so results do not depend on the evaluation resolution;
* classes without ground truth in the evaluated videos are left out of the mean (AP NaN) instead of
  counting as 0;
* tied scores keep the input order (a stable sort) and precision/recall are accumulated in float64.

The ranking, greedy matching and trapezoidal AP are the same in both modes. Label types absent from the
predictions are not evaluated (the reference would fail on them; ROAD++ files hold only some types);
videos absent from them have no detections.

Example:
    >>> ev = evaluate_road_files("road_waymo_trainval_v1.0.json", "tubes.pkl", subset="val")  # doctest: +SKIP
    >>> print(ev.table())                                                                     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from roadtrack.core.labels import EVAL_SIZES, LABEL_TYPES, LabelSet
from roadtrack.datasets.road import RoadAnnotations, load_road
from roadtrack.metrics.road import report
from roadtrack.metrics.road.ap import ClassAP, MatchStats, concat_stats, evaluate_classes, mean_ap
from roadtrack.metrics.road.frame_map import FRAME_TYPES, FrameDetections, frame_match_stats, frames_from_tubes
from roadtrack.metrics.road.predictions import num_classes, read_predictions
from roadtrack.metrics.road.video_map import VIDEO_THRESHOLDS, tube_match_stats

FRAME_THRESHOLD = 0.5


@dataclasses.dataclass(frozen=True)
class LabelTypeAP:
    """Per-class AP and mAP of one label type at one level and threshold.

    Attributes:
        level: ``"frame"`` (frame-mAP) or ``"video"`` (video-mAP).
        label_type: ``agent_ness``, ``agent``, ``action``, ``loc``, ``duplex`` or ``triplet``.
        threshold: IoU (frame) or tube-overlap (video) threshold.
        classes: one `ClassAP` per used class, in label-list order.
        mAP: mean AP in percent.
    """

    level: str
    label_type: str
    threshold: float
    classes: tuple[ClassAP, ...]
    mAP: float


@dataclasses.dataclass(frozen=True)
class RoadEvaluation:
    """Result of a ROAD evaluation; formatting and files come from `roadtrack.metrics.road.report`.

    Attributes:
        dataset: label set the class ids refer to (``"road"`` or ``"road_waymo"``).
        subset: evaluated splits.
        official: whether the reference's quirks were reproduced.
        eval_size: (width, height) of the evaluation space, pixels.
        metric: tube overlap of video-mAP (``stiou``, ``tiou`` or ``siou``).
        num_videos: evaluated videos.
        frame_source: where frame-mAP detections came from: ``"frames"`` (a frame-detection file),
            ``"tubes"`` (each tube's per-frame boxes) or ``"none"``.
        results: every (level, label type, threshold) evaluated.
        ignored_videos: predicted videos that are not in the evaluated subset.
    """

    dataset: str
    subset: tuple[str, ...]
    official: bool
    eval_size: tuple[int, int]
    metric: str
    num_videos: int
    frame_source: str
    results: tuple[LabelTypeAP, ...]
    ignored_videos: tuple[str, ...] = ()

    def get(self, level: str, label_type: str, threshold: float | None = None) -> LabelTypeAP | None:
        """The result for ``level`` and ``label_type`` (first threshold when None), or None if not evaluated."""
        for r in self.results:
            if r.level == level and r.label_type == label_type and (threshold is None or r.threshold == threshold):
                return r
        return None

    def table(self) -> str:
        """A fixed-width table: one row per label type, frame-mAP and video-mAP columns."""
        return report.format_table(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary including per-class AP (NaN written as None)."""
        return report.to_dict(self)

    def write_csv(self, path: str | os.PathLike) -> Path:
        """One row per (level, threshold, label type, class) plus a ``mAP`` row per group; written atomically."""
        return report.write_csv(self, path)

    def plot_per_class(self, path: str | os.PathLike) -> Path:
        """Per-class AP bar chart (PNG, matplotlib Agg), one panel per label type; written atomically."""
        return report.plot_per_class(self, path)


def evaluate_road(annotations: RoadAnnotations, subset: str | Sequence[str] = "val",
                  tubes: Mapping[str, Mapping[str, Sequence]] | None = None,
                  frames: Mapping[str, Mapping[str, FrameDetections]] | None = None, official: bool = True,
                  eval_size: tuple[int, int] | None = None, metric: str = "stiou",
                  video_thresholds: Sequence[float] = VIDEO_THRESHOLDS,
                  frame_threshold: float = FRAME_THRESHOLD, map_fn: Any = None) -> RoadEvaluation:
    """Evaluate in-memory predictions against loaded annotations.

    Args:
        annotations: ground truth (`roadtrack.datasets.load_road`); its label set fixes the classes.
        subset: split name(s); a video is evaluated when its ``split_ids`` contain any of them.
        tubes: ``{label_type: {video: [tube]}}`` with ``label_id``, ``frames`` (T,), ``boxes`` (T, 4) pixels of
            the evaluation space, ``scores`` (T,) and ``score`` (e.g. `roadtrack.io.roadpp.SubmissionTube`);
            gives video-mAP, and frame-mAP too when ``frames`` is None.
        frames: ``{label_type: {video: FrameDetections}}`` for frame-mAP (label types of `FRAME_TYPES`).
        official: reproduce the reference (see the module docstring).
        eval_size: (width, height) the normalised ground truth is scaled to; default 682x512 for ROAD
            labels, 840x600 for ROAD-Waymo (ROAD++) labels.
        metric: tube overlap: ``"stiou"``, ``"tiou"`` or ``"siou"``.
        video_thresholds: video-mAP thresholds.
        frame_threshold: frame-mAP IoU threshold.
        map_fn: ``map_fn(fn, items) -> [fn(x) for x in items]``, e.g. `roadtrack.runner.parallel_map` to score the
            videos in parallel; default: one after another here.
    """
    subset = (subset,) if isinstance(subset, str) else tuple(subset)
    videos = annotations.subset(*subset)
    labels = annotations.labels
    size = tuple(eval_size) if eval_size is not None else EVAL_SIZES[labels.name]
    results: list[LabelTypeAP] = []
    frame_source = "frames" if frames is not None else ("tubes" if tubes is not None else "none")
    if frames is None and tubes is not None:
        frames = _frames_from_tube_predictions(tubes, labels)
    frame_types = [t for t in FRAME_TYPES if frames and t in frames]
    tube_types = [t for t in LABEL_TYPES if tubes and t in tubes]
    jobs, position = [], dict.fromkeys(tube_types, 0)
    for v in videos:  # tubes are ranked in video-list order, then tube order, as the reference collects them
        video_tubes = {t: tubes[t].get(v.name, []) for t in tube_types}
        jobs.append((v, {t: frames[t].get(v.name) for t in frame_types}, video_tubes, dict(position)))
        position = {t: position[t] + len(video_tubes[t]) for t in tube_types}
    per_video = (map_fn or _map)(functools.partial(_video_stats, labels=labels, size=size, metric=metric,
                                                   official=official, frame_threshold=frame_threshold,
                                                   video_threshold=min(video_thresholds)), jobs)
    for label_type in frame_types:
        stats = [frame_stats[label_type] for frame_stats, _ in per_video]
        results.append(_label_type_ap("frame", label_type, frame_threshold, stats, labels, official))
    for label_type in tube_types:
        stats = [tube_stats[label_type] for _, tube_stats in per_video]
        results.extend(_label_type_ap("video", label_type, thr, stats, labels, official) for thr in video_thresholds)
    names = {v.name for v in videos}
    predicted = {name for source in (tubes or {}, frames or {}) for per_type in source.values() for name in per_type}
    return RoadEvaluation(labels.name, subset, official, (int(size[0]), int(size[1])), metric, len(videos),
                          frame_source, tuple(results), tuple(sorted(predicted - names)))


def _video_stats(job: tuple, labels: LabelSet, size: tuple, metric: str, official: bool, frame_threshold: float,
                 video_threshold: float) -> tuple[dict[str, MatchStats], dict[str, MatchStats]]:
    """One video's frame and tube match statistics per label type (`evaluate_road`'s unit of parallel work)."""
    video, frames, tubes, position = job
    frame_stats = {t: frame_match_stats(video, t, num_classes(labels, t), dets, size, frame_threshold)
                   for t, dets in frames.items()}
    tube_stats = {t: tube_match_stats(video, t, len(labels[t]), video_tubes, size, metric, official, video_threshold,
                                      position[t]) for t, video_tubes in tubes.items()}
    return frame_stats, tube_stats


def _map(fn: Any, items: Sequence[Any]) -> list:
    return [fn(x) for x in items]


def _label_type_ap(level: str, label_type: str, threshold: float, stats: list[MatchStats], labels: LabelSet,
                   official: bool) -> LabelTypeAP:
    names = ("agent_ness",) if label_type == "agent_ness" else labels[label_type]
    classes = evaluate_classes(concat_stats(stats, len(names)), names, threshold, official)
    return LabelTypeAP(level, label_type, float(threshold), tuple(classes), mean_ap(classes, official))


def _frames_from_tube_predictions(tubes: Mapping[str, Mapping[str, Sequence]],
                                  labels: LabelSet) -> dict[str, dict[str, FrameDetections]]:
    out: dict[str, dict[str, FrameDetections]] = {}
    position = 0
    for label_type, per_video in tubes.items():
        if label_type not in LABEL_TYPES:  # av_action tubes are not detections of road agents
            continue
        out[label_type] = {}
        for video, video_tubes in per_video.items():
            dets = frames_from_tubes(video_tubes, len(labels[label_type]), position)
            position += len(dets)
            out[label_type][video] = dets
    return out


def evaluate_road_files(annotations_path: str | os.PathLike, predictions_path: str | os.PathLike,
                        subset: str | Sequence[str] = "val", official: bool = True,
                        labels: str | LabelSet | None = None, eval_size: tuple[int, int] | None = None,
                        metric: str = "stiou", trust_pickle: bool = False, map_fn: Any = None) -> RoadEvaluation:
    """Evaluate a prediction pickle against an annotation JSON.

    Args:
        annotations_path: ``road_trainval_v1.0.json`` or ``road_waymo_trainval_v1.0.json`` (or a synthetic one).
        predictions_path: a ROAD++ tube submission (``.pkl`` or ``.zip``): video-mAP and frame-mAP from the
            tubes' boxes; or a frame-detection pickle: frame-mAP only (see `predictions`).
        subset: split name(s), e.g. ``"val"`` (ROAD-Waymo) or ``"val_3"`` (ROAD).
        official: reproduce the reference (see the module docstring).
        labels: label set class ids refer to; default the annotation file's (``"roadpp"``: ROAD-Waymo's).
        eval_size: (width, height) of the evaluation space; default by label set (682x512 / 840x600).
        metric: tube overlap, ``"stiou"``, ``"tiou"`` or ``"siou"``.
        trust_pickle: unpickle any object the prediction file names (it can run code); default: only
            containers, numbers, strings and numpy arrays.
        map_fn: as in `evaluate_road`.

    Raises:
        ValueError: malformed annotations or predictions (the message names the file, and the tube or
            frame where possible), or a subset with no video.
    """
    annotations = load_road(annotations_path, labels)
    predictions = read_predictions(predictions_path, annotations.labels, None, set(annotations.videos), trust_pickle)
    return evaluate_road(annotations, subset, tubes=predictions.tubes, frames=predictions.frames,
                         official=official, eval_size=eval_size, metric=metric, map_fn=map_fn)
