#!/usr/bin/env python
"""Score `borderwatch detect` run folders against the held-out photo labels (issue 11 acceptance).

    borderwatch detect /work/data/ground/heldout/*/images --model borderwatch-photo --out /work/data/ground/photo_eval/cli-photo
    borderwatch detect /work/data/ground/heldout/*/images --model yolo11n_coco_from_int8 --out /work/data/ground/photo_eval/cli-coco
    python scripts/eval_photo.py photo=/work/data/ground/photo_eval/cli-photo coco=/work/data/ground/photo_eval/cli-coco \
        --out /work/logs/photo_eval.txt

The detections are the CLI's, at the thresholds it ran with (default options: the card's), so AP50 is
that of the curve above the operating threshold (a lower bound of the full AP50). Held-out splits
(scripts/photo_splits.json, built into ``--heldout`` by scripts/prepare_photo.py; YOLO labels in taxonomy
ids): construction-machinery scores heavy_equipment only (its cars and trucks share one `vehicle` label)
and counts the truck/car/bus boxes that sit on a labelled machine (IoU >= 0.3: an excavator read as a
truck); the road sets score car, truck, bus, two_wheeler (they do not label machines, so the
heavy_equipment boxes found there are only counted: mostly false positives). Matching: IoU >= 0.5,
greedy by score, each truth once (borderwatch.boxes.iou_matrix). The first run is the reference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from borderwatch.boxes import iou_matrix
from borderwatch.taxonomy import CLASSES

ROAD = ("car", "truck", "bus", "two_wheeler")
DATASETS = {
    "construction-machinery": ("heavy_equipment",),
    "roads-id": ROAD,
    "vehicles-openimages": ROAD,
    "traffic-cam": ROAD,
}
P_MIN = 0.80
ON_MACHINE_IOU = 0.3


def read_labels(label: Path, image: Path) -> tuple[np.ndarray, np.ndarray]:
    """Pixel boxes and taxonomy class names of one YOLO label file."""
    rows = [list(map(float, ln.split())) for ln in label.read_text().splitlines() if ln.strip()] if label.is_file() else []
    a = np.array(rows, float).reshape(-1, 5)
    with Image.open(image) as im:
        w, h = im.size
    xy = np.stack([(a[:, 1] - a[:, 3] / 2) * w, (a[:, 2] - a[:, 4] / 2) * h,
                   (a[:, 1] + a[:, 3] / 2) * w, (a[:, 2] + a[:, 4] / 2) * h], 1)
    return xy, np.array([CLASSES[int(c)] for c in a[:, 0]], object)


def split_images(heldout: Path) -> dict[str, list[Path]]:
    return {d.name: sorted((d / "images").iterdir()) for d in sorted(heldout.iterdir()) if (d / "images").is_dir()}


def content_key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_detections(run: Path) -> dict[str, pd.DataFrame]:
    """A run folder's detections per file content: detect counts a byte-identical copy once, under
    the first path, and the held-out sets hold a few such copies."""
    df = pd.read_parquet(run / "detections.parquet", columns=["source_path", "vehicle_class", "score",
                                                              "x_min", "y_min", "x_max", "y_max"])
    return {content_key(Path(k)): g for k, g in df.groupby("source_path")}


def match(pb: np.ndarray, ps: np.ndarray, gb: np.ndarray) -> np.ndarray:
    """True-positive flags of predictions (any order) against truths, greedy by score."""
    tp = np.zeros(len(pb), bool)
    if not len(pb) or not len(gb):
        return tp
    iou = iou_matrix(pb, gb)
    taken = np.zeros(len(gb), bool)
    for i in np.argsort(-ps, kind="stable"):
        cand = np.flatnonzero(~taken & (iou[i] >= 0.5))
        if len(cand):
            taken[cand[np.argmax(iou[i, cand])]] = True
            tp[i] = True
    return tp


def curve(scores: np.ndarray, tp: np.ndarray, n_true: int):
    o = np.argsort(-scores, kind="stable")
    ctp = np.cumsum(tp[o])
    prec = ctp / np.arange(1, len(o) + 1)
    rec = ctp / max(n_true, 1)
    return prec, rec


def ap50(prec: np.ndarray, rec: np.ndarray) -> float:
    if not len(prec):
        return 0.0
    mrec = np.concatenate([[0.0], rec, [rec[-1]]])
    mpre = np.flip(np.maximum.accumulate(np.flip(np.concatenate([[1.0], prec, [0.0]]))))
    i = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def score_split(images: list[Path], dets: dict[str, pd.DataFrame], classes: tuple[str, ...]) -> dict:
    per_class = {c: {"s": [], "tp": [], "n_true": 0} for c in classes}
    on_machine = n_vehicle_pred = true_total = pred_total = extra_heavy = 0
    for img in images:
        gb, gc = read_labels(img.parent.parent / "labels" / f"{img.stem}.txt", img)
        g = dets.get(content_key(img))
        pb = g[["x_min", "y_min", "x_max", "y_max"]].to_numpy(float) if g is not None else np.zeros((0, 4))
        pc = g["vehicle_class"].to_numpy(object) if g is not None else np.zeros(0, object)
        ps = g["score"].to_numpy(float) if g is not None else np.zeros(0)
        for c in classes:
            sel = pc == c
            tp = match(pb[sel], ps[sel], gb[gc == c])
            per_class[c]["s"].append(ps[sel]), per_class[c]["tp"].append(tp)
            per_class[c]["n_true"] += int((gc == c).sum())
        true_total += int(np.isin(gc, classes).sum())
        pred_total += int(np.isin(pc, classes).sum())
        extra_heavy += int((pc == "heavy_equipment").sum()) if "heavy_equipment" not in classes else 0
        if "heavy_equipment" in classes:
            veh = np.isin(pc, ("truck", "car", "bus"))
            n_vehicle_pred += int(veh.sum())
            machines = gb[gc == "heavy_equipment"]
            if veh.any() and len(machines):
                on_machine += int((iou_matrix(pb[veh], machines).max(axis=1) >= ON_MACHINE_IOU).sum())
    out = {"classes": {}, "true_total": true_total, "pred_total": pred_total,
           "vehicle_on_machine": on_machine, "vehicle_pred": n_vehicle_pred,
           "unlabelled_heavy": extra_heavy}
    for c, d in per_class.items():
        s, tp = np.concatenate(d["s"]), np.concatenate(d["tp"])
        prec, rec = curve(s, tp, d["n_true"])
        ok = prec >= P_MIN - 1e-9
        out["classes"][c] = {
            "n_true": d["n_true"], "n_pred": len(s),
            "precision": float(tp.sum() / len(s)) if len(s) else float("nan"),
            "recall": float(tp.sum() / d["n_true"]) if d["n_true"] else float("nan"),
            "ap50": ap50(prec, rec), "r_at_p": float(rec[ok].max()) if ok.any() else 0.0,
        }
    return out


def groups(splits: dict[str, list[Path]]) -> dict[str, list[Path]]:
    """Per held-out split, and per dataset with its splits pooled."""
    out = dict(splits)
    for ds in DATASETS:
        parts = [k for k in splits if k.startswith(ds + "-")]
        if len(parts) > 1:
            out[f"{ds}-all"] = [p for k in parts for p in splits[k]]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="label=run folder of `borderwatch detect`; the first is the reference")
    ap.add_argument("--heldout", type=Path, default=Path("/work/data/ground/heldout"))
    ap.add_argument("--out", type=Path, help="append the table to this file")
    ap.add_argument("--json", type=Path, help="write every figure here (for the model card)")
    args = ap.parse_args(argv)
    runs = [(lab, Path(p)) for lab, _, p in (r.partition("=") for r in args.runs)]
    splits = groups(split_images(args.heldout))
    lines = [f"# eval_photo {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}Z  runs: " + ", ".join(f"{a}={b}" for a, b in runs)]
    head = f"{'split':34s} {'class':16s} {'n':>4s} " + " ".join(
        f"{lab[:10] + ' AP50':>15s} {'P':>5s} {'R':>5s} {'R@P.8':>5s}" for lab, _ in runs)
    lines.append(head)
    results = {lab: {k: None for k in splits} for lab, _ in runs}
    for lab, run in runs:
        dets = run_detections(run)
        for key, imgs in splits.items():
            ds = next(d for d in DATASETS if key.startswith(d + "-"))
            results[lab][key] = score_split(imgs, dets, DATASETS[ds])
    for key in splits:
        ref = results[runs[0][0]][key]
        for c in ref["classes"]:
            row = f"{key:34s} {c:16s} {ref['classes'][c]['n_true']:4d} "
            for lab, _ in runs:
                m = results[lab][key]["classes"][c]
                row += f"{m['ap50']:15.3f} {m['precision']:5.3f} {m['recall']:5.3f} {m['r_at_p']:5.3f} "
            lines.append(row.rstrip())
        for lab, _ in runs:
            r = results[lab][key]
            err = (r["pred_total"] - r["true_total"]) / r["true_total"] if r["true_total"] else float("nan")
            extra = (f"; truck/car/bus on a labelled machine {r['vehicle_on_machine']} of {r['vehicle_pred']}"
                     if key.startswith("construction")
                     else f"; heavy_equipment boxes (the set labels none) {r['unlabelled_heavy']}")
            lines.append(f"{'':34s} {lab}: total count true {r['true_total']} pred {r['pred_total']} "
                         f"error {err:+.1%}{extra}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        with args.out.open("a") as f:
            f.write(text)
    if args.json:
        import json

        args.json.write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
