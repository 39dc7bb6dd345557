"""The `boosttrack` preset and its parts (roadtrack.trackers.boost_parts) on hand-made frames."""

from __future__ import annotations

import numpy as np
import pytest

import roadtrack
from roadtrack.association.boosttrack import BoostAssociator
from roadtrack.core import Detections, TrackView
from roadtrack.kalman.xyhr import XYHRKalman
from roadtrack.trackers.boost_parts import ConfidenceBoost, WarpFirstMotion
from roadtrack.trackers.presets.boosttrack import boosttrack
from roadtrack.trackers.table import TrackTable

BOX = np.array([100.0, 100.0, 140.0, 180.0])
FAR = np.array([400.0, 100.0, 440.0, 180.0])


def det(*boxes, scores, features=None) -> Detections:
    return Detections(np.array(boxes, float).reshape(-1, 4), scores=scores, features=features)


def test_defaults_are_the_reference_boosttrack_plus_plus():
    t = roadtrack.build("tracker", "boosttrack")
    step, assoc, life = t.detection_step, t.associator, t.lifecycle
    assert (step.det_thresh, step.use_rich_s, step.use_sb, step.use_vt) == (0.6, True, True, True)
    assert (assoc.iou_threshold, assoc.lambda_iou, assoc.lambda_mhd, assoc.lambda_shape) == (0.3, 0.5, 0.25, 0.25)
    assert (life.max_age, life.min_hits, life.new_track_min_score, life.report_box) == (60, 3, 0.6, "state")
    assert boosttrack(frame_rate=10).lifecycle.max_age == 30  # max(int(2 * 10), 30)
    assert boosttrack(frame_rate=25, max_age=5).lifecycle.max_age == 5
    assert isinstance(t.motion.model, XYHRKalman) and t.cmc is not None and boosttrack(cmc=None).cmc is None
    assert t.embedder is None and boosttrack(with_reid=False).appearance is None


def test_a_low_score_detection_on_a_track_is_boosted_and_keeps_it():
    on, off = boosttrack(cmc=None), boosttrack(cmc=None, use_dlo_boost=False, use_duo_boost=False)
    for tracker in (on, off):
        for _ in range(8):  # age 8 in frame 9: past the 7-frame warm-up, tracklet confidence 0.9^0 = 1
            out = tracker.update(det(BOX, scores=[0.9]))
        assert out.ids.tolist() == [1]
    # Frame 9: the same box at 0.4 < det_thresh 0.6, and an unrelated 0.5 box far away.
    # The static track predicts BOX (velocity 0): Mahalanobis d2 = 0, softmax over the two detections
    # e^13.2767 / (e^13.2767 + e^0) = 1 - 1.7e-6 (FAR is beyond the limit: 0), shape 1, soft BIoU 1 (confidence 1:
    # no buffers), so S = 1 - 6e-7 and the soft boost gives max(0.4, 0.65 * 0.4 + 0.35 * S^1.5) = 0.61; S > 0.95
    # would lift it to 0.6 + 1e-5 (varying threshold), which is lower.
    # FAR is farther than 13.2767 from every track and has no rival: DUO lifts 0.5 to det_thresh + 1e-4 = 0.6001.
    frame = det(BOX, FAR, scores=[0.4, 0.5])
    out = on.update(frame)
    assert out.ids.tolist() == [1] and out.det_index.tolist() == [0] and out.scores == pytest.approx([0.61], abs=1e-5)
    assert on.tracks.ids.tolist() == [1, 2] and on.tracks.scores[1] == pytest.approx(0.6001)  # FAR started a track
    # Without the boosts both detections fall below det_thresh: the track coasts unreported, nothing starts.
    assert len(off.update(frame)) == 0 and off.tracks.ids.tolist() == [1]


def test_confidence_boost_threshold_and_row_map_without_tracks():
    view = TrackView.from_boxes(np.zeros((0, 4)), np.zeros(0, np.int64))
    kept_dets, kept = ConfidenceBoost(det_thresh=0.6).refine(view, det(BOX, FAR, BOX + 1, scores=[0.7, 0.59, 0.6]))
    assert kept.tolist() == [0, 2] and kept_dets.scores.tolist() == [0.7, 0.6]  # >= det_thresh, as the reference


def test_appearance_ema_weight_follows_the_boosted_score():
    t = boosttrack(cmc=None)
    for _ in range(8):
        t.update(det(BOX, scores=[0.9], features=np.array([[1.0, 0.0]], np.float32)))
    t.update(det(BOX, scores=[0.8], features=np.array([[0.0, 1.0]], np.float32)))
    # Frame 9 (confidence 1, see above), one detection on the prediction: S = 1, boost 0.65 * 0.8 + 0.35 = 0.87.
    # trust = (0.87 - 0.6) / (1 - 0.6) = 0.675; alpha = 0.95 + 0.05 * (1 - 0.675) = 0.96625.
    alpha = 0.95 + 0.05 * (1 - (0.87 - 0.6) / 0.4)
    expected = np.array([alpha, 1 - alpha]) / np.hypot(alpha, 1 - alpha)
    np.testing.assert_allclose(t.tracks.features[0], expected, rtol=1e-5)
    assert t.tracks.scores[0] == pytest.approx(0.87)


def test_warp_first_motion_warps_the_posterior_then_predicts():
    model = XYHRKalman()
    part = WarpFirstMotion(model)
    t = TrackTable(part.columns())
    mean, cov = model.initiate(np.array([[0.0, 0.0, 10.0, 20.0]]))
    mean[0, 4] = 3.0  # cx velocity 3 px/frame
    t.append(1, ids=np.array([1]), mean=mean, cov=cov)
    part.predict(t, np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]))  # zoom x2 about the origin
    # Reference order: corners (0, 0)-(10, 20) -> (0, 0)-(20, 40): cx 10, then + velocity 3 = 13 (the velocity
    # is not scaled). Warping the prediction instead would give 2 * (5 + 3) = 16.
    assert t.mean[0, :4].tolist() == pytest.approx([13.0, 20.0, 40.0, 0.5])
    # Covariance: P0 predicted, the warp leaves it as it is.
    np.testing.assert_allclose(t.cov[0], model.predict(mean, cov)[1][0])


def test_associator_gates_classes_and_needs_a_kalman_view():
    tracker = boosttrack(cmc=None)
    tracker.update(Detections([BOX, FAR], scores=[0.9, 0.9], class_ids=[0, 1]))
    tracker.update(Detections([BOX, FAR], scores=[0.9, 0.9], class_ids=[0, 1]))
    view = tracker._view(tracker.tracks, tracker.motion.boxes(tracker.tracks))
    m = BoostAssociator().match(view, Detections([BOX, FAR], scores=[0.9, 0.9], class_ids=[1, 1]))
    assert m.rows.tolist() == [1] and m.cols.tolist() == [1]  # track 0 (class 0) may not take BOX (class 1)
    m = BoostAssociator(class_aware=False).match(view, Detections([BOX, FAR], scores=[0.9, 0.9], class_ids=[1, 1]))
    assert m.rows.tolist() == [0, 1] and m.cols.tolist() == [0, 1]
    with pytest.raises(ValueError, match="mean"):
        BoostAssociator().match(TrackView.from_boxes([BOX], [0]), det(BOX, scores=[0.9]))
