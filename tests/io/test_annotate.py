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


def test_labels_of_neighbouring_boxes_do_not_overlap():
    from roadtrack.io.annotate import place_labels

    # Two boxes side by side, 10 px apart, labels 40 x 12: above-box for both would overlap (x 0..40 and 30..70).
    boxes = np.array([[0, 50, 30, 100], [30, 50, 60, 100]])
    corners = place_labels(boxes, np.array([[40, 12], [40, 12]]), (200, 200))
    # Equal bottoms: the first box is served first and takes "above" (y = 50 - 12 = 38); the second finds
    # above taken, and takes "below" (y = 100).
    assert corners.tolist() == [[0, 38], [30, 100]]
    # A box at the image top: "above" is clipped to y = 0 inside the image.
    assert place_labels(np.array([[5, 2, 40, 30]]), np.array([[20, 10]]), (100, 100)).tolist() == [[5, 0]]


def test_drawn_labels_stay_readable_when_boxes_touch():
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    tracks = _tracks([1, 2], [[20, 40, 50, 90], [40, 40, 70, 90]])
    out = draw_tracks(image, tracks, class_names={0: "person"})
    colors = id_colors(np.array([1, 2]))
    # Each label background keeps pixels of its own colour (neither is painted over by the other).
    for color in colors:
        assert (np.all(out == color, axis=-1)).sum() > 50


def test_trails_fade_and_vanish_after_the_track_ends(tmp_path, monkeypatch):
    import roadtrack.io.annotate as annotate

    drawn = []
    real_draw = annotate.draw_tracks
    monkeypatch.setattr(annotate, "draw_tracks", lambda image, tracks, names, trails, captions=None: (
        drawn.append(trails), real_draw(image, tracks, names, trails, captions))[1])
    with AnnotatedVideoWriter(tmp_path / "v.mp4", fps=5, size=(WIDTH, HEIGHT), trail_length=4, fade_frames=3) as video:
        blank = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        for k in range(4):  # id 5 in frames 1..4, then gone
            video.write(blank, _tracks([5], [[10 * k, 10, 10 * k + 10, 20]]))
        for _ in range(3):
            video.write(blank, Tracks.empty())
    # Frame 4: four points, opacity by age 1/4, 2/4, 3/4, 4/4.
    assert drawn[3][5][:, 2].tolist() == [0.25, 0.5, 0.75, 1.0]
    # 1 and 2 frames after the end: the whole trail times 1 - 1/3, 1 - 2/3.
    assert np.allclose(drawn[4][5][:, 2], np.array([0.25, 0.5, 0.75, 1.0]) * (2 / 3))
    assert np.allclose(drawn[5][5][:, 2], np.array([0.25, 0.5, 0.75, 1.0]) * (1 / 3))
    assert 5 not in drawn[6]  # 3 frames after the end: gone


def test_faded_trail_is_drawn_fainter():
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    line = np.array([[10.0, 60.0, 1.0], [150.0, 60.0, 1.0]])
    faint = line.copy()
    faint[:, 2] = 0.4  # 2 of 5 opacity steps
    full = draw_tracks(image, Tracks.empty(), trails={3: line})[60, 80].astype(int)
    half = draw_tracks(image, Tracks.empty(), trails={3: faint})[60, 80].astype(int)
    color = id_colors(np.array([3]))[0].astype(int)
    assert np.abs(full - color).max() < 40  # opaque (anti-aliased: a 1 px line is not quite full strength)
    assert np.abs(half - np.round(color * 0.4)).max() <= 1  # blended over black: 0.4 of the colour
    assert not draw_tracks(image, Tracks.empty(), trails={3: line * [1, 1, 0]}).any()  # opacity 0: nothing
