"""Label lists of ROAD and ROAD-Waymo (the ROAD++ data): the *used* lists, in annotation-file order.

The annotation JSON holds two lists per label type: ``all_<type>_labels`` (everything annotated) and
``<type>_labels`` (the subset the tasks use). Per-box and per-tube ids index the ``all_`` lists; a task
class id is the position of the label's *name* in the used list below. Sources: ROAD from the 3D-RetinaNet
result tables and instance counts; ROAD-Waymo from the official ROAD++ baseline's ``used_labels``.

Duplexes are ``Agent-Action`` and triplets (events) ``Agent-Action-Location``, joined with ``-``.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

LABEL_TYPES: tuple[str, ...] = ("agent", "action", "loc", "duplex", "triplet")
"""The five label types, in the order the datasets and the official evaluation use."""

EVAL_SIZES: Mapping[str, tuple[int, int]] = {"road": (682, 512), "road_waymo": (840, 600)}
"""(width, height) in pixels of the space in which the official evaluation scales ground truth."""

ORIGINAL_SIZES: Mapping[str, tuple[int, int]] = {"road": (1280, 960), "road_waymo": (1920, 1280)}
"""(width, height) in pixels of the source frames."""

FPS: Mapping[str, int] = {"road": 12, "road_waymo": 10}


def score_column(label_type: str) -> str:
    """Name of the extra column (`Detections.extras`) holding a detector's per-box scores of ``label_type``.

    Example:
        >>> score_column("action")
        'action_scores'
    """
    if label_type not in (*LABEL_TYPES, "agent_ness"):
        raise ValueError(f"unknown label type {label_type!r}; expected one of {list(LABEL_TYPES)}")
    return f"{label_type}_scores"


@dataclasses.dataclass(frozen=True)
class LabelSet:
    """The used label lists of one dataset.

    Attributes:
        name: ``"road"`` or ``"road_waymo"``.
        agent, action, loc, duplex, triplet: used class names; a class id is an index into these.
        av_action: ego-vehicle (AV) action names (frame-level labels, not part of `LABEL_TYPES`).
    """

    name: str
    agent: tuple[str, ...]
    action: tuple[str, ...]
    loc: tuple[str, ...]
    duplex: tuple[str, ...]
    triplet: tuple[str, ...]
    av_action: tuple[str, ...]

    def __getitem__(self, label_type: str) -> tuple[str, ...]:
        """Used names of ``label_type`` (one of `LABEL_TYPES` or ``"av_action"``)."""
        if label_type not in (*LABEL_TYPES, "av_action"):
            raise KeyError(f"unknown label type {label_type!r}; expected one of {(*LABEL_TYPES, 'av_action')}")
        return getattr(self, label_type)

    @property
    def counts(self) -> tuple[int, ...]:
        """Number of classes of each of `LABEL_TYPES`."""
        return tuple(len(self[t]) for t in LABEL_TYPES)

    def children(self, label_type: str) -> list[tuple[int, ...]]:
        """Component class ids of each duplex ``(agent, action)`` or triplet ``(agent, action, loc)``.

        Derived by splitting the names (the JSON's ``*_childs`` are ambiguous about which list they index).
        """
        parts = {"duplex": ("agent", "action"), "triplet": ("agent", "action", "loc")}[label_type]
        return [tuple(self[p].index(n) for p, n in zip(parts, name.split("-"))) for name in self[label_type]]


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ROAD = LabelSet(
    name="road",
    agent=_split("Ped Car Cyc Mobike MedVeh LarVeh Bus EmVeh TL OthTL"),
    action=_split("Red Amber Green MovAway MovTow Mov Brake Stop IncatLft IncatRht HazLit TurLft TurRht Ovtak "
                  "Wait2X XingFmLft XingFmRht Xing PushObj"),
    loc=_split("VehLane OutgoLane OutgoCycLane IncomLane IncomCycLane Pav LftPav RhtPav Jun xing BusStop parking"),
    duplex=_split("""
        Bus-MovAway Bus-MovTow Bus-Stop Bus-XingFmLft Car-Brake Car-IncatLft Car-IncatRht Car-MovAway Car-MovTow
        Car-Stop Car-TurLft Car-TurRht Car-XingFmLft Car-XingFmRht Cyc-MovAway Cyc-MovTow Cyc-Stop Cyc-TurLft
        Cyc-XingFmLft Cyc-XingFmRht LarVeh-Stop MedVeh-IncatLft MedVeh-MovTow MedVeh-Stop MedVeh-TurRht
        OthTL-Green OthTL-Red Ped-Mov Ped-MovAway Ped-MovTow Ped-PushObj Ped-Stop Ped-Wait2X Ped-Xing
        Ped-XingFmLft Ped-XingFmRht TL-Amber TL-Green TL-Red"""),
    triplet=_split("""
        Bus-MovTow-IncomLane Bus-MovTow-Jun Bus-Stop-IncomLane Bus-Stop-VehLane Bus-XingFmLft-Jun Car-Brake-Jun
        Car-Brake-VehLane Car-IncatLft-Jun Car-IncatLft-VehLane Car-IncatRht-IncomLane Car-IncatRht-Jun
        Car-MovAway-Jun Car-MovAway-OutgoLane Car-MovAway-VehLane Car-MovTow-IncomLane Car-MovTow-Jun
        Car-Stop-IncomLane Car-Stop-Jun Car-Stop-VehLane Car-TurLft-Jun Car-TurLft-VehLane Car-TurRht-IncomLane
        Car-TurRht-Jun Car-XingFmLft-Jun Cyc-MovAway-Jun Cyc-MovAway-LftPav Cyc-MovAway-OutgoCycLane
        Cyc-MovAway-OutgoLane Cyc-MovAway-VehLane Cyc-MovTow-IncomCycLane Cyc-MovTow-IncomLane Cyc-MovTow-Jun
        Cyc-MovTow-LftPav Cyc-Stop-IncomCycLane Cyc-Stop-IncomLane Cyc-Stop-Jun Cyc-TurLft-Jun
        Cyc-XingFmLft-Jun MedVeh-MovTow-IncomLane MedVeh-MovTow-Jun MedVeh-Stop-IncomLane MedVeh-Stop-Jun
        MedVeh-TurRht-Jun Ped-Mov-Pav Ped-MovAway-LftPav Ped-MovAway-Pav Ped-MovAway-RhtPav
        Ped-MovTow-IncomLane Ped-MovTow-LftPav Ped-MovTow-RhtPav Ped-MovTow-VehLane Ped-PushObj-LftPav
        Ped-PushObj-RhtPav Ped-Stop-BusStop Ped-Stop-LftPav Ped-Stop-Pav Ped-Stop-RhtPav Ped-Stop-VehLane
        Ped-Wait2X-LftPav Ped-Wait2X-RhtPav Ped-XingFmLft-IncomLane Ped-XingFmLft-Jun Ped-XingFmLft-VehLane
        Ped-XingFmLft-xing Ped-XingFmRht-IncomLane Ped-XingFmRht-Jun Ped-XingFmRht-RhtPav
        Ped-XingFmRht-VehLane"""),
    av_action=_split("AV-Stop AV-Mov AV-TurRht AV-TurLft AV-MovRht AV-MovLft AV-Ovtak"),
)
"""ROAD (``road_trainval_v1.0.json``): 10 agents, 19 actions, 12 locations, 39 duplexes, 68 triplets."""

ROAD_WAYMO = LabelSet(
    name="road_waymo",
    agent=_split("Ped Car Cyc Mobike SmalVeh MedVeh LarVeh Bus EmVeh TL"),
    action=_split("Red Amber Green MovAway MovTow Mov Rev Brake Stop IncatLft IncatRht HazLit TurLft TurRht MovRht "
                  "MovLft Ovtak Wait2X XingFmLft XingFmRht Xing PushObj"),
    loc=_split("VehLane OutgoLane OutgoCycLane OutgoBusLane IncomLane IncomCycLane IncomBusLane Pav LftPav RhtPav "
               "Jun xing BusStop parking LftParking rightParking"),
    duplex=_split("""
        Ped-MovAway Ped-MovTow Ped-Mov Ped-Stop Ped-Wait2X Ped-XingFmLft Ped-XingFmRht Ped-Xing Ped-PushObj
        Car-MovAway Car-MovTow Car-Brake Car-Stop Car-IncatLft Car-IncatRht Car-HazLit Car-TurLft Car-TurRht
        Car-MovRht Car-MovLft Car-XingFmLft Car-XingFmRht Cyc-MovAway Cyc-MovTow Cyc-Stop Mobike-Stop
        MedVeh-MovAway MedVeh-MovTow MedVeh-Brake MedVeh-Stop MedVeh-IncatLft MedVeh-IncatRht MedVeh-HazLit
        MedVeh-TurRht MedVeh-XingFmLft MedVeh-XingFmRht LarVeh-MovAway LarVeh-MovTow LarVeh-Stop LarVeh-HazLit
        Bus-MovAway Bus-MovTow Bus-Brake Bus-Stop Bus-HazLit EmVeh-Stop TL-Red TL-Amber TL-Green"""),
    triplet=_split("""
        Ped-MovAway-LftPav Ped-MovAway-RhtPav Ped-MovAway-Jun Ped-MovTow-LftPav Ped-MovTow-RhtPav Ped-MovTow-Jun
        Ped-Mov-OutgoLane Ped-Mov-Pav Ped-Mov-RhtPav Ped-Stop-OutgoLane Ped-Stop-Pav Ped-Stop-LftPav
        Ped-Stop-RhtPav Ped-Stop-BusStop Ped-Wait2X-RhtPav Ped-Wait2X-Jun Ped-XingFmLft-Jun Ped-XingFmRht-Jun
        Ped-XingFmRht-xing Ped-Xing-Jun Ped-PushObj-LftPav Ped-PushObj-RhtPav Car-MovAway-VehLane
        Car-MovAway-OutgoLane Car-MovAway-Jun Car-MovTow-VehLane Car-MovTow-IncomLane Car-MovTow-Jun
        Car-Brake-VehLane Car-Brake-OutgoLane Car-Brake-Jun Car-Stop-VehLane Car-Stop-OutgoLane
        Car-Stop-IncomLane Car-Stop-Jun Car-Stop-parking Car-IncatLft-VehLane Car-IncatLft-OutgoLane
        Car-IncatLft-IncomLane Car-IncatLft-Jun Car-IncatRht-VehLane Car-IncatRht-OutgoLane
        Car-IncatRht-IncomLane Car-IncatRht-Jun Car-HazLit-IncomLane Car-TurLft-VehLane Car-TurLft-Jun
        Car-TurRht-Jun Car-MovRht-OutgoLane Car-MovLft-VehLane Car-MovLft-OutgoLane Car-XingFmLft-Jun
        Car-XingFmRht-Jun Cyc-MovAway-OutgoCycLane Cyc-MovAway-RhtPav Cyc-MovTow-IncomLane Cyc-MovTow-RhtPav
        MedVeh-MovAway-VehLane MedVeh-MovAway-OutgoLane MedVeh-MovAway-Jun MedVeh-MovTow-IncomLane
        MedVeh-MovTow-Jun MedVeh-Brake-VehLane MedVeh-Brake-OutgoLane MedVeh-Brake-Jun MedVeh-Stop-VehLane
        MedVeh-Stop-OutgoLane MedVeh-Stop-IncomLane MedVeh-Stop-Jun MedVeh-Stop-parking
        MedVeh-IncatLft-IncomLane MedVeh-IncatRht-Jun MedVeh-TurRht-Jun MedVeh-XingFmLft-Jun
        MedVeh-XingFmRht-Jun LarVeh-MovAway-VehLane LarVeh-MovTow-IncomLane LarVeh-Stop-VehLane
        LarVeh-Stop-Jun Bus-MovAway-OutgoLane Bus-MovTow-IncomLane Bus-Stop-VehLane Bus-Stop-OutgoLane
        Bus-Stop-IncomLane Bus-Stop-Jun Bus-HazLit-OutgoLane"""),
    av_action=_split("AV-Stop AV-Mov AV-TurRht AV-TurLft AV-MovRht AV-MovLft AV-Ovtak AV-Rev AV-Brake"),
)
"""ROAD-Waymo (``road_waymo_trainval_v1.0.json``): 10 agents, 22 actions, 16 locations, 49 duplexes, 86 triplets.

``av_action`` has the 9 entries of the JSON; the official baseline uses only the first 6.
ROAD++ evaluates both datasets with these lists."""

LABEL_SETS: Mapping[str, LabelSet] = {"road": ROAD, "road_waymo": ROAD_WAYMO}


def label_set(name: str | LabelSet) -> LabelSet:
    """The `LabelSet` called ``name`` (``"road"`` or ``"road_waymo"``; ``"roadpp"`` is ROAD-Waymo)."""
    if isinstance(name, LabelSet):
        return name
    key = "road_waymo" if name == "roadpp" else name
    if key not in LABEL_SETS:
        raise ValueError(f"unknown label set {name!r}; expected one of ['road', 'road_waymo', 'roadpp']")
    return LABEL_SETS[key]
