"""`KinematicEventClassifier`: a training-free baseline labelling agent tubes from their motion and position.

Method (every threshold is a constructor argument):

1. **Ground geometry.** Flat road, camera ``camera_height`` metres up, horizon at row ``horizon`` x H, focal
   length ``focal`` x W pixels. A box's ground-contact point (bottom centre) at pixel (u, v) lies at depth
   Z = f h / (v - v0) and lateral offset X = (u - W/2) Z / f, in metres, from the camera.
2. **Camera-motion compensation.** The contact point of frame t - k is carried to frame t + k by the
   ground-plane homography estimated from the background (`roadtrack.events.observe`): where a static object
   would be. The agent's own velocity is the difference, in metres (lateral, from the contact points) and, for
   the depth direction, from the box-size change left after removing the ego-induced growth:
   v_z = -Z d(log size)/dt.
3. **Actions.** Soft scores (logistic in the quantity minus its threshold):
   ``Stop`` when the own speed is below ``stop_speed`` m/s, else ``MovAway`` / ``MovTow`` by the sign of the
   velocity along the line of sight; ``XingFmLft`` / ``XingFmRht`` when the lateral speed dominates
   (``lateral_ratio``), by its sign; vehicles ``TurLft`` / ``TurRht`` when the heading turns faster than
   ``turn_rate`` rad/s, and ``Brake`` when decelerating harder than ``brake_decel`` m/s^2; pedestrians also
   the generic ``Mov`` when moving, at half the moving score. Traffic lights get ``Red`` / ``Amber`` /
   ``Green`` from the share of lit pixels of each colour in the box. Indicators, hazard lights, waiting to
   cross, pushing and overtaking are not estimated.
4. **Locations.** Lanes by lateral offset: the AV's lane (``VehLane``) is centred on the camera and
   ``lane_width`` wide, ``lanes_right`` / ``lanes_left`` follow outward, then ``pavement_width`` of pavement
   (``RhtPav`` / ``LftPav``). Vehicles beyond the pavements, crossing or turning are in the junction (``Jun``);
   pedestrians on the road are on a crossing (``xing``).

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
from roadtrack.events.labels import agent_class_map, agent_of
from roadtrack.events.motion import tube_motion
from roadtrack.events.observe import CELLS, VideoObservations, observe_video, size_from_boxes
from roadtrack.events.tubes import TubeOptions, agent_scores, finalize_tubes, moving_average

_LIGHTS = ("TL", "OthTL")


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


@register("event_classifier", "kinematic")
class KinematicEventClassifier(EventClassifier):
    """Heuristic action and location scores from compensated tube motion and image geometry (see module doc).

    Args:
        labels: dataset whose used label lists the scores follow (``"road"``, ``"road_waymo"``, a `LabelSet`).
        class_names: detector class id -> name, mapped to agents by `agent_class_map`; None when class ids
            already are agent indices of ``labels``.
        horizon: horizon row as a fraction of the image height.
        focal: focal length as a fraction of the image width.
        camera_height: camera height above the road, metres.
        fps: frame rate used when the video does not report one.
        lane_width, pavement_width: metres.
        lanes_right, lanes_left: location names of the lanes right / left of the AV's lane, inward first.
        stop_speed: own speed (m/s) below which an agent counts as stopped.
        speed_softness: width (m/s) of the logistic ramps on speeds.
        lateral_ratio: lateral speed must exceed this times the depth speed to count as crossing.
        turn_rate: heading change (rad/s) that counts as turning.
        brake_decel: deceleration (m/s^2) that counts as braking.
        half_window: motion is measured over frames t - k .. t + k.
        smooth: moving-average window (frames) applied to velocities.
        image_size: (width, height) in pixels, used when ``classify`` gets no frames (default: the video's).
        tubes: how raw tracker tubes are cleaned first (`TubeOptions`).
    """

    def __init__(self, labels: str | LabelSet = "road", class_names: Mapping[int, str] | None = None,
                 horizon: float = 0.4, focal: float = 0.83, camera_height: float = 1.5, fps: float = 12.0,
                 lane_width: float = 3.5, pavement_width: float = 3.0,
                 lanes_right: Sequence[str] = ("OutgoLane", "IncomLane"), lanes_left: Sequence[str] = (),
                 stop_speed: float = 0.8, speed_softness: float = 0.3, lateral_ratio: float = 1.0,
                 turn_rate: float = 0.3, brake_decel: float = 1.5, half_window: int = 3, smooth: int = 5,
                 image_size: tuple[int, int] | None = None,
                 tubes: TubeOptions | Mapping[str, Any] = TubeOptions()) -> None:
        self.labels = label_set(labels)
        self.class_map = agent_class_map(class_names, self.labels)
        if not 0 < horizon < 1 or focal <= 0 or camera_height <= 0 or fps <= 0:
            raise ValueError("need 0 < horizon < 1 and positive focal, camera_height and fps")
        self.horizon, self.focal, self.camera_height, self.fps = horizon, focal, camera_height, fps
        self.lane_width, self.pavement_width = lane_width, pavement_width
        self.lanes_right, self.lanes_left = tuple(lanes_right), tuple(lanes_left)
        self.stop_speed, self.speed_softness, self.lateral_ratio = stop_speed, speed_softness, lateral_ratio
        self.turn_rate, self.brake_decel, self.half_window, self.smooth = turn_rate, brake_decel, half_window, smooth
        self.image_size = None if image_size is None else (int(image_size[0]), int(image_size[1]))
        self.tube_options = tubes if isinstance(tubes, TubeOptions) else TubeOptions(**tubes)

    def classify(self, tubes: Sequence[Tube], video: Any = None) -> list[Tube]:
        """Clean the tubes (`finalize_tubes`) and fill ``labels`` for every label type.

        Args:
            tubes: raw tracker tubes, boxes in pixels of ``video``'s frames.
            video: the frames (path, `FrameSource` or iterable of BGR images) for ego-motion and traffic-light
                colour; None skips both (no compensation, uninformative colours; pass ``image_size`` then).

        Returns:
            Agent tubes with ``labels`` ``agent`` (T, A), ``action`` (T, B), ``loc`` (T, L), ``duplex`` and
            ``triplet`` score arrays in [0, 1].
        """
        clean = finalize_tubes(tubes, self.tube_options)
        obs = observe_video(video, clean, self.horizon)
        fps = float(getattr(video, "fps", None) or self.fps)
        out = []
        size = obs.size or self.image_size or getattr(video, "size", None) or size_from_boxes(clean)
        for tube, appearance in zip(clean, obs.appearance):
            agent = agent_of(int(tube.class_ids[0]), self.class_map)
            name = self.labels.agent[agent] if 0 <= agent < len(self.labels.agent) else ""
            action, loc = self.scores(tube, obs, appearance, size, fps, name)
            scores = {"agent": agent_scores(tube, len(self.labels.agent), self.class_map), "action": action, "loc": loc}
            out.append(Tube(tube.track_id, tube.frames, tube.xyxy, tube.scores, tube.class_ids,
                            compose(scores, self.labels)))
        return out

    def _world(self, points: np.ndarray, size: tuple[float, float]) -> np.ndarray:
        """(N, 2) pixels -> (N, 2) ground-plane (X lateral, Z depth) metres from the camera."""
        w, h = size
        f = self.focal * w
        below = np.maximum(points[:, 1] - self.horizon * h, f * self.camera_height / 200.0)  # at most 200 m away
        z = f * self.camera_height / below
        return np.stack([(points[:, 0] - w / 2) * z / f, z], axis=1)

    def scores(self, tube: Tube, obs: VideoObservations, appearance: np.ndarray, size: tuple[float, float],
               fps: float, agent: str) -> tuple[np.ndarray, np.ndarray]:
        """(T, B) action and (T, L) location scores of one clean tube.

        Args:
            tube: contiguous frames, boxes in pixels.
            obs: the video's ego-motion.
            appearance: (T, APPEARANCE_DIM) colour descriptors of the tube's boxes.
            size: (width, height) of the frames, pixels.
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
        m = tube_motion(tube, obs, self.half_window)
        pos = self._world(m.contact, size)
        dt = np.maximum(m.dt, 1.0) / fps
        start, end = self._world(m.start, size), self._world(m.end, size)
        vx = moving_average((end[:, 0] - start[:, 0]) / dt, self.smooth)
        vz = moving_average(-pos[:, 1] * m.own_scale * fps, self.smooth)
        speed = np.hypot(vx, vz)
        soft = self.speed_softness
        moving = _sig((speed - self.stop_speed) / soft)
        lateral = _sig((np.abs(vx) - self.lateral_ratio * np.abs(vz)) / soft)
        radial = (vx * pos[:, 0] + vz * pos[:, 1]) / np.maximum(np.hypot(*pos.T), 1e-6)
        vehicle = agent != "Ped"

        def put(name: str, value: np.ndarray) -> None:
            if name in actions:
                act[:, actions.index(name)] = value

        put("Stop", 1.0 - moving)
        put("MovAway", moving * (1 - lateral) * _sig(radial / soft))
        put("MovTow", moving * (1 - lateral) * _sig(-radial / soft))
        put("XingFmLft", moving * lateral * _sig(vx / soft))
        put("XingFmRht", moving * lateral * _sig(-vx / soft))
        turning = np.zeros(n)
        if vehicle:
            heading = np.unwrap(np.arctan2(vx, vz))  # a left turn decreases it (X right, Z forward)
            rate = moving_average(np.gradient(heading) * fps if n > 1 else np.zeros(n), self.smooth) * moving
            left = moving * _sig((-rate - self.turn_rate) / (self.turn_rate / 3))
            right = moving * _sig((rate - self.turn_rate) / (self.turn_rate / 3))
            put("TurLft", left)
            put("TurRht", right)
            turning = np.maximum(left, right)
            accel = moving_average(np.gradient(speed) * fps if n > 1 else np.zeros(n), self.smooth)
            put("Brake", moving * _sig((-accel - self.brake_decel) / 0.5))
        else:
            put("Mov", 0.5 * moving)  # the generic label ranks below the directional ones
        self._locations(loc, pos[:, 0], vehicle, moving * lateral, turning)
        return act, loc

    def _locations(self, loc: np.ndarray, x: np.ndarray, vehicle: bool, crossing: np.ndarray,
                   turning: np.ndarray) -> None:
        """Fill (T, L) ``loc`` from lateral offsets ``x`` (T,) metres; crossing and turning scores mark junctions."""
        names, s = self.labels.loc, 0.4
        inside = lambda lo, hi: _sig((x - lo) / s) * _sig((hi - x) / s)  # noqa: E731
        half = self.lane_width / 2
        bands = [("VehLane", -half, half)]
        width = self.lane_width
        bands += [(n, half + k * width, half + (k + 1) * width) for k, n in enumerate(self.lanes_right)]
        bands += [(n, -half - (k + 1) * width, -half - k * width) for k, n in enumerate(self.lanes_left)]
        right_edge = half + len(self.lanes_right) * self.lane_width
        left_edge = -half - len(self.lanes_left) * self.lane_width
        bands += [("RhtPav", right_edge, right_edge + self.pavement_width),
                  ("LftPav", left_edge - self.pavement_width, left_edge)]
        on_road = inside(left_edge, right_edge)
        beyond = 1.0 - inside(left_edge - self.pavement_width, right_edge + self.pavement_width)
        for name, lo, hi in bands:
            if name in names:
                loc[:, names.index(name)] = inside(lo, hi)
        if vehicle and "Jun" in names:
            loc[:, names.index("Jun")] = np.maximum.reduce([beyond, crossing, turning])
        if not vehicle and "xing" in names:
            loc[:, names.index("xing")] = on_road * crossing
