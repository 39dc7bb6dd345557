"""Tiny hand-written ROAD annotation documents for the metric tests.

`make_doc` writes the real schema (ids into reversed ``all_*`` lists with decoys, string frame keys,
normalised boxes) from a compact description in *pixels* of a ``size`` frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from roadtrack.datasets import LABEL_TYPES, label_set, parse_road
from roadtrack.io.roadpp import SubmissionTube


def box(frame: int, key: str, xyxy, agent: str = "Car", action=(), loc=(), duplex=(), triplet=()) -> dict[str, Any]:
    """One annotated box, pixels."""
    return {"frame": frame, "key": key, "xyxy": xyxy, "agent": [agent] if agent else [], "action": list(action),
            "loc": list(loc), "duplex": list(duplex), "triplet": list(triplet)}


def make_doc(videos: dict[str, dict[str, Any]], dataset: str = "road_waymo", size=(1024, 512)) -> dict[str, Any]:
    """An annotation document.

    Args:
        videos: name -> {"splits": [...], "numf": int, "unannotated": [frames], "boxes": [box(...)],
            "tubes": {label_type: [(uid, class name, [box keys])]}}.
        dataset: label lists to use.
        size: (width, height) the pixel boxes are normalised by; also written as the frame size.
    """
    labels = label_set(dataset)
    all_lists = {t: ["Decoy" + t] + list(reversed(labels[t])) for t in LABEL_TYPES}
    all_lists["agent"].append("OthTL" if dataset == "road_waymo" else "Unused")
    doc: dict[str, Any] = {f"all_{t}_labels": all_lists[t] for t in LABEL_TYPES}
    doc.update({f"{t}_labels": list(labels[t]) for t in LABEL_TYPES})
    doc.update(all_av_action_labels=list(labels.av_action), av_action_labels=list(labels.av_action),
               label_types=list(LABEL_TYPES), db={})
    w, h = size
    for name, spec in videos.items():
        frames = {str(n): {"annotated": int(n not in spec.get("unannotated", ())), "width": w, "height": h,
                           "av_action_ids": []} for n in range(1, spec["numf"] + 1)}
        where = {}
        for b in spec.get("boxes", ()):
            x1, y1, x2, y2 = b["xyxy"]
            anno = {"box": [x1 / w, y1 / h, x2 / w, y2 / h], "tube_uid": "t"}
            for t in LABEL_TYPES:
                anno[f"{t}_ids"] = [all_lists[t].index(n) for n in b[t]]
            frames[str(b["frame"])].setdefault("annos", {})[b["key"]] = anno
            where[b["key"]] = str(b["frame"])
        video = {"split_ids": spec.get("splits", ["all", "val"]), "numf": spec["numf"], "frames": frames}
        for t in LABEL_TYPES:
            video[f"{t}_tubes"] = {uid: {"label_id": all_lists[t].index(cls), "annos": {where[k]: k for k in keys}}
                                   for uid, cls, keys in spec.get("tubes", {}).get(t, ())}
        doc["db"][name] = video
    return doc


def annotations(videos, dataset="road_waymo", size=(1024, 512)):
    return parse_road(make_doc(videos, dataset, size))


def tube(label_id: int, frames, boxes, score: float, scores=None) -> SubmissionTube:
    """A detection tube; ``boxes`` may be one box (repeated) or one per frame."""
    frames = np.asarray(frames)
    boxes = np.asarray(boxes, np.float64)
    if boxes.ndim == 1:
        boxes = np.tile(boxes, (len(frames), 1))
    scores = np.full(len(frames), score) if scores is None else np.asarray(scores, np.float64)
    return SubmissionTube(label_id, frames, boxes, scores, score)


def perfect_tubes(ann, size, label_types=("agent", "triplet")) -> dict:
    """One detection per ground-truth tube with boxes: gaps filled by interpolation, distinct scores."""
    scale = np.array([size[0], size[1], size[0], size[1]], np.float64)
    out, score = {}, 1.0
    for t in label_types:
        out[t] = {}
        for video in ann.videos.values():
            tubes = []
            for g in video.tubes[t]:
                if not g.has_boxes:
                    continue
                frames = np.arange(g.frames[0], g.frames[-1] + 1)
                boxes = np.stack([np.interp(frames, g.frames, g.boxes[:, k]) for k in range(4)], 1) * scale
                score -= 1e-3
                tubes.append(SubmissionTube(g.label_id, frames, boxes, np.full(len(frames), score), score))
            out[t][video.name] = tubes
    return out
