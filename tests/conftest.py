"""Test fixtures. Data and weights come from ../shared (override with ROADTRACK_SHARED).

Tests that need ../shared skip when it is absent, and fail instead when ROADTRACK_REQUIRE_SHARED=1 (CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("YOLO_OFFLINE", "1")  # Ultralytics must never reach for the network in tests

REPO = Path(__file__).resolve().parents[1]


def _shared_root() -> Path:
    return Path(os.environ.get("ROADTRACK_SHARED", REPO.parent / "shared")).resolve()


def require_shared(*parts: str) -> Path:
    """Path under ../shared; skip (or fail under ROADTRACK_REQUIRE_SHARED=1) when it is missing."""
    path = _shared_root().joinpath(*parts)
    if not path.exists():
        message = f"shared data not found: {path}"
        if os.environ.get("ROADTRACK_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_module(name: str):
    """Import an optional dependency; skip without it, fail under ROADTRACK_REQUIRE_SHARED=1 (CI installs all)."""
    try:
        return __import__(name)
    except ImportError as exc:
        if os.environ.get("ROADTRACK_REQUIRE_SHARED") == "1":
            pytest.fail(f"optional dependency {name} is required in CI: {exc}")
        pytest.skip(f"{name} not installed")


@pytest.fixture
def shared():
    return require_shared


@pytest.fixture
def mot15(shared):
    return shared("data", "MOT15", "train")


@pytest.fixture
def yolov8n_openvino(shared):
    require_module("openvino")
    return shared("models", "yolov8n_int8_openvino_model")


@pytest.fixture
def read_only_views(monkeypatch):
    """Every `TrackView` a tracker hands its associator becomes read-only (views of the tracker's arrays, which
    stay writeable for the tracker's own updates): a write anywhere in association then raises."""
    import dataclasses

    from roadtrack.trackers.tracker import MultiObjectTracker

    build_view = MultiObjectTracker._view

    def read_only_view(self, t, predicted):
        view = build_view(self, t, predicted)
        frozen = {}
        for name, value in vars(view).items():
            if isinstance(value, np.ndarray):
                frozen[name] = value.view()
                frozen[name].flags.writeable = False
        return dataclasses.replace(view, **frozen)

    monkeypatch.setattr(MultiObjectTracker, "_view", read_only_view)
