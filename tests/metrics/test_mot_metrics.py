"""HOTA, CLEAR and Identity on small hand-made sequences; expected values written as arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from mot_references import motmetrics
from roadtrack.io import TrackRows
from roadtrack.metrics import ALPHAS, CLEAR, HOTA, Identity, build_sequence, clear_mot
from roadtrack.metrics.benchmarks import plain

BOX = [0.0, 0.0, 10.0, 10.0]
FAR = [100.0, 100.0, 110.0, 110.0]
SHORT = [0.0, 0.0, 10.0, 6.25]  # IoU with BOX: 62.5 / 100 = 0.625, exact in binary
SIDE = [0.0, 0.0, 10.0, 6.0]    # IoU with BOX 0.6 (a second, worse candidate)


def rows(*table) -> TrackRows:
    """Rows from (frame, id, box) tuples."""
    return TrackRows(frames=[r[0] for r in table], ids=[r[1] for r in table], xyxy=[r[2] for r in table])


def score(metric, gt: TrackRows, pred: TrackRows):
    return metric.combine([metric.evaluate_sequence(plain(gt, pred))])


def test_hota_one_object_split_over_two_predicted_ids():
    gt = rows(*[(f, 1, BOX) for f in range(1, 5)])
    pred = rows((1, 7, BOX), (2, 7, BOX), (3, 8, BOX), (4, 8, BOX))
    r = score(HOTA(), gt, pred)
    # Each id pair: TPA 2, FNA 4 - 2, FPA 2 - 2 -> 2 / 4; AssA = (2 * 0.5 + 2 * 0.5) / 4 TPs.
    np.testing.assert_allclose(r.DetA, 1.0)
    np.testing.assert_allclose(r.AssA, 0.5)
    np.testing.assert_allclose(r.AssRe, (2 * 2 / 4 + 2 * 2 / 4) / 4)
    np.testing.assert_allclose(r.AssPr, (2 * 2 / 2 + 2 * 2 / 2) / 4)
    np.testing.assert_allclose(r.HOTA, np.sqrt(0.5))
    np.testing.assert_allclose(r.LocA, 1.0)


def test_hota_thresholds_above_the_localisation_count_nothing():
    gt = rows((1, 1, BOX), (2, 1, BOX))
    pred = rows((1, 5, SHORT), (2, 5, SHORT))
    r = score(HOTA(), gt, pred)
    passed = ALPHAS <= 0.625  # 0.05 ... 0.60: 12 of 19 thresholds
    assert passed.sum() == 12
    np.testing.assert_allclose(r.HOTA, np.where(passed, 1.0, 0.0))
    np.testing.assert_allclose(r.HOTA_FN, np.where(passed, 0, 2))
    np.testing.assert_allclose(r.LocA[passed], 0.625)
    assert r.summary()["HOTA"] == pytest.approx(12 / 19)
    assert r.HOTA0 == 1.0 and r.LocA0 == 0.625 and r.HOTALocA0 == 0.625


def test_hota_prefers_the_globally_aligned_id_over_a_better_box():
    # Frame 3: prediction 5 (aligned with the object for frames 1-2) overlaps less than prediction 6.
    gt = rows((1, 1, BOX), (2, 1, BOX), (3, 1, BOX))
    pred = rows((1, 5, BOX), (2, 5, BOX), (3, 5, SIDE), (3, 6, BOX))
    r = score(HOTA(), gt, pred)
    # Matched to 5 in all frames: at alpha <= 0.6, TPA 3 of 3 -> AssA 1, and 1 FP (prediction 6).
    low = ALPHAS <= 0.6 - 1e-9
    np.testing.assert_allclose(r.AssA[low], 1.0)
    np.testing.assert_allclose(r.DetA[low], 3 / (3 + 0 + 1))


def test_hota_combines_by_summing_counts_not_averaging_scores():
    metric = HOTA()
    a = metric.evaluate_sequence(plain(rows((1, 1, BOX)), rows((1, 2, BOX))))           # 1 TP
    b = metric.evaluate_sequence(plain(rows((1, 1, BOX), (1, 2, FAR)), rows()))        # 2 FN
    combined = metric.combine([a, b])
    np.testing.assert_allclose(combined.DetA, 1 / (1 + 2 + 0))
    assert metric.result(a).DetA[0] == 1.0 and metric.result(b).DetA[0] == 0.0


def test_clear_switch_fragmentation_and_mostly_tracked():
    # Object 1 over five frames: tracked by 7, missed in frame 3, then tracked by 8 (one switch, one fragment).
    gt = rows(*[(f, 1, BOX) for f in range(1, 6)], *[(f, 2, FAR) for f in range(1, 6)])
    pred = rows((1, 7, BOX), (2, 7, BOX), (4, 8, BOX), (5, 8, BOX), (1, 9, FAR), (2, 9, FAR), (3, 9, FAR),
                (4, 9, FAR))
    r = score(CLEAR(), gt, pred)
    assert (r.TP, r.FN, r.FP, r.IDSW, r.Frag) == (8, 2, 0, 1, 1)
    assert r.MOTA == pytest.approx(1 - (2 + 0 + 1) / 10)
    # Object 1 tracked 4 / 5, object 2 tracked 4 / 5: both "mostly tracked" at >= 80 % (py-motmetrics) ...
    assert (r.MT, r.PT, r.ML) == (2, 0, 0)
    # ... but partially tracked under TrackEval's > 80 %.
    t = score(CLEAR(convention="trackeval"), gt, pred)
    assert (t.MT, t.PT, t.ML, t.IDSW, t.Frag) == (0, 2, 0, 1, 1)
    assert r.MOTP == 1.0 and r.Frames == 5


def test_clear_conventions_differ_in_continuing_across_a_gap():
    # Frame 1: object 1 matched to 7. Frame 2: object 1 unmatched (frame still has ground truth and predictions).
    # Frame 3: 7 overlaps object 1 less than 8 does. py-motmetrics keeps 7 (its last match); TrackEval only
    # continues the previous frame's pairs, so it takes the better box 8: an identity switch.
    gt = rows((1, 1, BOX), (2, 1, BOX), (3, 1, BOX), (2, 2, FAR))
    pred = rows((1, 7, BOX), (2, 9, FAR), (3, 7, SIDE), (3, 8, BOX))
    assert score(CLEAR(), gt, pred).IDSW == 0
    assert score(CLEAR(convention="trackeval"), gt, pred).IDSW == 1


def test_identity_one_object_split_over_two_ids():
    gt = rows(*[(f, 1, BOX) for f in range(1, 5)])
    pred = rows((1, 7, BOX), (2, 7, BOX), (3, 8, BOX), (4, 8, BOX))
    r = score(Identity(), gt, pred)
    assert (r.IDTP, r.IDFN, r.IDFP) == (2, 2, 2)
    assert r.IDF1 == 2 * 2 / (4 + 4) and r.IDR == 0.5 and r.IDP == 0.5


@pytest.mark.parametrize("metric", [HOTA(), CLEAR(), CLEAR(convention="trackeval"), Identity()])
def test_empty_inputs_score_zero_not_nan(metric):
    for gt, pred in ((rows(), rows()), (rows((1, 1, BOX)), rows()), (rows(), rows((1, 1, BOX)))):
        summary = score(metric, gt, pred).summary()
        assert all(np.isfinite(v) for v in summary.values()), summary


def test_results_do_not_depend_on_row_order():
    """HOTA and Identity ignore row order; CLEAR (like py-motmetrics) depends only on the order within a frame."""
    rng = np.random.default_rng(0)
    n = 300
    frames = rng.integers(1, 20, n)
    ids = np.arange(n) % 15 + 1
    keep = np.unique(np.c_[frames, ids], axis=0, return_index=True)[1]
    xy = rng.uniform(0, 60, (n, 2))
    gt = TrackRows(frames[keep], ids[keep], np.c_[xy, xy + 20][keep])
    pred = TrackRows(gt.frames, (gt.ids * 7) % 11, gt.xyxy + rng.normal(0, 2, gt.xyxy.shape).clip(-5, 5))
    pred = pred[np.unique(np.c_[pred.frames, pred.ids], axis=0, return_index=True)[1]]
    shuffled_gt, shuffled_pred = gt[rng.permutation(len(gt))], pred[rng.permutation(len(pred))]
    for metric in (HOTA(), Identity()):
        assert score(metric, gt, pred).summary() == pytest.approx(score(metric, shuffled_gt, shuffled_pred).summary())
    frame_order = rng.permutation(20)  # shuffle frames, keep each frame's rows in order
    regrouped_gt = gt[np.argsort(frame_order[gt.frames], kind="stable")]
    regrouped_pred = pred[np.argsort(frame_order[pred.frames], kind="stable")]
    for metric in (CLEAR(), CLEAR(convention="trackeval")):
        assert score(metric, gt, pred).summary() == pytest.approx(score(metric, regrouped_gt, regrouped_pred).summary())


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: plain(rows((1, 1, BOX), (1, 1, FAR)), rows()), "ground truth has id 1 more than once in frame 1"),
        (lambda: plain(rows(), rows((3, 4, BOX), (3, 4, FAR))), "predictions has id 4 more than once in frame 3"),
        (lambda: CLEAR(convention="pymot"), "unknown CLEAR convention 'pymot'"),
        (lambda: build_sequence("s", 1, [1], [1], [1], [1], [0], [0], [0.5]), None),  # does not raise
    ],
)
def test_bad_input_raises(build, match):
    if match is None:
        build()
        return
    with pytest.raises(ValueError, match=match):
        build()


def test_clear_mot_keeps_py_motmetrics_names_and_values():
    mm = motmetrics()
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 200, (8, 2))
    gt = TrackRows(np.repeat(np.arange(1, 31), 8), np.tile(np.arange(1, 9), 30),
                   np.tile(np.c_[xy, xy + 30], (30, 1)) + rng.normal(0, 3, (240, 4)).clip(-6, 6) + [0, 0, 12, 12])
    pred = TrackRows(gt.frames, np.where(gt.frames > 15, (gt.ids % 8) + 1, gt.ids), gt.xyxy + rng.normal(0, 4, (240, 4)))
    pred = pred[rng.random(len(pred)) > 0.15]
    ours = clear_mot(gt, pred, frames=range(1, 31))
    acc = mm.MOTAccumulator(auto_id=False)
    for f in range(1, 31):
        g, p = gt.frames == f, pred.frames == f
        dist = mm.distances.iou_matrix(gt.tlwh[g], pred.tlwh[p], max_iou=0.5)
        acc.update(gt.ids[g].tolist(), pred.ids[p].tolist(), dist, frameid=f)
    theirs = mm.metrics.create().compute(acc, metrics=list(ours), name="s")
    for name, value in ours.items():
        assert value == pytest.approx(float(theirs[name].iloc[0]), abs=1e-9), name
    assert ours["num_switches"] > 0


def test_clear_mot_divides_by_zero_like_py_motmetrics():
    nothing = clear_mot(rows(), rows((1, 4, BOX)), frames=[1])
    assert np.isnan(nothing["motp"]) and np.isnan(nothing["idr"]) and nothing["mota"] == -np.inf
    assert nothing["idp"] == 0.0 and nothing["num_false_positives"] == 1.0
