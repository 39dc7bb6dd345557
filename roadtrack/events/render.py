"""Drawing labelled agent tubes: each box shows its id and agent class, and under it the actions and locations.

Events are known only once a whole video has been classified, so `render_event_video` reads the frames again.

Example:
    >>> render_event_video("val_00000.mp4", result.events, "runs/val0/events.mp4", "road")   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from roadtrack.core import Tracks, Tube
from roadtrack.core.labels import LabelSet, label_set
from roadtrack.events.compose import tubes_on_frame


def event_captions(tubes: Sequence[Tube], frame: int, labels: LabelSet, threshold: float = 0.3,
                   max_per_type: int = 2) -> tuple[Tracks, list[str]]:
    """The labelled tubes present on ``frame`` as `Tracks` (class = agent index) and one caption each.

    Args:
        tubes: labelled agent tubes (``labels`` with ``agent``, ``action``, ``loc``).
        frame: frame number.
        labels: the label lists the score columns follow.
        threshold: actions and locations scoring at least this are shown, best first.
        max_per_type: at most this many actions and this many locations.

    Returns:
        Tracks (ids, boxes, agent class, frame score) and captions like ``"MovAway,IncatLft @ VehLane"``.
    """
    rows = tubes_on_frame(tubes, frame)
    captions = []
    for tube, i in rows:
        parts = []
        for kind in ("action", "loc"):
            scores = np.asarray(tube.labels.get(kind, np.zeros((len(tube), 0))))[i]
            best = [int(c) for c in np.argsort(-scores, kind="stable")[:max_per_type] if scores[c] >= threshold]
            parts.append(",".join(labels[kind][c] for c in best))
        captions.append(parts[0] + (f" @ {parts[1]}" if parts[1] else ""))
    agent = [int(np.argmax(np.asarray(t.labels["agent"]).mean(0))) if "agent" in t.labels else int(t.class_ids[i])
             for t, i in rows]
    tracks = Tracks([t.track_id for t, _ in rows], np.array([t.xyxy[i] for t, i in rows]).reshape(-1, 4),
                    [t.scores[i] for t, i in rows], agent)
    return tracks, captions


def draw_captions(image: np.ndarray, tracks: Tracks, captions: Sequence[str]) -> np.ndarray:
    """Write each caption just below the top edge of its box on a copy of ``image`` ((H, W, 3) uint8 BGR)."""
    out = np.array(image, dtype=np.uint8, copy=True)
    scale = max(0.35, 0.5 * max(out.shape[:2]) / 1000.0)
    for (x1, y1, _, _), text in zip(np.round(tracks.xyxy).astype(int).tolist(), captions):
        if not text:
            continue
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        x, y = max(x1, 0), min(max(y1, 0) + th + base + 2, out.shape[0] - 1)
        cv2.rectangle(out, (x, y - th - base), (x + tw, y), (255, 255, 255), cv2.FILLED)
        cv2.putText(out, text, (x, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def draw_events(image: np.ndarray, frame: int, tubes: Sequence[Tube], labels: str | LabelSet,
                threshold: float = 0.3) -> np.ndarray:
    """Boxes, ids and agent classes (`roadtrack.io.draw_tracks`) plus action / location captions, on a copy."""
    from roadtrack.io.annotate import draw_tracks

    labels = label_set(labels)
    tracks, captions = event_captions(tubes, frame, labels, threshold)
    return draw_tracks(image, tracks, dict(enumerate(labels.agent)), captions=captions)


def render_event_video(source: Any, tubes: Sequence[Tube], path: str | os.PathLike, labels: str | LabelSet,
                       fps: float | None = None, threshold: float = 0.3) -> Path:
    """Write an mp4 of ``source`` with the labelled tubes drawn (atomically, via `AnnotatedVideoWriter`).

    Args:
        source: the video the tubes come from (anything `roadtrack.io.open_source` reads; it is read again).
        tubes: labelled agent tubes (an event classifier's output).
        path: output ``.mp4``.
        labels: label lists of the tubes' score columns.
        fps: output frame rate; default the source's, else 12.
        threshold: see `event_captions`.

    Returns:
        ``path``.
    """
    from roadtrack.io import AnnotatedVideoWriter, open_source

    labels = label_set(labels)
    frames = open_source(source)
    with contextlib.ExitStack() as stack:  # the writer keeps a *.partial.mp4 if drawing fails
        video = None
        for frame in frames:
            if frame.image is None:
                raise ValueError(f"source {frames.name!r} has no pixels to draw on")
            if video is None:
                h, w = frame.image.shape[:2]
                writer = AnnotatedVideoWriter(path, fps or frames.fps or 12.0, (w, h), dict(enumerate(labels.agent)))
                video = stack.enter_context(writer)
            tracks, captions = event_captions(tubes, frame.index, labels, threshold)
            video.write(frame.image, tracks, captions)  # captions placed with the labels, not over them
        if video is None:
            raise ValueError(f"source {frames.name!r} yielded no frames")
    return Path(path)
