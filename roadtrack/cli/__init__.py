"""The ``roadtrack`` command. Each module of this package is one subcommand.

A subcommand module defines ``add_parser(subparsers)`` (adding a parser whose name is the subcommand)
and ``run(args) -> int``. Errors in the input (missing files, unreadable video, bad weights, bad options)
print one line ``roadtrack: error: ...`` and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from types import ModuleType
from typing import Sequence

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _subcommands() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)
            if not m.name.startswith("_")]


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The parser, and the module that runs each subcommand."""
    from roadtrack import __version__

    parser = _Parser(prog="roadtrack", description="Multi-object tracking and road-event detection for road-scene video.")
    parser.add_argument("--version", action="version", version=f"roadtrack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    handlers = {}
    for module in _subcommands():
        before = set(sub.choices)
        module.add_parser(sub)
        handlers.update({name: module for name in set(sub.choices) - before})
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    # FFmpeg's own log lines ("moov atom not found") would precede our one-line error; we report failures ourselves.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    try:
        return handlers[args.command].run(args)
    except KeyboardInterrupt:
        print("roadtrack: interrupted; partial outputs were kept as *.partial", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (FileNotFoundError, ValueError, RuntimeError, OSError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"roadtrack: error: {message}", file=sys.stderr)
        return EXIT_USAGE
