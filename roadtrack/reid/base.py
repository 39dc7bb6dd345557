"""`CropEmbedder`: the shared embed() of every neural embedder (check, crop, batch, run, normalise)."""

from __future__ import annotations

import abc
from typing import Sequence

import numpy as np

from roadtrack.core import Detections, Embedder
from roadtrack.reid.crops import Preprocess, box_array, check_frame, finish


class CropEmbedder(Embedder):
    """An embedder that runs a network on resized crops of the boxes.

    Subclasses set ``preprocess`` (a `Preprocess`), ``dim`` (feature length D) and ``batch_size`` (most crops
    per network call), and implement `_forward`.

    Attributes:
        preprocess: crop size, normalisation and channel order the network expects.
        dim: length D of the returned embeddings.
        batch_size: the crops of one frame go to the network in chunks of at most this many.
    """

    preprocess: Preprocess
    dim: int
    batch_size: int = 32

    @abc.abstractmethod
    def _forward(self, blob: np.ndarray) -> np.ndarray:
        """(B, 3, h, w) float32 normalised crops -> (B, D) raw (unnormalised) features, any float dtype."""

    def embed(self, frame: np.ndarray, detections: Detections | np.ndarray) -> np.ndarray:
        """Embed every detection of one frame.

        Args:
            frame: (H, W, 3) uint8 BGR image.
            detections: the frame's `Detections` (or an (N, 4) xyxy array), boxes in pixels; boxes reaching
                outside the frame are clipped to it.

        Returns:
            (N, D) float32; row i is the L2-normalised embedding of box i, or all zeros when box i has no pixel
            inside the frame.

        Raises:
            ValueError: when ``frame`` is not an (H, W, 3) uint8 array, or boxes are malformed.
        """
        crops, valid = self.preprocess.crops(check_frame(frame), box_array(detections))
        return self._embed_crops(crops, valid)

    def embed_many(self, frames: Sequence[np.ndarray], detections: Sequence[Detections | np.ndarray]) -> list[np.ndarray]:
        """Embed the detections of several frames (e.g. one per camera of a `MultiStreamTracker`): the crops of all
        frames go through the network together, in chunks of ``batch_size``, instead of one call per frame.

        Returns:
            One (N_i, D) float32 array per frame, as `embed` returns it.
        """
        crops, valid = [], []
        for frame, dets in zip(frames, detections, strict=True):
            c, v = self.preprocess.crops(check_frame(frame), box_array(dets))
            crops.append(c)
            valid.append(v)
        sizes = np.cumsum([v.shape[0] for v in valid])[:-1]
        if not crops:
            return []
        return np.split(self._embed_crops(np.concatenate(crops), np.concatenate(valid)), sizes)

    def _embed_crops(self, crops: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """(N, h, w, 3) crops and their (N,) validity -> (N, D) normalised features (zeros where not valid)."""
        features = np.zeros((len(valid), self.dim), np.float32)
        rows = np.flatnonzero(valid)
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start:start + self.batch_size]
            out = np.asarray(self._forward(self.preprocess.blob(crops[chunk])))
            if out.shape[0] != len(chunk) or out.size != len(chunk) * self.dim:
                raise ValueError(f"{type(self).__name__}: the network returned shape {out.shape} for "
                                 f"{len(chunk)} crops, expected ({len(chunk)}, {self.dim})")
            features[chunk] = out.reshape(len(chunk), self.dim)
        return finish(features, valid)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, input_hw={self.preprocess.input_hw})"
