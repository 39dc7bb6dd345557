"""`KinematicEventClassifier`: a training-free baseline labelling agent tubes from their motion and position.

Method (every threshold is a constructor argument):

1. **Ground geometry** (`roadtrack.events.geometry`). Flat road, level camera ``camera_height`` metres up,
   horizon at row ``horizon`` x H, focal length ``focal`` pixels, each defaulting from the image size
   (`CameraGeometry.from_image`), the horizon from the road users' boxes when there are enough of them. A box's ground-contact point (bottom centre) at pixel (u, v) lies at depth
   Z = f h / (v - v0) and lateral offset X = (u - W/2) Z / f, in metres, from the camera.
2. **Ego motion** (`roadtrack.events.ego`, ``ego``): from the frames (a rigid advance and yaw per frame pair
   fitted to road corners, `roadtrack.events.ground_ego`), a CSV of per-frame speed and yaw rate, or the motion
   most tracks share; ``auto`` picks the CSV, else the frames, else the tracks. ``ego_source`` then says which
   was used. The contact point of frame t - k is carried to frame t + k as if static; the agent's own velocity
   is the difference, in metres (lateral, from the contact points) and, for the depth direction, from the
   box-size change left after removing the ego-induced growth: v_z = -Z d(log size)/dt.
3. **Actions.** Soft scores (logistic in the quantity minus its threshold):
   ``Stop`` when the own speed is below ``stop_speed`` m/s (``stop_speed_ped`` for pedestrians); otherwise, by the direction of the own velocity
   relative to the AV's heading, ``MovAway`` / ``MovTow`` (along it) or ``XingFmLft`` / ``XingFmRht`` (across
   it, when the lateral speed exceeds ``lateral_ratio`` times the longitudinal one, by its sign); vehicles
   ``TurLft`` / ``TurRht`` when their heading over the ground (own velocity direction plus the ego's
   accumulated yaw) turns faster than ``turn_rate`` rad/s, and ``Brake`` when decelerating harder than
   ``brake_decel`` m/s^2; pedestrians also the generic ``Mov`` when moving, at half the moving score.
   Traffic lights get ``Red`` / ``Amber`` / ``Green`` from the share of lit pixels of each colour in the
   box. Indicators, hazard lights, waiting to cross, pushing and overtaking are not estimated.
4. **Locations** (``traffic_side``: ``left`` for ROAD's UK roads, ``right`` for ROAD-Waymo and KITTI). Within
   ``lane_width`` / 2 of the camera axis: ``VehLane``. Vehicles beside it: ``OutgoLane`` when moving the AV's
   way, ``IncomLane`` when moving against it; stopped ones by side (the incoming lanes are on the left in
   right-hand traffic, on the right in left-hand traffic). Pedestrians beside it: ``LftPav`` / ``RhtPav``
   by side, ``xing`` when crossing on the road. Crossing or turning vehicles are in the junction (``Jun``).

Example:
    >>> clf = KinematicEventClassifier(labels="road")
    >>> labelled = clf.classify(tubes, "video.mp4")                  # doctest: +SKIP
    >>> labelled[0].labels["action"].shape                            # (T, 19)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from roadtrack.core import EventClassifier, Tube, register
from roadtrack.core.labels import LabelSet, label_set
from roadtrack.events.compose import compose
from roadtrack.events.labels import agent_class_map, agent_name
from roadtrack.events.ego import observe_ego
from roadtrack.events.geometry import AGENT_HEIGHT, CameraGeometry, horizon_from_boxes
from roadtrack.events.motion import physical_motion
from roadtrack.events.observe import CELLS, VideoObservations
from roadtrack.events.tubes import TubeOptions, agent_scores, finalize_tubes, moving_average

_LIGHTS = ("TL", "OthTL")


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def sustained(score: np.ndarray, window: int) -> np.ndarray:
    """(T,) score kept only where it holds for ``window`` frames in a row: a running minimum, then a running
    maximum over the same window (a morphological opening). A blip shorter than the window vanishes; a
    stretch at least that long keeps its values. A tube shorter than the window gets its smallest score.

    Example:
        >>> sustained(np.array([0, 1, 0, 1, 1, 1, 0.0]), 3).tolist()
        [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    """
    n = len(score)
    if window <= 1 or n == 0:
        return score
    if n < window:
        return np.full(n, score.min())
    view = np.lib.stride_tricks.sliding_window_view
    low = view(score, window).min(1)  # low[i]: min over i .. i + window - 1
    padded = np.pad(low, window - 1, mode="constant", constant_values=-np.inf)
    return view(padded, window).max(1)[: n]


TRAFFIC_SIDE = {"road": "left", "road_waymo": "right"}
"""Which side of the road traffic drives on, per label set: ROAD is Oxford (UK), ROAD-Waymo is the US."""


def default_traffic_side(labels: str | LabelSet) -> str:
    """``left`` for ROAD, ``right`` otherwise (ROAD-Waymo, ROAD++, KITTI)."""
    return TRAFFIC_SIDE.get(label_set(labels).name, "right")


@register("event_classifier", "kinematic")
class KinematicEventClassifier(EventClassifier):
    """Heuristic action and location scores from compensated tube motion and ground geometry (see module doc).

    Args:
        labels: dataset whose used label lists the scores follow (``"road"``, ``"road_waymo"``, a `LabelSet`).
        class_names: detector class id -> name, mapped to agents by `agent_class_map`; None when class ids
            already are agent indices of ``labels``.
        horizon: horizon row as a fraction of the image height (default: the one the boxes imply,
            `horizon_from_boxes`, else 0.5).
        focal: focal length, pixels (default 1.1 sqrt(W H)).
        camera_height: camera height above the road, metres (default 1.5).
        traffic_side: ``left`` or ``right``; default by ``labels`` (`default_traffic_side`).
        ego: ego-motion source: ``auto``, ``frames``, ``tracks``, ``none``, a CSV path or an `EgoMotion`.
        fps: frame rate used when the video does not report one.
        capture_fps: the rate the frames were captured at, when it is not the container's (nuScenes keyframes:
            2 Hz written into a 20 fps file); overrides the video's frame rate for all motion.
        lane_width: metres.
        stop_speed: own speed (m/s) below which a vehicle or cyclist counts as stopped (walking pace).
        stop_speed_ped: the same for pedestrians (half a slow walk).
        speed_softness: width (m/s) of the logistic ramps on speeds.
        lateral_ratio: lateral speed must exceed this times the longitudinal speed to count as crossing.
        depth_error: relative error of monocular depth; the depth speed is trusted only beyond this
            fraction of the agent's speed relative to the camera (a parked car passed at 10 m/s shows
            1.5 m/s of spurious own speed with 15 % depth error).
        turn_rate: heading change (rad/s) that counts as turning.
        turn_min_speed: own speed (m/s) below which the heading is too noisy to call a turn.
        brake_decel: deceleration (m/s^2) that counts as braking.
        sustain: seconds a turn or braking must last to be labelled (`sustained`).
        fit_horizon: with ego motion from the frames and no ``horizon``, refit the horizon row to the road's
            motion (`roadtrack.events.ground_ego.fit_horizon`). Off by default: on the KITTI raw clip of
            ../shared (camera nearly level, principal row 173) it moved the row to 128.
        half_window: motion is measured over frames t - k .. t + k (default: half a second each way).
        smooth: moving-average window (frames) applied to velocities.
        image_size: (width, height) in pixels, used when ``classify`` gets no frames (default: the video's).
        tubes: how raw tracker tubes are cleaned first (`TubeOptions`).
    """

    def __init__(self, labels: str | LabelSet = "road", class_names: Mapping[int, str] | None = None,
                 horizon: float | None = None, focal: float | None = None, camera_height: float | None = None,
                 traffic_side: str | None = None, ego: Any = "auto", fps: float = 12.0,
                 capture_fps: float | None = None, lane_width: float = 3.5,
                 stop_speed: float = 1.0, stop_speed_ped: float = 0.5, speed_softness: float = 0.4, lateral_ratio: float = 1.0,
                 depth_error: float = 0.15, turn_rate: float = 0.2, turn_min_speed: float = 3.0, brake_decel: float = 1.5,
                 sustain: float = 1.0, fit_horizon: bool = False, half_window: int | None = None, smooth: int = 7,
                 image_size: tuple[int, int] | None = None,
                 tubes: TubeOptions | Mapping[str, Any] = TubeOptions()) -> None:
        self.labels = label_set(labels)
        self.class_map = agent_class_map(class_names, self.labels)
        if horizon is not None and not 0 < horizon < 1:
            raise ValueError(f"horizon is a fraction of the image height, 0 < horizon < 1; got {horizon}")
        if (focal is not None and focal <= 0) or (camera_height is not None and camera_height <= 0) or fps <= 0:
            raise ValueError("focal, camera_height and fps must be positive")
        if capture_fps is not None and capture_fps <= 0:
            raise ValueError(f"capture_fps must be positive, got {capture_fps}")
        self.traffic_side = traffic_side or default_traffic_side(self.labels)
        if self.traffic_side not in ("left", "right"):
            raise ValueError(f"traffic_side must be 'left' or 'right', got {traffic_side!r}")
        self.horizon, self.focal, self.camera_height, self.fps = horizon, focal, camera_height, fps
        self.ego, self.ego_source, self.geometry, self.ego_report = ego, None, None, {}
        self.capture_fps, self.used_fps = capture_fps, None
        self.lane_width = lane_width
        self.stop_speed_ped = stop_speed_ped
        self.stop_speed, self.speed_softness, self.lateral_ratio = stop_speed, speed_softness, lateral_ratio
        self.turn_min_speed, self.depth_error = turn_min_speed, depth_error
        self.turn_rate, self.brake_decel, self.half_window, self.smooth = turn_rate, brake_decel, half_window, smooth
        self.sustain, self.fit_horizon = sustain, fit_horizon
        self.image_size = None if image_size is None else (int(image_size[0]), int(image_size[1]))
        self.tube_options = tubes if isinstance(tubes, TubeOptions) else TubeOptions(**tubes)

    def geometry_of(self, size: tuple[float, float], tubes: Sequence[Tube] = (),
                    heights: Sequence[float | None] = ()) -> CameraGeometry:
        """The camera for frames of ``size`` (width, height): the options; defaults from the size, the horizon
        from the tubes' boxes when there are enough (`horizon_from_boxes`)."""
        horizon = self.horizon
        if horizon is None:
            horizon = horizon_from_boxes([t.xyxy for t in tubes], heights, size, self.camera_height)
        return CameraGeometry.from_image(size, self.focal, horizon, self.camera_height)

    def run_info(self) -> dict[str, Any]:
        """What the last ``classify`` used (for ``run.json``): ego-motion source, traffic side, camera."""
        g = self.geometry
        camera = None if g is None else {"focal_px": round(g.focal, 1), "horizon_row": round(g.horizon, 1),
                                         "camera_height_m": g.height, "image_size": list(g.size)}
        info = {"classifier": "kinematic", "ego_motion": self.ego_source, "ego_motion_option": str(self.ego),
                "traffic_side": self.traffic_side, "camera": camera, "fps": self.used_fps}
        if self.ego_report:
            info["ego_from_frames"] = dict(self.ego_report)
        return info

    def classify(self, tubes: Sequence[Tube], video: Any = None) -> list[Tube]:
        """Clean the tubes (`finalize_tubes`) and fill ``labels`` for every label type.

        Args:
            tubes: raw tracker tubes, boxes in pixels of ``video``'s frames.
            video: the frames (path, `FrameSource` or iterable of BGR images) for ego-motion and traffic-light
                colour; None: ego motion from a CSV or the tracks (``ego``), uninformative colours (pass
                ``image_size`` then).

        Returns:
            Agent tubes with ``labels`` ``agent`` (T, A), ``action`` (T, B), ``loc`` (T, L), ``duplex`` and
            ``triplet`` score arrays in [0, 1].
        """
        clean = finalize_tubes(tubes, self.tube_options)
        fps = float(self.capture_fps or getattr(video, "fps", None) or self.fps)
        self.used_fps, self.ego_report = fps, {}
        names = [agent_name(t, self.class_map, self.labels) for t in clean]
        heights = [AGENT_HEIGHT.get(n) for n in names]
        obs, geometry, self.ego_source = observe_ego(
            self.ego, video, clean, fps, lambda size: self.geometry_of(size, clean, heights), self.image_size, heights,
            self.ego_report, fit_horizon_to_road=self.fit_horizon and self.horizon is None)
        self.geometry = geometry
        out = []
        for tube, appearance, name in zip(clean, obs.appearance, names):
            action, loc = self.scores(tube, obs, appearance, geometry, fps, name)
            scores = {"agent": agent_scores(tube, len(self.labels.agent), self.class_map), "action": action, "loc": loc}
            out.append(Tube(tube.track_id, tube.frames, tube.xyxy, tube.scores, tube.class_ids,
                            compose(scores, self.labels)))
        return out

    def scores(self, tube: Tube, obs: VideoObservations, appearance: np.ndarray, geometry: CameraGeometry,
               fps: float, agent: str) -> tuple[np.ndarray, np.ndarray]:
        """(T, B) action and (T, L) location scores of one clean tube.

        Args:
            tube: contiguous frames, boxes in pixels.
            obs: the video's ego-motion.
            appearance: (T, APPEARANCE_DIM) colour descriptors of the tube's boxes.
            geometry: the camera.
            fps: frames per second.
            agent: the tube's agent name (``"TL"``, ``"Ped"``, ...; ``""`` when not an agent class).
        """
        n = len(tube)
        actions, locs = self.labels.action, self.labels.loc
        act = np.zeros((n, len(actions)))
        loc = np.zeros((n, len(locs)))
        if agent in _LIGHTS:
            lit = appearance.reshape(n, CELLS * CELLS, -1)[:, :, 3:].mean(1)
            share = lit[:, :3] / (lit[:, :3].sum(1, keepdims=True) + 0.01)
            for k, colour in enumerate(("Red", "Amber", "Green")):
                if colour in actions:
                    act[:, actions.index(colour)] = moving_average(share[:, k], self.smooth)
            return act, loc
        half = self.half_window if self.half_window is not None else max(2, round(0.5 * fps))
        k = physical_motion(tube, obs, geometry, fps, half, self.smooth, AGENT_HEIGHT.get(agent))
        vx, vz = k.velocity[:, 0], k.velocity[:, 1]
        margin = self.depth_error * np.abs(k.relative[:, 1])
        speed = np.hypot(vx, np.sign(vz) * np.maximum(np.abs(vz) - margin, 0.0))
        soft = self.speed_softness
        vehicle = agent != "Ped"
        moving = _sig((speed - (self.stop_speed if vehicle else self.stop_speed_ped)) / soft)
        lateral = _sig((np.abs(vx) - self.lateral_ratio * np.abs(vz)) / soft)

        def put(name: str, value: np.ndarray) -> None:
            if name in actions:
                act[:, actions.index(name)] = value

        put("Stop", 1.0 - moving)
        put("MovAway", moving * (1 - lateral) * _sig(vz / soft))
        put("MovTow", moving * (1 - lateral) * _sig(-vz / soft))
        put("XingFmLft", moving * lateral * _sig(vx / soft))
        put("XingFmRht", moving * lateral * _sig(-vx / soft))
        turning = np.zeros(n)
        if vehicle:
            rate = k.turn_rate  # a left turn decreases the heading (X right, Z forward)
            fast = moving * _sig((speed - self.turn_min_speed) / soft)
            left = fast * _sig((-rate - self.turn_rate) / (self.turn_rate / 3))
            right = fast * _sig((rate - self.turn_rate) / (self.turn_rate / 3))
            # Turns and braking last seconds; a heading or speed blip of a few frames is depth noise, a box cut by
            # the image edge or a tracker switch, so both must hold for ``sustain`` seconds.
            hold = max(1, int(round(self.sustain * fps)))
            # A box cut by the image's side edge moves its centre as the car enters or leaves: no heading there.
            width = geometry.size[0]
            cut = (tube.xyxy[:, 0] <= 2) | (tube.xyxy[:, 2] >= width - 2)
            near_cut = np.lib.stride_tricks.sliding_window_view(np.pad(cut, half), 2 * half + 1).any(1)
            left, right = sustained(left * ~near_cut, hold), sustained(right * ~near_cut, hold)
            put("TurLft", left)
            put("TurRht", right)
            turning = np.maximum(left, right)
            accel = moving_average(np.gradient(speed) * fps if n > 1 else np.zeros(n), self.smooth)
            put("Brake", sustained(moving * _sig((-accel - self.brake_decel) / 0.5), hold))
        else:
            put("Mov", 0.5 * moving)  # the generic label ranks below the directional ones
        self._locations(loc, k.position[:, 0], vehicle, moving, lateral, vz, turning)
        return act, loc

    def _locations(self, loc: np.ndarray, x: np.ndarray, vehicle: bool, moving: np.ndarray, lateral: np.ndarray,
                   vz: np.ndarray, turning: np.ndarray) -> None:
        """Fill (T, L) ``loc`` from lateral offsets ``x`` (T,) metres and the motion scores (module doc, 4)."""
        names, s, half = self.labels.loc, 0.4, self.lane_width / 2

        def put(name: str, value: np.ndarray) -> None:
            if name in names:
                loc[:, names.index(name)] = value

        in_lane = _sig((x + half) / s) * _sig((half - x) / s)
        right, left = _sig((x - half) / s), _sig((-half - x) / s)
        put("VehLane", in_lane)
        crossing = moving * lateral
        if vehicle:
            along = (1.0 - crossing) * (1.0 - in_lane)
            soft = self.speed_softness
            incoming_side = left if self.traffic_side == "right" else right
            outgoing_side = 1.0 - in_lane - incoming_side
            same = moving * _sig(vz / soft) + (1 - moving) * outgoing_side / np.maximum(1.0 - in_lane, 1e-6)
            put("OutgoLane", along * np.clip(same, 0, 1))
            put("IncomLane", along * np.clip(1.0 - same, 0, 1))
            put("Jun", np.maximum(crossing, turning))
        else:
            put("LftPav", left * (1.0 - crossing))
            put("RhtPav", right * (1.0 - crossing))
            put("xing", (1.0 - in_lane) * crossing)
