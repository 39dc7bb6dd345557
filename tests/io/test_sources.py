import itertools

import cv2
import numpy as np
import pytest

from roadtrack.io import (
    ArraySource, FrameSource, ImageFolderSource, MotSequenceSource, SeqInfo, VideoSource, open_source, read_seqinfo,
)


def test_read_seqinfo_pets(mot15):
    assert read_seqinfo(mot15 / "PETS09-S2L1") == SeqInfo(
        name="PETS09-S2L1", frame_rate=7.0, seq_length=795, width=768, height=576, im_dir="img1", im_ext=".jpg"
    )


@pytest.mark.parametrize(
    "text, error, match",
    [
        ("[Other]\nname=x\n", ValueError, r"no \[Sequence\] section"),
        ("[Sequence]\nname=x\nframeRate=7\n", ValueError, "missing seqLength"),
        ("[Sequence]\nframeRate=fast\nseqLength=3\n", ValueError, "frameRate is not a number: 'fast'"),
        ("[Sequence]\nframeRate=7\nseqLength=3\n", None, None),  # minimal: does not raise
    ],
)
def test_read_seqinfo_errors(tmp_path, text, error, match):
    (tmp_path / "seqinfo.ini").write_text(text)
    if error is None:
        assert read_seqinfo(tmp_path) == SeqInfo(name=tmp_path.name, frame_rate=7.0, seq_length=3)
    else:
        with pytest.raises(error, match=match):
            read_seqinfo(tmp_path)


def test_video_source_tud_campus(mot15):
    source = VideoSource(mot15 / "TUD-Campus" / "TUD-Campus.mp4")
    assert (source.name, source.fps, source.size, len(source)) == ("TUD-Campus", 25.0, (640, 480), 71)
    frames = list(source)
    assert [f.index for f in frames] == list(range(1, 72))
    assert all(f.image.shape == (480, 640, 3) and f.image.dtype == np.uint8 for f in frames)


def test_mot_sequence_from_video(mot15):
    seq = mot15 / "PETS09-S2L1"
    source = open_source(seq)
    assert isinstance(source, MotSequenceSource)
    assert source.frames_from == seq / "PETS09-S2L1.avi"
    assert source.fps == 7.0  # seqinfo's rate wins over the container's 10 fps
    assert (len(source), source.size) == (795, (768, 576))
    assert source.det_path == seq / "det" / "det.txt" and source.gt_path == seq / "gt" / "gt.txt"
    # MOT frame k is video frame k - 1 (0-based): compare with the raw decoder.
    capture = cv2.VideoCapture(str(seq / "PETS09-S2L1.avi"))
    raw = [capture.read()[1] for _ in range(3)]
    capture.release()
    first = list(itertools.islice(source, 3))
    assert [f.index for f in first] == [1, 2, 3]
    assert all(np.array_equal(f.image, r) for f, r in zip(first, raw))


def test_mot_sequence_full_pass_yields_seq_length_frames(mot15):
    count = sum(1 for _ in MotSequenceSource(mot15 / "PETS09-S2L1"))  # about 0.4 s of decoding
    assert count == 795


def test_mot_sequence_without_images(mot15):
    source = open_source(mot15 / "ADL-Rundle-6")
    assert source.frames_from is None and (source.fps, len(source), source.size) == (30.0, 525, (1920, 1080))
    frames = list(source)
    assert [f.index for f in frames] == list(range(1, 526))
    assert all(f.image is None for f in frames)


def test_mot_sequence_from_image_folder(shared):
    seq = shared("data", "kitti_raw_sfnd", "2011_09_26_sfnd")
    source = open_source(seq, max_frames=2)
    assert source.frames_from == seq / "img1" and (source.fps, source.length) == (10.0, 2)
    assert [(f.index, f.image.shape) for f in source] == [(1, (375, 1242, 3)), (2, (375, 1242, 3))]


def test_image_folder_kitti_raw(shared):
    folder = shared("data", "kitti_raw_sfnd", "2011_09_26_sfnd", "img1")
    source = ImageFolderSource(folder)
    assert (len(source), source.size, source.fps) == (78, (1242, 375), None)
    assert source.files[0].name == "000001.png" and source.files[-1].name == "000078.png"
    first = next(iter(source))
    assert first.index == 1 and np.array_equal(first.image, cv2.imread(str(folder / "000001.png")))


def test_image_folder_natural_order_and_bad_image(tmp_path):
    for value, name in [(10, "img10.png"), (2, "img2.png"), (1, "img1.png")]:
        cv2.imwrite(str(tmp_path / name), np.full((4, 6, 3), value, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image, not listed")
    source = ImageFolderSource(tmp_path)
    assert [p.name for p in source.files] == ["img1.png", "img2.png", "img10.png"]  # 2 before 10
    assert [int(f.image[0, 0, 0]) for f in source] == [1, 2, 10]
    (tmp_path / "img3.png").write_text("broken")
    with pytest.raises(ValueError, match=r"cannot read image: .*img3\.png"):
        list(ImageFolderSource(tmp_path))


def _frames(n: int):
    return [np.full((4, 6, 3), i, np.uint8) for i in range(n)]


def test_array_source_streams_lazily():
    consumed = []

    def generate():
        for image in _frames(5):
            consumed.append(1)
            yield image

    source = open_source(generate())
    assert isinstance(source, ArraySource) and source.length is None
    with pytest.raises(TypeError, match="does not know its length"):
        len(source)
    frame = next(iter(source))
    assert frame.index == 1 and len(consumed) == 1  # one frame read, not the whole generator


def test_array_source_from_list_and_max_frames():
    source = open_source(_frames(5), max_frames=2)
    assert (len(source), source.size) == (2, (6, 4))
    assert [int(f.image[0, 0, 0]) for f in source] == [0, 1]


def test_frame_source_passthrough_and_limit_copies():
    source = ArraySource(_frames(3), fps=5.0, name="clip")
    assert open_source(source) is source
    limited = open_source(source, max_frames=1)
    assert isinstance(limited, FrameSource) and len(limited) == 1 and len(source) == 3
    assert (limited.name, limited.fps) == ("clip", 5.0)


@pytest.mark.parametrize(
    "image, match",
    [
        (np.zeros((4, 6), np.uint8), r"frame 1: expected an \(H, W, 3\) uint8 BGR image, got shape \(4, 6\)"),
        (np.zeros((4, 6, 4), np.uint8), r"got shape \(4, 6, 4\)"),
        (np.zeros((4, 6, 3), np.float32), "dtype float32"),
    ],
)
def test_array_source_rejects_bad_frames(image, match):
    with pytest.raises(ValueError, match=match):
        list(ArraySource([image]))


def _text_named_mp4(tmp_path):
    path = tmp_path / "x.mp4"
    path.write_text("this is not a video")
    return path


def _empty_folder(tmp_path):
    path = tmp_path / "empty"
    path.mkdir()
    return path


@pytest.mark.parametrize(
    "make, kwargs, error, match",
    [
        (lambda tmp: tmp / "missing.mp4", {}, FileNotFoundError, r"source not found: .*missing\.mp4"),
        (_text_named_mp4, {}, ValueError, r"cannot read video: .*x\.mp4"),
        (_empty_folder, {}, ValueError, r"no images .* in folder .*empty"),
        (lambda tmp: 42, {}, TypeError, "cannot read frames from int"),
        (lambda tmp: _frames(2), {"max_frames": 0}, ValueError, "max_frames must be a positive integer"),
        (lambda tmp: _frames(2), {"max_frames": 1}, None, None),  # does not raise
    ],
)
def test_open_source_errors(tmp_path, make, kwargs, error, match):
    source = make(tmp_path)
    if error is None:
        open_source(source, **kwargs)
    else:
        with pytest.raises(error, match=match):
            open_source(source, **kwargs)


def test_video_source_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"video not found: .*nope\.avi"):
        VideoSource(tmp_path / "nope.avi")


# A clip whose moov atom is at the front, so that a copy cut short still opens (221 frames declared).
_FRONT_MOOV_CLIP = ("dashcam", "udacity_solidWhiteRight.mp4")


def _truncated_copy(shared, tmp_path, name="cut.mp4", fraction=0.1):
    data = shared("data", *_FRONT_MOOV_CLIP).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def test_truncated_video_is_an_error_naming_file_and_counts(shared, tmp_path):
    path = _truncated_copy(shared, tmp_path)
    source = VideoSource(path)
    assert source.length == 221  # the container still declares every frame
    decoded = []
    with pytest.raises(ValueError, match=r"cut\.mp4: decoded (\d+) of the 221 frames the container declares"):
        decoded.extend(f.index for f in source)
    assert 0 < len(decoded) < 221 - 2
    assert len(list(source.limit(5))) == 5  # stopping early never reaches the end: no error


def test_video_shortfall_is_a_warning_where_the_count_is_not_exact(shared, tmp_path, mot15):
    # mkv/webm counts are estimated from the duration: the same cut file under such a name warns instead.
    path = _truncated_copy(shared, tmp_path, "cut.mkv")
    with pytest.warns(RuntimeWarning, match=r"cut\.mkv: decoded \d+ of the 221 frames"):
        frames = list(VideoSource(path))
    assert 0 < len(frames) < 221
    # An exact count short by at most COUNT_TOLERANCE (2) frames warns; by 3 it is an error. TUD-Campus has 71.
    source = VideoSource(mot15 / "TUD-Campus" / "TUD-Campus.mp4")
    source._length = 71 + 2
    with pytest.warns(RuntimeWarning, match="decoded 71 of the 73 frames"):
        assert len(list(source)) == 71
    source._length = 71 + 3
    with pytest.raises(ValueError, match="decoded 71 of the 74 frames"):
        list(source)


def test_mot_sequence_shorter_than_seq_length_is_an_error(mot15, tmp_path):
    seq = tmp_path / "TUD-Campus"
    seq.mkdir()
    (seq / "TUD-Campus.mp4").symlink_to(mot15 / "TUD-Campus" / "TUD-Campus.mp4")
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=TUD-Campus\nframeRate=25\nseqLength=80\n")
    with pytest.raises(ValueError, match=r"TUD-Campus\.mp4: has 71 frames but .*seqinfo\.ini says seqLength=80"):
        list(MotSequenceSource(seq))


def _jpeg(value: int, size=(6, 4)) -> bytes:
    image = np.zeros((size[1], size[0], 3), np.uint8)
    image[:, : size[0] // 2] = value  # some structure, so the scan data is not trivially short
    return cv2.imencode(".jpg", image)[1].tobytes()


@pytest.mark.parametrize("name, make, match", [
    # libjpeg decodes a cut JPEG as a half-grey image with only a warning on stderr
    ("2.jpg", lambda: _jpeg(200, (64, 48))[:-200], r"2\.jpg: truncated image \(no JPEG end-of-image marker\)"),
    ("2.png", lambda: cv2.imencode(".png", np.full((48, 64, 3), 9, np.uint8))[1].tobytes()[:-20],
     r"2\.png: truncated image \(no PNG IEND chunk\)"),
    ("2.jpg", lambda: _jpeg(50, (32, 48)), r"2\.jpg: image is 32x48 but 1\.jpg \(the first of the folder\) is 64x48"),
    ("2.jpg", lambda: _jpeg(50, (64, 48)) + b"trailing bytes after the end marker", None),  # does not raise
])
def test_image_folder_refuses_truncated_and_mixed_size_images(tmp_path, name, make, match):
    (tmp_path / "1.jpg").write_bytes(_jpeg(100, (64, 48)))
    (tmp_path / name).write_bytes(make())
    source = ImageFolderSource(tmp_path)
    if match is None:
        assert [f.image.shape for f in source] == [(48, 64, 3)] * 2
        return
    frames = []
    with pytest.raises(ValueError, match=match):
        frames.extend(source)
    assert len(frames) == 1  # the first image was served before the bad one was reached
