"""`Timed`: sums the seconds spent in one method of an object (used in both environments: standard library only)."""

from __future__ import annotations

import time


class Timed:
    """Replaces ``obj.name`` with a wrapper that adds each call's duration to ``seconds``."""

    def __init__(self, obj, name: str) -> None:
        self.seconds, self._fn = 0.0, getattr(obj, name)
        setattr(obj, name, self)

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self._fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0
