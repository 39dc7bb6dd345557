"""Per-frame tube features for the learned event classifier (numpy only; torch is not needed here).

Each frame of an agent tube is described by (all unitless, roughly in [-5, 5]):

* geometry (8): box centre, width, height (fractions of the image), log height, ground-contact point, and the
  contact's lateral ground offset in camera heights on a flat road, (u - W/2) / (v - v0) with v0 the horizon
  row (lanes and pavements are bands of this value);
* motion (11): image velocity of the contact point observed, own (ego-motion removed) and ego-induced, in box
  heights per frame; the matching d log(size)/dt; the own lateral ground velocity (camera heights per frame);
  the detection score (`roadtrack.events.motion`);
* agent (A): the tube's agent-class vote shares (`roadtrack.events.tubes.agent_scores` without the score);
* appearance (63): the box's colour descriptor (`roadtrack.events.observe.box_appearance`);
* physical (10): what the kinematic rules look at, in metres and seconds on a flat road
  (`roadtrack.events.motion.physical_motion` with the camera `geometry`): lateral offset in lanes (3.5 m),
  log depth, own velocity (lateral, forward), own speed less the monocular depth error, velocity relative to
  the camera, heading rate, and the ego's speed and yaw rate at that frame;
* rules (16): the kinematic classifier's scores of `RULE_LABELS` (`KinematicEventClassifier.scores` with
  the same camera and ego motion), which the network can correct rather than rediscover.

Context, in the spirit of ACAR-Net's actor-context relations: for each tube frame, the K other agents nearest
in the image on that frame, each as (offset of centres in image fractions, log size ratio, its agent shares,
its own motion); the model attends over them.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from roadtrack.core import Tube
from roadtrack.core.labels import LabelSet
from roadtrack.events.ego import ego_from_observations
from roadtrack.events.geometry import AGENT_HEIGHT, CameraGeometry
from roadtrack.events.motion import physical_motion, tube_motion
from roadtrack.events.observe import APPEARANCE_DIM, VideoObservations
from roadtrack.events.tubes import agent_scores

GEOMETRY_DIM, MOTION_DIM, PHYSICAL_DIM = 8, 11, 10
RULE_LABELS = ("Stop", "MovAway", "MovTow", "XingFmLft", "XingFmRht", "TurLft", "TurRht", "Brake", "Mov",
               "VehLane", "OutgoLane", "IncomLane", "LftPav", "RhtPav", "Jun", "xing")
"""The kinematic classifier's scores the learned one sees (0 where the label set has no such label)."""


def actor_dim(num_agents: int) -> int:
    """Length of a tube frame's feature vector."""
    return GEOMETRY_DIM + MOTION_DIM + num_agents + APPEARANCE_DIM + PHYSICAL_DIM + len(RULE_LABELS)


def context_dim(num_agents: int) -> int:
    """Length of one context (other agent) feature vector."""
    return 3 + num_agents + 3


@dataclasses.dataclass(frozen=True, eq=False)
class TubeFeatures:
    """Model inputs for one tube.

    Attributes:
        actor: (T, actor_dim) float32.
        context: (T, K, context_dim) float32.
        context_mask: (T, K) bool, True where a context slot holds an agent.
    """

    actor: np.ndarray
    context: np.ndarray
    context_mask: np.ndarray

    def __len__(self) -> int:
        return int(self.actor.shape[0])


def tube_features(tubes: Sequence[Tube], obs: VideoObservations, image_size: tuple[float, float], num_agents: int,
                  class_map: np.ndarray | None = None, context: int = 6, half_window: int = 2,
                  horizon: float = 0.4, geometry: CameraGeometry | None = None, fps: float = 10.0,
                  agent_names: Sequence[str] = (), labels: LabelSet | None = None) -> list[TubeFeatures]:
    """Features of every frame of every tube of one video.

    Args:
        tubes: clean agent tubes (contiguous frames), boxes in pixels.
        obs: the video's observations (ego-motion, appearance of these tubes' boxes).
        image_size: (width, height), pixels.
        num_agents: number of agent classes.
        class_map: detector class -> agent index (see `roadtrack.events.labels.agent_class_map`).
        context: K, other agents kept per frame.
        half_window: motion is measured over t - k .. t + k.
        horizon: horizon row as a fraction of the height (for the lateral ground offset).
        geometry: the camera for the physical features (default `CameraGeometry.from_image` with ``horizon``).
        fps: frames per second.
        agent_names: per tube, its agent name (typical heights for depth, `AGENT_HEIGHT`); default none.
        labels: the label set, for the kinematic rules' scores (None: that block is zero).

    Returns:
        One `TubeFeatures` per tube.
    """
    w, h = image_size
    geometry = geometry or CameraGeometry.from_image(image_size, horizon=horizon)
    ego = ego_from_observations(obs, geometry, fps)
    rules = None
    if labels is not None:
        from roadtrack.events.kinematic import KinematicEventClassifier

        rules = KinematicEventClassifier(labels=labels, fps=fps)
    actors, summaries = [], []
    for i, (tube, appearance) in enumerate(zip(tubes, obs.appearance)):
        box = tube.xyxy
        bw, bh = np.maximum(box[:, 2] - box[:, 0], 1.0), np.maximum(box[:, 3] - box[:, 1], 1.0)
        m = tube_motion(tube, obs, half_window)
        geometry_f = np.stack([(box[:, 0] + box[:, 2]) / (2 * w), (box[:, 1] + box[:, 3]) / (2 * h), bw / w, bh / h,
                             np.log(bh / h), m.contact[:, 0] / w, m.contact[:, 1] / h,
                             np.clip(_lateral(m.contact, image_size, horizon), -10, 10) / 2], 1)
        per_height = np.c_[m.raw, m.own, m.ego] / bh[:, None]
        shift = _lateral(m.end, image_size, horizon) - _lateral(m.start, image_size, horizon)
        own_lateral = np.clip(shift, -2, 2) / np.maximum(m.dt, 1.0)
        motion = np.c_[per_height * 10, np.c_[m.raw_scale, m.own_scale, m.ego_scale] * 10, own_lateral * 10,
                       tube.scores]
        share = agent_scores(tube, num_agents, class_map) / np.maximum(tube.scores, 1e-6)[:, None]
        name = agent_names[i] if i < len(agent_names) else ""
        physical = _physical(tube, obs, geometry, fps, half_window, AGENT_HEIGHT.get(name), ego)
        rule = np.zeros((len(tube), len(RULE_LABELS)))
        if rules is not None:
            act, loc = rules.scores(tube, obs, appearance, geometry, fps, name)
            for j, label in enumerate(RULE_LABELS):
                for kind, values in (("action", act), ("loc", loc)):
                    if label in labels[kind]:
                        rule[:, j] = values[:, labels[kind].index(label)]
        actors.append(np.clip(np.c_[geometry_f, motion, share, appearance, physical, rule], -5, 5).astype(np.float32))
        summaries.append(np.c_[geometry_f[:, :2], np.log(np.sqrt(bw * bh) / h), share, per_height[:, 2:4] * 10,
                               m.own_scale * 10])
    contexts = _context(tubes, summaries, context, num_agents)
    return [TubeFeatures(a, c, k) for a, (c, k) in zip(actors, contexts)]


def _physical(tube: Tube, obs: VideoObservations, geometry: CameraGeometry, fps: float, half_window: int,
              height: float | None, ego) -> np.ndarray:
    """(T, PHYSICAL_DIM) features of one tube (module doc), scaled to about [-5, 5]."""
    m = physical_motion(tube, obs, geometry, fps, max(half_window, 4), 5, height)
    vz = m.velocity[:, 1]
    margin = 0.15 * np.abs(m.relative[:, 1])  # the kinematic classifier's depth_error
    speed = np.hypot(m.velocity[:, 0], np.sign(vz) * np.maximum(np.abs(vz) - margin, 0.0))
    ego_speed, ego_yaw = ego.at(tube.frames)
    return np.c_[m.position[:, 0] / 3.5, np.log(np.maximum(m.position[:, 1], 1.0) / 10.0), m.velocity / 5.0,
                 speed / 5.0, m.relative / np.array([5.0, 10.0]), m.turn_rate / 0.3, ego_speed / 10.0,
                 ego_yaw / 0.2]


def _lateral(points: np.ndarray, image_size: tuple[float, float], horizon: float) -> np.ndarray:
    """(N, 2) pixels -> (N,) lateral ground offset in camera heights on a flat road, (u - W/2) / (v - v0)."""
    w, h = image_size
    return (points[:, 0] - w / 2) / np.maximum(points[:, 1] - horizon * h, 0.01 * h)


def _context(tubes: Sequence[Tube], summaries: list[np.ndarray], k: int, num_agents: int):
    """For each tube frame, the K nearest other agents on the same frame: (T, K, context_dim) and mask (T, K)."""
    dim = context_dim(num_agents)
    out = [(np.zeros((len(t), k, dim), np.float32), np.zeros((len(t), k), bool)) for t in tubes]
    if not tubes or k == 0:
        return out
    frames = np.concatenate([t.frames for t in tubes])
    owner = np.concatenate([np.full(len(t), i) for i, t in enumerate(tubes)])
    row = np.concatenate([np.arange(len(t)) for t in tubes])
    table = np.concatenate(summaries)
    order = np.argsort(frames, kind="stable")
    frames, owner, row, table = frames[order], owner[order], row[order], table[order]
    bounds = np.flatnonzero(np.r_[True, np.diff(frames) != 0, True])
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a < 2:
            continue
        s = table[a:b]
        offset = s[None, :, :2] - s[:, None, :2]  # (N, N, 2): other minus self
        dist = np.hypot(offset[..., 0], offset[..., 1]) + np.eye(b - a) * 1e9
        nearest = np.argsort(dist, axis=1)[:, :k]
        valid = np.take_along_axis(dist, nearest, 1) < 1e8
        rel = np.concatenate([np.take_along_axis(offset, nearest[..., None], 1),
                              (s[nearest, 2] - s[:, None, 2])[..., None], s[nearest, 3:]], axis=2)
        for i in range(b - a):
            feats, mask = out[owner[a + i]]
            n = int(valid[i].sum())
            feats[row[a + i], :n] = np.clip(rel[i, :n], -5, 5)
            mask[row[a + i], :n] = True
    return out
