"""Frames/s of each detector on PETS09-S2L1 (795 frames, 768x576), and person AP50 against its gt.txt.

    python benchmarks/detectors.py [--only yolox-onnxruntime,yolo-openvino] [--max-frames N] [--torchvision-frames N]

Per detector two passes over the video (decoding is not timed):

- speed: one frame per ``detect`` call (as tracking runs), at the detector's usual threshold conf 0.25;
- accuracy: batches of 8 frames at conf 0.01, scored with `person_ap50`; its frames/s is printed too.

The torchvision models have no trained weights here (none are in ../shared), so they run with random weights on
the first ``--torchvision-frames`` frames for speed only. ``precomputed`` is the SORT paper's Faster R-CNN
``det/det.txt`` for the same sequence: an accuracy reference, its speed is file lookup only.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.io import TrackRows, read_mot

AP_CONF, SPEED_CONF, AP_BATCH = 0.01, 0.25, 8


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) and (M, 4) xyxy boxes -> (N, M) IoU; 0 where the union is empty."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod((rb - lt).clip(min=0), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_detections(gt: TrackRows, pred: TrackRows, iou_threshold: float = 0.5) -> np.ndarray:
    """Pascal VOC matching: each detection, best score first, claims the ground-truth box it overlaps most.

    A detection is a true positive when that overlap is at least ``iou_threshold`` and no higher-scoring detection
    of the same frame claimed the box before; otherwise it is a false positive (VOC does not fall back to the
    second-best box).

    Returns:
        (len(pred),) bool, True for true positives.
    """
    tp = np.zeros(len(pred), bool)
    gt_rows = {frame: np.flatnonzero(gt.frames == frame) for frame in np.unique(gt.frames).tolist()}
    for frame in np.unique(pred.frames).tolist():
        rows = np.flatnonzero(pred.frames == frame)
        if frame not in gt_rows:
            continue
        rows = rows[np.argsort(-pred.scores[rows], kind="stable")]
        iou = iou_matrix(pred.xyxy[rows], gt.xyxy[gt_rows[frame]])
        best = iou.argmax(axis=1)
        valid = iou[np.arange(len(rows)), best] >= iou_threshold
        # Among the valid detections (in score order), the first to name a ground-truth box is its match.
        _, first = np.unique(best[valid], return_index=True)
        tp[rows[np.flatnonzero(valid)[first]]] = True
    return tp


def average_precision(tp: np.ndarray, scores: np.ndarray, num_gt: int) -> float:
    """VOC all-point interpolated AP: area under the precision-recall curve made monotone from the right.

    Args:
        tp: (N,) bool, True for true-positive detections.
        scores: (N,) their scores.
        num_gt: number of ground-truth boxes (> 0).
    """
    order = np.argsort(-np.asarray(scores), kind="stable")
    hits = np.asarray(tp, bool)[order]
    cum_tp = np.cumsum(hits)
    recall = cum_tp / num_gt
    precision = cum_tp / np.arange(1, len(hits) + 1)
    recall = np.concatenate([[0.0], recall, [1.0]])
    precision = np.concatenate([[0.0], precision, [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    step = np.flatnonzero(recall[1:] != recall[:-1])
    return float(np.sum((recall[step + 1] - recall[step]) * precision[step + 1]))


def person_ap50(gt: TrackRows, pred: TrackRows, frames: np.ndarray | None = None) -> float:
    """AP at IoU 0.5 of ``pred`` against MOTChallenge ``gt``; gt rows whose conf flag is 0 are dropped first.

    Args:
        gt: ground truth (one class), e.g. ``read_mot("gt/gt.txt")``.
        pred: detections of that class; ``scores`` rank them.
        frames: the frame numbers that were run (default: all of gt's), so a partial run is scored on its frames.
    """
    gt = gt[gt.scores > 0]
    if frames is not None:
        gt, pred = gt[np.isin(gt.frames, frames)], pred[np.isin(pred.frames, frames)]
    return average_precision(match_detections(gt, pred), pred.scores, len(gt))


def read_frames(video: Path, max_frames: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (1-based frame number, BGR image)."""
    cap = cv2.VideoCapture(str(video))
    number = 0
    try:
        while max_frames is None or number < max_frames:
            ok, image = cap.read()
            if not ok:
                break
            number += 1
            yield number, image
    finally:
        cap.release()


def run(detector, video: Path, batch: int, max_frames: int | None) -> tuple[TrackRows, float, int]:
    """Detect on every frame; returns all detections as rows, seconds spent in ``detect`` and the frame count."""
    seconds, parts, count, pending = 0.0, [], 0, []

    def flush() -> None:
        nonlocal seconds
        start = time.perf_counter()
        found: list[Detections] = detector.detect([img for _, img in pending], [n for n, _ in pending])
        seconds += time.perf_counter() - start
        for (number, _), d in zip(pending, found):
            parts.append(TrackRows(np.full(len(d), number), np.full(len(d), -1), d.xyxy, d.scores, d.class_ids))
        pending.clear()

    for number, image in read_frames(video, max_frames):
        pending.append((number, image))
        count += 1
        if len(pending) == batch:
            flush()
    if pending:
        flush()
    return TrackRows.concat(parts), seconds, count


def detectors(shared: Path, tv_weights: Path) -> dict[str, tuple[Callable[[float], object], bool]]:
    """Name -> (factory taking conf, has trained weights). Person class only, so AP counts persons."""
    from roadtrack.detectors import (PrecomputedDetector, TorchvisionDetector, UltralyticsDetector,
                                     YoloOpenVINODetector, YoloxDetector)

    yolov8 = shared / "models" / "yolov8n_int8_openvino_model"
    yolox = shared / "models" / "yolox_nano" / "yolox_nano.onnx"
    dets = shared / "data" / "MOT15" / "train" / "PETS09-S2L1" / "det" / "det.txt"
    return {
        "ultralytics (yolov8n int8 OV)": (lambda c: UltralyticsDetector(yolov8, conf=c, classes=["person"],
                                                                         device="cpu", batch=AP_BATCH), True),
        "yolo-openvino (yolov8n int8)": (lambda c: YoloOpenVINODetector(yolov8, conf=c, classes=["person"],
                                                                         device="cpu"), True),
        "yolox-onnxruntime (nano 416)": (lambda c: YoloxDetector(yolox, conf=c, classes=["person"], device="cpu",
                                                                  backend="onnxruntime"), True),
        "yolox-openvino (nano 416)": (lambda c: YoloxDetector(yolox, conf=c, classes=["person"], device="cpu",
                                                               backend="openvino"), True),
        "precomputed (SORT's Faster R-CNN det.txt)": (lambda c: PrecomputedDetector(dets, min_score=c), True),
        "torchvision ssdlite320 (random weights)": (lambda c: TorchvisionDetector(
            tv_weights / "ssdlite320_mobilenet_v3_large.pt", "ssdlite320_mobilenet_v3_large", conf=c,
            device="cpu"), False),
        "torchvision fasterrcnn_mobilenet_320 (random weights)": (lambda c: TorchvisionDetector(
            tv_weights / "fasterrcnn_mobilenet_v3_large_320_fpn.pt", "fasterrcnn_mobilenet_v3_large_320_fpn",
            conf=c, device="cpu"), False),
        "torchvision fasterrcnn_resnet50_fpn 800px (random weights)": (lambda c: TorchvisionDetector(
            tv_weights / "fasterrcnn_resnet50_fpn.pt", "fasterrcnn_resnet50_fpn", conf=c, device="cpu"), False),
    }


def save_random_torchvision(folder: Path) -> None:
    """Random-weight state dicts for the torchvision rows (no trained torchvision weights exist here)."""
    import torch
    from torchvision.models import detection

    torch.manual_seed(0)
    for arch in ("ssdlite320_mobilenet_v3_large", "fasterrcnn_mobilenet_v3_large_320_fpn", "fasterrcnn_resnet50_fpn"):
        model = getattr(detection, arch)(weights=None, weights_backbone=None, num_classes=91)
        torch.save(model.state_dict(), folder / f"{arch}.pt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=None, help="comma-separated substrings of detector names to run")
    parser.add_argument("--max-frames", type=int, default=None, help="frames per pass (default: all 795)")
    parser.add_argument("--torchvision-frames", type=int, default=10, help="frames for the random-weight models")
    args = parser.parse_args()

    from _shared import MOT15, SHARED

    seq = MOT15 / "PETS09-S2L1"
    video, gt = seq / "PETS09-S2L1.avi", read_mot(seq / "gt" / "gt.txt")
    print(f"# {datetime.date.today()} {platform.node()}, {platform.processor() or platform.machine()}, "
          f"PETS09-S2L1, person class only")
    print("| detector | frames | frames/s (batch 1, conf 0.25) | frames/s (batch 8, conf 0.01) | person AP50 |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        table = detectors(SHARED, Path(tmp))
        if args.only is None or "torchvision" in args.only:
            save_random_torchvision(Path(tmp))
        for name, (make, trained) in table.items():
            if args.only and not any(part in name for part in args.only.split(",")):
                continue
            frames = args.max_frames if trained else args.torchvision_frames
            detector = make(SPEED_CONF)
            detector.detect([next(read_frames(video))[1]])  # warm-up: first-call allocations are not the speed
            _, seconds, count = run(detector, video, 1, frames)
            speed = f"{count / seconds:.1f}"
            if trained:
                rows, ap_seconds, _ = run(make(AP_CONF), video, AP_BATCH, frames)
                ap = person_ap50(gt, rows, np.arange(1, count + 1))
                print(f"| {name} | {count} | {speed} | {count / ap_seconds:.1f} | {ap:.3f} |")
            else:
                print(f"| {name} | {count} | {speed} | - | - (random weights) |")


if __name__ == "__main__":
    main()
