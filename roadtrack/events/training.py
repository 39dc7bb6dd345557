"""Training `TemporalEventClassifier` on ROAD / ROAD-Waymo annotations and their videos.

Ground-truth agent tubes become training tubes the way tracker tubes reach the classifier at test time:
boxes jittered, some frames dropped, then cleaned by `finalize_tubes` (gaps interpolated, boxes smoothed).
Targets are the per-frame action and location labels of the ground-truth boxes; interpolated frames carry
no target. Each epoch ends with a validation pass (frame-level AP of every class on the validation split's
tubes, averaged over the classes that occur) and writes ``last.ckpt``; the best epoch is ``best.ckpt``.

Example:
    >>> result = train_events("road_synthetic_v1.0.json", "videos", "runs/events")   # doctest: +SKIP
    >>> result.best                                                                 # doctest: +SKIP
    PosixPath('runs/events/best.ckpt')
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from roadtrack.core import Tube
from roadtrack.datasets.road import RoadAnnotations, RoadVideo, load_road
from roadtrack.events.features import TubeFeatures
from roadtrack.events.temporal import (HEADS, TemporalConfig, build_network, clean_tube_features, load_checkpoint,
                                       save_checkpoint)
from roadtrack.events.tubes import finalize_tubes

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")
DEFAULT_SUBSETS = {"road": ("train_3", "val_3"), "road_waymo": ("train", "val")}


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    """Optimisation and augmentation settings (not needed at inference, so not in `TemporalConfig`).

    Attributes:
        epochs: passes over the training tubes.
        batch_size: tubes per step.
        lr: peak AdamW learning rate (warm-up, then cosine decay; see `_learning_rate`).
        weight_decay: AdamW weight decay.
        copies: noisy copies of every ground-truth tube per training video.
        jitter: box noise, standard deviation as a fraction of the box size.
        drop: fraction of frames dropped (then interpolated) from each copy.
        crop: training tubes are cut to random windows of at most this many frames.
        seed: seeds the noise, the order and the initial weights.
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        threads: CPU threads torch may use while training (None: torch's default). The model is small: one
            thread is fastest on a shared machine, where extra threads mostly wait for each other.
    """

    epochs: int = 30
    batch_size: int = 16
    lr: float = 3e-3
    weight_decay: float = 1e-4
    copies: int = 2
    jitter: float = 0.03
    drop: float = 0.1
    crop: int = 64
    seed: int = 0
    device: str = "auto"
    threads: int | None = 1


@dataclasses.dataclass(frozen=True, eq=False)
class Sample:
    """One training tube: features, per-frame 0/1 targets per head, and which frames carry ground truth."""

    features: TubeFeatures
    targets: dict[str, np.ndarray]
    labelled: np.ndarray

    def window(self, start: int, stop: int) -> "Sample":
        f = self.features
        return Sample(TubeFeatures(f.actor[start:stop], f.context[start:stop], f.context_mask[start:stop]),
                      {k: v[start:stop] for k, v in self.targets.items()}, self.labelled[start:stop])


@dataclasses.dataclass
class TrainResult:
    """What `train_events` returns: checkpoint paths, per-epoch history, the trained network and its config."""

    best: Path
    last: Path
    history: list[dict[str, float]]
    network: Any
    config: TemporalConfig
    seconds: float


def find_video(videos: str | os.PathLike, name: str) -> Path:
    """``DIR/<name>.mp4`` (or .avi, .mkv, .mov), ``DIR/<name>/`` or ``DIR/rgb-images/<name>/`` (frame folders)."""
    root = Path(videos)
    candidates = [root / f"{name}{s}" for s in VIDEO_SUFFIXES] + [root / name, root / "rgb-images" / name]
    for path in candidates:
        if path.exists():
            return path
    raise FileNotFoundError(f"no video for {name!r} under {root} (looked for {name}.mp4, {name}/, rgb-images/{name}/)")


def _noisy_tubes(video: RoadVideo, copies: int, jitter: float, drop: float, rng: np.random.Generator,
                 first_id: int) -> tuple[list[Tube], dict[int, np.ndarray]]:
    """Noisy copies of the video's ground-truth agent tracks, and each copy's ground-truth box rows."""
    n_boxes = len(video.boxes)
    agent = np.full(n_boxes, -1, np.int64)
    agent[video.box_labels["agent"].rows] = video.box_labels["agent"].ids
    uids = np.asarray(video.box_tube_uids)
    size = np.array([video.width, video.height] * 2, np.float64)
    tubes, rows_of = [], {}
    for uid in dict.fromkeys(uids.tolist()):
        rows = np.flatnonzero((uids == uid) & (agent >= 0))
        if len(rows) < 2:
            continue
        for _ in range(copies):
            keep = rng.random(len(rows)) >= drop
            keep[[0, -1]] = True
            r = rows[keep]
            box = video.boxes[r] * size
            wh = np.tile(box[:, 2:] - box[:, :2], 2)  # (n, 4): w, h, w, h
            noisy = box + rng.normal(0.0, jitter, box.shape) * wh
            noisy[:, 2:] = np.maximum(noisy[:, 2:], noisy[:, :2] + 1.0)
            tubes.append(Tube(first_id + len(tubes), video.box_frames[r], noisy, rng.uniform(0.5, 1.0, len(r)),
                              np.full(len(r), np.bincount(agent[rows]).argmax())))
            rows_of[tubes[-1].track_id] = rows
    return tubes, rows_of


def prepare_samples(annotations: RoadAnnotations, videos: str | os.PathLike, subset: str | Sequence[str],
                    config: TemporalConfig, copies: int, jitter: float, drop: float, seed: int,
                    progress: bool = False) -> list[Sample]:
    """Features and targets of every (noisy) ground-truth agent tube of a split; one pass per video."""
    subset = (subset,) if isinstance(subset, str) else tuple(subset)
    labels, rng = annotations.labels, np.random.default_rng(seed)
    chosen = annotations.subset(*subset)
    samples: list[Sample] = []
    for video in _bar(chosen, progress, f"features {'+'.join(subset)}", "video"):
        path = find_video(videos, video.name)
        raw, rows_of = _noisy_tubes(video, copies, jitter, drop, rng, 1)
        clean = finalize_tubes(raw, config.tube_options)
        feats, _, _ = clean_tube_features(clean, path, config, image_size=(video.width, video.height))
        truth = {h: video.box_labels[h].matrix(len(video.boxes), len(labels[h])).astype(np.float32) for h in HEADS}
        for tube, f in zip(clean, feats):
            rows = rows_of[tube.track_id]
            idx = np.clip(np.searchsorted(video.box_frames[rows], tube.frames), 0, len(rows) - 1)
            labelled = video.box_frames[rows][idx] == tube.frames
            targets = {h: truth[h][rows[idx]] * labelled[:, None] for h in HEADS}
            samples.append(Sample(f, targets, labelled))
    return samples


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """All-point interpolated AP (VOC 2010+) of one class; NaN without positives.

    Example:
        >>> average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]))  # (1 + 2/3) / 2
        0.8333333333333333
    """
    n_pos = int(positive.sum())
    if n_pos == 0:
        return float("nan")
    hits = positive[np.argsort(-scores, kind="stable")]
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    return float(envelope[hits].sum() / n_pos)


def validation_map(predictions: Sequence[dict[str, np.ndarray]], samples: Sequence[Sample]) -> dict[str, float]:
    """Frame-level mAP (percent) per head over labelled frames, mean over classes that occur; plus ``mAP``."""
    out = {}
    for head in HEADS:
        scores = np.concatenate([p[head][s.labelled] for p, s in zip(predictions, samples)])
        truth = np.concatenate([s.targets[head][s.labelled] for s in samples]) > 0.5
        aps = [average_precision(scores[:, c], truth[:, c]) for c in range(truth.shape[1])]
        out[head] = 100.0 * float(np.nanmean(aps)) if np.any(np.isfinite(aps)) else 0.0
    out["mAP"] = float(np.mean([out[h] for h in HEADS]))
    return out


def _bar(items, enabled: bool, desc: str, unit: str):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, dynamic_ncols=True, leave=False)


def train_events(annotations: str | os.PathLike | RoadAnnotations, videos: str | os.PathLike,
                 out_dir: str | os.PathLike, config: TemporalConfig | None = None,
                 options: TrainOptions = TrainOptions(), train_subset: str | Sequence[str] | None = None,
                 val_subset: str | Sequence[str] | None = None, resume: str | os.PathLike | None = None,
                 progress: bool = True, log: Callable[[str], None] | None = None) -> TrainResult:
    """Train the temporal event classifier; see the module docstring.

    Args:
        annotations: annotation JSON (or loaded annotations); its label set fixes the heads.
        videos: folder with ``<video>.mp4`` or frame folders (see `find_video`).
        out_dir: where ``last.ckpt`` and ``best.ckpt`` go (created).
        config: model and feature settings; default `TemporalConfig` for the annotations' label set.
        options: optimisation settings.
        train_subset, val_subset: split ids; default ``train_3`` / ``val_3`` (ROAD), ``train`` / ``val``.
        resume: a ``last.ckpt`` to continue from (its config is used; ``options.epochs`` is the new total).
        progress: show progress bars.
        log: called with one line per epoch (default: nothing).

    Returns:
        `TrainResult`; ``network`` holds the best epoch's weights.
    """
    from roadtrack.events.temporal import torch_threads

    with torch_threads(options.threads):
        return _train(annotations, videos, out_dir, config, options, train_subset, val_subset, resume, progress, log)


def _train(annotations, videos, out_dir, config, options, train_subset, val_subset, resume, progress,
           log) -> TrainResult:
    began = time.perf_counter()
    ann = annotations if isinstance(annotations, RoadAnnotations) else load_road(annotations)
    ckpt = load_checkpoint(resume) if resume is not None else None
    config = TemporalConfig.from_dict(ckpt["config"]) if ckpt else (config or TemporalConfig(labels=ann.labels.name))
    if config.labels != ann.labels.name:
        raise ValueError(f"the model predicts {config.labels} labels but the annotations use {ann.labels.name}")
    default_train, default_val = DEFAULT_SUBSETS[ann.labels.name]
    train = prepare_samples(ann, videos, train_subset or default_train, config, options.copies, options.jitter,
                            options.drop, options.seed, progress)
    val = prepare_samples(ann, videos, val_subset or default_val, config, 1, options.jitter, options.drop,
                          options.seed + 1, progress)
    return fit(train, val, config, options, out_dir, ckpt, progress, log, began)


def fit(train: Sequence[Sample], val: Sequence[Sample], config: TemporalConfig, options: TrainOptions,
        out_dir: str | os.PathLike, ckpt: dict[str, Any] | None = None, progress: bool = False,
        log: Callable[[str], None] | None = None, began: float | None = None) -> TrainResult:
    """The training loop over prepared samples: AdamW, per-epoch validation mAP, ``last.ckpt`` / ``best.ckpt``.

    Args:
        train, val: samples (features, targets, labelled frames).
        config: the model's settings (saved in the checkpoints).
        options: optimisation settings.
        out_dir: checkpoint folder (created).
        ckpt: a loaded ``last.ckpt`` to continue from.
        progress: show progress bars.
        log: called with one line per epoch.
        began: `time.perf_counter` at the start (for ``seconds``; default now).
    """
    import torch

    from roadtrack.core.device import resolve_device
    from roadtrack.events.batching import collate

    began = time.perf_counter() if began is None else began
    if not train or not val:
        raise ValueError("no ground-truth agent tubes in the training or validation split")
    device = resolve_device(options.device)
    torch.manual_seed(options.seed)
    network = build_network(config).to(device)
    optimiser = torch.optim.AdamW(network.parameters(), lr=options.lr, weight_decay=options.weight_decay)
    history: list[dict[str, float]] = []
    best_map, start_epoch = -1.0, 0
    if ckpt:
        network.load_state_dict(ckpt["state_dict"])
        optimiser.load_state_dict(ckpt["optimizer"])
        history, best_map, start_epoch = list(ckpt["history"]), float(ckpt["best_map"]), int(ckpt["epoch"]) + 1
    pos_weight = {h: torch.tensor(_pos_weight([s.targets[h][s.labelled] for s in train]), device=device) for h in HEADS}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    best_path, last_path = out / "best.ckpt", out / "last.ckpt"
    rng = np.random.default_rng(options.seed + 2 + start_epoch)
    evaluator = _Evaluator(network, config, device)
    epochs = _bar(range(start_epoch, options.epochs), progress, "train-events", "epoch")
    for epoch in epochs:
        for group in optimiser.param_groups:
            group["lr"] = _learning_rate(epoch, options)
        network.train()
        losses = []
        order = rng.permutation(len(train))
        for start in range(0, len(order), options.batch_size):
            chunk = [_crop(train[i], options.crop, rng) for i in order[start:start + options.batch_size]]
            batch = collate([s.features for s in chunk], [s.targets for s in chunk], [s.labelled for s in chunk],
                            device)
            logits = network(batch["actor"], batch["context"], batch["context_mask"], batch["mask"])
            weight = batch["labelled"].unsqueeze(-1).float()
            loss = sum((torch.nn.functional.binary_cross_entropy_with_logits(
                logits[h], batch[f"target/{h}"], weight=weight, pos_weight=pos_weight[h], reduction="sum")
                / weight.sum().clamp(min=1.0)) for h in HEADS)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
            optimiser.step()
            losses.append(float(loss.detach()))
        scores = validation_map(evaluator.predict([s.features for s in val]), val)
        record = {"epoch": epoch, "loss": float(np.mean(losses)), **{f"val_{k}": v for k, v in scores.items()}}
        history.append(record)
        improved = scores["mAP"] > best_map
        best_map = max(best_map, scores["mAP"])
        state = {"epoch": epoch, "history": history, "best_map": best_map, "optimizer": optimiser.state_dict()}
        save_checkpoint(last_path, network, config, **state)
        if improved:
            save_checkpoint(best_path, network, config, **state)
        line = (f"epoch {epoch + 1}/{options.epochs} loss {record['loss']:.4f} val mAP action "
                f"{scores['action']:.1f} loc {scores['loc']:.1f}" + (" (best)" if improved else ""))
        if progress:
            epochs.set_postfix_str(line.split(" ", 2)[2])
        if log is not None and progress:
            from tqdm import tqdm

            tqdm.write(line)  # above the bars instead of through them
        elif log is not None:
            log(line)
    if best_path.is_file():
        network.load_state_dict(load_checkpoint(best_path)["state_dict"])
    return TrainResult(best_path, last_path, history, network.eval(), config, time.perf_counter() - began)


class _Evaluator:
    """Runs the network in eval mode over features (`TemporalEventClassifier.predict` without a checkpoint)."""

    def __init__(self, network, config: TemporalConfig, device: str) -> None:
        from roadtrack.events.temporal import TemporalEventClassifier

        self.classifier = TemporalEventClassifier.from_network(network, config, device)

    def predict(self, features: Sequence[TubeFeatures]) -> list[dict[str, np.ndarray]]:
        self.classifier.network.eval()
        try:
            return self.classifier.predict(features)
        finally:
            self.classifier.network.train()


def _learning_rate(epoch: int, options: TrainOptions) -> float:
    """Linear warm-up over the first 10 % of the epochs, then cosine decay to 2 % of the peak.

    A function of the epoch and the total only, so a resumed run with a new total follows the new schedule.
    """
    warm = max(1, round(0.1 * options.epochs))
    if epoch < warm:
        return options.lr * (epoch + 1) / warm
    progress = (epoch - warm) / max(1, options.epochs - warm)
    return float(options.lr * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * min(progress, 1.0)))))


def _crop(sample: Sample, length: int, rng: np.random.Generator) -> Sample:
    n = len(sample.labelled)
    if n <= length:
        return sample
    start = int(rng.integers(0, n - length + 1))
    return sample.window(start, start + length)


def _pos_weight(targets: Sequence[np.ndarray]) -> np.ndarray:
    """Per class sqrt(negatives / positives), clipped to [1, 10]: rare classes weigh more, but not wildly."""
    stacked = np.concatenate(targets)
    pos = stacked.sum(0)
    return np.clip(np.sqrt((len(stacked) - pos) / np.maximum(pos, 1.0)), 1.0, 10.0).astype(np.float32)
