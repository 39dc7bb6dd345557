"""Many live sources through one detector and one tracker call per step (`Pipeline.stream_many`).

Every source is a stream: a video file, an image folder, a MOTChallenge sequence, an iterable of images, or a URL
that OpenCV opens (``rtsp://``, ``http://``, a GStreamer pipeline). Per step the frames of all streams go to the
detector in batches and to one `MultiStreamTracker` update; results come back per stream.

Two ways to step: ``sync=True`` takes one frame of every running stream per step (recorded videos, cameras that
must stay in step); ``sync=False`` reads every source in its own thread and takes, per step, whatever frames have
arrived (live cameras at different rates: a slow or stalled camera does not hold the others back).
"""

from __future__ import annotations

import copy
import dataclasses
import queue
import threading
import time
from collections import defaultdict
from typing import Any, Hashable, Iterator, Mapping, Sequence

import cv2
import numpy as np

from roadtrack.core import Detections, Detector, Tracker, Tracks
from roadtrack.io import Frame, open_source
from roadtrack.io.frames import FrameSource
from roadtrack.trackers.multistream import MultiStreamTracker

_END = object()


@dataclasses.dataclass(frozen=True)
class StreamFrame:
    """One processed frame of one stream."""

    stream: Hashable
    index: int
    image: np.ndarray | None
    detections: Detections
    tracks: Tracks


class LiveSource(FrameSource):
    """Frames from anything `cv2.VideoCapture` opens by name: a camera URL (``rtsp://...``), a GStreamer
    pipeline, or a file. Read once, in order; a live source ends when the capture stops delivering frames.

    Raises:
        ValueError: when OpenCV cannot open it.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        capture = cv2.VideoCapture(url)
        try:
            if not capture.isOpened():
                raise ValueError(f"OpenCV cannot open the stream {url!r}")
            fps = capture.get(cv2.CAP_PROP_FPS)
        finally:
            capture.release()
        super().__init__(url, fps if fps and fps > 0 else None, None, None)

    def _frames(self) -> Iterator[Frame]:
        capture = cv2.VideoCapture(self.url)
        try:
            index = 0
            while True:
                ok, image = capture.read()
                if not ok:
                    return
                index += 1
                yield Frame(index, image)
        finally:
            capture.release()


def open_stream(source: Any, max_frames: int | None = None) -> FrameSource:
    """`roadtrack.io.open_source`, plus URLs (anything with ``://``) opened live by OpenCV (`LiveSource`)."""
    if isinstance(source, str) and "://" in source:
        return LiveSource(source).limit(max_frames)
    return open_source(source, max_frames=max_frames)


def stream_tracker(tracker: Tracker) -> MultiStreamTracker | None:
    """A `MultiStreamTracker` with ``tracker``'s parts, or None when its preset cannot be batched."""
    try:
        return MultiStreamTracker(tracker)
    except (ValueError, AttributeError):
        return None


class _PerStreamTrackers:
    """The fallback for presets `MultiStreamTracker` cannot batch: one copy of the tracker per stream."""

    def __init__(self, tracker: Tracker) -> None:
        tracker.reset()
        self.template, self.trackers = tracker, {}

    def update(self, detections: Mapping[Hashable, Detections], frames: Mapping[Hashable, Any]) -> dict:
        out = {}
        for key, dets in detections.items():
            if key not in self.trackers:  # the embedder (a loaded network) is shared, not copied
                embedder = getattr(self.template, "embedder", None)
                memo = {} if embedder is None else {id(embedder): embedder}
                self.trackers[key] = copy.deepcopy(self.template, memo)
            out[key] = self.trackers[key].update(dets, frames.get(key))
        return out


def stream_many(detector: Detector, tracker: Tracker, sources: Mapping[Hashable, Any] | Sequence[Any],
                sync: bool = True, batch: int | None = None, max_frames: int | None = None,
                timings: dict[str, float] | None = None) -> Iterator[dict[Hashable, StreamFrame]]:
    """Track many sources at once; yields, per step, {stream key: `StreamFrame`} for the streams that had a frame.

    Args:
        detector: runs on the frames of all streams of a step, at most ``batch`` frames per call.
        tracker: the tracker to run per stream (copied: its parts are shared, its state is not).
        sources: {key: source} or a sequence of sources (keys 0, 1, ...); see `open_stream`.
        sync: True: one frame of every running stream per step; False: whatever frames have arrived.
        batch: most frames per detector call; None: all frames of a step in one call.
        max_frames: stop each source after this many frames.
        timings: seconds per stage (``read``, ``detect``, ``track``) are added here.
    """
    if batch is not None and batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    keyed = dict(sources) if isinstance(sources, Mapping) else dict(enumerate(sources))
    if not keyed:
        raise ValueError("stream_many needs at least one source")
    timings = defaultdict(float) if timings is None else timings
    opened = {key: open_stream(src, max_frames) for key, src in keyed.items()}
    multi = stream_tracker(tracker) or _PerStreamTrackers(tracker)
    detector.reset()
    steps = _in_step(opened, timings) if sync else _as_they_come(opened, timings)
    for step in steps:
        keys = list(step)
        t0 = time.perf_counter()
        size = batch or len(keys)
        dets: list[Detections] = []
        for start in range(0, len(keys), size):
            chunk = keys[start:start + size]
            dets += detector.detect([step[k].image for k in chunk], [step[k].index for k in chunk])
        timings["detect"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        tracks = multi.update(dict(zip(keys, dets)), {k: step[k].image for k in keys})
        timings["track"] += time.perf_counter() - t0
        yield {k: StreamFrame(k, step[k].index, step[k].image, d, tracks[k]) for k, d in zip(keys, dets)}


def _in_step(sources: dict[Hashable, FrameSource], timings) -> Iterator[dict[Hashable, Frame]]:
    """One frame of every source still running per step."""
    running = {key: iter(src) for key, src in sources.items()}
    while running:
        t0 = time.perf_counter()
        step = {}
        for key, it in list(running.items()):
            frame = next(it, None)
            if frame is None:
                del running[key]
            else:
                step[key] = frame
        timings["read"] += time.perf_counter() - t0
        if step:
            yield step


def _as_they_come(sources: dict[Hashable, FrameSource], timings, depth: int = 4) -> Iterator[dict[Hashable, Frame]]:
    """Each source read by its own thread into a queue of ``depth`` frames; a step takes the oldest waiting frame
    of every source that has one, waiting only until at least one source has a frame."""
    queues = {key: queue.Queue(maxsize=depth) for key in sources}
    stop = threading.Event()
    errors: list[BaseException] = []

    def read(key: Hashable, source: FrameSource) -> None:
        try:
            for frame in source:
                while not stop.is_set():
                    try:
                        queues[key].put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # reported by the consumer, in its own thread
            errors.append(exc)
        finally:
            queues[key].put(_END)

    threads = [threading.Thread(target=read, args=(k, s), daemon=True, name=f"stream-{k}") for k, s in sources.items()]
    for thread in threads:
        thread.start()
    running = set(sources)
    try:
        while running:
            t0 = time.perf_counter()
            step = _take_ready(queues, running)
            timings["read"] += time.perf_counter() - t0
            if errors:
                raise errors[0]
            if step:
                yield step
    finally:
        stop.set()


def _take_ready(queues: dict[Hashable, queue.Queue], running: set) -> dict[Hashable, Frame]:
    """The next frame of every running stream that has one ready; blocks briefly until one has."""
    while True:
        step = {}
        for key in [k for k in queues if k in running]:
            try:
                item = queues[key].get_nowait()
            except queue.Empty:
                continue
            if item is _END:
                running.discard(key)
            else:
                step[key] = item
        if step or not running:
            return step
        time.sleep(0.001)
