"""`MultiStreamTracker`: every stream's output equals its own tracker's, bit for bit.

Compared per frame and stream: ids, boxes, scores, states, ages, det_index (`np.array_equal`, no tolerance).
"""

from __future__ import annotations

import configparser

import numpy as np
import pytest

import roadtrack
from roadtrack.core import Detections, Embedder, Tracks
from roadtrack.io import read_mot
from roadtrack.trackers.multistream import MultiStreamTracker

FIELDS = ("ids", "xyxy", "scores", "class_ids", "state", "age", "det_index")
MOTION_ONLY = {"sort": {}, "bytetrack": {}, "botsort": {"with_reid": False, "cmc": None},
               "bytetrack/no-recovery": {"recovery": False}}


def _same(a: Tracks, b: Tracks) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)


def _compare(preset: str, options: dict, schedule, frames=None, embedder=None, make=None) -> int:
    """Run ``schedule`` (a list of {stream: Detections} per call) through one MultiStreamTracker and through one
    tracker per stream; assert equal outputs; return the number of (stream, frame) outputs compared."""
    build = make or (lambda: roadtrack.build("tracker", preset, **options))
    multi = MultiStreamTracker(build())
    if embedder is not None:
        multi.use_embedder(embedder)
    singles, compared = {}, 0
    for k, batch in enumerate(schedule):
        shown = {s: frames[s][k] for s in batch} if frames is not None else None
        out = multi.update(batch, shown)
        assert list(out) == list(batch)
        for stream, dets in batch.items():
            if stream not in singles:
                singles[stream] = build()
                if embedder is not None:
                    singles[stream].use_embedder(embedder)
            expected = singles[stream].update(dets, None if shown is None else shown[stream])
            assert _same(out[stream], expected), f"stream {stream!r}, call {k}"
            compared += 1
    return compared


def _mot15_streams(mot15) -> dict[str, list[Detections]]:
    streams = {}
    for seq in sorted(p for p in mot15.iterdir() if (p / "det" / "det.txt").is_file()):
        info = configparser.ConfigParser()
        info.read(seq / "seqinfo.ini")
        by_frame = dict(read_mot(seq / "det" / "det.txt").split_by_frame())
        streams[seq.name] = [Detections(by_frame[k].xyxy, scores=by_frame[k].scores) if k in by_frame
                             else Detections.empty() for k in range(1, int(info["Sequence"]["seqLength"]) + 1)]
    return streams


@pytest.mark.parametrize("preset", sorted(MOTION_ONLY))
def test_mot15_sequences_as_streams_equal_separate_trackers(mot15, preset):
    streams = _mot15_streams(mot15)
    assert len(streams) == 11
    longest = max(len(v) for v in streams.values())
    # Sequences end at different frames: later calls carry only the streams still running.
    schedule = [{name: dets[f] for name, dets in streams.items() if f < len(dets)} for f in range(longest)]
    compared = _compare(preset.split("/")[0], MOTION_ONLY[preset], schedule)
    assert compared == sum(len(v) for v in streams.values())  # 5500 stream-frames


def _scene(seed: int, n_frames: int, n_objects: int = 12, classes: int = 1) -> list[Detections]:
    """Objects moving linearly with noise, crossing each other; random misses and low-score boxes."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 300, (n_objects, 2))
    size = rng.uniform(20, 60, (n_objects, 2))
    velocity = rng.normal(0, 3.0, (n_objects, 2))
    cls = rng.integers(0, classes, n_objects)
    out = []
    for f in range(n_frames):
        centre = start + velocity * f + rng.normal(0, 1.5, (n_objects, 2))
        keep = rng.random(n_objects) > 0.15
        boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)[keep]
        out.append(Detections(boxes, scores=rng.uniform(0.05, 1.0, keep.sum()), class_ids=cls[keep]))
    return out


def test_streams_join_leave_and_skip_calls():
    """Streams start late, skip calls (they do not advance then), end, and a removed key comes back as new."""
    scenes = {s: _scene(s, 40) for s in range(6)}
    schedule = []
    for f in range(40):
        batch = {s: scenes[s][f] for s in range(6) if (s != 3 or f >= 10) and (s != 4 or f % 3) and (s != 5 or f < 25)}
        schedule.append(batch)
    multi = MultiStreamTracker("bytetrack")
    singles = {}
    for f, batch in enumerate(schedule):
        if f == 25:
            multi.remove_stream(("cam", 5))
        if f == 30:
            multi.remove_stream(("cam", 0))
            singles.pop(0)
        batch = {("cam", s): d for s, d in batch.items()}
        out = multi.update(batch)
        for key, dets in batch.items():
            expected = singles.setdefault(key[1], roadtrack.build("tracker", "bytetrack")).update(dets)
            assert _same(out[key], expected), (key, f)
    assert ("cam", 5) not in multi.streams and ("cam", 0) in multi.streams
    assert multi.next_id[multi._slots[("cam", 0)]] == singles[0].next_id  # restarted at 1 on its return
    with pytest.raises(KeyError, match="no stream"):
        multi.remove_stream(("cam", 5))


@pytest.mark.parametrize("preset", ["sort", "bytetrack"])
def test_several_classes_are_gated_per_stream(preset):
    schedule = [{s: _scene(10 + s, 30, classes=3)[f] for s in range(5)} for f in range(30)]
    assert _compare(preset, {}, schedule) == 150


def test_zero_size_boxes_and_empty_streams():
    scenes = {s: _scene(20 + s, 20) for s in range(3)}
    schedule = []
    for f in range(20):
        bad = Detections([[5.0, 5.0, 5.0, 40.0]], scores=[0.9])  # zero width: tracked by nobody
        schedule.append({0: Detections.concat([scenes[0][f], bad]), 1: Detections.empty(), 2: scenes[2][f]})
    assert _compare("bytetrack", {}, schedule) == 60


class PixelEmbedder(Embedder):
    """Features from the crop's pixels (deterministic per frame and box); counts network calls."""

    def __init__(self) -> None:
        self.calls = 0

    def _one(self, frame, xyxy):
        h, w = frame.shape[:2]
        out = []
        for x1, y1, x2, y2 in np.clip(np.asarray(xyxy), 0, [w - 1, h - 1, w - 1, h - 1]).astype(int):
            crop = frame[y1:y2 + 1, x1:x2 + 1].reshape(-1, 3).astype(np.float32)
            out.append(np.concatenate([crop.mean(0), crop.std(0), crop[:1].ravel()]) + 1.0)
        f = np.array(out, np.float32).reshape(-1, 9)
        return f / np.linalg.norm(f, axis=1, keepdims=True)

    def embed(self, frame, detections):
        self.calls += 1
        return self._one(frame, detections.xyxy)

    def embed_many(self, frames, detections):
        self.calls += 1
        return [self._one(f, d.xyxy) for f, d in zip(frames, detections)]


def _frames(seed: int, n: int, scenes: list[Detections]) -> list[np.ndarray]:
    """Frames with a coloured rectangle per object (so appearance tells objects apart) on noise."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 255, (64, 3))
    out = []
    for f in range(n):
        img = rng.integers(0, 40, (400, 420, 3), dtype=np.uint8)
        for k, (x1, y1, x2, y2) in enumerate(np.clip(scenes[f].xyxy, 0, 399).astype(int)):
            img[y1:y2, x1:x2] = colours[k % 64]
        out.append(img)
    return out


@pytest.mark.parametrize("options", [{"cmc": None}, {"cmc": None, "lazy_embedding": False}, {"cmc": "sparse-flow"}])
def test_botsort_with_an_embedder_one_call_for_all_streams(options):
    scenes = {s: _scene(30 + s, 30) for s in range(4)}
    frames = {s: _frames(s, 30, scenes[s]) for s in range(4)}
    schedule = [{s: scenes[s][f] for s in range(4)} for f in range(30)]
    multi_embedder, single_embedder = PixelEmbedder(), PixelEmbedder()
    multi = MultiStreamTracker("botsort", **options)
    multi.use_embedder(multi_embedder)
    singles = {s: roadtrack.build("tracker", "botsort", embedder=single_embedder, **options) for s in range(4)}
    for f, batch in enumerate(schedule):
        calls = multi_embedder.calls
        out = multi.update(batch, {s: frames[s][f] for s in batch})
        assert multi_embedder.calls - calls <= 1  # one embedder call per frame of all streams
        for s, dets in batch.items():
            assert _same(out[s], singles[s].update(dets, frames[s][f])), (s, f)
    assert multi_embedder.calls <= 30 < single_embedder.calls
    assert multi.has_features.all()


def test_botsort_with_features_on_the_detections():
    rng = np.random.default_rng(5)
    scenes = {s: _scene(40 + s, 25) for s in range(3)}
    schedule = []
    for f in range(25):
        # Stream 2 carries no features: its tracks match by motion alone, as its own tracker's would.
        schedule.append({s: scenes[s][f].with_features(rng.normal(size=(len(scenes[s][f]), 8)).astype(np.float32))
                         if s < 2 else scenes[s][f] for s in range(3)})
    assert _compare("botsort", {"cmc": None}, schedule) == 75


def test_botsort_with_the_shared_osnet(shared):
    onnx = shared("models", "reid", "osnet_x0_25_msmt17.onnx")
    pytest.importorskip("onnxruntime")
    embedder = roadtrack.build("embedder", "osnet-onnx", weights=str(onnx), threads=1)
    scenes = {s: _scene(50 + s, 8, n_objects=6) for s in range(3)}
    frames = {s: _frames(60 + s, 8, scenes[s]) for s in range(3)}
    schedule = [{s: scenes[s][f] for s in range(3)} for f in range(8)]
    assert _compare("botsort", {"cmc": None, "lazy_embedding": False}, schedule, frames, embedder) == 24


@pytest.mark.parametrize("preset", ["ocsort", "deepsort", "boosttrack"])
def test_presets_it_cannot_batch_are_refused(preset):
    with pytest.raises(ValueError, match="MultiStreamTracker batches"):
        MultiStreamTracker(preset)


def test_hand_computed_ids_per_stream():
    """Two streams, one box each, frame 1: both get id 1 (ids are per stream); stream 'b' then gains a second
    object (id 2), while stream 'a' keeps only its id 1."""
    multi = MultiStreamTracker("bytetrack")
    box = [[10.0, 10.0, 50.0, 90.0]]
    out = multi.update({"a": Detections(box, scores=[0.9]), "b": Detections(box, scores=[0.9])})
    assert out["a"].ids.tolist() == [1] and out["b"].ids.tolist() == [1]
    two = Detections([[11.0, 10.0, 51.0, 90.0], [200.0, 10.0, 240.0, 90.0]], scores=[0.9, 0.9])
    out = multi.update({"a": Detections([[11.0, 10.0, 51.0, 90.0]], scores=[0.9]), "b": two})
    # ByteTrack reports a new track from its second frame on: b's id 2 is tentative until matched again.
    assert out["a"].ids.tolist() == [1] and out["b"].ids.tolist() == [1]
    assert multi.next_id[[multi._slots["a"], multi._slots["b"]]].tolist() == [2, 3]


def test_a_failing_embedder_leaves_every_stream_as_it_was():
    class Failing(PixelEmbedder):
        def embed_many(self, frames, detections):
            raise RuntimeError("network gone")

    scenes = {s: _scene(70 + s, 6) for s in range(2)}
    frames = {s: _frames(80 + s, 6, scenes[s]) for s in range(2)}
    multi = MultiStreamTracker("botsort", cmc=None, lazy_embedding=False)
    multi.use_embedder(PixelEmbedder())
    for f in range(3):
        multi.update({s: scenes[s][f] for s in range(2)}, {s: frames[s][f] for s in range(2)})
    saved = {name: getattr(multi.tracks, name).copy() for name in multi.tracks.row_fields}
    counts = multi.frame_count.copy()
    multi.use_embedder(Failing())
    with pytest.raises(RuntimeError, match="network gone"):
        multi.update({s: scenes[s][3] for s in range(2)}, {s: frames[s][3] for s in range(2)})
    assert multi.frame_count.tolist() == counts.tolist()
    assert all(np.array_equal(getattr(multi.tracks, name), saved[name]) for name in saved)
