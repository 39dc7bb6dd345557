"""`Pipeline`: frames -> Detector -> (Embedder) -> Tracker -> tubes -> (EventClassifier), streaming.

Example:
    >>> from roadtrack import Pipeline
    >>> pipe = Pipeline.from_config({"detector": {"name": "yolo-openvino", "weights": "yolov8n_openvino_model"},
    ...                              "tracker": "sort"})                                  # doctest: +SKIP
    >>> result = pipe.run("video.mp4", out_dir="runs/video", save_video=True)          # doctest: +SKIP
    >>> result.summary()                                                                # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any, Hashable, Iterator, Mapping, Sequence

import numpy as np

from roadtrack.config import build_stage, load_config
from roadtrack.core import Detections, Detector, Embedder, EventClassifier, Tracker, Tracks, Tube
from roadtrack.events import TubeBuilder
from roadtrack.io import AnnotatedVideoWriter, ArraySource, Frame, KittiWriter, MotWriter, TrackRows, open_source
from roadtrack.streams import StreamFrame, stream_many

OUTPUT_FORMATS = {"mot": "tracks.txt", "kitti": "tracks_kitti.txt"}
VIDEO_NAME = "annotated.mp4"


@dataclasses.dataclass(frozen=True)
class FrameResult:
    """One processed frame."""

    index: int
    image: np.ndarray | None
    detections: Detections
    tracks: Tracks


@dataclasses.dataclass
class Result:
    """What `Pipeline.run` returns.

    Attributes:
        tracks: per-frame tracker output as ``(frame, Tracks)`` (empty if ``keep_tracks=False``).
        tubes: one `Tube` per track id.
        events: tubes labelled by the event classifier (empty without one).
        timings: total seconds per stage (``read``, ``detect``, ``track`` (embedding included), ``write``, ``events``).
        frames: number of frames processed.
        outputs: paths written, by kind (``mot``, ``kitti``, ``video``).
    """

    tracks: list[tuple[int, Tracks]]
    tubes: list[Tube]
    events: list[Tube]
    timings: dict[str, float]
    frames: int
    outputs: dict[str, Path]

    def track_rows(self) -> TrackRows:
        """All kept tracks as one `TrackRows` table (frame, id, box, score, class), e.g. for metrics."""
        return TrackRows.concat([TrackRows.from_tracks(frame, tracks) for frame, tracks in self.tracks])

    def stage_fps(self) -> dict[str, float]:
        """Frames per second each stage alone would sustain."""
        return {k: (self.frames / v if v > 0 else float("inf")) for k, v in self.timings.items()}

    def summary(self) -> str:
        total = sum(self.timings.values())
        parts = [f"{k} {1000 * v / max(self.frames, 1):.1f} ms" for k, v in self.timings.items() if v > 0]
        fps = self.frames / total if total > 0 else float("inf")
        return f"{self.frames} frames, {len(self.tubes)} tracks, {fps:.1f} frames/s ({', '.join(parts)} per frame)"


class Pipeline:
    """Tracking-by-detection over a video, image folder, MOTChallenge sequence or iterable of frames.

    Args:
        detector: any `Detector`.
        tracker: any `Tracker`.
        embedder: optional `Embedder`, handed to the tracker, which embeds the detections it needs (a tracker
            that does not match by appearance raises a ValueError; a custom `Tracker` takes it through a
            ``use_embedder(embedder)`` method).
        event_classifier: optional `EventClassifier` applied to the tubes at the end of a run.
        batch_size: frames per detector call.
    """

    def __init__(
        self,
        detector: Detector,
        tracker: Tracker,
        embedder: Embedder | None = None,
        event_classifier: EventClassifier | None = None,
        batch_size: int = 1,
    ) -> None:
        if not isinstance(detector, Detector):
            raise TypeError(f"detector must be a roadtrack Detector, got {type(detector).__name__}")
        if not isinstance(tracker, Tracker):
            raise TypeError(f"tracker must be a roadtrack Tracker, got {type(tracker).__name__}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if embedder is not None:
            if not hasattr(tracker, "use_embedder"):
                raise ValueError(f"{type(tracker).__name__} has no use_embedder(); give the embedder to the tracker")
            tracker.use_embedder(embedder)
        self.detector, self.tracker = detector, tracker
        self.event_classifier, self.batch_size = event_classifier, batch_size
        if self.needs_embedder:
            warnings.warn(f"{type(tracker).__name__} matches by appearance but no embedder was given (to the tracker "
                          "or the pipeline): it will match by motion alone unless the detector attaches features",
                          stacklevel=2)

    @property
    def needs_embedder(self) -> bool:
        """True when the tracker matches by appearance but has no embedder."""
        return getattr(self.tracker, "appearance", None) is not None and getattr(self.tracker, "embedder", None) is None

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | str | Path, **overrides: Any) -> "Pipeline":
        """Build from a mapping or YAML file naming registered implementations (see `roadtrack.config`)."""
        cfg = load_config(config)
        cfg.update(overrides)
        if cfg.get("detector") is None or cfg.get("tracker") is None:
            raise ValueError("a pipeline config needs at least 'detector' and 'tracker'")
        # Cheap stages first, so a typo in the tracker options fails before a detector model is loaded.
        order = sorted(cfg, key=lambda stage: stage == "detector")
        return cls(**{stage: build_stage(stage, cfg[stage]) for stage in order})

    def stream(self, source: Any, max_frames: int | None = None, timings: dict[str, float] | None = None) -> Iterator[FrameResult]:
        """Yield a `FrameResult` per frame; frames are not kept, so memory stays flat on long videos."""
        timings = defaultdict(float) if timings is None else timings
        frames = open_source(source, max_frames=max_frames)
        self.tracker.reset()
        self.detector.reset()
        for batch in _batched(frames, self.batch_size, timings):
            t0 = time.perf_counter()
            detections = self.detector.detect([f.image for f in batch], [f.index for f in batch])
            timings["detect"] += time.perf_counter() - t0
            for frame, dets in zip(batch, detections):
                t0 = time.perf_counter()
                tracks = self.tracker.update(dets, frame.image)
                timings["track"] += time.perf_counter() - t0
                yield FrameResult(frame.index, frame.image, dets, tracks)

    def stream_many(self, sources: Mapping[Hashable, Any] | Sequence[Any], sync: bool = True, batch: int | None = None,
                    max_frames: int | None = None, timings: dict[str, float] | None = None,
                    ) -> Iterator[dict[Hashable, StreamFrame]]:
        """Track many sources (cameras) at once: per step, one detector call per ``batch`` frames of all streams
        and one `MultiStreamTracker` update; yields {stream key: `StreamFrame`} (see `roadtrack.streams`).

        ``sources`` is {key: source} or a list (keys 0, 1, ...): videos, folders, sequences, iterables of images or
        URLs OpenCV opens (``rtsp://...``). ``sync=False`` reads each source in its own thread and steps with the
        frames that have arrived. Each stream's tracks equal those of this pipeline's tracker run on it alone.

        Example:
            >>> for step in pipe.stream_many({"north": "rtsp://cam1/stream", "south": "south.mp4"}):  # doctest: +SKIP
            ...     for key, item in step.items():
            ...         print(key, item.index, item.tracks.ids)
        """
        return stream_many(self.detector, self.tracker, sources, sync=sync, batch=batch, max_frames=max_frames,
                           timings=timings)

    def run(
        self,
        source: Any,
        out_dir: str | Path | None = None,
        formats: Sequence[str] = ("mot",),
        save_video: bool = False,
        keep_tracks: bool = True,
        progress: bool = False,
        max_frames: int | None = None,
    ) -> Result:
        """Process a whole source, optionally writing outputs into ``out_dir`` as it goes.

        Outputs (atomic: a run that fails or is interrupted leaves ``*.partial`` files, never truncated results):
        ``tracks.txt`` (format ``mot``), ``tracks_kitti.txt`` (``kitti``), ``tubes.pkl`` (``roadpp``: the ROAD++
        submission of the event tubes of all five label types; needs an event classifier, or a detector whose
        extra columns score action and location classes, which then gets the ``scores`` classifier) and ``annotated.mp4`` (``save_video``; with an
        event classifier it shows agent, action and location labels and is drawn after classification).
        """
        unknown = sorted(set(formats) - set(OUTPUT_FORMATS) - {"roadpp"})
        if unknown:
            choices = ", ".join([*OUTPUT_FORMATS, "roadpp"])
            raise ValueError(f"unknown output format(s) {', '.join(unknown)}; choose from {choices}")
        classifier = self.event_classifier
        if "roadpp" in formats and classifier is None:
            classifier = self._scores_classifier()
        if out_dir is None and (save_video or "roadpp" in formats):
            raise ValueError("save_video and the roadpp format need out_dir")
        source = open_source(source, max_frames=max_frames)
        # A re-readable source lets the event video be drawn after classification; a one-shot iterable cannot.
        event_video = save_video and classifier is not None and not isinstance(source, ArraySource)
        timings: dict[str, float] = defaultdict(float)
        tubes, kept, outputs, count = TubeBuilder(), [], {}, 0
        names = getattr(self.detector, "class_names", {}) or {}
        with contextlib.ExitStack() as stack:
            writers = self._open_writers(stack, out_dir, formats, names, outputs)
            video = None
            bar = _progress_bar(source, progress)
            stack.callback(bar.close)
            for item in self.stream(source, timings=timings):
                t0 = time.perf_counter()
                for writer in writers:
                    writer.write(item.index, item.tracks)
                if save_video and not event_video and item.image is not None:
                    if video is None:
                        outputs["video"] = Path(out_dir) / VIDEO_NAME
                        h, w = item.image.shape[:2]
                        video = stack.enter_context(AnnotatedVideoWriter(outputs["video"], source.fps or 25.0, (w, h), names))
                    video.write(item.image, item.tracks)
                tubes.add(item.index, item.tracks)
                if keep_tracks:
                    kept.append((item.index, item.tracks))
                timings["write"] += time.perf_counter() - t0
                count += 1
                bar.update(1)
        if count == 0:
            raise ValueError(f"source {source.name!r} yielded no frames")
        built = tubes.build()
        events: list[Tube] = []
        if classifier is not None:
            t0 = time.perf_counter()
            events = classifier.classify(built, source)
            timings["events"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            outputs.update(self._write_event_outputs(classifier, events, source, out_dir, formats, event_video))
            timings["write"] += time.perf_counter() - t0
        return Result(kept, built, events, dict(timings), count, outputs)

    @staticmethod
    def _open_writers(stack: contextlib.ExitStack, out_dir: str | Path | None, formats: Sequence[str],
                      names: Mapping[int, str], outputs: dict[str, Path]) -> list[Any]:
        """Per-frame track writers (MOTChallenge, KITTI), registered on ``stack`` so they commit or keep .partial."""
        if out_dir is None:
            return []
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        writers = []
        for fmt in formats:
            if fmt in OUTPUT_FORMATS:
                outputs[fmt] = out / OUTPUT_FORMATS[fmt]
                writer = MotWriter(outputs[fmt]) if fmt == "mot" else KittiWriter(outputs[fmt], names)
                writers.append(stack.enter_context(writer))
        return writers

    def _scores_classifier(self) -> EventClassifier:
        """The ``scores`` event path for a roadpp run without a classifier: needs a detector with label scores."""
        from roadtrack.events import ScoreEventClassifier, scores_label_set

        columns = getattr(self.detector, "extra_columns", {}) or {}
        labels = scores_label_set(columns)
        if labels is None:
            have = ", ".join(f"{k} {v}" for k, v in columns.items()) or "none"
            raise ValueError("the roadpp format needs an event classifier (e.g. --events kinematic) or a detector "
                             f"that scores action and location classes per box (its extra columns: {have})")
        return ScoreEventClassifier(labels, class_names=getattr(self.detector, "class_names", None) or None)

    @staticmethod
    def _write_event_outputs(classifier: EventClassifier, events: list[Tube], source: Any,
                             out_dir: str | Path | None, formats: Sequence[str], event_video: bool) -> dict[str, Path]:
        """The ROAD++ submission and the labelled video, both of which need the classified tubes."""
        from roadtrack.events import EventOptions, render_event_video, write_roadpp_outputs

        written: dict[str, Path] = {}
        labels = getattr(classifier, "labels", "road_waymo")
        if "roadpp" in formats:
            size = source.size or _size_from_tubes(events)
            options = getattr(classifier, "event_options", None) or EventOptions()
            written["roadpp"] = write_roadpp_outputs(events, out_dir, video_name=source.name, image_size=size,
                                                     labels=labels, options=options)["roadpp"]
        if event_video:
            written["video"] = render_event_video(source, events, Path(out_dir) / VIDEO_NAME, labels, fps=source.fps)
        return written


def _size_from_tubes(tubes: Sequence[Tube]) -> tuple[float, float]:
    """Fallback frame size (width, height) for sources without pixels: the extent of the boxes."""
    if not tubes:
        return (1.0, 1.0)
    corners = np.concatenate([t.xyxy[:, 2:] for t in tubes])
    return float(corners[:, 0].max()), float(corners[:, 1].max())


def _batched(frames: Any, size: int, timings: dict[str, float]) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    iterator = iter(frames)
    while True:
        t0 = time.perf_counter()
        frame = next(iterator, None)
        timings["read"] += time.perf_counter() - t0
        if frame is None:
            break
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(source: Any, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=source.length, unit="frame", desc=source.name, dynamic_ncols=True)
