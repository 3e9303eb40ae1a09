"""Training and evaluation: matching and tiling units, and a two-epoch run on synthetic scenes whose
model loads and whose evaluation writes a valid model card."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from borderwatch.boxes import iou_matrix as box_iou
from borderwatch.datasets.formats import write_yolo
from borderwatch.datasets.synthetic import synth_dataset
from borderwatch.detector.card import load_card
from borderwatch.errors import InputError
from borderwatch.training.evaluation import IOU_THRESHOLDS, match


def test_match_greedy_by_score_one_truth_once():
    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)
    gt_cls = np.array([0, 0])
    pred = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [20, 20, 30, 30]], float)
    conf = np.array([0.5, 0.9, 0.8, 0.7])
    pcls = np.array([0, 0, 0, 1])  # the last has the wrong class
    tp = match(pred, pcls, conf, gt, gt_cls, IOU_THRESHOLDS)
    assert tp[:, 0].tolist() == [False, True, True, False]  # higher score takes the first truth
    assert tp[1].sum() == 7  # IoU 0.81 passes thresholds 0.5..0.8
    assert tp[2].all()


def test_box_iou():
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(box_iou(a, b), [[1 / 3, 0]])


def test_pr_table_rows_are_what_detect_keeps_at_each_threshold():
    from borderwatch.datasets.model import LabeledImage
    from borderwatch.training.evaluation import PR_THRESHOLDS, _ImageRun, _pr_rows

    im = LabeledImage("a", 100, 100, boxes=np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float), labels=[0, 0])
    at = {t: (np.array([[0, 0, 10, 10]], float), np.array([0]), np.array([0.9])) for t in PR_THRESHOLDS}
    at[0.95] = (np.zeros((0, 4)), np.zeros(0, np.int64), np.zeros(0))
    table = _pr_rows([_ImageRun(im, at)], PR_THRESHOLDS)
    row = table["car"][0]
    assert (row["threshold"], row["precision"], row["recall"], row["n_pred"], row["n_true"]) == (0.05, 1.0, 0.5, 1, 2)
    assert len(table["car"]) == len(PR_THRESHOLDS)
    assert table["car"][-1]["precision"] is None and table["car"][-1]["recall"] == 0.0


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from borderwatch.training.trainer import train

    root = tmp_path_factory.mktemp("train")
    ds = synth_dataset(8, seed=31, size=128, gsd_m=0.1, n_vehicles=(2, 5), classes=("car", "truck"))
    val = synth_dataset(4, seed=32, size=128, gsd_m=0.1, n_vehicles=(2, 5), classes=("car", "truck"))
    data = write_yolo({"train": ds, "val": val}, root / "data")
    result = train(data, model="yolo11n.yaml", epochs=2, imgsz=128, batch=4, device="cpu", out_dir=root / "runs",
                   name="tiny", workers=0, mosaic=0.0, val=True)
    return root, data, result


@pytest.mark.slow
def test_two_epoch_training_produces_loadable_model_and_card(tiny_run):
    from borderwatch.training.cards import write_model_card
    from borderwatch.training.evaluation import engine_config, evaluate

    root, data, result = tiny_run
    assert result.last is not None and result.last.is_file()
    weights = result.best or result.last
    assert (root / "runs" / "tiny" / "args.yaml").is_file()
    # train pinned its checkpoints in the user's trust list, so they load without --trust-weights
    # (tests/test_hostile_world.py checks that eval refuses a pickle nobody vouched for); through detect's engine
    config = engine_config(weights, trust_weights=True, conf=0.01, tile_size=128, runtime="native")
    res = evaluate(config, data, gsds=[None, 0.3], native_gsd_m=0.1)
    assert [v.gsd_m for v in res.variants] == [None, 0.3]
    native = res.variants[0]
    assert native.n_images == 12 and native.total_true > 0
    assert native.count_mae >= 0 and "car" in native.per_class
    card_path = write_model_card(res, "tiny-synth", root / "models", weights=weights, licence="test data",
                                 training={"data": "synthetic"})
    card = load_card(card_path)
    assert card.sha256 and card.file == weights.name and len(card.metrics) == 2
    assert card.metrics[1].gsd_m == 0.3 and card.class_metrics("car", 0.3) is not None
    assert card.inference.tile == 128 and card.inference.conf == 0.01  # the slicing it was measured with
    assert card.metrics[0].pr_table["car"][0].threshold == 0.05
    assert card.class_metrics("car", 0.3, threshold=0.5) is not None
    assert card.metrics[0].per_class["car"].n_true == native.per_class["car"].n_true


@pytest.mark.slow
def test_cli_eval_writes_card(tiny_run, tmp_path):
    from borderwatch.cli import app

    root, data, result = tiny_run
    weights = result.best or result.last
    res = CliRunner().invoke(app, ["eval", str(weights), str(data), "--gsd", "native", "--native-gsd", "0.1",
                                   "--calibrate-on", str(data), "--tile-size", "128", "--runtime", "native",
                                   "--card-out", str(tmp_path), "--name", "tiny", "--trust-weights", "-q",
                                   "--json", str(tmp_path / "m.json")])
    assert res.exit_code == 0, res.output
    assert "native:" in res.output and "operating threshold" in res.output
    assert (tmp_path / "tiny.md").read_text().startswith("# tiny")
    native = load_card(tmp_path / "tiny.yaml").metrics[0]
    # the native entry carries its images' median GSD, so the geo stage can pick the closest entry
    assert native.gsd_m == 0.1 and native.model_extra["scale"] == "native"
    assert (tmp_path / "m.json").is_file()
    bad = CliRunner().invoke(app, ["eval", str(weights), str(tmp_path / "nope.yaml"), "--trust-weights", "-q"])
    assert bad.exit_code == 2


@pytest.mark.slow
def test_resume_continues_the_run(tiny_run):
    import shutil

    import torch

    from borderwatch.training.trainer import train

    root, data, result = tiny_run
    weights = root / "runs" / "tiny" / "weights"
    # a finished run's last.pt has no optimizer: refused, instead of ultralytics starting a new run
    with pytest.raises(InputError, match="nothing to resume"):
        train(data, resume=True, out_dir=root / "runs", name="tiny", device="cpu")
    # simulate a crash after epoch 1: the per-epoch checkpoint becomes last.pt, and resume finishes epoch 2
    # (in place: ultralytics resumes into the run folder recorded in the checkpoint)
    shutil.copy(weights / "epoch0.pt", weights / "last.pt")  # ultralytics counts epochs from 0
    resumed = train(data, resume=True, out_dir=root / "runs", name="tiny", device="cpu")
    assert resumed.epochs_done == 2
    assert resumed.run_dir == root / "runs" / "tiny"
    ckpt = torch.load(weights / "last.pt", map_location="cpu", weights_only=False)
    assert ckpt.get("optimizer") is None  # finished and stripped


def test_train_refuses_missing_data(tmp_path):
    from borderwatch.training.trainer import train

    with pytest.raises(InputError):
        train(tmp_path / "missing.yaml", out_dir=tmp_path)
    with pytest.raises(InputError):
        train(tmp_path, resume=True, out_dir=tmp_path, name="none")


def test_pick_device():
    from borderwatch.training.trainer import pick_device

    assert pick_device("cpu") == "cpu"
    assert pick_device("auto") in ("cpu", "0", "mps")
