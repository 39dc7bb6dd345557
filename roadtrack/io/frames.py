"""`Frame`, the `FrameSource` base, and the video, image-folder and array sources (all streamed).

Every source yields `Frame` objects with 1-based frame numbers and never holds more than one frame.
"""

from __future__ import annotations

import abc
import contextlib
import copy
import dataclasses
import itertools
import os
import re
import warnings
from collections.abc import Sequence, Sized
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
# Containers whose frame count comes from an index (mp4/mov ``stts``, avi ``avih``), not from duration x fps.
INDEXED_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi")
# An indexed count may still exceed the decodable frames by one or two (edit lists, decoder priming).
COUNT_TOLERANCE = 2


@dataclasses.dataclass(frozen=True, eq=False)
class Frame:
    """One frame of a source.

    Attributes:
        index: 1-based frame number (MOTChallenge numbering).
        image: (H, W, 3) uint8 BGR image, or None for sources without pixels (detections-only sequences).
    """

    index: int
    image: np.ndarray | None


class FrameSource(abc.ABC):
    """An iterable of `Frame`. Iterating again starts again from the first frame (where the source allows).

    Subclasses implement `_frames` (a generator of all frames); `__iter__` adds the ``max_frames`` limit.

    Attributes:
        name: a label for progress bars and logs.
        fps: frames per second, None when unknown.
        size: (width, height) in pixels, None when unknown.
        length: number of frames it will yield, None when unknown.
        max_frames: stop after this many frames (None: all); set through `limit`.
    """

    def __init__(self, name: str, fps: float | None = None, size: tuple[int, int] | None = None,
                 length: int | None = None) -> None:
        self.name, self.fps, self.size = name, fps, size
        self._length = length
        self.max_frames: int | None = None

    @property
    def length(self) -> int | None:
        """Frames this source will yield (``max_frames`` applied), None when unknown."""
        if self.max_frames is None or self._length is None:
            return self._length
        return min(self._length, self.max_frames)

    def __len__(self) -> int:
        if self.length is None:
            raise TypeError(f"frame source {self.name!r} does not know its length")
        return self.length

    @abc.abstractmethod
    def _frames(self) -> Iterator[Frame]:
        """All frames, in order."""

    def __iter__(self) -> Iterator[Frame]:
        # closing() releases the decoder at once when the caller stops early, not at garbage collection.
        with contextlib.closing(self._frames()) as frames:
            yield from itertools.islice(frames, self.max_frames)

    def limit(self, max_frames: int | None) -> "FrameSource":
        """A copy that stops after ``max_frames`` frames (this source is unchanged)."""
        if max_frames is None:
            return self
        if isinstance(max_frames, bool) or not isinstance(max_frames, (int, np.integer)) or max_frames < 1:
            raise ValueError(f"max_frames must be a positive integer or None, got {max_frames!r}")
        limited = copy.copy(self)
        limited.max_frames = int(max_frames) if self.max_frames is None else min(self.max_frames, int(max_frames))
        return limited

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, fps={self.fps}, size={self.size}, length={self.length})"


class VideoSource(FrameSource):
    """Frames of a video file decoded by OpenCV; video frame k (0-based) is `Frame` k + 1.

    Decoding that ends before the container's declared frame count means a truncated or damaged file.
    For indexed containers (`INDEXED_SUFFIXES`), where the count is exact, a shortfall of more than
    `COUNT_TOLERANCE` frames is a ValueError (raised when the end is reached); a smaller shortfall, or
    any shortfall in a container whose count is estimated from its duration (mkv, webm, ...), is a
    `RuntimeWarning`. Both name the file and the two counts.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: OpenCV cannot open the file or decode a first frame; (when reached) the file ends
            more than `COUNT_TOLERANCE` frames before its declared count.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"video not found: {self.path}")
        capture = cv2.VideoCapture(str(self.path))
        try:
            ok, image = capture.read() if capture.isOpened() else (False, None)
            if not ok or image is None:
                raise ValueError(f"cannot read video: {self.path}")
            fps = capture.get(cv2.CAP_PROP_FPS)
            count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        finally:
            capture.release()
        height, width = image.shape[:2]
        # Containers report 0 (or garbage) when they do not know; treat that as unknown.
        super().__init__(self.path.stem, fps if fps > 0 else None, (width, height), count if count > 0 else None)

    def _frames(self) -> Iterator[Frame]:
        capture = cv2.VideoCapture(str(self.path))
        try:
            for index in itertools.count(1):
                ok, image = capture.read()
                if not ok:
                    break
                yield Frame(index, image)
        finally:
            capture.release()
        self._check_count(index - 1)

    def _check_count(self, decoded: int) -> None:
        """Compare the frames decoded to the end with the declared count (see the class docstring)."""
        declared = self._length
        if declared is None or decoded >= declared:
            return
        message = (f"{self.path}: decoded {decoded} of the {declared} frames the container declares "
                   "(the file is truncated or damaged)")
        if self.path.suffix.lower() in INDEXED_SUFFIXES and declared - decoded > COUNT_TOLERANCE:
            raise ValueError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _natural_key(path: Path) -> list:
    """'img2.png' sorts before 'img10.png'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class ImageFolderSource(FrameSource):
    """Images of a folder (jpg, jpeg, png, bmp) in natural numeric order; the k-th image is `Frame` k.

    All images must have the size of the first (one tracks file holds one coordinate system), and a
    JPEG or PNG must be complete: decoders fill a truncated image with grey instead of failing.

    Args:
        path: the folder.
        fps: frame rate to report (image folders carry none).

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: no images in the folder; (when reached) an image that is truncated, cannot be
            decoded, or differs in size from the first, naming the file.
    """

    def __init__(self, path: str | os.PathLike, fps: float | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"image folder not found: {self.path}")
        self.files = sorted((p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
                            key=_natural_key)
        if not self.files:
            raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in folder {self.path}")
        height, width = _read_image(self.files[0]).shape[:2]
        super().__init__(self.path.name, fps, (width, height), len(self.files))

    def _frames(self) -> Iterator[Frame]:
        for index, file in enumerate(self.files, start=1):
            image = _read_image(file)
            height, width = image.shape[:2]
            if (width, height) != self.size:
                raise ValueError(f"{file}: image is {width}x{height} but {self.files[0].name} (the first of the folder) "
                                 f"is {self.size[0]}x{self.size[1]}; all frames of a source must have one size")
            yield Frame(index, image)


def _read_image(path: Path) -> np.ndarray:
    """Decode one image file to (H, W, 3) uint8 BGR, refusing truncated JPEG and PNG files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read image: {path}: {exc.strerror or exc}") from None
    missing = _missing_end_marker(data)
    if missing:
        raise ValueError(f"{path}: truncated image (no {missing})")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read image: {path}")
    return image


def _missing_end_marker(data: bytes) -> str | None:
    """The end marker a JPEG or PNG lacks, or None (complete, or another format).

    A JPEG's last scan (SOS marker FFDA) must be followed by the end-of-image marker FFD9; entropy-coded
    data cannot contain FFD9, since it escapes every FF byte. A PNG ends with its IEND chunk. Checking
    the bytes first matters: libjpeg decodes a truncated file as a half-grey image with only a warning.
    """
    if data[:3] == b"\xff\xd8\xff":
        return None if data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") else "JPEG end-of-image marker"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return None if b"IEND" in data[-64:] else "PNG IEND chunk"
    return None


class ArraySource(FrameSource):
    """Frames from an iterable of (H, W, 3) uint8 BGR arrays, consumed lazily (never copied into a list).

    Args:
        frames: any iterable of images (list, generator, (T, H, W, 3) array, ...).
        fps: frame rate to report.
        name: label for logs.

    Raises:
        ValueError: (when reached) a frame that is not (H, W, 3) uint8.
    """

    def __init__(self, frames: Iterable[np.ndarray], fps: float | None = None, name: str = "frames") -> None:
        self.frames = frames
        length = len(frames) if isinstance(frames, Sized) else None
        size = None
        if isinstance(frames, (Sequence, np.ndarray)) and length:
            first = np.asarray(frames[0])
            size = (first.shape[1], first.shape[0]) if first.ndim == 3 else None
        super().__init__(name, fps, size, length)

    def _frames(self) -> Iterator[Frame]:
        for index, image in enumerate(self.frames, start=1):
            image = np.asarray(image)
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(f"frame {index}: expected an (H, W, 3) uint8 BGR image, "
                                 f"got shape {image.shape} dtype {image.dtype}")
            yield Frame(index, image)
