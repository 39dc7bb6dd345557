"""Find and read the ground-truth and result files of a benchmark, one `SequenceData` per sequence and class.

Layouts (as TrackEval expects them, and as `roadtrack track` writes them):

- MOTChallenge ground truth: ``GT/<SEQ>/gt/gt.txt`` with ``GT/<SEQ>/seqinfo.ini`` (its ``seqLength`` is the
  sequence length); also a single sequence folder or a single ``gt.txt``.
- KITTI ground truth: ``GT/label_02/<SEQ>.txt`` with ``GT/evaluate_tracking.seqmap.*`` (4th column: length);
  also the ``label_02`` folder itself or a single label file. Without a seqmap the length is last frame + 1.
- Predictions: one ``<SEQ>.txt`` per sequence in a folder (or in its ``data`` subfolder, TrackEval's layout);
  a single file when the ground truth is a single sequence.

Predictions with frames outside the sequence are an error, as in TrackEval.
"""

from __future__ import annotations

import contextlib
import csv
import os
from pathlib import Path
from typing import Iterator

import numpy as np

from roadtrack.io._text import row_line
from roadtrack.io.kitti import read_kitti_tracking
from roadtrack.io.mot import read_mot
from roadtrack.io.rows import TrackRows
from roadtrack.io.sources import read_seqinfo
from roadtrack.metrics import benchmarks
from roadtrack.metrics.data import DuplicateIdError, SequenceData


def mot_sequences(gt: str | os.PathLike) -> list[tuple[str, Path, int | None]]:
    """``(name, gt_file, seq_length or None)`` of each MOTChallenge sequence under ``gt``, sorted by name."""
    gt = Path(gt)
    if gt.is_file():
        seq_dir = gt.parent.parent if gt.parent.name == "gt" else gt.parent
        name = seq_dir.name if gt.parent.name == "gt" else gt.stem
        return [(name, gt, _seq_length(seq_dir))]
    if (gt / "gt" / "gt.txt").is_file():
        return [(gt.resolve().name, gt / "gt" / "gt.txt", _seq_length(gt))]
    found = sorted(d for d in gt.iterdir() if (d / "gt" / "gt.txt").is_file()) if gt.is_dir() else []
    if not found:
        raise FileNotFoundError(f"no MOTChallenge ground truth at {gt}: expected a gt.txt, {gt}/gt/gt.txt "
                                f"or {gt}/<sequence>/gt/gt.txt")
    return [(d.name, d / "gt" / "gt.txt", _seq_length(d)) for d in found]


def kitti_sequences(gt: str | os.PathLike) -> list[tuple[str, Path, int | None]]:
    """``(name, label_file, seq_length or None)`` of each KITTI tracking sequence under ``gt``, sorted by name."""
    gt = Path(gt)
    if gt.is_file():
        return [(gt.stem, gt, _seqmap_lengths(gt.parent.parent).get(gt.stem))]
    labels = gt / "label_02" if (gt / "label_02").is_dir() else gt
    files = sorted(labels.glob("*.txt")) if labels.is_dir() else []
    if not files:
        raise FileNotFoundError(f"no KITTI tracking labels at {gt}: expected {gt}/label_02/<sequence>.txt "
                                f"or {gt}/<sequence>.txt")
    lengths = _seqmap_lengths(labels.parent if labels != gt else gt.parent)
    lengths.update(_seqmap_lengths(gt))
    return [(f.stem, f, lengths.get(f.stem)) for f in files]


def load_mot(gt: str | os.PathLike, pred: str | os.PathLike,
             benchmark: str = "auto") -> tuple[str, dict[str, SequenceData]]:
    """MOTChallenge sequences (pedestrian class) with the benchmark's rules.

    Args:
        gt: ground truth (see the module docstring).
        pred: predictions (a file for a single sequence, else a folder).
        benchmark: ``"MOT15"``, ``"MOT16"``, ``"MOT17"``, ``"MOT20"``, ``"none"`` or ``"auto"`` (MOT17 rules when
            the ground truth has a class column, else MOT15).

    Returns:
        The benchmark used, and sequence name -> `SequenceData`.
    """
    sequences = mot_sequences(gt)
    out, used = {}, benchmark
    for name, gt_file, length in sequences:
        gt_rows = read_mot(gt_file)
        pred_file = prediction_file(pred, name, len(sequences))
        pred_rows = read_mot(pred_file)
        length = length or _last_frame(gt_rows, pred_rows)
        _check_frames(pred_file, pred_rows, 1, length)
        if benchmark == "auto":
            used = "MOT17" if "mot_class" in gt_rows.extra else "MOT15"
        rules = "MOT15" if used == "none" else used
        with _duplicates_located(gt_file, gt_rows, pred_file, pred_rows):
            out[name] = benchmarks.mot_challenge(gt_rows, pred_rows, rules, length, name, preprocess=used != "none")
    return used, out


def load_kitti(gt: str | os.PathLike, pred: str | os.PathLike,
               classes: tuple[str, ...] = ("car", "pedestrian")) -> dict[str, dict[str, SequenceData]]:
    """KITTI tracking sequences with TrackEval's KITTI rules: class -> sequence name -> `SequenceData`."""
    sequences = kitti_sequences(gt)
    out: dict[str, dict[str, SequenceData]] = {cls: {} for cls in classes}
    for name, gt_file, length in sequences:
        gt_rows = read_kitti_tracking(gt_file)
        pred_file = prediction_file(pred, name, len(sequences), "tracks_kitti.txt")
        pred_rows = read_kitti_tracking(pred_file)
        length = length or _last_frame(gt_rows, pred_rows) + 1
        _check_frames(pred_file, pred_rows, 0, length - 1)
        with _duplicates_located(gt_file, gt_rows, pred_file, pred_rows):
            for cls in classes:
                out[cls][name] = benchmarks.kitti(gt_rows, pred_rows, cls, length, name)
    return out


def prediction_file(pred: str | os.PathLike, name: str, num_sequences: int, run_file: str = "tracks.txt") -> Path:
    """The result file of sequence ``name``: ``pred`` itself (one sequence), or ``pred/<name>.txt``,
    ``pred/data/<name>.txt`` or ``pred/<name>/<run_file>`` (a ``roadtrack run`` output folder)."""
    pred = Path(pred)
    if pred.is_file():
        if num_sequences > 1:
            raise ValueError(f"predictions {pred} are one file, but the ground truth has {num_sequences} sequences; "
                             "give a folder with one <sequence>.txt per sequence")
        return pred
    for candidate in (pred / f"{name}.txt", pred / "data" / f"{name}.txt", pred / name / run_file):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no predictions for sequence {name}: {pred / f'{name}.txt'} not found")


def _seq_length(seq_dir: Path) -> int | None:
    return read_seqinfo(seq_dir).seq_length if (seq_dir / "seqinfo.ini").is_file() else None


def _seqmap_lengths(folder: Path) -> dict[str, int]:
    """Sequence lengths from TrackEval's KITTI seqmaps (``seq empty first last``, last = number of frames)."""
    lengths: dict[str, int] = {}
    for seqmap in sorted(folder.glob("evaluate_tracking.seqmap*")) if folder.is_dir() else []:
        with open(seqmap, newline="") as f:
            for row in csv.reader(f, delimiter=" ", skipinitialspace=True):
                if len(row) >= 4 and row[3].strip().isdigit():
                    lengths[row[0]] = int(row[3])
    return lengths


def _last_frame(gt: TrackRows, pred: TrackRows) -> int:
    return int(max(gt.frames.max(initial=0), pred.frames.max(initial=0)))


def _check_frames(path: Path, rows: TrackRows, first: int, last: int) -> None:
    bad = np.flatnonzero((rows.frames < first) | (rows.frames > last))
    if len(bad):
        row = int(bad[0])
        raise ValueError(f"{path}, line {row_line(path, row)}: frame {int(rows.frames[row])} is outside the sequence "
                         f"(frames {first}..{last})")


@contextlib.contextmanager
def _duplicates_located(gt_file: Path, gt_rows: TrackRows, pred_file: Path, pred_rows: TrackRows) -> Iterator[None]:
    """Turn a `DuplicateIdError` (raised after the benchmark's rules, as TrackEval checks) into one naming
    the file and the lines of the two rows."""
    try:
        yield
    except DuplicateIdError as exc:
        path, rows = (pred_file, pred_rows) if exc.what == "predictions" else (gt_file, gt_rows)
        same = np.flatnonzero((rows.frames == exc.frame) & (rows.ids == exc.track_id))
        if len(same) < 2:  # not a pair of file rows (cannot happen with the readers here): keep the message
            raise
        first, second = (row_line(path, int(k)) for k in same[:2])
        raise ValueError(f"{path}, line {second}: id {exc.track_id} more than once in frame {exc.frame} "
                         f"(also on line {first})") from None
