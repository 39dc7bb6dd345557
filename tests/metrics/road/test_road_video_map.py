"""Video-mAP rule by rule on hand-written annotations (spec §3.2, §3.4). Boxes are pixels of 1024 x 512."""

import math

import numpy as np
import pytest
from road_cases import annotations, box, tube

from roadtrack.datasets import ROAD_WAYMO
from roadtrack.metrics.road import evaluate_road

CAR = ROAD_WAYMO.agent.index("Car")
SIZE = (1024, 512)
B = [0, 0, 9, 9]  # 10 x 10 pixels with the +1 convention


def car_track(frames, uid="car", xyxy=B):
    """Boxes of one Car on ``frames`` and its agent tube."""
    boxes = [box(f, f"{uid}{f}", xyxy) for f in frames]
    return boxes, {"agent": [(uid, "Car", [b["key"] for b in boxes])]}


def video_ap(ann, tubes, threshold=0.2, official=True, metric="stiou", label_type="agent"):
    ev = evaluate_road(ann, "val", tubes=tubes, official=official, eval_size=SIZE, metric=metric)
    return ev.get("video", label_type, threshold)


def one_video(frames, numf=8, **kw):
    boxes, tubes = car_track(frames, **kw)
    return annotations({"v": {"numf": numf, "boxes": boxes, "tubes": tubes}})


def test_thresholds_point_two_and_point_five():
    # Ground truth frames 3-6, detection 1-4 with the same box: stIoU = (4-3+1)/(6-1+1) * 1 = 1/3.
    # At .2: TP -> AP(Car) 100, mAP 100 / 10 classes = 10. At .5: FP -> 0.
    ann = one_video(range(3, 7))
    tubes = {"agent": {"v": [tube(CAR, range(1, 5), B, .9)]}}
    assert video_ap(ann, tubes, 0.2).mAP == 10.0 and video_ap(ann, tubes, 0.2).classes[CAR].ap == 100.0
    assert video_ap(ann, tubes, 0.5).mAP == 0.0


@pytest.mark.parametrize("metric, at_half", [("tiou", 0.0), ("siou", 100.0), ("stiou", 0.0)])
def test_overlap_modes(metric, at_half):
    # Same tubes: tIoU 1/3, sIoU 1 (identical boxes), stIoU 1/3; only sIoU passes .5.
    ann = one_video(range(3, 7))
    tubes = {"agent": {"v": [tube(CAR, range(1, 5), B, .9)]}}
    assert video_ap(ann, tubes, 0.5, metric=metric).classes[CAR].ap == at_half


def test_tube_score_ranks_not_frame_scores():
    # Tube X (score .9, frame scores .1) misses; tube Y (score .8, frame scores .99) matches.
    # Ranked by tube score: FP then TP -> points (0,1) (0,0) (1,.5) -> AP 25.
    ann = one_video(range(1, 5))
    x = tube(CAR, range(1, 5), [100, 100, 109, 109], .9, scores=[.1] * 4)
    y = tube(CAR, range(1, 5), B, .8, scores=[.99] * 4)
    assert video_ap(ann, {"agent": {"v": [x, y]}}).classes[CAR].ap == 25.0


def test_matching_is_per_video():
    # The ground truth is in video "v"; the detection in video "u" (also val): FP, AP 0; recall 0.
    boxes, tubes = car_track(range(1, 5))
    ann = annotations({"v": {"numf": 6, "boxes": boxes, "tubes": tubes}, "u": {"numf": 6}})
    r = video_ap(ann, {"agent": {"u": [tube(CAR, range(1, 5), B, .9)]}})
    assert (r.classes[CAR].ap, r.classes[CAR].recall) == (0.0, 0.0)


def test_gap_at_the_overlap_start_official_vs_fixed():
    # Ground truth on 1, 2, 4, 5, 6 (occluded on 3); detection 3-6, same box.
    # Official: tmin = 3 is not a ground-truth frame -> stIoU 0 -> FP at any threshold.
    # Fixed: frames 4-6 compare exactly, sIoU 1; tIoU = (6-3+1)/(6-1+1) = 4/6 -> TP at .5.
    ann = one_video([1, 2, 4, 5, 6])
    tubes = {"agent": {"v": [tube(CAR, range(3, 7), B, .9)]}}
    assert video_ap(ann, tubes, 0.2).classes[CAR].ap == 0.0
    assert video_ap(ann, tubes, 0.5, official=False).classes[CAR].ap == 100.0


def test_plus_one_pixel_decides_a_match():
    # Ground truth [0,0,9,4] on frames 1-3; detection [0,0,9,9]. sIoU with +1: 50 / 100 = .5 -> TP at .5;
    # continuous (fixed rules): 36 / 81 = .444 -> FP.
    ann = one_video(range(1, 4), xyxy=[0, 0, 9, 4])
    tubes = {"agent": {"v": [tube(CAR, range(1, 4), B, .9)]}}
    assert video_ap(ann, tubes, 0.5).classes[CAR].ap == 100.0
    assert video_ap(ann, tubes, 0.5, official=False).classes[CAR].ap == 0.0


def test_missing_types_are_not_evaluated_missing_videos_have_no_detections():
    boxes, tubes = car_track(range(1, 5))
    ann = annotations({"v": {"numf": 6, "boxes": boxes, "tubes": tubes},
                       "u": {"numf": 6, "boxes": car_track(range(1, 5), "c2")[0],
                             "tubes": car_track(range(1, 5), "c2")[1]}})
    ev = evaluate_road(ann, "val", tubes={"agent": {"v": [tube(CAR, range(1, 5), B, .9)]}}, eval_size=SIZE)
    assert {(r.level, r.label_type) for r in ev.results} == {("frame", "agent"), ("video", "agent")}
    # 2 ground-truth tubes, one found: points (0,1) (.5,1) -> AP = .5 * (1 + 1) / 2 = 50; recall 50.
    car = ev.get("video", "agent", 0.2).classes[CAR]
    assert (car.num_gt, car.ap, car.recall) == (2, 50.0, 50.0)


def test_frame_map_from_tubes():
    # Frame detections are the tubes' boxes, each frame scored by the tube's per-frame score: 4 exact boxes.
    ann = one_video(range(1, 5))
    ev = evaluate_road(ann, "val", tubes={"agent": {"v": [tube(CAR, range(1, 5), B, .9)]}}, eval_size=SIZE)
    assert ev.frame_source == "tubes"
    car = ev.get("frame", "agent").classes[CAR]
    assert (car.num_gt, car.num_det, car.ap) == (4, 4, 100.0)
    assert ev.get("frame", "agent_ness") is None  # no agent-ness scores in a tube file


def test_unused_ground_truth_tubes_are_dropped():
    # An OthTL tube is not a ROAD-Waymo class: no ground truth for any class.
    boxes = [box(f, f"o{f}", B, agent="OthTL") for f in range(1, 4)]
    ann = annotations({"v": {"numf": 4, "boxes": boxes, "tubes": {"agent": [("o", "OthTL", ["o1", "o2", "o3"])]}}})
    assert ann.videos["v"].tubes["agent"] == ()
    r = video_ap(ann, {"agent": {"v": []}}, official=False)
    assert all(c.num_gt == 0 for c in r.classes) and math.isnan(r.mAP)


def test_greedy_fallback_between_tubes():
    # Two ground-truth Car tubes on frames 1-4: A at B, A' shifted 1 px. Detection d1 (.9) = A exactly,
    # d2 (.8) = A' exactly. d1 best A; d2 best A' -> both TP, AP 100.
    b2 = [1, 0, 10, 9]
    boxes_a, _ = car_track(range(1, 5), "a")
    boxes_b, _ = car_track(range(1, 5), "b", xyxy=b2)
    ann = annotations({"v": {"numf": 6, "boxes": boxes_a + boxes_b, "tubes": {"agent": [
        ("a", "Car", [b["key"] for b in boxes_a]), ("b", "Car", [b["key"] for b in boxes_b])]}}})
    tubes = {"agent": {"v": [tube(CAR, range(1, 5), B, .9), tube(CAR, range(1, 5), b2, .8)]}}
    assert video_ap(ann, tubes, 0.5).classes[CAR].ap == 100.0
    assert np.isclose(video_ap(ann, {"agent": {"v": tubes["agent"]["v"][::-1]}}, 0.5).classes[CAR].ap, 100.0)


def test_detection_gaps_need_fixed_rules():
    # Detection on frames 1, 2, 4 (not a valid submission tube): official rules refuse it, fixed rules compare
    # frames 1, 2 and 4 with the ground truth 1-4: sIoU 1, tIoU 1 -> TP.
    ann = one_video(range(1, 5))
    tubes = {"agent": {"v": [tube(CAR, [1, 2, 4], B, .9)]}}
    with pytest.raises(ValueError, match=r"agent/v/tube 0: frames have gaps"):
        video_ap(ann, tubes)
    assert video_ap(ann, tubes, 0.5, official=False).classes[CAR].ap == 100.0
