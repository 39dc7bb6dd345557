"""What a dataset run processes: one `Source` per video or sequence, found in the layouts datasets ship in.

`discover` turns command-line paths into sources:

- a video file, an image folder or a MOTChallenge sequence folder (has ``seqinfo.ini``): one source;
- a MOTChallenge split (a folder of sequence folders, e.g. ``MOT15/train``): one source per sequence, with its
  ``det/det.txt`` when tracking from precomputed detections;
- KITTI tracking (``training/`` holding ``image_02/<seq>/``): one source per image folder; without images
  (``label_02/<seq>.txt`` only) one pixel-less source per sequence, which needs precomputed detections;
- a folder of videos (ROAD / ROAD-Waymo ``videos/``, a dash-cam dump): one source per video; with the
  dataset's annotation JSON and a split, only the split's videos;
- several of the above: their sources in the order given.

Sources are plain data (they cross process boundaries); `open_frames` opens one in a worker.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Iterator, Sequence

from roadtrack.io.frames import IMAGE_SUFFIXES, VIDEO_SUFFIXES, Frame, FrameSource
from roadtrack.io.sources import open_source


@dataclasses.dataclass(frozen=True)
class Source:
    """One video or sequence of a dataset run.

    Attributes:
        name: unique within the run; names the output folder ``OUT/<name>/`` and the video in merged outputs.
        path: what `roadtrack.io.open_source` reads (video, image folder, sequence folder), or for a pixel-less
            KITTI sequence its label file.
        detections: this source's precomputed detections (a file or a ROAD++ per-frame folder), or None.
        num_frames: frame count of a pixel-less source (KITTI label-only); None otherwise.
    """

    name: str
    path: str
    detections: str | None = None
    num_frames: int | None = None


class BlankFrames(FrameSource):
    """Frames 1..length without pixels: a KITTI sequence tracked from detections alone."""

    def __init__(self, name: str, length: int) -> None:
        super().__init__(name, None, None, length)
        self.frames_from = None  # no images to draw on (as a MOTChallenge sequence without img1)

    def _frames(self) -> Iterator[Frame]:
        yield from (Frame(index, None) for index in range(1, self._length + 1))


def open_frames(source: Source) -> FrameSource:
    """The frame source of ``source`` (raises as `open_source` does for a missing or unreadable file)."""
    if source.num_frames is not None:
        return BlankFrames(source.name, source.num_frames)
    opened = open_source(source.path)
    opened.name = source.name
    return opened


def discover(paths: Sequence[str | os.PathLike], detections: str | os.PathLike | None = None,
             annotations: str | os.PathLike | None = None, split: str | None = None) -> list[Source]:
    """The sources under ``paths`` (see the module docstring for the layouts).

    Args:
        paths: files and folders, in the order to run them.
        detections: a folder holding each source's precomputed detections as ``<name>.txt`` (MOTChallenge or
            KITTI rows), ``<name>/`` (the ROAD++ baseline's per-frame dump) or ``<name>/det/det.txt``; a
            source without an entry there keeps its own ``det/det.txt``, if any.
        annotations: a ROAD / ROAD-Waymo annotation JSON: keep only the videos of ``split``.
        split: the split to keep (e.g. ``val``); needs ``annotations``.

    Returns:
        The sources, names unique.

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: a folder that holds no source, a split without annotations, two sources of one name.

    Example:
        >>> [s.name for s in discover(["../shared/data/MOT15/train"])][:2]      # doctest: +SKIP
        ['ADL-Rundle-6', 'ADL-Rundle-8']
    """
    if split is not None and annotations is None:
        raise ValueError("a split needs the dataset's annotation JSON (--annotations)")
    found: list[Source] = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"source not found: {path}")
        found += _sources_in(path.resolve())  # absolute: workers (Ray actors) need not share this working folder
    if annotations is not None:
        found = _in_split(found, Path(annotations), split or "val")
    if detections is not None:
        found = [_with_detections(s, Path(detections).resolve()) for s in found]
    names = [s.name for s in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two sources named {', '.join(twice)}: outputs are per name; pass them in separate runs")
    return found


def is_dataset(path: str | os.PathLike) -> bool:
    """True for a folder of several sources (a split, a folder of videos), not one sequence or image folder."""
    path = Path(path)
    if not path.is_dir() or (path / "seqinfo.ini").is_file():
        return False
    try:
        return len(_sources_in(path)) > 1 or _kitti_root(path) is not None or not _has_images(path)
    except ValueError:
        return False


def _sources_in(path: Path) -> list[Source]:
    if path.is_file() or (path / "seqinfo.ini").is_file():
        return [Source(path.stem if path.is_file() else path.name, str(path))]
    kitti = _kitti_root(path)
    if kitti is not None:
        return _kitti_sources(kitti)
    children = sorted(path.iterdir())
    sequences = [c for c in children if (c / "seqinfo.ini").is_file()]
    if sequences:
        return [Source(c.name, str(c)) for c in sequences]
    videos = [c for c in children if c.is_file() and c.suffix.lower() in VIDEO_SUFFIXES]
    if videos:
        return [Source(c.stem, str(c)) for c in videos]
    if _has_images(path):
        return [Source(path.name, str(path))]
    raise ValueError(f"{path}: no videos, images, MOTChallenge sequences or KITTI image_02/label_02 folders in it")


def _has_images(path: Path) -> bool:
    return any(c.suffix.lower() in IMAGE_SUFFIXES for c in path.iterdir())


def _kitti_root(path: Path) -> Path | None:
    """The folder holding ``image_02`` or ``label_02`` (given it, or one of the two)."""
    if path.name in ("image_02", "label_02"):
        return path.parent
    return path if (path / "image_02").is_dir() or (path / "label_02").is_dir() else None


def _kitti_sources(root: Path) -> list[Source]:
    images = root / "image_02"
    if images.is_dir():
        return [Source(c.name, str(c)) for c in sorted(images.iterdir()) if c.is_dir()]
    lengths = _kitti_lengths(root)
    sources = []
    for label in sorted((root / "label_02").glob("*.txt")):
        length = lengths.get(label.stem) or _last_frame(label) + 1  # KITTI frames are 0-based
        sources.append(Source(label.stem, str(label), num_frames=length))
    return sources


def _kitti_lengths(root: Path) -> dict[str, int]:
    """Sequence -> frames from ``evaluate_tracking.seqmap.*`` (``0000 empty 000000 000154``: frames 0..153)."""
    lengths = {}
    for seqmap in root.glob("evaluate_tracking.seqmap*"):
        for line in seqmap.read_text().splitlines():
            fields = line.split()
            if len(fields) == 4 and fields[3].isdigit():
                lengths[fields[0]] = int(fields[3])
    return lengths


def _last_frame(label: Path) -> int:
    frames = [int(line.split(maxsplit=1)[0]) for line in label.read_text().splitlines() if line.strip()]
    return max(frames, default=0)


def _in_split(sources: list[Source], annotations: Path, split: str) -> list[Source]:
    from roadtrack.datasets.road import load_road

    wanted = [v.name for v in load_road(annotations).subset(split)]
    by_name = {s.name: s for s in sources}
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise ValueError(f"{len(missing)} video(s) of split {split!r} in {annotations.name} have no file among the "
                         f"sources, e.g. {missing[0]}")
    return [by_name[name] for name in wanted]


def _with_detections(source: Source, folder: Path) -> Source:
    for candidate in (folder / f"{source.name}.txt", folder / source.name / "det" / "det.txt", folder / source.name):
        if candidate.exists():
            return dataclasses.replace(source, detections=str(candidate))
    raise FileNotFoundError(f"no detections for {source.name} in {folder} (looked for {source.name}.txt, "
                            f"{source.name}/det/det.txt and {source.name}/)")
