"""The ``roadtrack`` command. Each module of this package is one subcommand.

A subcommand module defines ``add_parser(subparsers)`` (adding a parser whose name is the subcommand)
and ``run(args) -> int``. Errors in the input (missing files, unreadable video, bad weights, bad options)
print one line ``roadtrack: error: ...`` and exit with status 2; no traceback. A missing optional package
names the extra that provides it. SIGTERM (``docker stop``, SLURM, ``timeout``) ends a run like Ctrl-C: outputs
are left as ``*.partial``, never truncated under their final names (exit status 143; Ctrl-C gives 130).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import signal
import sys
from types import ModuleType
from typing import Sequence

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM

# Optional top-level package -> the roadtrack extra that installs it (pyproject.toml).
# The first package of each extra is the one messages name.
EXTRAS = {"openvino": "openvino", "onnxruntime": "onnx", "onnx": "onnx", "torch": "torch", "torchvision": "torch",
          "ultralytics": "yolo", "ray": "ray"}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so every writer cleans up exactly as after Ctrl-C."""


def _raise_terminated(signum: int, frame: object) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
    raise Terminated()


def missing_extra(exc: BaseException) -> tuple[str, str] | None:
    """(package, extra) when ``exc`` or its causes is an ImportError of an optional package, else None.

    A message that already names an extra (``pip install 'roadtrack[onnx]'``: onnxruntime or openvino would
    do) wins over the module that failed last.
    """
    chain, seen = [], exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    modules = [(getattr(e, "name", None) or "").split(".")[0] for e in chain if isinstance(e, ImportError)]
    if not any(m in EXTRAS for m in modules):
        return None
    for e in chain:
        named = re.search(r"roadtrack\[(\w+)\]", str(e))
        if named and named[1] in EXTRAS.values():
            return next(p for p, x in EXTRAS.items() if x == named[1]), named[1]
    top = next(m for m in modules if m in EXTRAS)
    return top, EXTRAS[top]


def _one_line(exc: BaseException) -> str:
    """The error message: an OSError names its file and reason without the errno."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


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
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # "Failed to write frame" on a full disk: we check and report
    if "cv2" in sys.modules:  # already imported: the variable above came too late
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    previous = _install_sigterm()
    try:
        return handlers[args.command].run(args)
    except KeyboardInterrupt as exc:
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"roadtrack: {how}; partial outputs were kept as *.partial", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except ImportError as exc:
        extra = missing_extra(exc)
        if extra is None:
            raise  # a broken install, not a missing extra: the traceback is the useful report
        print(f"roadtrack: error: {args.command} needs the optional package {extra[0]}, which is not installed: "
              f'pip install "roadtrack[{extra[1]}]" (see roadtrack doctor)', file=sys.stderr)
        return EXIT_USAGE
    except (FileNotFoundError, ValueError, RuntimeError, OSError, TypeError) as exc:
        print(f"roadtrack: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if previous:
            signal.signal(signal.SIGTERM, previous[0])


def _install_sigterm() -> tuple | None:
    """Turn SIGTERM into `Terminated` for this call; returns (handler to restore,), or None off the main thread."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_terminated)
    return (signal.SIG_DFL if previous is None else previous,)
