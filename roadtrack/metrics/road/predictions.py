"""Prediction files for the ROAD metrics: tube submissions (video-mAP) and frame-level detections (frame-mAP).

Two pickle layouts are accepted, told apart by their content:

* tubes, the ROAD++ submission (`roadtrack.io.roadpp`): ``{label_type: {video: [tube dict]}}``;
* frame detections, as the baseline dumps them: ``{label_type: {video + '%05d' % frame: [array per class]}}``
  where each array is ``(N, 5)`` rows ``[x1, y1, x2, y2, score]`` in evaluation pixels, or empty; label
  types are ``agent_ness`` (one class) and the five of `LABEL_TYPES`; other keys (``av_actions``) are skipped.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Mapping

import numpy as np

from roadtrack.core.labels import LabelSet
from roadtrack.io.roadpp import SubmissionTube, load_pickle, validate_submission
from roadtrack.metrics.road.frame_map import FRAME_TYPES, FrameDetections

TubePredictions = dict[str, dict[str, list[SubmissionTube]]]
FramePredictions = dict[str, dict[str, FrameDetections]]


def num_classes(labels: LabelSet, label_type: str) -> int:
    return 1 if label_type == "agent_ness" else len(labels[label_type])


def predictions_kind(data: Any) -> str:
    """``"tubes"`` or ``"frames"``: the layout of a decoded prediction pickle (an empty one counts as tubes)."""
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a dict of label type -> predictions, got {type(data).__name__}")
    for per_type in data.values():
        if not isinstance(per_type, Mapping):
            continue
        for value in per_type.values():
            if isinstance(value, (list, tuple)) and value:
                return "frames" if isinstance(value[0], np.ndarray) else "tubes"
    return "tubes"


def parse_frame_detections(data: Mapping[str, Any], labels: LabelSet, source: str = "predictions",
                           video_names: set[str] | None = None) -> FramePredictions:
    """Validate a decoded frame-detection pickle and group it by label type and video.

    Args:
        data: ``{label_type: {frame_id: [array (N_c, 5) per class]}}``.
        labels: used lists fixing the number of classes per type.
        source: names the input in error messages.
        video_names: known video names, to split frame ids whose frame part has more than 5 digits.

    Returns:
        label type -> video -> detections, with input-order positions following the file's key order.
    """
    out: FramePredictions = {}
    position = 0
    for label_type, frames in data.items():
        if label_type not in FRAME_TYPES:
            continue
        if not isinstance(frames, Mapping):
            raise ValueError(f"{source}: {label_type}: expected a dict of frame id -> [array per class]")
        n_classes = num_classes(labels, label_type)
        parts: dict[str, list[FrameDetections]] = {}
        for frame_id, per_class in frames.items():
            where = f"{source}: {label_type}/{frame_id}"
            video, frame = _split_frame_id(frame_id, video_names, where)
            if not isinstance(per_class, (list, tuple)) or len(per_class) != n_classes:
                got = len(per_class) if isinstance(per_class, (list, tuple)) else type(per_class).__name__
                raise ValueError(f"{where}: expected a list of {n_classes} arrays (one per class), got {got}")
            for c, arr in enumerate(per_class):
                arr = np.asarray(arr)
                if arr.size == 0:
                    continue
                if arr.ndim != 2 or arr.shape[1] < 5 or arr.dtype.kind not in "iuf":
                    raise ValueError(f"{where}: class {c}: expected an (N, 5) numeric array, got {arr.dtype} "
                                     f"{arr.shape}")
                if not np.all(np.isfinite(arr[:, :5])):
                    raise ValueError(f"{where}: class {c}: NaN or inf")
                n = arr.shape[0]
                parts.setdefault(video, []).append(FrameDetections(
                    np.full(n, frame), np.full(n, c), arr[:, :4], arr[:, 4], np.arange(position, position + n)))
                position += n
        out[label_type] = {v: FrameDetections.concat(p) for v, p in parts.items()}
    return out


def _digits(text: str) -> bool:
    """ASCII digits only: str.isdigit also accepts '²' and '٣', which int() then refuses or reads."""
    return text.isascii() and text.isdigit()


def _split_frame_id(frame_id: Any, video_names: set[str] | None, where: str) -> tuple[str, int]:
    if not isinstance(frame_id, str) or len(frame_id) < 6 or not _digits(frame_id[-5:]):
        raise ValueError(f"{where}: frame ids must be video name + 5-digit frame number, got {frame_id!r}")
    if video_names is not None and frame_id[:-5] not in video_names:
        for cut in range(len(frame_id) - 6, 0, -1):  # longer frame numbers than 5 digits
            if frame_id[:cut] in video_names and _digits(frame_id[cut:]):
                return frame_id[:cut], int(frame_id[cut:])
    frame = int(frame_id[-5:])
    if frame < 1:
        raise ValueError(f"{where}: frame numbers are 1-based")
    return frame_id[:-5], frame


@dataclasses.dataclass(frozen=True)
class RoadPredictions:
    """A decoded prediction file: tubes (a ROAD++ submission) or frame detections; the other is None."""

    tubes: TubePredictions | None = None
    frames: FramePredictions | None = None


def read_predictions(path: str | os.PathLike, labels: LabelSet, frame_size: tuple[float, float] | None = None,
                     video_names: set[str] | None = None, trust_pickle: bool = False) -> RoadPredictions:
    """Read a prediction pickle of either layout.

    Args:
        path: ``.pkl`` (or ``.zip`` holding one pickle).
        labels: used lists that class ids index.
        frame_size: tube boxes must lie in this (width, height) when given.
        video_names: known videos (helps split frame ids).
        trust_pickle: load any object the pickle names (it can run code); default: only containers,
            numbers, strings and numpy arrays (see `roadtrack.io.roadpp.load_pickle`).

    Raises:
        ValueError: the file is malformed or holds other objects; the message names it and the offending
            tube, frame or object.
    """
    data = load_pickle(path, trust_pickle)
    try:
        kind = predictions_kind(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if kind == "tubes":
        return RoadPredictions(tubes=validate_submission(data, labels, frame_size, source=str(path)))
    return RoadPredictions(frames=parse_frame_detections(data, labels, str(path), video_names))
