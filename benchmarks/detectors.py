"""Frames/s of each detector on PETS09-S2L1 (795 frames, 768x576), and person AP50 against its gt.txt.

    python benchmarks/detectors.py [--only yolox-onnxruntime,yolo-openvino] [--max-frames N] [--torchvision-frames N]

Per detector two passes over the video (decoding is not timed), taken in turns with the other detectors, 40
frames at a time, so all see the same load from other processes:

- speed: one frame per ``detect`` call (as tracking runs), at the detector's usual threshold conf 0.25; frames/s
  over the whole pass and the median ms per call;
- accuracy: batches of 8 frames at conf 0.01, scored with `person_ap50`; its frames/s is printed too.

The torchvision models have no trained weights here (none are in ../shared), so they run with random weights on
the first ``--torchvision-frames`` frames for speed only. ``precomputed`` is the SORT paper's Faster R-CNN
``det/det.txt`` for the same sequence: an accuracy reference, its speed is file lookup only.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.io import TrackRows, read_mot

AP_CONF, SPEED_CONF, AP_BATCH = 0.01, 0.25, 8
CHUNK = 40  # frames each detector runs before the next one takes its turn


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


def read_chunks(video: Path, size: int, max_frames: int | None = None) -> Iterator[list[tuple[int, np.ndarray]]]:
    """Yield lists of up to ``size`` (1-based frame number, BGR image) pairs, in order."""
    cap = cv2.VideoCapture(str(video))
    chunk: list[tuple[int, np.ndarray]] = []
    number = 0
    try:
        while max_frames is None or number < max_frames:
            ok, image = cap.read()
            if not ok:
                break
            number += 1
            chunk.append((number, image))
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
    finally:
        cap.release()


@dataclasses.dataclass
class Pass:
    """One detector's pass over the video: per-call seconds, frames seen and the detections found."""

    detector: object
    batch: int
    seconds: list[float] = dataclasses.field(default_factory=list)
    frames: int = 0
    rows: list[TrackRows] = dataclasses.field(default_factory=list)

    def run(self, chunk: list[tuple[int, np.ndarray]]) -> None:
        for start in range(0, len(chunk), self.batch):
            part = chunk[start:start + self.batch]
            t0 = time.perf_counter()
            found: list[Detections] = self.detector.detect([img for _, img in part], [n for n, _ in part])
            self.seconds.append(time.perf_counter() - t0)
            for (number, _), d in zip(part, found):
                self.rows.append(TrackRows(np.full(len(d), number), np.full(len(d), -1), d.xyxy, d.scores,
                                           d.class_ids))
            self.frames += len(part)

    @property
    def fps(self) -> float:
        return self.frames / sum(self.seconds)


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
    lines = [
        f"# {datetime.date.today()} {platform.node()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; PETS09-S2L1, person class only",
        "| detector | frames | frames/s (batch 1, conf 0.25) | ms/frame median | frames/s (batch 8, conf 0.01) "
        "| person AP50 |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        table = detectors(SHARED, Path(tmp))
        names = [n for n in table if not args.only or any(part in n for part in args.only.split(","))]
        if any("torchvision" in n for n in names):
            save_random_torchvision(Path(tmp))
        speed = {n: Pass(table[n][0](SPEED_CONF), 1) for n in names}
        accuracy = {n: Pass(table[n][0](AP_CONF), AP_BATCH) for n in names if table[n][1]}
        # Detectors take turns chunk by chunk, so a burst of other processes on this shared machine hits all of
        # them alike; the first chunk's first frame warms every detector up untimed.
        for k, chunk in enumerate(read_chunks(video, CHUNK, args.max_frames)):
            if k == 0:
                for p in (*speed.values(), *accuracy.values()):
                    p.detector.detect([chunk[0][1]])
            for name in names[k % len(names):] + names[:k % len(names)]:
                if table[name][1]:
                    speed[name].run(chunk)
                    accuracy[name].run(chunk)
                elif speed[name].frames < args.torchvision_frames:
                    speed[name].run(chunk[:args.torchvision_frames - speed[name].frames])
            print(f"{chunk[-1][0]} frames", file=sys.stderr, flush=True)
    for name in names:
        fast = speed[name]
        cells = f"{fast.frames} | {fast.fps:.1f} | {1000 * np.median(fast.seconds):.1f}"
        if name in accuracy:
            acc = accuracy[name]
            ap = person_ap50(gt, TrackRows.concat(acc.rows), np.arange(1, acc.frames + 1))
            lines.append(f"| {name} | {cells} | {acc.fps:.1f} | {ap:.3f} |")
        else:
            lines.append(f"| {name} | {cells} | - | - (random weights) |")
    lines.append(f"load average at end {os.getloadavg()[0]:.1f}")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
