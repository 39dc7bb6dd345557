"""`PrecomputedDetector`: detections read from a file (MOTChallenge, KITTI or COCO-json) instead of pixels."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.core.interfaces import Detector
from roadtrack.core.registry import register
from roadtrack.detectors.detection_files import read_detections
from roadtrack.detectors.labels import ClassMapSpec, ClassSelection
from roadtrack.io.road_detections import read_road_detections
from roadtrack.io.rows import TrackRows
from roadtrack.io.sources import read_seqinfo


@register("detector", "precomputed")
class PrecomputedDetector(Detector):
    """Serves the rows of a detection file frame by frame; never looks at pixels.

    Args:
        path: the detection file; see `roadtrack.detectors.detection_files` for the formats.
        min_score: drop detections scoring below this (the confidence threshold).
        class_id: class id given to every detection of a MOTChallenge file (that format is single-class, "person").
        format: ``"mot"``, ``"kitti"``, ``"coco"``, ``"road"`` or ``"auto"`` (a folder -> ROAD; ``.json`` -> COCO;
            comma-separated -> MOT; else KITTI). ``"road"`` is the ROAD++ baseline's per-frame dump
            (`roadtrack.io.road_detections`): a video's folder of ``<frame:05d>.pkl`` files whose rows carry
            per-box agent, action and location (and duplex, triplet) scores; they become `Detections.extras`,
            ``scores`` the agentness and ``class_ids`` the best agent class. Its boxes are in pixels of an
            840 x 600 frame (ROAD: 682 x 512) and are rescaled to the size of the images passed to `detect`
            (left as they are when no image is given).
        frame_offset: added to the file's frame numbers (COCO: image ids) to get roadtrack's 1-based frame
            numbers; default 0 for MOT and COCO, 1 for KITTI (0-based frames).
        classes: None for all, or output class ids/names to keep (mapped names when ``class_map`` is set).
        class_map: map the file's classes to other labels, e.g. ``"road"`` (see `roadtrack.detectors.labels`).
        num_frames: frames in the sequence; a row after it (or before frame 1) is an error, since no frame
            would ever ask for it. Default: ``seqLength`` of the ``seqinfo.ini`` of the MOTChallenge sequence
            holding the file (``SEQ/det/det.txt``), else no upper bound.

    Attributes:
        class_names: output class id -> name (MOT: ``{class_id: "person"}``; KITTI: its types; COCO: categories).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed file or a frame outside 1..num_frames (naming the line or entry), unknown
            format, class or class map.

    Example:
        >>> det = PrecomputedDetector("MOT15/train/PETS09-S2L1/det/det.txt")     # doctest: +SKIP
        >>> det.detect([None, None], frame_ids=[1, 2])                           # doctest: +SKIP
        >>> det = PrecomputedDetector("label_02/0000.txt", class_map="road", classes=["Car"])   # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike,
        min_score: float | None = None,
        class_id: int = 0,
        format: str = "auto",
        frame_offset: int | None = None,
        classes: Sequence[int | str] | None = None,
        class_map: ClassMapSpec | None = None,
        num_frames: int | None = None,
    ) -> None:
        self.path = Path(path)
        self._road = None
        if format == "road" or (format == "auto" and self.path.is_dir()):
            self._init_road(classes, class_map, min_score)
            return
        if num_frames is None:
            num_frames = _sequence_length(self.path)
        rows, names = read_detections(self.path, format, frame_offset, class_id, num_frames)
        self._selection = ClassSelection.build(names, classes, class_map)
        self.class_names = self._selection.names
        if min_score is not None:
            rows = rows[rows.scores >= min_score]
        keep, out_ids = self._selection.map_ids(rows.class_ids)
        rows = TrackRows(rows.frames[keep], rows.ids[keep], rows.xyxy[keep], rows.scores[keep], out_ids[keep])
        # Grouped once here, so each detect() call is a dictionary lookup per frame.
        self._by_frame = {frame: group.to_detections() for frame, group in rows.split_by_frame()}
        self._empty = Detections.empty()
        self._next_frame = 1

    def _init_road(self, classes, class_map, min_score) -> None:
        self._road = read_road_detections(self.path)
        self._selection = ClassSelection.build(dict(enumerate(self._road.labels.agent)), classes, class_map)
        self.class_names = self._selection.names
        self.extra_columns = self._road.extra_columns
        by_frame = {}
        for frame, dets in self._road.frames.items():
            dets = dets[dets.scores >= min_score] if min_score is not None else dets
            by_frame[frame] = self._selection.apply(dets)
        self._by_frame = by_frame
        self._empty = self._road.empty()
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
        found = [self._by_frame.get(i, self._empty) for i in frame_ids]
        if self._road is None:
            return found
        return [_rescale(d, self._road.box_size, image) for d, image in zip(found, frames)]

    def reset(self) -> None:
        """Number frames from 1 again."""
        self._next_frame = 1


def _rescale(dets: Detections, box_size: tuple[int, int], image: np.ndarray | None) -> Detections:
    """Boxes from the file's pixel space to the image's (unchanged without an image or when they agree)."""
    if image is None or len(dets) == 0:
        return dets
    h, w = image.shape[:2]
    if (w, h) == tuple(box_size):
        return dets
    scale = np.array([w / box_size[0], h / box_size[1]] * 2)
    return dataclasses.replace(dets, xyxy=dets.xyxy * scale)


def _sequence_length(path: Path) -> int | None:
    """``seqLength`` of ``SEQ/seqinfo.ini`` for a file ``SEQ/det/<file>``, else None."""
    seqinfo = path.parent.parent / "seqinfo.ini"
    if path.parent.name != "det" or not seqinfo.is_file():
        return None
    return read_seqinfo(seqinfo).seq_length
