"""Box IoU and tube IoU, hand-computed (spec §3.3, §3.4)."""

import numpy as np
import pytest

from roadtrack.metrics.road import TubeSet, box_iou_pairs, tube_overlaps


def one_pair(det_frames, det_boxes, gt_frames, gt_boxes, metric="stiou", official=True):
    det = TubeSet.build([0], [np.asarray(det_frames)], [np.asarray(det_boxes, float).reshape(-1, 4)])
    gt = TubeSet.build([0], [np.asarray(gt_frames)], [np.asarray(gt_boxes, float).reshape(-1, 4)])
    return float(tube_overlaps(det, gt, np.array([0]), np.array([0]), metric, official)[0])


def moving(frames, step=5):
    """Box of frame f: [step*f, 0, step*f + 9, 9] (10 x 10 pixels with the +1 convention)."""
    return np.array([[step * f, 0, step * f + 9, 9] for f in frames], float)


def test_box_iou_continuous_and_plus_one():
    a = np.array([[0, 0, 9, 9]], float)
    b = np.array([[0, 0, 9, 4]], float)
    # Continuous: areas 81 and 36, intersection 36 -> 36 / 81.
    assert box_iou_pairs(a, b)[0] == pytest.approx(36 / 81)
    # +1 pixel: areas 10*10 = 100 and 10*5 = 50, intersection 10*5 = 50 -> 50 / (100 + 50 - 50) = .5.
    assert box_iou_pairs(a, b, plus_one=True)[0] == 0.5


def test_box_iou_touching_and_empty():
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]], float)
    b = np.array([[10, 0, 20, 10], [0, 0, 0, 0]], float)
    assert box_iou_pairs(a, b).tolist() == [0.0, 0.0]  # touching: no overlap; empty union: 0, not NaN
    # With +1 the touching column x = 10 is shared: 1 * 11 / (121 + 121 - 11).
    assert box_iou_pairs(a[:1], b[:1], plus_one=True)[0] == pytest.approx(11 / 231)


def test_temporal_iou_from_first_and_last_frames():
    # Detection 1-4, ground truth 3-6: (4 - 3 + 1) / (6 - 1 + 1) = 2 / 6.
    same = [0, 0, 9, 9]
    assert one_pair(range(1, 5), [same] * 4, range(3, 7), [same] * 4, "tiou") == pytest.approx(1 / 3)
    # stIoU = tIoU * sIoU = 1/3 * 1.
    assert one_pair(range(1, 5), [same] * 4, range(3, 7), [same] * 4, "stiou") == pytest.approx(1 / 3)
    assert one_pair(range(1, 5), [same] * 4, range(3, 7), [same] * 4, "siou") == 1.0
    # No temporal overlap: 0 in every mode.
    for metric in ("tiou", "siou", "stiou"):
        assert one_pair([1, 2], [same] * 2, [5, 6], [same] * 2, metric) == 0.0


def test_spatial_iou_is_the_mean_over_the_overlap():
    # Frames 1-2; IoU (+1) 1 on frame 1 and .5 on frame 2 -> sIoU .75, tIoU 1.
    det = [[0, 0, 9, 9], [0, 0, 9, 9]]
    gt = [[0, 0, 9, 9], [0, 0, 9, 4]]
    assert one_pair([1, 2], det, [1, 2], gt) == 0.75


def test_plus_one_convention_depends_on_resolution():
    # The same boxes with coordinates doubled: the continuous IoU is unchanged (36 / 81 = 144 / 324),
    # the +1-pixel IoU is not: 50 / 100 = .5 becomes (19 * 9) / (19 * 19) = 171 / 361 = .4737.
    det, gt = [[0, 0, 9, 9]], [[0, 0, 9, 4]]
    det2, gt2 = [[0, 0, 18, 18]], [[0, 0, 18, 8]]
    assert one_pair([1], det, [1], gt) == 0.5
    assert one_pair([1], det2, [1], gt2) == pytest.approx(171 / 361)
    assert one_pair([1], det, [1], gt, official=False) == pytest.approx(36 / 81)
    assert one_pair([1], det2, [1], gt2, official=False) == pytest.approx(36 / 81)


def test_official_gap_at_overlap_end_gives_zero():
    # Ground truth 1, 2, 4, 5 (occluded on 3); detection 3-5. tmin = 3 is not a ground-truth frame -> 0.
    gt_frames = [1, 2, 4, 5]
    assert one_pair([3, 4, 5], moving([3, 4, 5]), gt_frames, moving(gt_frames)) == 0.0
    # Frame by frame (official=False): frames 4 and 5 match exactly, sIoU 1; tIoU (5 - 3 + 1) / 5 = .6.
    assert one_pair([3, 4, 5], moving([3, 4, 5]), gt_frames, moving(gt_frames), official=False) == pytest.approx(0.6)
    # The tIoU mode returns before the gap check.
    assert one_pair([3, 4, 5], moving([3, 4, 5]), gt_frames, moving(gt_frames), "tiou") == pytest.approx(0.6)


def test_official_gap_inside_misaligns_boxes():
    # Ground truth on 1, 2, 4, 5 (boxes move 5 px per frame); detection 1-5 with the true box on every frame.
    # Official: the 4 ground-truth boxes pair with the first 4 detection boxes: frames (1,1) (2,2) (3,4) (4,5).
    # Misaligned pairs are 5 px apart: overlap 5 * 10 = 50, union 100 + 100 - 50 = 150 -> 1/3.
    # sIoU = (1 + 1 + 1/3 + 1/3) / 4 = 2/3; tIoU = 1.
    gt_frames = [1, 2, 4, 5]
    det_frames = [1, 2, 3, 4, 5]
    assert one_pair(det_frames, moving(det_frames), gt_frames, moving(gt_frames)) == pytest.approx(2 / 3)
    # Frame by frame: every common frame matches: 1.
    assert one_pair(det_frames, moving(det_frames), gt_frames, moving(gt_frames), official=False) == 1.0


def test_fixed_rules_accept_detection_gaps():
    # Detection on 1, 2, 5 and ground truth 1-5: common frames 1, 2, 5, all exact; tIoU 1.
    assert one_pair([1, 2, 5], moving([1, 2, 5]), range(1, 6), moving(range(1, 6)), official=False) == 1.0
    with pytest.raises(ValueError, match="contiguous frames"):
        one_pair([1, 2, 5], moving([1, 2, 5]), range(1, 6), moving(range(1, 6)))


def test_ground_truth_without_boxes_overlaps_only_in_time():
    nan = [[np.nan] * 4] * 3
    assert one_pair([1, 2, 3], moving([1, 2, 3]), [1, 2, 3], nan, "tiou") == 1.0
    assert one_pair([1, 2, 3], moving([1, 2, 3]), [1, 2, 3], nan, "stiou") == 0.0


def test_unknown_metric():
    with pytest.raises(ValueError, match="unknown tube overlap 'iou3d'"):
        one_pair([1], [[0, 0, 1, 1]], [1], [[0, 0, 1, 1]], "iou3d")


def test_many_pairs_at_once_equal_pair_by_pair():
    rng = np.random.default_rng(0)
    frames, boxes = [], []
    for _ in range(12):
        start, length = rng.integers(1, 20), rng.integers(1, 15)
        f = np.arange(start, start + length)
        frames.append(f)
        x, y = np.sort(rng.uniform(0, 100, (2, length, 2)), axis=2)
        boxes.append(np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1))
    det = TubeSet.build(np.zeros(6), frames[:6], boxes[:6])
    gt = TubeSet.build(np.zeros(6), frames[6:], boxes[6:])
    pd, pg = np.repeat(np.arange(6), 6), np.tile(np.arange(6), 6)
    for metric in ("stiou", "tiou", "siou"):
        for official in (True, False):
            together = tube_overlaps(det, gt, pd, pg, metric, official)
            alone = [one_pair(frames[i], boxes[i], frames[6 + j], boxes[6 + j], metric, official)
                     for i, j in zip(pd, pg)]
            np.testing.assert_allclose(together, alone, rtol=0, atol=1e-12)
