"""Tracker stage of a peer pipeline on one video, fed with detections computed once by benchmarks/pipeline.py.

Called through run_peer.py (``run_peer.py e2e --tracker NAME --video V --dets D.npz --out T.txt [--reid W]
[--mobilenet W] [--frame-rate F] [--repeats N]``) in the peers' environment. Each frame: decode (not
timed), then the peer's update with the frame's detections and image (timed, with ReID and camera-motion time
recorded separately where the peer exposes them); with ``--repeats`` the fastest pass counts. Writes MOTChallenge rows with 1-based frames; prints JSON timings.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from timing import Timed  # same folder (run_peer.py puts it on sys.path)
from zoo import Peer, version


def _one_crop_at_a_time(reid) -> None:
    """The shared OSNet ONNX has a fixed batch of 1: run BoxMOT's ONNX backend crop by crop (as peers-e2e.md did)."""
    backend = reid if hasattr(reid, "session") else getattr(reid, "model", None)
    if not hasattr(backend, "session"):
        return
    forward = backend.forward

    def looped(im_batch):
        return np.concatenate([forward(im_batch[i:i + 1]) for i in range(im_batch.shape[0])], axis=0)

    backend.forward = looped


def _run_once(name: str, args, frame_of, boxes, scores, classes):
    """One pass over the video with a new tracker: (rows, tracker seconds, frames, timers)."""
    import cv2

    timers = {}
    if name != "deep-sort-realtime":
        peer = Peer(name, frame_rate=args.frame_rate, frames=True, reid=args.reid)
        if peer.reid is not None:
            _one_crop_at_a_time(peer.reid)
            timers["reid"] = Timed(peer.reid, "get_features")
        if peer.cmc is not None:
            timers["cmc"] = Timed(peer.cmc, "apply")
    else:
        from deep_sort_realtime.deepsort_tracker import DeepSort
        tracker = DeepSort(embedder="mobilenet", embedder_wts=args.mobilenet, half=False, bgr=True, embedder_gpu=False)
        timers["reid"] = Timed(tracker, "generate_embeds")

    cap = cv2.VideoCapture(args.video)
    rows, seconds, k = [], 0.0, 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        sel = frame_of == k + 1
        dets = np.column_stack([boxes[sel], scores[sel], classes[sel]]).astype(np.float32).reshape(-1, 6)
        t0 = time.perf_counter()
        if name == "deep-sort-realtime":
            raw = [([x1, y1, x2 - x1, y2 - y1], s, int(c)) for x1, y1, x2, y2, s, c in dets]
            tracks = tracker.update_tracks(raw, frame=frame)
            seconds += time.perf_counter() - t0
            for t in tracks:  # confirmed and updated this frame, as roadtrack's deepsort reports
                if t.is_confirmed() and t.time_since_update == 0:
                    x1, y1, x2, y2 = t.to_ltrb()
                    rows.append((k + 1, int(t.track_id), x1, y1, x2, y2, 1.0))
        else:
            out = peer.update(dets, frame)
            seconds += time.perf_counter() - t0
            rows.extend((k + 1, int(r[4]), r[0], r[1], r[2], r[3], float(r[5])) for r in out)
        k += 1
    return rows, seconds, k, timers


def run_e2e(name: str, argv: list[str]) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", required=True)
    parser.add_argument("--dets", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--reid")
    parser.add_argument("--mobilenet")
    parser.add_argument("--frame-rate", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    data = np.load(args.dets)
    frame_of, boxes, scores, classes = data["frame"], data["xyxy"], data["scores"], data["class_ids"]
    best = None
    for _ in range(args.repeats):  # a fresh tracker each time; the fastest run counts (as in A)
        run = _run_once(name, args, frame_of, boxes, scores, classes)
        if best is None or run[1] < best[1]:
            best = run
    rows, seconds, k, timers = best
    with open(args.out, "w") as f:
        for fr, tid, x1, y1, x2, y2, s in rows:
            f.write(f"{fr},{tid},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{s:.4f},-1,-1,-1\n")
    return {"tracker": name, "version": version(name), "frames": k, "track_seconds": seconds,
            **{f"{key}_seconds": t.seconds for key, t in timers.items()}}
