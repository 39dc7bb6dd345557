"""Benchmark rules: which ground-truth and predicted rows count, as TrackEval applies them.

Each function turns one sequence's ground truth and predictions (`roadtrack.io.TrackRows`) into the
`SequenceData` of one class that every metric reads.

MOTChallenge (TrackEval ``MotChallenge2DBox.get_preprocessed_seq_data``):

- MOT15: no preprocessing. Ground-truth rows whose ``conf`` column, truncated to an integer, is 0 are
  dropped; every other row counts (MOT15 ground truth has no class column); no prediction is removed.
- MOT16/17/20: predictions are matched to *all* ground-truth rows of their frame (Hungarian, IoU >= 0.5); a
  prediction matched to a distractor (person_on_vehicle, static_person, distractor, reflection; for MOT20
  also non_mot_vehicle) is removed. Then only pedestrian rows (class 1) with a non-zero ``conf`` remain.

KITTI tracking (TrackEval ``Kitti2DBox``), separately for ``car`` and ``pedestrian``:

- ``DontCare`` rows are ignore regions; other ground-truth rows with a negative id are dropped, and so are
  predictions with a negative id or another type. ``Van`` is the distractor class of ``car``, ``Person``
  (people sitting) that of ``pedestrian``.
- Predictions matched (IoU >= 0.5) to a distractor, or to a ground-truth box with occlusion > 2 or
  truncation > 0, are removed; unmatched predictions at most 25 px high, or more than half inside a
  ``DontCare`` region, are removed. Then only ground truth of the class with occlusion <= 2 and
  truncation 0 remains.
"""

from __future__ import annotations

import numpy as np

from roadtrack.io.kitti import KITTI_CLASSES
from roadtrack.io.rows import TrackRows
from roadtrack.metrics.data import SequenceData, build_sequence
from roadtrack.metrics.matching import match_pairs
from roadtrack.metrics.similarity import EPS, frame_iou_pairs, paired_ioa, same_frame_pairs

MOT_BENCHMARKS = ("MOT15", "MOT16", "MOT17", "MOT20")
# MOTChallenge ground-truth class numbers (the 8th column of MOT16/17/20 gt files).
MOT_CLASSES = {"pedestrian": 1, "person_on_vehicle": 2, "car": 3, "bicycle": 4, "motorbike": 5, "non_mot_vehicle": 6,
               "static_person": 7, "distractor": 8, "occluder": 9, "occluder_on_ground": 10, "occluder_full": 11,
               "reflection": 12, "crowd": 13}
_MOT_DISTRACTORS = ("person_on_vehicle", "static_person", "distractor", "reflection")
KITTI_EVAL_CLASSES = {"car": ("van",), "pedestrian": ("person", "person_sitting")}
KITTI_MAX_OCCLUSION, KITTI_MAX_TRUNCATION, KITTI_MIN_HEIGHT = 2, 0, 25
MATCH_IOU = 0.5  # benchmarks' IoU for matching predictions to distractors


def mot_challenge(gt: TrackRows, pred: TrackRows, benchmark: str = "MOT17", num_frames: int | None = None,
                  name: str = "", preprocess: bool = True) -> SequenceData:
    """One MOTChallenge sequence, pedestrians, after the benchmark's preprocessing.

    Args:
        gt: ground truth from `roadtrack.io.read_mot` (``scores`` is the ``conf`` flag; MOT16/17/20 files
            carry ``extra["mot_class"]``).
        pred: predictions from `read_mot`.
        benchmark: one of `MOT_BENCHMARKS`.
        num_frames: sequence length (``seqLength`` of seqinfo.ini); default: the last frame with rows.
        name: sequence name.
        preprocess: apply the distractor rules (MOT16/17/20; TrackEval's ``DO_PREPROC``).

    Returns:
        `SequenceData` with IoU similarities.

    Raises:
        ValueError: unknown benchmark, a MOT16/17/20 ground truth without class column or with unknown
            classes, or an id twice in one frame.

    Example:
        >>> gt = TrackRows(frames=[1, 1], ids=[1, 2], xyxy=[[0, 0, 10, 10], [20, 0, 30, 10]], scores=[1, 0])
        >>> mot_challenge(gt, gt, "MOT15").num_gt_dets   # the zero-marked row is dropped
        1
    """
    if benchmark not in MOT_BENCHMARKS:
        raise ValueError(f"unknown MOTChallenge benchmark {benchmark!r}; choose from {', '.join(MOT_BENCHMARKS)}")
    pairs = frame_iou_pairs(gt.frames, gt.xyxy, pred.frames, pred.xyxy)
    considered = np.trunc(gt.scores) != 0
    keep_pred = np.ones(len(pred), bool)
    keep_gt = considered
    if benchmark != "MOT15" and preprocess:
        if "mot_class" not in gt.extra:
            raise ValueError(f"{name or 'ground truth'}: {benchmark} ground truth needs the class column (9 columns)")
        classes = np.trunc(gt.extra["mot_class"]).astype(np.int64)
        unknown = np.setdiff1d(classes, list(MOT_CLASSES.values()))
        if len(unknown):
            raise ValueError(f"{name or 'ground truth'}: unknown MOTChallenge classes {unknown.tolist()}")
        names = _MOT_DISTRACTORS + (("non_mot_vehicle",) if benchmark == "MOT20" else ())
        distractor = np.isin(classes, [MOT_CLASSES[n] for n in names])
        matched_gt, matched_pred = _match_at(gt.frames, pred.frames, pairs, MATCH_IOU)
        keep_pred[matched_pred[distractor[matched_gt]]] = False
        keep_gt = considered & (classes == MOT_CLASSES["pedestrian"])
    return _subset(name, gt, pred, keep_gt, keep_pred, pairs, num_frames, first_frame=1)


def kitti(gt: TrackRows, pred: TrackRows, cls: str, num_frames: int | None = None, name: str = "") -> SequenceData:
    """One KITTI tracking sequence, one class, after TrackEval's KITTI preprocessing.

    Args:
        gt: labels from `roadtrack.io.read_kitti_tracking` (types in ``extra["type"]``, occlusion and
            truncation in ``extra["occluded"]``, ``extra["truncated"]``).
        pred: results from `read_kitti_tracking`.
        cls: ``"car"`` or ``"pedestrian"``.
        num_frames: sequence length (the seqmap's 4th column); default: last frame + 1 (frames are 0-based).
        name: sequence name.

    Returns:
        `SequenceData` with IoU similarities.

    Raises:
        ValueError: unknown class, or an id twice in one frame after preprocessing.
    """
    if cls not in KITTI_EVAL_CLASSES:
        raise ValueError(f"KITTI class {cls!r} cannot be evaluated; choose from {', '.join(KITTI_EVAL_CLASSES)}")
    distractors = KITTI_EVAL_CLASSES[cls]
    g_type, p_type = _kitti_types(gt), _kitti_types(pred)
    ignore = g_type == "dontcare"
    gt_in = ~ignore & (gt.ids >= 0) & np.isin(g_type, (cls,) + distractors)
    pred_in = (pred.ids >= 0) & (p_type == cls)
    occluded = np.trunc(gt.extra["occluded"]).astype(np.int64) if "occluded" in gt.extra else np.zeros(len(gt), np.int64)
    truncated = np.trunc(gt.extra["truncated"]).astype(np.int64) if "truncated" in gt.extra else np.zeros(len(gt), np.int64)
    pairs = frame_iou_pairs(gt.frames, gt.xyxy, pred.frames, pred.xyxy)
    both = gt_in[pairs[0]] & pred_in[pairs[1]]
    pairs = tuple(p[both] for p in pairs)

    matched_gt, matched_pred = _match_at(gt.frames, pred.frames, pairs, MATCH_IOU)
    hidden = (occluded > KITTI_MAX_OCCLUSION + EPS) | (truncated > KITTI_MAX_TRUNCATION + EPS)
    distractor = np.isin(g_type, distractors) | hidden
    keep_pred = pred_in.copy()
    keep_pred[matched_pred[distractor[matched_gt]]] = False

    unmatched = pred_in.copy()
    unmatched[matched_pred] = False
    rows = np.flatnonzero(unmatched)
    height = pred.xyxy[rows, 3] - pred.xyxy[rows, 1]
    regions = np.flatnonzero(ignore)
    r_pred, r_region = same_frame_pairs(pred.frames[rows], gt.frames[regions])
    inside = paired_ioa(pred.xyxy[rows][r_pred], gt.xyxy[regions][r_region]) > 0.5 + EPS
    in_region = np.zeros(len(rows), bool)
    in_region[r_pred[inside]] = True
    keep_pred[rows[(height <= KITTI_MIN_HEIGHT + EPS) | in_region]] = False

    keep_gt = gt_in & (occluded <= KITTI_MAX_OCCLUSION) & (truncated <= KITTI_MAX_TRUNCATION) & (g_type == cls)
    return _subset(name, gt, pred, keep_gt, keep_pred, pairs, num_frames, first_frame=0)


def plain(gt: TrackRows, pred: TrackRows, class_id: int | None = None, num_frames: int | None = None,
          name: str = "") -> SequenceData:
    """One sequence without benchmark rules: every row counts, optionally only rows of one class.

    Args:
        gt, pred: rows with ``class_ids``.
        class_id: evaluate only rows of this class (ground truth and predictions); None: all rows, classes ignored.
        num_frames: sequence length; default: the frames spanned by the rows (last - first + 1).
        name: sequence name.
    """
    keep_gt = np.ones(len(gt), bool) if class_id is None else gt.class_ids == class_id
    keep_pred = np.ones(len(pred), bool) if class_id is None else pred.class_ids == class_id
    pairs = frame_iou_pairs(gt.frames, gt.xyxy, pred.frames, pred.xyxy)
    every = np.concatenate([gt.frames, pred.frames])
    first = int(every.min()) if len(every) else 0
    return _subset(name, gt, pred, keep_gt, keep_pred, pairs, num_frames, first_frame=first)


def _kitti_types(rows: TrackRows) -> np.ndarray:
    """(N,) lower-case type names: ``extra["type"]`` when present, else `KITTI_CLASSES` by class id."""
    if "type" in rows.extra:
        return np.char.lower(np.asarray(rows.extra["type"], dtype=str))
    names = np.asarray([c.lower() for c in KITTI_CLASSES] + [""])
    return names[np.where((rows.class_ids >= 0) & (rows.class_ids < len(KITTI_CLASSES)), rows.class_ids, -1)]


def _match_at(gt_frames: np.ndarray, pred_frames: np.ndarray, pairs: tuple,
              iou: float) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian matching per frame of pairs with IoU >= ``iou``, maximising the IoU sum (as TrackEval's
    preprocessing does). Returns the matched ground-truth rows and predicted rows."""
    g, p, sim = pairs
    ok = sim >= iou - EPS
    g, p, sim = g[ok], p[ok], sim[ok]
    # match_pairs wants the rows of a frame numbered consecutively: use ranks in frame order.
    g_rank, p_rank = _frame_rank(gt_frames), _frame_rank(pred_frames)
    order = np.lexsort((p_rank[p], g_rank[g]))
    g, p, sim = g[order], p[order], sim[order]
    matched = match_pairs(gt_frames[g], g_rank[g], p_rank[p], sim)
    return g[matched], p[matched]


def _frame_rank(frames: np.ndarray) -> np.ndarray:
    rank = np.empty(len(frames), np.int64)
    rank[np.argsort(frames, kind="stable")] = np.arange(len(frames))
    return rank


def _subset(name: str, gt: TrackRows, pred: TrackRows, keep_gt: np.ndarray, keep_pred: np.ndarray, pairs: tuple,
            num_frames: int | None, first_frame: int) -> SequenceData:
    g, p, sim = pairs
    both = keep_gt[g] & keep_pred[p]
    gt_new = np.cumsum(keep_gt) - 1
    pred_new = np.cumsum(keep_pred) - 1
    if num_frames is None:
        last = max(int(gt.frames.max(initial=first_frame - 1)), int(pred.frames.max(initial=first_frame - 1)))
        num_frames = last - first_frame + 1
    return build_sequence(name, num_frames, gt.frames[keep_gt], gt.ids[keep_gt], pred.frames[keep_pred],
                          pred.ids[keep_pred], gt_new[g[both]], pred_new[p[both]], sim[both])
