"""``roadtrack track SOURCE ...``: detect and track objects in a video, image folder or MOTChallenge sequence."""

from __future__ import annotations

import argparse
import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import yaml

from roadtrack.core.registry import get

DEFAULT_EMBEDDER = "osnet-onnx"


def _option(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    return key.replace("-", "_"), yaml.safe_load(value)


def _classes(text: str) -> list[int | str]:
    return [int(c) if c.strip().lstrip("-").isdigit() else c.strip() for c in text.split(",") if c.strip()]


def add_parser(sub: Any) -> None:
    track = sub.add_parser(
        "track",
        help="detect and track objects in a video, image folder or MOTChallenge sequence",
        description="Detect and track objects; writes OUT/tracks.txt (MOTChallenge) and optionally more.",
    )
    track.add_argument("source", help="video file, image folder, or MOTChallenge sequence folder (with seqinfo.ini)")
    track.add_argument("--detector", default=None,
                       help="registered detector (see 'roadtrack list': yolo-openvino, ultralytics, yolox, torchvision, "
                            "precomputed, callable); default: yolo-openvino, or precomputed when --detections is given")
    track.add_argument("--weights", help="local detector weights: a .pt/.onnx file or an *_openvino_model folder")
    track.add_argument("--detections", help="precomputed detections (MOTChallenge det.txt) for --detector precomputed; "
                                            "default: the sequence's det/det.txt")
    track.add_argument("--conf", type=float, default=None, help="detector confidence threshold (detector default: 0.25)")
    track.add_argument("--classes", type=_classes, default=None,
                       help="comma-separated class ids or names to keep, e.g. 'person,car' (default: all)")
    track.add_argument("--class-map", default=None, metavar="PRESET",
                       help="map the detector's classes to road agents: road, road-waymo or kitti (e.g. COCO "
                            "person->Ped, truck->LarVeh); --classes then names the mapped labels (default: none)")
    track.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N (default: auto)")
    track.add_argument("--detector-opt", type=_option, action="append", default=[], metavar="KEY=VALUE",
                       help="extra detector option (repeatable)")
    track.add_argument("--tracker", default=None, help="registered tracker preset (default: sort)")
    track.add_argument("--tracker-opt", type=_option, action="append", default=[], metavar="KEY=VALUE",
                       help="override a tracker parameter, e.g. max_age=30 (repeatable)")
    track.add_argument("--embedder", default=None,
                       help="appearance embedder for deepsort, strongsort and botsort (e.g. osnet-onnx); "
                            "see `roadtrack list`")
    track.add_argument("--embedder-weights", default=None, metavar="PATH",
                       help="local weights of the embedder (e.g. an OSNet .onnx file; nothing is downloaded)")
    track.add_argument("--embedder-opt", type=_option, action="append", default=[], metavar="KEY=VALUE",
                       help="extra embedder option, repeatable (e.g. batch_size=16)")
    track.add_argument("--config", help="YAML pipeline config; command-line flags override it")
    track.add_argument("--out", default="runs/track", help="output folder (default: runs/track)")
    track.add_argument("--format", dest="formats", action="append", choices=["mot", "kitti", "roadpp"],
                       help="output format, repeatable: mot (tracks.txt), kitti (tracks_kitti.txt), roadpp "
                            "(tubes.pkl, the ROAD++ submission of event tubes; needs --events) (default: mot)")
    track.add_argument("--events", default=None, metavar="SPEC",
                       help="label tubes with road events: 'kinematic' (no training) or a .ckpt from "
                            "'roadtrack train-events'; the annotated video then shows agent, action and location")
    track.add_argument("--event-labels", default="road_waymo", choices=["road", "road_waymo", "roadpp"],
                       help="label lists for --events kinematic (a .ckpt brings its own; default: road_waymo, "
                            "which ROAD++ uses)")
    track.add_argument("--save-video", action="store_true", help="also write OUT/annotated.mp4 with boxes, ids, classes and trails")
    track.add_argument("--batch", type=int, default=1, help="frames per detector call (default: 1)")
    track.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    track.add_argument("--no-progress", action="store_true", help="hide the progress bar")



def _spec(value: Any) -> dict:
    """A stage spec from a config value: None, a registered name, or a mapping with 'name'."""
    if value is None:
        return {}
    return {"name": value} if isinstance(value, str) else dict(value)


def _chosen(spec: dict, name: str | None, default: str) -> dict:
    """Keep the config's options only when the command line picks the same implementation."""
    if name is not None and name != spec.get("name"):
        spec = {"name": name}
    spec.setdefault("name", default)
    return spec


def _stages_from_args(args: argparse.Namespace, source: Path, config: dict) -> dict:
    detector = _chosen(_spec(config.get("detector")), args.detector,
                       "precomputed" if args.detections else "yolo-openvino")
    if detector["name"] == "precomputed":
        default_dets = source / "det" / "det.txt" if source.is_dir() else None
        path = args.detections or detector.get("path") or (default_dets if default_dets and default_dets.is_file() else None)
        if path is None:
            raise ValueError("--detector precomputed needs --detections PATH (or a MOTChallenge sequence with det/det.txt)")
        detector["path"] = path
        if args.conf is not None:
            detector["min_score"] = args.conf
    elif detector["name"] != "callable":  # a callable detector takes --detector-opt fn=module:function instead
        if args.weights:
            detector["weights"] = args.weights
        if "weights" not in detector:
            raise ValueError(f"detector {detector['name']!r} needs --weights PATH (local weights; nothing is downloaded)")
        for key, value in (("conf", args.conf), ("device", args.device)):
            if value is not None:
                detector[key] = value
    for key, value in (("classes", args.classes), ("class_map", args.class_map)):
        if value is not None:
            detector[key] = value
    detector.update(dict(args.detector_opt))
    tracker = _chosen(_spec(config.get("tracker")), args.tracker, "sort")
    tracker.update(dict(args.tracker_opt))
    stages = {**config, "detector": detector, "tracker": tracker}
    embedder = _embedder_spec(args)
    if embedder is not None:
        # A preset that takes its own embedder embeds only the detections it needs (see lazy_embedding).
        if "embedder" in inspect.signature(get("tracker", tracker["name"])).parameters:
            tracker["embedder"] = embedder
        else:
            stages["embedder"] = embedder
    return stages


def _embedder_spec(args: argparse.Namespace) -> dict | None:
    if args.embedder is None and args.embedder_weights is None and not args.embedder_opt:
        return None
    spec = {"name": args.embedder or DEFAULT_EMBEDDER, **dict(args.embedder_opt)}
    if args.embedder_weights is not None:
        spec["weights"] = args.embedder_weights
    weights = inspect.signature(get("embedder", spec["name"])).parameters.get("weights")
    if weights is not None and weights.default is inspect.Parameter.empty and "weights" not in spec:
        raise ValueError(f"embedder {spec['name']!r} needs --embedder-weights PATH (local weights; nothing is downloaded)")
    return spec


def _check_appearance(pipeline: Any, name: str) -> None:
    """An appearance tracker without any embedder would silently track by motion alone: refuse."""
    if pipeline.needs_embedder:
        raise ValueError(f"tracker {name!r} matches by appearance and needs --embedder NAME --embedder-weights PATH "
                         f"(e.g. {DEFAULT_EMBEDDER} with an OSNet .onnx file)")


def run(args: argparse.Namespace) -> int:
    from roadtrack.config import load_config
    from roadtrack.io import atomic_write
    from roadtrack.pipeline import Pipeline

    source = Path(args.source)
    if not source.exists():
        raise FileNotFoundError(f"source not found: {source}")
    if args.batch < 1 or (args.max_frames is not None and args.max_frames < 1):
        raise ValueError("--batch and --max-frames must be at least 1")
    config = load_config(args.config) if args.config else {}
    stages = _stages_from_args(args, source, config)
    formats = args.formats or ["mot"]
    if "roadpp" in formats and not args.events:
        raise ValueError("--format roadpp needs --events (kinematic or a .ckpt)")
    with warnings.catch_warnings():  # the check below turns Pipeline's warning into this command's error
        warnings.filterwarnings("ignore", message=".*matches by appearance but no embedder")
        pipeline = Pipeline.from_config(stages)
    _check_appearance(pipeline, stages["tracker"]["name"])
    pipeline.batch_size = args.batch
    if args.events:
        from roadtrack.events import event_classifier_from_spec

        pipeline.event_classifier = event_classifier_from_spec(
            args.events, labels=args.event_labels, class_names=getattr(pipeline.detector, "class_names", None) or None,
            device=args.device or "auto")
    out = Path(args.out)
    result = pipeline.run(source, out_dir=out, formats=formats, save_video=args.save_video,
                          keep_tracks=False, progress=not args.no_progress, max_frames=args.max_frames)
    run_info = {"source": str(source), "config": _jsonable(stages), "frames": result.frames,
                "tracks": len(result.tubes), "seconds_per_stage": result.timings,
                "outputs": {k: str(v) for k, v in result.outputs.items()}}
    with atomic_write(out / "run.json") as handle:
        handle.write(json.dumps(run_info, indent=2) + "\n")
    print(result.summary())
    for kind, path in result.outputs.items():
        print(f"wrote {kind}: {path}")
    return 0


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
