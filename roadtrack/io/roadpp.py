"""ROAD++ submission files: a pickle of tubes per label type and video, validated before writing.

Layout (``shared/specs/road.md`` §3.7)::

    {'agent': {'val_00000': [tube, ...], ...}, 'triplet': {...}}      # agent/action/loc/duplex/triplet
                                                                      # (and av_action)
    tube = {'label_id': int,              # index into the used list of that label type (ROAD-Waymo's)
            'scores': ndarray (T,),       # per-frame scores
            'boxes': ndarray (T, 4),      # x1, y1, x2, y2 in pixels of an 840 x 600 frame
            'score': float,               # tube score, ranks the tube in video-mAP
            'frames': ndarray (T,)}       # 1-based, increasing by exactly 1 (no gaps)

The official evaluator needs numpy arrays (it compares ``tube['frames'] == t``) and contiguous frames
(it aligns boxes by index), so both are enforced. The upload is a ``.zip`` with the one pickle inside
(`zip_submission`). The official evaluator indexes every label type and every video of the split, so a
file for it must hold all five types and every video, with empty lists where there is nothing:
`roadtrack.io.roadpp_merge.merge_submissions` combines per-video files into one such file. Unpickling can run code, so `load_pickle` admits only what a submission holds (Python
containers, numbers, strings and numpy arrays) unless told to trust the file.

Example:
    >>> tube = SubmissionTube(label_id=1, frames=[1, 2], boxes=[[10, 20, 50, 80], [12, 20, 52, 80]],
    ...                       scores=[0.9, 0.8], score=0.85)
    >>> write_submission("tubes.pkl", {"agent": {"val_00000": [tube]}})            # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray, numeric as _numeric
except ImportError:  # numpy 1.x
    from numpy.core import multiarray as _multiarray, numeric as _numeric

from roadtrack.core import Tube
from roadtrack.core.labels import LABEL_TYPES, LabelSet, label_set
from roadtrack.io.atomic import atomic_write

SUBMISSION_SIZE = (840, 600)
"""(width, height) in pixels of the ROAD++ submission and evaluation space."""

_KEYS = ("label_id", "scores", "boxes", "score", "frames")
SUBMISSION_KEYS = (*LABEL_TYPES, "av_action")
"""Label types a submission may hold: the five of `LABEL_TYPES` and the ego vehicle's ``av_action``."""
_MAX_FRAME = 2**31 - 1


@dataclasses.dataclass(frozen=True, eq=False)
class SubmissionTube:
    """One submitted tube.

    Attributes:
        label_id: class index into the used list of its label type.
        frames: (T,) int64 1-based frame numbers, increasing by 1.
        boxes: (T, 4) float64 xyxy pixels of the submission frame (840 x 600 for ROAD++).
        scores: (T,) float64 per-frame scores.
        score: the tube's score.
    """

    label_id: int
    frames: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    score: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "frames", np.asarray(self.frames))
        object.__setattr__(self, "boxes", np.asarray(self.boxes))
        object.__setattr__(self, "scores", np.asarray(self.scores))

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def to_dict(self) -> dict[str, Any]:
        """The pickled form: numpy arrays, a Python int label and a Python float score."""
        return {"label_id": int(self.label_id), "scores": np.asarray(self.scores, np.float64),
                "boxes": np.asarray(self.boxes, np.float64), "score": float(self.score),
                "frames": np.asarray(self.frames, np.int64)}


Submission = Mapping[str, Mapping[str, Sequence["SubmissionTube | Mapping[str, Any]"]]]


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, (float, np.floating))
            or (isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf"))


def _check_tube(tube: Any, label_type: str, labels: LabelSet, size: tuple[float, float] | None,
                where: str, contiguous: bool) -> SubmissionTube:
    if isinstance(tube, SubmissionTube):
        tube = {"label_id": tube.label_id, "scores": tube.scores, "boxes": tube.boxes, "score": tube.score,
                "frames": tube.frames}
    if not isinstance(tube, Mapping):
        raise ValueError(f"{where}: a tube must be a dict with keys {list(_KEYS)}, got {type(tube).__name__}")
    missing = [k for k in _KEYS if k not in tube]
    if missing:
        raise ValueError(f"{where}: missing keys {missing}")
    label, n_classes = tube["label_id"], len(labels[label_type])
    if not _is_int(label) or not 0 <= int(label) < n_classes:
        raise ValueError(f"{where}: label_id {label!r} is not a {label_type} class id of {labels.name} "
                         f"(0..{n_classes - 1})")
    frames = np.asarray(tube["frames"])
    if frames.ndim != 1 or frames.size == 0 or frames.dtype.kind not in "iu":
        raise ValueError(f"{where}: frames must be a non-empty 1-D integer array, got "
                         f"{frames.dtype} array of shape {frames.shape}")
    if frames[0] < 1:
        raise ValueError(f"{where}: frames are 1-based, got first frame {int(frames[0])}")
    if int(frames.max()) > _MAX_FRAME:  # a uint64 frame above 2**63 would wrap to a negative int64
        raise ValueError(f"{where}: frame {int(frames.max())} is beyond any video (at most {_MAX_FRAME})")
    steps = np.diff(frames)
    bad = np.flatnonzero(steps != 1) if contiguous else np.flatnonzero(steps <= 0)
    if bad.size:
        i = int(bad[0])
        rule = "contiguous and increasing" if contiguous else "strictly increasing"
        raise ValueError(f"{where}: frames must be {rule}: frame {int(frames[i])} is followed by "
                         f"{int(frames[i + 1])}")
    t = frames.shape[0]
    boxes = np.asarray(tube["boxes"])
    if boxes.shape != (t, 4) or boxes.dtype.kind not in "iuf":
        raise ValueError(f"{where}: boxes must be a ({t}, 4) numeric array, got {boxes.dtype} {boxes.shape}")
    scores = np.asarray(tube["scores"])
    if scores.shape != (t,) or scores.dtype.kind not in "iuf":
        raise ValueError(f"{where}: scores must be a ({t},) numeric array, got {scores.dtype} {scores.shape}")
    for name, arr in (("boxes", boxes), ("scores", scores)):
        rows = np.flatnonzero(~np.all(np.isfinite(arr.reshape(t, -1)), axis=1))
        if rows.size:
            raise ValueError(f"{where}: NaN or inf in {name} at frame {int(frames[rows[0]])}")
    inverted = np.flatnonzero((boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1]))
    if inverted.size:
        i = int(inverted[0])
        raise ValueError(f"{where}: box {boxes[i].tolist()} at frame {int(frames[i])} has x2 < x1 or y2 < y1")
    if size is not None:
        w, h = size
        outside = np.flatnonzero((boxes[:, :2] < 0).any(axis=1) | (boxes[:, 2] > w) | (boxes[:, 3] > h))
        if outside.size:
            i = int(outside[0])
            raise ValueError(f"{where}: box {boxes[i].tolist()} at frame {int(frames[i])} is outside the "
                             f"{w:g}x{h:g} frame")
    score = tube["score"]
    if not _is_real(score) or not np.isfinite(float(score)):
        raise ValueError(f"{where}: score must be a finite number, got {score!r}")
    return SubmissionTube(int(label), frames.astype(np.int64), boxes.astype(np.float64),
                          scores.astype(np.float64), float(score))


def validate_submission(submission: Any, labels: str | LabelSet = "road_waymo",
                        frame_size: tuple[float, float] | None = SUBMISSION_SIZE, source: str = "submission",
                        contiguous: bool = True) -> dict[str, dict[str, list[SubmissionTube]]]:
    """Check a submission and return it as `SubmissionTube` lists.

    Args:
        submission: ``{label_type: {video: [tube]}}``; tubes are dicts (the pickled form) or `SubmissionTube`.
        labels: the used lists that ``label_id`` indexes (ROAD++: ``"road_waymo"``).
        frame_size: (width, height) boxes must lie in, pixels; None skips the check.
        source: names the input in error messages (the file path when reading).
        contiguous: require frames to increase by exactly 1 (the submission rule); False only requires
            increasing frames.

    Returns:
        The same structure with validated `SubmissionTube` values (int64 frames, float64 arrays).

    Raises:
        ValueError: naming the source, label type, video and tube index, e.g.
            ``"tubes.pkl: agent/val_00001/tube 3: frames must be contiguous ..."``.
    """
    labels = label_set(labels)
    if not isinstance(submission, Mapping):
        raise ValueError(f"{source}: expected a dict of label type -> {{video: [tube]}}, "
                         f"got {type(submission).__name__}")
    out: dict[str, dict[str, list[SubmissionTube]]] = {}
    for label_type, videos in submission.items():
        if label_type not in SUBMISSION_KEYS:
            raise ValueError(f"{source}: unknown label type {label_type!r}; expected some of {list(SUBMISSION_KEYS)}")
        if not isinstance(videos, Mapping):
            raise ValueError(f"{source}: {label_type}: expected a dict of video -> [tube], "
                             f"got {type(videos).__name__}")
        out[label_type] = {}
        for video, tubes in videos.items():
            if not isinstance(video, str):
                raise ValueError(f"{source}: {label_type}: video names must be strings, got {video!r}")
            if not isinstance(tubes, (list, tuple)):
                raise ValueError(f"{source}: {label_type}/{video}: expected a list of tubes, "
                                 f"got {type(tubes).__name__}")
            out[label_type][video] = [
                _check_tube(t, label_type, labels, frame_size, f"{source}: {label_type}/{video}/tube {i}", contiguous)
                for i, t in enumerate(tubes)
            ]
    return out


def write_submission(path: str | os.PathLike, submission: Submission, labels: str | LabelSet = "road_waymo",
                     frame_size: tuple[float, float] = SUBMISSION_SIZE) -> Path:
    """Validate ``submission`` and pickle it to ``path`` atomically; nothing is written if it is invalid.

    Args:
        path: the ``.pkl`` to write (its folder must exist).
        submission: ``{label_type: {video: [SubmissionTube | dict]}}``.
        labels: the used lists ``label_id`` indexes (ROAD++: ``"road_waymo"``).
        frame_size: (width, height) of the submission space, pixels.

    Returns:
        ``path`` as a Path.
    """
    checked = validate_submission(submission, labels, frame_size, source=str(path))
    data = {t: {v: [tube.to_dict() for tube in tubes] for v, tubes in videos.items()} for t, videos in checked.items()}
    with atomic_write(path, "wb") as f:
        pickle.dump(data, f, protocol=4)
    return Path(path)


def read_submission(path: str | os.PathLike, labels: str | LabelSet = "road_waymo",
                    frame_size: tuple[float, float] | None = SUBMISSION_SIZE,
                    contiguous: bool = True, trust_pickle: bool = False) -> dict[str, dict[str, list[SubmissionTube]]]:
    """Read and validate a submission pickle (or a ``.zip`` holding exactly one pickle).

    Args:
        path: the file.
        labels, frame_size, contiguous: as in `validate_submission`.
        trust_pickle: see `load_pickle`.

    Raises:
        ValueError: the file is not a readable pickle, holds objects other than a submission's, or breaks
            a rule; the message names the file.
    """
    data = load_pickle(path, trust_pickle)
    return validate_submission(data, labels, frame_size, source=str(path), contiguous=contiguous)


def load_pickle(path: str | os.PathLike, trust_pickle: bool = False) -> Any:
    """Unpickle ``path`` (or the single pickle inside a ``.zip``); ValueError naming the file on failure.

    Args:
        path: the ``.pkl`` or ``.zip``.
        trust_pickle: False (default): load only Python containers, numbers, strings and numpy arrays and
            scalars (`SAFE_GLOBALS`), so a crafted file cannot run code; any other object is a ValueError
            naming it. True: plain `pickle.loads`, for files you made yourself that hold other objects.
    """
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            if len(names) != 1:
                raise ValueError(f"{path}: a submission zip must hold exactly one pickle, found {names}")
            return _unpickle(zf.read(names[0]), path, trust_pickle)
    return _unpickle(path.read_bytes(), path, trust_pickle)


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` restricted to what protocol 0-2 pickles use it for: bytes stored as latin-1 text."""
    if encoding != "latin1" or not isinstance(text, str):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


# (module, name) a pickle may refer to -> the object it gets. Numpy arrays pickle as _reconstruct(ndarray,
# shape, dtype) + state, or _frombuffer (protocol 5); numpy scalars as scalar(dtype, bytes). Numpy 1.x
# wrote the numpy.core paths and numpy 2 writes numpy._core; both name the same functions.
SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    **{(f"numpy.{core}.multiarray", "_reconstruct"): _multiarray._reconstruct for core in ("core", "_core")},
    **{(f"numpy.{core}.multiarray", "scalar"): _multiarray.scalar for core in ("core", "_core")},
    **{(f"numpy.{core}.numeric", "_frombuffer"): _numeric._frombuffer for core in ("core", "_core")},
    ("_codecs", "encode"): _latin1_encode,
    ("builtins", "bytes"): bytes, ("__builtin__", "bytes"): bytes,
}


class _SubmissionUnpickler(pickle.Unpickler):
    """Resolves only `SAFE_GLOBALS`; everything else (os.system, any class) is refused before it is called."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return SAFE_GLOBALS[(module, name)]
        except KeyError:
            raise _Refused(f"{module}.{name}") from None


class _Refused(pickle.UnpicklingError):
    """A global outside `SAFE_GLOBALS`; its message is the global's dotted name."""


def _unpickle(data: bytes, path: Path, trust_pickle: bool) -> Any:
    try:
        if trust_pickle:
            return pickle.loads(data)
        return _SubmissionUnpickler(io.BytesIO(data)).load()
    except _Refused as exc:
        raise ValueError(f"{path}: refusing to unpickle {exc}: a ROAD++ prediction pickle holds only dicts, lists, "
                         "numbers, strings and numpy arrays, and loading other objects can run code; "
                         "if you trust this file, pass --trust-pickle (trust_pickle=True)") from None
    except Exception as exc:  # unpickling can fail in many ways (truncation, missing classes, bad opcodes)
        raise ValueError(f"{path}: not a readable pickle: {type(exc).__name__}: {exc}") from None


def zip_submission(pickle_path: str | os.PathLike, zip_path: str | os.PathLike | None = None) -> Path:
    """Pack a submission pickle into the ``.zip`` the ROAD++ server takes; default: next to the pickle."""
    pickle_path = Path(pickle_path)
    zip_path = Path(zip_path) if zip_path is not None else pickle_path.with_suffix(".zip")
    with atomic_write(zip_path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(pickle_path, arcname=pickle_path.name)
    return zip_path


def submission_tube(tube: Tube, label_id: int, image_size: tuple[float, float], score: float | None = None,
                    frame_size: tuple[float, float] = SUBMISSION_SIZE) -> SubmissionTube:
    """Convert a tracker `Tube` to a submission tube: rescale, fill gaps, clip to the frame.

    Boxes are scaled from ``image_size`` to ``frame_size`` (x * W'/W, y * H'/H), missing frames are filled
    by linear interpolation of the neighbouring boxes and scores, and boxes are clipped to the frame.

    Args:
        tube: frames (T,), xyxy (T, 4) pixels of the original image, scores (T,).
        label_id: class index into the used list of the tube's label type.
        image_size: (width, height) of the images the tube's boxes are in, pixels.
        score: tube score; default the mean per-frame score.
        frame_size: (width, height) of the submission space.

    Returns:
        A `SubmissionTube` with frames ``tube.frames[0] .. tube.frames[-1]``.
    """
    if len(tube) == 0:
        raise ValueError("cannot submit an empty tube")
    scale = np.array([frame_size[0] / image_size[0], frame_size[1] / image_size[1]] * 2, np.float64)
    frames = np.arange(tube.frames[0], tube.frames[-1] + 1, dtype=np.int64)
    boxes = np.stack([np.interp(frames, tube.frames, tube.xyxy[:, k] * scale[k]) for k in range(4)], axis=1)
    boxes = np.clip(boxes, 0.0, np.array([frame_size[0], frame_size[1]] * 2, np.float64))
    scores = np.interp(frames, tube.frames, tube.scores)
    return SubmissionTube(int(label_id), frames, boxes, scores, float(np.mean(tube.scores) if score is None else score))
