"""Frame sources: MOTChallenge sequences, and `open_source`, which picks the source for a path or iterable.

The video, image-folder and array sources live in `roadtrack.io.frames` and are re-exported here.
"""

from __future__ import annotations

import configparser
import contextlib
import dataclasses
import itertools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Iterator

from roadtrack.io.frames import (
    IMAGE_SUFFIXES, VIDEO_SUFFIXES, ArraySource, Frame, FrameSource, ImageFolderSource, VideoSource,
)

__all__ = [
    "ArraySource", "Frame", "FrameSource", "ImageFolderSource", "MotSequenceSource", "SeqInfo", "VideoSource",
    "open_source", "read_seqinfo",
]


@dataclasses.dataclass(frozen=True)
class SeqInfo:
    """A MOTChallenge ``seqinfo.ini``.

    Attributes:
        name: sequence name.
        frame_rate: frames per second.
        seq_length: number of frames.
        width, height: image size in pixels (None if not given).
        im_dir: image folder name relative to the sequence folder, e.g. ``img1`` (None if not given).
        im_ext: image file extension, e.g. ``.jpg`` (None if not given).
    """

    name: str
    frame_rate: float
    seq_length: int
    width: int | None = None
    height: int | None = None
    im_dir: str | None = None
    im_ext: str | None = None


def read_seqinfo(path: str | os.PathLike) -> SeqInfo:
    """Parse ``seqinfo.ini`` (or the ``seqinfo.ini`` of a sequence folder).

    Raises:
        FileNotFoundError: no such file.
        ValueError: no ``[Sequence]`` section, or a missing or non-numeric ``frameRate``/``seqLength``.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "seqinfo.ini"
    if not path.is_file():
        raise FileNotFoundError(f"seqinfo.ini not found: {path}")
    parser = configparser.ConfigParser()  # keys are case-insensitive: imDir and imdir both work
    parser.read(path)
    if not parser.has_section("Sequence"):
        raise ValueError(f"{path}: no [Sequence] section")
    section = parser["Sequence"]

    def number(key: str, kind: type, required: bool) -> Any:
        if key not in section:
            if required:
                raise ValueError(f"{path}: missing {key}")
            return None
        try:
            return kind(section[key])
        except ValueError:
            raise ValueError(f"{path}: {key} is not a number: {section[key]!r}") from None

    return SeqInfo(
        name=section.get("name", path.parent.name),
        frame_rate=number("frameRate", float, True),
        seq_length=number("seqLength", int, True),
        width=number("imWidth", int, False),
        height=number("imHeight", int, False),
        im_dir=section.get("imDir"),
        im_ext=section.get("imExt"),
    )


class MotSequenceSource(FrameSource):
    """A MOTChallenge sequence folder (with ``seqinfo.ini``).

    Frames come from the image folder ``imDir`` if it holds images, else from the one video file in the
    sequence folder (video frame k is MOT frame k + 1), else every frame 1..seqLength has ``image=None``
    so that a tracker can run from ``det/det.txt`` alone. ``fps`` is seqinfo's frameRate, which wins
    over a video container's rate; ``length`` is seqLength. Pixels that end before seqLength frames are
    a ValueError when the end is reached (frames beyond seqLength are not read).

    Attributes:
        seqinfo: the parsed `SeqInfo`.
        det_path: ``det/det.txt`` if it exists, else None.
        gt_path: ``gt/gt.txt`` if it exists, else None.
        frames_from: the image folder or video the pixels come from; None when there are none.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.seqinfo = read_seqinfo(self.path)
        det, gt = self.path / "det" / "det.txt", self.path / "gt" / "gt.txt"
        self.det_path = det if det.is_file() else None
        self.gt_path = gt if gt.is_file() else None
        self._pixels = self._find_pixels()
        self.frames_from = getattr(self._pixels, "path", None)
        info = self.seqinfo
        size = (info.width, info.height) if info.width and info.height else getattr(self._pixels, "size", None)
        super().__init__(info.name, info.frame_rate, size, info.seq_length)

    def _find_pixels(self) -> FrameSource | None:
        im_dir = self.path / (self.seqinfo.im_dir or "img1")
        if im_dir.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in im_dir.iterdir()):
            return ImageFolderSource(im_dir)
        videos = sorted(p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        named = [p for p in videos if p.stem in (self.seqinfo.name, self.path.name)]
        if named or len(videos) == 1:
            return VideoSource((named or videos)[0])
        if videos:
            raise ValueError(f"{self.path}: several videos and none named after the sequence: "
                             f"{', '.join(p.name for p in videos)}")
        return None

    def _frames(self) -> Iterator[Frame]:
        if self._pixels is None:
            yield from (Frame(index, None) for index in range(1, self.seqinfo.seq_length + 1))
            return
        count = 0
        with contextlib.closing(iter(self._pixels)) as frames:
            for count, frame in enumerate(itertools.islice(frames, self.seqinfo.seq_length), start=1):
                yield frame
        if count < self.seqinfo.seq_length:
            raise ValueError(f"{self.frames_from}: has {count} frames but {self.path / 'seqinfo.ini'} says "
                             f"seqLength={self.seqinfo.seq_length}")


def open_source(source: Any, max_frames: int | None = None) -> FrameSource:
    """The frame source for a path or iterable.

    Args:
        source: a `FrameSource` (returned as is); a path to a MOTChallenge sequence folder (has
            ``seqinfo.ini``), an image folder or a video file; or an iterable of BGR images.
        max_frames: stop after this many frames.

    Raises:
        FileNotFoundError: a path that does not exist.
        ValueError: unreadable video, folder without images, bad ``max_frames``.
        TypeError: anything else.

    Example:
        >>> for frame in open_source("MOT15/train/TUD-Campus/TUD-Campus.mp4", max_frames=2):  # doctest: +SKIP
        ...     print(frame.index, frame.image.shape)
        1 (480, 640, 3)
        2 (480, 640, 3)
    """
    if isinstance(source, FrameSource):
        return source.limit(max_frames)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"source not found: {path}")
        if path.is_dir():
            opened = MotSequenceSource(path) if (path / "seqinfo.ini").is_file() else ImageFolderSource(path)
        else:
            opened = VideoSource(path)
        return opened.limit(max_frames)
    if isinstance(source, Iterable):
        return ArraySource(source).limit(max_frames)
    raise TypeError(f"cannot read frames from {type(source).__name__}; pass a path, a FrameSource or an iterable of images")
