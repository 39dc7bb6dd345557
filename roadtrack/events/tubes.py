"""Build `Tube`s (one track over time) from a tracker's per-frame output."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from roadtrack.core import Tracks, Tube


class TubeBuilder:
    """Collects per-frame `Tracks` and groups their rows by track id at the end.

    Rows are stored as per-frame arrays (not per track), so adding a frame costs O(rows) numpy work.
    """

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, Tracks]] = []

    def add(self, frame: int, tracks: Tracks) -> None:
        if len(tracks):
            self._chunks.append((np.full(len(tracks), frame, np.int64), tracks))

    def build(self) -> list[Tube]:
        """Tubes ordered by track id; each tube's frames ascend."""
        if not self._chunks:
            return []
        frames = np.concatenate([f for f, _ in self._chunks])
        tracks = Tracks.concat([t for _, t in self._chunks])
        order = np.lexsort((frames, tracks.ids))
        frames, tracks = frames[order], tracks[order]
        starts = np.flatnonzero(np.r_[True, np.diff(tracks.ids) != 0])
        bounds = np.r_[starts, len(tracks)]
        return [
            Tube(int(tracks.ids[a]), frames[a:b], tracks.xyxy[a:b], tracks.scores[a:b], tracks.class_ids[a:b])
            for a, b in zip(bounds[:-1], bounds[1:])
        ]


def tubes_from_tracks(frames_and_tracks: Iterable[tuple[int, Tracks]]) -> list[Tube]:
    """Group ``(frame, Tracks)`` pairs into tubes, one per track id."""
    builder = TubeBuilder()
    for frame, tracks in frames_and_tracks:
        builder.add(frame, tracks)
    return builder.build()
