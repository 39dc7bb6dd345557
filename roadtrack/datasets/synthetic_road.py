"""Schema-exact synthetic ROAD and ROAD-Waymo annotation files, for tests and demos.

`synthetic_road` builds a small scene model (videos, agents moving along straight lines, per-frame
action and location labels) and `SyntheticRoad.to_json` serialises it exactly as the real annotation
files are laid out (``shared/specs/road.md`` §2). Every quirk the loaders must survive is present in the
default output; `SyntheticRoad.quirks` says where, so tests can check each one:

======================  ==========================================================================
quirk                   what the file contains
======================  ==========================================================================
``all_list_ids``        ids index the ``all_*`` lists, which are shuffled supersets of the used lists
``unused_ids``          boxes whose ids name unused classes (ROAD: action ``Rev``; ROAD-Waymo: agent
                        ``OthTL``) and composite names outside the used lists
``string_frame_keys``   1-based string frame keys, stored in string order (``'1', '10', '11', '2'``)
``unannotated_frames``  frames with ``annotated: 0`` (and no boxes)
``frames_without_annos``  annotated frames with no ``annos`` key, or ``annos: {}``
``clamped_boxes``       normalised coordinates in (1, 1.01], which loaders clamp to 1
``multiple_split_ids``  videos listed in several splits
``tube_gaps``           an agent occluded for some frames: its tubes skip those frames
``frames_only_tube``    a ``loc`` tube that lists ``frames`` instead of ``annos``
``multi_label``         boxes with two actions and two locations
``empty_id_lists``      boxes with empty ``loc_ids`` / ``duplex_ids`` / ``triplet_ids``
``unsorted_tube_annos``  a tube whose ``annos`` are stored in decreasing frame order
``video_without_tubes``  a video with no boxes and empty ``*_tubes``
======================  ==========================================================================

Example:
    >>> road = synthetic_road("road_waymo", seed=0)
    >>> path = road.write(tmp_path / "road_waymo_trainval_v1.0.json")    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from roadtrack.core.labels import LABEL_TYPES, ORIGINAL_SIZES, LabelSet, label_set
from roadtrack.io.atomic import atomic_write

_UNUSED_BASE = {"road": {"action": ("MovLft", "MovRht", "Rev")}, "road_waymo": {"agent": ("OthTL",)}}
_ROAD_SPLITS = (("train_1", "train_2", "val_3"), ("val_1", "train_2", "train_3"),
                ("train_1", "val_2", "train_3"), ("test",))
_NO_LOC_AGENTS = ("TL", "OthTL")


@dataclasses.dataclass
class SyntheticAgent:
    """One agent (one agent tube).

    Attributes:
        uid: agent tube id (also each box's ``tube_uid``).
        agent: agent class name (possibly unused, e.g. ``'OthTL'`` in ROAD-Waymo).
        frames: (T,) int64 1-based frames where the agent is visible, increasing; gaps are occlusions.
        boxes: (T, 4) float64 normalised xyxy (may exceed 1 by up to 0.01).
        actions: per visible frame, the action names (one or more).
        locs: per visible frame, the location names (possibly none).
    """

    uid: str
    agent: str
    frames: np.ndarray
    boxes: np.ndarray
    actions: list[tuple[str, ...]]
    locs: list[tuple[str, ...]]

    def labels(self, label_type: str, i: int) -> tuple[str, ...]:
        """Names of ``label_type`` on the agent's i-th visible frame."""
        if label_type == "agent":
            return (self.agent,)
        if label_type == "action":
            return self.actions[i]
        if label_type == "loc":
            return self.locs[i]
        if label_type == "duplex":
            return tuple(f"{self.agent}-{a}" for a in self.actions[i])
        return tuple(f"{self.agent}-{a}-{l}" for a in self.actions[i] for l in self.locs[i])


@dataclasses.dataclass
class SyntheticVideo:
    """One video: frame flags, AV actions and agents.

    Attributes:
        name: ``db`` key.
        split_ids: splits the video belongs to.
        numf: number of frames; frames are 1..numf.
        width, height: frame size in pixels.
        annotated: (numf,) bool per frame (index n-1 for frame n).
        av_actions: per frame, AV action names.
        agents: the agents.
        empty_annos_frames: annotated frames without boxes written as ``annos: {}`` (others omit the key).
    """

    name: str
    split_ids: tuple[str, ...]
    numf: int
    width: int
    height: int
    annotated: np.ndarray
    av_actions: list[tuple[str, ...]]
    agents: list[SyntheticAgent]
    empty_annos_frames: tuple[int, ...] = ()


@dataclasses.dataclass
class SyntheticRoad:
    """A synthetic annotation file: scene model plus the JSON label lists.

    Attributes:
        dataset: ``"road"`` or ``"road_waymo"``.
        labels: the used lists written to the file.
        all_labels: label type (and ``"av_action"``) -> the ``all_`` list written to the file.
        videos: the videos, in file order.
        quirks: quirk name -> where it occurs (see the module docstring). Serialisation reads only
            ``unsorted_tube_annos`` and ``frames_only_tube`` (``(video, agent uid)``; absent or None: none).
    """

    dataset: str
    labels: LabelSet
    all_labels: dict[str, list[str]]
    videos: list[SyntheticVideo]
    quirks: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The annotation document, laid out like ``road_trainval_v1.0.json``."""
        return _to_json(self)

    def write(self, path: str | os.PathLike) -> Path:
        """Write `to_json` to ``path`` atomically; returns the path."""
        with atomic_write(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f)
        return Path(path)


def synthetic_road(dataset: str = "road", seed: int = 0, num_videos: int = 4, num_frames: int = 24,
                   agents_per_video: int = 4) -> SyntheticRoad:
    """Build a synthetic ROAD (``"road"``) or ROAD-Waymo (``"road_waymo"``) annotation set.

    Args:
        dataset: which dataset's label lists, frame size, names and id styles to imitate.
        seed: seeds everything; equal arguments give equal files.
        num_videos: at least 2 (the last video is the one without tubes).
        num_frames: frames per video, at least 12.
        agents_per_video: agents in each video but the last, at least 4.

    Returns:
        The scene model; `SyntheticRoad.to_json` / `SyntheticRoad.write` give the file.
    """
    if num_videos < 2 or num_frames < 12 or agents_per_video < 4:
        raise ValueError("need num_videos >= 2, num_frames >= 12 and agents_per_video >= 4")
    labels = label_set(dataset)
    rng = np.random.default_rng(seed)
    waymo = labels.name == "road_waymo"
    width, height = ORIGINAL_SIZES[labels.name]
    videos = []
    for v in range(num_videos):
        if waymo:
            name = f"train_{v:05d}"
            splits = ("all", "train") if v < (num_videos + 1) // 2 else ("all", "val")
        else:
            name = f"2014-06-{25 + v // 10:02d}-16-45-{34 + v % 10:02d}_stereo_centre_0{1 + v % 9}"
            splits = _ROAD_SPLITS[v % len(_ROAD_SPLITS)]
        annotated = np.ones(num_frames, bool)
        annotated[:2] = annotated[-1:] = False  # unannotated head and tail
        av = [(labels.av_action[int(rng.integers(len(labels.av_action)))],) for _ in range(num_frames)]
        last = v == num_videos - 1
        agents = [] if last else [_agent(labels, rng, v, k, num_frames) for k in range(agents_per_video)]
        empty = (int(np.flatnonzero(annotated)[0]) + 1,) if last else ()
        videos.append(SyntheticVideo(name, splits, num_frames, width, height, annotated, av, agents, empty))
    _plant_quirks(labels, videos, rng)
    all_labels = _all_lists(labels, videos, rng)
    first = videos[0]
    quirks = {
        "all_list_ids": True, "string_frame_keys": True, "multiple_split_ids": [v.name for v in videos],
        "unused_ids": (first.name, first.agents[3].uid),
        "unannotated_frames": {v.name: [int(i) + 1 for i in np.flatnonzero(~v.annotated)] for v in videos},
        "frames_without_annos": (videos[-1].name, list(range(3, num_frames))),
        "clamped_boxes": (first.name, first.agents[0].uid),
        "tube_gaps": (first.name, first.agents[1].uid, [6, 7]),
        "frames_only_tube": (first.name, first.agents[0].uid),
        "multi_label": (first.name, first.agents[1].uid),
        "empty_id_lists": (first.name, first.agents[2].uid),
        "unsorted_tube_annos": (first.name, first.agents[0].uid),
        "video_without_tubes": videos[-1].name,
    }
    return SyntheticRoad(labels.name, labels, all_labels, videos, quirks)


def _uid(rng: np.random.Generator, waymo: bool, video: int, k: int) -> str:
    if waymo:
        return str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63)), version=4))
    return f"{int(rng.integers(0, 16**8)):08x}-{video + 1:03d}-{k + 1:02d}"


def _agent(labels: LabelSet, rng: np.random.Generator, v: int, k: int, numf: int) -> SyntheticAgent:
    """An agent visible on annotated frames 3..numf-1, moving linearly, whose labels form used triplets."""
    frames = np.arange(3, numf, dtype=np.int64)
    t = (frames - frames[0]) / max(1, frames[-1] - frames[0])
    size = rng.uniform(0.08, 0.25, 2)
    start, end = rng.uniform(0.0, 1.0 - size, (2, 2))
    xy = start + np.outer(t, end - start)
    boxes = np.round(np.concatenate([xy, xy + size], axis=1), 6)
    first = labels.triplet[int(rng.integers(len(labels.triplet)))].split("-")
    # The action changes half-way (two action tubes), to another used triplet of the same agent if there is one.
    same_agent = [n.split("-") for n in labels.triplet if n.startswith(first[0] + "-")]
    others = [n for n in same_agent if n[1] != first[1]]
    second = others[int(rng.integers(len(others)))] if others else [first[0], _other(labels.action, first[1]), first[2]]
    switch = len(frames) // 2
    agent = first[0]
    actions = [(first[1],) if i < switch else (second[1],) for i in range(len(frames))]
    locs = [(first[2],) if i < switch else (second[2],) for i in range(len(frames))]
    return SyntheticAgent(_uid(rng, labels.name == "road_waymo", v, k), agent, frames, boxes, actions, locs)


def _other(names: tuple[str, ...], name: str) -> str:
    return next(n for n in names if n != name)


def _plant_quirks(labels: LabelSet, videos: list[SyntheticVideo], rng: np.random.Generator) -> None:
    """Edit the first video's agents so that each box-level quirk occurs at a known place."""
    a0, a1, a2, a3 = videos[0].agents[:4]
    a0.boxes[-1, 2] = 1.005  # clamped_boxes: last box just over the right edge
    a0.boxes[-1, 0] = min(a0.boxes[-1, 0], 0.9)
    keep = ~np.isin(a1.frames, [6, 7])  # tube_gaps: occluded on frames 6 and 7
    a1.frames, a1.boxes = a1.frames[keep], a1.boxes[keep]
    a1.actions = [a for a, k in zip(a1.actions, keep) if k]
    a1.locs = [l for l, k in zip(a1.locs, keep) if k]
    extra_action = next(a for a in labels.action if a not in a1.actions[0])
    extra_loc = next(l for l in labels.loc if l not in a1.locs[0])
    for i in range(2, 6):  # multi_label: two actions and two locations on four frames
        a1.actions[i] = (*a1.actions[i], extra_action)
        a1.locs[i] = (*a1.locs[i], extra_loc)
    a2.locs = [() for _ in a2.locs]  # empty_id_lists: no location, hence no triplet
    if labels.name == "road_waymo":  # unused_ids
        a3.agent = "OthTL"
    else:
        a3.actions = [("Rev",) for _ in a3.actions]


def _all_lists(labels: LabelSet, videos: list[SyntheticVideo], rng: np.random.Generator) -> dict[str, list[str]]:
    """Shuffled supersets of the used lists containing every name that occurs, plus decoys."""
    occurring: dict[str, set[str]] = {t: set() for t in LABEL_TYPES}
    for agent in (a for v in videos for a in v.agents):
        for t in LABEL_TYPES:
            for i in range(len(agent.frames)):
                occurring[t].update(agent.labels(t, i))
    out = {}
    for t in LABEL_TYPES:
        names = set(labels[t]) | occurring[t] | set(_UNUSED_BASE[labels.name].get(t, ()))
        if t in ("duplex", "triplet"):  # decoy composites, as the real supersets are much larger
            parts = [labels.agent, labels.action] + ([labels.loc] if t == "triplet" else [])
            decoys = ("-".join(p) for p in itertools.product(*parts))
            names |= set(itertools.islice((d for d in decoys if d not in names), 40))
        out[t] = [str(n) for n in rng.permutation(sorted(names))]
    out["av_action"] = list(labels.av_action)
    return out


def _to_json(road: SyntheticRoad) -> dict[str, Any]:
    labels, all_labels = road.labels, road.all_labels
    index = {t: {n: i for i, n in enumerate(all_labels[t])} for t in all_labels}
    waymo = road.dataset == "road_waymo"
    doc: dict[str, Any] = {
        "all_input_labels": [n for t in LABEL_TYPES for n in all_labels[t]],
        "all_av_action_labels": all_labels["av_action"], "av_action_labels": list(labels.av_action),
        **{f"{t}_labels": list(labels[t]) for t in LABEL_TYPES},
        **{f"all_{t}_labels": all_labels[t] for t in LABEL_TYPES},
        "duplex_childs": [list(c) for c in labels.children("duplex")],
        "triplet_childs": [list(c) for c in labels.children("triplet")],
        "label_types": list(LABEL_TYPES), "db": {},
    }
    if waymo:
        doc["old_loc_labels"] = list(labels.loc)
    box_counter = itertools.count(1 if waymo else 19111)
    for video in road.videos:
        frames: dict[str, dict[str, Any]] = {}
        for n in sorted(range(1, video.numf + 1), key=str):  # string order, as JSON dumps of dicts often are
            frames[str(n)] = {
                "annotated": int(video.annotated[n - 1]), "rgb_image_id": f"{n:05d}" if waymo else n,
                "input_image_id": f"{n:05d}" if waymo else n, "width": video.width, "height": video.height,
                "av_action_ids": [index["av_action"][a] for a in video.av_actions[n - 1]],
            }
            if n in video.empty_annos_frames:
                frames[str(n)]["annos"] = {}
        tubes: dict[str, dict[str, Any]] = {f"{t}_tubes": {} for t in LABEL_TYPES}
        for agent in video.agents:
            keys = []
            for i, n in enumerate(agent.frames.tolist()):
                key = f"b_{next(box_counter)}" if waymo else f"b{next(box_counter)}"
                keys.append(key)
                frames[str(n)].setdefault("annos", {})[key] = {
                    "box": [float(x) for x in agent.boxes[i]], "tube_uid": agent.uid,
                    **{f"{t}_ids": [index[t][name] for name in agent.labels(t, i)] for t in LABEL_TYPES},
                }
            _add_tubes(tubes, agent, keys, index, road.quirks, video.name)
        doc["db"][video.name] = {"split_ids": list(video.split_ids), "numf": video.numf, "frames": frames,
                                 **tubes, "av_action_tubes": {}}
    return doc


def _add_tubes(tubes: dict, agent: SyntheticAgent, keys: list[str], index: dict, quirks: dict, video: str) -> None:
    """One tube per run of consecutive visible frames of the agent carrying one class (gaps do not split)."""
    frames_only_done = False
    for t in LABEL_TYPES:
        present = [set(agent.labels(t, i)) for i in range(len(keys))]
        for name in sorted(set().union(*present)):
            on = np.array([name in p for p in present])
            starts = np.flatnonzero(on & ~np.r_[False, on[:-1]])
            ends = np.flatnonzero(on & ~np.r_[on[1:], False])
            for seg, (a, b) in enumerate(zip(starts, ends)):
                uid = agent.uid if t == "agent" else f"{agent.uid}-{t}-{name}-{seg}"
                annos = {str(agent.frames[i]): keys[i] for i in range(a, b + 1)}
                if t == "agent" and (video, agent.uid) == quirks.get("unsorted_tube_annos"):
                    annos = dict(reversed(list(annos.items())))
                tube: dict[str, Any] = {"label_id": index[t][name], "annos": annos}
                if t == "loc" and (video, agent.uid) == quirks.get("frames_only_tube") and not frames_only_done:
                    tube = {"label_id": index[t][name], "frames": [int(f) for f in annos]}
                    frames_only_done = True
                tubes[f"{t}_tubes"][uid] = tube
