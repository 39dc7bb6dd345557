"""Atomic file output: a result file is either complete or absent, never truncated.

Writers fill a temporary file next to the target and move it onto the target only when they finish.
If writing fails or is interrupted (Ctrl-C, or SIGTERM, which the CLI turns into the same exception),
the target is left as it was and what was written so far is kept as ``<target>.partial``: results are never
lost, but never look complete. A process killed outright (SIGKILL, power loss) leaves its temporary
``<target>.<pid>-<hex>.partial[.mp4]``; `remove_stale_temporaries` deletes those of dead processes.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import IO, Any, Iterator

PARTIAL_SUFFIX = ".partial"
# <target>.<pid>-<8 hex>.partial, optionally followed by an extension OpenCV needs (.mp4).
_TEMP_NAME = re.compile(r"^.+\.(?P<pid>\d+)-[0-9a-f]{8}\.partial(\.[A-Za-z0-9]+)?$")


def temporary_path(target: str | os.PathLike, extension: str = "") -> Path:
    """A fresh temporary name for ``target`` in its folder: ``<target>.<pid>-<random hex>.partial<extension>``.

    The pid lets a later run tell a dead writer's leftovers from a live writer's file; the random part keeps
    two writers of the same target apart.
    """
    target = Path(target)
    return target.with_name(f"{target.name}.{os.getpid()}-{secrets.token_hex(4)}{PARTIAL_SUFFIX}{extension}")


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs; a killed process not yet reaped by its parent (a zombie) counts as dead,
    and one we cannot ask about counts as alive (its files are kept)."""
    if pid == os.getpid():
        return True
    if Path("/proc/self/stat").exists():  # Linux: the state tells a zombie from a running process
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except FileNotFoundError:
            return False
        except (OSError, IndexError):
            pass  # cannot read it: ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but is not ours, or cannot tell: keep its files
    return True


def remove_stale_temporaries(directory: str | os.PathLike) -> list[Path]:
    """Delete the temporary files of writers that died without cleaning up (``kill -9``, a crash).

    Only names of the form ``<target>.<pid>-<hex>.partial[.ext]`` whose ``pid`` is no longer running are
    removed; the kept ``<target>.partial`` of an interrupted run stays until its target is written again.

    Args:
        directory: an output folder; a missing folder has nothing to clean.

    Returns:
        The removed paths.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    removed = []
    for path in directory.iterdir():
        match = _TEMP_NAME.match(path.name)
        if match and path.is_file() and not pid_alive(int(match["pid"])):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def with_filename(exc: BaseException, path: str | os.PathLike) -> BaseException:
    """``exc`` itself, or for an OSError that names no file (ENOSPC from ``write``) or only a temporary name,
    a copy naming ``path``, the file the user asked for."""
    if not isinstance(exc, OSError) or exc.errno is None:
        return exc
    if exc.filename is None or _TEMP_NAME.match(Path(str(exc.filename)).name):
        named = OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))
        named.__cause__ = exc
        return named
    return exc


def partial_path(target: str | os.PathLike) -> Path:
    """Where unfinished output for ``target`` is kept: ``<target>.partial``."""
    target = Path(target)
    return target.with_name(target.name + PARTIAL_SUFFIX)


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable. Not every platform can open a directory (Windows cannot); skip there."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs: Any) -> Iterator[IO]:
    """Open ``path`` for writing so that it appears only once complete.

    The body writes to ``<target>.<pid>-<random>.partial`` in the target's folder (same filesystem, so
    the final rename is atomic). On success the file is flushed, fsynced and moved onto the target with
    `os.replace`, and a stale ``<target>.partial`` from an earlier failed run is removed. If the body
    raises (KeyboardInterrupt included), the target is untouched, the temporary file is renamed to
    ``<target>.partial`` and the exception propagates.

    Args:
        path: the target file. Its folder must exist.
        mode: a write mode: ``"w"``, ``"wt"`` or ``"wb"``.
        **open_kwargs: passed to `open` (``encoding``, ``newline``, ...).

    Yields:
        The open temporary file.

    Example:
        >>> with atomic_write(tmp / "tracks.txt") as f:              # doctest: +SKIP
        ...     f.write("1,1,10,20,5,8,0.9,-1,-1,-1\\n")
    """
    if mode not in ("w", "wt", "wb"):
        raise ValueError(f"atomic_write needs a write mode ('w', 'wt' or 'wb'), got {mode!r}")
    target = Path(path)
    tmp = temporary_path(target)
    try:
        file = open(tmp, mode, **open_kwargs)
    except OSError as exc:
        raise with_filename(exc, target) from exc
    try:
        yield file
        file.flush()
        os.fsync(file.fileno())
        file.close()
    except BaseException as exc:
        # Closing flushes the buffer again: on a full disk that raises ENOSPC a second time, which must not
        # skip the rename below nor replace the body's exception.
        with contextlib.suppress(OSError):
            file.close()
        with contextlib.suppress(OSError):  # the body's exception matters more than a failed rename
            os.replace(tmp, partial_path(target))
        if tmp.exists():  # the rename failed: do not leave a pid-named temporary behind
            with contextlib.suppress(OSError):
                tmp.unlink()
        named = with_filename(exc, target)
        if named is exc:
            raise
        raise named from exc
    commit_file(tmp, target, fsync=False)


def commit_file(tmp_path: str | os.PathLike, target: str | os.PathLike, fsync: bool = True) -> Path:
    """Move a finished temporary file onto ``target`` atomically.

    Args:
        tmp_path: the finished file, in the target's folder.
        target: final path; replaced if it exists.
        fsync: flush the file's data to disk first (skip when the caller already did).

    Returns:
        ``target`` as a Path.
    """
    tmp_path, target = Path(tmp_path), Path(target)
    if fsync:
        with open(tmp_path, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp_path, target)
    for kept in (partial_path(target), partial_path(target).with_name(partial_path(target).name + target.suffix)):
        with contextlib.suppress(FileNotFoundError):  # an earlier interrupted run's <target>.partial[.mp4]
            kept.unlink()
    _fsync_dir(target.parent)
    return target


class AtomicTextWriter:
    """Base of the streaming track-file writers: a text file committed by `close` or a clean ``with`` exit.

    Leaving a ``with`` block by an exception keeps the output as ``<path>.partial`` (see `atomic_write`).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._stack = contextlib.ExitStack()
        self._file = self._stack.enter_context(atomic_write(self.path, "w", encoding="utf-8", newline="\n"))
        self._closed = False

    def _write_text(self, text: str) -> None:
        if self._closed:
            raise ValueError(f"writer for {self.path} is closed")
        self._file.write(text)

    def close(self) -> None:
        """Finish: move the complete file onto ``path``. Idempotent."""
        if not self._closed:
            self._closed = True
            self._stack.close()

    def __enter__(self) -> "AtomicTextWriter":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if self._closed:
            return False
        self._closed = True
        return bool(self._stack.__exit__(exc_type, exc, tb))
