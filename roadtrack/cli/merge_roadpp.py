"""``roadtrack merge-roadpp OUT.pkl PKL...``: one ROAD++ submission from per-video ``tubes.pkl`` files."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "merge-roadpp", help="merge per-video ROAD++ tubes.pkl files into one submission",
        description="Merge the tubes.pkl of several 'roadtrack track --format roadpp' runs (one per video) into "
                    "one submission holding all five label types and, with --annotations, every video of the "
                    "split (empty where nothing was detected), as the official evaluator expects.")
    p.add_argument("out", help="the merged .pkl to write")
    p.add_argument("pred", nargs="+", help="per-video tubes.pkl files")
    p.add_argument("--annotations", default=None, help="annotation JSON whose --subset videos must all be present")
    p.add_argument("--subset", default="val", help="split of --annotations (default: val)")
    p.add_argument("--labels", default="road_waymo", choices=["road_waymo", "road"],
                   help="label lists the label ids index (default: road_waymo, ROAD++)")
    p.add_argument("--zip", action="store_true", help="also write the .zip the ROAD++ server takes")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from roadtrack.core.labels import EVAL_SIZES
    from roadtrack.io.roadpp import zip_submission
    from roadtrack.io.roadpp_merge import merge_submissions

    videos: list[str] = []
    if args.annotations is not None:
        from roadtrack.datasets.road import load_road

        videos = [v.name for v in load_road(args.annotations).subset(args.subset)]
    for path in args.pred:
        if not Path(path).is_file():
            raise FileNotFoundError(f"prediction file not found: {path}")
    out = merge_submissions(args.pred, args.out, videos, args.labels, EVAL_SIZES[args.labels])
    print(f"wrote {out} ({len(args.pred)} file(s), {len(videos) or 'no'} split videos required)")
    if args.zip:
        print(f"wrote {zip_submission(out)}")
    return 0
