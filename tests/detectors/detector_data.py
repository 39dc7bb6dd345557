"""Data shared by the detector tests: PETS09-S2L1 frames and ground truth, and the benchmark's person AP50.

Plain cached functions rather than fixtures, so any test module here can import them (a second conftest.py would
shadow the top-level one's ``import conftest``).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np

from conftest import require_shared
from roadtrack.io import TrackRows, read_mot

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
# Every 40th frame of PETS09-S2L1 (20 frames, 80-110 people in all): a stable AP in well under a second.
AP_FRAMES = tuple(range(0, 795, 40))


def read_frames(path: Path, indices) -> list[np.ndarray]:
    """Frames ``indices`` (0-based) of a video, read sequentially (seeking is slow and inexact)."""
    wanted, frames = set(indices), {}
    cap = cv2.VideoCapture(str(path))
    for k in range(max(indices) + 1):
        ok, frame = cap.read()
        assert ok, f"cannot read frame {k} of {path}"
        if k in wanted:
            frames[k] = frame
    cap.release()
    return [frames[k] for k in indices]


def pets_dir() -> Path:
    return require_shared("data", "MOT15", "train", "PETS09-S2L1")


@functools.lru_cache(maxsize=1)
def _cached_frames(path: Path) -> tuple[np.ndarray, ...]:
    return tuple(read_frames(path, AP_FRAMES))


def pets_ap_frames() -> list[np.ndarray]:
    """`AP_FRAMES` of the PETS09-S2L1 video, BGR (768x576)."""
    return list(_cached_frames(pets_dir() / "PETS09-S2L1.avi"))


@functools.lru_cache(maxsize=1)
def bench():
    """The benchmark module ``benchmarks/detectors.py``: the tests' AP bounds refer to its `person_ap50`."""
    spec = importlib.util.spec_from_file_location("benchmarks_detectors", BENCHMARKS / "detectors.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def pets_ap50(detector) -> float:
    """Person AP50 of ``detector`` over `AP_FRAMES` (one ``detect`` call for all 20 frames)."""
    gt = read_mot(pets_dir() / "gt" / "gt.txt")
    numbers = np.asarray(AP_FRAMES) + 1  # MOT frame = video frame + 1
    found = detector.detect(pets_ap_frames())
    rows = TrackRows.concat([
        TrackRows(np.full(len(d), n), np.full(len(d), -1), d.xyxy, d.scores, d.class_ids)
        for n, d in zip(numbers, found)
    ])
    return bench().person_ap50(gt, rows, numbers)
