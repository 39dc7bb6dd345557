"""Padding variable-length tube features into batches (imports torch inside `collate`)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from roadtrack.events.features import TubeFeatures


def pad_batch(features: Sequence[TubeFeatures], targets: Sequence[Mapping[str, np.ndarray]] | None = None,
              labelled: Sequence[np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Stack tubes of different lengths into zero-padded numpy arrays.

    Args:
        features: B tubes' features.
        targets: optional per tube ``{label_type: (T, C)}`` 0/1 targets.
        labelled: optional per tube (T,) bool, frames that carry ground truth.

    Returns:
        ``actor`` (B, T, D), ``context`` (B, T, K, Dc), ``context_mask`` (B, T, K), ``mask`` (B, T) and, with
        targets, ``target/<type>`` (B, T, C) and ``labelled`` (B, T); T is the longest tube.
    """
    b, t = len(features), max(len(f) for f in features)
    first = features[0]
    out = {"actor": np.zeros((b, t, first.actor.shape[1]), np.float32),
           "context": np.zeros((b, t, *first.context.shape[1:]), np.float32),
           "context_mask": np.zeros((b, t, first.context.shape[1]), bool), "mask": np.zeros((b, t), bool)}
    for i, f in enumerate(features):
        n = len(f)
        out["actor"][i, :n], out["context"][i, :n], out["context_mask"][i, :n] = f.actor, f.context, f.context_mask
        out["mask"][i, :n] = True
    if targets is not None:
        for kind in targets[0]:
            out[f"target/{kind}"] = np.zeros((b, t, targets[0][kind].shape[1]), np.float32)
            for i, tg in enumerate(targets):
                out[f"target/{kind}"][i, :len(tg[kind])] = tg[kind]
        out["labelled"] = np.zeros((b, t), bool)
        for i, lab in enumerate(labelled if labelled is not None else [np.ones(len(f), bool) for f in features]):
            out["labelled"][i, :len(lab)] = lab
    return out


def collate(features: Sequence[TubeFeatures], targets: Sequence[Mapping[str, np.ndarray]] | None = None,
            labelled: Sequence[np.ndarray] | None = None, device: str = "cpu") -> dict:
    """`pad_batch` as torch tensors on ``device``."""
    import torch

    return {k: torch.from_numpy(v).to(device) for k, v in pad_batch(features, targets, labelled).items()}
