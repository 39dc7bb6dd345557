"""Label sets, and the mapping from a detector's own classes to the classes roadtrack tracks.

Every detector takes ``classes`` and ``class_map`` options and turns them into one `ClassSelection`:

- ``class_map`` renames and renumbers the model's classes, e.g. COCO's ``person`` -> ROAD's ``Ped``. Model classes
  it does not mention are dropped. Presets: ``"road"`` (ROAD agents, ids as in ROAD), ``"road-waymo"`` (ROAD-Waymo
  agents), ``"kitti"`` (KITTI types). A plain mapping ``{"person": "Ped", "car": "Car"}`` maps onto the ROAD
  agents; ``{"labels": [...], "map": {...}}`` (or `ClassMap`) onto a label list of your own.
- ``classes`` then keeps only some of the detector's *output* classes: the mapped names when a ``class_map`` is
  given (``["Ped", "Car"]``), otherwise the model's names (``["person", "car"]``). Ids work too.

A detector's ``class_names`` always describe the ids it emits, so trackers and writers never see model ids once a
map is set. Label lists follow ``../shared/specs/road.md`` section 1 (the used lists, in JSON order).

Example:
    >>> sel = ClassSelection.build({0: "person", 1: "bicycle", 2: "car", 7: "truck"}, class_map="road")
    >>> sel.names[0], sel.names[5]
    ('Ped', 'LarVeh')
    >>> sel.map_ids(np.array([0, 7, 1, 3]))[1].tolist()   # model ids -> ROAD ids; id 3 is unknown: dropped
    [0, 5, 2, -1]
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence, Union

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.detectors.postprocess import resolve_classes
from roadtrack.io.kitti import COCO_TO_KITTI, KITTI_CLASSES

ROAD_AGENTS = ("Ped", "Car", "Cyc", "Mobike", "MedVeh", "LarVeh", "Bus", "EmVeh", "TL", "OthTL")
ROAD_WAYMO_AGENTS = ("Ped", "Car", "Cyc", "Mobike", "SmalVeh", "MedVeh", "LarVeh", "Bus", "EmVeh", "TL")

# Source class name -> ROAD agent, for the vocabularies detectors come with: COCO (YOLO, YOLOX, torchvision),
# Pascal VOC and KITTI. A cyclist is a person on a bicycle, so COCO models report both a ``person`` (-> Ped) and a
# ``bicycle`` (-> Cyc) box for one. KITTI's Van is ROAD's medium vehicle. COCO has no van, ambulance or
# "other traffic light", so MedVeh, EmVeh and OthTL get no source class.
TO_ROAD_AGENT: dict[str, str] = {
    "person": "Ped", "bicycle": "Cyc", "car": "Car", "motorcycle": "Mobike", "bus": "Bus", "truck": "LarVeh",
    "traffic light": "TL",
    "motorbike": "Mobike",  # Pascal VOC
    "Pedestrian": "Ped", "Person_sitting": "Ped", "Cyclist": "Cyc", "Car": "Car", "Van": "MedVeh", "Truck": "LarVeh",
}

# Preset name -> (label list, source name -> label). Presets skip the names a model does not have.
PRESETS: dict[str, tuple[tuple[str, ...], Mapping[str, str]]] = {
    "road": (ROAD_AGENTS, TO_ROAD_AGENT),
    "road-waymo": (ROAD_WAYMO_AGENTS, TO_ROAD_AGENT),
    "kitti": (KITTI_CLASSES, {**COCO_TO_KITTI, **{name: name for name in KITTI_CLASSES if name != "DontCare"}}),
}


@dataclasses.dataclass(frozen=True)
class ClassMap:
    """A mapping from model classes onto a label list.

    Attributes:
        mapping: model class name (or id) -> label name.
        labels: the output label list; output id = position in it.
        strict: when True (user mappings), a source name the model does not have is an error, so typos surface;
            presets are lenient because they cover several vocabularies at once.

    Example:
        >>> cm = ClassMap({"car": "vehicle", "truck": "vehicle", "person": "person"}, labels=["person", "vehicle"])
        >>> cm.table({0: "person", 2: "car", 7: "truck"})
        {0: 0, 2: 1, 7: 1}
    """

    mapping: Mapping[Union[str, int], str]
    labels: Sequence[str] = ROAD_AGENTS
    strict: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(str(label) for label in self.labels))
        object.__setattr__(self, "mapping", dict(self.mapping))
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"class_map labels must be unique, got {list(self.labels)}")
        unknown = sorted({str(t) for t in self.mapping.values() if t not in self.labels})
        if unknown:
            raise ValueError(f"class_map targets {', '.join(map(repr, unknown))} are not in the labels "
                             f"{', '.join(self.labels)}; give your own labels with {{'labels': [...], 'map': {{...}}}}")

    @classmethod
    def from_spec(cls, spec: "ClassMapSpec") -> "ClassMap":
        """Build from a preset name, a ``{source: ROAD agent}`` mapping, ``{"labels": [...], "map": {...}}`` or a
        `ClassMap`.

        Raises:
            ValueError: unknown preset, malformed spec, or a target outside the label list.
        """
        if isinstance(spec, ClassMap):
            return spec
        if isinstance(spec, str):
            if spec not in PRESETS:
                raise ValueError(f"unknown class_map preset {spec!r}; choose from {', '.join(PRESETS)} "
                                 "or give a mapping {model class: label}")
            labels, mapping = PRESETS[spec]
            return cls(mapping, labels, strict=False)
        if isinstance(spec, Mapping):
            if set(spec) == {"labels", "map"}:
                if not isinstance(spec["map"], Mapping) or isinstance(spec["labels"], (str, Mapping)):
                    raise ValueError("class_map: expected {'labels': [names...], 'map': {model class: label}}")
                return cls(spec["map"], spec["labels"])
            return cls(spec)
        raise ValueError(f"class_map: expected a preset name ({', '.join(PRESETS)}), a mapping or a ClassMap, "
                         f"got {type(spec).__name__}")

    def table(self, model_names: Mapping[int, str]) -> dict[int, int]:
        """Model class id -> output id for this model.

        Args:
            model_names: the model's class id -> name table (may be empty when a model does not name its classes;
                the mapping must then use ids).

        Raises:
            ValueError: (strict maps) a source name the model does not have, or a bad source key.
        """
        by_name = {name: idx for idx, name in model_names.items()}
        out: dict[int, int] = {}
        for source, target in self.mapping.items():
            if isinstance(source, str):
                if source not in by_name:
                    if self.strict:
                        valid = ", ".join(f"{i}: {n}" for i, n in sorted(model_names.items())) or "(unnamed)"
                        raise ValueError(f"class_map: the model has no class {source!r}; its classes are {valid}")
                    continue
                model_id = by_name[source]
            elif isinstance(source, (int, np.integer)) and not isinstance(source, bool) and source >= 0:
                model_id = int(source)
            else:
                raise ValueError(f"class_map: keys must be model class names or ids >= 0, got {source!r}")
            out[model_id] = self.labels.index(target)
        return dict(sorted(out.items()))


ClassMapSpec = Union[str, Mapping, ClassMap]


@dataclasses.dataclass(frozen=True)
class ClassSelection:
    """Which model classes a detector keeps, and the output id each becomes.

    Attributes:
        names: output class id -> name; what the detector publishes as ``class_names``.
        lut: (K,) int64 lookup, model class id -> output id, -1 = dropped; model ids >= K are dropped too.
            None when every model class is kept unchanged.
    """

    names: dict[int, str]
    lut: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        model_names: Mapping[int, str],
        classes: Sequence[int | str] | None = None,
        class_map: ClassMapSpec | None = None,
    ) -> "ClassSelection":
        """Combine a model's class names with a detector's ``classes`` and ``class_map`` options.

        Args:
            model_names: the model's class id -> name (may be empty for unnamed classes).
            classes: None, or output class ids/names to keep (mapped names when ``class_map`` is set).
            class_map: None (output = model classes) or anything `ClassMap.from_spec` takes.

        Raises:
            ValueError: unknown class names/ids or a bad ``class_map``, listing the valid choices.
        """
        model_names = {int(k): str(v) for k, v in model_names.items()}
        if class_map is None:
            keep = resolve_classes(classes, model_names)
            if keep is None:
                return cls(model_names)
            lut = np.full(int(keep.max()) + 1, -1, np.int64)
            lut[keep] = keep
            return cls(model_names, lut)
        cmap = ClassMap.from_spec(class_map)
        names = dict(enumerate(cmap.labels))
        table = cmap.table(model_names)
        keep = resolve_classes(classes, names)
        lut = np.full(max(table, default=-1) + 1, -1, np.int64)
        for model_id, out_id in table.items():
            if keep is None or out_id in keep:
                lut[model_id] = out_id
        return cls(names, lut)

    @property
    def model_ids(self) -> np.ndarray | None:
        """Sorted model class ids that can survive, or None for all. Lets a model skip other classes early."""
        return None if self.lut is None else np.flatnonzero(self.lut >= 0)

    def map_ids(self, class_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model class ids -> (keep mask, output ids).

        Args:
            class_ids: (N,) integer model class ids.

        Returns:
            (N,) bool mask of rows to keep and (N,) int64 output ids (-1 where dropped).
        """
        ids = np.asarray(class_ids, np.int64).reshape(-1)
        if self.lut is None:
            return np.ones(len(ids), bool), ids
        inside = (ids >= 0) & (ids < len(self.lut))
        out = np.full(len(ids), -1, np.int64)
        out[inside] = self.lut[ids[inside]]
        return out >= 0, out

    def apply(self, detections: Detections) -> Detections:
        """Drop the rows of unkept classes and renumber the rest to output ids."""
        if self.lut is None:
            return detections
        keep, out = self.map_ids(detections.class_ids)
        kept = detections[keep]
        return dataclasses.replace(kept, class_ids=out[keep])
