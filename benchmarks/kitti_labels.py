"""Road-event labels derived from the KITTI tracking 3D labels by physical rules (no fitting).

    python benchmarks/kitti_labels.py OUT_DIR          # OUT_DIR/tracks/<seq>.csv and OUT_DIR/ego/<seq>.csv

Input: ``../shared/data/kitti_tracking/training/label_02/<seq>.txt``, one object per line
``frame track_id type truncated occluded alpha x1 y1 x2 y2 h w l X Y Z rotation_y``: (X, Y, Z) is the bottom
centre of the object's 3D box in the camera frame of that image (metres; X right, Y down, Z forward), and
rotation_y its heading about the vertical axis (heading vector (cos ry, -sin ry) in (X, Z)). The camera is
1.65 m above the road, 10 frames per second. No ego motion (GPS/IMU) is in the kit, so it is recovered from the
labels themselves (rule 1). Types: Car -> ``Car``, Van -> ``MedVeh``, Truck and Tram -> ``LarVeh``, Cyclist ->
``Cyc``, Pedestrian and Person_sitting -> ``Ped``; Misc and DontCare are left out. Directions on the ground are
angles ``phi = atan2(X, Z)`` (0 straight ahead, positive to the right; an object's heading is ry + pi/2).

Rules (every threshold is a physical quantity; none was chosen from a classifier's scores; rule 1 was revised
while checking the recovered ego speeds for physical plausibility, e.g. no jumps of 20 m/s between frames):

1. **Ego motion.** Between consecutive frames the ego's rotation is the median change of heading of the objects
   seen in both (parked and straight-moving objects all turn by it); then every object proposes the translation
   that maps its old position, so rotated, onto its new one, averaged over the objects that agree with it
   (within 0.3 m + 2 % of the distance). Its support is the number of objects that agree, minus
   10 for every pedestrian it would make faster than 3 m/s. Over the whole sequence, one proposal per frame is
   chosen (Viterbi) to maximise the support, less 10 per m/s of any change of the ego's velocity beyond
   5 m/s^2 (a car cannot jump from one speed to another). With no object in common, the previous proposals
   carry over. Composing the steps, after a median over the 5 steps around each (label noise), gives each
   frame's pose in the first frame's axes. Static things (parked cars, standing people) outnumber movers in
   most of these urban sequences; where none is labelled (stretches of 0004 and 0005: only traffic moving
   with or against the AV), the recovered ego speed can be that of the traffic, and so are the labels.
2. **Velocity** of an object at frame t: least-squares slope of its world position over the frames t - 5 .. t + 5
   where it is seen (at least 5 frames), rotated into the camera axes of frame t (vx lateral, vz forward), m/s.
3. **Motion.** ``Stop`` when the speed is below 1.0 m/s for vehicles and cyclists (walking pace) or 0.5 m/s for
   pedestrians (half a slow walk); otherwise moving.
4. **Direction** of a moving object, from its velocity relative to the AV's heading: crossing when |vx| > |vz|,
   ``XingFmLft`` when vx > 0 (left to right), ``XingFmRht`` when vx < 0; otherwise ``MovAway`` when vz > 0,
   ``MovTow`` when vz < 0.
5. **Turn** (vehicles and cyclists, moving): the heading over the ground (ry + pi/2 plus the ego's rotation since
   the first frame) changes faster than 0.2 rad/s (11.5 deg/s; a junction turn of 90 degrees takes 3-8 s, a lane
   change stays under 0.1 rad/s), least-squares slope over t - 5 .. t + 5: ``TurLft`` when it decreases,
   ``TurRht`` when it increases.
6. **Location**, from the lateral offset X in frame t's camera axes, lanes 3.5 m wide, right-hand traffic:
   |X| < 1.75 m: ``VehLane``. Vehicles and cyclists beside it: no lane when crossing (rule 4); ``OutgoLane``
   when moving with vz > 0, ``IncomLane`` when vz < 0; stopped ones ``IncomLane`` on the left (X < 0), where
   oncoming traffic drives in right-hand traffic, ``OutgoLane`` on the right. Pedestrians beside it:
   ``LftPav`` (X < -1.75 m) or ``RhtPav`` (X > 1.75 m).

A frame is labelled (takes part in the scores) when rule 2 had its 5 frames; other frames carry no labels.
Labels are ROAD-Waymo names, so a classifier with ``road_waymo`` lists is scored on them directly.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import SHARED  # noqa: E402

from roadtrack.events.ego import EgoMotion, write_ego_csv  # noqa: E402
from roadtrack.events.geometry import rotation_angle  # noqa: E402

LABELS = SHARED / "data" / "kitti_tracking" / "training" / "label_02"
SEQUENCES = [f"{i:04d}" for i in range(21)]
FPS = 10.0
IMAGE_SIZE = (1242, 375)  # the usual KITTI frame size (a few sequences are up to 18 px narrower)
AGENTS = {"Car": "Car", "Van": "MedVeh", "Truck": "LarVeh", "Tram": "LarVeh", "Cyclist": "Cyc",
          "Pedestrian": "Ped", "Person_sitting": "Ped"}
ACTIONS = ("Stop", "MovAway", "MovTow", "XingFmLft", "XingFmRht", "TurLft", "TurRht")
LOCATIONS = ("VehLane", "OutgoLane", "IncomLane", "LftPav", "RhtPav")
EVALUATED = ACTIONS + LOCATIONS
HALF_WINDOW, MIN_FRAMES, LANE = 5, 5, 3.5
STOP = {"Ped": 0.5}  # m/s; others 1.0
TURN_RATE = 0.2
PED_MAX = 3.0  # m/s: no pedestrian in these scenes runs faster
ACCEL = 5.0  # m/s^2: the ego car's speed changes no faster
JUMP_COST = 10.0  # support lost per m/s of ego velocity change beyond ACCEL


@dataclasses.dataclass
class Sequence:
    """One KITTI sequence's objects, row per (object, frame), rows grouped by track then frame."""

    name: str
    frame: np.ndarray  # (N,) int
    track: np.ndarray  # (N,) int
    agent: np.ndarray  # (N,) str
    box: np.ndarray  # (N, 4) xyxy pixels
    ground: np.ndarray  # (N, 2) X, Z metres
    ry: np.ndarray  # (N,)
    labels: list[set[str]] = dataclasses.field(default_factory=list)  # per row; empty when not labelled
    labelled: np.ndarray | None = None  # (N,) bool
    pose: np.ndarray | None = None  # (F, 3, 3) frame's ground (X, Z, 1) -> first frame's axes
    motion: np.ndarray | None = None  # (N, 3) vx, vz (m/s, camera axes) and heading rate (rad/s); NaN unlabelled


def read_sequence(name: str, root: Path = LABELS) -> Sequence:
    rows = [line.split() for line in (root / f"{name}.txt").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r[2] in AGENTS]
    frame = np.array([int(r[0]) for r in rows])
    track = np.array([int(r[1]) for r in rows])
    order = np.lexsort((frame, track))
    num = np.array([[float(v) for v in r[6:10] + r[13:17]] for r in rows])[order]
    return Sequence(name, frame[order], track[order], np.array([AGENTS[r[2]] for r in rows])[order], num[:, :4],
                    num[:, [4, 6]], num[:, 7])


def _rot(a: float) -> np.ndarray:
    """2x2 rotation adding ``a`` to angles atan2(X, Z)."""
    return np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])


def _rigid(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray]:
    """Least-squares (a, T) with dst ~ R(a) src + T (2-D Kabsch)."""
    cs, cd = src.mean(0), dst.mean(0)
    s, d = src - cs, dst - cd
    a = np.arctan2(np.sum(s[:, 1] * d[:, 0] - s[:, 0] * d[:, 1]), np.sum(s * d))
    return float(a), cd - _rot(a) @ cs


def _hypotheses(seq: Sequence, by_frame: dict, f: int) -> list[tuple[float, np.ndarray, float]]:
    """Rule 1's proposals for the step into frame ``f``: (rotation, translation, support), one per object."""
    a_rows, b_rows = by_frame.get(f - 1, np.zeros(0, int)), by_frame.get(f, np.zeros(0, int))
    common = np.intersect1d(seq.track[a_rows], seq.track[b_rows])
    if len(common) == 0:
        return []
    ia = a_rows[np.searchsorted(seq.track[a_rows], common)]
    ib = b_rows[np.searchsorted(seq.track[b_rows], common)]
    src, dst = seq.ground[ia], seq.ground[ib]
    tol = 0.3 + 0.02 * dst[:, 1]
    ped = seq.agent[ib] == "Ped"
    turn = np.angle(np.exp(1j * (seq.ry[ib] - seq.ry[ia])))
    turn = (turn + np.pi / 2) % np.pi - np.pi / 2  # headings are annotated up to a half turn
    a = float(np.median(turn))  # static and straight-moving objects all turn by the ego's yaw
    moved = dst - src @ _rot(a).T  # each object's proposal for the translation
    out = []
    for i in range(len(common)):
        miss = np.linalg.norm(moved - moved[i], axis=1)
        inl = miss < tol
        support = inl.sum() - 10.0 * np.sum(ped & (miss * FPS > PED_MAX))
        out.append((a, moved[inl].mean(0), float(support)))
    return out


def ego_poses(seq: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Rule 1: per frame, the step (3, 3) from the previous frame's ground axes, and the pose in the first's."""
    last = int(seq.frame.max())
    by_frame = {int(f): np.flatnonzero(seq.frame == f) for f in np.unique(seq.frame)}
    layers: list[list[tuple[float, np.ndarray, float]]] = [[(0.0, np.zeros(2), 0.0)]]
    for f in range(1, last + 1):
        layers.append(_hypotheses(seq, by_frame, f) or [(a, t, 0.0) for a, t, _ in layers[-1]])
    # Viterbi over the proposals: most support, and no jump faster than the ego can accelerate
    cost = [np.array([-h[2] for h in layers[0]])]
    back = [np.zeros(1, int)]
    for prev, cur in zip(layers[:-1], layers[1:]):
        jump = np.array([[np.linalg.norm(c[1] - p[1]) * FPS for p in prev] for c in cur])  # m/s change
        total = cost[-1][None, :] + JUMP_COST * np.maximum(jump - ACCEL / FPS, 0.0)
        back.append(total.argmin(1))
        cost.append(total.min(1) - np.array([c[2] for c in cur]))
    steps = np.tile(np.eye(3), (last + 1, 1, 1))
    k = int(cost[-1].argmin())
    for f in range(last, -1, -1):
        a, t, _ = layers[f][k]
        steps[f][:2, :2], steps[f][:2, 2] = _rot(a), t
        k = int(back[f][k])
    steps = _smooth_steps(steps)
    pose = np.empty_like(steps)
    pose[0] = np.eye(3)
    for f in range(1, last + 1):
        pose[f] = pose[f - 1] @ np.linalg.inv(steps[f])
    return steps, pose


def _smooth_steps(steps: np.ndarray, half: int = 2) -> np.ndarray:
    """Median of each step's rotation and translation over the 2 * half + 1 steps around it (label noise)."""
    params = np.c_[rotation_angle(steps), steps[:, 0, 2], steps[:, 1, 2]]
    padded = np.pad(params, ((half, half), (0, 0)), mode="edge")
    med = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0), axis=2)
    out = np.tile(np.eye(3), (len(steps), 1, 1))
    for f, (a, tx, tz) in enumerate(med):
        out[f][:2, :2], out[f][:2, 2] = _rot(a), (tx, tz)
    return out


def ego_motion(steps: np.ndarray) -> EgoMotion:
    """The steps as per-frame speed and yaw rate (`roadtrack.events.ego` CSV conventions)."""
    yaw = rotation_angle(steps)
    forward = -(np.sin(yaw) * steps[:, 0, 2] + np.cos(yaw) * steps[:, 1, 2])
    frames = np.arange(len(steps))
    # step f carries f - 1 to f: it is the motion around f - 0.5; the CSV gives it to frame f - 1
    return EgoMotion(frames, np.r_[forward[1:], forward[-1:]] * FPS, np.r_[yaw[1:], yaw[-1:]] * FPS, "labels")


def _slope(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    tc = t - t.mean()
    return (tc[:, None] * (y - y.mean(0))).sum(0) / (tc ** 2).sum()


def derive_labels(seq: Sequence) -> Sequence:
    """Rules 1-6: fills ``labels``, ``labelled`` and ``pose``."""
    _, pose = ego_poses(seq)
    seq.pose = pose
    world = np.einsum("nij,nj->ni", pose[seq.frame], np.c_[seq.ground, np.ones(len(seq.frame))])[:, :2]
    theta = rotation_angle(pose[seq.frame])
    heading = seq.ry + np.pi / 2 + theta
    seq.labels = [set() for _ in range(len(seq.frame))]
    seq.labelled = np.zeros(len(seq.frame), bool)
    seq.motion = np.full((len(seq.frame), 3), np.nan)
    starts = np.flatnonzero(np.r_[True, np.diff(seq.track) != 0, True])
    for lo, hi in zip(starts[:-1], starts[1:]):
        frames = seq.frame[lo:hi]
        # heading differences taken modulo a half turn (annotated headings may flip), then re-accumulated
        step = np.diff(heading[lo:hi])
        step = (step + np.pi / 2) % np.pi - np.pi / 2
        head = np.r_[heading[lo], heading[lo] + np.cumsum(step)]
        for j in range(hi - lo):
            near = np.abs(frames - frames[j]) <= HALF_WINDOW
            if near.sum() < MIN_FRAMES:
                continue
            t = frames[near] / FPS
            v_world = _slope(t, world[lo:hi][near])
            vx, vz = _rot(-theta[lo + j]) @ v_world
            rate = float(_slope(t, head[near][:, None])[0])
            seq.labelled[lo + j] = True
            seq.motion[lo + j] = vx, vz, rate
            seq.labels[lo + j] = row_labels(seq.agent[lo + j], float(seq.ground[lo + j, 0]), vx, vz, rate)
    return seq


def row_labels(agent: str, x: float, vx: float, vz: float, turn_rate: float, traffic: str = "right") -> set[str]:
    """Rules 3-6 for one object-frame: lateral offset ``x`` (m), velocity (vx, vz) (m/s), heading rate (rad/s)."""
    out: set[str] = set()
    vehicle = agent != "Ped"
    moving = np.hypot(vx, vz) >= STOP.get(agent, 1.0)
    crossing = moving and abs(vx) > abs(vz)
    if not moving:
        out.add("Stop")
    elif crossing:
        out.add("XingFmLft" if vx > 0 else "XingFmRht")
    else:
        out.add("MovAway" if vz > 0 else "MovTow")
    if vehicle and moving and abs(turn_rate) > TURN_RATE:
        out.add("TurLft" if turn_rate < 0 else "TurRht")
    if abs(x) < LANE / 2:
        out.add("VehLane")
    elif not vehicle:
        out.add("LftPav" if x < 0 else "RhtPav")
    elif not crossing:
        incoming_side = (x < 0) == (traffic == "right")
        incoming = vz < 0 if moving else incoming_side
        out.add("IncomLane" if incoming else "OutgoLane")
    return out


def write_tracks_csv(path: Path, seq: Sequence) -> None:
    """The labelled-tracks CSV ``roadtrack train-events --tracks`` reads (`roadtrack.events.track_samples`)."""
    with open(path, "w") as handle:
        handle.write("frame,track_id,agent,x1,y1,x2,y2,labelled,action,loc\n")
        for i in range(len(seq.frame)):
            acts = "|".join(sorted(n for n in seq.labels[i] if n in ACTIONS))
            locs = "|".join(sorted(n for n in seq.labels[i] if n in LOCATIONS))
            x1, y1, x2, y2 = seq.box[i]
            handle.write(f"{seq.frame[i]},{seq.track[i]},{seq.agent[i]},{x1:.2f},{y1:.2f},{x2:.2f},{y2:.2f},"
                         f"{int(seq.labelled[i])},{acts},{locs}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="writes OUT/tracks/<seq>.csv and OUT/ego/<seq>.csv")
    args = parser.parse_args()
    out = Path(args.out)
    (out / "tracks").mkdir(parents=True, exist_ok=True)
    (out / "ego").mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name in SEQUENCES:
        seq = derive_labels(read_sequence(name))
        steps, _ = ego_poses(seq)
        write_tracks_csv(out / "tracks" / f"{name}.csv", seq)
        write_ego_csv(out / "ego" / f"{name}.csv", ego_motion(steps))
        for labels in seq.labels:
            for n in labels:
                counts[n] = counts.get(n, 0) + 1
    print("labelled object-frames per label:", {n: counts.get(n, 0) for n in EVALUATED})


if __name__ == "__main__":
    main()
