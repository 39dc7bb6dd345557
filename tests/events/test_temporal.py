"""TemporalEventClassifier: training on a tiny rendered split beats the kinematic baseline; checkpoints; CLI.

The module fixture renders a tiny synthetic ROAD split (320x240, 40 frames: 12 train, 2 val, 3 test videos)
and trains a small model on it in about 20 s; nothing is loaded from disk that the tests did not write.
"""

import numpy as np
import pytest

from conftest import require_module

torch = require_module("torch")

from roadtrack.cli import main  # noqa: E402
from roadtrack.core.labels import ROAD  # noqa: E402
from roadtrack.datasets.synthetic_video import Camera, write_synthetic_videos  # noqa: E402
from roadtrack.events import KinematicEventClassifier  # noqa: E402
from roadtrack.events.temporal import TemporalConfig, TemporalEventClassifier, load_checkpoint  # noqa: E402
from roadtrack.events.training import TrainOptions, average_precision, train_events  # noqa: E402
from roadtrack.validate_events import evaluate_events  # noqa: E402

CAMERA = Camera(width=320, height=240, focal=267.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_road")
    ann = write_synthetic_videos(root, {"train": 12, "val": 2, "test": 3}, seed=0, num_frames=40, camera=CAMERA)
    trained = train_events(ann, root / "videos", root / "model", TemporalConfig(width=48),
                           TrainOptions(epochs=20, batch_size=16, lr=5e-3, seed=0), progress=False)
    return root, ann, trained


def test_trained_model_beats_the_kinematic_baseline(tiny):
    root, ann, trained = tiny
    scores = {}
    for name, clf in (("kinematic", KinematicEventClassifier(
        focal=CAMERA.focal, horizon=CAMERA.horizon, camera_height=CAMERA.mount, traffic_side="left")),
                      ("temporal", TemporalEventClassifier(trained.best, device="cpu"))):
        run = evaluate_events(clf, ann, root / "videos", "test", root / name)
        scores[name] = {t: run.tubes.get("video", t, 0.2).mAP for t in ("action", "triplet")}
    for label_type in ("action", "triplet"):
        assert scores["temporal"][label_type] > scores["kinematic"][label_type], scores


def test_training_history_and_checkpoint_contents(tiny):
    _, _, trained = tiny
    assert len(trained.history) == 20 and trained.history[-1]["loss"] < trained.history[0]["loss"]
    assert max(r["val_mAP"] for r in trained.history) > trained.history[0]["val_mAP"]
    ckpt = load_checkpoint(trained.best)
    assert ckpt["labels"]["action"] == list(ROAD.action) and ckpt["labels"]["loc"] == list(ROAD.loc)
    assert ckpt["config"]["width"] == 48 and ckpt["epoch"] == max(trained.history, key=lambda r: r["val_mAP"])["epoch"]


def test_classify_fills_every_label_type(tiny):
    root, ann, trained = tiny
    from roadtrack.core import Tube
    from roadtrack.datasets import load_road

    video = load_road(ann).subset("test")[0]
    gt = video.tubes["agent"][0]
    tube = Tube(1, gt.frames, gt.boxes * np.array([CAMERA.width, CAMERA.height] * 2), np.full(len(gt), 0.9),
                np.full(len(gt), gt.label_id))
    clf = TemporalEventClassifier.from_network(trained.network, trained.config)
    (out,) = clf.classify([tube], root / "videos" / f"{video.name}.mp4")
    shapes = {k: v.shape for k, v in out.labels.items()}
    assert shapes == {"agent": (len(gt), 10), "action": (len(gt), 19), "loc": (len(gt), 12),
                      "duplex": (len(gt), 39), "triplet": (len(gt), 68)}
    assert all(np.all((v >= 0) & (v <= 1)) for v in out.labels.values())


@pytest.fixture(scope="module")
def micro(tmp_path_factory):
    root = tmp_path_factory.mktemp("micro_road")
    ann = write_synthetic_videos(root, {"train": 2, "val": 1}, seed=3, num_frames=16, camera=CAMERA)
    return root, ann


def test_cli_trains_and_resumes(micro, capsys):
    root, ann = micro
    out = root / "run"
    args = ["train-events", "--annotations", str(ann), "--videos", str(root / "videos"), "--out", str(out),
            "--width", "16", "--no-progress"]
    assert main([*args, "--epochs", "1"]) == 0
    assert load_checkpoint(out / "last.ckpt")["epoch"] == 0
    assert main([*args, "--epochs", "2", "--resume", str(out / "last.ckpt")]) == 0
    ckpt = load_checkpoint(out / "last.ckpt")
    assert ckpt["epoch"] == 1 and [r["epoch"] for r in ckpt["history"]] == [0, 1]
    assert "epoch 2/2" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--videos", "VIDEOS", "--annotations", "missing.json"], "not found"),
    (["--videos", "nowhere", "--annotations", "ANN"], "not found"),
    (["--videos", "VIDEOS", "--annotations", "ANN", "--epochs", "0"], "must be positive"),
    (["--videos", "VIDEOS", "--annotations", "ANN", "--resume", "ANN"], "not a readable checkpoint"),
])
def test_cli_errors_are_one_line(micro, capsys, argv, message):
    root, ann = micro
    argv = [str(ann) if a == "ANN" else str(root / "videos") if a == "VIDEOS" else a for a in argv]
    assert main(["train-events", *argv, "--out", str(root / "bad"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("roadtrack: error:") and message in err[0]


def test_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        TemporalEventClassifier(tmp_path / "nope.ckpt")
    torch.save({"format": "something else"}, tmp_path / "other.ckpt")
    with pytest.raises(ValueError, match="not a roadtrack event-model checkpoint"):
        TemporalEventClassifier(tmp_path / "other.ckpt")


def test_average_precision_by_hand():
    # ranks: P, N, P -> precision at the hits 1/1 and 2/3 -> AP (1 + 2/3) / 2
    assert average_precision(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1], bool)) == pytest.approx(5 / 6)
    assert np.isnan(average_precision(np.array([0.5]), np.array([False])))
