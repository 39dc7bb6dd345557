import cv2
import numpy as np
import pytest

from roadtrack.core import Tracks
from roadtrack.io import AnnotatedVideoWriter, draw_tracks
from roadtrack.io.annotate import id_colors

WIDTH, HEIGHT = 160, 120


def _tracks(ids, xyxy, class_ids=None) -> Tracks:
    n = len(ids)
    return Tracks(ids, np.asarray(xyxy, float), np.ones(n), np.zeros(n, np.int64) if class_ids is None else class_ids)


def test_id_colors_are_stable_and_distinct():
    colors = id_colors(np.array([1, 2, 3, 1]))
    assert colors.shape == (4, 3) and colors.dtype == np.uint8
    assert np.array_equal(colors[0], colors[3])  # same id, same colour
    assert len({tuple(c) for c in colors[:3].tolist()}) == 3
    assert np.array_equal(id_colors(np.array([2])), colors[1:2])  # independent of the other ids


def test_draw_tracks_draws_on_a_copy():
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    tracks = _tracks([7], [[40, 50, 100, 110]], [2])
    out = draw_tracks(image, tracks, class_names={2: "car"}, trails={7: np.array([[10.0, 10.0], [30.0, 40.0]])})
    assert not image.any()  # input untouched
    assert out.shape == image.shape and out.dtype == np.uint8
    color = id_colors(np.array([7]))[0]
    assert np.array_equal(out[80, 40], color)  # left edge of the box, halfway down (y = (50 + 110) / 2)
    assert np.array_equal(out[80, 70], [0, 0, 0])  # inside the box stays empty
    assert out[10:41, 10:31].any()  # the trail


def test_draw_tracks_empty():
    image = np.full((HEIGHT, WIDTH, 3), 9, np.uint8)
    assert np.array_equal(draw_tracks(image, Tracks.empty()), image)


def test_annotated_video_reads_back(tmp_path):
    path = tmp_path / "annotated.mp4"
    with AnnotatedVideoWriter(path, fps=10, size=(WIDTH, HEIGHT), class_names={0: "person"}) as video:
        for k in range(5):
            video.write(np.full((HEIGHT, WIDTH, 3), 40 * k, np.uint8), _tracks([1], [[10 + k, 10, 50 + k, 60]]))
        assert not path.exists() and video.tmp_path.exists() and video.tmp_path.name.endswith(".partial.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4"]
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    assert len(frames) == 5
    assert frames[0].shape == (HEIGHT, WIDTH, 3)


def test_trails_are_bounded_and_forget_old_ids(tmp_path):
    with AnnotatedVideoWriter(tmp_path / "v.mp4", fps=5, size=(WIDTH, HEIGHT), trail_length=3) as video:
        blank = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        for k in range(5):  # id 1 in frames 1..5, id 2 only in frame 1
            ids = [1, 2] if k == 0 else [1]
            video.write(blank, _tracks(ids, [[k, 0, k + 2, 2], [50, 50, 60, 60]][: len(ids)]))
            if k == 1:
                assert sorted(video.trails) == [1, 2]
        # Centres of the last 3 boxes of id 1: x = (k + k + 2) / 2 = k + 1 for k = 2, 3, 4; y = 1.
        assert video.trails[1].tolist() == [[3, 1], [4, 1], [5, 1]]
        assert 2 not in video.trails  # unseen for 3 frames: forgotten


def test_writer_keeps_partial_video_on_error(tmp_path):
    path = tmp_path / "v.mp4"
    with pytest.raises(KeyboardInterrupt):
        with AnnotatedVideoWriter(path, fps=5, size=(WIDTH, HEIGHT)) as video:
            video.write(np.zeros((HEIGHT, WIDTH, 3), np.uint8), Tracks.empty())
            raise KeyboardInterrupt
    assert not path.exists() and (tmp_path / "v.mp4.partial.mp4").exists()


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda tmp: AnnotatedVideoWriter(tmp / "no" / "such" / "dir.mp4", 5, (WIDTH, HEIGHT)), RuntimeError,
         r"cannot open a video writer for .*dir\.mp4"),
        (lambda tmp: AnnotatedVideoWriter(tmp / "v.mp4", 0, (WIDTH, HEIGHT)), ValueError, "fps must be positive"),
        (lambda tmp: AnnotatedVideoWriter(tmp / "v.mp4", 5, (WIDTH, HEIGHT)).write(
            np.zeros((HEIGHT, WIDTH + 2, 3), np.uint8), Tracks.empty()), ValueError, r"expected a \(120, 160, 3\) uint8"),
    ],
)
def test_writer_errors(tmp_path, make, error, match):
    with pytest.raises(error, match=match):
        make(tmp_path)
