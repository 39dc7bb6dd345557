"""``roadtrack track`` options of the event classifiers: ego motion, traffic side and camera geometry.

Kept apart from ``track.py`` so the command's own options and these grow independently. `add_event_options`
adds the flags; `event_options_from_args` turns them into keyword arguments of the classifier that
``--events`` names; `events_run_info` is what ``run.json`` records about the classifier's choices.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from roadtrack.events.spec import events_run_info  # noqa: F401  (re-exported for track)

EGO_CHOICES = "auto, frames, tracks, none or a CSV file"


def add_event_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--ego-motion``, ``--traffic-side``, ``--focal``, ``--horizon``, ``--camera-height`` and
    ``--capture-fps``."""
    group = parser.add_argument_group("event classifier (--events kinematic or a .ckpt)")
    group.add_argument("--ego-motion", default=None, metavar="SOURCE",
                       help="the AV's own motion: 'frames' (ground-plane motion tracked in the video), 'tracks' "
                            "(the motion most tracks share: parked cars, standing people), 'none' (static "
                            "camera), or a CSV of per-frame speed and yaw rate with columns "
                            "frame,speed_mps,yaw_rate_rps (yaw rate positive to the left); default auto: the "
                            "frames when the source has pixels, else the tracks. run.json records the choice")
    group.add_argument("--traffic-side", default=None, choices=["left", "right"],
                       help="which side of the road traffic drives on (default by --event-labels: road -> "
                            "left, as in Oxford; road_waymo/roadpp -> right)")
    group.add_argument("--focal", type=float, default=None, metavar="PIXELS",
                       help="camera focal length in pixels (default 1.1 x sqrt(width x height))")
    group.add_argument("--horizon", type=float, default=None, metavar="FRACTION",
                       help="horizon row as a fraction of the image height, 0..1 (default 0.5: a level camera)")
    group.add_argument("--camera-height", type=float, default=None, metavar="METRES",
                       help="camera height above the road in metres (default 1.5)")
    group.add_argument("--capture-fps", type=float, default=None, metavar="HZ",
                       help="--events kinematic: the rate the frames were captured at when the container says "
                            "otherwise (e.g. 2 for nuScenes keyframes written at 20 fps); speeds, turns and the "
                            "ego motion use it (default: the video's frame rate)")


def event_options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for the ``--events`` classifier from the flags (only those the user gave).

    Raises:
        ValueError: a flag the chosen classifier does not take, a missing ego CSV, or a value out of range.
    """
    given = {key: getattr(args, attr, None) for key, attr in (
        ("ego", "ego_motion"), ("traffic_side", "traffic_side"), ("focal", "focal"), ("horizon", "horizon"),
        ("camera_height", "camera_height"), ("capture_fps", "capture_fps"))}
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return {}
    flags = ", ".join("--" + k.replace("_", "-").replace("ego", "ego-motion") for k in given)
    events = str(getattr(args, "events", None) or "")
    if events != "kinematic" and not events.endswith(".ckpt"):
        raise ValueError(f"{flags}: apply to --events kinematic or a .ckpt, not to "
                         f"{'--events ' + events if events else 'a run without --events'}")
    ego = given.get("ego")
    if ego is not None and ego not in ("auto", "frames", "tracks", "none") and not Path(ego).is_file():
        raise ValueError(f"--ego-motion {ego}: not one of {EGO_CHOICES} (no such file)")
    if "horizon" in given and not 0 < given["horizon"] < 1:
        raise ValueError(f"--horizon is a fraction of the image height between 0 and 1, got {given['horizon']}")
    for key in ("focal", "camera_height", "capture_fps"):
        if key in given and given[key] <= 0:
            raise ValueError(f"--{key.replace('_', '-')} must be positive, got {given[key]}")
    if events.endswith(".ckpt") and "traffic_side" in given:
        raise ValueError("--traffic-side: a learned classifier brings the conventions it was trained on")
    if events.endswith(".ckpt") and "capture_fps" in given:
        raise ValueError("--capture-fps: applies to --events kinematic only")
    return given
