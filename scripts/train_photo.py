#!/usr/bin/env python
"""The recipe of borderwatch-photo: fine-tune YOLO11n (COCO) on the ground-photo set to the taxonomy's 5 classes.

    python scripts/prepare_photo.py --out /work/data/ground
    nohup nice -n 4 env OMP_NUM_THREADS=1 python scripts/train_photo.py --data /work/data/ground/data.yaml \
        --until 23:05 > /work/logs/photo_train.log 2>&1 &
    python scripts/train_photo.py --resume            # continue an interrupted run (same --out/--name)

The start is the COCO checkpoint with its class layer cut to the taxonomy: each of the 5 output rows is
copied from the COCO class it descends from (car<-car, truck<-truck, bus<-bus, two_wheeler<-motorcycle,
heavy_equipment<-truck, because COCO calls machines "truck"), so the first step already detects what the
COCO model does (no forgetting from a random head). Every other tensor is COCO's, unchanged: ultralytics'
own rebuild would shrink the class branch (its width is max(64, nc)) and drop 51 tensors, so this recipe
passes its own trainer that keeps the surgically made model.

Warm-up keeps the bias rate at lr0 (ultralytics' default warmup_bias_lr 0.1 is meant for a fresh head). A
first run with the default lost most small cars after epoch 1 (traffic-cam car recall at score 0.25: COCO
0.63, that run 0.01) although its class-layer biases barely moved; the cause is not settled (BatchNorm
biases at the high warm-up rate, small cars left unlabelled below the 0.6 pseudo-label score, few dense
scenes in train) — compare epochs on scripts/eval_photo_quick.py before trusting either run.

Wall time is the budget (``--until`` or ``--time-hours``): ultralytics fits the epochs into it. Runs and
weights go outside the repository (they derive from third-party data): /work/data/ground/runs by default.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COCO_START = REPO.parent / "shared" / "models" / "yolo11n_coco_from_int8.pt"
# the shared README publishes this hash; the start checkpoint is a pickle, so only this file is trusted
COCO_START_SHA256 = "eb047f68791bdcba34e7964a7f79d3e7dac3dcf7fb338af46a50187788313713"
CLASSES = ("car", "truck", "bus", "two_wheeler", "heavy_equipment")  # borderwatch.taxonomy.CLASSES
COCO_ROW = {"car": 2, "truck": 7, "bus": 5, "two_wheeler": 3, "heavy_equipment": 7}

RECIPE = dict(
    imgsz=512, batch=16, epochs=30, patience=100, close_mosaic=1, mosaic=1.0, flipud=0.0, fliplr=0.5,
    degrees=0.0, scale=0.5, translate=0.1, hsv_h=0.015, hsv_s=0.6, hsv_v=0.4, lr0=0.005, lrf=0.1, cos_lr=False,
    optimizer="SGD", momentum=0.9, warmup_epochs=0.5, warmup_bias_lr=0.005, seed=0, deterministic=False,
    workers=0, plots=False, save_period=1, amp=False, verbose=False, exist_ok=True, val=True,
)


def sha256_of(path: Path) -> str:
    from borderwatch.detector.weights import sha256_of as _sha

    return _sha(path)


def cut_head(start: Path, out: Path) -> Path:
    """The COCO checkpoint with a 5-class output layer whose rows are the parent COCO classes'."""
    import torch
    from ultralytics import YOLO

    ckpt = torch.load(start, map_location="cpu", weights_only=False)  # trusted: sha256 checked by the caller
    model = YOLO(str(start), task="detect").model.float()
    head = model.model[-1]
    rows = torch.tensor([COCO_ROW[c] for c in CLASSES])
    n_tensors = len(model.state_dict())
    branches = [head.cv3] + ([head.one2one_cv3] if hasattr(head, "one2one_cv3") else [])
    for branch in branches:
        for seq in branch:
            old = seq[-1]
            new = torch.nn.Conv2d(old.in_channels, len(CLASSES), 1)
            new.weight.data = old.weight.data[rows].clone()
            new.bias.data = old.bias.data[rows].clone()
            seq[-1] = new
    head.nc = len(CLASSES)
    head.no = head.nc + head.reg_max * 4
    model.nc = head.nc
    model.yaml["nc"] = head.nc
    model.names = dict(enumerate(CLASSES))
    print(f"head surgery: {n_tensors}/{n_tensors} tensors from COCO; class rows "
          + ", ".join(f"{c}<-coco[{COCO_ROW[c]}]" for c in CLASSES), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    ckpt = {k: v for k, v in ckpt.items() if k not in ("ema", "optimizer", "updates", "train_results")}
    ckpt.update(model=copy.deepcopy(model).half(), epoch=-1, best_fitness=None, train_args={})
    torch.save(ckpt, out)
    return out


def trusted_own_checkpoint(path: Path) -> Path | None:
    """The project's own checkpoint, if the sha256 in the card beside it (``<stem>.yaml``) vouches for it."""
    import yaml

    card = path.with_suffix(".yaml")
    want = yaml.safe_load(card.read_text(encoding="utf-8")).get("sha256") if card.is_file() else None
    got = sha256_of(path)
    if want != got:
        print(f"{path}: sha256 {got} does not match its card {card} ({want})", file=sys.stderr)
        return None
    return path


def make_trainer():
    from ultralytics.models.yolo.detect import DetectionTrainer

    class PhotoTrainer(DetectionTrainer):
        """Keeps the given 5-class model instead of rebuilding it from its yaml (which would change widths)."""

        def get_model(self, cfg=None, weights=None, verbose=True):
            import torch

            if isinstance(weights, torch.nn.Module) and getattr(weights.model[-1], "nc", None) == self.data["nc"]:
                return weights.float()
            return super().get_model(cfg=cfg, weights=weights, verbose=verbose)

    return PhotoTrainer


def hours_until(hhmm: str, margin_min: float = 4.0) -> float:
    now = dt.datetime.now()
    h, m = map(int, hhmm.split(":"))
    end = now.replace(hour=h, minute=m, second=0, microsecond=0)
    if end <= now:
        end += dt.timedelta(days=1)
    return max(0.05, ((end - now).total_seconds() / 60 - margin_min) / 60)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/work/data/ground/data.yaml"))
    ap.add_argument("--out", type=Path, default=Path("/work/data/ground/runs"))
    ap.add_argument("--name", default="borderwatch-photo")
    ap.add_argument("--start", type=Path, default=COCO_START)
    ap.add_argument("--time-hours", type=float)
    ap.add_argument("--until", help="HH:MM local time by which training (with its validations) ends")
    ap.add_argument("--imgsz", type=int, default=RECIPE["imgsz"])
    ap.add_argument("--fraction", type=float, default=1.0, help="share of train images (speed probes)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--continue-from", type=Path,
                    help="a fresh run from an earlier borderwatch-photo-he checkpoint (no head surgery), e.g. "
                         "models/borderwatch-photo-he.pt; its sha256 must match the card beside it")
    ap.add_argument("--lr0", type=float, default=RECIPE["lr0"])
    args = ap.parse_args(argv)

    run_dir = args.out.resolve() / args.name
    os.environ.setdefault("YOLO_CONFIG_DIR", str(args.out.resolve().parent / "ultralytics"))
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    from ultralytics import YOLO

    trainer = make_trainer()
    if args.resume:
        last = run_dir / "weights" / "last.pt"  # our own run's checkpoint
        YOLO(str(last), task="detect").train(resume=True, trainer=trainer, device=args.device, workers=0)
        return 0
    if args.continue_from is not None:
        start = trusted_own_checkpoint(args.continue_from)
        if start is None:
            return 2
    else:
        sha = sha256_of(args.start)
        if sha != COCO_START_SHA256:
            print(f"{args.start}: sha256 {sha} is not the published COCO start checkpoint", file=sys.stderr)
            return 2
        start = cut_head(args.start, run_dir.parent / f"{args.name}-start.pt")
    hours = args.time_hours if args.time_hours is not None else (hours_until(args.until) if args.until else None)
    # a continued run starts warm: no warm-up, so the first steps do not undo what was learnt
    recipe = dict(RECIPE, imgsz=args.imgsz, lr0=args.lr0,
                  **({"warmup_epochs": 0.0} if args.continue_from is not None else {}))
    if hours is not None:
        recipe["time"] = round(hours, 3)
    print(f"train: data={args.data} out={run_dir} time_h={recipe.get('time')} recipe={recipe}", flush=True)
    yolo = YOLO(str(start), task="detect")
    yolo.train(data=str(args.data.resolve()), project=str(args.out.resolve()), name=args.name, device=args.device,
               fraction=args.fraction, trainer=trainer, **recipe)
    t = yolo.trainer
    print(f"run: {t.save_dir}\nbest: {t.best}\nlast: {t.last}\nepochs: {t.epoch + 1}\nmetrics: {t.metrics}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
