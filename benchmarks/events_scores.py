"""Road-event tubes from a detector's per-box label scores: the ROAD++ baseline's linking and labelling vs roadtrack.

    python benchmarks/events_scores.py [--videos 16] [--frames 60] [--seed 0]

Data: the synthetic ROAD-Waymo split (`roadtrack.datasets.synthetic_road`: agents moving across the frame whose
action and location switch half-way, every annotation quirk present), and from its ground truth a synthetic
ROAD++ detector in the baseline's dump layout (`roadtrack.datasets.synthetic_detections`: 10 % missed boxes,
3 % box jitter, spurious boxes, agent/action/location scores 0.8 for true classes and 0.05 for others plus
Gaussian noise of standard deviation ``noise``), at two noise levels. No duplex or triplet heads: both sides
compose them from the parts.

Both sides get the same detections:
* baseline: online agent paths and whole-path labelling of ``shared/specs/road.md`` §4 (`road_baseline.py`);
* roadtrack: ``bytetrack`` on the detections (agentness as score) carrying the label scores as extras, then the
  ``scores`` event path (`ScoreEventClassifier`: smoothing along the track, per-label segments with a
  switch cost and a minimum length) and the ROAD++ writer's tubes.

Prints video-mAP (official rules, `roadtrack.metrics.road.evaluate_road`) at 0.2 and 0.5 per label type.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]  # this tree's roadtrack
from road_baseline import label_paths, link_paths  # noqa: E402

from roadtrack.core.labels import EVAL_SIZES, LABEL_TYPES  # noqa: E402
from roadtrack.core.registry import build  # noqa: E402
from roadtrack.datasets.road import parse_road  # noqa: E402
from roadtrack.datasets.synthetic_detections import DetectionNoise, noisy_detections  # noqa: E402
from roadtrack.datasets.synthetic_road import synthetic_road  # noqa: E402
from roadtrack.events import ScoreEventClassifier, TubeBuilder, submission_tubes  # noqa: E402
from roadtrack.io.road_detections import frame_detections  # noqa: E402
from roadtrack.metrics.road import evaluate_road  # noqa: E402

NOISE_LEVELS = {  # label-score noise, and a weaker detector with it: more misses, looser boxes, more spurious boxes
    "low": DetectionNoise(noise=0.15, miss=0.1, box_noise=0.03, false_positives=0.5),
    "high": DetectionNoise(noise=0.3, miss=0.25, box_noise=0.06, false_positives=1.5),
}
PARTS = ("agent", "action", "loc")


def roadtrack_tubes(frames: dict[int, np.ndarray], labels, classifier: ScoreEventClassifier) -> dict[str, list]:
    # Class-agnostic association: the per-box agent argmax is noisy; the scores path decides the class per track.
    tracker, builder = build("tracker", "bytetrack", class_aware=False), TubeBuilder()
    for frame in sorted(frames):
        builder.add(frame, tracker.update(frame_detections(frames[frame], labels, PARTS, f"frame {frame}")))
    events = classifier.classify(builder.build())
    size = EVAL_SIZES[labels.name]
    return submission_tubes(events, size, LABEL_TYPES, classifier.event_options, size)


def run(num_videos: int, num_frames: int, seed: int) -> dict:
    road = synthetic_road("road_waymo", seed=seed, num_videos=num_videos, num_frames=num_frames, agents_per_video=6)
    ann = parse_road(road.to_json())
    labels, classifier = ann.labels, ScoreEventClassifier(ann.labels)
    results = {}
    for level, noise in NOISE_LEVELS.items():
        rng = np.random.default_rng(seed + 1)
        preds = {"baseline": {t: {} for t in LABEL_TYPES}, "roadtrack": {t: {} for t in LABEL_TYPES}}
        seconds = {"baseline": 0.0, "roadtrack": 0.0}
        for video in ann.videos.values():
            frames = noisy_detections(video, labels, rng, noise)
            t0 = time.perf_counter()
            base = label_paths(link_paths(frames), labels)
            t1 = time.perf_counter()
            ours = roadtrack_tubes(frames, labels, classifier)
            seconds["baseline"] += t1 - t0
            seconds["roadtrack"] += time.perf_counter() - t1
            for name, tubes in (("baseline", base), ("roadtrack", ours)):
                for t in LABEL_TYPES:
                    preds[name][t][video.name] = tubes[t]
        for name, tubes in preds.items():
            ev = evaluate_road(ann, "all", tubes=tubes)
            results[(level, name)] = ({(t, thr): ev.get("video", t, thr).mAP for t in LABEL_TYPES for thr in (0.2, 0.5)},
                                      seconds[name])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=32)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results = run(args.videos, args.frames, args.seed)
    print(f"# synthetic ROAD-Waymo, {args.videos} videos x {args.frames} frames, seed {args.seed}; "
          "video-mAP (%) @0.2 / @0.5, official rules")
    for level, noise in NOISE_LEVELS.items():
        print(f"# noise {level}: {noise}")
    print("| noise | method | " + " | ".join(LABEL_TYPES) + " | s |")
    print("|---|---|" + "---|" * (len(LABEL_TYPES) + 1))
    for (level, name), (maps, seconds) in results.items():
        cells = [f"{maps[(t, 0.2)]:.1f} / {maps[(t, 0.5)]:.1f}" for t in LABEL_TYPES]
        print(f"| {level} | {name} | " + " | ".join(cells) + f" | {seconds:.2f} |")
    for level in NOISE_LEVELS:
        base, ours = results[(level, "baseline")][0], results[(level, "roadtrack")][0]
        diffs = ", ".join(f"{t}@{thr} {ours[(t, thr)] - base[(t, thr)]:+.1f}" for t in LABEL_TYPES for thr in (0.2, 0.5))
        print(f"noise {level}: roadtrack - baseline: {diffs}")


if __name__ == "__main__":
    main()
