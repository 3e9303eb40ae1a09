#!/usr/bin/env python
"""Quick held-out comparison of photo detectors (COCO model vs borderwatch-photo), straight through ultralytics.

    python scripts/eval_photo_quick.py coco=../shared/models/yolo11n_coco_from_int8.pt \
        photo=/work/data/ground/runs/borderwatch-photo/weights/last.pt --out /work/logs/photo_baselines.txt

The first model is the reference. Per held-out split (scripts/photo_splits.json, built into
/work/data/ground/heldout by scripts/prepare_photo.py) and class: AP50, precision/recall at score 0.25 (the
CLI's default), and each later model's recall at the precision the reference has there; heavy_equipment:
AP50 and recall at precision >= 0.80; traffic-cam: total-count error at 0.25 and at the threshold whose total
count equals the truth on traffic-cam-valid (applied to -test). COCO classes are mapped by the taxonomy
(motorcycle and bicycle -> two_wheeler). Construction photos score heavy_equipment only (their cars and trucks
share one `vehicle` label); the road sets score car, truck, bus, two_wheeler (they do not label machines).
This is a development check: the issue's figures are measured through ``borderwatch detect``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np

from borderwatch.boxes import iou_matrix
from borderwatch.taxonomy import CLASSES, mapping_for

REPO = Path(__file__).resolve().parents[1]
COCO_SHA256 = "eb047f68791bdcba34e7964a7f79d3e7dac3dcf7fb338af46a50187788313713"
OP_CONF = 0.25
SCORED = {"construction-machinery": ("heavy_equipment",)}
ROAD = ("car", "truck", "bus", "two_wheeler")


def load(path: str):
    """A YOLO model: the published COCO checkpoint, or a run's weights from /work/data (ours)."""
    from ultralytics import YOLO

    p = Path(path).resolve()
    if p.suffix == ".pt" and not str(p).startswith("/work/data/"):
        from borderwatch.detector.weights import sha256_of

        if sha256_of(p) != COCO_SHA256:
            sys.exit(f"{p}: a pickle that is neither the published COCO checkpoint nor a run of ours")
    return YOLO(str(p), task="detect")


def class_lut(names: dict[int, str]) -> np.ndarray:
    """Model class id -> taxonomy id (-1 dropped)."""
    if len(names) == len(CLASSES) and all(names[i] == c for i, c in enumerate(CLASSES)):
        return np.arange(len(CLASSES))
    m = mapping_for("coco")
    return np.array([CLASSES.index(t) if (t := m.table.get(m_fold(n))) in CLASSES else -1
                     for _, n in sorted(names.items())])


def m_fold(name: str) -> str:
    from borderwatch.taxonomy import fold

    return fold(name)


def read_gt(label: Path, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    rows = [list(map(float, ln.split())) for ln in label.read_text().splitlines() if ln.strip()] if label.is_file() else []
    a = np.array(rows).reshape(-1, 5)
    xy = np.stack([(a[:, 1] - a[:, 3] / 2) * w, (a[:, 2] - a[:, 4] / 2) * h,
                   (a[:, 1] + a[:, 3] / 2) * w, (a[:, 2] + a[:, 4] / 2) * h], 1)
    return xy, a[:, 0].astype(int)


def predict_split(yolo, folder: Path, imgsz: int):
    """Per image: (gt boxes, gt classes, pred boxes, pred taxonomy classes, scores)."""
    lut = class_lut(yolo.names)
    out = []
    for img in sorted((folder / "images").iterdir()):
        r = yolo.predict(str(img), imgsz=imgsz, conf=0.001, iou=0.7, max_det=300, verbose=False)[0]
        h, w = r.orig_shape
        gb, gc = read_gt(folder / "labels" / (img.stem + ".txt"), w, h)
        cls = lut[r.boxes.cls.numpy().astype(int)]
        keep = cls >= 0
        out.append((gb, gc, r.boxes.xyxy.numpy()[keep], cls[keep], r.boxes.conf.numpy()[keep]))
    return out


def pr_curve(per_image, k: int):
    """Scores (desc), cumulative precision and recall of class k at IoU 0.5 (greedy, each truth once)."""
    scores, tps, n_true = [], [], 0
    for gb, gc, pb, pc, ps in per_image:
        g = gb[gc == k]
        sel = pc == k
        b, s = pb[sel], ps[sel]
        n_true += len(g)
        order = np.argsort(-s, kind="stable")
        b, s = b[order], s[order]
        tp = np.zeros(len(b), bool)
        if len(g) and len(b):
            iou = iou_matrix(b, g)
            taken = np.zeros(len(g), bool)
            for i in range(len(b)):
                cand = np.where(~taken & (iou[i] >= 0.5))[0]
                if len(cand):
                    taken[cand[np.argmax(iou[i, cand])]] = True
                    tp[i] = True
        scores.append(s), tps.append(tp)
    s, tp = np.concatenate(scores), np.concatenate(tps)
    o = np.argsort(-s, kind="stable")
    s, tp = s[o], tp[o]
    ctp = np.cumsum(tp)
    prec = ctp / np.arange(1, len(tp) + 1)
    rec = ctp / max(n_true, 1)
    return s, prec, rec, n_true


def ap50(prec: np.ndarray, rec: np.ndarray) -> float:
    if len(prec) == 0:
        return 0.0
    mrec = np.concatenate([[0.0], rec, [rec[-1]]])
    mpre = np.concatenate([[1.0], prec, [0.0]])
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def at_conf(s, prec, rec, conf):
    n = int(np.sum(s >= conf))
    return (float(prec[n - 1]), float(rec[n - 1])) if n else (float("nan"), 0.0)


def recall_at_precision(prec, rec, p_min) -> float:
    ok = prec >= p_min - 1e-9
    return float(rec[ok].max()) if ok.any() else 0.0


def count_threshold(per_image, classes) -> float:
    """The score at which the total predicted count equals the truth."""
    s = np.sort(np.concatenate([ps[np.isin(pc, classes)] for _, _, _, pc, ps in per_image]))[::-1]
    n_true = sum(int(np.isin(gc, classes).sum()) for _, gc, _, _, _ in per_image)
    return float(s[n_true - 1]) if 0 < n_true <= len(s) else 0.001


def total_count(per_image, classes, conf):
    t = sum(int(np.isin(gc, classes).sum()) for _, gc, _, _, _ in per_image)
    p = sum(int((np.isin(pc, classes) & (ps >= conf)).sum()) for _, _, _, pc, ps in per_image)
    return t, p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="label=path; the first is the reference")
    ap.add_argument("--heldout", type=Path, default=Path("/work/data/ground/heldout"))
    ap.add_argument("--imgsz", type=int, action="append", help="per model, in order (default 640 / run's imgsz)")
    ap.add_argument("--out", type=Path, help="append the table to this file")
    args = ap.parse_args(argv)
    os.environ.setdefault("YOLO_CONFIG_DIR", "/work/data/ultralytics")
    os.environ["YOLO_OFFLINE"] = "1"
    splits = sorted(p.name for p in args.heldout.iterdir() if p.is_dir())
    lines = [f"# eval_photo_quick {dt.datetime.now():%Y-%m-%d %H:%M} models: {' '.join(args.models)}"]
    ref_op: dict = {}
    results: dict = {}
    for mi, spec in enumerate(args.models):
        label, path = spec.split("=", 1)
        yolo = load(path)
        imgsz = (args.imgsz[mi] if args.imgsz and mi < len(args.imgsz)
                 else int((getattr(yolo, "overrides", {}) or {}).get("imgsz") or 640))
        results[label] = {sp: predict_split(yolo, args.heldout / sp, imgsz) for sp in splits}
        lines.append(f"## {label} ({path}, imgsz {imgsz})")
        lines.append(f"{'split':34s} {'class':15s} {'n':>4s} {'AP50':>6s} {'P@.25':>6s} {'R@.25':>6s}  R@P_ref(P_ref)")
        pooled_con = [x for sp in splits if sp.startswith("construction") for x in results[label][sp]]
        for sp in splits + ["construction-machinery-valid+test"]:
            per = pooled_con if sp.endswith("valid+test") else results[label][sp]
            ds = sp.rsplit("-", 1)[0] if not sp.endswith("valid+test") else "construction-machinery"
            for c in SCORED.get(ds, ROAD):
                k = CLASSES.index(c)
                s, prec, rec, n = pr_curve(per, k)
                if n == 0:
                    continue
                p25, r25 = at_conf(s, prec, rec, OP_CONF)
                extra = ""
                if c == "heavy_equipment":
                    extra = f"R@P>=0.80: {recall_at_precision(prec, rec, 0.80):.3f}"
                elif mi == 0:
                    ref_op[(sp, c)] = p25
                elif (sp, c) in ref_op and not np.isnan(ref_op[(sp, c)]):
                    extra = f"{recall_at_precision(prec, rec, ref_op[(sp, c)]):.3f} ({ref_op[(sp, c)]:.3f})"
                lines.append(f"{sp:34s} {c:15s} {n:4d} {ap50(prec, rec):6.3f} {p25:6.3f} {r25:6.3f}  {extra}")
        if "traffic-cam-valid" in results[label] and "traffic-cam-test" in results[label]:
            road = [CLASSES.index(c) for c in ROAD]
            thr = count_threshold(results[label]["traffic-cam-valid"], road)
            for conf, why in ((OP_CONF, "default 0.25"), (thr, f"count-calibrated on valid {thr:.3f}")):
                t, p = total_count(results[label]["traffic-cam-test"], road, conf)
                lines.append(f"traffic-cam-test total count ({why}): true {t} pred {p} error {(p - t) / t:+.1%}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
