"""Rendered synthetic ROAD videos: agents as textured boxes on a road scene, labelled by the ROAD definitions.

A flat world seen by a forward-looking dash camera driving in the left lane (UK traffic, as in ROAD):
three lanes (the AV's lane ``VehLane``, an outgoing lane ``OutgoLane`` to its right, the incoming lane
``IncomLane``), pavements either side (``LftPav``, ``RhtPav``), a zebra crossing (``xing``) before a junction
(``Jun``) with a traffic light, and ego-motion (forward speed and a slow pan). World axes: X to the right,
Z forward, metres; the camera is ``camera.height`` above the ground.

Labels are computed from each agent's world motion, never from pixels:
  * vehicles: ``Stop`` (speed < 0.2 m/s), ``Brake`` (decelerating), ``MovAway`` / ``MovTow`` (velocity along
    the line of sight from the AV positive / negative), ``TurLft`` / ``TurRht`` (on the arc of a turn),
    ``XingFmLft`` / ``XingFmRht`` (driving across the junction from the left / right), ``IncatLft`` /
    ``IncatRht`` (indicator blinking, an extra label);
  * pedestrians: ``Stop``, ``MovAway`` / ``MovTow``, ``Wait2X`` (at the kerb before crossing),
    ``XingFmLft`` / ``XingFmRht`` (on the road), ``PushObj`` (pushing a pram, an extra label);
  * traffic lights: ``Red`` / ``Amber`` / ``Green``; no location.
Duplex and triplet labels are the combinations present in the dataset's used lists (unused ones are kept
in the ``all_`` lists, as in the real files). The rendered lamps (brake, indicator, traffic-light colour)
and the pram are the only visual cues for the labels that motion cannot reveal.

Example:
    >>> from roadtrack.datasets.synthetic_video import write_synthetic_videos
    >>> ann = write_synthetic_videos("runs/synth", {"train": 8, "val": 4}, seed=0)     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Mapping

import cv2
import numpy as np

FPS = 12.0
SPLIT_IDS = {"road": {"train": ["train_3"], "val": ["val_3"], "test": ["test"]},
             "road_waymo": {"train": ["all", "train"], "val": ["all", "val"], "test": ["test"]}}
_AGENT_STYLE = {"Car": ((1.8, 4.2, 1.5), (40, 60, 170)), "MedVeh": ((2.1, 5.5, 2.3), (150, 150, 150)),
                "Bus": ((2.5, 11.0, 3.2), (40, 160, 220)), "Cyc": ((0.6, 1.8, 1.7), (140, 40, 120)),
                "Ped": ((0.55, 0.5, 1.75), (80, 110, 50)), "TL": ((0.35, 0.3, 1.0), (30, 30, 30))}


@dataclasses.dataclass(frozen=True)
class Camera:
    """Pinhole dash camera over flat ground.

    Attributes:
        width, height: image size, pixels.
        focal: focal length, pixels.
        horizon: image row of the horizon as a fraction of ``height``.
        mount: camera height above the road, metres.
        lane: lane width, metres.
    """

    width: int = 480
    height: int = 360
    focal: float = 400.0
    horizon: float = 0.4
    mount: float = 1.5
    lane: float = 3.5

    def project(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, pan: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Camera-relative points (metres; y up, z forward) -> pixel (u, v)."""
        u = self.width / 2 + self.focal * (x / z + pan)
        v = self.horizon * self.height + self.focal * (self.mount - y) / z
        return u, v


@dataclasses.dataclass
class _Agent:
    kind: str
    pos: np.ndarray  # (F, 2) world X, Z
    speed: np.ndarray  # (F,) m/s
    turn: np.ndarray  # (F,) +1 left, -1 right, 0 straight (on a turning arc)
    flags: dict[str, np.ndarray]  # per-frame booleans: IncatLft, IncatRht, Wait2X, PushObj, Xing, Red, ...
    texture: np.ndarray


def _path(points: list[tuple[float, float]], arc: tuple[tuple[float, float], float, float, float] | None = None,
          turn: float = 0.0):
    """Arc length (K,), dense polyline (K, 2) and per-point turn sign (K,): ``turn`` on the ``arc`` = (centre,
    radius, angle0, angle1), inserted after the first point (angles as atan2(x - cx, z - cz)), 0 elsewhere."""
    pts = [np.asarray(p, float) for p in points]
    line = lambda p, q: p + (q - p) * np.linspace(0, 1, max(2, int(np.linalg.norm(q - p) / 0.1)))[:, None]  # noqa: E731
    pieces = [line(pts[0], pts[1])]
    turns = [np.zeros(len(pieces[0]))]
    if arc is not None:
        (cx, cz), r, t0, t1 = arc
        t = np.linspace(t0, t1, max(2, int(abs(t1 - t0) * r / 0.1)))
        pieces.append(np.stack([cx + r * np.sin(t), cz + r * np.cos(t)], 1))
        turns.append(np.full(len(t), turn))
    for p, q in zip(pts[1:-1], pts[2:]) if arc is None else [(pieces[-1][-1], pts[-1])]:
        pieces.append(line(p, q))
        turns.append(np.zeros(len(pieces[-1])))
    path = np.concatenate(pieces)
    return np.r_[0, np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))], path, np.concatenate(turns)


def _follow(path_def, speed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (F, 2), turn signs (F,) and actual speeds (F,) (zero once the path's end is reached)."""
    s, path, turn = path_def
    dist = np.minimum(np.r_[0, np.cumsum(speed[1:] / FPS)], s[-1])
    pos = np.stack([np.interp(dist, s, path[:, 0]), np.interp(dist, s, path[:, 1])], 1)
    actual = np.where(dist < s[-1], speed, 0.0)
    return pos, np.where(actual > 0.2, turn[np.clip(np.searchsorted(s, dist), 0, len(turn) - 1)], 0.0), actual


def _profile(n: int, keys: list[tuple[float, float]]) -> np.ndarray:
    t = np.arange(n) / FPS
    return np.interp(t, [k[0] for k in keys], [k[1] for k in keys])


def _scene(rng: np.random.Generator, n: int, cam: Camera) -> tuple[np.ndarray, float, list[_Agent]]:
    """Ego Z per frame, junction start Z, and the agents of one random scene."""
    w = cam.lane
    ego_v = 0.0 if rng.random() < 0.25 else rng.uniform(4, 9)
    ego_z = np.r_[0, np.cumsum(np.full(n - 1, ego_v / FPS))]
    zj = rng.uniform(28, 55)
    dur = n / FPS
    agents: list[_Agent] = []

    def add(kind, path_def, speed, **flags):
        pos, turn, speed = _follow(path_def, speed)
        tex = rng.integers(0, 255, (12, 12, 3)).astype(np.uint8)
        agents.append(_Agent(kind, pos, speed, turn, {k: np.asarray(v, bool) for k, v in flags.items()}, tex))

    for lane_x, indicator, sign in ((-w, "IncatLft", 1), (0.0, "IncatRht", -1)):  # lead cars, ego and outgoing lane
        if rng.random() < 0.8:
            z0, v = rng.uniform(10, 25), rng.uniform(3, 10)
            keys = [(0, v), (dur, v)]
            if rng.random() < 0.35:  # brake to a stop
                tb = rng.uniform(0.15, 0.6) * dur
                keys = [(0, v), (tb, v), (tb + rng.uniform(1.2, 2.5), 0), (dur, 0)]
            speed = _profile(n, keys)
            turning = rng.random() < 0.45
            r, cz = (6.0 if sign > 0 else 7.0), zj + 2
            arc = ((lane_x - sign * r, cz), r, sign * np.pi / 2, 0.0) if turning else None
            end = (lane_x - sign * (r + 60), cz + r) if turning else (lane_x, z0 + 200)
            path_def = _path([(lane_x, z0), (lane_x, cz), end], arc, float(sign))  # sign > 0: a left turn
            pos, turn, _ = _follow(path_def, speed)
            blink = ((np.arange(n) // 4) % 2 == 0) & (pos[:, 1] > cz - 14) & (turn == 0) & (pos[:, 1] < cz + 0.5)
            add(rng.choice(["Car", "Car", "MedVeh", "Bus"]) if lane_x else "Car", path_def, speed,
                **{indicator: blink if turning else np.zeros(n)})
    for _ in range(rng.integers(1, 3)):  # oncoming traffic, sometimes waiting beyond the junction
        kind = rng.choice(["Car", "Car", "Bus", "MedVeh", "Cyc"])
        z0, v = rng.uniform(20, 90), rng.uniform(3, 10) if kind != "Cyc" else rng.uniform(2, 5)
        keys = [(0, v), (dur, v)] if rng.random() < 0.7 else [(0, 0), (rng.uniform(0.15, 1) * dur, 0), (dur, v)]
        add(kind, _path([(w + (0.8 if kind == "Cyc" else 0), z0), (w, -50)]), _profile(n, keys))
    if rng.random() < 0.7:  # a car crossing the junction
        sign = rng.choice([-1.0, 1.0])
        v = rng.uniform(5, 9)
        z = zj + 3 + (sign < 0) * 3.5  # the far half of the cross road for traffic from the right
        add("Car", _path([(-sign * rng.uniform(15, 45), z), (sign * 80, z)]),
            _profile(n, [(0, v), (dur, v)]), Xing=np.ones(n))
    for _ in range(rng.integers(1, 4)):  # pedestrians walking or standing on a pavement
        side = rng.choice([-1.0, 1.0])
        x = side * (1.5 * w + rng.uniform(0.7, 2.5))
        v = 0.0 if rng.random() < 0.3 else rng.choice([-1, 1]) * rng.uniform(0.9, 1.7)
        z0 = rng.uniform(6, 40)
        pram = v != 0 and rng.random() < 0.3
        add("Ped", _path([(x, z0), (x, z0 + 200 * np.sign(v or 1))]), np.full(n, abs(v)), PushObj=np.full(n, pram))
    if rng.random() < 0.8:  # pedestrian waiting at the zebra, then crossing
        side = rng.choice([-1.0, 1.0])
        zx = zj - 2.5 + rng.uniform(-0.8, 0.8)
        t_go = rng.uniform(0.1, 0.6) * dur
        speed = _profile(n, [(0, 0), (t_go, 0), (t_go + 0.3, 1.5), (dur, 1.5)])
        path_def = _path([(side * (1.5 * w + 0.6), zx), (-side * (1.5 * w + 3.0), zx)])
        pos, _, _ = _follow(path_def, speed)
        add("Ped", path_def, speed, Wait2X=np.arange(n) / FPS < t_go, Xing=np.abs(pos[:, 0]) < 1.5 * w)
    if rng.random() < 0.5:  # cyclist at the left edge of the AV's lane, faster than the AV
        v = ego_v + rng.uniform(1, 3)
        add("Cyc", _path([(-1.5 * w + 0.8, rng.uniform(8, 30)), (-1.5 * w + 0.8, 300)]), np.full(n, v))
    phase = rng.integers(0, 96) + np.arange(n)  # traffic light: green 48, amber 16, red 32 frames
    state = np.select([phase % 96 < 48, phase % 96 < 64], ["Green", "Amber"], "Red")
    add("TL", _path([(1.5 * w + 1.2, zj - 1), (1.5 * w + 1.2, zj - 0.9)]), np.zeros(n),
        Red=state == "Red", Amber=state == "Amber", Green=state == "Green")
    return ego_z, zj, agents


def _labels(agent: _Agent, ego: np.ndarray, zj: float, cam: Camera) -> list[tuple[list[str], list[str]]]:
    """Per frame (actions, locations) by the module's label rules."""
    w, n = cam.lane, len(ego)
    if agent.kind == "TL":
        return [([c for c in ("Red", "Amber", "Green") if agent.flags[c][t]], []) for t in range(n)]
    vel = np.gradient(agent.pos, axis=0) * FPS
    rel = agent.pos - np.stack([np.full(n, -w), ego], 1)
    radial = np.sum(vel * rel, 1) / np.maximum(np.linalg.norm(rel, axis=1), 1e-6)
    accel = np.gradient(agent.speed) * FPS
    flags = agent.flags
    out = []
    for t in range(n):
        x, z = agent.pos[t]
        moving = agent.speed[t] > 0.2
        act = []
        if flags.get("Wait2X", np.zeros(n))[t]:
            act.append("Wait2X")
        elif flags.get("Xing", np.zeros(n))[t] and moving:
            act.append("XingFmLft" if vel[t, 0] > 0 else "XingFmRht")
        elif not moving:
            act.append("Stop")
        elif agent.turn[t]:
            act.append("TurLft" if agent.turn[t] > 0 else "TurRht")
        elif agent.kind != "Ped" and accel[t] < -1.0:
            act.append("Brake")
        else:
            act.append("MovAway" if radial[t] > 0 else "MovTow")
        extras = ("IncatLft", "IncatRht") + (("PushObj",) if moving else ())  # pushing only while walking
        act += [k for k in extras if flags.get(k, np.zeros(n))[t]]
        if zj <= z <= zj + 10:
            loc = ["Jun"]
        elif abs(x) <= 1.5 * w:
            lane = "VehLane" if x < -0.5 * w else "OutgoLane" if x < 0.5 * w else "IncomLane"
            loc = ["xing", lane] if zj - 4 <= z < zj else [lane]
        else:
            loc = ["LftPav" if x < 0 else "RhtPav"]
        out.append((act, loc))
    return out


def _background(cam: Camera, ego_z: float, zj: float, pan: float) -> np.ndarray:
    """Sky and road surface by inverse perspective, textured in world coordinates so features move with the scene."""
    h, w = cam.height, cam.width
    y0 = cam.horizon * h
    img = np.empty((h, w, 3), np.float32)
    img[:] = np.linspace([235, 200, 170], [200, 170, 140], h)[:, None, :]
    rows = np.arange(int(np.ceil(y0 + 1)), h)
    v, u = np.meshgrid(rows, np.arange(w), indexing="ij")
    z = cam.focal * cam.mount / (v - y0)
    x = (u - w / 2 - cam.focal * pan) * z / cam.focal - cam.lane
    zw = z + ego_z
    ax = np.abs(x)
    road, jun = ax <= 1.5 * cam.lane, (zw >= zj) & (zw <= zj + 10)
    noise = np.modf(np.sin(np.floor(x / 0.4) * 12.9898 + np.floor(zw / 0.4) * 78.233) * 43758.5453)[0]
    base = np.select([road | jun, ax <= 1.5 * cam.lane + 3.2], [95.0, 150.0], 70.0)
    colour = np.repeat(base[..., None], 3, -1) + (np.abs(noise) * 40 - 20)[..., None]
    colour[~(road | jun) & (ax > 1.5 * cam.lane + 3.2)] *= [0.6, 1.2, 0.7]  # grass verge
    marks = road & ~jun & (((np.abs(ax - 0.5 * cam.lane) < 0.08) & (zw % 9 < 3)) | (np.abs(ax - 1.5 * cam.lane) < 0.12))
    zebra = road & (zw >= zj - 4) & (zw < zj - 1) & ((x % 1.2) < 0.6)
    colour[marks | zebra] = 235.0
    img[rows] = colour
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw(img: np.ndarray, agent: _Agent, t: int, box: np.ndarray, rear: bool) -> None:
    x1, y1, x2, y2 = np.round(box).astype(int)
    if x2 - x1 < 2 or y2 - y1 < 2:
        return
    tex = cv2.resize(agent.texture, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
    base = np.array(_AGENT_STYLE[agent.kind][1], np.float32)
    patch = (0.75 * base + 0.25 * tex).astype(np.uint8)
    bw, bh = x2 - x1, y2 - y1
    lamp = max(1, bw // 6), max(1, bh // 8)
    if agent.kind in ("Car", "MedVeh", "Bus"):
        patch[bh // 6: bh // 2, bw // 8: bw - bw // 8] = 60  # windows
        braking = agent.speed[t] < 0.2 or (t > 0 and agent.speed[t] < agent.speed[t - 1] - 0.05)
        lamp_rgb = ((40, 40, 255) if braking else (30, 30, 110)) if rear else (220, 240, 255)
        for side, flag in ((0, "IncatLft"), (1, "IncatRht")):
            xs = slice(0, lamp[0]) if side == 0 else slice(bw - lamp[0], bw)
            on = agent.flags.get(flag, np.zeros(t + 1))[t]
            patch[bh - 3 * lamp[1]: bh - lamp[1], xs] = (0, 170, 255) if on else lamp_rgb
    elif agent.kind == "TL":
        patch[:] = 25
        for k, colour, bgr in ((0, "Red", (30, 30, 255)), (1, "Amber", (0, 180, 255)), (2, "Green", (60, 230, 60))):
            lit = agent.flags[colour][t]
            cv2.circle(patch, (bw // 2, int((k + 0.5) * bh / 3)), max(1, min(bw, bh // 3) // 2 - 1),
                       bgr if lit else (60, 60, 60), -1)
    elif agent.kind in ("Ped", "Cyc"):
        patch[: max(1, bh // 7)] = (140, 170, 220)  # head
        if agent.flags.get("PushObj", np.zeros(t + 1))[t]:
            patch[bh // 2:, : max(1, bw // 3)] = (200, 90, 200)  # pram
    img[y1:y2, x1:x2] = patch


def render_video(rng: np.random.Generator, num_frames: int, cam: Camera = Camera()):
    """Render one scene.

    Returns:
        frames: (F, H, W, 3) uint8 BGR.
        tracks: list of dicts with ``kind``, ``frames`` (1-based), ``boxes`` (K, 4) normalised xyxy and
            ``labels`` (K) of (actions, locations) name lists, one per visible agent.
        ego_speed: (F,) m/s.
    """
    ego_z, zj, agents = _scene(rng, num_frames, cam)
    pan = 0.012 * np.sin(2 * np.pi * np.arange(num_frames) / (5 * FPS) + rng.uniform(0, 6.3))
    boxes = np.full((len(agents), num_frames, 4), np.nan)
    depth = np.full((len(agents), num_frames), np.inf)
    for i, a in enumerate(agents):
        (wd, ln, ht), _ = _AGENT_STYLE[a.kind]
        heading = np.arctan2(*np.gradient(a.pos, axis=0).T) if a.speed.any() else np.zeros(num_frames)
        half_w = 0.5 * (wd * np.abs(np.cos(heading)) + ln * np.abs(np.sin(heading)))
        base_y = 2.6 if a.kind == "TL" else 0.0
        z = a.pos[:, 1] - ego_z
        for dz in (-0.5 * ln * np.abs(np.cos(heading)), 0.5 * ln * np.abs(np.cos(heading))):
            zz = np.maximum(z + dz, 1e-3)
            u1, v1 = cam.project(a.pos[:, 0] + cam.lane - half_w, base_y + ht, zz, pan)
            u2, v2 = cam.project(a.pos[:, 0] + cam.lane + half_w, base_y, zz, pan)
            new = np.stack([u1, v1, u2, v2], 1)
            boxes[i] = np.where(np.isnan(boxes[i]), new, np.c_[np.minimum(boxes[i, :, :2], new[:, :2]),
                                                               np.maximum(boxes[i, :, 2:], new[:, 2:])])
        depth[i] = np.where(z - 0.5 * ln > 2.0, z, np.inf)
    size = np.array([cam.width, cam.height] * 2, float)
    clipped = np.clip(boxes, 0, size)
    area = lambda b: np.prod(np.maximum(b[..., 2:] - b[..., :2], 0), -1)
    visible = np.isfinite(depth) & (area(clipped) > 0.5 * area(boxes)) & (clipped[..., 3] - clipped[..., 1] >= 6) \
        & (clipped[..., 2] - clipped[..., 0] >= 3)
    frames = np.empty((num_frames, cam.height, cam.width, 3), np.uint8)
    for t in range(num_frames):
        img = _background(cam, ego_z[t], zj, pan[t])
        for i in np.argsort(-np.where(np.isfinite(depth[:, t]), depth[:, t], -1)):
            if visible[i, t]:
                rear = np.gradient(agents[i].pos[:, 1])[t] >= 0 if agents[i].speed.any() else agents[i].pos[0, 0] < 0
                _draw(img, agents[i], t, clipped[i, t], bool(rear))
        frames[t] = img
    tracks = []
    for i, a in enumerate(agents):
        idx = np.flatnonzero(visible[i])
        if len(idx) >= 3:
            labels = _labels(a, ego_z, zj, cam)
            tracks.append({"kind": a.kind, "frames": idx + 1, "boxes": clipped[i, idx] / size,
                           "labels": [labels[t] for t in idx]})
    return frames, tracks, np.gradient(ego_z) * FPS if num_frames > 1 else np.zeros(1)


def write_synthetic_videos(out_dir: str | os.PathLike, splits: Mapping[str, int], dataset: str = "road",
                           seed: int = 0, num_frames: int = 72, camera: Camera = Camera(),
                           image_folders: bool = False) -> Path:
    """Render videos and write them with their annotation file in the real layout.

    Writes ``out_dir/videos/<name>.mp4`` (mp4v, 12 fps), optionally ``out_dir/rgb-images/<name>/00001.jpg ...``,
    and ``out_dir/<dataset>_synthetic_v1.0.json`` in the schema of ``road_trainval_v1.0.json`` (every frame
    annotated; ids index ``all_`` lists that also hold the unused names that occur).

    Args:
        out_dir: output folder (created).
        splits: split name (``"train"``, ``"val"``, ``"test"``) -> number of videos; video names are
            ``<split>_<k:05d>`` and ``split_ids`` those the dataset uses (ROAD ``val_3``, ROAD-Waymo ``val``...).
        dataset: ``"road"`` or ``"road_waymo"``: which used label lists the file declares.
        seed: equal arguments give equal files.
        num_frames: frames per video (at least 8).
        camera: the rendering camera.
        image_folders: also write JPEG frames.

    Returns:
        The annotation file's path.
    """
    from roadtrack.core.labels import LABEL_TYPES, label_set
    from roadtrack.datasets.synthetic_road import SyntheticAgent, SyntheticRoad, SyntheticVideo

    if num_frames < 8:
        raise ValueError(f"num_frames must be at least 8, got {num_frames}")
    labels = label_set(dataset)
    out = Path(out_dir)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    videos = []
    for split, count in splits.items():
        for k in range(count):
            name = f"{split}_{k:05d}"
            frames, tracks, ego_speed = render_video(rng, num_frames, camera)
            _write_frames(out, name, frames, image_folders)
            agents = [SyntheticAgent(f"{name}-{i:03d}", tr["kind"], np.asarray(tr["frames"], np.int64),
                                     np.round(tr["boxes"], 6), [tuple(a) for a, _ in tr["labels"]],
                                     [tuple(lo) for _, lo in tr["labels"]]) for i, tr in enumerate(tracks)]
            av = [("AV-Mov",) if v > 0.2 else ("AV-Stop",) for v in ego_speed]
            videos.append(SyntheticVideo(name, tuple(SPLIT_IDS[labels.name][split]), num_frames, camera.width,
                                         camera.height, np.ones(num_frames, bool), av, agents))
    occurring: dict[str, set[str]] = {t: set() for t in LABEL_TYPES}
    for agent in (a for v in videos for a in v.agents):
        for t in LABEL_TYPES:
            for i in range(len(agent.frames)):
                occurring[t].update(agent.labels(t, i))
    all_labels = {t: list(labels[t]) + sorted(occurring[t] - set(labels[t])) for t in LABEL_TYPES}
    all_labels["av_action"] = list(labels.av_action)
    road = SyntheticRoad(labels.name, labels, all_labels, videos,
                         {"unsorted_tube_annos": None, "frames_only_tube": None})
    return road.write(out / f"{labels.name}_synthetic_v1.0.json")


def _write_frames(out: Path, name: str, frames: np.ndarray, image_folders: bool) -> None:
    h, w = frames.shape[1:3]
    path = out / "videos" / f"{name}.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"cannot open a video writer for {path}")
    for image in frames:
        writer.write(image)
    writer.release()
    if image_folders:
        folder = out / "rgb-images" / name
        folder.mkdir(parents=True, exist_ok=True)
        for n, image in enumerate(frames, 1):
            cv2.imwrite(str(folder / f"{n:05d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])

