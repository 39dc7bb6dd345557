"""``roadtrack stream``: two MOT15 videos through one process give each stream the tracks.txt that
``roadtrack track`` writes for it alone, byte for byte; options it cannot honour are errors."""

import pytest

from roadtrack.cli import main
from roadtrack.cli.stream import stream_names


@pytest.fixture(scope="module")
def videos():
    from conftest import require_shared

    return [str(require_shared("data", "MOT15", "train", name, f"{name}.mp4"))
            for name in ("TUD-Campus", "TUD-Stadtmitte")]


def test_each_stream_equals_track_alone(videos, yolov8n_openvino, tmp_path, capsys):
    common = ["--weights", str(yolov8n_openvino), "--classes", "person", "--max-frames", "30", "--no-progress"]
    assert main(["stream", *videos, "--batch", "2", "--out", str(tmp_path / "many"), *common]) == 0
    printed = capsys.readouterr().out
    assert "TUD-Campus: 30 frames" in printed and "2 streams, 60 frames" in printed
    for video, name in zip(videos, ("TUD-Campus", "TUD-Stadtmitte")):
        assert main(["track", video, "--out", str(tmp_path / name), *common]) == 0
        alone = (tmp_path / name / "tracks.txt").read_bytes()
        assert alone.count(b"\n") > 30  # people tracked, not an empty file
        assert (tmp_path / "many" / name / "tracks.txt").read_bytes() == alone


def test_refuses_what_it_cannot_honour(videos, tmp_path, capsys):
    base = ["stream", *videos, "--weights", "w", "--out", str(tmp_path / "x")]
    assert main([*base, "--events", "kinematic"]) == 2
    assert "--events: not available with 'roadtrack stream'" in capsys.readouterr().err
    assert main([*base, "--names", "a"]) == 2
    assert "2 different non-empty names needed" in capsys.readouterr().err
    assert main(["stream", videos[0], "missing.mp4", "--weights", "w", "--out", str(tmp_path / "y")]) == 2
    assert "source not found: missing.mp4" in capsys.readouterr().err


def test_stream_names_are_unique():
    assert stream_names(["a/cam.mp4", "b/cam.mp4", "rtsp://host/s", "frames/"], None) == \
        ["cam", "cam_2", "stream2", "frames"]
    assert stream_names(["x.mp4", "y.mp4"], "north,south") == ["north", "south"]


def test_ctrl_c_keeps_the_frames_tracked_so_far(videos, yolov8n_openvino, tmp_path, monkeypatch, capsys):
    """Stopping a live run is normal use: the files are committed with every frame tracked until then."""
    from roadtrack.cli import EXIT_INTERRUPTED
    from roadtrack.pipeline import Pipeline

    real = Pipeline.stream_many

    def stopped_after_five(self, *args, **kwargs):
        for k, step in enumerate(real(self, *args, **kwargs)):
            if k == 5:
                raise KeyboardInterrupt
            yield step

    monkeypatch.setattr(Pipeline, "stream_many", stopped_after_five)
    assert main(["stream", *videos, "--weights", str(yolov8n_openvino), "--classes", "person", "--no-progress",
                 "--out", str(tmp_path)]) == EXIT_INTERRUPTED
    for name in ("TUD-Campus", "TUD-Stadtmitte"):
        rows = (tmp_path / name / "tracks.txt").read_text().splitlines()
        assert rows and {int(r.split(",")[0]) for r in rows} <= set(range(1, 6))
        assert not (tmp_path / name / "tracks.txt.partial").exists()
    assert "holds the frames tracked until then" in capsys.readouterr().err
