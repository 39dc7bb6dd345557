"""Hardening of `roadtrack track` (issue 15): bad input -> one line naming the file or option and exit 2;
SIGTERM like Ctrl-C; nothing broken under a final name (full disk); missing extras; `roadtrack doctor`."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from roadtrack.cli import EXIT_TERMINATED, main
from roadtrack.core import Tracks
from roadtrack.io import AnnotatedVideoWriter, atomic_write
from roadtrack.io.atomic import remove_stale_temporaries

REPO = Path(__file__).resolve().parents[1]

# Runs the CLI with some optional packages made unimportable (sys.modules[name] = None), from this checkout.
_BLOCKED = """
import os, runpy, sys
sys.path.insert(0, {repo!r})
for name in {blocked!r}:
    sys.modules[name] = None
sys.argv = ["roadtrack", *{args!r}]
runpy.run_module("roadtrack", run_name="__main__")
"""


def run_cli(*args, blocked=(), **kwargs):
    code = _BLOCKED.format(repo=str(REPO), blocked=list(blocked), args=[str(a) for a in args])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, **kwargs)


def assert_one_line_error(done, *fragments):
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and re.match(r"roadtrack( \w+)?: error: ", lines[0]), done.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# --- bad command lines: one table, each case -> exit 2 and one line naming the option or file ---------------------

def _cases(tmp: Path, shared) -> list[tuple[str, tuple, list[str], tuple[str, ...]]]:
    video = shared("data", "MOT15", "train", "PETS09-S2L1", "PETS09-S2L1.avi")
    weights = shared("models", "yolov8n_int8_openvino_model")
    yolox = shared("models", "yolox_nano", "yolox_nano.onnx")
    osnet = shared("models", "reid", "osnet_x0_25_msmt17.onnx")
    no_images = shared("data", "MOT15", "train", "ADL-Rundle-6")  # seqinfo.ini + det/, no img1/
    ckpt = tmp / "model.ckpt"
    ckpt.write_bytes(b"not used: torch is missing")
    pt = tmp / "yolov8n.pt"
    pt.write_bytes(b"not used: ultralytics is missing")
    base = (video, "--weights", weights)
    return [
        ("tracker option not an int", (*base, "--tracker-opt", "max_age=abc", "--tracker", "sort"),
         ["--tracker-opt max_age: expected int, got 'abc'"], ()),
        ("tracker option not a float", (*base, "--tracker-opt", "match_thresh=high"),
         ["--tracker-opt match_thresh: expected float, got 'high'"], ()),
        ("tracker option not a bool", (*base, "--tracker-opt", "recovery=3"), ["--tracker-opt recovery", "bool"], ()),
        ("detector option not a float", (*base, "--detector-opt", "iou=x"), ["--detector-opt iou: expected float"], ()),
        ("out under /proc", (*base, "--out", "/proc/roadtrack-out"), ["--out /proc/roadtrack-out", "cannot create"], ()),
        ("out is a file", (*base, "--out", video), ["--out", "PETS09-S2L1.avi"], ()),
        ("onnx weights, default detector", (video, "--weights", yolox), ["yolox_nano.onnx", "--detector yolox"], ()),
        ("save-video without images", (no_images, "--detector", "precomputed", "--save-video"),
         ["--save-video", "ADL-Rundle-6"], ()),
        ("ultralytics missing", (video, "--detector", "ultralytics", "--weights", pt),
         ["--detector ultralytics", 'pip install "roadtrack[yolo]"'], ("ultralytics",)),
        ("onnx runtimes missing", (*base, "--tracker", "botsort", "--embedder", "osnet-onnx", "--embedder-weights", osnet),
         ["--embedder osnet-onnx", 'pip install "roadtrack[onnx]"'], ("onnxruntime", "openvino")),
        ("openvino missing", base, ["--detector yolo-openvino", 'pip install "roadtrack[openvino]"'], ("openvino",)),
        ("torch missing for an events checkpoint", (*base, "--events", ckpt),
         ["--events", "model.ckpt", 'pip install "roadtrack[torch]"'], ("torch",)),
    ]


def test_bad_command_lines_are_one_line_errors(tmp_path, shared):
    out = tmp_path / "out"
    for name, args, fragments, blocked in _cases(tmp_path, shared):
        extra = () if "--out" in args else ("--out", out)
        done = run_cli("track", *args, *extra, "--no-progress", "--max-frames", "2", blocked=blocked)
        assert "Traceback" not in done.stderr, (name, done.stderr)
        assert_one_line_error(done, *fragments)
        assert not out.exists() or not any(out.iterdir()), name  # refused before anything was written


def test_tracker_option_of_the_right_type_still_runs(tmp_path, mot15):
    out = tmp_path / "ok"
    done = run_cli("track", mot15 / "ADL-Rundle-6", "--detector", "precomputed", "--tracker-opt", "track_buffer=5",
                   "--tracker-opt", "match_thresh=1", "--max-frames", "5", "--out", out, "--no-progress")
    assert done.returncode == 0, done.stderr
    assert '"track_buffer": 5' in (out / "run.json").read_text()


def test_default_tracker_is_bytetrack(tmp_path, mot15):
    import json

    out = tmp_path / "default"
    done = run_cli("track", mot15 / "ADL-Rundle-6", "--detector", "precomputed", "--max-frames", "3", "--out", out,
                   "--no-progress")
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "run.json").read_text())["config"]["tracker"] == {"name": "bytetrack"}


# --- SIGTERM and killed runs -------------------------------------------------------------------------------------

_SLOW_RUN = """
import os, sys, time
sys.path.insert(0, {repo!r})
import numpy as np
import roadtrack.pipeline as pipeline_module
from roadtrack.cli import main

original = pipeline_module.Pipeline.stream
def slow_stream(self, *args, **kwargs):  # a slow detector: SIGTERM arrives mid-run
    for k, item in enumerate(original(self, *args, **kwargs)):
        if k == 3:
            print("ready", flush=True)
        time.sleep(0.05)
        yield item
pipeline_module.Pipeline.stream = slow_stream
sys.exit(main(["track", {seq!r}, "--detector", "precomputed", "--out", {out!r}, "--no-progress", "--save-video"]))
"""


def test_sigterm_keeps_partials_and_leaves_no_temporary(tmp_path, shared):
    # TUD-Campus: a sequence with det/det.txt and its video, so --save-video has pixels.
    seq = shared("data", "MOT15", "train", "TUD-Campus")
    out = tmp_path / "run"
    code = _SLOW_RUN.format(repo=str(REPO), seq=str(seq), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_TERMINATED, err
    assert "terminated" in err and "Traceback" not in err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["annotated.mp4.partial.mp4", "tracks.txt.partial"], names  # no final name, no pid temporary
    capture = cv2.VideoCapture(str(out / "annotated.mp4.partial.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) >= 3  # the kept video plays (3 frames before "ready")
    capture.release()


def test_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    names = [f"tracks.txt.{dead_pid}-0123abcd.partial", f"annotated.mp4.{dead_pid}-89abcdef.partial.mp4",
             f"tracks.txt.{os.getpid()}-0123abcd.partial",  # a live writer's file: kept
             "tracks.txt.partial", "annotated.mp4.partial.mp4", "tracks.txt"]  # kept results and a final file
    for name in names:
        (tmp_path / name).write_text("x")
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(p.name for p in removed) == sorted(names[:2])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[2:])


def test_next_run_cleans_a_killed_runs_names(tmp_path, mot15):
    out = tmp_path / "run"
    out.mkdir()
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    (out / f"tracks.txt.{killed.pid}-00000000.partial").write_text("1,1,")
    (out / "tracks.txt.partial").write_text("1,1,")
    killed.kill()
    killed.wait()
    done = run_cli("track", mot15 / "ADL-Rundle-6", "--detector", "precomputed", "--max-frames", "3", "--out", out,
                   "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "removed 1 temporary file" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["run.json", "tracks.txt"]


# --- full disk -----------------------------------------------------------------------------------------------------

def _write_video(path: Path, frames: int, size=(320, 240)) -> None:
    rng = np.random.default_rng(0)  # noise does not compress: a few frames fill a tiny disk
    with AnnotatedVideoWriter(path, fps=10, size=size) as video:
        for _ in range(frames):
            video.write(rng.integers(0, 255, (size[1], size[0], 3), np.uint8), Tracks.empty())


@pytest.fixture
def tiny_disk(tmp_path):
    """A 200 KiB tmpfs (root on Linux only; elsewhere the ENOSPC tests below simulate the full disk)."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_full_disk_video_leaves_nothing_under_the_final_name(tiny_disk):
    path = tiny_disk / "annotated.mp4"
    with pytest.raises(OSError) as info:
        _write_video(path, frames=40)  # ~40 x 100 KB of noise >> 200 KiB
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert "annotated.mp4" in str(info.value)
    assert list(tiny_disk.iterdir()) == []  # no final name, no unreadable temporary


def test_full_disk_text_keeps_partial_and_names_the_file(tiny_disk):
    path = tiny_disk / "tracks.txt"
    with pytest.raises(OSError) as info:
        with atomic_write(path) as handle:
            for k in range(100_000):
                handle.write(f"{k},1,639.45,100.0,20.0,50.0,0.9,-1,-1,-1\n")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["tracks.txt.partial"]  # renamed despite ENOSPC


def test_full_disk_cli_run_is_one_line_and_nothing_final(tiny_disk, shared):
    video = shared("data", "MOT15", "train", "TUD-Campus", "TUD-Campus.mp4")
    weights = shared("models", "yolov8n_int8_openvino_model")
    done = run_cli("track", video, "--weights", weights, "--classes", "person", "--save-video", "--max-frames", "30",
                   "--out", tiny_disk, "--no-progress")
    assert_one_line_error(done, str(tiny_disk), "No space left on device")
    finals = {"tracks.txt", "annotated.mp4", "run.json"}
    assert not finals & {p.name for p in tiny_disk.iterdir()}
    assert not [p for p in tiny_disk.iterdir() if re.search(r"\.\d+-[0-9a-f]{8}\.partial", p.name)]


def test_enospc_on_close_is_simulated_without_root(tmp_path, monkeypatch):
    """Where no tmpfs can be mounted: ENOSPC from flush and again from close must still keep the partial."""
    import builtins

    real_open = builtins.open

    class FullDisk:
        def __init__(self, file):
            self._file = file

        def write(self, text):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def close(self):
            self._file.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def fileno(self):
            return self._file.fileno()

    monkeypatch.setattr(builtins, "open", lambda *a, **k: FullDisk(real_open(*a, **k)))
    target = tmp_path / "tracks.txt"
    with pytest.raises(OSError, match="tracks.txt") as info:
        with atomic_write(target) as handle:
            handle.write("1,1,2,3,4,5,1,-1,-1,-1\n")
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tracks.txt.partial"]


def test_short_video_is_refused(tmp_path, monkeypatch):
    """OpenCV drops frames silently on a full disk: a file that reads back short never gets the final name."""
    path = tmp_path / "annotated.mp4"
    calls = {"n": 0}
    real_writer = cv2.VideoWriter

    class DroppingWriter:
        def __init__(self, *args):
            self._writer = real_writer(*args)

        def isOpened(self):
            return self._writer.isOpened()

        def write(self, image):
            calls["n"] += 1
            if calls["n"] <= 3:  # the "disk" fills after 3 frames
                self._writer.write(image)

        def release(self):
            self._writer.release()

    monkeypatch.setattr("roadtrack.io.annotate.cv2.VideoWriter", DroppingWriter)
    with pytest.raises(OSError, match=r"reads back 3 of 6 frames.*annotated\.mp4"):
        _write_video(path, frames=6)
    assert list(tmp_path.iterdir()) == []


# --- doctor --------------------------------------------------------------------------------------------------------

def test_doctor_reports_extras_stages_and_cuda(tmp_path):
    shared = tmp_path / "shared"
    (shared / "models" / "yolox_nano").mkdir(parents=True)
    (shared / "models" / "yolox_nano" / "yolox_nano.onnx").write_bytes(b"onnx")
    code = _BLOCKED.format(repo=str(REPO), blocked=["torch", "ultralytics"], args=["doctor", "--shared", str(shared)])
    code = code.replace('runpy.run_module("roadtrack", run_name="__main__")',
                        "from roadtrack.cli import main\nrc = main()\n"
                        "assert sys.modules.get('torch') is None  # never imported for real\nsys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith("  ")}
    assert "no" in lines["torch"].split() and 'pip install "roadtrack[torch]"' in lines["torch"]
    assert lines["ultralytics"].split()[1] == "no" and "roadtrack[yolo]" in lines["ultralytics"]
    assert lines["precomputed"].split()[1] == "yes"
    assert "default weights found" in lines["yolox"]
    assert "default weights missing" in lines["osnet-onnx"]
    assert "CUDA: unknown (torch is not installed" in done.stdout


def test_doctor_names_a_stage_that_cannot_run():
    from roadtrack.cli.doctor import stage_report

    ok, why = stage_report("detector", "yolox", {"onnxruntime": False, "openvino": False}, Path("/nowhere"))
    assert not ok and why == 'needs onnxruntime or openvino: pip install "roadtrack[onnx]"'
    ok, why = stage_report("detector", "yolox", {"onnxruntime": False, "openvino": True}, Path("/nowhere"))
    assert ok and why == "ok, default weights missing: /nowhere/models/yolox_nano/yolox_nano.onnx"
    ok, why = stage_report("detector", "ultralytics", {"ultralytics": True, "torch": False}, Path("/nowhere"))
    assert not ok and why == 'needs torch: pip install "roadtrack[torch]"'


def test_in_process_missing_extra_is_one_line(tmp_path, monkeypatch, capsys, shared):
    video = shared("data", "MOT15", "train", "TUD-Campus", "TUD-Campus.mp4")
    weights = tmp_path / "y.pt"
    weights.write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "ultralytics", None)
    before = signal.getsignal(signal.SIGTERM)
    rc = main(["track", str(video), "--detector", "ultralytics", "--weights", str(weights), "--out",
               str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and 'pip install "roadtrack[yolo]"' in err[0]
    assert signal.getsignal(signal.SIGTERM) == before  # the SIGTERM handler lives only during main()
