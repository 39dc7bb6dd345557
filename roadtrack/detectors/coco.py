"""COCO class names in the orders detectors use them.

- `COCO80`: the 80 detection classes as contiguous ids 0..79 (YOLO, YOLOX and most exports).
- `COCO_CATEGORY_IDS`: the official COCO ``category_id`` of each of those 80 (1..90 with gaps), as COCO-json
  results and torchvision's 91-way heads use them.
"""

from __future__ import annotations

COCO80 = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
)

# 1..90 without the ten ids COCO reserved but never annotated (12, 26, 29, 30, 45, 66, 68, 69, 71, 83).
_UNUSED = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
COCO_CATEGORY_IDS = tuple(i for i in range(1, 91) if i not in _UNUSED)

# category_id -> name, e.g. 1: person, 3: car, 10: traffic light, 90: toothbrush.
COCO_CATEGORIES: dict[int, str] = dict(zip(COCO_CATEGORY_IDS, COCO80))


def coco80_names() -> dict[int, str]:
    """{0: "person", 1: "bicycle", ..., 79: "toothbrush"}."""
    return dict(enumerate(COCO80))
