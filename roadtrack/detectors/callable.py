"""`CallableDetector`: any function that returns N x 6 arrays becomes a roadtrack `Detector`."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from roadtrack.core.detections import Detections
from roadtrack.core.interfaces import Detector
from roadtrack.core.registry import register
from roadtrack.detectors import postprocess as pp
from roadtrack.detectors.labels import ClassMapSpec, ClassSelection
from roadtrack.io.adapters import detections_from_array


def import_callable(spec: str) -> Callable[..., Any]:
    """``"package.module:function"`` (or ``"package.module.function"``) -> the function it names.

    Raises:
        ValueError: the module cannot be imported or has no such attribute, or it is not callable.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"fn: expected 'package.module:function', got {spec!r}")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"fn: cannot import {spec!r}: {exc}") from exc
    if not callable(target):
        raise ValueError(f"fn: {spec!r} is a {type(target).__name__}, not a callable")
    return target


@register("detector", "callable")
class CallableDetector(Detector):
    """Wrap a user's model: a function from a frame (or a batch of frames) to ``[x1, y1, x2, y2, score, class]`` rows.

    Args:
        fn: the function, or its import path ``"package.module:function"`` (for YAML configs and the CLI).
            Called as ``fn(frame) -> (N, 6)`` per frame, or ``fn(frames) -> [(N, 6), ...]`` with ``batched=True``.
            Rows are pixels in the frame's coordinates; numpy arrays, torch tensors (any device) and nested
            lists all work.
        conf: keep rows scoring above this, in [0, 1] (applied after the function; 0 keeps every row).
        classes: None for all, or output class ids/names to keep (mapped names when ``class_map`` is set).
        class_names: the function's class id -> name (or a list of names); needed to select or map by name.
        class_map: map the function's classes to other labels, e.g. ``"road"`` (see `roadtrack.detectors.labels`).
        batched: ``fn`` takes the whole list of frames at once.
        extra_columns: names and widths of columns after the sixth, e.g. a model's per-box label scores
            ``{"agent_scores": 10, "action_scores": 22, "loc_scores": 16}``: ``fn`` then returns (N, 6 + K) rows
            and the groups become `Detections.extras` (see `roadtrack.io.adapters.detections_from_array`).

    Attributes:
        class_names: output class id -> name.

    Raises:
        ValueError: ``fn`` is not callable (or not importable); at detection time, a result that is not N x 6
            (naming the frame and the shape) or the wrong number of results for a batch.

    Example:
        >>> det = CallableDetector(lambda frame: [[10, 20, 50, 90, 0.9, 0]], class_names=["person"], class_map="road")
        >>> det.detect([np.zeros((100, 100, 3), np.uint8)])[0].class_ids.tolist(), det.class_names[0]
        ([0], 'Ped')
    """

    def __init__(
        self,
        fn: Callable[..., Any] | str,
        conf: float = 0.0,
        classes: Sequence[int | str] | None = None,
        class_names: Mapping[int, str] | Sequence[str] | None = None,
        class_map: ClassMapSpec | None = None,
        batched: bool = False,
        extra_columns: Mapping[str, int] | None = None,
    ) -> None:
        pp.check_options(conf)
        self.fn = import_callable(fn) if isinstance(fn, str) else fn
        if not callable(self.fn):
            raise ValueError(f"fn: expected a callable or an import path, got {type(fn).__name__}")
        names = class_names or {}
        names = dict(names) if isinstance(names, Mapping) else dict(enumerate(names))
        self._selection = ClassSelection.build({int(k): str(v) for k, v in names.items()}, classes, class_map)
        self.class_names = self._selection.names
        self.conf, self.batched = float(conf), bool(batched)
        self._extra_widths = {str(k): int(v) for k, v in (extra_columns or {}).items()}
        self.extra_columns = {k: (v,) for k, v in self._extra_widths.items()}

    def detect(self, frames: Sequence[np.ndarray], frame_ids: Sequence[int] | None = None) -> list[Detections]:
        """Run the function on BGR frames.

        Args:
            frames: (H, W, 3) uint8 BGR images.
            frame_ids: unused (accepted for the `Detector` interface); must match ``frames`` in length.

        Returns:
            One `Detections` per frame, rows scoring above ``conf``, output class ids.
        """
        frames = pp.check_frames(frames, frame_ids)
        if not frames:
            return []
        if self.batched:
            results = list(self.fn(frames))
            if len(results) != len(frames):
                raise ValueError(f"fn returned {len(results)} results for a batch of {len(frames)} frames")
        else:
            results = [self.fn(frame) for frame in frames]
        return [self._to_detections(result, k) for k, result in enumerate(results)]

    def _to_detections(self, result: Any, k: int) -> Detections:
        try:
            dets = detections_from_array([] if result is None else result, self._extra_widths)
        except ValueError as exc:
            width = 6 + sum(self._extra_widths.values())
            raise ValueError(f"fn result for frame {k} (expected (N, {width}) rows [x1, y1, x2, y2, score, class"
                             f"{', extras...' if self._extra_widths else ''}]): {exc}") from None
        return self._selection.apply(dets[dets.scores > self.conf] if self.conf > 0 else dets)
