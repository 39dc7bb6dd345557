"""Where tasks run: a local process pool (the default) or Ray actors (one machine or a cluster).

Both yield one `Record` per task as tasks finish; the caller (``roadtrack.runner.run``) records them in the
manifest. A worker is one process holding one pipeline (one detector), running its tasks one after another.
Outputs do not depend on the engine or the number of workers: each source runs start to finish in one worker
with the tracker and detector reset.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue as queue_module
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from roadtrack.runner.manifest import Record
from roadtrack.runner.worker import Task, Worker

ENGINES = ("pool", "ray")
Progress = Callable[[str, int], None]
# Thread-count variables of the numeric runtimes a worker may load (OpenMP, BLAS, torch, onnxruntime's
# OpenMP builds). OpenVINO ignores them: see `thread_environment`.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def thread_environment(workers: int) -> dict[str, str]:
    """Thread counts for each of ``workers`` processes sharing this machine's cores.

    OpenMP/BLAS runtimes get ``cores // workers`` threads (at least 1): their idle threads spin, and N workers
    each spinning on every core slow one another. Runtimes read these when loaded, so they apply to what a
    worker imports after it starts (torch), not to numpy's BLAS, which the fork server loaded. OpenVINO (the
    default detector) reads none of them and is left to choose: on 2 cores (benchmarks/RESULTS.md, "Issue 14")
    capping it at 1 thread per worker, with its core pinning on, made 2 workers slower.
    """
    per_worker = str(max(1, default_workers() // max(1, workers)))
    return {name: per_worker for name in _THREAD_VARIABLES}


def process_context() -> Any:
    """The multiprocessing context of worker processes.

    forkserver (spawn where there is none), not fork: the parent may hold OpenVINO, torch or Ray threads,
    which fork would copy in whatever state they are in. Workers fork from a server that imported roadtrack
    and its stage packages once, so a worker starts in milliseconds.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from roadtrack._builtins import BUILTIN_MODULES

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["roadtrack.runner.worker", "roadtrack.pipeline", *BUILTIN_MODULES.values()])
    return context


@contextlib.contextmanager
def ray_session(address: str | None, workers: int | None) -> Iterator[Any]:
    """The ``ray`` module, connected: to ``address``, to the Ray this process already joined, or to a local
    Ray with ``workers`` CPUs started here and stopped on exit."""
    import ray

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else (workers or default_workers()),
                 include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def run_pool(tasks: Sequence[Task], out_dir: str | os.PathLike, workers: int,
             progress: Progress | None = None) -> Iterator[Record]:
    """Run ``tasks`` on ``workers`` local processes; ``workers == 1`` runs them in this process (no overhead).

    A worker process that dies (killed, out of memory) fails the tasks it and the pool still held; they run
    again on the next run. Closing the generator (Ctrl-C, ``--fail-fast``) stops the workers at once.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers == 1 or len(tasks) <= 1:
        worker = Worker(out_dir, progress)
        for task in tasks:
            yield worker.run(task)
        return
    context = process_context()
    reports = context.Queue()
    executor = ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context, initializer=_start_worker,
                                   initargs=(str(out_dir), reports, thread_environment(workers)))
    pending: dict = {}
    try:
        pending = {executor.submit(_run_task, task): task for task in tasks}
        while pending:
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(reports, progress)
            for future in done:
                task = pending.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    yield Record(task.source.name, "failed", error="its worker process died (killed or crashed)",
                                 fingerprint=task.fingerprint())
    finally:
        if pending:
            _stop(executor)  # interrupted, or the caller stopped early (--fail-fast)
        else:
            executor.shutdown(wait=True)


def run_ray(tasks: Sequence[Task], out_dir: str | os.PathLike, workers: int | None = None,
            address: str | None = None, num_gpus: float = 0.0) -> Iterator[Record]:
    """Run ``tasks`` on Ray actors, one pipeline per actor.

    Args:
        tasks: the tasks.
        out_dir: the output folder; every node must see it at the same path (a shared filesystem).
        workers: actors; default: this machine's cores (local Ray) or the cluster's CPUs.
        address: an existing cluster (``ray://host:10001`` or ``auto``); None starts a local Ray for the run.
        num_gpus: GPUs per actor (e.g. 1 with ``--device cuda``).
    """
    with ray_session(address, workers) as ray:
        count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor_class = ray.remote(num_cpus=1, num_gpus=num_gpus)(_RayWorker)
        env = thread_environment(count if address is None else 1)

        def start() -> Any:
            return actor_class.remote(str(Path(out_dir).resolve()), env)

        idle = [start() for _ in range(min(count, len(tasks)))]
        waiting, running = list(tasks), {}
        while waiting or running:
            while idle and waiting:
                actor, task = idle.pop(), waiting.pop(0)
                running[actor.run.remote(task)] = (task, actor)
            ready, _ = ray.wait(list(running), num_returns=1)
            task, actor = running.pop(ready[0])
            try:
                record = ray.get(ready[0])
                idle.append(actor)
            except ray.exceptions.RayError as exc:  # the actor died: a fresh one takes the next task
                record = Record(task.source.name, "failed", error=f"its Ray worker failed: {str(exc).splitlines()[0]}",
                                fingerprint=task.fingerprint())
                idle.append(start())
            yield record


class _RayWorker:
    """A Ray actor around a `Worker` (no progress reports: Ray runs them where the driver cannot see)."""

    def __init__(self, out_dir: str, env: dict[str, str]) -> None:
        os.environ.update(env)
        self.worker = Worker(out_dir)

    def run(self, task: Task) -> Record:
        return self.worker.run(task)


# The pool's worker processes hold their `Worker` here: a process-wide slot is the only state a
# ProcessPoolExecutor initializer can hand to the tasks that run in that process.
_WORKER: Worker | None = None


def _start_worker(out_dir: str, reports: Any, env: dict[str, str]) -> None:
    global _WORKER
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops the workers
    _WORKER = Worker(out_dir, lambda name, frames: reports.put((name, frames)))


def _run_task(task: Task) -> Record:
    if _WORKER is None:
        raise RuntimeError("the pool initializer did not run")
    return _WORKER.run(task)


def _drain(reports: Any, progress: Progress | None) -> None:
    while True:
        try:
            name, frames = reports.get_nowait()
        except (queue_module.Empty, OSError, ValueError):
            return
        if progress is not None:
            progress(name, frames)


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stop at once: cancel queued tasks and terminate busy workers (Python 3.11's executor cannot itself)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
