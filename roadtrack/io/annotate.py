"""Drawing tracks on frames and writing annotated video.

Labels are placed greedily so that neighbouring boxes do not hide each other's ids (above the box, else below,
else inside its top or bottom edge, whichever overlaps no label placed before); trails fade with age and vanish
a few frames after their track ends.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import shutil
from pathlib import Path
from typing import Mapping, Sequence

import cv2
import numpy as np

from roadtrack.core.tracks import Tracks
from roadtrack.io.atomic import commit_file, partial_path, temporary_path

_GOLDEN = 0.618033988749895  # successive ids land far apart on the hue circle
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_ALPHA_LEVELS = 5  # trail opacity is drawn in this many steps (one blend per step, not per segment)


def id_colors(ids: np.ndarray) -> np.ndarray:
    """(N,) track ids -> (N, 3) uint8 BGR colours, the same colour for the same id in every frame."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if ids.size == 0:
        return np.zeros((0, 3), np.uint8)
    hue = ((ids * _GOLDEN) % 1.0 * 180).astype(np.uint8)  # OpenCV 8-bit hue range is 0..179
    hsv = np.stack([hue, np.full_like(hue, 220), np.full_like(hue, 255)], axis=-1)[:, None, :]
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[:, 0, :]


def place_labels(boxes: np.ndarray, sizes: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Top-left corners for label rectangles, chosen so that labels overlap each other as little as possible.

    Boxes are served front to back (largest bottom edge first: nearest the camera on road scenes). Each tries,
    in order, above its box, below it, inside its top edge and inside its bottom edge (all left-aligned and
    shifted into the image); it takes the first position that overlaps no label placed before, or else the
    one with the least overlap.

    Args:
        boxes: (N, 4) int boxes x1, y1, x2, y2 in pixels.
        sizes: (N, 2) int label sizes (width, height) in pixels.
        image_size: (width, height) of the image.

    Returns:
        (N, 2) int64 label corners (x, y), in the order of ``boxes``.
    """
    boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
    sizes = np.asarray(sizes, np.int64).reshape(-1, 2)
    width, height = image_size
    corners = np.zeros((len(boxes), 2), np.int64)
    placed = np.zeros((0, 4), np.int64)
    for i in np.argsort(-boxes[:, 3], kind="stable"):
        x1, y1, _, y2 = boxes[i]
        w, h = sizes[i]
        ys = np.array([y1 - h, y2, y1, y2 - h])
        xs = np.full(4, np.clip(x1, 0, max(width - w, 0)))
        ys = np.clip(ys, 0, max(height - h, 0))
        cand = np.stack([xs, ys, xs + w, ys + h], axis=1)  # (4, 4)
        if len(placed):
            iw = np.minimum(cand[:, None, 2], placed[None, :, 2]) - np.maximum(cand[:, None, 0], placed[None, :, 0])
            ih = np.minimum(cand[:, None, 3], placed[None, :, 3]) - np.maximum(cand[:, None, 1], placed[None, :, 1])
            overlap = (np.clip(iw, 0, None) * np.clip(ih, 0, None)).sum(axis=1)
        else:
            overlap = np.zeros(4, np.int64)
        free = np.flatnonzero(overlap == 0)
        best = int(free[0]) if len(free) else int(np.argmin(overlap))
        corners[i] = cand[best, :2]
        placed = np.vstack([placed, cand[best : best + 1]])
    return corners


def _draw_trails(out: np.ndarray, trails: Mapping[int, np.ndarray], color_of: Mapping[int, list[int]],
                 thickness: int) -> None:
    """Draw each trail as line segments whose opacity is that of their newer end point (in place)."""
    layers: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # opacity step -> (mask, paint)
    for track_id, points in trails.items():
        points = np.asarray(points, np.float64).reshape(len(points), -1)
        if len(points) < 2:
            continue
        alpha = points[:, 2] if points.shape[1] > 2 else np.ones(len(points))
        xy = np.round(points[:, :2]).astype(np.int32)
        color = color_of.get(track_id) or id_colors([track_id])[0].tolist()
        steps = np.ceil(np.clip(alpha, 0.0, 1.0) * _ALPHA_LEVELS).astype(int)
        for k in range(1, len(xy)):
            step = steps[k]
            if step <= 0:
                continue
            a, b = tuple(xy[k - 1].tolist()), tuple(xy[k].tolist())
            if step >= _ALPHA_LEVELS:
                cv2.line(out, a, b, color, thickness, cv2.LINE_AA)
                continue
            if step not in layers:
                layers[step] = (np.zeros(out.shape[:2], np.uint8), np.zeros_like(out))
            mask, paint = layers[step]
            cv2.line(paint, a, b, color, thickness)
            cv2.line(mask, a, b, 255, thickness)
    for step, (mask, paint) in layers.items():
        opacity = step / _ALPHA_LEVELS
        on = mask > 0
        out[on] = (out[on] * (1.0 - opacity) + paint[on] * opacity + 0.5).astype(np.uint8)


def draw_tracks(
    image: np.ndarray,
    tracks: Tracks,
    class_names: Mapping[int, str] | None = None,
    trails: Mapping[int, np.ndarray] | None = None,
    captions: Sequence[str] | None = None,
) -> np.ndarray:
    """Draw boxes, ``"<id> <class>"`` labels, optional captions and optional trails on a copy of ``image``.

    Args:
        image: (H, W, 3) uint8 BGR frame; not modified.
        tracks: one frame's tracks, boxes in pixels.
        class_names: class id -> name for the label; without it the label is the id alone.
        trails: track id -> (K, 2) float box centres (x, y), oldest first, drawn as a polyline; or (K, 3)
            with an opacity in [0, 1] per point (a segment takes its newer point's opacity; 0 hides it).
        captions: one extra text line per track (e.g. its actions and locations), drawn under its label on a
            white strip; empty strings draw nothing.

    Returns:
        The annotated copy, same shape and dtype.
    """
    out = np.array(image, dtype=np.uint8, copy=True)
    scale = max(out.shape[0], out.shape[1]) / 1000.0
    thickness = max(1, round(2 * scale))
    font_scale = max(0.4, 0.6 * scale)
    colors = id_colors(tracks.ids).tolist()
    boxes = np.round(tracks.xyxy).astype(np.int64).reshape(-1, 4)
    color_of = dict(zip(tracks.ids.tolist(), colors))
    if trails:
        _draw_trails(out, trails, color_of, thickness)
    if captions is not None and len(captions) != len(tracks):
        raise ValueError(f"expected one caption per track ({len(tracks)}), got {len(captions)}")
    texts = []
    for track_id, class_id in zip(tracks.ids.tolist(), tracks.class_ids.tolist()):
        texts.append(str(track_id) if class_names is None else f"{track_id} {class_names.get(class_id, class_id)}")
    lines = [[t] + ([captions[i]] if captions is not None and captions[i] else []) for i, t in enumerate(texts)]
    metrics = [[cv2.getTextSize(line, _FONT, font_scale, 1) for line in block] for block in lines]
    sizes = np.array([[max(tw for (tw, _), _ in m), sum(th + base for (_, th), base in m)] for m in metrics],
                     np.int64).reshape(-1, 2)
    corners = place_labels(boxes, sizes, (out.shape[1], out.shape[0]))
    for (x1, y1, x2, y2), color in zip(boxes.tolist(), colors):
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thickness)
    for block, m, (x, y), (w, _), color in zip(lines, metrics, corners.tolist(), sizes.tolist(), colors):
        for k, (line, ((_, th), base)) in enumerate(zip(block, m)):
            background = color if k == 0 else (255, 255, 255)
            cv2.rectangle(out, (x, y), (x + w, y + th + base), background, cv2.FILLED)
            cv2.putText(out, line, (x, y + th), _FONT, font_scale, (0, 0, 0), 1, cv2.LINE_AA)
            y += th + base
    return out


def kept_video_path(path: str | os.PathLike) -> Path:
    """Where an interrupted video is kept: ``<path>.partial<suffix>`` (OpenCV needs the extension)."""
    path = Path(path)
    return partial_path(path).with_name(partial_path(path).name + path.suffix)


def _readable_frames(path: Path) -> int:
    """Frames a decoder sees in the finished file (0 when it cannot open it, e.g. no moov atom)."""
    if not path.is_file() or path.stat().st_size == 0:
        return 0
    capture = cv2.VideoCapture(str(path))
    try:
        return max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0) if capture.isOpened() else 0
    finally:
        capture.release()


class AnnotatedVideoWriter:
    """Writes frames with their tracks drawn (boxes, ids, class names, trails) to an mp4 (fourcc mp4v).

    Frames go to ``<path>.<pid>-<hex>.partial.mp4`` (OpenCV picks the container from the extension); `close`
    or a clean ``with`` exit checks that the finished file decodes with every frame written and renames it to
    ``path``. OpenCV reports no write errors (a full disk just stops the file), so a file that does not read
    back complete is deleted and `close` raises OSError naming ``path``. After an exception the video written
    so far is kept as ``<path>.partial.mp4`` if it is readable.

    Args:
        path: output ``.mp4`` file; its folder must exist.
        fps: frames per second of the output.
        size: (width, height) of every frame, pixels.
        class_names: class id -> name for the labels.
        trail_length: number of recent box centres drawn per id, the older ones fainter.
        fade_frames: a track's trail fades out over this many frames after it was last seen, then is
            forgotten (memory stays bounded on long videos); default ``min(trail_length, 8)``.

    Raises:
        RuntimeError: OpenCV cannot open a writer for the path.

    Example:
        >>> with AnnotatedVideoWriter("out.mp4", fps=25, size=(640, 480)) as video:   # doctest: +SKIP
        ...     for frame, tracks in results:
        ...         video.write(frame.image, tracks)
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int],
                 class_names: Mapping[int, str] | None = None, trail_length: int = 20,
                 fade_frames: int | None = None) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if trail_length < 0:
            raise ValueError(f"trail_length must be >= 0, got {trail_length}")
        fade_frames = min(trail_length, 8) if fade_frames is None else fade_frames
        if fade_frames < 1 and trail_length:
            raise ValueError(f"fade_frames must be >= 1, got {fade_frames}")
        self.path = Path(path)
        self.size = (int(size[0]), int(size[1]))
        self.class_names = class_names
        self.trail_length = trail_length
        self.fade_frames = fade_frames
        self.tmp_path = temporary_path(self.path, self.path.suffix or ".mp4")
        self._writer = cv2.VideoWriter(str(self.tmp_path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), self.size)
        if not self._writer.isOpened():
            self._writer.release()
            with contextlib.suppress(OSError):
                self.tmp_path.unlink()
            raise RuntimeError(f"cannot open a video writer for {self.path} (mp4v via OpenCV)")
        self._trails: dict[int, collections.deque] = {}
        self._last_seen: dict[int, int] = {}
        self._count = 0
        self._closed = False

    def write(self, image: np.ndarray, tracks: Tracks, captions: Sequence[str] | None = None) -> None:
        """Draw ``tracks`` (and one caption per track) on ``image`` ((H, W, 3) uint8 BGR, of the writer's size)
        and append it."""
        width, height = self.size
        if self._closed:
            raise ValueError(f"video writer for {self.path} is closed")
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            # OpenCV would silently drop a frame of the wrong size.
            raise ValueError(f"expected a ({height}, {width}, 3) uint8 image, got {image.shape} {image.dtype}")
        self._count += 1
        trails = self._update_trails(tracks) if self.trail_length else None
        self._writer.write(draw_tracks(image, tracks, self.class_names, trails, captions))

    def _update_trails(self, tracks: Tracks) -> dict[int, np.ndarray]:
        """Remember this frame's centres; return id -> (K, 3) points with opacity (age x time since last seen)."""
        centres = ((tracks.xyxy[:, :2] + tracks.xyxy[:, 2:]) / 2).tolist()
        for track_id, centre in zip(tracks.ids.tolist(), centres):
            self._trails.setdefault(track_id, collections.deque(maxlen=self.trail_length)).append(centre)
            self._last_seen[track_id] = self._count
        stale = [i for i, seen in self._last_seen.items() if self._count - seen >= self.fade_frames]
        for track_id in stale:
            del self._trails[track_id], self._last_seen[track_id]
        drawn = {}
        for track_id, points in self._trails.items():
            points = np.asarray(points, np.float64)
            # Newest point opaque, the oldest 1/K; the whole trail fades linearly once the track is gone.
            age = np.arange(1, len(points) + 1) / len(points)
            gone = 1.0 - (self._count - self._last_seen[track_id]) / self.fade_frames
            drawn[track_id] = np.column_stack([points, age * gone])
        return drawn

    @property
    def trails(self) -> dict[int, np.ndarray]:
        """Track id -> (K, 2) recent box centres (x, y), oldest first, for the ids still remembered."""
        return {i: np.asarray(points) for i, points in self._trails.items()}

    def close(self) -> None:
        """Finish the video, check it reads back complete and move it to ``path``. Idempotent.

        Raises:
            OSError: the finished file is unreadable or short (disk full, ...); nothing is left at ``path``.
        """
        if self._closed:
            return
        self._closed = True
        self._writer.release()
        readable = _readable_frames(self.tmp_path)
        if readable != self._count:
            with contextlib.suppress(OSError):
                self.tmp_path.unlink()
            free = shutil.disk_usage(self.path.parent).free
            code = errno.ENOSPC if free < 1 << 20 else errno.EIO
            raise OSError(code, f"{os.strerror(code)} (the video reads back {readable} of {self._count} frames; "
                                f"nothing was written)", str(self.path))
        commit_file(self.tmp_path, self.path)

    def __enter__(self) -> "AnnotatedVideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.close()
        elif not self._closed:
            self._closed = True
            self._writer.release()
            # Keep what was written as <path>.partial.mp4 if it plays; an unreadable file is only clutter.
            with contextlib.suppress(OSError):
                if _readable_frames(self.tmp_path) > 0:
                    os.replace(self.tmp_path, kept_video_path(self.path))
                else:
                    self.tmp_path.unlink()
        return False
