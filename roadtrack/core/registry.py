"""Name registry for stage implementations, so configs and CLI flags can choose them by name.

Each stage kind (``"detector"``, ``"tracker"``, ...) maps names to builders (classes or functions). The package's
own implementations of a kind are imported on the first look-up of that kind, so ``roadtrack.build("tracker",
"sort")`` works right after ``import roadtrack``; none of those modules imports torch at import time.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, TypeVar

KINDS = ("detector", "embedder", "motion", "associator", "cmc", "tracker", "event_classifier")
_BUILDERS: dict[str, dict[str, Callable[..., Any]]] = {kind: {} for kind in KINDS}
# Where the package registers its own implementations of each kind.
_BUILTIN_MODULES = {
    "detector": "roadtrack.detectors", "embedder": "roadtrack.reid", "motion": "roadtrack.kalman",
    "associator": "roadtrack.association", "cmc": "roadtrack.cmc", "tracker": "roadtrack.trackers", "event_classifier": "roadtrack.events",
}

F = TypeVar("F", bound=Callable[..., Any])


def _kind(kind: str) -> dict[str, Callable[..., Any]]:
    if kind not in _BUILDERS:
        raise ValueError(f"unknown stage kind {kind!r}; choose from {', '.join(KINDS)}")
    importlib.import_module(_BUILTIN_MODULES[kind])  # cached after the first call
    return _BUILDERS[kind]


def register(kind: str, name: str) -> Callable[[F], F]:
    """Decorator: make ``builder`` available as ``name`` for stage ``kind``. A taken name raises."""

    def decorate(builder: F) -> F:
        table = _kind(kind)
        if name in table and table[name] is not builder:
            raise ValueError(f"{kind} name {name!r} is already registered to {table[name]!r}")
        table[name] = builder
        return builder

    return decorate


def get(kind: str, name: str) -> Callable[..., Any]:
    table = _kind(kind)
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; choose from {', '.join(sorted(table)) or '(none)'}")
    return table[name]


def available(kind: str) -> list[str]:
    return sorted(_kind(kind))


def build(kind: str, name: str, **options: Any) -> Any:
    """Build a registered implementation. Unknown option names raise a ValueError listing the valid ones."""
    builder = get(kind, name)
    params = inspect.signature(builder).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        valid = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n != "self"]
        unknown = sorted(set(options) - set(valid))
        if unknown:
            raise ValueError(f"{kind} {name!r}: unknown option(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
    return builder(**options)
