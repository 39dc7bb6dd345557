"""Datasets: ROAD / ROAD-Waymo annotation loading, label lists and a synthetic annotation generator."""

from roadtrack.core.labels import (
    EVAL_SIZES, LABEL_SETS, LABEL_TYPES, ORIGINAL_SIZES, ROAD, ROAD_WAYMO, LabelSet, label_set,
)
from roadtrack.datasets.road import (
    LabelPairs, RoadAnnotations, RoadTube, RoadVideo, detect_dataset, image_name, load_road, parse_road,
)
from roadtrack.datasets.synthetic_road import SyntheticAgent, SyntheticRoad, SyntheticVideo, synthetic_road

__all__ = [
    "EVAL_SIZES", "LABEL_SETS", "LABEL_TYPES", "ORIGINAL_SIZES", "ROAD", "ROAD_WAYMO", "LabelPairs", "LabelSet",
    "RoadAnnotations", "RoadTube", "RoadVideo", "SyntheticAgent", "SyntheticRoad", "SyntheticVideo",
    "detect_dataset", "image_name", "label_set", "load_road", "parse_road", "synthetic_road",
]
