"""The dataset runner (issue 14) against a plain Python loop over `Pipeline.run`, in the same run.

    python benchmarks/runner.py                      # everything below, ~10 min on 2 busy cores
    python benchmarks/runner.py --case precomputed   # (a) 11 MOT15 train sequences, public detections
    python benchmarks/runner.py --case video         # (b) PETS09-S2L1, TUD-Campus, TUD-Stadtmitte, YOLOv8n int8
    python benchmarks/runner.py --case threads       # OpenVINO threads per worker, 2 processes side by side
    python benchmarks/runner.py --case ray           # Ray: start-up time, same outputs as the pool
    python benchmarks/runner.py --case memory        # RSS of each worker over a 100-source run

Times are wall seconds of the whole call (pool start, model loads and output writing included), best of
``--repeats`` rounds (median and every round shown); within a round the variants run back to back, first in
turn, so ratios compare like with like. The tracks of every runner variant are checked equal, byte for byte,
to the loop's.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # this tree
from _shared import MOT15, YOLOV8N_OPENVINO  # noqa: E402

from roadtrack.pipeline import Pipeline  # noqa: E402
from roadtrack.runner import Source, run_many  # noqa: E402

VIDEOS = ("PETS09-S2L1/PETS09-S2L1.avi", "TUD-Campus/TUD-Campus.mp4", "TUD-Stadtmitte/TUD-Stadtmitte.mp4")
PRECOMPUTED = {"detector": "precomputed", "tracker": "bytetrack"}
YOLO = {"detector": {"name": "yolo-openvino", "weights": str(YOLOV8N_OPENVINO), "classes": ["person"]},
        "tracker": "bytetrack"}


def plain_loop(sources: list[Path], out: Path, config: dict) -> float:
    """What users write today: one Pipeline per config, `run` per source, one after another."""
    t0 = time.perf_counter()
    pipeline = None
    for source in sources:
        if pipeline is None or config["detector"] == "precomputed":  # the detection file differs per sequence
            stages = dict(config)
            if config["detector"] == "precomputed":
                stages["detector"] = {"name": "precomputed", "path": str(source / "det" / "det.txt")}
            pipeline = Pipeline.from_config(stages)
        name = source.stem if source.is_file() else source.name
        pipeline.run(source, out_dir=out / name, keep_tracks=False)
    return time.perf_counter() - t0


def runner(sources: list[Path], out: Path, config: dict, workers: int, engine: str = "pool") -> float:
    t0 = time.perf_counter()
    result = run_many(sources, out, config, workers=workers, engine=engine, overwrite=True)
    seconds = time.perf_counter() - t0
    if result.failed:
        raise RuntimeError(result.table())
    return seconds


def same_tracks(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir() if p.is_dir())
    return names == sorted(p.name for p in b.iterdir() if p.is_dir() and not p.name.startswith(".")) and all(
        filecmp.cmp(a / n / "tracks.txt", b / n / "tracks.txt", shallow=False) for n in names)


def compare(title: str, sources: list[Path], config: dict, repeats: int) -> None:
    frames = None
    times: dict[str, list[float]] = {"loop": [], "runner, 1 worker": [], "runner, 2 workers": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain_loop(sources[:1], root / "warm-up", config)  # imports and first model load: not what is compared
        for round_ in range(repeats):
            order = list(times)[round_ % 3:] + list(times)[:round_ % 3]  # each variant first in some round
            for name in order:
                out = root / name.replace(" ", "").replace(",", "_")
                shutil.rmtree(out, ignore_errors=True)
                c0 = time.process_time()
                if name == "loop":
                    times[name].append(plain_loop(sources, out, config))
                else:
                    times[name].append(runner(sources, out, config, workers=int(name.split()[1][0])))
                cpu[name].append(time.process_time() - c0)
        loop = root / "loop"
        for name in list(times)[1:]:
            if not same_tracks(loop, root / name.replace(" ", "").replace(",", "_")):
                raise RuntimeError(f"{name}: tracks differ from the plain loop's")
        frames = sum(_frames(p) for p in sorted(loop.glob("*/tracks.txt")))
    best = {k: min(v) for k, v in times.items()}
    print(f"\n### {title} ({len(sources)} sources, {repeats} rounds, {_load()})\n")
    print("| variant | wall s, best | median | rounds | CPU s of this process, best | vs loop (best) |")
    print("| --- | ---: | ---: | --- | ---: | ---: |")
    for name, values in times.items():
        rounds = ", ".join(f"{v:.2f}" for v in values)
        cpu_s = f"{min(cpu[name]):.2f}" if name != "runner, 2 workers" else "(in workers)"
        print(f"| {name} | {best[name]:.2f} | {statistics.median(values):.2f} | {rounds} | {cpu_s} | "
              f"{best['loop'] / best[name]:.2f}x |")
    print(f"\nrunner overhead at 1 worker: wall {100 * (best['runner, 1 worker'] / best['loop'] - 1):+.1f} %, CPU "
          f"{100 * (min(cpu['runner, 1 worker']) / min(cpu['loop']) - 1):+.1f} %; 2 workers vs loop: "
          f"{best['loop'] / best['runner, 2 workers']:.2f}x (best of rounds); tracks identical to the loop's; "
          f"frames with tracks: {frames}")


def _frames(path: Path) -> int:
    return len({line.split(",", 1)[0] for line in open(path)})


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- OpenVINO threads per worker --------------------------------------------------------------------------------

_THREADS_CHILD = """
import sys, time
sys.path[:0] = {paths!r}
import openvino as ov
compile_model = ov.Core.compile_model
def with_config(self, model, device, config=None):
    return compile_model(self, model, device, {{**(config or {{}}), **{extra!r}}})
ov.Core.compile_model = with_config
from roadtrack.pipeline import Pipeline
pipe = Pipeline.from_config({config!r})
for video in {videos!r}:
    pipe.run(video, keep_tracks=False)
"""


def threads_study(repeats: int) -> None:
    """Two processes side by side, each a detector running the same work (TUD-Campus and TUD-Stadtmitte, 250
    frames), as two pool workers run them, against one process running that work twice: equal shares, so the
    ratio shows what the thread setting does, not how unequal the videos are."""
    videos = [str(MOT15 / v) for v in VIDEOS[1:]]
    shares = [videos, videos]
    variants = {"OpenVINO default (LATENCY: 2 threads, pinned)": {},
                "1 thread per worker": {"INFERENCE_NUM_THREADS": 1},
                "2 threads, no pinning": {"ENABLE_CPU_PINNING": False},
                "1 thread, no pinning": {"INFERENCE_NUM_THREADS": 1, "ENABLE_CPU_PINNING": False}}
    paths = [str(Path(__file__).resolve().parents[1])]

    def run(parts: list[list[str]], extra: dict) -> float:
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", _THREADS_CHILD.format(paths=paths, extra=extra, config=YOLO,
                                                                                videos=part)]) for part in parts]
        if any(p.wait() for p in procs):
            raise RuntimeError("a worker failed")
        return time.perf_counter() - t0

    times: dict[str, list[float]] = {"one process, default": []}
    times.update({k: [] for k in variants})
    for _ in range(repeats):
        times["one process, default"].append(run([videos + videos], {}))
        for name, extra in variants.items():
            times[name].append(run(shares, extra))
    base = statistics.median(times["one process, default"])
    print(f"\n### OpenVINO threads: 2 processes side by side, 250 frames each, vs one process running both shares "
          f"({repeats} rounds, {_load()})\n")
    print("| variant | wall s (median) | rounds | vs one process |")
    print("| --- | ---: | --- | ---: |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {', '.join(f'{v:.2f}' for v in values)} | {base / median:.2f}x |")


# --- Ray ---------------------------------------------------------------------------------------------------------

def ray_case() -> None:
    import ray

    sources = [MOT15 / n for n in ("TUD-Campus", "KITTI-17", "TUD-Stadtmitte", "KITTI-13")]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        started = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            runner(sources, Path(tmp) / "ray", PRECOMPUTED, workers=2, engine="ray")
            ray_s = time.perf_counter() - t0
        finally:
            t0 = time.perf_counter()
            ray.shutdown()
            stopped = time.perf_counter() - t0
        pool_s = runner(sources, Path(tmp) / "pool", PRECOMPUTED, workers=2)
        same = same_tracks(Path(tmp) / "pool", Path(tmp) / "ray")
    print(f"\n### Ray engine, local ({_load()})\n")
    print(f"ray.init: {started:.2f} s, ray.shutdown: {stopped:.2f} s; 4 MOT15 sequences on 2 actors: {ray_s:.2f} s "
          f"(actor start-up and model load included) vs pool of 2: {pool_s:.2f} s; tracks identical: {same}")


# --- memory over 100 sources -------------------------------------------------------------------------------------

def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def memory_case(count: int) -> None:
    """``count`` sources (TUD-Campus's detections under new names), 2 workers; RSS of each worker sampled."""
    seq = MOT15 / "TUD-Campus"
    sources = [Source(f"s{k:03d}", str(seq), detections=str(seq / "det" / "det.txt")) for k in range(count)]
    samples: dict[int, list[tuple[float, float]]] = {}
    stop = threading.Event()

    def sample() -> None:
        t0 = time.perf_counter()
        while not stop.is_set():
            for pid in _descendants(os.getpid()):
                rss = _rss_mib(pid)
                if rss > 50:  # workers hold roadtrack and numpy; the forkserver and resource tracker hold less
                    samples.setdefault(pid, []).append((time.perf_counter() - t0, rss))
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_many(sources, tmp, PRECOMPUTED, workers=2)
        seconds = time.perf_counter() - t0
    stop.set()
    thread.join()
    print(f"\n### RSS over {count} sources, 2 workers ({seconds:.1f} s, {len(result.records)} sources, "
          f"{len(result.failed)} failed, {_load()})\n")
    print("| worker | samples | RSS MiB: first 10 % of its samples (max) | last 10 % (max) | max |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for pid, values in samples.items():
        rss = [v for _, v in values]
        k = max(1, len(rss) // 10)
        print(f"| {pid} | {len(rss)} | {max(rss[:k]):.1f} | {max(rss[-k:]):.1f} | {max(rss):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=["all", "precomputed", "video", "threads", "ray", "memory"], default="all")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per comparison (default: 3)")
    parser.add_argument("--sources", type=int, default=100, help="sources of the memory case (default: 100)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {_load()}")
    if args.case in ("all", "precomputed"):
        seqs = sorted(p for p in MOT15.iterdir() if (p / "det" / "det.txt").is_file())
        compare("(a) 11 MOT15 train sequences, public detections, bytetrack", seqs, PRECOMPUTED, args.repeats)
    if args.case in ("all", "video"):
        compare("(b) 3 MOT15 videos, YOLOv8n int8 OpenVINO (person), bytetrack", [MOT15 / v for v in VIDEOS], YOLO,
                args.repeats)
    if args.case in ("all", "threads"):
        threads_study(args.repeats)
    if args.case in ("all", "ray"):
        ray_case()
    if args.case in ("all", "memory"):
        memory_case(args.sources)


if __name__ == "__main__":
    main()
