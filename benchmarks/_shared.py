"""Where benchmarks find ../shared (override with ROADTRACK_SHARED)."""

import os
from pathlib import Path

SHARED = Path(os.environ.get("ROADTRACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))
MOT15 = SHARED / "data" / "MOT15" / "train"
YOLOV8N_OPENVINO = SHARED / "models" / "yolov8n_int8_openvino_model"
