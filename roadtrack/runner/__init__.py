"""Whole datasets: many sources tracked in parallel (local processes or Ray), resumably, with merged outputs.

`run_many` is the Python entry point (``Pipeline.run`` per source, one pipeline per worker); ``roadtrack run``
and ``roadtrack track DATASET_DIR`` are the command line. This package sits above `roadtrack.pipeline` in the
layers, so the pipeline does not import it: ``Pipeline.run_many`` does not exist, use ``runner.run_many``.
"""

from roadtrack.runner.engines import ENGINES, default_workers, thread_environment
from roadtrack.runner.manifest import Manifest, Record
from roadtrack.runner.parallel import parallel_map
from roadtrack.runner.run import RunResult, run_many, run_tasks
from roadtrack.runner.sources import Source, discover, is_dataset, open_frames
from roadtrack.runner.worker import Task, Worker

__all__ = ["ENGINES", "Manifest", "Record", "RunResult", "Source", "Task", "Worker", "default_workers", "discover",
           "is_dataset", "open_frames", "parallel_map", "run_many", "run_tasks", "thread_environment"]
