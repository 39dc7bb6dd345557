"""`Detections`: one frame's detections as parallel arrays — the only thing detectors hand on."""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Mapping

import numpy as np

from roadtrack.core import boxes
from roadtrack.core.table import ArrayTable, as_column, as_extras, as_features, check_corners


@dataclasses.dataclass(frozen=True, eq=False)
class Detections(ArrayTable):
    """Detections of one frame.

    Attributes:
        xyxy: (N, 4) float64 boxes, pixels, x1 <= x2 and y1 <= y2.
        scores: (N,) float64 confidences.
        class_ids: (N,) int64 class indices.
        features: optional (N, D) float32 appearance embeddings.
        extras: named extra per-row columns, ``{name: (N, ...) array}`` (read-only; empty when there are none),
            e.g. a detector's per-box label scores (`roadtrack.core.labels.score_column`: ``"agent_scores"``
            (N, A), ``"action_scores"`` (N, B), ...). Numeric, finite; validated once here, then sliced and
            concatenated with the rows and carried by trackers into `Tracks.extras`.

    Example:
        >>> d = Detections(xyxy=[[0, 0, 10, 20]], scores=[0.9], class_ids=[0])
        >>> len(d), d.tlwh.tolist()
        (1, [[0.0, 0.0, 10.0, 20.0]])
        >>> d = Detections([[0, 0, 1, 1], [2, 2, 3, 3]], extras={"agent_scores": [[0.9, 0.1], [0.2, 0.7]]})
        >>> d[[1]].extras["agent_scores"].tolist()
        [[0.2, 0.7]]
    """

    xyxy: np.ndarray
    scores: np.ndarray | None = None
    class_ids: np.ndarray | None = None
    features: np.ndarray | None = None
    extras: Mapping[str, np.ndarray] | None = None
    _ROW_FIELDS: ClassVar[tuple[str, ...]] = ("xyxy", "scores", "class_ids", "features")

    def __post_init__(self) -> None:
        xyxy = as_column("xyxy", self.xyxy, np.float64, None, (4,))
        n = xyxy.shape[0]
        scores = np.ones(n) if self.scores is None else as_column("scores", self.scores, np.float64, n)
        class_ids = np.zeros(n, np.int64) if self.class_ids is None else as_column("class_ids", self.class_ids, np.int64, n)
        check_corners("xyxy", xyxy)
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "class_ids", class_ids)
        if self.features is not None:
            object.__setattr__(self, "features", as_features(self.features, n))
        object.__setattr__(self, "extras", as_extras(self.extras, n, allow_nan=False))

    @classmethod
    def empty(cls, feature_dim: int | None = None, extras: Mapping[str, tuple[int, ...]] | None = None) -> "Detections":
        """No detections; ``extras`` names extra columns (name -> trailing shape) to create with 0 rows."""
        features = None if feature_dim is None else np.zeros((0, feature_dim), np.float32)
        columns = {name: np.zeros((0, *shape)) for name, shape in (extras or {}).items()}
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64), features, columns)

    @classmethod
    def from_tlwh(cls, tlwh, scores=None, class_ids=None, features=None) -> "Detections":
        return cls(boxes.tlwh_to_xyxy(tlwh), scores, class_ids, features)

    @classmethod
    def from_xywh(cls, xywh, scores=None, class_ids=None, features=None) -> "Detections":
        return cls(boxes.xywh_to_xyxy(xywh), scores, class_ids, features)

    def with_features(self, features: np.ndarray) -> "Detections":
        return dataclasses.replace(self, features=features)

    def with_extras(self, **columns: np.ndarray) -> "Detections":
        """A copy with extra columns added (or replaced) by name; the arrays are not copied."""
        return dataclasses.replace(self, extras={**self.extras, **columns})

    @property
    def tlwh(self) -> np.ndarray:
        """(N, 4) top-left x, y, width, height."""
        return boxes.xyxy_to_tlwh(self.xyxy)

    @property
    def xywh(self) -> np.ndarray:
        """(N, 4) centre x, y, width, height."""
        return boxes.xyxy_to_xywh(self.xyxy)

    @property
    def cxcyah(self) -> np.ndarray:
        """(N, 4) centre x, y, aspect w/h, height."""
        return boxes.xyxy_to_cxcyah(self.xyxy)

    @property
    def area(self) -> np.ndarray:
        return boxes.box_area(self.xyxy)

    def normalized(self, width: float, height: float) -> np.ndarray:
        """(N, 4) xyxy divided by the image size, so values lie in [0, 1] for boxes inside the image."""
        if width <= 0 or height <= 0:
            raise ValueError(f"image size must be positive, got width={width}, height={height}")
        return self.xyxy / np.array([width, height, width, height], dtype=np.float64)
