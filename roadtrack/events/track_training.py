"""Training the learned event classifier on labelled tracks without frames (`roadtrack.events.track_file`).

What ``roadtrack train-events --tracks DIR [--ego-dir DIR]`` runs. Each video's box sequences become the model's
inputs the way tracker tubes do at test time (`finalize_tubes`), with ego motion from ``EGO_DIR/<video>.csv``
when it exists, else estimated from the tracks (`roadtrack.events.ego`); there are no pixels, so the colour
features are zero. Epochs and the per-label decision thresholds are chosen on validation videos taken from
the training files (the last ``val_count`` by name unless given), never on the videos one reports on.

With ``folds`` = k >= 2 (``--folds K``), k-fold cross-validation over the training files instead: file i (by
name) is in fold i mod k; model j trains on every fold but j and keeps its best epoch by validation mAP on
fold j (``OUT/fold<j>/best.ckpt``); the thresholds are chosen on the out-of-fold scores of all the files
(every file scored once, by the model that did not see it), so rare labels get k times the validation
frames of one split; the k models together are the classifier (`evaluate_tracks` averages their scores).

Example:
    >>> result = train_events_from_tracks(sorted(Path("labels/tracks").glob("*.csv")), "runs/kitti-events",
    ...                                   ego_dir="labels/ego", image_size=(1242, 375), fps=10)  # doctest: +SKIP
    >>> result.thresholds["action"].shape                                                  # doctest: +SKIP
    (22,)
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from roadtrack.core import Tube
from roadtrack.events.temporal import HEADS, TemporalConfig, TemporalEventClassifier, clean_tube_features
from roadtrack.events.track_file import LabelledTracks, read_labelled_tracks
from roadtrack.events.training import Sample, TrainOptions, TrainResult, fit
from roadtrack.core.labels import LabelSet
from roadtrack.events.compose import compose
from roadtrack.events.features import RULE_LABELS, TubeFeatures
from roadtrack.events.tubes import agent_scores, finalize_tubes


@dataclasses.dataclass
class TracksTrainResult:
    """`TrainResult` plus per-label thresholds (``{"action": (B,), "loc": (L,)}``) chosen on validation.

    ``members`` holds every fold's result with ``folds`` >= 2 (``train`` is the first), else just ``train``;
    ``smooth`` is the moving-average window (frames) applied to the scores along each tube (`smooth_scores`);
    ``blend`` the network's weight against the kinematic rules' scores it sees as inputs (`blend_rules`).
    """

    train: TrainResult
    thresholds: dict[str, np.ndarray]
    image_size: tuple[float, float] | None
    fps: float
    members: list[TrainResult] = dataclasses.field(default_factory=list)
    smooth: int = 1
    blend: float = 1.0


def ego_for(name: str, ego_dir: str | os.PathLike | None) -> str:
    """``EGO_DIR/<name>.csv`` when it exists, else ``tracks`` (estimate from the tracks)."""
    if ego_dir is not None and (Path(ego_dir) / f"{name}.csv").is_file():
        return str(Path(ego_dir) / f"{name}.csv")
    return "tracks"


def track_samples(tracks: LabelledTracks, config: TemporalConfig, ego: str, image_size: tuple[float, float] | None,
                  copies: int = 1, jitter: float = 0.0, drop: float = 0.0,
                  rng: np.random.Generator | None = None) -> list[Sample]:
    """Features and targets of one video's labelled tracks (frames added by `finalize_tubes` carry none).

    With ``copies`` > 1 or ``jitter`` / ``drop`` > 0, each track is repeated with boxes jittered by ``jitter``
    times their size and a ``drop`` fraction of its frames removed (then interpolated), as detections would be.
    """
    rng = rng or np.random.default_rng(0)
    raw = []
    for tube in tracks.tubes:
        for _ in range(copies):
            keep = rng.random(len(tube)) >= drop
            keep[[0, -1]] = True
            box = tube.xyxy[keep]
            wh = np.tile(box[:, 2:] - box[:, :2], 2)
            noisy = box + rng.normal(0.0, jitter, box.shape) * wh if jitter > 0 else box
            noisy[:, 2:] = np.maximum(noisy[:, 2:], noisy[:, :2] + 1.0)
            raw.append(Tube(tube.track_id, tube.frames[keep], noisy, tube.scores[keep], tube.class_ids[keep]))
    clean = finalize_tubes(raw, config.tube_options)
    feats, _, _ = clean_tube_features(clean, None, config, ego=ego, image_size=image_size)
    by_id = {t.track_id: i for i, t in enumerate(tracks.tubes)}
    samples = []
    for tube, f in zip(clean, feats):
        i = by_id[tube.track_id]
        source = tracks.tubes[i]
        idx = np.clip(np.searchsorted(source.frames, tube.frames), 0, len(source) - 1)
        labelled = (source.frames[idx] == tube.frames) & tracks.labelled[i][idx]
        targets = {h: tracks.targets[i][h][idx] * labelled[:, None] for h in HEADS}
        samples.append(Sample(f, targets, labelled))
    return samples


def train_events_from_tracks(files: Sequence[str | os.PathLike], out_dir: str | os.PathLike,
                             ego_dir: str | os.PathLike | None = None, image_size: tuple[float, float] | None = None,
                             fps: float = 10.0, labels: str = "road_waymo", epochs: int = 40,
                             val_files: Sequence[str | os.PathLike] | None = None, val_count: int = 2,
                             options: TrainOptions | None = None, config: TemporalConfig | None = None,
                             folds: int = 0, smooth: Sequence[int] = (1,), blend: Sequence[float] = (1.0,),
                             progress: bool = False,
                             log: Callable[[str], None] | None = None) -> TracksTrainResult:
    """Train on labelled-tracks CSVs; see the module docstring.

    Args:
        files: one CSV per video (`roadtrack.events.track_file`).
        out_dir: where ``best.ckpt`` / ``last.ckpt`` go.
        ego_dir: folder of per-video ego-motion CSVs (``<video>.csv``); videos without one use the tracks.
        image_size: (width, height) of the videos' frames (default: the boxes' extent per video).
        fps: frames per second of the videos.
        labels: the label lists the CSVs use and the model predicts.
        epochs: training epochs (the best by validation mAP is kept).
        val_files: validation CSVs; default: the last ``val_count`` of ``files`` by name (then not trained on).
        options: optimisation and augmentation settings (``epochs`` is overridden; default: one copy of each
            track, no jitter, no dropped frames).
        config: model settings (default `TemporalConfig` with ``labels`` and ``fps``).
        folds: k >= 2: k-fold cross-validation over ``files`` (module doc) instead of validation videos.
        smooth: candidate moving-average windows (frames) for the scores along each tube; the one with the best
            validation macro F1 is kept (``smooth`` of the result) and the thresholds are chosen after it.
        blend: candidate weights of the network against the kinematic rules' scores (`blend_rules`), chosen
            together with ``smooth``.

    Raises:
        ValueError: no files, nothing left to train on after taking the validation videos, fewer files than
            folds, or both ``folds`` and ``val_files``.
    """
    from roadtrack.events.temporal import torch_threads

    files = sorted(Path(f) for f in files)
    if not files:
        raise ValueError("no labelled-tracks files to train on")
    if folds >= 2 and val_files is not None:
        raise ValueError("folds and val_files exclude each other: the folds are the validation videos")
    if folds >= 2 and len(files) < folds:
        raise ValueError(f"need at least {folds} labelled-tracks files for {folds} folds (got {len(files)})")
    if folds < 2 and val_files is None:
        if len(files) <= val_count:
            raise ValueError(f"need more than {val_count} labelled-tracks files to hold {val_count} out for "
                             f"validation (got {len(files)}); pass val_files")
        files, val_files = files[:-val_count], files[-val_count:]
    config = config or TemporalConfig(labels=labels, fps=fps)
    options = dataclasses.replace(options or TrainOptions(copies=1, jitter=0.0, drop=0.0), epochs=epochs)
    label_set = config.label_set

    rng = np.random.default_rng(options.seed)

    def samples_of(paths, copies: int, jitter: float, drop: float) -> list[list[Sample]]:
        out = []
        for path in paths:
            tracks = read_labelled_tracks(path, label_set)
            out.append(track_samples(tracks, config, ego_for(tracks.name, ego_dir), image_size, copies, jitter,
                                     drop, rng))
        return out

    if folds >= 2:
        train_of, val_of = samples_of(files, options.copies, options.jitter, options.drop), samples_of(files, 1, 0, 0)
        splits = [([s for i, f in enumerate(train_of) if i % folds != j for s in f],
                   [s for i, f in enumerate(val_of) if i % folds == j for s in f], Path(out_dir) / f"fold{j}")
                  for j in range(folds)]
    else:
        splits = [([s for f in samples_of(files, options.copies, options.jitter, options.drop) for s in f],
                   [s for f in samples_of(val_files, 1, 0.0, 0.0) for s in f], Path(out_dir))]
    members, scored = [], []
    for j, (train, val, where) in enumerate(splits):
        if log is not None:
            n_val = len(files[j::folds]) if folds >= 2 else len(val_files)
            n_train = len(files) - n_val if folds >= 2 else len(files)
            log(f"{f'fold {j}: ' if folds >= 2 else ''}{len(train)} training tubes from {n_train} videos, "
                f"{len(val)} validation tubes from {n_val} videos")
        with torch_threads(options.threads):
            result = fit(train, val, config, options, where, None, progress, log)
        members.append(result)
        predictions = TemporalEventClassifier.from_network(result.network, config).predict([s.features for s in val])
        scored += [(p, s) for p, s in zip(predictions, val)]
    truth = {h: np.concatenate([s.targets[h][s.labelled] for _, s in scored]) > 0.5 for h in HEADS}

    def pooled(window: int, weight: float) -> dict[str, np.ndarray]:
        post = [finish(p, s.features, label_set, weight, window) for p, s in scored]
        return {h: np.concatenate([q[h][s.labelled] for q, (_, s) in zip(post, scored)]) for h in HEADS}

    # the smoothing window and blend weight with the best macro F1 (each label at its best threshold) on the
    # validation scores (out of fold with folds)
    quality = {(w, a): macro_f1(pooled(w, a), truth) for w in smooth for a in blend}
    window, weight = max(quality, key=quality.get)
    if log is not None:
        log("validation macro F1 by (smoothing window, blend): " +
            ", ".join(f"{k}: {q:.3f}" for k, q in quality.items()))
    scores = pooled(window, weight)
    thresholds = {h: best_thresholds(scores[h], truth[h]) for h in HEADS}
    return TracksTrainResult(members[0], thresholds, image_size, fps, members, window, weight)


def blend_rules(scores: dict[str, np.ndarray], features: TubeFeatures, labels: LabelSet,
                weight: float) -> dict[str, np.ndarray]:
    """``weight`` x the network's scores + (1 - ``weight``) x the kinematic rules' (`RULE_LABELS`, part of the
    tube's features) for the labels the rules score; the network's alone for the others."""
    if weight >= 1.0:
        return scores
    rules = features.actor[:, -len(RULE_LABELS):]
    out = {}
    for h, values in scores.items():
        cols = [(j, RULE_LABELS.index(n)) for j, n in enumerate(labels[h]) if n in RULE_LABELS]
        mixed = values.copy()
        for j, r in cols:
            mixed[:, j] = weight * values[:, j] + (1.0 - weight) * rules[:, r]
        out[h] = mixed
    return out


def finish(scores: dict[str, np.ndarray], features: TubeFeatures, labels: LabelSet, weight: float,
           window: int) -> dict[str, np.ndarray]:
    """The network's scores of one tube blended with the rules' (`blend_rules`), then smoothed (`smooth_scores`)."""
    return {h: smooth_scores(v, window) for h, v in blend_rules(scores, features, labels, weight).items()}


def smooth_scores(scores: np.ndarray, window: int) -> np.ndarray:
    """(T, C) scores along one tube -> their centred moving average over ``window`` frames (fewer at the ends).

    Example:
        >>> smooth_scores(np.array([[0.0], [0.0], [0.9], [0.0]]), 3)[:, 0].round(2).tolist()
        [0.0, 0.3, 0.3, 0.45]
    """
    if window <= 1 or len(scores) == 0:
        return scores
    n = len(scores)
    total = np.concatenate([np.zeros((1, scores.shape[1])), np.cumsum(scores, 0)])
    lo = np.clip(np.arange(n) - window // 2, 0, n)
    hi = np.clip(np.arange(n) - window // 2 + window, 0, n)
    return (total[hi] - total[lo]) / (hi - lo)[:, None]


def macro_f1(scores: dict[str, np.ndarray], truth: dict[str, np.ndarray]) -> float:
    """Mean over the labels with positives of the F1 at each label's best threshold (`best_thresholds`)."""
    values = []
    for h in scores:
        cut = best_thresholds(scores[h], truth[h])
        pred, pos = scores[h] >= cut, truth[h]
        for c in np.flatnonzero(pos.any(0)):
            values.append(2 * (pred[:, c] & pos[:, c]).sum() / max(pred[:, c].sum() + pos[:, c].sum(), 1))
    return float(np.mean(values)) if values else 0.0


def best_thresholds(scores: np.ndarray, truth: np.ndarray, grid: np.ndarray = np.arange(0.05, 0.96, 0.05)
                    ) -> np.ndarray:
    """(C,) per-column threshold of ``grid`` with the best F1 (0.5 where a column has no positives)."""
    out = np.full(scores.shape[1], 0.5)
    for c in range(scores.shape[1]):
        if not truth[:, c].any():
            continue
        pred = scores[:, c][None, :] >= grid[:, None]
        tp = (pred & truth[:, c][None, :]).sum(1)
        f1 = 2 * tp / np.maximum(pred.sum(1) + truth[:, c].sum(), 1)
        out[c] = grid[int(np.argmax(f1))]
    return out


def evaluate_tracks(result: TracksTrainResult, tracks: LabelledTracks, ego: str | None = None) -> list[Tube]:
    """The trained classifier's labelled tubes for one video's tracks (ego: a CSV, or the tracks).

    With several ``members`` (folds), the action and location scores are the means of the members' scores
    (all members share the config, so the features are computed once), then blended with the rules' scores
    (``result.blend``) and smoothed along the tube (``result.smooth``).
    """
    members = result.members or [result.train]
    classifier = TemporalEventClassifier.from_network(members[0].network, members[0].config, ego=ego or "tracks",
                                                      image_size=result.image_size)
    clean, feats = classifier.features(tracks.tubes, None)
    runs = [TemporalEventClassifier.from_network(m.network, m.config).predict(feats) for m in members]
    out = []
    for i, tube in enumerate(clean):
        mean = {h: np.mean([run[i][h] for run in runs], axis=0) for h in HEADS}
        scores = finish(mean, feats[i], classifier.labels, result.blend, result.smooth)
        scores["agent"] = agent_scores(tube, len(classifier.labels.agent), classifier.class_map)
        out.append(dataclasses.replace(tube, labels=compose(scores, classifier.labels)))
    return out
