"""``roadtrack track SOURCE ...``: detect and track objects in a video, image folder or MOTChallenge sequence."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Iterator

import yaml

from roadtrack.cli._event_options import add_event_options, event_options_from_args, events_run_info
from roadtrack.core.registry import get

DEFAULT_EMBEDDER = "osnet-onnx"
# The best motion-only preset (HOTA 60 vs 43 for sort on the MOT15 videos of benchmarks/RESULTS.md).
DEFAULT_TRACKER = "bytetrack"


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
    track.add_argument("source", help="video file, image folder, or MOTChallenge sequence folder (with seqinfo.ini); "
                                      "a folder of several sources runs them all (see roadtrack run)")
    add_pipeline_options(track)


def add_pipeline_options(track: argparse.ArgumentParser) -> None:
    """The detector, tracker, events and output options, shared with ``roadtrack run``."""
    track.add_argument("--detector", default=None,
                       help="registered detector (see 'roadtrack list': yolo-openvino, ultralytics, yolox, torchvision, "
                            "precomputed, callable); default: yolo-openvino, or precomputed when --detections is given")
    track.add_argument("--weights", help="local detector weights: a .pt/.onnx file or an *_openvino_model folder")
    track.add_argument("--detections", help="precomputed detections for --detector precomputed: a MOTChallenge "
                                            "det.txt, KITTI or COCO-json file, or a video's folder of per-frame "
                                            "<frame>.pkl files with per-box label scores (the ROAD++ baseline's "
                                            "layout); default: the sequence's det/det.txt")
    track.add_argument("--conf", type=float, default=None, help="detector confidence threshold (detector default: 0.25)")
    track.add_argument("--classes", type=_classes, default=None,
                       help="comma-separated class ids or names to keep, e.g. 'person,car' (default: all)")
    track.add_argument("--class-map", default=None, metavar="PRESET",
                       help="map the detector's classes to road agents: road, road-waymo or kitti (e.g. COCO "
                            "person->Ped, truck->LarVeh); --classes then names the mapped labels (default: none)")
    track.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N (default: auto)")
    track.add_argument("--detector-opt", type=_option, action="append", default=[], metavar="KEY=VALUE",
                       help="extra detector option (repeatable)")
    track.add_argument("--tracker", default=None,
                       help=f"registered tracker preset: bytetrack, botsort, ocsort, sort, deepsort, strongsort "
                            f"(default: {DEFAULT_TRACKER}; README says which to use when)")
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
                            "(tubes.pkl, the ROAD++ submission: event tubes of all five label types, plus "
                            "tracks.txt unless --no-tracks; needs --events, or detections with per-box label "
                            "scores, which then get --events scores) (default: mot)")
    track.add_argument("--no-tracks", action="store_true",
                       help="with --format roadpp, do not also write tracks.txt")
    track.add_argument("--events", default=None, metavar="SPEC",
                       help="label tubes with road events: 'scores' (the detector's own per-box label scores, "
                            "e.g. from --detections with scores), 'kinematic' (no training) or a .ckpt from "
                            "'roadtrack train-events'; the annotated video then shows agent, action and location")
    track.add_argument("--event-labels", default="road_waymo", choices=["road", "road_waymo", "roadpp"],
                       help="label lists for --events kinematic and scores (a .ckpt brings its own; default: "
                            "road_waymo, which ROAD++ uses)")
    add_event_options(track)
    track.add_argument("--save-video", action="store_true",
                       help="also write OUT/annotated.mp4 with boxes, ids, classes and trails (needs a source with "
                            "pixels: a video, image folder or sequence with images)")
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


def _exact_length(source: Path) -> int | None:
    """Frames of a source whose count is exact (image folders, sequences, indexed video containers), else None."""
    from roadtrack.io import open_source
    from roadtrack.io.frames import INDEXED_SUFFIXES

    if not (source.is_dir() or source.suffix.lower() in INDEXED_SUFFIXES):
        return None
    try:
        return len(open_source(source))
    except (TypeError, ValueError, FileNotFoundError):
        return None  # unknown length, or a source error that the run itself reports


def _stages_from_args(args: argparse.Namespace, source: Path, config: dict) -> dict:
    detector = _chosen(_spec(config.get("detector")), args.detector,
                       "precomputed" if args.detections else "yolo-openvino")
    if detector["name"] == "precomputed":
        default_dets = source / "det" / "det.txt" if source.is_dir() else None
        path = args.detections or detector.get("path") or (default_dets if default_dets and default_dets.is_file() else None)
        if path is None:
            raise ValueError("--detector precomputed needs --detections PATH (or a MOTChallenge sequence with det/det.txt)")
        detector["path"] = path
        if args.detections and "num_frames" not in detector:
            detector["num_frames"] = _exact_length(source)  # rows past the last frame are errors, not dropped
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
    _check_weights(detector, explicit=args.detector is not None)
    _check_opts("detector", detector["name"], args.detector_opt, "--detector-opt")
    detector.update(dict(args.detector_opt))
    tracker = _chosen(_spec(config.get("tracker")), args.tracker, DEFAULT_TRACKER)
    _check_opts("tracker", tracker["name"], args.tracker_opt, "--tracker-opt")
    tracker.update(dict(args.tracker_opt))
    if _agent_class_flickers(args, detector) and "class_aware" not in tracker \
            and "class_aware" in inspect.signature(get("tracker", tracker["name"])).parameters:
        # The scores path decides each track's agent from its scores; matching by the per-box best agent
        # class would split a track at every flicker. run.json records the choice (config.tracker).
        tracker["class_aware"] = False
    stages = {**config, "detector": detector, "tracker": tracker}
    embedder = _embedder_spec(args)
    if embedder is not None:
        # A preset that takes its own embedder embeds only the detections it needs (see lazy_embedding).
        if "embedder" in inspect.signature(get("tracker", tracker["name"])).parameters:
            tracker["embedder"] = embedder
        else:
            stages["embedder"] = embedder
    return stages


def _agent_class_flickers(args: argparse.Namespace, detector: dict) -> bool:
    """Detections whose class is the per-box best of label scores: ``--events scores`` or a ROAD++ dump folder."""
    road_dump = detector["name"] == "precomputed" and Path(detector["path"]).is_dir() \
        and detector.get("format", "auto") in ("auto", "road")
    return args.events == "scores" or road_dump


def _check_opts(kind: str, name: str, options: list[tuple[str, Any]], flag: str) -> None:
    """``--tracker-opt max_age=abc`` -> "--tracker-opt max_age: expected int, got 'abc'" (not a numpy TypeError)."""
    from roadtrack.config import check_options

    get(kind, name)  # an unknown name first: its message lists the registered ones
    check_options(kind, name, dict(options), where=flag)


def _check_weights(detector: dict, explicit: bool) -> None:
    """Weights in another detector's format: name the detector that reads them."""
    weights = detector.get("weights")
    if detector["name"] != "yolo-openvino" or weights is None:
        return
    suffix = Path(str(weights)).suffix.lower()
    hint = {".onnx": "--detector yolox (YOLOX ONNX)",
            ".pt": "--detector ultralytics (or torchvision for a torchvision state dict)"}.get(suffix)
    if hint is not None:
        chosen = "--detector yolo-openvino" if explicit else "the default detector yolo-openvino"
        raise ValueError(f"--weights {weights}: {chosen} reads an *_openvino_model folder or its .xml; "
                         f"for {suffix} weights use {hint}")


def _embedder_spec(args: argparse.Namespace) -> dict | None:
    if args.embedder is None and args.embedder_weights is None and not args.embedder_opt:
        return None
    _check_opts("embedder", args.embedder or DEFAULT_EMBEDDER, args.embedder_opt, "--embedder-opt")
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
    from roadtrack.io.atomic import remove_stale_temporaries
    from roadtrack.cli.run import run_dataset
    from roadtrack.pipeline import Pipeline
    from roadtrack.runner import is_dataset

    source = Path(args.source)
    if not source.exists():
        raise FileNotFoundError(f"source not found: {source}")
    if is_dataset(source):  # a split or a folder of videos: every source, as roadtrack run does
        return run_dataset(args, [args.source])
    if args.batch < 1 or (args.max_frames is not None and args.max_frames < 1):
        raise ValueError("--batch and --max-frames must be at least 1")
    config = load_config(args.config) if args.config else {}
    event_options = event_options_from_args(args)
    stages = _stages_from_args(args, source, config)
    formats = _formats(args)
    if args.save_video:
        _check_pixels(source)
    _output_folder(args.out)  # before any model is loaded: a bad --out fails in a second
    with _naming_the_option(stages, args.events):
        with warnings.catch_warnings():  # the check below turns Pipeline's warning into this command's error
            warnings.filterwarnings("ignore", message=".*matches by appearance but no embedder")
            pipeline = Pipeline.from_config(stages)
        _check_appearance(pipeline, stages["tracker"]["name"])
        pipeline.batch_size = args.batch
        if args.events:
            from roadtrack.events import event_classifier_from_spec

            pipeline.event_classifier = event_classifier_from_spec(
                args.events, labels=args.event_labels,
                class_names=getattr(pipeline.detector, "class_names", None) or None, device=args.device or "auto",
                options=event_options)
    out = _output_folder(args.out)
    removed = remove_stale_temporaries(out)
    if removed:
        print(f"removed {len(removed)} temporary file(s) of earlier runs that were killed: "
              f"{', '.join(p.name for p in removed)}", file=sys.stderr)
    result = pipeline.run(source, out_dir=out, formats=formats, save_video=args.save_video,
                          keep_tracks=False, progress=not args.no_progress, max_frames=args.max_frames)
    run_info = {"source": str(source), "config": _jsonable(stages), "frames": result.frames,
                "tracks": len(result.tubes), "seconds_per_stage": result.timings,
                "outputs": {k: str(v) for k, v in result.outputs.items()}, **events_run_info(pipeline.event_classifier)}
    with atomic_write(out / "run.json") as handle:
        handle.write(json.dumps(run_info, indent=2) + "\n")
    print(result.summary())
    for kind, path in result.outputs.items():
        print(f"wrote {kind}: {path}")
    return 0


def _formats(args: argparse.Namespace) -> list[str]:
    formats = list(dict.fromkeys(args.formats or ["mot"]))
    if args.no_tracks and "roadpp" not in formats:
        raise ValueError("--no-tracks applies to --format roadpp (without it, choose the formats with --format)")
    if "roadpp" in formats and "mot" not in formats and not args.no_tracks:
        formats.append("mot")  # the tracks behind the tubes, unless asked otherwise
    return formats


def _output_folder(text: str) -> Path:
    """Create ``--out``; a folder that cannot be created or written is an error naming it and the reason."""
    out = Path(text)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {out}: cannot create the output folder: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: the output folder is not writable")
    return out


def _check_pixels(source: Path) -> None:
    """--save-video on a source without images would silently write nothing: refuse before any work."""
    from roadtrack.io import open_source

    opened = open_source(source, max_frames=1)
    if getattr(opened, "frames_from", True) is None:
        raise ValueError(f"--save-video: {source} has no images or video to draw on (a MOTChallenge sequence "
                         f"without its image folder); drop --save-video or add the images")


@contextlib.contextmanager
def _naming_the_option(stages: dict, events: str | None) -> Iterator[None]:
    """A missing optional package while building the stages: one error naming the option and the extra."""
    from roadtrack.cli import missing_extra

    try:
        yield
    except ImportError as exc:
        extra = missing_extra(exc)
        if extra is None:
            raise
        option = _option_of(exc, stages, events)
        raise RuntimeError(f"{option} needs the optional package {extra[0]}, which is not installed: "
                           f'pip install "roadtrack[{extra[1]}]" (see roadtrack doctor)') from exc


def _option_of(exc: BaseException, stages: dict, events: str | None) -> str:
    """The command-line option whose stage raised ``exc``: the innermost roadtrack subpackage in its traceback."""
    stage = None
    for cause in (exc, exc.__cause__, exc.__context__):
        tb = getattr(cause, "__traceback__", None)
        while tb is not None:
            module = tb.tb_frame.f_globals.get("__name__", "")
            for package, name in (("roadtrack.detectors", "detector"), ("roadtrack.reid", "embedder"),
                                  ("roadtrack.events", "events")):
                if module.startswith(package):
                    stage = name
            tb = tb.tb_next
    embedder = stages.get("embedder") or stages["tracker"].get("embedder")
    if stage == "events" and events:
        return f"--events {events}"
    if stage == "embedder" and isinstance(embedder, dict):
        return f"--embedder {embedder.get('name')}"
    if stage == "detector":
        return f"--detector {stages['detector']['name']}"
    return "roadtrack track"


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
