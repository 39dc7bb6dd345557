"""The reference tools the MOT metrics are checked against: TrackEval (HOTA family) and py-motmetrics
(CLEAR, Identity). Test-only; both are driven in-process, nothing is cached on disk.

TrackEval's published sources use ``np.float``/``np.int`` and py-motmetrics 1.4 uses ``np.asfarray``, all
removed in NumPy 2; `patch_numpy` restores them in this (test) process only.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from conftest import require_module
from roadtrack.metrics import COMBINED

CLEAR_MOTMETRICS = {  # our CLEAR/Identity field -> py-motmetrics metric
    "MOTA": "mota", "IDSW": "num_switches", "FP": "num_false_positives", "FN": "num_misses",
    "Frag": "num_fragmentations", "MT": "mostly_tracked", "PT": "partially_tracked", "ML": "mostly_lost",
    "TP": "num_detections", "Recall": "recall", "Precision": "precision",
}
IDENTITY_MOTMETRICS = {"IDF1": "idf1", "IDP": "idp", "IDR": "idr", "IDTP": "idtp", "IDFN": "idfn", "IDFP": "idfp"}
CLEAR_TRACKEVAL = {  # our CLEAR field -> TrackEval CLEAR field
    "MOTA": "MOTA", "MOTP": "MOTP", "MODA": "MODA", "Recall": "CLR_Re", "Precision": "CLR_Pr", "MTR": "MTR",
    "PTR": "PTR", "MLR": "MLR", "sMOTA": "sMOTA", "TP": "CLR_TP", "FN": "CLR_FN", "FP": "CLR_FP", "IDSW": "IDSW",
    "MT": "MT", "PT": "PT", "ML": "ML", "Frag": "Frag", "F1": "CLR_F1", "MOTAL": "MOTAL",
}
HOTA_FIELDS = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA", "HOTA_TP", "HOTA_FN",
               "HOTA_FP")


def patch_numpy() -> None:
    """Give NumPy 2 the aliases the reference tools still use (no-op where they exist)."""
    for name, value in (("float", float), ("int", int), ("bool", bool)):
        if name not in np.__dict__:
            setattr(np, name, value)
    if "asfarray" not in np.__dict__:
        np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)


def trackeval():
    patch_numpy()
    return require_module("trackeval")


def motmetrics():
    patch_numpy()
    return require_module("motmetrics")


def _quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def trackeval_data(dataset, tracker: str) -> dict[str, dict[str, dict]]:
    """TrackEval's preprocessed data: class -> sequence -> the dict its metrics read."""
    out = {}
    for seq in dataset.seq_list:
        raw = dataset.get_raw_seq_data(tracker, seq)
        for cls in dataset.class_list:
            out.setdefault(cls, {})[seq] = dataset.get_preprocessed_seq_data(raw, cls)
    return out


def mot_dataset(gt_folder, trackers_folder, tracker: str, seq_lengths: dict[str, int | None], benchmark="MOT15"):
    te = trackeval()
    return _quiet(te.datasets.MotChallenge2DBox, {
        "GT_FOLDER": str(gt_folder), "TRACKERS_FOLDER": str(trackers_folder), "TRACKERS_TO_EVAL": [tracker],
        "BENCHMARK": benchmark, "SKIP_SPLIT_FOL": True, "SEQ_INFO": dict(seq_lengths), "PRINT_CONFIG": False})


def kitti_dataset(gt_folder, trackers_folder, tracker: str):
    te = trackeval()
    return _quiet(te.datasets.Kitti2DBox, {
        "GT_FOLDER": str(gt_folder), "TRACKERS_FOLDER": str(trackers_folder), "TRACKERS_TO_EVAL": [tracker],
        "PRINT_CONFIG": False})


def trackeval_scores(data: dict[str, dict]) -> dict[str, dict[str, dict]]:
    """TrackEval HOTA, CLEAR, Identity per sequence and under "COMBINED" (its combine_sequences)."""
    te = trackeval()
    out = {}
    for metric in (te.metrics.HOTA(), te.metrics.CLEAR({"PRINT_CONFIG": False}),
                   te.metrics.Identity({"PRINT_CONFIG": False})):
        per_seq = {seq: metric.eval_sequence(d) for seq, d in data.items()}
        per_seq["COMBINED"] = metric.combine_sequences({k: v for k, v in per_seq.items()})
        out[metric.get_name()] = per_seq
    return out


def motmetrics_scores(data: dict[str, dict], threshold: float = 0.5):
    """py-motmetrics on TrackEval's preprocessed data (distance 1 - IoU, no pair above 1 - threshold):
    a pandas DataFrame with one row per sequence plus "OVERALL"."""
    mm = motmetrics()
    accs, names = [], []
    for seq, d in data.items():
        acc = mm.MOTAccumulator(auto_id=False)
        for t in range(d["num_timesteps"]):
            dist = 1.0 - np.asarray(d["similarity_scores"][t], np.float64)
            dist[dist > 1.0 - threshold] = np.nan
            acc.update(d["gt_ids"][t].tolist(), d["tracker_ids"][t].tolist(), dist, frameid=t)
        accs.append(acc)
        names.append(seq)
    metrics = sorted(set(CLEAR_MOTMETRICS.values()) | set(IDENTITY_MOTMETRICS.values()) | {"motp"})
    return mm.metrics.create().compute_many(accs, metrics=metrics, names=names, generate_overall=True)


TOL = 1e-6


class MaxDiff:
    """Largest absolute difference seen per reference, printed at the end of a test (run with -s to see)."""

    def __init__(self) -> None:
        self.worst: dict[str, float] = {}
        self.undefined = 0

    def check(self, reference: str, ours, theirs, where: str) -> None:
        """Assert equality to `TOL`. py-motmetrics answers 0/0 with NaN where we (like TrackEval) divide by
        max(1, denominator); there ours must be finite, and such values are counted, not compared."""
        ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
        undefined = np.isnan(theirs) & (reference == "py-motmetrics")
        assert np.all(np.isfinite(ours)), f"{reference}: {where}: ours is {ours}"
        self.undefined += int(np.sum(undefined))
        ours, theirs = ours[~undefined], theirs[~undefined]
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=TOL, err_msg=f"{reference}: {where}")
        self.worst[reference] = max(self.worst.get(reference, 0.0), float(np.max(np.abs(ours - theirs), initial=0)))

    def __str__(self) -> str:
        text = ", ".join(f"max |ours - {k}| = {v:.2e}" for k, v in self.worst.items())
        return text + (f" ({self.undefined} values NaN in py-motmetrics: empty sequences)" if self.undefined else "")


def compare(ev, te_scores: dict, mm_frame, cls: str, diff: MaxDiff, clear_reference: str = "motmetrics") -> None:
    """Check an evaluation of one class against TrackEval (HOTA) and py-motmetrics (CLEAR, Identity)."""
    for seq, te in te_scores["HOTA"].items():
        ours = ev.results[cls][seq]["HOTA"]
        for field in HOTA_FIELDS:
            diff.check("TrackEval HOTA", getattr(ours, field), te[field], f"{cls} {seq} {field}")
        for field in ("HOTA(0)", "LocA(0)", "HOTALocA(0)"):
            diff.check("TrackEval HOTA", ours.field(field), te[field], f"{cls} {seq} {field}")
    if mm_frame is not None:
        for seq in te_scores["HOTA"]:
            row = mm_frame.loc["OVERALL" if seq == COMBINED else seq]
            clear, identity = ev.results[cls][seq]["CLEAR"], ev.results[cls][seq]["Identity"]
            for ours_name, mm_name in CLEAR_MOTMETRICS.items():
                diff.check("py-motmetrics", getattr(clear, ours_name), row[mm_name], f"{cls} {seq} {ours_name}")
            diff.check("py-motmetrics", 1.0 - clear.MOTP, row["motp"], f"{cls} {seq} MOTP")
            for ours_name, mm_name in IDENTITY_MOTMETRICS.items():
                diff.check("py-motmetrics", getattr(identity, ours_name), row[mm_name], f"{cls} {seq} {ours_name}")
    if clear_reference == "trackeval":
        for seq, te in te_scores["CLEAR"].items():
            clear = ev.results[cls][seq]["CLEAR"]
            for ours_name, te_name in CLEAR_TRACKEVAL.items():
                diff.check("TrackEval CLEAR", getattr(clear, ours_name), te[te_name], f"{cls} {seq} {ours_name}")
        for seq, te in te_scores["Identity"].items():
            for field in ("IDF1", "IDR", "IDP", "IDTP", "IDFN", "IDFP"):
                diff.check("TrackEval Identity", getattr(ev.results[cls][seq]["Identity"], field), te[field],
                           f"{cls} {seq} {field}")


def combined(scores: dict) -> dict:
    return {name: {(COMBINED if k == "COMBINED" else k): v for k, v in per.items()} for name, per in scores.items()}
