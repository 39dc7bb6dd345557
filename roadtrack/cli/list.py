"""``roadtrack list``: the registered implementations of every stage."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    sub.add_parser("list", help="list the registered detectors, trackers and other stages",
                   description="List registered implementations by stage.")


def run(args: argparse.Namespace) -> int:
    from roadtrack.core.registry import KINDS, available

    for kind in KINDS:
        print(f"{kind}: {', '.join(available(kind)) or '-'}")
    return 0
