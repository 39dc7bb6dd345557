"""Colour-histogram appearance features: no weights, CPU only, a few microseconds per crop."""

from __future__ import annotations

import cv2
import numpy as np

from roadtrack.core import Detections, Embedder, register


@register("embedder", "histogram")
class ColorHistogramEmbedder(Embedder):
    """Hue-saturation histograms over horizontal stripes of each box (head / torso / legs for a person).

    Args:
        stripes: horizontal bands per box.
        hue_bins, saturation_bins: histogram resolution per band.

    Output: (N, stripes * hue_bins * saturation_bins) float32, L2-normalised. A box that lies
    wholly outside the frame (an empty crop) gets the uniform vector, so distances stay defined.
    """

    def __init__(self, stripes: int = 3, hue_bins: int = 8, saturation_bins: int = 4) -> None:
        if min(stripes, hue_bins, saturation_bins) < 1:
            raise ValueError("stripes, hue_bins and saturation_bins must be >= 1")
        self.stripes, self.bins = stripes, (hue_bins, saturation_bins)

    @property
    def dim(self) -> int:
        return self.stripes * self.bins[0] * self.bins[1]

    def embed(self, frame: np.ndarray, detections: Detections) -> np.ndarray:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame: expected (H, W, 3) uint8 BGR, got shape {frame.shape} dtype {frame.dtype}")
        height, width = frame.shape[:2]
        hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
        boxes = np.round(detections.xyxy).astype(np.int64)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        out = np.full((len(detections), self.dim), 1.0, np.float32)
        for row, (x1, y1, x2, y2) in enumerate(boxes):  # crops differ in size: one histogram call per band
            if x2 - x1 < 1 or y2 - y1 < self.stripes:
                continue
            edges = np.linspace(y1, y2, self.stripes + 1).astype(np.int64)
            out[row] = np.concatenate([
                cv2.calcHist([hsv[a:b, x1:x2]], [0, 1], None, list(self.bins), [0, 180, 0, 256]).ravel()
                for a, b in zip(edges[:-1], edges[1:])
            ])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
