"""`PrecomputedDetector`: detections read from a MOTChallenge ``det.txt`` instead of computed from pixels."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.core.interfaces import Detector
from roadtrack.core.registry import register
from roadtrack.io.mot import read_mot


@register("detector", "precomputed")
class PrecomputedDetector(Detector):
    """Serves the rows of a MOTChallenge detection file frame by frame; never looks at pixels.

    Args:
        path: ``det.txt`` (``frame,-1,x,y,w,h,score,...``, 1-based frames).
        min_score: drop detections scoring below this.
        class_id: class id given to every detection (MOTChallenge detections are single-class).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed line (see `read_mot`).

    Example:
        >>> det = PrecomputedDetector("MOT15/train/PETS09-S2L1/det/det.txt")     # doctest: +SKIP
        >>> det.detect([None, None], frame_ids=[1, 2])                           # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, min_score: float | None = None, class_id: int = 0) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"detection file not found: {self.path}")
        self.class_names = {int(class_id): "person"}
        rows = read_mot(self.path, min_score=min_score, class_id=class_id)
        # Grouped once here, so each detect() call is a dictionary lookup per frame.
        self._by_frame = {frame: group.to_detections() for frame, group in rows.split_by_frame()}
        self._empty = Detections.empty()
        self._next_frame = 1

    @property
    def frame_numbers(self) -> list[int]:
        """Frames that have at least one detection, ascending."""
        return sorted(self._by_frame)

    def detect(self, frames: Sequence[np.ndarray | None], frame_ids: Sequence[int] | None = None) -> list[Detections]:
        """The file's detections for each frame.

        Args:
            frames: images or None; only their count matters.
            frame_ids: 1-based frame numbers of ``frames``. Without them, frames are numbered from an
                internal counter that starts at 1 and advances by one per frame (see `reset`).

        Returns:
            One `Detections` per frame (empty for frames without rows), in file order within a frame.
        """
        if frame_ids is None:
            frame_ids = range(self._next_frame, self._next_frame + len(frames))
        elif len(frame_ids) != len(frames):
            raise ValueError(f"got {len(frames)} frames but {len(frame_ids)} frame_ids")
        frame_ids = [int(i) for i in frame_ids]
        if frame_ids:
            self._next_frame = frame_ids[-1] + 1
        return [self._by_frame.get(i, self._empty) for i in frame_ids]

    def reset(self) -> None:
        """Number frames from 1 again."""
        self._next_frame = 1
