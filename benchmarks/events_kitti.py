"""Road events on real trajectories: KITTI tracking, labels from the 3D boxes, classifiers given only 2D boxes.

    python benchmarks/events_kitti.py [--out runs/events-kitti] [--epochs 20] [--folds 3] [--smooth 1,5,9,15]
                                      [--no-learned | --no-kinematic]

1. `kitti_labels.py` derives per object-frame action and location labels (``Stop``, ``MovAway``, ``MovTow``,
   ``XingFmLft``, ``XingFmRht``, ``TurLft``, ``TurRht``; ``VehLane``, ``OutgoLane``, ``IncomLane``, ``LftPav``,
   ``RhtPav``) of the 21 KITTI tracking training sequences from their 3D positions (rules in its docstring) and
   writes them as labelled-tracks CSVs (`roadtrack.events.track_file`) plus the label-derived ego motion.
2. The kinematic classifier (``road_waymo`` lists, right-hand traffic, camera defaults from the 1242 x 375 image
   size, 10 fps) labels the 2D boxes of every track, ego motion estimated from the tracks (``ego="tracks"``);
   for reference also with the label-derived ego motion as a CSV (``ego=CSV``).
3. The learned classifier is trained with `train_events_from_tracks` (what ``roadtrack train-events --tracks
   --folds K`` runs) on the 14 training sequences (every sequence whose number is not 2 mod 3) by K-fold
   cross-validation over them (``--folds``, default 3: sequence i of the 14 by name in fold i mod K): one model
   per fold, its epoch the best by validation mAP on its own fold; the smoothing window of the scores along
   each track (``--smooth`` candidates), the weight of the network's scores against the kinematic rules' scores
   it sees as inputs (1, 0.75, 0.5, 0.25; `blend_rules`) and then the per-label thresholds are chosen on the
   out-of-fold scores of all 14;
   the K models' mean score is the classifier. It estimates the horizon from the boxes (as the kinematic one
   does) and sees the label-derived ego motion (``ego/<seq>.csv``) in training and test. Nothing is chosen on
   the held-out sequences 0002, 0005, ..., 0020, where it is scored.

Scores: per label, precision / recall / F1 over the labelled object-frames (a label is predicted when its
score is at least 0.5; the learned model uses its per-label thresholds chosen out of fold), macro
F1 over the 12 labels, next to the majority floor: answering, for every object-frame, the most frequent motion
label (``Stop``) and the most frequent location label of the scored frames.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kitti_labels as kl  # noqa: E402

from roadtrack.core.labels import label_set  # noqa: E402
from roadtrack.events import KinematicEventClassifier  # noqa: E402
from roadtrack.events.track_file import LabelledTracks, read_labelled_tracks  # noqa: E402

LABELS = label_set("road_waymo")
HELD_OUT = [s for s in kl.SEQUENCES if int(s) % 3 == 2]
TRAINING = [s for s in kl.SEQUENCES if s not in HELD_OUT]


def write_labels(out: Path) -> None:
    (out / "tracks").mkdir(parents=True, exist_ok=True)
    (out / "ego").mkdir(parents=True, exist_ok=True)
    for name in kl.SEQUENCES:
        seq = kl.derive_labels(kl.read_sequence(name))
        kl.write_tracks_csv(out / "tracks" / f"{name}.csv", seq)
        steps, _ = kl.ego_poses(seq)
        kl.write_ego_csv(out / "ego" / f"{name}.csv", kl.ego_motion(steps))


def matrices(truth: LabelledTracks, predicted: list) -> tuple[np.ndarray, np.ndarray]:
    """(N, 12) truth and scores over the labelled rows of ``truth`` (scores 0 where no tube covers a row)."""
    by_id = {}
    for tube in predicted:
        by_id.setdefault(tube.track_id, []).append(tube)
    t_rows, s_rows = [], []
    cols = [(h, LABELS[h].index(n)) for n in kl.EVALUATED for h in ("action", "loc") if n in LABELS[h]]
    for tube, target, flags in zip(truth.tubes, truth.targets, truth.labelled):
        score = np.zeros((len(tube), len(cols)))
        for piece in by_id.get(tube.track_id, []):
            idx = np.searchsorted(tube.frames, piece.frames)
            ok = (idx < len(tube)) & (tube.frames[np.minimum(idx, len(tube) - 1)] == piece.frames)
            for c, (h, j) in enumerate(cols):
                score[idx[ok], c] = piece.labels[h][ok, j]
        t_rows.append(np.stack([target[h][:, j] for h, j in cols], 1)[flags])
        s_rows.append(score[flags])
    return np.concatenate(t_rows) > 0.5, np.concatenate(s_rows)


def prf(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(C, 3) precision, recall, F1 per column."""
    tp = (truth & pred).sum(0)
    p = tp / np.maximum(pred.sum(0), 1)
    r = tp / np.maximum(truth.sum(0), 1)
    return np.stack([p, r, 2 * p * r / np.maximum(p + r, 1e-9)], 1)


def floor(truth: np.ndarray) -> np.ndarray:
    """F1 of always answering the most frequent motion label and the most frequent location label."""
    n_act = len(kl.ACTIONS)
    pred = np.zeros_like(truth)
    pred[:, np.argmax(truth[:, :5].sum(0))] = True  # Stop / MovAway / MovTow / XingFmLft / XingFmRht
    pred[:, n_act + np.argmax(truth[:, n_act:].sum(0))] = True
    return prf(truth, pred)[:, 2]


def table(title: str, truth: np.ndarray, results: dict[str, np.ndarray]) -> str:
    names = list(results)
    fl = floor(truth)
    lines = [f"**{title}** ({len(truth)} labelled object-frames)", "",
             "| label | frames | " + " | ".join(f"{n} P | {n} R | {n} F1" for n in names) + " | majority F1 |",
             "|---" * (3 + 3 * len(names)) + "|"]
    for c, label in enumerate(kl.EVALUATED):
        cells = [f"{results[n][c, k]:.2f}" for n in names for k in range(3)]
        lines.append(f"| {label} | {int(truth[:, c].sum())} | " + " | ".join(cells) + f" | {fl[c]:.2f} |")
    macro = "".join(f" | | | **{results[n][:, 2].mean():.3f}**" for n in names)
    lines.append(f"| **macro F1** |{macro} | {fl.mean():.3f} |")
    return "\n".join(lines)


def run_kinematic(tracks: dict[str, LabelledTracks], out: Path, ego: str) -> tuple[np.ndarray, np.ndarray]:
    truths, scores = [], []
    for name, lt in tracks.items():
        source = out / "ego" / f"{name}.csv" if ego == "csv" else ego
        clf = KinematicEventClassifier(labels="road_waymo", ego=source, fps=kl.FPS, image_size=kl.IMAGE_SIZE)
        t, s = matrices(lt, clf.classify(lt.tubes, None))
        truths.append(t)
        scores.append(s)
    return np.concatenate(truths), np.concatenate(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/events-kitti")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds of the learned model")
    parser.add_argument("--smooth", default="1,5,9,15",
                        help="candidate windows (frames) of the learned scores' moving average, chosen by the folds")
    parser.add_argument("--no-learned", action="store_true")
    parser.add_argument("--no-kinematic", action="store_true", help="only the learned model")
    args = parser.parse_args()
    out = Path(args.out)
    t0 = time.perf_counter()
    write_labels(out)
    tracks = {n: read_labelled_tracks(out / "tracks" / f"{n}.csv", LABELS) for n in kl.SEQUENCES}
    print(f"labels derived in {time.perf_counter() - t0:.0f} s")
    held = {n: tracks[n] for n in HELD_OUT}
    reports = []
    for scope, chosen in (("all 21 sequences", tracks), (f"held-out sequences {', '.join(HELD_OUT)}", held)):
        results, truth = {}, None
        if args.no_kinematic and chosen is not held:
            continue
        for ego in () if args.no_kinematic else ("tracks", "csv"):
            t0 = time.perf_counter()
            truth, s = run_kinematic(chosen, out, ego)
            results[f"kinematic ego={ego}"] = prf(truth, s >= 0.5)
            print(f"kinematic ego={ego} on {scope}: {time.perf_counter() - t0:.0f} s")
        if not args.no_learned and chosen is held:
            windows = [int(w) for w in args.smooth.split(",")]
            truth, scores = learned(out, tracks, args.epochs, args.folds, windows)
            results.update(scores)
        reports.append(table(f"KITTI tracking, {scope}", truth, results))
        print(reports[-1] + "\n")


def learned(out: Path, tracks: dict[str, LabelledTracks], epochs: int,
            folds: int, smooth: list[int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from roadtrack.events.temporal import TemporalConfig
    from roadtrack.events.track_training import evaluate_tracks, train_events_from_tracks
    from roadtrack.events.training import TrainOptions

    train = [out / "tracks" / f"{n}.csv" for n in TRAINING]
    # augmentation: three copies of every track, boxes jittered by 1 % of their size, 5 % of frames dropped
    options = TrainOptions(copies=3, jitter=0.01, drop=0.05)
    config = TemporalConfig(labels="road_waymo", fps=kl.FPS, horizon_from_boxes=True)
    t0 = time.perf_counter()
    result = train_events_from_tracks(train, out / "model", ego_dir=out / "ego", image_size=kl.IMAGE_SIZE,
                                      fps=kl.FPS, epochs=epochs, options=options, config=config, folds=folds,
                                      smooth=smooth, blend=(1.0, 0.75, 0.5, 0.25), log=print)
    print(f"learned: trained in {time.perf_counter() - t0:.0f} s")
    truths, scores = [], []
    for name in HELD_OUT:
        predicted = evaluate_tracks(result, tracks[name], out / "ego" / f"{name}.csv")
        t, s = matrices(tracks[name], predicted)
        truths.append(t)
        scores.append(s)
    truth, score = np.concatenate(truths), np.concatenate(scores)
    cols = [(h, LABELS[h].index(n)) for n in kl.EVALUATED for h in ("action", "loc") if n in LABELS[h]]
    thresholds = np.array([result.thresholds[h][j] for h, j in cols])
    return truth, {"learned": prf(truth, score >= thresholds)}


if __name__ == "__main__":
    main()
