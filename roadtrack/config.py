"""Pipeline configuration: which registered implementation each stage uses, and its options.

A config is a mapping (or a YAML file holding one)::

    detector: {name: yolo-openvino, weights: models/yolov8n_int8_openvino_model, conf: 0.25, classes: [0]}
    tracker: sort                       # a bare name means the preset's defaults
    embedder: null
    event_classifier: null

Options are passed to the registered builder; an unknown stage, name or option raises ValueError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import yaml

from roadtrack.core.registry import build

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
        return build(kind, name, **options)
    return spec  # an already-built stage object
