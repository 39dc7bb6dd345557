"""What presets share: how an embedder is given to a preset."""

from __future__ import annotations

from typing import Any, Mapping

from roadtrack.core import Embedder
from roadtrack.core.registry import build

EmbedderSpec = Embedder | str | Mapping[str, Any] | None


def embedder_from(spec: EmbedderSpec) -> Embedder | None:
    """An `Embedder` from an instance, a registered name, ``{"name": ..., **options}`` or None."""
    if spec is None or isinstance(spec, Embedder):
        return spec
    if isinstance(spec, str):
        return build("embedder", spec)
    if isinstance(spec, Mapping):
        options = dict(spec)
        return build("embedder", options.pop("name"), **options)
    raise ValueError(f"embedder must be an Embedder, a registered name or a mapping, got {type(spec).__name__}")
