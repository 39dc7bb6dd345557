"""``roadtrack make-synthetic-road OUT``: the synthetic ROAD / ROAD-Waymo split to try the event commands on.

Writes ``OUT/videos/<split>_<k:05d>.mp4`` (rendered road scenes, `roadtrack.datasets.synthetic_video`) and
``OUT/<dataset>_synthetic_v1.0.json`` (their annotations in the real file's schema); with ``--detections``
also ``OUT/detections/<video>/<frame:05d>.pkl``: detections with per-box agent, action and location scores
made from the ground truth with noise (`roadtrack.datasets.synthetic_detections`), in the ROAD++ baseline's
dump layout, which ``roadtrack track VIDEO --detections OUT/detections/<video> --events scores`` reads.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "make-synthetic-road", help="write a synthetic ROAD / ROAD-Waymo split (videos, annotations, detections)",
        description="Render a small synthetic road-event dataset: videos and an annotation JSON in the ROAD "
                    "schema (split ids: ROAD-Waymo 'train'/'val', ROAD 'train_3'/'val_3'), optionally with "
                    "detections that carry per-box label scores.")
    p.add_argument("out", help="output folder (created)")
    p.add_argument("--dataset", default="road_waymo", choices=["road_waymo", "road"],
                   help="label lists and split names to imitate (default: road_waymo, the ROAD++ data)")
    p.add_argument("--train", type=int, default=8, help="training videos (default: 8)")
    p.add_argument("--val", type=int, default=4, help="validation videos (default: 4)")
    p.add_argument("--frames", type=int, default=72, help="frames per video, at least 8 (default: 72)")
    p.add_argument("--seed", type=int, default=0, help="random seed; equal arguments give equal files (default: 0)")
    p.add_argument("--image-folders", action="store_true",
                   help="also write OUT/rgb-images/<video>/00001.jpg ... (the dataset's frame layout)")
    p.add_argument("--detections", action="store_true",
                   help="also write OUT/detections/<video>/: noisy detections with per-box label scores")
    p.add_argument("--noise", type=float, default=0.15,
                   help="standard deviation of the label-score noise of --detections (default: 0.15)")
    p.add_argument("--miss", type=float, default=0.1,
                   help="probability that --detections misses a ground-truth box on a frame (default: 0.1)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np

    from roadtrack.datasets.road import load_road
    from roadtrack.datasets.synthetic_detections import DetectionNoise, noisy_detections
    from roadtrack.datasets.synthetic_video import SPLIT_IDS, write_synthetic_videos
    from roadtrack.io.road_detections import write_road_detections

    if args.train < 0 or args.val < 0 or args.train + args.val == 0:
        raise ValueError("--train and --val must be >= 0 and not both 0")
    noise = DetectionNoise(noise=args.noise, miss=args.miss)  # bad values fail before any rendering
    out = Path(args.out)
    splits = {k: v for k, v in (("train", args.train), ("val", args.val)) if v}
    path = write_synthetic_videos(out, splits, dataset=args.dataset, seed=args.seed, num_frames=args.frames,
                                  image_folders=args.image_folders)
    print(f"wrote {sum(splits.values())} videos to {out / 'videos'} and annotations {path}")
    print("evaluate with " + ", ".join(f"--subset {SPLIT_IDS[args.dataset][k][-1]} ({k} videos)" for k in splits))
    if args.detections:
        ann = load_road(path)
        rng = np.random.default_rng(args.seed + 1)
        for video in ann.videos.values():
            write_road_detections(out / "detections" / video.name, noisy_detections(video, ann.labels, rng, noise))
        print(f"wrote detections with per-box label scores to {out / 'detections'}/<video>/")
    return 0
