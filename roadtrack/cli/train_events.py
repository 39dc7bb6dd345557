"""``roadtrack train-events``: train the temporal event classifier on ROAD / ROAD-Waymo annotations and videos,
or on labelled tracks without frames (``--tracks``, `roadtrack.events.track_file`)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "train-events",
        help="train the learned event classifier (actions, locations) on ROAD-style annotations and videos",
        description="Train TemporalEventClassifier. Writes OUT/last.ckpt every epoch and OUT/best.ckpt at the best "
                    "validation mAP; both carry the label lists and config, so 'roadtrack track --events "
                    "OUT/best.ckpt' needs nothing else. Needs torch (pip install 'roadtrack[torch]'). Train on "
                    "ROAD-style annotations and videos (--annotations, --videos) or on labelled tracks without "
                    "frames (--tracks DIR of <video>.csv: frame,track_id,agent,x1,y1,x2,y2[,score,labelled,"
                    "action,loc], action/loc label names joined by '|'; optional --ego-dir DIR of <video>.csv: "
                    "frame,speed_mps,yaw_rate_rps, else the ego motion is estimated from the tracks).",
    )
    p.add_argument("--annotations", default=None, help="annotation JSON (road_trainval_v1.0.json, "
                                                       "road_waymo_trainval_v1.0.json or a synthetic one)")
    p.add_argument("--videos", default=None, help="folder with <video>.mp4 files or <video>/ frame folders")
    p.add_argument("--tracks", default=None, metavar="DIR",
                   help="instead of annotations and videos: folder of labelled-tracks CSVs, one per video; the "
                        "last two by name are the validation videos unless --val-tracks is given")
    p.add_argument("--val-tracks", default=None, metavar="DIR", help="folder of validation labelled-tracks CSVs")
    p.add_argument("--folds", type=int, default=0, metavar="K",
                   help="with --tracks: K-fold cross-validation over the files instead of validation videos (K >= 2; "
                        "file i by name is in fold i mod K): OUT/fold<j>/best.ckpt per fold, per-label thresholds "
                        "chosen on the out-of-fold scores (written to OUT/thresholds.json)")
    p.add_argument("--ego-dir", default=None, metavar="DIR",
                   help="with --tracks: per-video ego-motion CSVs (<video>.csv; frame,speed_mps,yaw_rate_rps)")
    p.add_argument("--image-size", default=None, metavar="WxH",
                   help="with --tracks: frame size in pixels, e.g. 1242x375 (default: the boxes' extent)")
    p.add_argument("--fps", type=float, default=10.0, help="with --tracks: frames per second (default: 10)")
    p.add_argument("--out", default="runs/train-events", help="checkpoint folder (default: runs/train-events)")
    p.add_argument("--labels", default=None, choices=["road", "road_waymo", "roadpp"],
                   help="label lists to train on (default: the annotation file's, road_waymo with --tracks; "
                        "roadpp = ROAD-Waymo lists)")
    p.add_argument("--train-subset", default=None, help="training split id (default: train_3 for ROAD, train)")
    p.add_argument("--val-subset", default=None, help="validation split id (default: val_3 for ROAD, val)")
    p.add_argument("--epochs", type=int, default=30, help="total epochs (default: 30)")
    p.add_argument("--batch-size", type=int, default=16, help="tubes per step (default: 16)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default: 0.003)")
    p.add_argument("--width", type=int, default=64, help="hidden width of the network (default: 64)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch (default: 1; 0 = torch's default)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--resume", default=None, help="continue from a last.ckpt (its config is kept)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    try:
        import torch  # noqa: F401
    except ImportError:
        raise RuntimeError("train-events needs torch: pip install 'roadtrack[torch]'") from None
    from roadtrack.datasets.road import load_road
    from roadtrack.events.temporal import TemporalConfig
    from roadtrack.events.training import TrainOptions, train_events

    if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0 or args.width < 4 or args.threads < 0:
        raise ValueError("--epochs, --batch-size and --width must be positive, --lr > 0, --threads >= 0")
    if args.tracks is not None:
        return _run_tracks(args)
    if args.annotations is None or args.videos is None:
        raise ValueError("give --annotations and --videos, or --tracks (labelled tracks without frames)")
    for name, path in (("--annotations", args.annotations), ("--videos", args.videos)):
        if not Path(path).exists():
            raise FileNotFoundError(f"{name}: not found: {path}")
    annotations = load_road(args.annotations, args.labels)
    config = TemporalConfig(labels=annotations.labels.name, width=args.width - args.width % 4)
    options = TrainOptions(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                           device=args.device, threads=args.threads or None)
    result = train_events(annotations, args.videos, args.out, config, options, args.train_subset, args.val_subset,
                          args.resume, progress=not args.no_progress, log=print)
    best = max(result.history, key=lambda r: r["val_mAP"]) if result.history else None
    if best is not None:
        print(f"best epoch {best['epoch'] + 1}: val mAP action {best['val_action']:.1f}, loc {best['val_loc']:.1f}")
    print(f"trained in {result.seconds:.0f} s; wrote {result.best} and {result.last}")
    return 0


def _run_tracks(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from roadtrack.core.labels import label_set
    from roadtrack.events.temporal import TemporalConfig
    from roadtrack.events.track_training import train_events_from_tracks
    from roadtrack.events.training import TrainOptions

    if args.folds == 1 or args.folds < 0 or (args.folds and args.val_tracks):
        raise ValueError("--folds K needs K >= 2 and replaces --val-tracks")
    if args.annotations or args.videos or args.resume:
        raise ValueError("--tracks replaces --annotations and --videos (and does not --resume); give one or the other")
    for name, path in (("--tracks", args.tracks), ("--val-tracks", args.val_tracks), ("--ego-dir", args.ego_dir)):
        if path is not None and not Path(path).is_dir():
            raise FileNotFoundError(f"{name}: not a folder: {path}")
    files = sorted(Path(args.tracks).glob("*.csv"))
    if not files:
        raise ValueError(f"--tracks {args.tracks}: no .csv files")
    val = sorted(Path(args.val_tracks).glob("*.csv")) if args.val_tracks else None
    size = _image_size(args.image_size) if args.image_size else None
    labels = label_set(args.labels or "road_waymo").name
    # no pixels: the horizon the boxes imply beats a fixed fraction (the kinematic classifier does the same)
    config = TemporalConfig(labels=labels, width=args.width - args.width % 4, fps=args.fps, horizon_from_boxes=True)
    options = TrainOptions(batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                           threads=args.threads or None, copies=1, jitter=0.0, drop=0.0)
    result = train_events_from_tracks(files, args.out, args.ego_dir, size, args.fps, labels, args.epochs, val,
                                      options=options, config=config, folds=args.folds,
                                      progress=not args.no_progress, log=print)
    for member in result.members:
        best = max(member.history, key=lambda r: r["val_mAP"]) if member.history else None
        if best is not None:
            print(f"best epoch {best['epoch'] + 1}: val mAP action {best['val_action']:.1f}, "
                  f"loc {best['val_loc']:.1f}")
        print(f"trained in {member.seconds:.0f} s; wrote {member.best} and {member.last}")
    names = config.label_set
    thresholds = {h: dict(zip(names[h], result.thresholds[h].round(2).tolist())) for h in result.thresholds}
    Path(args.out, "thresholds.json").write_text(json.dumps(thresholds, indent=1) + "\n")
    return 0


def _image_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--image-size: expected WIDTHxHEIGHT, e.g. 1242x375, got {text!r}") from None
    if w < 1 or h < 1:
        raise ValueError(f"--image-size: must be positive, got {text!r}")
    return w, h
