"""Letterbox geometry, NMS and box rescaling, checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from roadtrack.detectors import postprocess as pp


@pytest.mark.parametrize(
    "orig_hw, gain, resized_wh, pad",
    [
        # PETS09 768x576: gain = min(640/576, 640/768) = 640/768 = 0.8333; 576 * 0.8333 = 480; (640-480)/2 = 80.
        ((576, 768), 640 / 768, (640, 480), (0, 80, 0, 80)),
        # TUD 640x480: gain 1, (640-480)/2 = 80 above and below.
        ((480, 640), 1.0, (640, 480), (0, 80, 0, 80)),
        # Upscaling 320x240: gain 2 -> 640x480.
        ((240, 320), 2.0, (640, 480), (0, 80, 0, 80)),
        # 641x480: gain 640/641; height round(479.25) = 479; 161 px of padding -> 80 top, 81 bottom.
        ((480, 641), 640 / 641, (640, 479), (0, 80, 0, 81)),
        # Portrait 480x640 (w x h): gain 1, 160 px left/right split 80/80.
        ((640, 480), 1.0, (480, 640), (80, 0, 80, 0)),
    ],
)
def test_letterbox_geometry(orig_hw, gain, resized_wh, pad):
    g = pp.letterbox_params(orig_hw, (640, 640))
    assert g.gain == pytest.approx(gain)
    assert g.resized_wh == resized_wh
    assert g.pad == pad
    left, top, right, bottom = pad
    assert (resized_wh[0] + left + right, resized_wh[1] + top + bottom) == (640, 640)


def test_letterbox_pixels():
    frame = np.full((576, 768, 3), 200, np.uint8)
    image, g = pp.letterbox(frame, (640, 640))
    assert image.shape == (640, 640, 3) and image.dtype == np.uint8
    assert g.gain == pytest.approx(0.8333, abs=1e-4)
    assert (image[:80] == pp.PAD_VALUE).all() and (image[560:] == pp.PAD_VALUE).all()
    assert (image[80:560] == 200).all()


def test_letterbox_matches_plain_resize_when_sizes_agree():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (640, 640, 3), dtype=np.uint8)
    image, g = pp.letterbox(frame, (640, 640))
    assert g.pad == (0, 0, 0, 0) and np.array_equal(image, frame)


def test_to_input_hand_computed():
    g = pp.letterbox_params((576, 768), (640, 640))
    # The full frame maps to the unpadded band: x 0..640, y 80..560.
    np.testing.assert_allclose(pp.to_input([[0, 0, 768, 576]], g), [[0, 80, 640, 560]])
    # (120, 48) * 0.8333 = (100, 40), plus 80 px top padding.
    np.testing.assert_allclose(pp.to_input([[120, 48, 240, 96]], g), [[100, 120, 200, 160]])


def test_to_frame_undoes_padding_and_gain_then_clips():
    g = pp.letterbox_params((576, 768), (640, 640))
    boxes = pp.to_frame(np.array([[100, 120, 200, 160], [-10, 50, 700, 600]], np.float32), g)
    # Row 2: x1 -10/0.8333 = -12 -> 0; y1 (50-80)/0.8333 = -36 -> 0;
    #        x2 700/0.8333 = 840 -> 768; y2 (600-80)/0.8333 = 624 -> 576.
    np.testing.assert_allclose(boxes, [[120, 48, 240, 96], [0, 0, 768, 576]], atol=1e-4)
    assert boxes.dtype == np.float64


@pytest.mark.parametrize("orig_hw", [(576, 768), (480, 641), (640, 480), (375, 1242)])
def test_rescale_round_trip(orig_hw):
    rng = np.random.default_rng(1)
    h, w = orig_hw
    xy1 = rng.uniform(0, [w - 20, h - 20], (50, 2))
    frame_boxes = np.concatenate([xy1, xy1 + rng.uniform(1, 20, (50, 2))], axis=1)
    g = pp.letterbox_params(orig_hw, (640, 640))
    np.testing.assert_allclose(pp.to_frame(pp.to_input(frame_boxes, g), g), frame_boxes, atol=1e-9)


def test_to_frame_empty():
    g = pp.letterbox_params((576, 768), (640, 640))
    assert pp.to_frame(np.zeros((0, 4)), g).shape == (0, 4)


# IoU([0,0,10,10], [1,0,11,10]) = 90 / (100 + 100 - 90) = 0.818.
A, A_SHIFTED, FAR = [0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]


@pytest.mark.parametrize(
    "boxes, scores, class_ids, iou, expected",
    [
        ([A, A_SHIFTED, FAR], [0.9, 0.8, 0.7], None, 0.5, [0, 2]),  # overlap suppressed
        ([A_SHIFTED, A, FAR], [0.8, 0.9, 0.7], None, 0.5, [1, 2]),  # the higher score wins, whatever the order
        ([A, A_SHIFTED, FAR], [0.9, 0.8, 0.7], [0, 1, 0], 0.5, [0, 1, 2]),  # different classes both kept
        ([A, A_SHIFTED, A], [0.9, 0.8, 0.7], [0, 1, 1], 0.5, [0, 1]),  # suppression within class 1 only
        ([A, A_SHIFTED], [0.9, 0.8], None, 0.9, [0, 1]),  # 0.818 is not above 0.9
        # IoU([0,0,10,10], [5,0,15,10]) = 50 / 150 = 1/3: kept at threshold 1/3 (strictly above suppresses).
        ([A, [5, 0, 15, 10]], [0.9, 0.8], None, 1 / 3, [0, 1]),
        ([A, [5, 0, 15, 10]], [0.9, 0.8], None, 0.33, [0]),
        # Greedy, not Fast-NMS: B (IoU 60/140 = 0.43 with A) is removed, so it cannot remove C (IoU 20/180 with A).
        ([A, [4, 0, 14, 10], [8, 0, 18, 10]], [0.9, 0.8, 0.7], None, 0.4, [0, 2]),
        # Zero-area boxes have IoU 0 with everything.
        ([[5, 5, 5, 5], [5, 5, 5, 5]], [0.9, 0.8], None, 0.5, [0, 1]),
    ],
)
def test_nms(boxes, scores, class_ids, iou, expected):
    keep = pp.nms(np.array(boxes, float), np.array(scores), iou, None if class_ids is None else np.array(class_ids))
    assert keep.dtype == np.int64
    assert keep.tolist() == expected


def test_nms_empty():
    keep = pp.nms(np.zeros((0, 4)), np.zeros(0), 0.5)
    assert keep.shape == (0,) and keep.dtype == np.int64


def test_nms_matches_brute_force_on_random_boxes():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 100, (200, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 40, (200, 2))], axis=1)
    scores = rng.uniform(size=200)
    classes = rng.integers(0, 3, 200)
    keep = pp.nms(boxes, scores, 0.45, classes)
    # Reference: visit boxes by score, keep one unless a kept box of its class overlaps it by more than 0.45.
    expected = []
    for i in np.argsort(-scores):
        if all(classes[j] != classes[i] or pp.pairwise_iou(boxes[j], boxes[i:i + 1])[0] <= 0.45 for j in expected):
            expected.append(i)
    assert keep.tolist() == expected


NAMES = {0: "person", 1: "bicycle", 2: "car"}


@pytest.mark.parametrize(
    "classes, expected",
    [(None, None), ([0], [0]), (["person", 2], [0, 2]), (["car", "car", 0], [0, 2]), ("car", [2]), (1, [1])],
)
def test_resolve_classes(classes, expected):
    ids = pp.resolve_classes(classes, NAMES)
    assert (ids is None and expected is None) or ids.tolist() == expected


@pytest.mark.parametrize(
    "classes, match",
    [
        (["pedestrian"], r"unknown class name 'pedestrian'; valid classes are 0: person, 1: bicycle, 2: car"),
        ([7], "unknown class id 7"),
        ([1.5], "expected class ids or names"),
        ([True], "expected class ids or names"),
    ],
)
def test_resolve_classes_rejects(classes, match):
    with pytest.raises(ValueError, match=match):
        pp.resolve_classes(classes, NAMES)


GOOD = np.zeros((4, 6, 3), np.uint8)


@pytest.mark.parametrize(
    "frames, frame_ids, match",
    [
        ([GOOD, GOOD], None, None),
        (np.zeros((2, 4, 6, 3), np.uint8), [1, 2], None),
        ([], None, None),
        ([np.zeros((4, 6), np.uint8)], None, r"frames\[0\]: expected shape \(H, W, 3\)"),
        ([GOOD, np.zeros((4, 6, 4), np.uint8)], None, r"frames\[1\]: expected shape"),
        ([np.zeros((0, 6, 3), np.uint8)], None, "expected shape"),
        ([GOOD.astype(np.float32)], None, "expected dtype uint8"),
        ([None], None, "expected a numpy array, got NoneType"),
        (GOOD, None, r"a \(B, H, W, 3\) array, got shape \(4, 6, 3\)"),
        ([GOOD], [1, 2], "expected 1 ids"),
    ],
)
def test_check_frames(frames, frame_ids, match):
    if match is None:
        assert len(pp.check_frames(frames, frame_ids)) == len(frames)
    else:
        with pytest.raises(ValueError, match=match):
            pp.check_frames(frames, frame_ids)
