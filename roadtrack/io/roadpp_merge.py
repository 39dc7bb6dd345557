"""One ROAD++ submission from per-video ones: every label type and every video of the split present.

The official evaluator indexes the submission by every label type and every video of the evaluated split
(``shared/specs/road.md`` §3.9), while ``roadtrack track`` writes one video per run; these fill the gaps with
empty lists so the merged file runs through the evaluator as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

from roadtrack.core.labels import LABEL_TYPES, LabelSet
from roadtrack.io.roadpp import SUBMISSION_SIZE, SubmissionTube, read_submission, write_submission


def complete_submission(submission: Mapping[str, Mapping[str, Sequence]], videos: Sequence[str] = (),
                        label_types: Sequence[str] = LABEL_TYPES) -> dict[str, dict[str, list]]:
    """The submission with every label type of ``label_types`` and every video present (empty lists added).

    Args:
        submission: ``{label_type: {video: [tube]}}``.
        videos: videos that must be present (e.g. a split's); videos in ``submission`` are kept too.
        label_types: label types that must be present.

    Returns:
        A new dict of lists (the tubes themselves are not copied); videos in first-seen order.
    """
    names = list(dict.fromkeys([*videos, *(v for per_type in submission.values() for v in per_type)]))
    out = {t: {v: list(submission.get(t, {}).get(v, [])) for v in names} for t in label_types}
    for t in submission:
        if t not in out:
            out[t] = {v: list(tubes) for v, tubes in submission[t].items()}
    return out


def merge_submissions(paths: Sequence[str | os.PathLike], out_path: str | os.PathLike,
                      videos: Sequence[str] = (), labels: str | LabelSet = "road_waymo",
                      frame_size: tuple[float, float] = SUBMISSION_SIZE) -> Path:
    """Merge per-video submission files into one that the official evaluator reads as it is.

    Args:
        paths: submission pickles (e.g. the ``tubes.pkl`` of one ``roadtrack track`` run per video).
        out_path: the merged ``.pkl`` (written atomically).
        videos: every video of the evaluated split; those without a file get empty lists.
        labels, frame_size: as in `validate_submission`.

    Raises:
        ValueError: a file is invalid, or two files hold tubes of the same label type and video.
    """
    merged: dict[str, dict[str, list[SubmissionTube]]] = {}
    for path in paths:
        for label_type, per_video in read_submission(path, labels, frame_size).items():
            for video, tubes in per_video.items():
                if video in merged.get(label_type, {}):
                    raise ValueError(f"{path}: {label_type}/{video} is also in an earlier file; "
                                     "merge one file per video")
                merged.setdefault(label_type, {})[video] = tubes
    return write_submission(out_path, complete_submission(merged, videos), labels, frame_size)
