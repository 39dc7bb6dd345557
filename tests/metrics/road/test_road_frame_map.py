"""Frame-mAP rule by rule on hand-written annotations (spec §3.2, §3.3). Boxes are pixels of 1024 x 512."""

import math

import numpy as np
import pytest
from road_cases import annotations, box

from roadtrack.datasets import ROAD_WAYMO
from roadtrack.metrics.road import FrameDetections, evaluate_road

CAR = ROAD_WAYMO.agent.index("Car")
SIZE = (1024, 512)


def dets(*rows):
    """FrameDetections from (frame, class, [x1, y1, x2, y2], score) rows."""
    if not rows:
        return FrameDetections(np.zeros(0), np.zeros(0), np.zeros((0, 4)), np.zeros(0))
    frames, classes, boxes, scores = zip(*rows)
    return FrameDetections(frames, classes, boxes, scores)


def frame_ap(ann, frames, label_type="agent", official=True, subset="val"):
    ev = evaluate_road(ann, subset, frames=frames, official=official, eval_size=SIZE)
    return ev.get("frame", label_type)


def one_video(boxes, numf=3, **extra):
    return annotations({"v": {"numf": numf, "boxes": boxes, **extra}})


def test_greedy_match_against_remaining_ground_truth():
    # A = [0,0,10,10], B = [2,0,12,10] (Cars). d1 = A (score .9), d2 = [.5,0,10.5,10] (score .8).
    # IoU(d1, A) = 1, IoU(d1, B) = 80 / 120; IoU(d2, A) = 95 / 105 = .905, IoU(d2, B) = 85 / 115 = .739.
    # d1 takes A; d2's best (A) is gone, the remaining B has .739 >= .5: TP. AP(Car) = 100.
    ann = one_video([box(1, "a", [0, 0, 10, 10]), box(1, "b", [2, 0, 12, 10])])
    r = frame_ap(ann, {"agent": {"v": dets((1, CAR, [0, 0, 10, 10], .9), (1, CAR, [.5, 0, 10.5, 10], .8))}})
    car = r.classes[CAR]
    assert (car.ap, car.num_gt, car.num_det, car.recall) == (100.0, 2, 2, 100.0)
    # The nine other agent classes have no ground truth and count as 0: mAP = 100 / 10.
    assert r.mAP == 10.0
    assert frame_ap(ann, {"agent": {"v": dets((1, CAR, [0, 0, 10, 10], .9))}}, official=False).mAP == 50.0


def test_iou_threshold_half_is_inclusive():
    # Ground truth 10 x 20, detection its top half: IoU = 100 / 200 = .5 -> TP.
    ann = one_video([box(1, "a", [0, 0, 10, 20])])
    assert frame_ap(ann, {"agent": {"v": dets((1, CAR, [0, 0, 10, 10], .9))}}).classes[CAR].ap == 100.0
    assert frame_ap(ann, {"agent": {"v": dets((1, CAR, [0, 0, 10, 9.9], .9))}}).classes[CAR].ap == 0.0


def test_false_positive_ranked_first():
    # FP (.9, nowhere near) then TP (.8): points (0,1) (0,0) (1,.5) -> AP = 1 * (0 + .5) / 2 = 25.
    ann = one_video([box(1, "a", [0, 0, 10, 10])])
    r = frame_ap(ann, {"agent": {"v": dets((1, CAR, [50, 50, 60, 60], .9), (1, CAR, [0, 0, 10, 10], .8))}})
    assert r.classes[CAR].ap == 25.0


def test_duplicate_detection_is_a_false_positive():
    # Two detections on one ground truth: TP then FP. (0,1) (1,1) (1,.5) -> 100; the FP costs nothing here,
    # but a third, separate ground truth found later shows it: TP FP TP with 2 gt -> 79.1667 (see test_road_ap).
    ann = one_video([box(1, "a", [0, 0, 10, 10]), box(2, "b", [0, 0, 10, 10])])
    r = frame_ap(ann, {"agent": {"v": dets((1, CAR, [0, 0, 10, 10], .9), (1, CAR, [0, 0, 10, 10], .8),
                                           (2, CAR, [0, 0, 10, 10], .7))}})
    assert r.classes[CAR].ap == pytest.approx(79.16667, abs=1e-4)


def test_only_annotated_frames_of_the_subset_count():
    # Frame 2 is not annotated, frame 9 does not exist, video "w" is in the train split: all three
    # detections are ignored (not false positives), so AP stays 100.
    ann = annotations({
        "v": {"numf": 3, "unannotated": [2], "boxes": [box(1, "a", [0, 0, 10, 10])]},
        "w": {"numf": 3, "splits": ["all", "train"], "boxes": [box(1, "c", [0, 0, 10, 10])]},
    })
    frames = {"agent": {"v": dets((2, CAR, [0, 0, 10, 10], .99), (9, CAR, [0, 0, 10, 10], .98),
                                  (1, CAR, [0, 0, 10, 10], .5)),
                        "w": dets((1, CAR, [50, 50, 60, 60], .97))}}
    r = frame_ap(ann, frames)
    assert (r.classes[CAR].ap, r.classes[CAR].num_gt) == (100.0, 1)


def test_annotated_frame_without_boxes_makes_false_positives():
    # Frame 2 is annotated but has no annos: a detection there is an FP ranked first -> AP 25.
    ann = one_video([box(1, "a", [0, 0, 10, 10])])
    r = frame_ap(ann, {"agent": {"v": dets((2, CAR, [0, 0, 10, 10], .9), (1, CAR, [0, 0, 10, 10], .8))}})
    assert r.classes[CAR].ap == 25.0


def test_matching_is_per_frame():
    # A detection on frame 1 cannot match the ground truth of frame 2.
    ann = one_video([box(2, "a", [0, 0, 10, 10])])
    assert frame_ap(ann, {"agent": {"v": dets((1, CAR, [0, 0, 10, 10], .9))}}).classes[CAR].ap == 0.0


def test_multi_label_box_counts_for_each_class():
    # One box with actions MovAway and Stop: ground truth for both; one detection per class -> both 100.
    mov, stop = ROAD_WAYMO.action.index("MovAway"), ROAD_WAYMO.action.index("Stop")
    ann = one_video([box(1, "a", [0, 0, 10, 10], action=["MovAway", "Stop"])])
    r = frame_ap(ann, {"action": {"v": dets((1, mov, [0, 0, 10, 10], .9), (1, stop, [0, 0, 10, 10], .8))}},
                 label_type="action")
    assert [c.name for c in r.classes if c.ap == 100.0] == ["MovAway", "Stop"]
    assert r.mAP == pytest.approx(200 / 22)


def test_agent_ness_counts_every_box():
    # Boxes: a Car and an OthTL (not a ROAD-Waymo class). Agent ground truth: 1 box; agent-ness: 2.
    ann = one_video([box(1, "a", [0, 0, 10, 10]), box(1, "b", [50, 0, 60, 10], agent="OthTL")])
    frames = {"agent_ness": {"v": dets((1, 0, [0, 0, 10, 10], .9), (1, 0, [50, 0, 60, 10], .8))},
              "agent": {"v": dets((1, CAR, [0, 0, 10, 10], .9))}}
    ev = evaluate_road(ann, "val", frames=frames, eval_size=SIZE)
    ness = ev.get("frame", "agent_ness")
    assert [c.name for c in ness.classes] == ["agent_ness"] and ness.classes[0].num_gt == 2 and ness.mAP == 100.0
    assert sum(c.num_gt for c in ev.get("frame", "agent").classes) == 1


@pytest.mark.parametrize("dataset, original, expected_size", [("road", (1280, 960), (682, 512)),
                                                              ("road_waymo", (1920, 1280), (840, 600))])
def test_default_evaluation_space(dataset, original, expected_size):
    # Ground truth is the normalised box [.25, .5, .5, 1]. At 682 x 512 it is [170.5, 256, 341, 512];
    # at 840 x 600 [210, 300, 420, 600]. A detection at the first matches only in the ROAD space:
    # at 840 x 600 the IoU is (131 * 212) / (170.5 * 256 + 210 * 300 - 131 * 212) = .352.
    w, h = original
    ann = annotations({"v": {"numf": 2, "boxes": [box(1, "a", [w / 4, h / 2, w / 2, h])]}}, dataset, original)
    car = ann.labels.agent.index("Car")
    frames = {"agent": {"v": dets((1, car, [170.5, 256, 341, 512], .9))}}
    ev = evaluate_road(ann, "val", frames=frames)
    assert ev.eval_size == expected_size
    assert ev.get("frame", "agent").classes[car].ap == (100.0 if dataset == "road" else 0.0)


def test_no_detections_at_all():
    ann = one_video([box(1, "a", [0, 0, 10, 10])])
    r = frame_ap(ann, {"agent": {}})
    assert r.mAP == 0.0 and all(c.num_det == 0 for c in r.classes)
    fixed = frame_ap(ann, {"agent": {}}, official=False)
    assert fixed.mAP == 0.0 and sum(not math.isnan(c.ap) for c in fixed.classes) == 1


def test_class_ids_out_of_range():
    ann = one_video([box(1, "a", [0, 0, 10, 10])])
    with pytest.raises(ValueError, match=r"video 'v', agent: class id 10 of a frame detection is outside 0\.\.9"):
        frame_ap(ann, {"agent": {"v": dets((1, 10, [0, 0, 10, 10], .9))}})
