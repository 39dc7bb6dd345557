"""Name registry for stage implementations, so configs and CLI flags can choose them by name.

Each stage kind (``"detector"``, ``"tracker"``, ...) maps names to builders (classes or functions). The registry
sits in the bottom layer and imports nothing above it: whoever owns the implementations says how to load them
with `add_loader`. The top package (``roadtrack/__init__.py``, through `roadtrack._builtins`) adds one loader per
kind that imports the package's own stage modules, and one that imports third-party plugins; each runs on the
first look-up of its kind, so ``roadtrack.build("tracker", "sort")`` works right after ``import roadtrack``
while ``import roadtrack`` itself stays light.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, TypeVar

KINDS = ("detector", "embedder", "motion", "associator", "cmc", "tracker", "event_classifier")
_BUILDERS: dict[str, dict[str, Callable[..., Any]]] = {kind: {} for kind in KINDS}
# Loaders not yet run, per kind.
_LOADERS: dict[str, list[Callable[[], object]]] = {kind: [] for kind in KINDS}

F = TypeVar("F", bound=Callable[..., Any])


def _check_kind(kind: str) -> None:
    if kind not in _BUILDERS:
        raise ValueError(f"unknown stage kind {kind!r}; choose from {', '.join(KINDS)}")


def _kind(kind: str) -> dict[str, Callable[..., Any]]:
    _check_kind(kind)
    pending = _LOADERS[kind]
    while pending:
        load = pending.pop(0)  # popped first: a look-up made by the modules it imports must not rerun it
        try:
            load()
        except BaseException:
            pending.insert(0, load)  # a failed import is retried on the next look-up
            raise
    return _BUILDERS[kind]


def add_loader(kind: str, load: Callable[[], object]) -> None:
    """Run ``load()`` once, before the next look-up of ``kind`` (`get`, `available` or `build`).

    ``load`` typically imports a module whose ``@register`` decorators fill the kind. This is how layers above
    the core make their implementations available without the core importing them.

    Args:
        kind: one of `KINDS`.
        load: a callable taking no arguments; its return value is ignored. If it raises, the error propagates
            and ``load`` runs again on the following look-up.
    """
    _check_kind(kind)
    _LOADERS[kind].append(load)


def register(kind: str, name: str) -> Callable[[F], F]:
    """Decorator: make ``builder`` available as ``name`` for stage ``kind``. A taken name raises."""

    _check_kind(kind)

    def decorate(builder: F) -> F:
        # No loaders here: `register` runs while a stage module is being imported, and loading other modules
        # (plugins that build on that module) half-way through that import would meet it partly initialised.
        # A clash with a not-yet-loaded name still raises, when the second of the two registers.
        table = _BUILDERS[kind]
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
