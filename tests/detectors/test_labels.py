"""Class filters and class maps (model classes -> ROAD agents and other labels), shared by every detector."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.core import Detections
from roadtrack.detectors.coco import COCO80, COCO_CATEGORIES, coco80_names
from roadtrack.detectors.labels import ROAD_AGENTS, ROAD_WAYMO_AGENTS, ClassMap, ClassSelection
from roadtrack.io.kitti import KITTI_CLASSES

COCO = coco80_names()


def test_label_lists_follow_the_road_spec():
    # ../shared/specs/road.md 1.2 and 1.3: 10 agents each, JSON order.
    assert ROAD_AGENTS == ("Ped", "Car", "Cyc", "Mobike", "MedVeh", "LarVeh", "Bus", "EmVeh", "TL", "OthTL")
    assert ROAD_WAYMO_AGENTS == ("Ped", "Car", "Cyc", "Mobike", "SmalVeh", "MedVeh", "LarVeh", "Bus", "EmVeh", "TL")


def test_coco_tables():
    assert len(COCO80) == 80 and len(COCO_CATEGORIES) == 80
    assert (COCO_CATEGORIES[1], COCO_CATEGORIES[3], COCO_CATEGORIES[10], COCO_CATEGORIES[90]) == (
        "person", "car", "traffic light", "toothbrush")
    assert 12 not in COCO_CATEGORIES and max(COCO_CATEGORIES) == 90


@pytest.mark.parametrize(
    "preset, expected",
    [
        # COCO id (name) -> ROAD id: person 0 -> Ped 0, bicycle 1 -> Cyc 2, car 2 -> Car 1, motorcycle 3 -> Mobike 3,
        # bus 5 -> Bus 6, truck 7 -> LarVeh 5, traffic light 9 -> TL 8.
        ("road", {0: 0, 1: 2, 2: 1, 3: 3, 5: 6, 7: 5, 9: 8}),
        # ROAD-Waymo inserts SmalVeh at 4: LarVeh 6, Bus 7, TL 9.
        ("road-waymo", {0: 0, 1: 2, 2: 1, 3: 3, 5: 7, 7: 6, 9: 9}),
        # KITTI_CLASSES: Car 0, Truck 2, Pedestrian 3, Cyclist 5, Tram 6 (COCO train 6).
        ("kitti", {0: 3, 1: 5, 2: 0, 6: 6, 7: 2}),
    ],
)
def test_presets_on_coco(preset, expected):
    assert ClassMap.from_spec(preset).table(COCO) == expected


def test_road_preset_on_kitti_types():
    kitti = dict(enumerate(KITTI_CLASSES))
    # Car 0 -> Car 1, Van 1 -> MedVeh 4, Truck 2 -> LarVeh 5, Pedestrian 3 and Person_sitting 4 -> Ped 0,
    # Cyclist 5 -> Cyc 2; Tram, Misc and DontCare have no ROAD agent.
    assert ClassMap.from_spec("road").table(kitti) == {0: 1, 1: 4, 2: 5, 3: 0, 4: 0, 5: 2}


def test_selection_maps_and_drops():
    sel = ClassSelection.build(COCO, class_map="road")
    assert sel.names == dict(enumerate(ROAD_AGENTS))
    # person, truck, bicycle, dog (16: no agent), an id past the model's classes, a negative id.
    keep, out = sel.map_ids(np.array([0, 7, 1, 16, 500, -1]))
    assert keep.tolist() == [True, True, True, False, False, False]
    assert out.tolist() == [0, 5, 2, -1, -1, -1]
    assert sel.model_ids.tolist() == [0, 1, 2, 3, 5, 7, 9]


def test_apply_renumbers_detections():
    dets = Detections([[0, 0, 1, 1], [0, 0, 2, 2], [0, 0, 3, 3]], [0.9, 0.8, 0.7], [2, 16, 9])
    out = ClassSelection.build(COCO, class_map="road").apply(dets)
    assert out.class_ids.tolist() == [1, 8] and out.scores.tolist() == [0.9, 0.7]  # car -> Car, traffic light -> TL


@pytest.mark.parametrize(
    "classes, class_map, model_ids, names",
    [
        (None, None, None, COCO),  # everything, unchanged
        (["car", 0], None, [0, 2], COCO),  # a filter keeps the model's names
        (["Ped", "Car"], "road", [0, 2], dict(enumerate(ROAD_AGENTS))),  # with a map, classes name outputs
        ([5], "road", [7], dict(enumerate(ROAD_AGENTS))),  # output id 5 = LarVeh <- truck
        (["MedVeh"], "road", [], dict(enumerate(ROAD_AGENTS))),  # no COCO class becomes MedVeh
        (None, {"person": "Ped", 2: "Car"}, [0, 2], dict(enumerate(ROAD_AGENTS))),  # names or ids as keys
        (None, {"labels": ["vehicle", "person"], "map": {"car": "vehicle", "truck": "vehicle", "person": "person"}},
         [0, 2, 7], {0: "vehicle", 1: "person"}),
    ],
)
def test_build(classes, class_map, model_ids, names):
    sel = ClassSelection.build(COCO, classes, class_map)
    assert sel.names == names
    assert (sel.model_ids is None and model_ids is None) or sel.model_ids.tolist() == model_ids


def test_merging_map():
    sel = ClassSelection.build(COCO, class_map=ClassMap({"car": "veh", "truck": "veh", "bus": "veh"}, ["veh"]))
    assert sel.map_ids(np.array([2, 5, 7, 0]))[1].tolist() == [0, 0, 0, -1]


def test_unnamed_model_classes_map_by_id():
    sel = ClassSelection.build({}, class_map={3: "Car"})
    assert sel.map_ids(np.array([3, 0]))[1].tolist() == [1, -1]
    assert ClassSelection.build({}, classes=[4]).map_ids(np.array([4, 5]))[0].tolist() == [True, False]


@pytest.mark.parametrize(
    "classes, class_map, match",
    [
        (None, "coco-to-road", "unknown class_map preset 'coco-to-road'; choose from road, road-waymo, kitti"),
        (None, {"persn": "Ped"}, "the model has no class 'persn'; its classes are 0: person, 1: bicycle"),
        (None, {"person": "Pedestrian"}, r"targets 'Pedestrian' are not in the labels Ped, Car, .*'labels'"),
        (None, {True: "Ped"}, "keys must be model class names or ids"),
        (None, {"labels": "Ped", "map": {"person": "Ped"}}, "expected {'labels': \\[names...\\]"),
        (None, {"labels": ["a", "a"], "map": {}}, "labels must be unique"),
        (None, 7, "expected a preset name"),
        (["person"], "road", "unknown class name 'person'; valid classes are 0: Ped, 1: Car"),  # outputs, not inputs
        (["pedestrian"], None, "unknown class name 'pedestrian'; valid classes are 0: person"),
        ([12], "road", "unknown class id 12; valid ids are 0..9"),
    ],
)
def test_errors(classes, class_map, match):
    with pytest.raises(ValueError, match=match):
        ClassSelection.build(COCO, classes, class_map)
