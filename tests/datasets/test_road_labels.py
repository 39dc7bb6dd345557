"""The label lists, pinned against the spec's index:`name` listings (shared/specs/road.md §1.2, §1.3)."""

import re

import pytest

from roadtrack.datasets import LABEL_TYPES, ROAD, ROAD_WAYMO, label_set

# Copied verbatim from the spec: "index:`name`" items, in JSON order.
SPEC_ROAD = {
    "agent": (
        "0:`Ped`, 1:`Car`, 2:`Cyc`, 3:`Mobike`, 4:`MedVeh`, 5:`LarVeh`, 6:`Bus`, 7:`EmVeh`, 8:`TL`, "
        "9:`OthTL`"
    ),
    "action": (
        "0:`Red`, 1:`Amber`, 2:`Green`, 3:`MovAway`, 4:`MovTow`, 5:`Mov`, 6:`Brake`, 7:`Stop`, 8:`IncatLft`, "
        "9:`IncatRht`, 10:`HazLit`, 11:`TurLft`, 12:`TurRht`, 13:`Ovtak`, 14:`Wait2X`, 15:`XingFmLft`, "
        "16:`XingFmRht`, 17:`Xing`, 18:`PushObj`"
    ),
    "loc": (
        "0:`VehLane`, 1:`OutgoLane`, 2:`OutgoCycLane`, 3:`IncomLane`, 4:`IncomCycLane`, 5:`Pav`, 6:`LftPav`, "
        "7:`RhtPav`, 8:`Jun`, 9:`xing`, 10:`BusStop`, "
        "11:`parking`  (note the lower-case `xing` (crossing) and `parking`)"
    ),
    "av_action": (
        "0:`AV-Stop`, 1:`AV-Mov`, 2:`AV-TurRht`, 3:`AV-TurLft`, 4:`AV-MovRht`, 5:`AV-MovLft`, 6:`AV-Ovtak`"
    ),
    "duplex": (
        "0:`Bus-MovAway`, 1:`Bus-MovTow`, 2:`Bus-Stop`, 3:`Bus-XingFmLft`, 4:`Car-Brake`, 5:`Car-IncatLft`, "
        "6:`Car-IncatRht`, 7:`Car-MovAway`, 8:`Car-MovTow`, 9:`Car-Stop`, 10:`Car-TurLft`, 11:`Car-TurRht`, "
        "12:`Car-XingFmLft`, 13:`Car-XingFmRht`, 14:`Cyc-MovAway`, 15:`Cyc-MovTow`, 16:`Cyc-Stop`, "
        "17:`Cyc-TurLft`, 18:`Cyc-XingFmLft`, 19:`Cyc-XingFmRht`, 20:`LarVeh-Stop`, 21:`MedVeh-IncatLft`, "
        "22:`MedVeh-MovTow`, 23:`MedVeh-Stop`, 24:`MedVeh-TurRht`, 25:`OthTL-Green`, 26:`OthTL-Red`, "
        "27:`Ped-Mov`, 28:`Ped-MovAway`, 29:`Ped-MovTow`, 30:`Ped-PushObj`, 31:`Ped-Stop`, 32:`Ped-Wait2X`, "
        "33:`Ped-Xing`, 34:`Ped-XingFmLft`, 35:`Ped-XingFmRht`, 36:`TL-Amber`, 37:`TL-Green`, 38:`TL-Red`"
    ),
    "triplet": (
        "0:`Bus-MovTow-IncomLane`, 1:`Bus-MovTow-Jun`, 2:`Bus-Stop-IncomLane`, 3:`Bus-Stop-VehLane`, "
        "4:`Bus-XingFmLft-Jun`, 5:`Car-Brake-Jun`, 6:`Car-Brake-VehLane`, 7:`Car-IncatLft-Jun`, "
        "8:`Car-IncatLft-VehLane`, 9:`Car-IncatRht-IncomLane`, 10:`Car-IncatRht-Jun`, 11:`Car-MovAway-Jun`, "
        "12:`Car-MovAway-OutgoLane`, 13:`Car-MovAway-VehLane`, 14:`Car-MovTow-IncomLane`, "
        "15:`Car-MovTow-Jun`, 16:`Car-Stop-IncomLane`, 17:`Car-Stop-Jun`, 18:`Car-Stop-VehLane`, "
        "19:`Car-TurLft-Jun`, 20:`Car-TurLft-VehLane`, 21:`Car-TurRht-IncomLane`, 22:`Car-TurRht-Jun`, "
        "23:`Car-XingFmLft-Jun`, 24:`Cyc-MovAway-Jun`, 25:`Cyc-MovAway-LftPav`, "
        "26:`Cyc-MovAway-OutgoCycLane`, 27:`Cyc-MovAway-OutgoLane`, 28:`Cyc-MovAway-VehLane`, "
        "29:`Cyc-MovTow-IncomCycLane`, 30:`Cyc-MovTow-IncomLane`, 31:`Cyc-MovTow-Jun`, "
        "32:`Cyc-MovTow-LftPav`, 33:`Cyc-Stop-IncomCycLane`, 34:`Cyc-Stop-IncomLane`, 35:`Cyc-Stop-Jun`, "
        "36:`Cyc-TurLft-Jun`, 37:`Cyc-XingFmLft-Jun`, 38:`MedVeh-MovTow-IncomLane`, 39:`MedVeh-MovTow-Jun`, "
        "40:`MedVeh-Stop-IncomLane`, 41:`MedVeh-Stop-Jun`, 42:`MedVeh-TurRht-Jun`, 43:`Ped-Mov-Pav`, "
        "44:`Ped-MovAway-LftPav`, 45:`Ped-MovAway-Pav`, 46:`Ped-MovAway-RhtPav`, 47:`Ped-MovTow-IncomLane`, "
        "48:`Ped-MovTow-LftPav`, 49:`Ped-MovTow-RhtPav`, 50:`Ped-MovTow-VehLane`, 51:`Ped-PushObj-LftPav`, "
        "52:`Ped-PushObj-RhtPav`, 53:`Ped-Stop-BusStop`, 54:`Ped-Stop-LftPav`, 55:`Ped-Stop-Pav`, "
        "56:`Ped-Stop-RhtPav`, 57:`Ped-Stop-VehLane`, 58:`Ped-Wait2X-LftPav`, 59:`Ped-Wait2X-RhtPav`, "
        "60:`Ped-XingFmLft-IncomLane`, 61:`Ped-XingFmLft-Jun`, 62:`Ped-XingFmLft-VehLane`, "
        "63:`Ped-XingFmLft-xing`, 64:`Ped-XingFmRht-IncomLane`, 65:`Ped-XingFmRht-Jun`, "
        "66:`Ped-XingFmRht-RhtPav`, 67:`Ped-XingFmRht-VehLane`"
    ),
}
SPEC_ROAD_WAYMO = {
    "agent": (
        "0:`Ped`, 1:`Car`, 2:`Cyc`, 3:`Mobike`, 4:`SmalVeh`, 5:`MedVeh`, 6:`LarVeh`, 7:`Bus`, 8:`EmVeh`, "
        "9:`TL`"
    ),
    "action": (
        "0:`Red`, 1:`Amber`, 2:`Green`, 3:`MovAway`, 4:`MovTow`, 5:`Mov`, 6:`Rev`, 7:`Brake`, 8:`Stop`, "
        "9:`IncatLft`, 10:`IncatRht`, 11:`HazLit`, 12:`TurLft`, 13:`TurRht`, 14:`MovRht`, 15:`MovLft`, "
        "16:`Ovtak`, 17:`Wait2X`, 18:`XingFmLft`, 19:`XingFmRht`, 20:`Xing`, 21:`PushObj`"
    ),
    "loc": (
        "0:`VehLane`, 1:`OutgoLane`, 2:`OutgoCycLane`, 3:`OutgoBusLane`, 4:`IncomLane`, 5:`IncomCycLane`, "
        "6:`IncomBusLane`, 7:`Pav`, 8:`LftPav`, 9:`RhtPav`, 10:`Jun`, 11:`xing`, 12:`BusStop`, 13:`parking`, "
        "14:`LftParking`, 15:`rightParking`"
    ),
    "av_action": (
        "0:`AV-Stop`, 1:`AV-Mov`, 2:`AV-TurRht`, 3:`AV-TurLft`, 4:`AV-MovRht`, "
        "5:`AV-MovLft`; the JSON continues 6:`AV-Ovtak`, 7:`AV-Rev`, 8:`AV-Brake` (3P)"
    ),
    "duplex": (
        "0:`Ped-MovAway`, 1:`Ped-MovTow`, 2:`Ped-Mov`, 3:`Ped-Stop`, 4:`Ped-Wait2X`, 5:`Ped-XingFmLft`, "
        "6:`Ped-XingFmRht`, 7:`Ped-Xing`, 8:`Ped-PushObj`, 9:`Car-MovAway`, 10:`Car-MovTow`, 11:`Car-Brake`, "
        "12:`Car-Stop`, 13:`Car-IncatLft`, 14:`Car-IncatRht`, 15:`Car-HazLit`, 16:`Car-TurLft`, "
        "17:`Car-TurRht`, 18:`Car-MovRht`, 19:`Car-MovLft`, 20:`Car-XingFmLft`, 21:`Car-XingFmRht`, "
        "22:`Cyc-MovAway`, 23:`Cyc-MovTow`, 24:`Cyc-Stop`, 25:`Mobike-Stop`, 26:`MedVeh-MovAway`, "
        "27:`MedVeh-MovTow`, 28:`MedVeh-Brake`, 29:`MedVeh-Stop`, 30:`MedVeh-IncatLft`, "
        "31:`MedVeh-IncatRht`, 32:`MedVeh-HazLit`, 33:`MedVeh-TurRht`, 34:`MedVeh-XingFmLft`, "
        "35:`MedVeh-XingFmRht`, 36:`LarVeh-MovAway`, 37:`LarVeh-MovTow`, 38:`LarVeh-Stop`, "
        "39:`LarVeh-HazLit`, 40:`Bus-MovAway`, 41:`Bus-MovTow`, 42:`Bus-Brake`, 43:`Bus-Stop`, "
        "44:`Bus-HazLit`, 45:`EmVeh-Stop`, 46:`TL-Red`, 47:`TL-Amber`, 48:`TL-Green`"
    ),
    "triplet": (
        "0:`Ped-MovAway-LftPav`, 1:`Ped-MovAway-RhtPav`, 2:`Ped-MovAway-Jun`, 3:`Ped-MovTow-LftPav`, "
        "4:`Ped-MovTow-RhtPav`, 5:`Ped-MovTow-Jun`, 6:`Ped-Mov-OutgoLane`, 7:`Ped-Mov-Pav`, "
        "8:`Ped-Mov-RhtPav`, 9:`Ped-Stop-OutgoLane`, 10:`Ped-Stop-Pav`, 11:`Ped-Stop-LftPav`, "
        "12:`Ped-Stop-RhtPav`, 13:`Ped-Stop-BusStop`, 14:`Ped-Wait2X-RhtPav`, 15:`Ped-Wait2X-Jun`, "
        "16:`Ped-XingFmLft-Jun`, 17:`Ped-XingFmRht-Jun`, 18:`Ped-XingFmRht-xing`, 19:`Ped-Xing-Jun`, "
        "20:`Ped-PushObj-LftPav`, 21:`Ped-PushObj-RhtPav`, 22:`Car-MovAway-VehLane`, "
        "23:`Car-MovAway-OutgoLane`, 24:`Car-MovAway-Jun`, 25:`Car-MovTow-VehLane`, "
        "26:`Car-MovTow-IncomLane`, 27:`Car-MovTow-Jun`, 28:`Car-Brake-VehLane`, 29:`Car-Brake-OutgoLane`, "
        "30:`Car-Brake-Jun`, 31:`Car-Stop-VehLane`, 32:`Car-Stop-OutgoLane`, 33:`Car-Stop-IncomLane`, "
        "34:`Car-Stop-Jun`, 35:`Car-Stop-parking`, 36:`Car-IncatLft-VehLane`, 37:`Car-IncatLft-OutgoLane`, "
        "38:`Car-IncatLft-IncomLane`, 39:`Car-IncatLft-Jun`, 40:`Car-IncatRht-VehLane`, "
        "41:`Car-IncatRht-OutgoLane`, 42:`Car-IncatRht-IncomLane`, 43:`Car-IncatRht-Jun`, "
        "44:`Car-HazLit-IncomLane`, 45:`Car-TurLft-VehLane`, 46:`Car-TurLft-Jun`, 47:`Car-TurRht-Jun`, "
        "48:`Car-MovRht-OutgoLane`, 49:`Car-MovLft-VehLane`, 50:`Car-MovLft-OutgoLane`, "
        "51:`Car-XingFmLft-Jun`, 52:`Car-XingFmRht-Jun`, 53:`Cyc-MovAway-OutgoCycLane`, "
        "54:`Cyc-MovAway-RhtPav`, 55:`Cyc-MovTow-IncomLane`, 56:`Cyc-MovTow-RhtPav`, "
        "57:`MedVeh-MovAway-VehLane`, 58:`MedVeh-MovAway-OutgoLane`, 59:`MedVeh-MovAway-Jun`, "
        "60:`MedVeh-MovTow-IncomLane`, 61:`MedVeh-MovTow-Jun`, 62:`MedVeh-Brake-VehLane`, "
        "63:`MedVeh-Brake-OutgoLane`, 64:`MedVeh-Brake-Jun`, 65:`MedVeh-Stop-VehLane`, "
        "66:`MedVeh-Stop-OutgoLane`, 67:`MedVeh-Stop-IncomLane`, 68:`MedVeh-Stop-Jun`, "
        "69:`MedVeh-Stop-parking`, 70:`MedVeh-IncatLft-IncomLane`, 71:`MedVeh-IncatRht-Jun`, "
        "72:`MedVeh-TurRht-Jun`, 73:`MedVeh-XingFmLft-Jun`, 74:`MedVeh-XingFmRht-Jun`, "
        "75:`LarVeh-MovAway-VehLane`, 76:`LarVeh-MovTow-IncomLane`, 77:`LarVeh-Stop-VehLane`, "
        "78:`LarVeh-Stop-Jun`, 79:`Bus-MovAway-OutgoLane`, 80:`Bus-MovTow-IncomLane`, 81:`Bus-Stop-VehLane`, "
        "82:`Bus-Stop-OutgoLane`, 83:`Bus-Stop-IncomLane`, 84:`Bus-Stop-Jun`, 85:`Bus-HazLit-OutgoLane`"
    ),
}


def parse(text: str) -> list[str]:
    items = re.findall(r"(\d+):`([^`]+)`", text)
    assert [int(i) for i, _ in items] == list(range(len(items)))  # indices are consecutive from 0
    return [name for _, name in items]


@pytest.mark.parametrize("labels, spec, counts", [
    (ROAD, SPEC_ROAD, (10, 19, 12, 39, 68)),
    (ROAD_WAYMO, SPEC_ROAD_WAYMO, (10, 22, 16, 49, 86)),
])
def test_used_lists_match_the_spec_exactly(labels, spec, counts):
    assert labels.counts == counts
    for label_type in LABEL_TYPES:
        assert list(labels[label_type]) == parse(spec[label_type]), label_type
    assert list(labels.av_action[:6]) == parse(spec["av_action"])[:6]


def test_av_action_lists():
    assert len(ROAD.av_action) == 7 and len(ROAD_WAYMO.av_action) == 9
    assert ROAD_WAYMO.av_action[6:] == ("AV-Ovtak", "AV-Rev", "AV-Brake")


def test_spot_checks_and_spellings():
    assert ROAD.loc[9] == "xing" and ROAD.loc[11] == "parking"  # lower case in the files
    assert ROAD_WAYMO.loc[15] == "rightParking"
    assert ROAD.triplet[63] == "Ped-XingFmLft-xing"
    assert ROAD_WAYMO.triplet[85] == "Bus-HazLit-OutgoLane"
    assert "OthTL" in ROAD.agent and "OthTL" not in ROAD_WAYMO.agent
    assert "SmalVeh" in ROAD_WAYMO.agent and "SmalVeh" not in ROAD.agent


def test_composite_properties():
    # ROAD's composite lists are ASCII-sorted; ROAD-Waymo's are not.
    assert list(ROAD.duplex) == sorted(ROAD.duplex) and list(ROAD.triplet) == sorted(ROAD.triplet)
    assert list(ROAD_WAYMO.duplex) != sorted(ROAD_WAYMO.duplex)
    # 33 duplexes and 42 triplets are common to the two datasets.
    assert len(set(ROAD.duplex) & set(ROAD_WAYMO.duplex)) == 33
    assert len(set(ROAD.triplet) & set(ROAD_WAYMO.triplet)) == 42
    # SmalVeh occurs in no used composite.
    assert not any(n.startswith("SmalVeh-") for n in ROAD_WAYMO.duplex + ROAD_WAYMO.triplet)


@pytest.mark.parametrize("labels", [ROAD, ROAD_WAYMO])
def test_children_are_derived_from_names(labels):
    for label_type, parts in (("duplex", ("agent", "action")), ("triplet", ("agent", "action", "loc"))):
        children = labels.children(label_type)
        assert len(children) == len(labels[label_type])
        for name, ids in zip(labels[label_type], children):
            assert "-".join(labels[p][i] for p, i in zip(parts, ids)) == name


@pytest.mark.parametrize("name, expected", [("road", ROAD), ("road_waymo", ROAD_WAYMO), ("roadpp", ROAD_WAYMO)])
def test_label_set_by_name(name, expected):
    assert label_set(name) is expected


def test_unknown_label_set_and_type():
    with pytest.raises(ValueError, match="unknown label set 'kitti'"):
        label_set("kitti")
    with pytest.raises(KeyError, match="unknown label type 'event'"):
        ROAD["event"]
