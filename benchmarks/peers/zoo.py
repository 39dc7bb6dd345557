"""The peer trackers, built the same way for benchmarks A (run_peer.py) and B (e2e_peer.py).

Runs in the peers' environment only (BoxMOT 18.0.0 or 25.0.0, Ultralytics 8.4.190, norfair): no roadtrack import.
Every peer is made by `make(name, ...)` and has ``update(dets (N, 6) x1 y1 x2 y2 score cls float32, frame or None)
-> (M, >=6) x1 y1 x2 y2 id score ...`` plus ``reid`` (the object whose ``get_features`` computes appearance, or None)
and ``cmc`` (the object whose ``apply`` estimates camera motion, or None), for the runners' timers.

Settings: the libraries' tracker classes at their constructor defaults, except what the benchmark dictates:
- no frames (A, public detections): camera-motion compensation off (BoT-SORT ``cmc_method=None``, BoostTrack
  ``use_ecc``/``use_cmc`` off, Deep OC-SORT ``cmc_off``; BoxMOT 18's Hybrid-SORT always builds its ECC, which is
  replaced by the identity there);
- ReID only with ``reid`` (the shared OSNet ONNX); without it the trackers run motion-only (``with_reid=False``,
  Deep OC-SORT ``embedding_off``/``use_embeddings=False``);
- BoxMOT 18's Hybrid-SORT without ReID gets ``EG_weight_high_score=0`` (see _boxmot18: at its default it weighs
  NaN appearance costs of all-zero features and swaps ids every frame; BoxMOT 25 gates that step on embeddings);
- Deep OC-SORT keeps ``cmc_off=True`` (BoxMOT 18's default SOF CMC raises a Cholesky LinAlgError on the videos:
  ../shared/benchmarks/peers-e2e.md; 25's runs, slowly and less accurately: see _boxmot25);
- ``boxmot-boosttrack++``: BoostTrack with ``use_rich_s``, ``use_sb``, ``use_vt`` on, the switches BoxMOT's own
  boosttrack.yaml marks "True for BoostTrack++";
- the frame rate goes to the trackers that take one (ByteTrack, BoT-SORT); the others count in frames.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("YOLO_OFFLINE", "1")

BOXMOT = ("bytetrack", "ocsort", "botsort", "strongsort", "deepocsort", "hybridsort", "boosttrack", "boosttrack++")
BOXMOT_25 = ("deepocsort", "hybridsort", "boosttrack", "boosttrack++")  # wired for the BoxMOT 25 API
ULTRALYTICS = ("bytetrack", "botsort", "tracktrack", "fasttrack")
PEERS = (tuple(f"boxmot-{k}" for k in BOXMOT) + ("norfair", "deep-sort-realtime")
         + tuple(f"ultralytics-{k}" for k in ULTRALYTICS))


def version(name: str) -> str:
    """``"boxmot 18.0.0"``-style label of the library that runs peer ``name``."""
    lib = name.split("-", 1)[0] if name.startswith(("boxmot-", "ultralytics-")) else name.replace("-", "_")
    try:
        return f"{lib} {importlib.metadata.version(lib.replace('_', '-'))}"
    except importlib.metadata.PackageNotFoundError:
        return lib


class _IdentityCMC:
    """Stands in for a CMC that a tracker always builds, when there are no frames to estimate motion from."""

    def apply(self, img, dets=None):
        return np.eye(2, 3)


class _NoReID:
    """BoxMOT 18's Deep OC-SORT loads a ReID model even with ``embedding_off``; motion-only it is never called."""

    def __init__(self, *args, **kwargs):
        self.model = None


class Peer:
    """One peer tracker; see the module docstring for the settings."""

    def __init__(self, name: str, *, frame_rate: float = 30.0, frames: bool = False, reid: str | None = None):
        if name not in PEERS:
            raise SystemExit(f"unknown peer {name!r}; choose from {', '.join(PEERS)}")
        self.name, self.reid, self.cmc = name, None, None
        self.blank = np.zeros((8, 8, 3), np.uint8)  # BoxMOT 18 needs an image even where it does not use one
        family, kind = name.split("-", 1) if "-" in name else (name, name)
        if family == "boxmot":
            import boxmot

            major = int(boxmot.__version__.split(".")[0])
            if major >= 25:
                self.tracker = _boxmot25(kind, reid, frames)
                self.reid = self.tracker._reid_model if reid else None
            else:
                self.tracker = _boxmot18(kind, reid, frames, int(round(frame_rate)))
                self.reid = getattr(self.tracker, "reid_model", None) or getattr(self.tracker, "model", None)
            self.cmc = getattr(self.tracker, "cmc", None)
            if isinstance(self.cmc, _IdentityCMC) or getattr(self.tracker, "cmc_off", False):
                self.cmc = None  # built but never called
        elif family == "ultralytics":
            from ultralytics.trackers.track import TRACKER_MAP
            from ultralytics.utils import YAML, IterableSimpleNamespace
            from ultralytics.utils.checks import check_yaml

            cfg = IterableSimpleNamespace(**YAML.load(check_yaml(f"{kind}.yaml")))
            self.tracker = TRACKER_MAP[kind](args=cfg)
            self.cmc = getattr(self.tracker, "gmc", None)
        elif name == "norfair":
            from norfair import Tracker
            self.tracker = Tracker(distance_function="iou", distance_threshold=0.7)
        else:
            raise SystemExit(f"{name} has its own runner (e2e_peer.py)")
        self.family = family

    def update(self, dets: np.ndarray, frame: np.ndarray | None) -> np.ndarray:
        """(M, 6) x1 y1 x2 y2 id score of the tracks the peer reports for this frame."""
        dets = np.ascontiguousarray(dets, np.float32).reshape(-1, 6)
        if self.family == "norfair":
            from norfair import Detection
            detections = [Detection(points=d[:4].reshape(2, 2), scores=np.array([d[4], d[4]])) for d in dets]
            objs = self.tracker.update(detections=detections)
            return np.array([[*o.estimate.reshape(-1), o.id, 1.0] for o in objs], np.float64).reshape(-1, 6)
        if self.family == "ultralytics":
            from ultralytics.engine.results import Boxes
            out = self.tracker.update(Boxes(dets, frame.shape[:2] if frame is not None else (1, 1)), frame)
        else:
            out = self.tracker.update(dets, self.blank if frame is None else frame)
        out = np.asarray(out, np.float64)
        return out.reshape(-1, out.shape[-1])[:, :6] if out.size else np.zeros((0, 6))


def _boxmot18(kind: str, reid: str | None, frames: bool, rate: int):
    import torch  # noqa: F401  (boxmot expects it)

    common = {"reid_weights": Path(reid) if reid else None, "device": "cpu", "half": False}
    if kind == "bytetrack":
        from boxmot.trackers.bytetrack.bytetrack import ByteTrack
        return ByteTrack(frame_rate=rate)
    if kind == "ocsort":
        from boxmot.trackers.ocsort.ocsort import OcSort
        return OcSort()
    if kind == "botsort":
        from boxmot.trackers.botsort.botsort import BotSort
        return BotSort(**common, with_reid=reid is not None, cmc_method="ecc" if frames else None, frame_rate=rate)
    if kind == "strongsort":
        from boxmot.trackers.strongsort.strongsort import StrongSort
        return StrongSort(**common)
    if kind == "deepocsort":
        module = importlib.import_module("boxmot.trackers.deepocsort.deepocsort")
        if reid:
            return module.DeepOcSort(**common, cmc_off=True)
        saved, module.ReID = module.ReID, _NoReID
        try:
            return module.DeepOcSort(**common, embedding_off=True, cmc_off=True)
        finally:
            module.ReID = saved
    if kind == "hybridsort":
        from boxmot.trackers.hybridsort.hybridsort import HybridSort
        # Without ReID, 18 still runs its embedding-guided first step on all-zero features (NaN costs: ids swap
        # every frame, HOTA 19.8 instead of 48.1 on TUD-Campus); its weight 0 is Hybrid-SORT without appearance.
        no_eg = {} if reid else {"EG_weight_high_score": 0.0}
        tracker = HybridSort(**common, with_reid=reid is not None, **no_eg)
        if not frames:
            tracker.cmc = _IdentityCMC()
        return tracker
    if kind in ("boosttrack", "boosttrack++"):
        from boxmot.trackers.boosttrack.boosttrack import BoostTrack
        plus = {"use_rich_s": True, "use_sb": True, "use_vt": True} if kind == "boosttrack++" else {}
        return BoostTrack(**common, with_reid=reid is not None, use_ecc=frames, **plus)
    raise SystemExit(f"unknown boxmot tracker {kind}")


def _boxmot25(kind: str, reid: str | None, frames: bool):
    if kind not in BOXMOT_25:
        raise SystemExit(f"boxmot-{kind} is wired for BoxMOT 18 only; with 25 use one of {', '.join(BOXMOT_25)}")
    common = {}
    if reid:
        from boxmot.reid.core import ReID
        # Built here so the runner can time it; BoxMOT 25's ONNX backend runs a fixed-batch-1 model crop by crop.
        common = {"reid_model": ReID(weights=Path(reid), device="cpu", half=False).model}
    if kind == "deepocsort":
        from boxmot.trackers.box.deepocsort.tracker import DeepOcSort
        # CMC off as with 18 (same row label): 25's default SOF ran but cost 310 ms/frame with its per-observation
        # warps and dropped B to 37.8 HOTA (51.4 off), 2026-12-06 at load ~9.
        return DeepOcSort(use_embeddings=reid is not None, cmc_off=True, **common)
    if kind == "hybridsort":
        from boxmot.trackers.box.hybridsort.tracker import HybridSort
        return HybridSort(use_embeddings=reid is not None, **({} if frames else {"cmc_method": None}), **common)
    from boxmot.trackers.box.boosttrack.tracker import BoostTrack
    plus = {"use_rich_s": True, "use_sb": True, "use_vt": True} if kind == "boosttrack++" else {}
    return BoostTrack(use_embeddings=reid is not None, use_cmc=frames, **plus, **common)
