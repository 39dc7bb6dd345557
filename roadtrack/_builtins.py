"""Fill the name registry: the package's own stage modules, then third-party plugins.

`roadtrack.core.registry` sits in the bottom layer and must not import the stage packages above it, so the top
package installs loaders instead (`install`, called from ``roadtrack/__init__.py``). A loader runs on the first
look-up of its kind; none of the modules it imports imports torch at import time.

Third-party stages plug in through the ``roadtrack.plugins`` entry-point group; each entry names a module whose
``@register`` decorators run on import::

    [project.entry-points."roadtrack.plugins"]
    my_tracker = "my_package.roadtrack_stages"
"""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points

from roadtrack.core import registry

PLUGIN_GROUP = "roadtrack.plugins"

BUILTIN_MODULES = {
    "detector": "roadtrack.detectors", "embedder": "roadtrack.reid", "motion": "roadtrack.kalman",
    "associator": "roadtrack.association", "cmc": "roadtrack.cmc", "tracker": "roadtrack.trackers",
    "event_classifier": "roadtrack.events",
}
"""Stage kind -> the package whose import registers the built-in implementations of that kind."""


@functools.cache
def load_plugins() -> tuple[str, ...]:
    """Import every ``roadtrack.plugins`` entry point (once); returns their names.

    Raises:
        ImportError: naming the entry point and its distribution when one cannot be imported.
    """
    loaded = []
    for ep in entry_points(group=PLUGIN_GROUP):
        try:
            ep.load()
        except Exception as exc:
            dist = ep.dist.name if ep.dist is not None else "?"
            raise ImportError(f"roadtrack plugin {ep.name!r} = {ep.value!r} (from {dist}) failed to load: "
                              f"{exc}") from exc
        loaded.append(ep.name)
    return tuple(loaded)


def install() -> None:
    """Add the built-in and plugin loaders of every kind to the registry (built-ins first: a plugin that
    reuses a built-in name then fails with "already registered" instead of being shadowed)."""
    for kind in registry.KINDS:
        registry.add_loader(kind, functools.partial(importlib.import_module, BUILTIN_MODULES[kind]))
        registry.add_loader(kind, load_plugins)
