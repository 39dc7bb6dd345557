"""Pipeline configuration: which registered implementation each stage uses, and its options.

A config is a mapping (or a YAML file holding one)::

    detector: {name: yolo-openvino, weights: models/yolov8n_int8_openvino_model, conf: 0.25, classes: [0]}
    tracker: sort                       # a bare name means the preset's defaults
    embedder: null
    event_classifier: null

Options are passed to the registered builder; an unknown stage, name or option raises ValueError, and so
does a value of the wrong type for an option the builder annotates as ``int``, ``float`` or ``bool``.
"""

from __future__ import annotations

import inspect
import numbers
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import yaml

from roadtrack.core.registry import build, get

STAGES = {"detector": "detector", "embedder": "embedder", "tracker": "tracker", "event_classifier": "event_classifier"}


def load_config(config: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """Read a config mapping or YAML file and check its top-level keys."""
    if isinstance(config, (str, Path)):
        path = Path(config)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        try:
            config = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"cannot parse config {path}: {exc}") from None
    if not isinstance(config, Mapping):
        raise ValueError(f"a config must be a mapping of stages, got {type(config).__name__}")
    unknown = sorted(set(config) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown config key(s) {', '.join(unknown)}; valid: {', '.join(STAGES)}")
    return dict(config)


def _accepts(token: str, value: Any) -> bool | None:
    """Whether ``value`` fits one annotation token; None for a token this check does not know (no opinion)."""
    is_bool = isinstance(value, (bool, np.bool_))
    if token == "None":
        return value is None
    if token == "bool":
        return is_bool
    if token == "int":
        return isinstance(value, numbers.Integral) and not is_bool
    if token == "float":
        return isinstance(value, numbers.Real) and not is_bool
    return None


def option_type_error(builder: Callable, key: str, value: Any) -> str | None:
    """Why ``value`` does not fit option ``key`` of ``builder``, e.g. ``"expected int, got 'abc'"``; else None.

    The type comes from the builder's signature (the only home of defaults): its annotation when that is a
    union of ``int``, ``float``, ``bool`` and ``None``, else the type of its default. Options of any other
    type (paths, sequences, specs) and unknown keys are left to the builder.
    """
    param = inspect.signature(builder).parameters.get(key)
    if param is None:
        return None
    annotation = param.annotation
    if annotation is inspect.Parameter.empty:
        default = param.default
        if default is inspect.Parameter.empty or default is None or not isinstance(default, (bool, int, float)):
            return None
        annotation = type(default).__name__
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    tokens = [t.strip() for t in text.split("|")]
    verdicts = [_accepts(t, value) for t in tokens]
    if any(v is None for v in verdicts) or any(verdicts):
        return None
    expected = " or ".join(t for t in tokens if t != "None") + (" or null" if "None" in tokens else "")
    return f"expected {expected}, got {value!r}"


def check_options(kind: str, name: str, options: Mapping[str, Any], where: str | None = None) -> None:
    """Raise ValueError naming the first option whose value does not fit the builder's signature.

    Args:
        kind, name: the registered implementation.
        options: its options (``name`` excluded).
        where: how the message names an option, e.g. ``"--tracker-opt"``; default ``"<kind> <name>:"``.
    """
    builder = get(kind, name)
    for key, value in options.items():
        problem = option_type_error(builder, key, value)
        if problem is not None:
            raise ValueError(f"{where or f'{kind} {name!r}:'} {key}: {problem}")


def build_stage(kind: str, spec: Any) -> Any:
    """Build one stage from ``None``, a registered name, or ``{"name": ..., **options}``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        return build(kind, spec)
    if isinstance(spec, Mapping):
        options = dict(spec)
        name = options.pop("name", None)
        if not isinstance(name, str):
            raise ValueError(f"{kind}: a stage mapping needs a 'name' key naming a registered {kind}")
        get(kind, name)  # an unknown name is reported before its options
        check_options(kind, name, options)
        return build(kind, name, **options)
    return spec  # an already-built stage object
