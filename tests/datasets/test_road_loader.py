"""The ROAD / ROAD-Waymo loader on synthetic files that carry every quirk of the spec (§2)."""

import copy
import json

import numpy as np
import pytest

from roadtrack.datasets import (
    LABEL_TYPES, ROAD, ROAD_WAYMO, detect_dataset, image_name, load_road, parse_road, synthetic_road,
)

DATASETS = ["road", "road_waymo"]


@pytest.fixture(scope="module", params=DATASETS)
def synthetic(request, tmp_path_factory):
    road = synthetic_road(request.param, seed=7)
    path = road.write(tmp_path_factory.mktemp("ann") / f"{request.param}.json")
    return road, json.loads(path.read_text()), load_road(path)


def test_dataset_is_detected_and_sizes_read(synthetic):
    road, doc, ann = synthetic
    assert ann.dataset == road.dataset and detect_dataset(doc) == road.dataset
    assert ann.labels is {"road": ROAD, "road_waymo": ROAD_WAYMO}[road.dataset]
    size = {"road": (1280, 960), "road_waymo": (1920, 1280)}[road.dataset]
    assert all((v.width, v.height) == size for v in ann.videos.values())
    assert list(ann.videos) == [v.name for v in road.videos]  # file order


def test_ids_index_all_lists_and_map_by_name(synthetic):
    """Every box's used ids equal its all_* ids looked up by name in the used lists; unused names dropped."""
    road, doc, ann = synthetic
    for t in LABEL_TYPES:
        assert doc[f"all_{t}_labels"] != doc[f"{t}_labels"]  # shuffled supersets: indices differ
    for name, video in ann.videos.items():
        db = doc["db"][name]
        for t in LABEL_TYPES:
            expected = set()
            for row, (frame, key) in enumerate(zip(video.box_frames, video.box_keys)):
                for i in db["frames"][str(frame)]["annos"][key][f"{t}_ids"]:
                    label = doc[f"all_{t}_labels"][i]
                    if label in ann.labels[t]:
                        expected.add((row, ann.labels[t].index(label)))
            pairs = video.box_labels[t]
            assert set(zip(pairs.rows.tolist(), pairs.ids.tolist())) == expected


def test_unused_ids_are_dropped(synthetic):
    road, doc, ann = synthetic
    video_name, uid = road.quirks["unused_ids"]
    video = ann.videos[video_name]
    rows = [r for r, u in enumerate(video.box_tube_uids) if u == uid]
    assert rows
    if road.dataset == "road_waymo":  # agent OthTL is not a ROAD-Waymo class: no agent label, no agent tube
        assert not np.isin(rows, video.box_labels["agent"].rows).any()
        assert uid not in [t.uid for t in video.tubes["agent"]]
    else:  # action Rev is not a ROAD class: no action label
        assert not np.isin(rows, video.box_labels["action"].rows).any()
        assert np.isin(rows, video.box_labels["agent"].rows).all()


def test_string_frame_keys_sorted_numerically(synthetic):
    road, doc, ann = synthetic
    video = ann.videos[road.videos[0].name]
    assert list(doc["db"][video.name]["frames"])[:3] == ["1", "10", "11"]  # stored in string order
    assert video.frames.tolist() == list(range(1, road.videos[0].numf + 1))
    assert np.all(np.diff(video.box_frames) >= 0)


def test_annotated_flags(synthetic):
    road, _, ann = synthetic
    for name, unannotated in road.quirks["unannotated_frames"].items():
        video = ann.videos[name]
        assert video.frames[~video.annotated].tolist() == unannotated
        assert not np.isin(video.box_frames, unannotated).any()
        assert set(video.annotated_frames.tolist()) == set(video.frames.tolist()) - set(unannotated)


def test_annotated_frames_without_annos(synthetic):
    road, doc, ann = synthetic
    name, frames = road.quirks["frames_without_annos"]
    raw = doc["db"][name]["frames"]
    assert raw["3"]["annos"] == {} and "annos" not in raw["4"]  # both forms occur
    video = ann.videos[name]
    assert video.annotated_frames.tolist() == frames and len(video.boxes) == 0
    assert all(len(video.tubes[t]) == 0 for t in LABEL_TYPES)  # video_without_tubes


def test_boxes_normalised_and_clamped(synthetic):
    road, doc, ann = synthetic
    name, uid = road.quirks["clamped_boxes"]
    video = ann.videos[name]
    raw = [a["box"] for f in doc["db"][name]["frames"].values() for a in f.get("annos", {}).values()]
    assert max(b[2] for b in raw) == 1.005  # above 1 in the file ...
    assert video.boxes.max() == 1.0 and video.boxes.min() >= 0.0  # ... clamped when loaded
    assert np.array_equal(video.pixel_boxes((840, 600))[:, [0, 2]], video.boxes[:, [0, 2]] * 840)


def test_multiple_split_ids(synthetic):
    road, _, ann = synthetic
    if road.dataset == "road":
        assert ann.videos[road.videos[0].name].split_ids == ("train_1", "train_2", "val_3")
        assert [v.name for v in ann.subset("val_3")] == [road.videos[0].name]
        assert [v.name for v in ann.subset("train_2")] == [v.name for v in road.videos[:2]]
        assert len(ann.subset("val_1", "val_2")) == 2  # any requested split counts
    else:
        assert [v.split_ids for v in ann.videos.values()] == [("all", "train")] * 2 + [("all", "val")] * 2
        assert [v.name for v in ann.subset("val")] == ["train_00002", "train_00003"]
    with pytest.raises(ValueError, match=r"no video belongs to split \['val_9'\]; split ids in the file: \["):
        ann.subset("val_9")


def test_tubes_with_gaps(synthetic):
    road, _, ann = synthetic
    name, uid, missing = road.quirks["tube_gaps"]
    tube = next(t for t in ann.videos[name].tubes["agent"] if t.uid == uid)
    assert not np.isin(missing, tube.frames).any()
    assert tube.frames[0] < min(missing) and tube.frames[-1] > max(missing)
    assert np.all(np.diff(tube.frames) > 0)


def test_tube_boxes_follow_their_frames(synthetic):
    """Unsorted tube annos are sorted; each tube box is the box of its frame's annotation."""
    road, doc, ann = synthetic
    name, uid = road.quirks["unsorted_tube_annos"]
    raw = doc["db"][name]["agent_tubes"][uid]["annos"]
    assert list(raw) == sorted(raw, key=int, reverse=True)
    video = ann.videos[name]
    for t in LABEL_TYPES:
        for tube in video.tubes[t]:
            if not tube.has_boxes:
                continue
            for frame, box in zip(tube.frames, tube.boxes):
                rows = video.frame_boxes(frame)
                assert any(np.array_equal(video.boxes[r], box) for r in rows)


def test_frames_only_tube(synthetic):
    road, doc, ann = synthetic
    name, _ = road.quirks["frames_only_tube"]
    raw = [t for t in doc["db"][name]["loc_tubes"].values() if "annos" not in t]
    assert len(raw) == 1 and raw[0]["frames"]
    loaded = [t for t in ann.videos[name].tubes["loc"] if not t.has_boxes]
    assert len(loaded) == 1 and loaded[0].frames.tolist() == sorted(raw[0]["frames"])
    assert np.isnan(loaded[0].boxes).all()


def test_multi_label_and_empty_id_lists(synthetic):
    road, _, ann = synthetic
    name, uid = road.quirks["multi_label"]
    video = ann.videos[name]
    rows = np.array([r for r, u in enumerate(video.box_tube_uids) if u == uid])
    per_box = np.bincount(video.box_labels["action"].rows, minlength=len(video.boxes))[rows]
    assert per_box.max() == 2 and per_box.min() == 1
    _, empty_uid = road.quirks["empty_id_lists"]
    rows = [r for r, u in enumerate(video.box_tube_uids) if u == empty_uid]
    for t in ("loc", "triplet"):
        assert not np.isin(rows, video.box_labels[t].rows).any()


def test_non_agent_tubes_split_where_the_class_changes(synthetic):
    road, _, ann = synthetic
    video = ann.videos[road.videos[1].name]
    assert len(video.tubes["action"]) >= 2 * len(video.tubes["agent"])  # every agent changes action half-way


def test_av_actions(synthetic):
    road, _, ann = synthetic
    video, model = ann.videos[road.videos[0].name], road.videos[0]
    names = [ann.labels.av_action[i] for i in video.av_actions.ids]
    assert names == [a for frame in model.av_actions for a in frame]


@pytest.mark.parametrize("frame, name", [(1, "00001.jpg"), (7, "00007.jpg"), (12345, "12345.jpg")])
def test_frame_n_is_image_n(frame, name, tmp_path):
    assert image_name(frame) == name
    video = parse_road(synthetic_road("road_waymo", seed=1).to_json()).videos["train_00000"]
    assert video.image_path(tmp_path, frame) == tmp_path / "rgb-images" / "train_00000" / name


def test_image_name_is_one_based():
    with pytest.raises(ValueError, match="1-based"):
        image_name(0)


def test_generator_is_deterministic():
    assert synthetic_road("road", seed=3).to_json() == synthetic_road("road", seed=3).to_json()
    assert synthetic_road("road", seed=3).to_json() != synthetic_road("road", seed=4).to_json()


def test_roadpp_mode_maps_road_to_waymo_lists():
    ann = parse_road(synthetic_road("road", seed=2).to_json(), labels="roadpp")
    assert ann.dataset == "road" and ann.labels is ROAD_WAYMO
    for video in ann.videos.values():
        agents = {ROAD_WAYMO.agent[i] for i in video.box_labels["agent"].ids}
        assert "OthTL" not in agents  # ROAD-only classes are dropped ...
        actions = {ROAD_WAYMO.action[i] for i in video.box_labels["action"].ids}
        if video.name == "2014-06-25-16-45-34_stereo_centre_01":
            assert "Rev" in actions  # ... and names unused in ROAD but used in ROAD-Waymo are kept


def _broken(edit):
    doc = synthetic_road("road_waymo", seed=0, num_videos=2).to_json()
    video = doc["db"]["train_00000"]
    anno_key = next(iter(video["frames"]["5"]["annos"]))
    edit(doc, video, video["frames"]["5"]["annos"][anno_key])
    return doc


@pytest.mark.parametrize("edit, match", [
    (lambda d, v, a: a.update(box=[0.1, 0.1, 1.02, 0.5]),
     r"train_00000', frame '5', box 'b_\d+': normalised box .* outside \[0, 1.01\]"),
    (lambda d, v, a: a.update(box=[0.5, 0.1, 0.4, 0.5]), r"x2 < x1 or y2 < y1"),
    (lambda d, v, a: a.update(box=[0.1, 0.1, 0.5]), r"box must be 4 finite numbers"),
    (lambda d, v, a: a.update(action_ids=["3"]), r"frame '5', box 'b_\d+': action ids must be integers, got '3'"),
    (lambda d, v, a: a.update(agent_ids=[99]), r"frame '5', box 'b_\d+': agent id 99 is outside all_agent_labels"),
    (lambda d, v, a: v["frames"].update({"x": {"annotated": 1}}), r"frame keys must be integers"),
    (lambda d, v, a: v["frames"].update({"0": {"annotated": 1}}), r"frame keys are 1-based"),
    (lambda d, v, a: next(iter(v["agent_tubes"].values()))["annos"].update({"5": "nope"}),
     r"agent_tubes, tube '.*': frame '5' has no box 'nope'"),
    (lambda d, v, a: next(iter(v["triplet_tubes"].values())).update(label_id=5000), r"label_id 5000 is outside"),
    (lambda d, v, a: d.pop("all_loc_labels"), r"missing keys \['all_loc_labels'\]"),
    (lambda d, v, a: (d.pop("old_loc_labels"), d.update(agent_labels=["A"], all_agent_labels=["A"])),
     r"ann\.json: cannot tell ROAD from ROAD-Waymo"),
    (lambda d, v, a: None, None),  # unchanged: does not raise
])
def test_schema_violations_name_the_place(edit, match):
    doc = _broken(edit)
    if match is None:
        parse_road(doc)
        return
    with pytest.raises(ValueError, match=match):
        parse_road(doc, source="ann.json")


def test_not_json(tmp_path):
    path = tmp_path / "ann.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"ann\.json: not valid JSON"):
        load_road(path)


def test_duplicated_ids_count_once():
    doc = _broken(lambda d, v, a: a.update(action_ids=a["action_ids"] * 2))
    doc2 = copy.deepcopy(doc)
    video = parse_road(doc2).videos["train_00000"]
    pairs = list(zip(video.box_labels["action"].rows.tolist(), video.box_labels["action"].ids.tolist()))
    assert len(pairs) == len(set(pairs))
