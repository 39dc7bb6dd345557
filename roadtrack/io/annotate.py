"""Drawing tracks on frames and writing annotated video."""

from __future__ import annotations

import collections
import os
from pathlib import Path
from typing import Mapping

import cv2
import numpy as np

from roadtrack.core.tracks import Tracks
from roadtrack.io.atomic import commit_file

_GOLDEN = 0.618033988749895  # successive ids land far apart on the hue circle


def id_colors(ids: np.ndarray) -> np.ndarray:
    """(N,) track ids -> (N, 3) uint8 BGR colours, the same colour for the same id in every frame."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if ids.size == 0:
        return np.zeros((0, 3), np.uint8)
    hue = ((ids * _GOLDEN) % 1.0 * 180).astype(np.uint8)  # OpenCV 8-bit hue range is 0..179
    hsv = np.stack([hue, np.full_like(hue, 220), np.full_like(hue, 255)], axis=-1)[:, None, :]
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[:, 0, :]


def draw_tracks(
    image: np.ndarray,
    tracks: Tracks,
    class_names: Mapping[int, str] | None = None,
    trails: Mapping[int, np.ndarray] | None = None,
) -> np.ndarray:
    """Draw boxes, ``"<id> <class>"`` labels and optional trails on a copy of ``image``.

    Args:
        image: (H, W, 3) uint8 BGR frame; not modified.
        tracks: one frame's tracks, boxes in pixels.
        class_names: class id -> name for the label; without it the label is the id alone.
        trails: track id -> (K, 2) float box centres (x, y), oldest first, drawn as a polyline.

    Returns:
        The annotated copy, same shape and dtype.
    """
    out = np.array(image, dtype=np.uint8, copy=True)
    scale = max(out.shape[0], out.shape[1]) / 1000.0
    thickness = max(1, round(2 * scale))
    font_scale = max(0.4, 0.6 * scale)
    colors = id_colors(tracks.ids).tolist()
    boxes = np.round(tracks.xyxy).astype(np.int64).tolist()
    color_of = dict(zip(tracks.ids.tolist(), colors))
    for track_id, points in (trails or {}).items():
        points = np.round(np.asarray(points)).astype(np.int32).reshape(-1, 1, 2)
        color = color_of.get(track_id) or id_colors([track_id])[0].tolist()
        if len(points) > 1:
            cv2.polylines(out, [points], False, color, thickness, cv2.LINE_AA)
    for (x1, y1, x2, y2), track_id, class_id, color in zip(boxes, tracks.ids.tolist(), tracks.class_ids.tolist(), colors):
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thickness)
        label = str(track_id) if class_names is None else f"{track_id} {class_names.get(class_id, class_id)}"
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        top = max(y1 - th - base, 0)  # label above the box, inside the image at the top edge
        cv2.rectangle(out, (x1, top), (x1 + tw, top + th + base), color, cv2.FILLED)
        cv2.putText(out, label, (x1, top + th), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out


class AnnotatedVideoWriter:
    """Writes frames with their tracks drawn (boxes, ids, class names, trails) to an mp4 (fourcc mp4v).

    Frames go to ``<path>.partial.mp4`` (OpenCV picks the container from the extension); `close` or a
    clean ``with`` exit renames it to ``path``. After an exception the partial video is kept.

    Args:
        path: output ``.mp4`` file; its folder must exist.
        fps: frames per second of the output.
        size: (width, height) of every frame, pixels.
        class_names: class id -> name for the labels.
        trail_length: number of recent box centres drawn per id; ids unseen for this many frames are
            forgotten, so memory stays bounded on long videos.

    Raises:
        RuntimeError: OpenCV cannot open a writer for the path.

    Example:
        >>> with AnnotatedVideoWriter("out.mp4", fps=25, size=(640, 480)) as video:   # doctest: +SKIP
        ...     for frame, tracks in results:
        ...         video.write(frame.image, tracks)
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int],
                 class_names: Mapping[int, str] | None = None, trail_length: int = 20) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if trail_length < 0:
            raise ValueError(f"trail_length must be >= 0, got {trail_length}")
        self.path = Path(path)
        self.size = (int(size[0]), int(size[1]))
        self.class_names = class_names
        self.trail_length = trail_length
        self.tmp_path = self.path.with_name(self.path.name + ".partial.mp4")
        self._writer = cv2.VideoWriter(str(self.tmp_path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), self.size)
        if not self._writer.isOpened():
            self._writer.release()
            raise RuntimeError(f"cannot open a video writer for {self.path} (mp4v via OpenCV)")
        self._trails: dict[int, collections.deque] = {}
        self._last_seen: dict[int, int] = {}
        self._count = 0
        self._closed = False

    def write(self, image: np.ndarray, tracks: Tracks) -> None:
        """Draw ``tracks`` on ``image`` ((H, W, 3) uint8 BGR, of the writer's size) and append it."""
        width, height = self.size
        if self._closed:
            raise ValueError(f"video writer for {self.path} is closed")
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            # OpenCV would silently drop a frame of the wrong size.
            raise ValueError(f"expected a ({height}, {width}, 3) uint8 image, got {image.shape} {image.dtype}")
        self._count += 1
        trails = self._update_trails(tracks) if self.trail_length else None
        self._writer.write(draw_tracks(image, tracks, self.class_names, trails))

    def _update_trails(self, tracks: Tracks) -> dict[int, np.ndarray]:
        centres = ((tracks.xyxy[:, :2] + tracks.xyxy[:, 2:]) / 2).tolist()
        for track_id, centre in zip(tracks.ids.tolist(), centres):
            self._trails.setdefault(track_id, collections.deque(maxlen=self.trail_length)).append(centre)
            self._last_seen[track_id] = self._count
        stale = [i for i, seen in self._last_seen.items() if self._count - seen >= self.trail_length]
        for track_id in stale:
            del self._trails[track_id], self._last_seen[track_id]
        return self.trails

    @property
    def trails(self) -> dict[int, np.ndarray]:
        """Track id -> (K, 2) recent box centres (x, y), oldest first, for the ids still remembered."""
        return {i: np.asarray(points) for i, points in self._trails.items()}

    def close(self) -> None:
        """Finish the video and move it to ``path``. Idempotent."""
        if not self._closed:
            self._closed = True
            self._writer.release()
            commit_file(self.tmp_path, self.path)

    def __enter__(self) -> "AnnotatedVideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.close()
        elif not self._closed:
            self._closed = True
            self._writer.release()  # keep <path>.partial.mp4: what was written stays viewable
        return False
