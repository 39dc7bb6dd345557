"""`CameraMotion`: estimate the global image motion between consecutive frames as a 2x3 affine transform.

Every estimator works on a grey, downscaled copy of the frame and keeps only what the next call needs
(the previous frame's grey image or keypoints), so each frame is aligned to the previous one. A frame where
the estimate fails or looks degenerate yields the identity: camera-motion compensation must never stop a
tracker.
"""

from __future__ import annotations

import abc

import cv2
import numpy as np

from roadtrack.core import Detections

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def identity() -> np.ndarray:
    """A fresh (2, 3) float64 identity transform."""
    return IDENTITY.copy()


class CameraMotion(abc.ABC):
    """Base of the OpenCV estimators: grey + downscale, reference bookkeeping, sanity checks, rescaling.

    Args:
        scale: factor applied to the frame before estimating (0.25: a 768x576 frame becomes 192x144).
        mask_detections: ignore pixels inside the detections' boxes (objects move on their own).
        max_scale_change: estimates scaling the image by more than this factor (either way) are rejected.
        max_shift: estimates moving the frame centre by more than this fraction of the frame diagonal are rejected.
    """

    def __init__(self, scale: float = 0.25, mask_detections: bool = True, max_scale_change: float = 1.5,
                 max_shift: float = 0.25) -> None:
        if not 0.0 < scale <= 1.0:
            raise ValueError(f"scale must lie in (0, 1], got {scale}")
        if max_scale_change <= 1.0:
            raise ValueError(f"max_scale_change must be > 1, got {max_scale_change}")
        self.scale, self.mask_detections = scale, mask_detections
        self.max_scale_change, self.max_shift = max_scale_change, max_shift
        self.reset()

    def reset(self) -> None:
        """Forget the previous frame: the next estimate is the identity."""
        self._shape: tuple[int, ...] | None = None
        self._prev = None

    def estimate(self, frame: np.ndarray | None, detections: Detections | None = None) -> np.ndarray:
        """Transform from the previous frame's pixel coordinates to this frame's.

        Args:
            frame: (H, W, 3) BGR or (H, W) grey uint8 image; None gives the identity.
            detections: this frame's detections, masked out when ``mask_detections`` is set.

        Returns:
            (2, 3) float64 affine matrix ``A``: a point ``p`` of the previous frame is at ``A[:, :2] p + A[:, 2]``.
            The identity on the first frame, after a change of frame size, and whenever estimation fails.
        """
        if frame is None or not isinstance(frame, np.ndarray) or frame.ndim not in (2, 3) or frame.size == 0:
            return identity()
        try:
            grey, d = self._prepare(frame)
            mask = self._mask(grey.shape, detections, d)
            if self._prev is None or self._shape != frame.shape[:2]:
                self._shape = frame.shape[:2]
                self._prev = self._remember(grey, mask)
                return identity()
            small, state = self._estimate(self._prev, grey, mask)
            self._prev = state
        except (cv2.error, ValueError, np.linalg.LinAlgError):
            self.reset()
            return identity()
        if small is None:
            return identity()
        return self._checked(self._to_full(small, d), frame.shape[:2])

    # ---- helpers -------------------------------------------------------------------------------
    def _prepare(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grey, downscaled image and the (2,) actual x/y scale factors."""
        if frame.dtype != np.uint8:
            frame = np.clip(frame, 0, 255).astype(np.uint8)
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        h, w = grey.shape
        sw, sh = max(8, int(round(w * self.scale))), max(8, int(round(h * self.scale)))
        if (sw, sh) != (w, h):
            grey = cv2.resize(grey, (sw, sh), interpolation=cv2.INTER_AREA)
        return grey, np.array([sw / w, sh / h])

    def _mask(self, shape, detections: Detections | None, d: np.ndarray) -> np.ndarray | None:
        """uint8 mask of the small image: 0 inside detection boxes, 255 elsewhere; None if nothing is masked."""
        if not self.mask_detections or detections is None or len(detections) == 0:
            return None
        mask = np.full(shape, 255, np.uint8)
        boxes = np.round(detections.xyxy * np.tile(d, 2)).astype(np.int64)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, shape[1])
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, shape[0])
        for x1, y1, x2, y2 in boxes:
            mask[y1:y2, x1:x2] = 0
        return mask

    @staticmethod
    def _to_full(small: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Rescale a transform of the small image (pixel centres x_s = d (x + 0.5) - 0.5) to full resolution."""
        lin, t = small[:, :2], small[:, 2]
        full_lin = lin * d[None, :] / d[:, None]  # D^-1 L D
        full_t = (lin @ (0.5 * d - 0.5) + t + 0.5) / d - 0.5
        return np.concatenate([full_lin, full_t[:, None]], axis=1)

    def _checked(self, affine: np.ndarray, shape) -> np.ndarray:
        """The transform if it is finite and plausible for one frame of camera motion, else the identity."""
        if not np.all(np.isfinite(affine)):
            return identity()
        det = float(np.linalg.det(affine[:, :2]))
        if not 1.0 / self.max_scale_change**2 <= det <= self.max_scale_change**2:
            return identity()
        h, w = shape
        centre = np.array([w / 2.0, h / 2.0])
        shift = np.linalg.norm(affine[:, :2] @ centre + affine[:, 2] - centre)
        if shift > self.max_shift * np.hypot(w, h):
            return identity()
        return affine

    # ---- method hooks --------------------------------------------------------------------------
    @abc.abstractmethod
    def _remember(self, grey: np.ndarray, mask: np.ndarray | None):
        """State kept for the next frame."""

    @abc.abstractmethod
    def _estimate(self, prev, grey: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray | None, object]:
        """(2, 3) transform of the small images (None on failure) and the state for the next frame."""
