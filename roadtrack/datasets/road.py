"""Load ROAD and ROAD-Waymo annotation files (``road_trainval_v1.0.json``, ``road_waymo_trainval_v1.0.json``).

What the loader takes care of (see ``shared/specs/road.md`` §2):

* per-box ids (``agent_ids``, ...) and tube ``label_id`` index the ``all_<type>_labels`` lists; they are
  mapped to the used lists of a `LabelSet` *by name*, and ids whose name is not used are dropped;
* frame keys are 1-based strings in any order; frame ``n`` is the image ``{n:05d}.jpg``;
* only frames with ``annotated > 0`` are evaluated; an annotated frame may have no ``annos`` at all;
* boxes are normalised ``[x1, y1, x2, y2]``; values must lie in [0, 1.01] and are clamped to [0, 1];
* a video may belong to several splits (``split_ids``);
* ground-truth tubes may skip frames; a tube may list ``frames`` instead of ``annos`` (no boxes then).

Example:
    >>> ann = load_road("road_waymo_trainval_v1.0.json")          # doctest: +SKIP
    >>> [v.name for v in ann.subset("val")][:2]                    # doctest: +SKIP
    ['train_00600', 'train_00601']
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from roadtrack.core.labels import LABEL_TYPES, ORIGINAL_SIZES, ROAD, ROAD_WAYMO, LabelSet, label_set

BOX_TOLERANCE = 1.01  # the official loaders accept normalised coordinates up to 1.01, then clamp to 1


def image_name(frame: int) -> str:
    """File name of 1-based frame ``frame`` as extracted by ``ffmpeg ... %05d.jpg``: 7 -> ``'00007.jpg'``."""
    if int(frame) < 1:
        raise ValueError(f"frame numbers are 1-based, got {frame}")
    return f"{int(frame):05d}.jpg"


@dataclasses.dataclass(frozen=True, eq=False)
class LabelPairs:
    """Sparse multi-label assignment: ``ids[k]`` is a used class id of box (or frame) ``rows[k]``.

    Attributes:
        rows: (M,) int64 row into the video's boxes (or frames, for AV actions).
        ids: (M,) int64 class index into the used list.
    """

    rows: np.ndarray
    ids: np.ndarray

    def matrix(self, num_rows: int, num_classes: int) -> np.ndarray:
        """(num_rows, num_classes) bool: entry [r, c] is True when row r carries class c."""
        out = np.zeros((num_rows, num_classes), bool)
        out[self.rows, self.ids] = True
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class RoadTube:
    """A ground-truth tube of one label type.

    Attributes:
        uid: the tube's key in ``<type>_tubes``.
        label_id: class index into the used list of the tube's label type.
        frames: (T,) int64 1-based frame numbers, increasing; gaps are occlusions.
        boxes: (T, 4) float64 normalised xyxy, clamped to [0, 1]; NaN rows for a tube given by ``frames`` only.
    """

    uid: str
    label_id: int
    frames: np.ndarray
    boxes: np.ndarray

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @property
    def has_boxes(self) -> bool:
        return bool(np.all(np.isfinite(self.boxes)))


@dataclasses.dataclass(frozen=True, eq=False)
class RoadVideo:
    """One video's annotations.

    Attributes:
        name: the ``db`` key, e.g. ``'train_00600'``.
        split_ids: splits the video belongs to, e.g. ``('all', 'val')`` or ``('train_1', 'val_3')``.
        numf: number of frames of the video.
        width, height: frame size in pixels.
        frames: (F,) int64 1-based frame numbers present in the file, increasing.
        annotated: (F,) bool, the ``annotated > 0`` flag of each frame.
        av_actions: AV-action ids per frame (``rows`` index ``frames``).
        box_frames: (B,) int64 frame number of each box, increasing.
        boxes: (B, 4) float64 normalised xyxy, clamped to [0, 1].
        box_keys: (B,) annotation keys (``'b19111'``, ``'b_1'``...).
        box_tube_uids: (B,) agent tube id of each box.
        box_labels: label type -> used class ids of each box (`LabelPairs`, ``rows`` index ``boxes``).
        tubes: label type -> ground-truth tubes whose label is used.
    """

    name: str
    split_ids: tuple[str, ...]
    numf: int
    width: int
    height: int
    frames: np.ndarray
    annotated: np.ndarray
    av_actions: LabelPairs
    box_frames: np.ndarray
    boxes: np.ndarray
    box_keys: tuple[str, ...]
    box_tube_uids: tuple[str, ...]
    box_labels: Mapping[str, LabelPairs]
    tubes: Mapping[str, tuple[RoadTube, ...]]

    @property
    def annotated_frames(self) -> np.ndarray:
        """(A,) int64 numbers of the frames with ``annotated > 0``: the frames evaluation uses."""
        return self.frames[self.annotated]

    def frame_boxes(self, frame: int) -> np.ndarray:
        """(N,) int64 rows of ``boxes`` on ``frame``."""
        lo, hi = np.searchsorted(self.box_frames, [frame, frame + 1])
        return np.arange(lo, hi)

    def image_path(self, root: str | os.PathLike, frame: int) -> Path:
        """``root/rgb-images/<name>/{frame:05d}.jpg``, the layout of the dataset's frame extraction."""
        return Path(root) / "rgb-images" / self.name / image_name(frame)

    def pixel_boxes(self, size: tuple[float, float] | None = None) -> np.ndarray:
        """(B, 4) boxes in pixels of ``size`` = (width, height); default: the video's own frame size."""
        w, h = size if size is not None else (self.width, self.height)
        return self.boxes * np.array([w, h, w, h], np.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class RoadAnnotations:
    """A loaded annotation file.

    Attributes:
        source: the file (or a description of the dict) it was read from.
        dataset: ``"road"`` or ``"road_waymo"``, detected from the file.
        labels: the used lists class ids refer to (ROAD-Waymo's for both datasets in ROAD++ mode).
        all_labels: label type (and ``"av_action"``) -> the file's ``all_<type>_labels``.
        videos: name -> `RoadVideo`, in file order.
    """

    source: str
    dataset: str
    labels: LabelSet
    all_labels: Mapping[str, tuple[str, ...]]
    videos: Mapping[str, RoadVideo]

    @property
    def split_ids(self) -> list[str]:
        return sorted({s for v in self.videos.values() for s in v.split_ids})

    def subset(self, *splits: str) -> list[RoadVideo]:
        """Videos whose ``split_ids`` contain any of ``splits``, in file order (the official membership test)."""
        chosen = [v for v in self.videos.values() if any(s in v.split_ids for s in splits)]
        if not chosen:
            raise ValueError(f"{self.source}: no video belongs to split {list(splits)}; "
                             f"split ids in the file: {self.split_ids}")
        return chosen


def load_road(path: str | os.PathLike, labels: str | LabelSet | None = None) -> RoadAnnotations:
    """Read a ROAD or ROAD-Waymo annotation JSON.

    Args:
        path: the ``.json`` file.
        labels: used lists to map to (``"road"``, ``"road_waymo"``, ``"roadpp"`` or a `LabelSet`); default:
            those of the dataset the file is detected as.

    Returns:
        The annotations; class ids index ``labels``.

    Raises:
        ValueError: unreadable JSON or a schema violation, naming the file, video, frame and box.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    return parse_road(data, labels=labels, source=str(path))


def detect_dataset(data: Mapping[str, Any]) -> str:
    """``"road"`` or ``"road_waymo"`` from the used agent list (or, failing that, ROAD-Waymo's extra keys)."""
    agents = tuple(data.get("agent_labels", ()))
    if agents == ROAD_WAYMO.agent or "old_loc_labels" in data or "SmalVeh" in data.get("all_agent_labels", ()):
        return "road_waymo"
    if agents == ROAD.agent or "OthTL" in agents:
        return "road"
    raise ValueError(f"cannot tell ROAD from ROAD-Waymo by agent_labels {list(agents)}; pass labels=")


def parse_road(data: Mapping[str, Any], labels: str | LabelSet | None = None,
               source: str = "<dict>") -> RoadAnnotations:
    """Like `load_road`, for an already decoded JSON document; ``source`` names it in error messages."""
    missing = [k for k in ("db", *(f"all_{t}_labels" for t in LABEL_TYPES)) if k not in data]
    if missing:
        raise ValueError(f"{source}: not a ROAD annotation file: missing keys {missing}")
    try:
        dataset = detect_dataset(data)
    except ValueError as exc:
        if labels is None:
            raise ValueError(f"{source}: {exc}") from None
        dataset = label_set(labels).name
    used = label_set(labels if labels is not None else dataset)
    all_labels = {t: tuple(data[f"all_{t}_labels"]) for t in LABEL_TYPES}
    all_labels["av_action"] = tuple(data.get("all_av_action_labels", ()))
    maps = {t: _name_map(all_labels[t], used[t]) for t in all_labels}
    videos = {name: _parse_video(name, v, maps, dataset, f"{source}: video {name!r}") for name, v in data["db"].items()}
    return RoadAnnotations(source, dataset, used, all_labels, videos)


def _name_map(all_names: tuple[str, ...], used: tuple[str, ...]) -> np.ndarray:
    """(len(all_names),) int64: used index of each ``all_`` entry, -1 when the name is not used."""
    index = {n: i for i, n in enumerate(used)}
    return np.array([index.get(n, -1) for n in all_names], np.int64)


def _map_ids(rows: list[int], ids: list[int], table: np.ndarray, what: str, where) -> LabelPairs:
    rows_a, ids_a = np.asarray(rows, np.int64), np.asarray(ids)
    if ids_a.size and ids_a.dtype.kind not in "iu":
        k = next((i for i, x in enumerate(ids) if not isinstance(x, int) or isinstance(x, bool)), 0)
        raise ValueError(f"{where(int(rows_a[k]))}: {what} ids must be integers, got {ids[k]!r}")
    ids_a = ids_a.astype(np.int64)
    bad = (ids_a < 0) | (ids_a >= len(table))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{where(int(rows_a[k]))}: {what} id {int(ids_a[k])} is outside all_{what}_labels "
                         f"(length {len(table)})")
    mapped = table[ids_a]
    keep = mapped >= 0
    pairs = np.unique(np.stack([rows_a[keep], mapped[keep]], axis=1), axis=0)  # a duplicated id counts once
    return LabelPairs(pairs[:, 0].copy(), pairs[:, 1].copy())


def _boxes(raw: list[Any], where) -> np.ndarray:
    """(B, 4) float64 normalised boxes, checked as the official loaders assert, then clamped to [0, 1].

    Checked all at once; ``where(row)`` names the first offending box in the error.
    """
    try:
        arr = np.asarray(raw, np.float64).reshape(-1, 4)
        shaped = arr.shape[0] == len(raw)
    except (TypeError, ValueError):
        shaped = False
    if not shaped:
        bad = next((i for i, b in enumerate(raw) if not _is_box(b)), 0)
        raise ValueError(f"{where(bad)}: box must be 4 finite numbers, got {raw[bad]!r}")
    checks = (
        (~np.isfinite(arr).all(axis=1), "box must be 4 finite numbers, got {}"),
        ((arr < 0).any(axis=1) | (arr > BOX_TOLERANCE).any(axis=1),
         f"normalised box {{}} outside [0, {BOX_TOLERANCE}]"),
        ((arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1]), "box {} has x2 < x1 or y2 < y1"),
    )
    for bad, message in checks:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{where(row)}: " + message.format(arr[row].tolist()))
    return np.clip(arr, 0.0, 1.0)


def _is_box(value: Any) -> bool:
    try:
        return len(value) == 4 and all(isinstance(v, (int, float)) for v in value)
    except TypeError:
        return False


def _parse_video(name: str, video: Mapping[str, Any], maps: Mapping[str, np.ndarray], dataset: str,
                 where: str) -> RoadVideo:
    frames_in = video.get("frames", {})
    try:
        keys = sorted(frames_in, key=int)
    except ValueError as exc:
        raise ValueError(f"{where}: frame keys must be integers as strings: {exc}") from exc
    if keys and int(keys[0]) < 1:
        raise ValueError(f"{where}: frame keys are 1-based, got {keys[0]!r}")
    width, height = ORIGINAL_SIZES[dataset]
    sizes = {(f["width"], f["height"]) for f in frames_in.values() if "width" in f and "height" in f}
    if len(sizes) > 1:
        raise ValueError(f"{where}: frames disagree on the image size: {sorted(sizes)}")
    if sizes:
        width, height = (int(v) for v in sizes.pop())
    annotated = np.array([int(frames_in[k].get("annotated", 0)) > 0 for k in keys], bool)
    av_rows: list[int] = []
    av_ids: list[int] = []
    box_frames: list[int] = []
    boxes: list[Any] = []
    row_of: dict[tuple[str, str], int] = {}
    box_keys: list[str] = []
    tube_uids: list[str] = []
    label_rows: dict[str, list[int]] = {t: [] for t in LABEL_TYPES}
    label_ids: dict[str, list[int]] = {t: [] for t in LABEL_TYPES}
    id_keys = [(t, f"{t}_ids") for t in LABEL_TYPES]
    for i, key in enumerate(keys):
        frame = frames_in[key]
        for a in frame.get("av_action_ids", ()):
            av_rows.append(i)
            av_ids.append(int(a))
        for anno_key, anno in (frame.get("annos") or {}).items():
            row = len(boxes)
            row_of[key, anno_key] = row
            boxes.append(anno.get("box"))
            box_frames.append(int(key))
            box_keys.append(anno_key)
            tube_uids.append(str(anno.get("tube_uid", "")))
            for t, ids_key in id_keys:
                ids = anno.get(ids_key)
                if ids:
                    label_rows[t].extend([row] * len(ids))
                    label_ids[t].extend(ids)
    box_where = lambda row: f"{where}, frame {str(box_frames[row])!r}, box {box_keys[row]!r}"  # noqa: E731
    frame_where = lambda row: f"{where}, frame {keys[row]!r}"  # noqa: E731
    box_labels = {t: _map_ids(label_rows[t], label_ids[t], maps[t], t, box_where) for t in LABEL_TYPES}
    boxes_a = _boxes(boxes, box_where)
    tubes = {t: _parse_tubes(video, t, row_of, boxes_a, maps[t], f"{where}, {t}_tubes") for t in LABEL_TYPES}
    return RoadVideo(
        name=name, split_ids=tuple(video.get("split_ids", ())), numf=int(video.get("numf", len(keys))),
        width=width, height=height, frames=np.array([int(k) for k in keys], np.int64), annotated=annotated,
        av_actions=_map_ids(av_rows, av_ids, maps["av_action"], "av_action", frame_where),
        box_frames=np.asarray(box_frames, np.int64), boxes=boxes_a, box_keys=tuple(box_keys),
        box_tube_uids=tuple(tube_uids), box_labels=box_labels, tubes=tubes,
    )


def _parse_tubes(video: Mapping[str, Any], label_type: str, row_of: Mapping[tuple[str, str], int],
                 boxes: np.ndarray, table: np.ndarray, where: str) -> tuple[RoadTube, ...]:
    out = []
    for uid, tube in (video.get(f"{label_type}_tubes") or {}).items():
        label = int(tube["label_id"])
        if not 0 <= label < len(table):
            raise ValueError(f"{where}, tube {uid!r}: label_id {label} is outside all_{label_type}_labels "
                             f"(length {len(table)})")
        if table[label] < 0:
            continue  # not a used class
        if "annos" in tube:
            frames, rows = [], []
            for fn, anno_key in tube["annos"].items():
                row = row_of.get((fn, anno_key))
                if row is None:
                    raise ValueError(f"{where}, tube {uid!r}: frame {fn!r} has no box {anno_key!r}")
                frames.append(int(fn))
                rows.append(row)
            boxes_a = boxes[np.asarray(rows, np.int64)]
        else:  # the loaders' fallback: frame numbers without boxes
            frames = [int(fn) for fn in tube.get("frames", ())]
            boxes_a = np.full((len(frames), 4), np.nan)
        frames_a = np.asarray(frames, np.int64)
        order = np.argsort(frames_a, kind="stable")
        out.append(RoadTube(str(uid), int(table[label]), frames_a[order], boxes_a[order]))
    return tuple(out)
