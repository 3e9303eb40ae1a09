"""Evaluation: detection AP and the counting metrics borderwatch needs, at native scale and at
satellite GSD, written into the model card the geo stage reads.

Why not just ``ultralytics val``: val resizes every image so its long side is ``imgsz``, which for a
1764 px aerial mosaic shrinks cars 4x and for a 100 px image enlarges them 4x — neither is the scale
the detect stage sees. Here every image is predicted at its own pixel scale, in ``imgsz`` tiles with
overlap (each tile keeps only boxes whose centre lies in the part of the image it owns, so a vehicle on
a seam is counted once), and AP50 / AP50-95 come from ultralytics' own ``ap_per_class`` on those
predictions. Counting metrics, which ultralytics lacks, come from the same predictions: per-image count
error, relative error of the total count, and precision / recall per class at the operating threshold
(greedy matching at IoU 0.5). The 30 cm variant resamples each image from its native GSD on the fly
(``cv2.INTER_AREA``, boxes scaled exactly; ground truth below 2 px dropped and counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from borderwatch.boxes import iou_matrix
from borderwatch.datasets.chips import PAD_VALUE
from borderwatch.datasets.gsd import resample_image
from borderwatch.datasets.model import LabeledDataset, LabeledImage
from borderwatch.errors import InputError
from borderwatch.taxonomy import CLASSES, ClassMapping, guess_mapping
from borderwatch.tiling import tile_starts

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


@dataclass
class ClassEval:
    ap50: float | None = None
    ap50_95: float | None = None
    precision: float | None = None
    recall: float | None = None
    n_true: int = 0
    n_pred: int = 0


@dataclass
class VariantEval:
    """Metrics of one GSD variant (``gsd_m`` None = native)."""

    gsd_m: float | None
    n_images: int
    per_class: dict[str, ClassEval]
    map50: float | None
    map50_95: float | None
    count_mae: float
    total_true: int
    total_pred: int
    total_count_rel_error: float | None
    skipped_images: int = 0
    dropped_small_gt: int = 0
    median_gsd_m: float | None = None  # of the images evaluated (native: their own GSDs)
    threshold: float = 0.25  # the operating threshold of counts, precision and recall

    @property
    def label(self) -> str:
        return "native" if self.gsd_m is None else f"{self.gsd_m:g} m"


@dataclass
class EvalResult:
    model: str
    model_sha256: str | None
    data: str
    operating_threshold: float | None  # None when each variant has its own (VariantEval.threshold)
    imgsz: int
    variants: list[VariantEval] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = []
        for v in self.variants:
            car = v.per_class.get("car")
            rel = "n/a" if v.total_count_rel_error is None else f"{v.total_count_rel_error:+.1%}"
            lines.append(
                f"{v.label} (threshold {v.threshold:.3f}): {v.n_images} images, mAP50 {_fmt(v.map50)}, mAP50-95 {_fmt(v.map50_95)}, "
                f"car AP50 {_fmt(car.ap50 if car else None)}, count MAE {v.count_mae:.2f}/image, "
                f"total {v.total_pred} vs {v.total_true} true ({rel})"
            )
            for name, c in v.per_class.items():
                lines.append(
                    f"    {name}: AP50 {_fmt(c.ap50)} AP50-95 {_fmt(c.ap50_95)} P {_fmt(c.precision)} "
                    f"R {_fmt(c.recall)} ({c.n_true} true, {c.n_pred} predicted)"
                )
        return lines


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


# ---------------------------------------------------------------- geometry


def match(pred_boxes: np.ndarray, pred_cls: np.ndarray, pred_conf: np.ndarray, gt_boxes: np.ndarray,
          gt_cls: np.ndarray, thresholds: np.ndarray = IOU_THRESHOLDS) -> np.ndarray:
    """(n_pred, n_thresholds) true-positive flags: greedy in score order, each ground truth matched once,
    same class only (the COCO rule)."""
    tp = np.zeros((len(pred_boxes), len(thresholds)), dtype=bool)
    if len(pred_boxes) == 0 or len(gt_boxes) == 0:
        return tp
    iou = iou_matrix(pred_boxes, gt_boxes)
    iou[pred_cls[:, None] != gt_cls[None, :]] = 0.0
    order = np.argsort(-pred_conf, kind="stable")
    for t, thr in enumerate(thresholds):
        taken = np.zeros(len(gt_boxes), dtype=bool)
        for i in order:
            cand = np.where(~taken & (iou[i] >= thr))[0]
            if len(cand):
                j = cand[np.argmax(iou[i, cand])]
                taken[j] = True
                tp[i, t] = True
    return tp


def owned_intervals(length: int, size: int, overlap: int) -> list[tuple[int, float, float]]:
    """For each tile start, the interval of the axis it owns: seams split the overlaps in the middle."""
    starts = tile_starts(length, size, overlap)
    out = []
    for k, s in enumerate(starts):
        lo = 0.0 if k == 0 else (s + min(starts[k - 1] + size, length)) / 2
        hi = float(length) if k == len(starts) - 1 else (starts[k + 1] + min(s + size, length)) / 2
        out.append((s, lo, hi))
    return out


# ---------------------------------------------------------------- prediction


@dataclass
class Prediction:
    boxes: np.ndarray
    classes: np.ndarray  # taxonomy indices
    scores: np.ndarray


class TiledPredictor:
    """Predicts whole images at their own pixel scale with an ultralytics model, tile by tile."""

    def __init__(self, yolo, mapping: ClassMapping, imgsz: int, overlap: int = 128, batch: int = 8,
                 device: str = "cpu"):
        self.yolo = yolo
        self.imgsz = imgsz
        self.overlap = overlap
        self.batch = batch
        self.device = device
        names = yolo.names if isinstance(yolo.names, dict) else dict(enumerate(yolo.names))
        self.lut = np.full(max(names) + 1 if names else 1, -1, dtype=np.int64)
        for k, name in names.items():
            target = mapping.table.get(_fold(name))
            if target is not None:
                self.lut[int(k)] = CLASSES.index(target)

    def __call__(self, rgb: np.ndarray, conf: float = 0.001) -> Prediction:
        h, w = rgb.shape[:2]
        xs = owned_intervals(w, self.imgsz, self.overlap)
        ys = owned_intervals(h, self.imgsz, self.overlap)
        tiles, meta = [], []
        for y0, ylo, yhi in ys:
            for x0, xlo, xhi in xs:
                canvas = np.full((self.imgsz, self.imgsz, 3), PAD_VALUE, dtype=np.uint8)
                part = rgb[y0:y0 + self.imgsz, x0:x0 + self.imgsz]
                canvas[: part.shape[0], : part.shape[1]] = part
                tiles.append(canvas[:, :, ::-1])  # ultralytics takes numpy images as BGR
                meta.append((x0, y0, xlo, xhi, ylo, yhi))
        boxes, classes, scores = [], [], []
        for i in range(0, len(tiles), self.batch):
            results = self.yolo.predict(tiles[i:i + self.batch], imgsz=self.imgsz, conf=conf, iou=0.6,
                                        max_det=1000, verbose=False, device=self.device)
            for res, (x0, y0, xlo, xhi, ylo, yhi) in zip(results, meta[i:i + self.batch], strict=True):
                b = res.boxes
                if b is None or len(b) == 0:
                    continue
                xyxy = b.xyxy.cpu().numpy().astype(np.float64) + np.array([x0, y0, x0, y0])
                cls = self.lut[b.cls.cpu().numpy().astype(np.int64)]
                sc = b.conf.cpu().numpy().astype(np.float64)
                cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2
                keep = (cls >= 0) & (cx >= xlo) & (cx < xhi) & (cy >= ylo) & (cy < yhi)
                xyxy[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, w)
                xyxy[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, h)
                boxes.append(xyxy[keep])
                classes.append(cls[keep])
                scores.append(sc[keep])
        if not boxes:
            return Prediction(np.zeros((0, 4)), np.zeros(0, dtype=np.int64), np.zeros(0))
        return Prediction(np.concatenate(boxes), np.concatenate(classes), np.concatenate(scores))


def _fold(name: str) -> str:
    from borderwatch.taxonomy import fold

    return fold(name)


def load_model(model: str | Path, trust_weights: bool = False):
    """An ultralytics YOLO and its class mapping, loaded through the registry's trust rules."""
    from borderwatch.detector.registry import resolve_model
    from borderwatch.detector.weights import ensure_loadable

    resolved = resolve_model(model, allow_download=False, trust_weights=trust_weights)
    ensure_loadable(resolved)
    from ultralytics import YOLO

    yolo = YOLO(str(resolved.path), task="detect")
    mapping = resolved.mapping
    names = yolo.names.values() if isinstance(yolo.names, dict) else yolo.names
    if resolved.card is None and all(_fold(n) in CLASSES for n in names):
        mapping = ClassMapping({c: c for c in CLASSES}, source="borderwatch")
    return yolo, mapping, resolved


# ---------------------------------------------------------------- evaluation


def _to_taxonomy(ds: LabeledDataset) -> LabeledDataset:
    """The eval data in taxonomy class ids (datasets in other vocabularies are mapped, unknowns dropped)."""
    if list(ds.classes) == list(CLASSES):
        return ds
    from borderwatch.datasets.remap import remap

    return remap(ds, guess_mapping(ds.classes))[0]


def _collect(predict: TiledPredictor, images: list[LabeledImage], gsd: float | None, progress=None):
    """Predictions (all scores >= 0.001) for each image at ``gsd``; images that cannot be resampled
    honestly (no native GSD, or already coarser) are skipped and counted."""
    pairs: list[tuple[LabeledImage, Prediction]] = []
    skipped = dropped = 0
    for im in images:
        if gsd is not None and (im.gsd_m is None or im.gsd_m >= gsd):
            skipped += 1
        else:
            rgb = im.load()
            if gsd is not None:
                res = resample_image(im, gsd, pixels=rgb)
                dropped += res.dropped_small
                im, rgb = res.image, res.image.pixels
            pairs.append((im, predict(rgb, conf=0.001)))
        if progress:
            progress()
    return pairs, skipped, dropped


def count_threshold(pairs: list[tuple[LabeledImage, Prediction]]) -> float:
    """The score threshold at which the number of predictions equals the number of true boxes."""
    scores = np.sort(np.concatenate([p.scores for _, p in pairs]) if pairs else np.zeros(0))[::-1]
    n_true = sum(len(im.boxes) for im, _ in pairs)
    if n_true == 0 or len(scores) == 0:
        return 0.25
    return float(scores[min(n_true, len(scores)) - 1])


def calibrate_threshold(model: str | Path, data: str | Path | LabeledDataset, gsds=(None,), imgsz: int | None = None,
                        trust_weights: bool = False, device: str = "cpu",
                        native_gsd_m: float | None = None) -> dict[float | None, float]:
    """For each GSD in ``gsds``, the operating threshold that makes the total count right on ``data`` (a
    validation set, never the test set) at that GSD. A GSD at which no image of ``data`` can be
    evaluated (no native GSD known) gets the native threshold."""
    yolo, mapping, _ = load_model(model, trust_weights=trust_weights)
    ds = data if isinstance(data, LabeledDataset) else load_eval_data(data, native_gsd_m)
    ds = _to_taxonomy(ds)
    predictor = TiledPredictor(yolo, mapping, imgsz=imgsz or _model_imgsz(yolo), device=device)
    out: dict[float | None, float] = {}
    native = None
    for gsd in sorted(gsds, key=lambda g: -1 if g is None else g):
        pairs = _collect(predictor, ds.images, gsd)[0]
        if pairs:
            out[gsd] = count_threshold(pairs)
        else:
            if native is None:
                native = count_threshold(_collect(predictor, ds.images, None)[0])
            out[gsd] = native
        if gsd is None:
            native = out[gsd]
    return out


def _metrics(pairs: list[tuple[LabeledImage, Prediction]], gsd: float | None, conf: float, skipped: int,
             dropped: int) -> VariantEval:
    tps, confs, pcls, tcls = [], [], [], []
    n_true = np.zeros(len(CLASSES), dtype=np.int64)
    n_pred = np.zeros(len(CLASSES), dtype=np.int64)
    tp_op = np.zeros(len(CLASSES), dtype=np.int64)
    abs_errors = []
    gsds_seen = [im.gsd_m for im, _ in pairs if im.gsd_m is not None]
    for im, pred in pairs:
        tps.append(match(pred.boxes, pred.classes, pred.scores, im.boxes, im.labels))
        confs.append(pred.scores)
        pcls.append(pred.classes)
        tcls.append(im.labels)
        at_op = pred.scores >= conf
        tp50 = match(pred.boxes[at_op], pred.classes[at_op], pred.scores[at_op], im.boxes, im.labels,
                     np.array([0.5]))[:, 0]
        np.add.at(n_true, im.labels, 1)
        np.add.at(n_pred, pred.classes[at_op], 1)
        np.add.at(tp_op, pred.classes[at_op][tp50], 1)
        abs_errors.append(abs(int(at_op.sum()) - len(im.labels)))
    per_class: dict[str, ClassEval] = {}
    ap = None
    present = [k for k in range(len(CLASSES)) if n_true[k] > 0 or n_pred[k] > 0]
    if tps:
        from ultralytics.utils.metrics import ap_per_class

        tp_all, conf_all = np.concatenate(tps), np.concatenate(confs)
        pcls_all, tcls_all = np.concatenate(pcls), np.concatenate(tcls)
        if len(tcls_all):
            out = ap_per_class(tp_all, conf_all, pcls_all, tcls_all, plot=False)
            ap = {int(c): out[5][i] for i, c in enumerate(out[6])}
    for k in present:
        c = ClassEval(n_true=int(n_true[k]), n_pred=int(n_pred[k]))
        if ap is not None and k in ap:
            c.ap50, c.ap50_95 = float(ap[k][0]), float(ap[k].mean())
        c.precision = float(tp_op[k] / n_pred[k]) if n_pred[k] else None
        c.recall = float(tp_op[k] / n_true[k]) if n_true[k] else None
        per_class[CLASSES[k]] = c
    aps = [c for c in per_class.values() if c.ap50 is not None]
    total_true, total_pred = int(n_true.sum()), int(n_pred.sum())
    return VariantEval(
        gsd_m=gsd, n_images=len(abs_errors), per_class=per_class, threshold=conf,
        map50=float(np.mean([c.ap50 for c in aps])) if aps else None,
        map50_95=float(np.mean([c.ap50_95 for c in aps])) if aps else None,
        count_mae=float(np.mean(abs_errors)) if abs_errors else 0.0,
        total_true=total_true, total_pred=total_pred,
        total_count_rel_error=(total_pred - total_true) / total_true if total_true else None,
        skipped_images=skipped, dropped_small_gt=dropped,
        median_gsd_m=float(np.median(gsds_seen)) if gsds_seen else None,
    )


def _model_imgsz(yolo) -> int:
    args = getattr(getattr(yolo, "model", None), "args", None)
    try:
        return int(args.get("imgsz", 640)) if args is not None else 640
    except (AttributeError, TypeError, ValueError):
        return 640


def load_eval_data(data: str | Path, native_gsd_m: float | None = None, split: str | None = None) -> LabeledDataset:
    """The eval images with their native GSD: from the dataset card beside the data (``image_gsd_m``),
    else ``native_gsd_m`` for all."""
    from borderwatch.datasets.card import find_dataset_card, read_dataset_card
    from borderwatch.datasets.formats import read_dataset, read_yolo

    data = Path(data)
    if data.suffix.lower() in (".yaml", ".yml"):
        ds = read_yolo(data, split=split)
    else:
        ds = read_dataset(data)
    card_path = find_dataset_card(data)
    per_image = read_dataset_card(card_path).image_gsd_m if card_path else {}
    for im in ds.images:
        stem = Path(im.name).name
        im.gsd_m = per_image.get(stem, per_image.get(im.name, native_gsd_m))
    return ds


def evaluate(
    model: str | Path,
    data: str | Path | LabeledDataset,
    gsds: list[float | None] | tuple = (None, 0.3),
    conf: float | dict[float | None, float] = 0.25,
    imgsz: int | None = None,
    overlap: int = 128,
    native_gsd_m: float | None = None,
    trust_weights: bool = False,
    device: str = "cpu",
    split: str | None = None,
    progress=None,
) -> EvalResult:
    """Evaluate ``model`` on ``data`` at each GSD in ``gsds`` (None = native); ``conf`` is the operating
    threshold, or one per GSD (from :func:`calibrate_threshold`)."""
    yolo, mapping, resolved = load_model(model, trust_weights=trust_weights)
    ds = data if isinstance(data, LabeledDataset) else load_eval_data(data, native_gsd_m, split)
    ds = _to_taxonomy(ds)
    if not ds.images:
        raise InputError("no images to evaluate on", str(data) if not isinstance(data, LabeledDataset) else ds.name)
    if imgsz is None:
        imgsz = _model_imgsz(yolo)
    predictor = TiledPredictor(yolo, mapping, imgsz=imgsz, overlap=min(overlap, imgsz // 2), device=device)
    result = EvalResult(model=str(resolved.path), model_sha256=resolved.sha256,
                        data=str(data) if not isinstance(data, LabeledDataset) else ds.name,
                        operating_threshold=conf if isinstance(conf, float | int) else None, imgsz=imgsz)
    for gsd in gsds:
        pairs, skipped, dropped = _collect(predictor, ds.images, gsd, progress)
        threshold = float(conf.get(gsd, 0.25)) if isinstance(conf, dict) else float(conf)
        result.variants.append(_metrics(pairs, gsd, threshold, skipped, dropped))
    return result


# ---------------------------------------------------------------- model card


def card_metrics(result: EvalResult, dataset: str | None = None, split: str | None = None):
    from borderwatch.detector.card import ClassMetrics, Metrics

    out = []
    for v in result.variants:
        # the native entry carries the median GSD of its images: the geo stage picks the entry whose
        # gsd_m is closest to a frame's, and a null there would match every frame
        out.append(Metrics(
            dataset=dataset or result.data, split=split,
            gsd_m=_r(v.gsd_m if v.gsd_m is not None else v.median_gsd_m),
            operating_threshold=_r(v.threshold), map50=_r(v.map50), map50_95=_r(v.map50_95),
            count_mae=_r(v.count_mae), total_count_rel_error=_r(v.total_count_rel_error),
            per_class={k: ClassMetrics(ap50=_r(c.ap50), ap50_95=_r(c.ap50_95), precision=_r(c.precision),
                                       recall=_r(c.recall), n_true=c.n_true, n_pred=c.n_pred)
                       for k, c in v.per_class.items()},
            n_images=v.n_images, total_true=v.total_true, total_pred=v.total_pred,
            skipped_images=v.skipped_images, dropped_small_gt=v.dropped_small_gt,
            scale="native" if v.gsd_m is None else "resampled",
        ))
    return out


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def write_model_card(
    result: EvalResult,
    name: str,
    out_dir: str | Path = "models",
    weights: str | Path | None = None,
    description: str = "",
    licence: str = "unknown",
    training: dict | None = None,
    gsd_m: float | None = None,
    kind: str = "overhead",
    dataset: str | None = None,
    split: str | None = None,
) -> Path:
    """Write ``<out_dir>/<name>.yaml`` in the registry's card schema, with one metrics entry per GSD.

    An existing card of that name keeps its other fields; its metrics are replaced.
    """
    from borderwatch.atomic import write_text
    from borderwatch.detector.card import ModelCard, dump_card, load_card
    from borderwatch.detector.weights import detect_format, sha256_of

    out_dir = Path(out_dir)
    target = out_dir / f"{name}.yaml"
    weights_path = Path(weights) if weights else Path(result.model)
    fields = dict(name=name, kind=kind, input_size=result.imgsz, class_source="borderwatch",
                  source_classes=list(CLASSES))
    if weights_path.exists():
        fields.update(format=detect_format(weights_path), sha256=sha256_of(weights_path), file=weights_path.name)
    card = load_card(target) if target.exists() else ModelCard(name=name)
    data = card.model_dump()
    data.update(fields)
    if description:
        data["description"] = description
    if licence != "unknown":
        data["licence"] = licence
    if training:
        data["training"] = training
    if gsd_m is not None:
        data["gsd_m"] = gsd_m
    data["metrics"] = [m.model_dump() for m in card_metrics(result, dataset, split)]
    card = ModelCard.model_validate(data)
    write_text(target, dump_card(card))
    write_text(target.with_suffix(".md"), card_markdown(card))
    return target


def card_markdown(card) -> str:
    """A human-readable page for a model card: what it is, its data and licence, its measured metrics."""
    lines = [f"# {card.name}", "", card.description or "", "",
             f"- format: {card.format}, file: `{card.file}`, sha256: `{card.sha256}`",
             f"- classes: {', '.join(card.source_classes)}; input size {card.input_size}; kind {card.kind}",
             f"- licence: {card.licence}", ""]
    if card.training:
        lines += ["## Training", ""]
        for k, v in card.training.items():
            lines.append(f"- **{k}**: {v}")
        lines.append("")
    lines += ["## Metrics", "",
              "| scale | GSD m/px | images | mAP50 | mAP50-95 | count MAE | total count error | class | AP50 | P | R | true | pred |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for m in card.metrics:
        extra = m.model_extra or {}
        first = True
        for cls, c in m.per_class.items():
            head = (f"| {extra.get('scale', '')} | {_fmt(m.gsd_m)} | {extra.get('n_images', '')} | {_fmt(m.map50)} | "
                    f"{_fmt(m.map50_95)} | {_fmt(m.count_mae)} | "
                    f"{'n/a' if m.total_count_rel_error is None else f'{m.total_count_rel_error:+.1%}'} "
                    if first else "| | | | | | | ")
            lines.append(head + f"| {cls} | {_fmt(c.ap50)} | {_fmt(c.precision)} | {_fmt(c.recall)} | "
                                f"{c.n_true} | {c.n_pred} |")
            first = False
    if card.metrics:
        thresholds = ", ".join(f"{_fmt(m.gsd_m)} m: {m.operating_threshold}" for m in card.metrics)
        lines += ["", f"Operating thresholds by GSD ({thresholds}); counts, precision and recall at that "
                      "threshold, matched at IoU 0.5; AP from predictions at each image's own pixel scale, "
                      "in overlapping tiles.", ""]
    return "\n".join(lines) + "\n"
