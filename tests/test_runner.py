"""The dataset runner (issue 14): same bytes whichever engine or worker count, resumable after SIGINT, SIGTERM
and SIGKILL with nothing half-written under a final name, a corrupt video reported and the others finished.

Data: four short MOT15 sequences tracked from their precomputed detections, labelled with the kinematic event
classifier so that every source also writes a ROAD++ tubes.pkl and the run merges them.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import require_module
from roadtrack.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, main
from roadtrack.runner import Source, discover, run_many

REPO = Path(__file__).resolve().parents[1]
# KITTI-13 (340 frames) last: the run is still on it when the interruption tests signal after the first source.
SEQUENCES = ("TUD-Campus", "KITTI-17", "TUD-Stadtmitte", "KITTI-13")
# As `roadtrack run --detector precomputed` builds it, so a run of the command and one of run_many are the same run.
CONFIG = {"detector": "precomputed", "tracker": {"name": "bytetrack"}}
OPTIONS = {"formats": ("mot", "roadpp"), "events": "kinematic"}
# Measured values (wall time) differ between runs; every other byte must not.
TIMED = {"run.json", "summary.json", "summary.csv", "manifest.json"}


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file's bytes, by path relative to ``out``, except the ones holding wall times."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in TIMED}


def summary_rows(out: Path) -> list[dict]:
    with open(out / "summary.csv", newline="") as handle:
        return [{k: v for k, v in row.items() if k not in ("seconds", "frames_per_s")} for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def sequences():
    from conftest import require_shared

    return [require_shared("data", "MOT15", "train", name) for name in SEQUENCES]


@pytest.fixture(scope="module")
def reference(sequences, tmp_path_factory):
    """An uninterrupted run in this process (workers=1 runs inline)."""
    out = tmp_path_factory.mktemp("reference")
    result = run_many(sequences, out, CONFIG, workers=1, **OPTIONS)
    assert [r.status for r in result.records] == ["done"] * len(SEQUENCES), result.table()
    return out


def test_reference_holds_every_source_and_a_merged_submission(reference):
    files = outputs(reference)
    for name in SEQUENCES:
        assert f"{name}/tracks.txt" in files and f"{name}/tubes.pkl" in files
        assert files[f"{name}/tracks.txt"].count(b"\n") > 50  # real tracks, not an empty file
    import pickle

    merged = pickle.loads(files["tubes.pkl"])
    assert sorted(merged["agent"]) == sorted(SEQUENCES)  # every video present in the one submission
    rows = summary_rows(reference)
    assert [r["source"] for r in rows] == list(SEQUENCES) and {r["status"] for r in rows} == {"done"}
    assert [int(r["frames"]) for r in rows] == [71, 145, 179, 340]  # seqLength of each sequence


def test_two_workers_give_the_same_bytes(reference, sequences, tmp_path):
    result = run_many(sequences, tmp_path, CONFIG, workers=2, **OPTIONS)
    assert not result.failed
    assert outputs(tmp_path) == outputs(reference)
    assert summary_rows(tmp_path) == summary_rows(reference)


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray for the session's tests (the engines join a running Ray and leave it running)."""
    ray = require_module("ray")
    if ray.is_initialized():  # the same fixture imported by another test module
        yield ray
        return
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_ray_gives_the_same_bytes(reference, sequences, tmp_path, local_ray):
    result = run_many(sequences, tmp_path, CONFIG, engine="ray", workers=2, **OPTIONS)
    assert not result.failed, result.table()
    assert outputs(tmp_path) == outputs(reference)
    assert summary_rows(tmp_path) == summary_rows(reference)


def test_rerun_skips_finished_sources_and_redoes_what_changed(sequences, tmp_path):
    first = run_many(sequences[:2], tmp_path, CONFIG, workers=1)
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("tracks.txt")}
    again = run_many(sequences[:2], tmp_path, CONFIG, workers=1)
    assert again.skipped == list(SEQUENCES[:2]) and [r.status for r in again.records] == ["done", "done"]
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("tracks.txt")} == stamps  # nothing rewritten
    assert again.records == first.records
    # A deleted output folder, or other settings, run again; --overwrite runs all.
    import shutil

    shutil.rmtree(tmp_path / SEQUENCES[0])
    assert run_many(sequences[:2], tmp_path, CONFIG, workers=1).skipped == [SEQUENCES[1]]
    assert run_many(sequences[:2], tmp_path, CONFIG, workers=1, max_frames=5).skipped == []
    assert run_many(sequences[:2], tmp_path, CONFIG, workers=1, max_frames=5, overwrite=True).skipped == []


def _command(sequences, out: Path) -> list[str]:
    return [sys.executable, "-m", "roadtrack", "run", *map(str, sequences), "--detector", "precomputed",
            "--events", "kinematic", "--format", "roadpp", "--out", str(out), "--workers", "2", "--no-progress"]


def _wait_for_first_source(out: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not (out / "manifest.json").is_file():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no source finished in 60 s"
        time.sleep(0.02)


@pytest.mark.parametrize("how", ["SIGINT to the group (Ctrl-C)", "SIGTERM to the runner", "SIGKILL to the group"])
def test_killed_run_resumes_to_the_same_outputs(reference, sequences, tmp_path, how):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(_command(sequences, tmp_path), env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_first_source(tmp_path, proc)
    if how.startswith("SIGINT"):
        os.killpg(proc.pid, signal.SIGINT)
    elif how.startswith("SIGTERM"):
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    expected = {"SIGINT": EXIT_INTERRUPTED, "SIGTERM": EXIT_TERMINATED, "SIGKILL": -signal.SIGKILL}[how.split()[0]]
    assert proc.returncode == expected, err
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # any straggler of the group (none expected) before looking
    done = [n for n, r in json.loads((tmp_path / "manifest.json").read_text())["sources"].items()
            if r["status"] == "done"]
    assert 1 <= len(done) < len(SEQUENCES), done  # interrupted half-way, not before or after
    for folder in (p for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        # a folder under its final name is complete (a worker may finish one after the manifest was last saved)
        assert sorted(f.name for f in folder.iterdir()) == ["run.json", "tracks.txt", "tubes.pkl"], folder
    assert not (tmp_path / "summary.json").exists() and not (tmp_path / "tubes.pkl").exists()

    rerun = run_many(sequences, tmp_path, CONFIG, workers=2, **OPTIONS)  # the same run, resumed (in this process)
    assert not rerun.failed and sorted(rerun.skipped) == sorted(done)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # killed workers' folders removed
    assert outputs(tmp_path) == outputs(reference)
    assert summary_rows(tmp_path) == summary_rows(reference)


def _video(path: Path, frames: int) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (96, 64))
    for k in range(frames):
        image = np.full((64, 96, 3), 40, np.uint8)
        cv2.rectangle(image, (10 + 4 * k, 20), (30 + 4 * k, 50), (255, 255, 255), -1)
        writer.write(image)
    writer.release()


def _detections(path: Path, frames: int) -> None:
    # one person box per frame moving 4 px right: one track over all frames
    path.write_text("".join(f"{k + 1},-1,{10 + 4 * k},20,20,30,0.9,-1,-1,-1\n" for k in range(frames)))


def test_corrupt_video_is_reported_and_the_others_finish(tmp_path, capsys):
    videos, dets = tmp_path / "videos", tmp_path / "dets"
    videos.mkdir()
    dets.mkdir()
    for name, frames in (("a", 8), ("c", 6)):
        _video(videos / f"{name}.mp4", frames)
        _detections(dets / f"{name}.txt", frames)
    (videos / "b.mp4").write_bytes(np.random.default_rng(0).integers(0, 255, 4000, np.uint8).tobytes())
    _detections(dets / "b.txt", 5)
    status = main(["run", str(videos), "--detections", str(dets), "--out", str(tmp_path / "out"),
                   "--workers", "1", "--no-progress"])
    assert status == 1  # some source failed
    rows = {r["source"]: r for r in csv.DictReader(open(tmp_path / "out" / "summary.csv", newline=""))}
    assert (rows["a"]["status"], rows["a"]["frames"], rows["a"]["tracks"]) == ("done", "8", "1")
    assert (rows["c"]["status"], rows["c"]["frames"], rows["c"]["tracks"]) == ("done", "6", "1")
    assert rows["b"]["status"] == "failed" and "b.mp4" in rows["b"]["error"] and "\n" not in rows["b"]["error"]
    assert not (tmp_path / "out" / "b").exists()
    assert "1 failed" in capsys.readouterr().out
    # --fail-fast: sources run in name order; c is never started
    assert main(["run", str(videos), "--detections", str(dets), "--out", str(tmp_path / "fast"), "--workers", "1",
                 "--no-progress", "--fail-fast"]) == 1
    rows = {r["source"]: r["status"] for r in csv.DictReader(open(tmp_path / "fast" / "summary.csv", newline=""))}
    assert rows == {"a": "done", "b": "failed", "c": "pending"}


def test_discover_layouts(tmp_path, sequences):
    split = sequences[0].parent
    assert [s.name for s in discover([split])][:2] == ["ADL-Rundle-6", "ADL-Rundle-8"]
    kitti = tmp_path / "training"
    (kitti / "label_02").mkdir(parents=True)
    (kitti / "label_02" / "0003.txt").write_text("0 -1 DontCare -1 -1 -10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"
                                                 "9 1 Car 0 0 0 1 2 30 40 1 1 1 1 1 1 0\n")
    assert discover([kitti]) == [Source("0003", str(kitti / "label_02" / "0003.txt"), num_frames=10)]
    with pytest.raises(ValueError, match="two sources named TUD-Campus"):
        discover([sequences[0], sequences[0]])
    with pytest.raises(ValueError, match="needs the dataset's annotation JSON"):
        discover([split], split="val")


def test_event_options_reach_every_source(sequences, tmp_path, capsys):
    """``roadtrack run`` passes track's event options (traffic side, ego motion) to each source's classifier and
    records them in its run.json; one ego CSV for many videos is refused before any work."""
    two = [str(p) for p in sequences[:2]]
    common = ["run", *two, "--detector", "precomputed", "--events", "kinematic", "--format", "roadpp",
              "--workers", "1", "--no-progress"]
    assert main([*common, "--traffic-side", "left", "--ego-motion", "none", "--out", str(tmp_path / "left")]) == 0
    for name in SEQUENCES[:2]:
        events = json.loads((tmp_path / "left" / name / "run.json").read_text())["events"]
        assert events["traffic_side"] == "left" and events["ego_motion_option"] == "none"
    ego = tmp_path / "ego.csv"
    ego.write_text("frame,speed_mps,yaw_rate_rps\n0,1.0,0.0\n")
    assert main([*common, "--ego-motion", str(ego), "--out", str(tmp_path / "csv")]) == 2
    assert "one file is one video's ego motion" in capsys.readouterr().err
    assert not (tmp_path / "csv" / "manifest.json").exists()
