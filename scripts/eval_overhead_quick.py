#!/usr/bin/env python
"""Quick guidance evaluation of overhead models on the v2 held-out splits (scripts/overhead_splits.json).

Not the production measurement (that is `borderwatch eval` through the sliced engine, issue 10.4): a
plain tiler over ultralytics predict, to choose the GSD the model is fed and compare start points.

    python scripts/eval_overhead_quick.py --model ../shared/models/yolo26n_obb_dota_from_int8.pt --obb \
        --model-gsd 0.15 --tile 1024
    python scripts/eval_overhead_quick.py --model models/borderwatch-overhead-n.pt --model-gsd raster --tile 416

Each held-out image is taken to its evaluation scale (beach-cars: its own estimated GSD, "native", and
0.30 m; KIT/Minsk/Madison groups: 0.30 m, area averaging), then resampled to the model GSD (as the engine
will) and cut into --tile windows (overlap 1/8), predicted at conf 0.01, merged across windows with
axis-aligned NMS 0.5. Oriented boxes become their axis-aligned hull. Car recall/precision: greedy
matching by score at IoU >= 0.5 against the car boxes; AP50 by all-point interpolation. SIMD: truck/bus.
Predictions are cached as JSON under --cache so thresholds can be re-read cheaply.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prepare_overhead_v2 import load_rgb, load_split, resample  # noqa: E402

THRESHOLDS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.3834, 0.4, 0.5]
DOTA_MAP = {"small vehicle": "car", "large vehicle": "truck"}


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (aa[:, None] + ab[None, :] - inter + 1e-9)


def nms(boxes: np.ndarray, scores: np.ndarray, thr: float = 0.5) -> np.ndarray:
    order = np.argsort(-scores)
    keep = []
    while len(order):
        i = order[0]
        keep.append(i)
        if len(order) == 1:
            break
        ious = iou_matrix(boxes[i:i + 1], boxes[order[1:]])[0]
        order = order[1:][ious < thr]
    return np.array(keep, dtype=int)


def windows(w: int, h: int, size: int) -> list[tuple[int, int]]:
    ov = size // 8

    def starts(n):
        if n <= size:
            return [0]
        return sorted(set(list(range(0, n - size, size - ov)) + [n - size]))
    return [(x, y) for y in starts(h) for x in starts(w)]


def predict_image(model, bgr: np.ndarray, tile: int, obb: bool, names: dict) -> tuple:
    """Boxes (n,4) AA, scores, class names, in the pixels of ``bgr``."""
    h, w = bgr.shape[:2]
    allb, alls, allc = [], [], []
    for x, y in windows(w, h, tile):
        cw, ch = min(tile, w - x), min(tile, h - y)
        sz = tile if (w >= tile or h >= tile) else int(np.ceil(max(cw, ch) / 32) * 32)
        canvas = np.full((sz, sz, 3), 114, np.uint8)  # padded, never rescaled: the model sees this GSD
        canvas[:ch, :cw] = bgr[y:y + ch, x:x + cw]
        kw = dict(imgsz=sz, conf=0.01, verbose=False, device="cpu", max_det=1000)
        if obb:
            kw["nms"] = False
        r = model.predict(canvas, **kw)[0]
        if obb:
            if r.obb is None or len(r.obb) == 0:
                continue
            pts = r.obb.xyxyxyxy.cpu().numpy()  # (n,4,2)
            b = np.stack([pts[..., 0].min(1), pts[..., 1].min(1), pts[..., 0].max(1), pts[..., 1].max(1)], 1)
            s, c = r.obb.conf.cpu().numpy(), r.obb.cls.cpu().numpy().astype(int)
        else:
            if r.boxes is None or len(r.boxes) == 0:
                continue
            b = r.boxes.xyxy.cpu().numpy()
            s, c = r.boxes.conf.cpu().numpy(), r.boxes.cls.cpu().numpy().astype(int)
        b = b + [x, y, x, y]
        b[:, [0, 2]] = b[:, [0, 2]].clip(0, w)
        b[:, [1, 3]] = b[:, [1, 3]].clip(0, h)
        for bb, ss, cc in zip(b, s, c, strict=True):
            name = names[int(cc)]
            name = DOTA_MAP.get(name, name)
            if name in ("car", "truck", "bus"):
                allb.append(bb)
                alls.append(float(ss))
                allc.append(name)
    if not allb:
        return np.zeros((0, 4)), np.zeros(0), []
    B, S, C = np.array(allb), np.array(alls), np.array(allc)
    keep = []
    for cname in set(allc):
        idx = np.where(C == cname)[0]
        keep += list(idx[nms(B[idx], S[idx])])
    keep = np.array(sorted(keep))
    return B[keep], S[keep], list(C[keep])


def eval_sets(items) -> dict:
    """name -> list of (item, eval_gsd)."""
    sets: dict[str, list] = {}
    for it in items:
        if it.split != "test":
            continue
        if it.source == "beach-cars":
            sets.setdefault("beach-native", []).append((it, it.gsd))
            sets.setdefault("beach-0.30", []).append((it, max(0.30, it.gsd)))
        elif it.source == "simd-vehicles":
            sets.setdefault("simd-0.30", []).append((it, 0.30))
        else:
            key = {"kit": "kit", "minsk": "minsk", "madison": "madison"}[it.group.split("-")[0]]
            sets.setdefault(f"{key}-0.30", []).append((it, 0.30))
    return sets


def gt_for(it, cls: str) -> np.ndarray:
    if it.source == "simd-vehicles":
        # evaluation truth: every labelled truck-like / bus (raw SIMD ids), no car metric
        want = {"truck": {1, 3}, "bus": {4}}.get(cls, set())
        return it.boxes[[r in want for r in it.raw]].reshape(-1, 4)
    return it.boxes[[c == cls for c in it.cls]].reshape(-1, 4)


def match(preds: list, gts: list, thr: float) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for (b, s), g in zip(preds, gts, strict=True):
        k = s >= thr
        b, s = b[k], s[k]
        order = np.argsort(-s)
        used = np.zeros(len(g), bool)
        ious = iou_matrix(b, g)
        for i in order:
            if len(g) == 0:
                fp += 1
                continue
            row = np.where(used, -1, ious[i])
            j = int(np.argmax(row))
            if row[j] >= 0.5:
                used[j] = True
                tp += 1
            else:
                fp += 1
        fn += int((~used).sum())
    return tp, fp, fn


def ap50(preds: list, gts: list) -> float:
    recs = []
    npos = sum(len(g) for g in gts)
    if npos == 0:
        return float("nan")
    for (b, s), g in zip(preds, gts, strict=True):
        ious = iou_matrix(b, g)
        used = np.zeros(len(g), bool)
        for i in np.argsort(-s):
            ok = False
            if len(g):
                row = np.where(used, -1, ious[i])
                j = int(np.argmax(row))
                if row[j] >= 0.5:
                    used[j] = ok = True
            recs.append((s[i], ok))
    if not recs:
        return 0.0
    recs.sort(key=lambda r: -r[0])
    tp = np.cumsum([r[1] for r in recs])
    fp = np.cumsum([not r[1] for r in recs])
    rec, prec = tp / npos, tp / np.maximum(tp + fp, 1)
    mrec = np.concatenate([[0], rec, [1]])
    mpre = np.concatenate([[1], prec, [0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--obb", action="store_true")
    ap.add_argument("--model-gsd", default="raster", help="m/px fed to the model, or 'raster' (no resample)")
    ap.add_argument("--tile", type=int, default=1024, help="window size in model-input pixels")
    ap.add_argument("--sets", default="beach-native,beach-0.30,kit-0.30,minsk-0.30,madison-0.30,simd-0.30")
    ap.add_argument("--cache", type=Path, default=Path("/work/data/overhead/eval_cache"))
    ap.add_argument("--label", default=None)
    args = ap.parse_args(argv)
    from ultralytics import YOLO

    model = YOLO(args.model, task="obb" if args.obb else "detect")
    names = model.names
    items = load_split()
    sets = eval_sets(items)
    tag = hashlib.sha1(f"{Path(args.model).resolve()}|{Path(args.model).stat().st_mtime}|{args.model_gsd}|"
                       f"{args.tile}|{args.obb}".encode()).hexdigest()[:12]
    args.cache.mkdir(parents=True, exist_ok=True)
    label = args.label or f"{Path(args.model).name} gsd={args.model_gsd} tile={args.tile}"
    lines = []
    for set_name in args.sets.split(","):
        members = sets.get(set_name, [])
        cache = args.cache / f"{tag}_{set_name}.json"
        if cache.exists():
            raw = json.loads(cache.read_text())
        else:
            raw = []
            for it, eg in members:
                rgb = load_rgb(it.path)
                f1 = it.gsd / eg
                img = resample(rgb, f1)
                mg = eg if args.model_gsd == "raster" else float(args.model_gsd)
                img = resample(img, eg / mg)
                fx, fy = img.shape[1] / rgb.shape[1], img.shape[0] / rgb.shape[0]
                b, s, c = predict_image(model, np.ascontiguousarray(img[..., ::-1]), args.tile, args.obb, names)
                raw.append({"name": it.name, "fx": fx, "fy": fy, "boxes": b.tolist(), "scores": s.tolist(),
                            "cls": c})
            cache.write_text(json.dumps(raw))
        by_name = {r["name"]: r for r in raw}
        classes = ["truck", "bus"] if set_name.startswith("simd") else ["car"]
        for cls in classes:
            preds, gts = [], []
            for it, _ in members:
                r = by_name[it.name]
                f = np.array([r["fx"], r["fy"], r["fx"], r["fy"]])
                b = np.array(r["boxes"]).reshape(-1, 4)
                s = np.array(r["scores"])
                k = np.array([c == cls for c in r["cls"]], bool)
                preds.append((b[k] if len(b) else b, s[k] if len(s) else s))
                gts.append(gt_for(it, cls) * f)
            n_true = sum(len(g) for g in gts)
            a = ap50(preds, gts)
            row = [f"{label} | {set_name} | {cls} | n={n_true} | AP50={a:.3f}"]
            best = (0, None)
            for t in THRESHOLDS:
                tp, fp, fn = match(preds, gts, t)
                p = tp / max(tp + fp, 1)
                rc = tp / max(tp + fn, 1)
                f1 = 2 * p * rc / max(p + rc, 1e-9)
                if f1 > best[0]:
                    best = (f1, t)
                row.append(f"t{t:g}: P={p:.3f} R={rc:.3f} pred={tp + fp}")
            row.append(f"bestF1={best[0]:.3f}@{best[1]}")
            lines.append(" | ".join(row))
            print(lines[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
