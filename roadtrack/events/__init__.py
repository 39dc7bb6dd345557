"""Road events: agent tubes from tracks, event classifiers that label them, and ROAD++ outputs.

* `TubeBuilder` / `finalize_tubes`: tracker rows -> agent tubes (gaps interpolated, smoothed, voted class).
* `KinematicEventClassifier` (registered ``kinematic``): a training-free baseline.
* `ScoreEventClassifier` (registered ``scores``): labels from the detector's own per-box label scores.
* `TemporalEventClassifier` (registered ``temporal``; needs torch only when built): the learned classifier,
  trained with ``roadtrack train-events`` (`roadtrack.events.training`).
* `compose` / `split_events`: duplex and triplet scores, event tubes; `write_roadpp_outputs`: the submission.
"""

from roadtrack.events.compose import EventOptions, EventTube, compose, event_tubes, split_events
from roadtrack.events.export import frame_detections, submission_tubes, write_roadpp_outputs
from roadtrack.events.kinematic import KinematicEventClassifier
from roadtrack.events.labels import COCO_TO_AGENT, agent_class_map
from roadtrack.events.scores import ScoreEventClassifier, scores_label_set
from roadtrack.events.render import draw_events, event_captions, render_event_video
from roadtrack.events.spec import event_classifier_from_spec
from roadtrack.events.temporal import TemporalConfig, TemporalEventClassifier
from roadtrack.events.tubes import TubeBuilder, TubeOptions, agent_scores, fill_gaps, finalize_tubes, tubes_from_tracks

__all__ = [
    "COCO_TO_AGENT", "EventOptions", "EventTube", "KinematicEventClassifier", "ScoreEventClassifier", "TemporalConfig",
    "TemporalEventClassifier", "TubeBuilder", "TubeOptions", "agent_class_map", "agent_scores", "compose",
    "draw_events", "event_captions", "event_classifier_from_spec", "event_tubes", "fill_gaps", "finalize_tubes",
    "frame_detections",
    "render_event_video", "scores_label_set", "split_events", "submission_tubes", "tubes_from_tracks", "write_roadpp_outputs",
]
