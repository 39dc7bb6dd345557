"""`parallel_map`: a function over items on local processes or Ray, results in input order.

Used by ``roadtrack eval mot|road --workers N --engine pool|ray`` to score sequences in parallel: the results
are those of ``[fn(x) for x in items]``, whichever engine or worker count computed them.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable

from roadtrack.runner.engines import ENGINES, default_workers, process_context, ray_session


def parallel_map(fn: Callable[[Any], Any], items: Iterable[Any], engine: str = "pool", workers: int | None = None,
                 ray_address: str | None = None) -> list[Any]:
    """``[fn(x) for x in items]``, computed by ``workers`` processes (or Ray tasks).

    Args:
        fn: a picklable function (module level, or a `functools.partial` of one).
        items: picklable arguments.
        engine: ``"pool"`` or ``"ray"``.
        workers: processes; default one per core; 1 (or a single item) computes here, with no process started.
        ray_address: with ``engine="ray"``, an existing cluster; None starts a local Ray for the call.

    Returns:
        The results, in the order of ``items``.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    items = list(items)
    if engine == "ray":
        with ray_session(ray_address, workers) as ray:
            remote, shared = ray.remote(num_cpus=1)(_call), ray.put(fn)  # fn (a partial) stored once, not per item
            return ray.get([remote.remote(shared, x) for x in items])
    count = min(workers or default_workers(), len(items))
    if count <= 1:
        return [fn(x) for x in items]
    with ProcessPoolExecutor(count, mp_context=process_context()) as executor:
        return list(executor.map(fn, items))


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    """``fn(item)`` as a plain function: Ray makes tasks of functions, not of `functools.partial` objects."""
    return fn(item)
