import pytest

from roadtrack.io import atomic_write, commit_file


def test_success_replaces_target_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_write(target) as f:
        f.write("new")
        temporaries = [p.name for p in tmp_path.iterdir() if p != target]
        assert target.read_text() == "old"  # unchanged while writing
    assert len(temporaries) == 1 and temporaries[0].startswith("out.txt.") and ".partial" in temporaries[0]
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("existed", [True, False])
def test_failure_keeps_target_and_partial(tmp_path, exc, existed):
    target = tmp_path / "out.txt"
    if existed:
        target.write_text("old")
    with pytest.raises(type(exc)):
        with atomic_write(target) as f:
            f.write("half")
            raise exc
    assert target.read_text() == "old" if existed else not target.exists()
    assert (tmp_path / "out.txt.partial").read_text() == "half"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["out.txt", "out.txt.partial"] if existed else ["out.txt.partial"])


def test_success_removes_a_stale_partial(tmp_path):
    (tmp_path / "out.bin.partial").write_bytes(b"stale")
    with atomic_write(tmp_path / "out.bin", "wb") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "out.bin").read_bytes() == b"\x00\x01"
    assert not (tmp_path / "out.bin.partial").exists()


@pytest.mark.parametrize(
    "mode, error, match",
    [
        ("a", ValueError, "needs a write mode"),
        ("r", ValueError, "needs a write mode"),
        ("w+", ValueError, "needs a write mode"),
        ("wt", None, None),  # does not raise
    ],
)
def test_modes(tmp_path, mode, error, match):
    if error is None:
        with atomic_write(tmp_path / "x", mode) as f:
            f.write("ok")
        assert (tmp_path / "x").read_text() == "ok"
    else:
        with pytest.raises(error, match=match):
            with atomic_write(tmp_path / "x", mode):
                pass


def test_commit_file(tmp_path):
    tmp = tmp_path / "video.mp4.partial.mp4"
    tmp.write_bytes(b"data")
    assert commit_file(tmp, tmp_path / "video.mp4") == tmp_path / "video.mp4"
    assert (tmp_path / "video.mp4").read_bytes() == b"data" and not tmp.exists()
