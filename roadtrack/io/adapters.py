"""Conversions between `Detections` and other libraries' detection containers.

Ultralytics and supervision are optional: nothing here imports them at module level. Inputs are
duck-typed, so torch tensors (moved to CPU) and numpy arrays both work.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from roadtrack.core.detections import Detections

# Column order of the (N, 6) array form, which is also Ultralytics' ``boxes.data`` layout.
ARRAY_COLUMNS = ("x1", "y1", "x2", "y2", "score", "class_id")


def _to_numpy(value: Any, name: str) -> np.ndarray:
    """A tensor (any device) or array-like as a numpy array."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu"):
        value = value.cpu()
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot convert {type(value).__name__} to an array: {exc}") from None


def _column(value: Any, name: str, n: int | None, width: int | None = None) -> np.ndarray:
    arr = _to_numpy(value, name)
    if arr.size == 0:
        arr = arr.reshape((0,) if width is None else (0, width))
    rows = "N" if n is None else str(n)
    expected = f"({rows},)" if width is None else f"({rows}, {width})"
    ndim = 1 if width is None else 2
    if arr.ndim != ndim or (width is not None and arr.shape[1] != width) or (n is not None and arr.shape[0] != n):
        raise ValueError(f"{name}: expected shape {expected}, got {arr.shape}")
    return arr


def _extras(values: Mapping[str, Any] | None, n: int) -> dict[str, np.ndarray]:
    """Named extra columns (tensors or arrays) as numpy arrays of ``n`` rows; ValueError naming a bad one."""
    out = {}
    for name, value in (values or {}).items():
        arr = _to_numpy(value, f"extras[{name!r}]")
        if arr.ndim == 0 or arr.shape[0] != n:
            raise ValueError(f"extras[{name!r}]: expected {n} rows (one per box), got shape {arr.shape}")
        out[name] = arr
    return out


def _split_columns(block: np.ndarray, extra_columns: Mapping[str, int] | None, where: str) -> dict[str, np.ndarray]:
    """(N, K) columns after the standard ones -> named (N, k) groups, in ``extra_columns`` order."""
    widths = dict(extra_columns or {})
    if sum(widths.values()) != block.shape[1]:
        named = ", ".join(f"{k} {v}" for k, v in widths.items()) or "none"
        raise ValueError(f"{where}: {block.shape[1]} columns after the standard ones, but extra_columns name "
                         f"{sum(widths.values())} ({named})")
    out, start = {}, 0
    for name, width in widths.items():
        if width < 1:
            raise ValueError(f"extra_columns[{name!r}]: width must be >= 1, got {width}")
        out[name] = block[:, start:start + width]
        start += width
    return out


def detections_from_ultralytics(result: Any, extras: Mapping[str, Any] | None = None) -> Detections:
    """One Ultralytics ``Results`` (one image) -> `Detections`.

    Args:
        result: an object with ``.boxes.xyxy`` (N, 4), ``.boxes.conf`` (N,) and ``.boxes.cls`` (N,),
            as tensors or arrays (e.g. ``model(image)[0]``).
        extras: further per-box columns, name -> (N, ...) tensor or array, e.g. the outputs of extra
            multi-label heads: ``{"action_scores": (N, 22), "loc_scores": (N, 16)}`` (names from
            `roadtrack.core.labels.score_column`); they become `Detections.extras`.

    Returns:
        `Detections` with pixel boxes, scores, integer class ids and the extras.

    Raises:
        ValueError: a list of results, no ``boxes``, or wrong shapes.
    """
    if isinstance(result, (list, tuple)):
        raise ValueError(f"expected one Results (one image), got a {type(result).__name__} of {len(result)}; "
                         "convert each element")
    boxes = getattr(result, "boxes", None)
    if boxes is None:
        raise ValueError(f"{type(result).__name__} has no boxes (not a detection result?)")
    xyxy = _column(boxes.xyxy, "boxes.xyxy", None, 4)
    n = xyxy.shape[0]
    scores = _column(boxes.conf, "boxes.conf", n)
    classes = _column(boxes.cls, "boxes.cls", n)
    return Detections(xyxy.astype(np.float64), scores.astype(np.float64), classes.astype(np.int64),
                      extras=_extras(extras, n))


def detections_to_ultralytics(detections: Detections, image: np.ndarray, names: Mapping[int, str]) -> Any:
    """`Detections` -> an Ultralytics ``Results`` (needs ultralytics and torch).

    Args:
        detections: one image's detections.
        image: (H, W, 3) uint8 BGR image the boxes refer to.
        names: class id -> name, as Ultralytics models have.

    Returns:
        ``ultralytics.engine.results.Results`` whose ``boxes.data`` is the (N, 6) array form.
    """
    import torch
    from ultralytics.engine.results import Results

    data = torch.from_numpy(detections_to_array(detections).astype(np.float32))
    return Results(orig_img=image, path="", names=dict(names), boxes=data)


def detections_from_supervision(obj: Any) -> Detections:
    """A supervision ``Detections`` (or a dict) -> `Detections`.

    Args:
        obj: a mapping with keys ``xyxy`` (N, 4), ``confidence`` (N,) and ``class_id`` (N,), or any object
            with those attributes; ``confidence``/``class_id`` may be None (scores 1, class 0).

    Raises:
        ValueError: ``xyxy`` missing or wrong shapes.
    """
    get = obj.get if isinstance(obj, Mapping) else lambda key: getattr(obj, key, None)
    if get("xyxy") is None:
        raise ValueError(f"{type(obj).__name__} has no 'xyxy'")
    xyxy = _column(get("xyxy"), "xyxy", None, 4)
    n = xyxy.shape[0]
    scores = None if get("confidence") is None else _column(get("confidence"), "confidence", n)
    classes = None if get("class_id") is None else _column(get("class_id"), "class_id", n)
    return Detections(xyxy, scores, classes)


def detections_to_supervision(detections: Detections) -> dict[str, np.ndarray]:
    """`Detections` -> ``{"xyxy": (N, 4) float32, "confidence": (N,) float32, "class_id": (N,) int}``.

    ``supervision.Detections(**result)`` builds supervision's container from it.
    """
    return {
        "xyxy": detections.xyxy.astype(np.float32),
        "confidence": detections.scores.astype(np.float32),
        "class_id": detections.class_ids.astype(int),
    }


def detections_from_array(array: Any, extra_columns: Mapping[str, int] | None = None) -> Detections:
    """(N, 6 + K) ``[x1, y1, x2, y2, score, class_id, extra...]`` (pixels) -> `Detections`.

    Args:
        array: the rows; class ids must be whole numbers.
        extra_columns: names and widths of the K columns after the sixth, in order, e.g.
            ``{"agent_scores": 10, "action_scores": 22, "loc_scores": 16}``; they become `Detections.extras`
            (views into ``array``, not copies). None: the array must have exactly 6 columns.

    Example:
        >>> d = detections_from_array([[0, 0, 4, 4, 0.9, 1, 0.2, 0.7]], {"agent_scores": 2})
        >>> d.extras["agent_scores"].tolist()
        [[0.2, 0.7]]
    """
    width = len(ARRAY_COLUMNS) + sum((extra_columns or {}).values())
    arr = _column(array, "array", None, width) if not extra_columns else _to_numpy(array, "array")
    arr = arr.reshape(0, width) if arr.size == 0 else arr
    if arr.ndim != 2 or arr.shape[1] < len(ARRAY_COLUMNS):
        raise ValueError(f"array: expected shape (N, {width}), got {arr.shape}")
    extras = _split_columns(arr[:, len(ARRAY_COLUMNS):], extra_columns, "array")
    return Detections(arr[:, :4], arr[:, 4], arr[:, 5], extras=extras)


def detections_to_array(detections: Detections, extras: bool = False) -> np.ndarray:
    """`Detections` -> (N, 6) float64 ``[x1, y1, x2, y2, score, class_id]``; with ``extras``, the extra columns
    follow (each flattened per row, in `Detections.extras` order): the inverse of `detections_from_array`."""
    parts = [detections.xyxy, detections.scores[:, None], detections.class_ids[:, None].astype(np.float64)]
    if extras:
        parts += [v.reshape(len(detections), -1).astype(np.float64) for v in detections.extras.values()]
    return np.concatenate(parts, axis=1)
