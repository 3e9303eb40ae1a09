#!/usr/bin/env python
"""Build borderwatch-photo's training set from ../shared/data/ground (into a folder outside the repo).

    python scripts/prepare_photo.py --out /work/data/ground            # splits, COCO pseudo-labels, build
    python scripts/prepare_photo.py --out /work/data/ground --write-splits   # rewrite scripts/photo_splits.json

Held-out images are the published valid/test splits (traffic-cam: all of it), decided before any tuning
and listed in scripts/photo_splits.json; train copies that share a source stem (the name before
Roboflow's ``.rf.<hash>``) or a near-identical picture (64-bit dHash, Hamming <= 4) with a held-out image
are dropped. Model selection and the operating threshold use ``inner_val``: whole stems taken out of train.

Classes (the taxonomy's ids): see MAPPING. The sets label different things, so (rule, one variant):
- construction ``vehicle`` (cars and trucks in one class): the COCO model's car/truck/bus box with IoU >= 0.5
  names it; a ``vehicle`` box no COCO box explains is painted grey (114), so it is neither a class nor
  background;
- every train image gets COCO car/truck/bus/motorcycle/bicycle boxes with score >= 0.6 that no labelled box
  explains (IoU < 0.3 and < 60 % of the pseudo box inside a labelled box); a COCO truck touching a
  heavy_equipment box (IoU >= 0.1 or >= 30 % inside it) is never added (COCO calls machines "truck").
Telephoto copies of a share of train (``tele_`` prefix): down-then-up sampling, haze, low contrast, blur,
heat-shimmer warp, JPEG; boxes unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import cv2
import numpy as np

from borderwatch.boxes import box_areas, intersection_matrix
from borderwatch.boxes import iou_matrix as box_iou
from borderwatch.taxonomy import CLASSES

REPO = Path(__file__).resolve().parents[1]
GROUND = REPO.parent / "shared" / "data" / "ground"
COCO_START = REPO.parent / "shared" / "models" / "yolo11n_coco_from_int8.pt"
COCO_START_SHA256 = "eb047f68791bdcba34e7964a7f79d3e7dac3dcf7fb338af46a50187788313713"
SPLITS_JSON = REPO / "scripts" / "photo_splits.json"

MIXED = "vehicle?"  # a box whose class the COCO model decides (construction `vehicle`)
# Ambulance: of the 47 train Ambulance boxes the COCO model matches (IoU >= 0.5) 36 as truck, 5 bus, 4 car
# (2 unmatched): box-body and van ambulances, which COCO calls truck, so Ambulance -> truck
# (re-check with --ambulance-votes).
MAPPING: dict[str, dict[str, str | None]] = {
    "construction-machinery": {"machinery": "heavy_equipment", "vehicle": MIXED},
    "roads-id": {"car": "car", "truck": "truck", "bus": "bus", "motorbike": "two_wheeler", "person": None},
    "vehicles-openimages": {"Car": "car", "Bus": "bus", "Truck": "truck", "Motorcycle": "two_wheeler",
                            "Ambulance": "truck"},
    "traffic-cam": {"car": "car", "bus": "bus", "truck": "truck", "bike": "two_wheeler"},
}
COCO_TO_TAXONOMY = {2: "car", 7: "truck", 5: "bus", 3: "two_wheeler", 1: "two_wheeler"}
PSEUDO_CONF = 0.6
NAME_CONF = 0.1  # lowest COCO score allowed to name a mixed `vehicle` box (the box itself is ground truth)
INNER_VAL_SHARE = 0.08
# telephoto copies: every road photo (they are the scarce street-scene share, and the far, hazy case is
# theirs), a fifth of the construction photos (heavy_equipment already dominates the boxes)
TELE_SHARE = {"construction-machinery": 0.2, "roads-id": 1.0, "vehicles-openimages": 1.0}
GREY = 114
HELDOUT_RULE = ("held-out = the published valid/test splits (traffic-cam: all); train images sharing a source "
                "stem or a dHash (<= 4 bits) with a held-out image are dropped; inner_val = whole train stems "
                "(8 %, by hash) for model selection and thresholds; decided before any tuning")


def stem(name: str) -> str:
    return re.split(r"\.rf\.", name)[0]


def read_labels(path: Path, names: list[str]) -> list[tuple[str, np.ndarray]]:
    out = []
    if path.is_file():
        for line in path.read_text().splitlines():
            p = line.split()
            if len(p) == 5:
                out.append((names[int(p[0])], np.array([float(v) for v in p[1:]])))
    return out


def xywhn_to_xyxy(b: np.ndarray, w: int, h: int) -> np.ndarray:
    return np.array([(b[0] - b[2] / 2) * w, (b[1] - b[3] / 2) * h, (b[0] + b[2] / 2) * w, (b[1] + b[3] / 2) * h])


def xyxy_to_xywhn(b: np.ndarray, w: int, h: int) -> list[float]:
    x1, y1, x2, y2 = np.clip(b[0], 0, w), np.clip(b[1], 0, h), np.clip(b[2], 0, w), np.clip(b[3], 0, h)
    return [(x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h]


def dhash(path: Path) -> int:
    g = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    g = cv2.resize(g, (9, 8), interpolation=cv2.INTER_AREA)
    bits = (g[:, 1:] > g[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def _unit(text: str) -> float:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def make_splits() -> dict:
    """Held-out = published valid/test; drop leaking train copies; carve inner_val from train stems."""
    splits: dict = {"rule": HELDOUT_RULE, "sets": {}}
    for ds in MAPPING:
        root = GROUND / ds / "images"
        held = {s: sorted(os.listdir(root / s)) for s in ("valid", "test") if (root / s).is_dir()}
        train = sorted(os.listdir(root / "train")) if (root / "train").is_dir() else []
        held_stems = {stem(n) for v in held.values() for n in v}
        held_hash = {dhash(root / s / n): n for s, v in held.items() for n in v}
        dropped = {}
        for n in train:
            if stem(n) in held_stems:
                dropped[n] = "shares a source stem with a held-out image"
                continue
            h = dhash(root / "train" / n)
            near = [m for hh, m in held_hash.items() if bin(hh ^ h).count("1") <= 4]
            if near:
                dropped[n] = f"near-duplicate (dHash) of held-out {near[0]}"
        kept = [n for n in train if n not in dropped]
        inner = [n for n in kept if _unit(stem(n)) < INNER_VAL_SHARE]
        splits["sets"][ds] = {
            "heldout": held, "dropped_from_train": dropped, "inner_val": inner,
            "train": [n for n in kept if n not in set(inner)],
        }
    return splits


def coco_predictions(images: list[Path], cache: Path) -> dict[str, list]:
    """COCO model boxes (xyxy px, coco class, score >= 0.05) per image path, cached as JSON."""
    preds = json.loads(cache.read_text()) if cache.is_file() else {}
    todo = [p for p in images if str(p) not in preds]
    if todo:
        from ultralytics import YOLO

        from borderwatch.detector.weights import sha256_of

        if sha256_of(COCO_START) != COCO_START_SHA256:
            sys.exit(f"{COCO_START}: not the published COCO checkpoint")
        yolo = YOLO(str(COCO_START), task="detect")  # trusted: published sha256 checked above
        for i, p in enumerate(todo):
            r = yolo.predict(str(p), imgsz=640, conf=0.05, classes=list(COCO_TO_TAXONOMY), verbose=False)[0]
            b = r.boxes
            preds[str(p)] = [[*map(float, xy), int(c), float(s)]
                             for xy, c, s in zip(b.xyxy.tolist(), b.cls.tolist(), b.conf.tolist(), strict=True)]
            if i % 200 == 199:
                cache.write_text(json.dumps(preds))
                print(f"  COCO pseudo-labels {i + 1}/{len(todo)}", flush=True)
        cache.write_text(json.dumps(preds))
    return preds


def _inside(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of each box in ``a`` covered by each box in ``b`` (n, m)."""
    return intersection_matrix(a, b) / np.maximum(box_areas(a), 1e-9)[:, None]


def resolve_labels(ds: str, labels, w: int, h: int, coco: list, stats: dict):
    """(boxes xyxy, class names, grey regions) for one train image under the pseudo-label rule."""
    boxes, cls, grey = [], [], []
    pc = np.array([p[:4] for p in coco]).reshape(-1, 4)
    pk = np.array([COCO_TO_TAXONOMY[p[4]] for p in coco], dtype=object)
    ps = np.array([p[5] for p in coco])
    labelled = []
    for name, b in labels:
        target = MAPPING[ds].get(name)
        xy = xywhn_to_xyxy(b, w, h)
        if target is None:
            continue
        labelled.append(xy)
        if target == MIXED:
            iou = box_iou(xy[None], pc)[0] if len(pc) else np.zeros(0)
            ok = (iou >= 0.5) & (ps >= NAME_CONF) & np.isin(pk, ["car", "truck", "bus"])
            if ok.any():
                j = int(np.argmax(np.where(ok, iou * ps, -1)))
                boxes.append(xy), cls.append(pk[j])
                stats[f"vehicle->{pk[j]}"] = stats.get(f"vehicle->{pk[j]}", 0) + 1
            else:
                grey.append(xy)
                stats["vehicle->grey"] = stats.get("vehicle->grey", 0) + 1
            continue
        boxes.append(xy), cls.append(target)
    lab = np.array(labelled).reshape(-1, 4)
    heavy = np.array([b for b, c in zip(boxes, cls, strict=True) if c == "heavy_equipment"]).reshape(-1, 4)
    for xy, k, s in zip(pc, pk, ps, strict=True):
        if s < PSEUDO_CONF:
            continue
        if len(lab) and (box_iou(xy[None], lab)[0].max() >= 0.3 or _inside(xy[None], lab)[0].max() >= 0.6):
            continue
        if k == "truck" and len(heavy) and (box_iou(xy[None], heavy)[0].max() >= 0.1
                                            or _inside(xy[None], heavy)[0].max() >= 0.3):
            stats["truck-on-machine skipped"] = stats.get("truck-on-machine skipped", 0) + 1
            continue
        if grey and box_iou(xy[None], np.array(grey))[0].max() >= 0.3:
            continue
        boxes.append(xy), cls.append(k)
        stats[f"pseudo {k}"] = stats.get(f"pseudo {k}", 0) + 1
    return boxes, cls, grey


def telephoto(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a long lens across a river does to a photo: fewer pixels, haze, blur, shimmer, JPEG."""
    h, w = img.shape[:2]
    out = img.astype(np.float32)
    if rng.random() < 0.8:
        f = rng.uniform(2.0, 4.0)
        small = cv2.resize(out, (max(8, int(w / f)), max(8, int(h / f))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.6:  # haze: scattered airlight, I = J t + A (1 - t)
        t = rng.uniform(0.45, 0.8)
        airlight = rng.uniform(170, 230) + rng.uniform(-10, 10, size=3)
        out = out * t + airlight * (1 - t)
    if rng.random() < 0.5:
        c = rng.uniform(0.55, 0.85)
        out = (out - out.mean()) * c + out.mean()
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.6, 1.6))
    if rng.random() < 0.4:  # heat shimmer: smooth random displacement of 1-3 px
        amp = rng.uniform(1.0, 3.0)
        dx = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 6) * amp * 6
        dy = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 6) * amp * 6
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        out = cv2.remap(out, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    out = np.clip(out, 0, 255).astype(np.uint8)
    q = int(rng.uniform(25, 60)) if rng.random() < 0.9 else 90
    ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.imdecode(enc, cv2.IMREAD_COLOR)


def _write(img, boxes, cls, path_img: Path, w: int, h: int) -> None:
    cv2.imwrite(str(path_img), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
    lines = [f"{CLASSES.index(c)} " + " ".join(f"{v:.6f}" for v in xyxy_to_xywhn(b, w, h))
             for b, c in zip(boxes, cls, strict=True)]
    lbl = path_img.parent.parent / "labels" / (path_img.stem + ".txt")
    lbl.write_text("\n".join(lines) + ("\n" if lines else ""))


def build(splits: dict, out: Path, tele_share: float) -> None:
    train_imgs = [(ds, s, n) for ds, v in splits["sets"].items()
                  for s, names in (("train", v["train"]), ("inner_val", v["inner_val"])) for n in names]
    preds = coco_predictions([GROUND / ds / "images" / "train" / n for ds, _, n in train_imgs],
                             out / "coco_pseudo_cache.json")
    for d in ("train", "inner_val"):
        for sub in ("images", "labels"):
            (out / d / sub).mkdir(parents=True, exist_ok=True)
            for f in (out / d / sub).iterdir():
                f.unlink()
    stats: dict = {}
    rng = np.random.default_rng(0)
    n_tele = 0
    for ds, split, n in train_imgs:
        names = (GROUND / ds / "classes.txt").read_text().split("\n")
        src = GROUND / ds / "images" / "train" / n
        img = cv2.imread(str(src))
        h, w = img.shape[:2]
        labels = read_labels(GROUND / ds / "labels" / "train" / (Path(n).stem + ".txt"), names)
        boxes, cls, grey = resolve_labels(ds, labels, w, h, preds[str(src)], stats)
        for g in grey:
            x1, y1, x2, y2 = np.clip(np.round(g), 0, [w, h, w, h]).astype(int)
            img[y1:y2, x1:x2] = GREY
        prefix = ds.split("-")[0][:6]
        _write(img, boxes, cls, out / split / "images" / f"{prefix}_{Path(n).stem}.jpg", w, h)
        if split == "train" and _unit("tele" + n) < tele_share * TELE_SHARE.get(ds, 0.0):
            _write(telephoto(img, rng), boxes, cls, out / "train" / "images" / f"tele_{prefix}_{Path(n).stem}.jpg", w, h)
            n_tele += 1
    stats["telephoto copies"] = n_tele
    build_heldout(splits, out)
    (out / "data.yaml").write_text(json.dumps({"path": str(out), "train": "train/images", "val": "inner_val/images",
                                               "names": list(CLASSES)}, indent=1))
    counts = {d: len(os.listdir(out / d / "images")) for d in ("train", "inner_val")}
    (out / "build_stats.json").write_text(json.dumps({"images": counts, "labels": stats}, indent=1))
    print(json.dumps({"images": counts, "labels": stats}, indent=1))


def build_heldout(splits: dict, out: Path) -> None:
    """Ground truth of each held-out split in taxonomy ids (construction: heavy_equipment only; its mixed
    `vehicle` boxes are left out and the evaluation scores heavy_equipment alone there)."""
    for ds, v in splits["sets"].items():
        names = (GROUND / ds / "classes.txt").read_text().split("\n")
        for split, imgs in v["heldout"].items():
            d = out / "heldout" / f"{ds}-{split}"
            (d / "labels").mkdir(parents=True, exist_ok=True)
            (d / "images").mkdir(parents=True, exist_ok=True)
            for n in imgs:
                src = GROUND / ds / "images" / split / n
                link = d / "images" / n
                if not link.exists():
                    link.symlink_to(src)
                lines = []
                for name, b in read_labels(GROUND / ds / "labels" / split / (Path(n).stem + ".txt"), names):
                    t = MAPPING[ds].get(name)
                    if t in CLASSES:
                        lines.append(f"{CLASSES.index(t)} " + " ".join(f"{x:.6f}" for x in b))
                (d / "labels" / (Path(n).stem + ".txt")).write_text("\n".join(lines) + ("\n" if lines else ""))


def ambulance_votes(out: Path) -> None:
    preds = json.loads((out / "coco_pseudo_cache.json").read_text())
    ds = "vehicles-openimages"
    names = (GROUND / ds / "classes.txt").read_text().split("\n")
    votes: dict = {}
    for n in os.listdir(GROUND / ds / "images" / "train"):
        src = GROUND / ds / "images" / "train" / n
        if str(src) not in preds:
            continue
        h, w = cv2.imread(str(src)).shape[:2]
        pc = np.array([p[:4] for p in preds[str(src)]]).reshape(-1, 4)
        for name, b in read_labels(GROUND / ds / "labels" / "train" / (Path(n).stem + ".txt"), names):
            if name != "Ambulance":
                continue
            iou = box_iou(xywhn_to_xyxy(b, w, h)[None], pc)[0] if len(pc) else np.zeros(0)
            k = COCO_TO_TAXONOMY[preds[str(src)][int(np.argmax(iou))][4]] if len(iou) and iou.max() >= 0.5 else "none"
            votes[k] = votes.get(k, 0) + 1
    print("Ambulance boxes named by the COCO model:", votes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/work/data/ground"))
    ap.add_argument("--write-splits", action="store_true", help="recompute scripts/photo_splits.json")
    ap.add_argument("--tele-share", type=float, default=1.0, help="scales TELE_SHARE (0: no telephoto copies)")
    ap.add_argument("--ambulance-votes", action="store_true")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.ambulance_votes:
        ambulance_votes(args.out)
        return 0
    if args.write_splits or not SPLITS_JSON.is_file():
        splits = make_splits()
        SPLITS_JSON.write_text(json.dumps(splits, indent=1) + "\n")
        for ds, v in splits["sets"].items():
            print(ds, {k: (len(x) if not isinstance(x, dict) or k != "heldout" else {s: len(y) for s, y in x.items()})
                       for k, x in v.items()})
    splits = json.loads(SPLITS_JSON.read_text())
    build(splits, args.out, args.tele_share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
