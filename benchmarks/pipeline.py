"""Time each pipeline stage on PETS09-S2L1 (795 frames, 768x576) and print frames/s per stage.

    python benchmarks/pipeline.py [--detector yolo-openvino|ultralytics] [--max-frames N] [--save-video]

Stages: read (video decoding), detect, track, write (tracks.txt, plus the annotated video with --save-video).
Each stage's frames/s is frames / the stage's total time; "total" is end to end.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import tempfile

from _shared import MOT15, YOLOV8N_OPENVINO

from roadtrack import Pipeline
from roadtrack.io import read_mot
from roadtrack.metrics import clear_mot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detector", default="yolo-openvino", choices=["yolo-openvino", "ultralytics"])
    parser.add_argument("--tracker", default="sort")
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--save-video", action="store_true")
    args = parser.parse_args()

    seq = MOT15 / "PETS09-S2L1"
    pipe = Pipeline.from_config({
        "detector": {"name": args.detector, "weights": str(YOLOV8N_OPENVINO), "classes": ["person"], "conf": 0.25},
        "tracker": args.tracker,
    })
    with tempfile.TemporaryDirectory() as out:
        result = pipe.run(seq / "PETS09-S2L1.avi", out_dir=out, save_video=args.save_video,
                          max_frames=args.max_frames, progress=True)
        pred = read_mot(f"{out}/tracks.txt")
    metrics = clear_mot(read_mot(seq / "gt" / "gt.txt"), pred, frames=range(1, result.frames + 1))

    print(f"# {datetime.date.today()} {platform.node()} {platform.processor() or platform.machine()}, "
          f"detector {args.detector}, tracker {args.tracker}, {result.frames} frames of PETS09-S2L1")
    print("| stage | ms/frame | frames/s |")
    print("|---|---|---|")
    for stage, seconds in result.timings.items():
        print(f"| {stage} | {1000 * seconds / result.frames:.2f} | {result.frames / seconds:.1f} |")
    total = sum(result.timings.values())
    print(f"| total | {1000 * total / result.frames:.2f} | {result.frames / total:.1f} |")
    print(f"MOTA {100 * metrics['mota']:.1f}  IDF1 {100 * metrics['idf1']:.1f}  IDSW {metrics['num_switches']:.0f}"
          f"  ({len(result.tubes)} tracks)")


if __name__ == "__main__":
    main()
