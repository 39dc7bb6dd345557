"""Mapping detector classes to ROAD agent classes, and the per-frame agent scores of a tube."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from roadtrack.core.labels import LabelSet

COCO_TO_AGENT: Mapping[str, str] = {
    "person": "Ped", "bicycle": "Cyc", "car": "Car", "motorcycle": "Mobike", "bus": "Bus", "truck": "LarVeh",
    "traffic light": "TL",
}
"""COCO detector class names -> ROAD agent names (a COCO ``truck`` is taken as a large vehicle)."""


def agent_class_map(class_names: Mapping[int, str] | None, label_set: LabelSet) -> np.ndarray | None:
    """Detector class id -> agent index of ``label_set`` (-1: not an agent), from the class names.

    Names that are agent names (``"Car"``) map to themselves, COCO names through `COCO_TO_AGENT`; anything
    else maps to -1.

    Args:
        class_names: the detector's ``class_names`` (id -> name); None means the detector's class ids already
            are agent indices.
        label_set: whose agent list to index.

    Returns:
        (max id + 1,) int64 lookup table, or None for the identity.

    Example:
        >>> from roadtrack.core.labels import ROAD
        >>> agent_class_map({0: "person", 2: "car", 5: "bus"}, ROAD).tolist()
        [0, -1, 1, -1, -1, 6]
    """
    if class_names is None:
        return None
    table = np.full(max(class_names, default=-1) + 1, -1, np.int64)
    for cid, name in class_names.items():
        agent = name if name in label_set.agent else COCO_TO_AGENT.get(str(name).lower())
        if agent in label_set.agent:
            table[int(cid)] = label_set.agent.index(agent)
    return table


def agent_of(class_id: int, class_map: np.ndarray | None) -> int:
    """Agent index of one detector class id (-1: not an agent)."""
    if class_map is None:
        return int(class_id)
    return int(class_map[class_id]) if 0 <= class_id < len(class_map) else -1


def agent_name(tube, class_map: np.ndarray | None, label_set: LabelSet) -> str:
    """Agent name of a clean tube (its first frame's class), ``""`` when not an agent class."""
    agent = agent_of(int(tube.class_ids[0]), class_map)
    return label_set.agent[agent] if 0 <= agent < len(label_set.agent) else ""
