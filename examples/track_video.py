"""Track people in a video with the shared YOLOv8n (OpenVINO) detector and SORT, from Python.

    python examples/track_video.py [VIDEO] [--out runs/example]

Prints each track's length and writes tracks.txt and annotated.mp4 into --out.
"""

import argparse
import os
from pathlib import Path

from roadtrack import Pipeline

SHARED = Path(os.environ.get("ROADTRACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))

parser = argparse.ArgumentParser()
parser.add_argument("video", nargs="?", default=SHARED / "data/MOT15/train/TUD-Campus/TUD-Campus.mp4")
parser.add_argument("--out", default="runs/example")
args = parser.parse_args()

pipe = Pipeline.from_config({
    "detector": {"name": "yolo-openvino", "weights": str(SHARED / "models/yolov8n_int8_openvino_model"),
                 "classes": ["person"]},
    "tracker": "sort",
})
result = pipe.run(args.video, out_dir=args.out, save_video=True, progress=True)
print(result.summary())
for tube in result.tubes:
    print(f"track {tube.track_id}: frames {tube.frames[0]}-{tube.frames[-1]} ({len(tube)} boxes)")
