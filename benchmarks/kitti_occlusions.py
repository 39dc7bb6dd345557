"""Lost-track recovery on road scenes: ByteTrack and BoT-SORT with and without it on KITTI tracking labels.

    python benchmarks/kitti_occlusions.py [--seeds 0,1,2] [--presets bytetrack,botsort]
                                          [--burst-prob 0.04] [--jitter 0.05] [--false-positives 0.0]

The 21 KITTI tracking training sequences (../shared/data/kitti_tracking, labels only: a moving car's camera, cars,
vans, cyclists and pedestrians) have no images, so the detections are made from the labels: every labelled
object of those four types, boxes jittered by 5 % of their size, scores drawn around 0.75, and occlusion bursts —
at each frame an object starts a burst of 2..11 missed frames with probability 0.04 (``--burst-prob``). No false
positives by default; ``--false-positives R`` adds on average R boxes per frame at random places and sizes of
labelled boxes, scored around 0.45 (the low-score clutter of real detectors). The same
detections (per seed) go to each tracker, with and without ``recovery``; HOTA, AssA and IDF1 (roadtrack.metrics)
against the labels, frame-weighted over the sequences. The recovery gates were chosen on MOT15 (see RESULTS.md),
not on these sequences, so this is an out-of-sample check on the road domain.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import SHARED  # noqa: E402

import roadtrack  # noqa: E402
from roadtrack.core import Detections  # noqa: E402
from roadtrack.io import TrackRows  # noqa: E402
from roadtrack.io.kitti import read_kitti_tracking  # noqa: E402
from roadtrack.metrics import HOTA, Identity  # noqa: E402
from roadtrack.metrics.benchmarks import plain  # noqa: E402

LABELS = SHARED / "data" / "kitti_tracking" / "training" / "label_02"
TYPES = ["Car", "Van", "Cyclist", "Pedestrian"]
OPTIONS = {"bytetrack": {}, "botsort": {"with_reid": False, "cmc": None}}  # no frames: no CMC, no ReID


def detections_from_labels(gt: TrackRows, rng: np.random.Generator, burst_prob: float = 0.04, jitter: float = 0.05,
                           false_positives: float = 0.0) -> tuple[TrackRows, TrackRows]:
    """(ground truth kept for scoring, detections with jitter, scores, occlusion bursts and false positives)."""
    keep = np.isin(gt.extra["type"], TYPES) & (gt.ids >= 0)
    truth = TrackRows(gt.frames[keep], gt.ids[keep], gt.xyxy[keep], class_ids=gt.class_ids[keep])
    missed = np.zeros(len(truth), bool)
    for object_id in np.unique(truth.ids):
        rows = np.nonzero(truth.ids == object_id)[0]  # file order = frame order
        k = 0
        while k < rows.size:
            if rng.random() < burst_prob:
                length = int(rng.integers(2, 12))
                missed[rows[k:k + length]] = True
                k += length
            else:
                k += 1
    wh = truth.xyxy[:, 2:] - truth.xyxy[:, :2]
    boxes = truth.xyxy + rng.normal(0.0, jitter, truth.xyxy.shape) * np.concatenate([wh, wh], axis=1)
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1.0)
    scores = np.clip(rng.normal(0.75, 0.15, len(truth)), 0.05, 1.0)
    seen = ~missed
    frames, boxes, scores, classes = truth.frames[seen], boxes[seen], scores[seen], truth.class_ids[seen]
    if false_positives > 0 and len(truth):
        n_frames = int(truth.frames.max()) + 1
        n = rng.poisson(false_positives * n_frames)
        like = rng.integers(0, len(truth), n)  # sizes and places of labelled boxes, moved at random
        size = truth.xyxy[like, 2:] - truth.xyxy[like, :2]
        corner = truth.xyxy[like, :2] + rng.normal(0.0, 1.0, (n, 2)) * size * 3
        frames = np.concatenate([frames, rng.integers(0, n_frames, n)])
        boxes = np.concatenate([boxes, np.concatenate([corner, corner + size], axis=1)])
        scores = np.concatenate([scores, np.clip(rng.normal(0.45, 0.15, n), 0.05, 1.0)])
        classes = np.concatenate([classes, truth.class_ids[like]])
    dets = TrackRows(frames, np.full(len(frames), -1), boxes, scores, classes)
    return truth, dets


def track(preset: str, options: dict, dets: TrackRows, n_frames: int) -> TrackRows:
    tracker = roadtrack.build("tracker", preset, **options)
    frames, ids, boxes = [], [], []
    for k in range(n_frames):
        sel = dets.frames == k
        tracks = tracker.update(Detections(dets.xyxy[sel], scores=dets.scores[sel], class_ids=dets.class_ids[sel]))
        frames.append(np.full(len(tracks), k))
        ids.append(tracks.ids)
        boxes.append(tracks.xyxy)
    return TrackRows(np.concatenate(frames), np.concatenate(ids), np.concatenate(boxes).reshape(-1, 4))


def score(preset: str, options: dict, seed: int, **noise: float) -> np.ndarray:
    """Frame-weighted HOTA, AssA, IDF1 (percent) over the 21 sequences; ``noise``: see `detections_from_labels`."""
    rng = np.random.default_rng(seed)
    rows, weights = [], []
    for path in sorted(LABELS.glob("*.txt")):
        truth, dets = detections_from_labels(read_kitti_tracking(path), rng, **noise)
        n = int(truth.frames.max()) + 1
        data = plain(TrackRows(truth.frames, truth.ids, truth.xyxy), track(preset, options, dets, n), num_frames=n)
        hota = HOTA().sequence_result(HOTA().evaluate_sequence(data))
        idf1 = Identity().sequence_result(Identity().evaluate_sequence(data)).IDF1
        rows.append((100 * np.mean(hota.HOTA), 100 * np.mean(hota.AssA), 100 * idf1))
        weights.append(n)
    return np.average(np.array(rows), axis=0, weights=weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--presets", default="bytetrack,botsort")
    parser.add_argument("--burst-prob", type=float, default=0.04, help="per object and frame: start a missed burst")
    parser.add_argument("--jitter", type=float, default=0.05, help="box noise, fraction of the box size")
    parser.add_argument("--false-positives", type=float, default=0.0, help="mean false boxes per frame")
    args = parser.parse_args()
    noise = {"burst_prob": args.burst_prob, "jitter": args.jitter, "false_positives": args.false_positives}
    print(f"noise: {noise}")
    if not LABELS.is_dir():
        raise SystemExit(f"KITTI tracking labels not found: {LABELS} (set ROADTRACK_SHARED)")
    print("| tracker | seed | HOTA | AssA | IDF1 | HOTA without recovery | AssA | IDF1 | ΔHOTA | ΔIDF1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for preset in args.presets.split(","):
        for seed in map(int, args.seeds.split(",")):
            on = score(preset, OPTIONS[preset], seed, **noise)
            off = score(preset, {**OPTIONS[preset], "recovery": False}, seed, **noise)
            print(f"| {preset} | {seed} | {on[0]:.2f} | {on[1]:.2f} | {on[2]:.2f} | {off[0]:.2f} | {off[1]:.2f} | "
                  f"{off[2]:.2f} | {on[0] - off[0]:+.2f} | {on[2] - off[2]:+.2f} |", flush=True)


if __name__ == "__main__":
    main()
