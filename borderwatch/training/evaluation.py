"""Evaluation through the production engine: the same slicing, scale, merge and threshold as ``detect``.

Each labelled image goes through ``detect``'s own path: the model is resolved and loaded as detect
loads it (card defaults, runtime), the image is cut into the windows detect would cut (resampled to
the card's GSD when the image has a GSD), the tiles are predicted once at a low score, and then, for
each threshold of the precision-recall table, the tile boxes at or above it are merged exactly as
detect merges boxes kept at that threshold. So every figure here, at every threshold, is what
``detect --conf T`` returns on that image. Ground truth is axis-aligned (YOLO labels); oriented
predictions are matched by their axis-aligned bounds, the columns every consumer reads.

The GSD variants (``gsds``) first resample each image from its native GSD to the variant's (area
averaging; ground truth under 2 px dropped and counted), as a raster of that GSD would arrive;
the engine then resamples its windows to the model's GSD, as detect does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from borderwatch.boxes import iou_matrix
from borderwatch.datasets.model import LabeledDataset, LabeledImage
from borderwatch.detector.options import MergeMethod
from borderwatch.detector.thresholds import ClassMerge, ClassThresholds
from borderwatch.errors import InputError
from borderwatch.taxonomy import CLASSES

PR_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))
"""Thresholds of the precision-recall table (0.05 ... 0.95)."""
COLLECT_CONF = 0.01
"""Score the tiles are predicted at once; every table threshold lies above it."""
IOU_MATCH = 0.5


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
    median_gsd_m: float | None = None
    threshold: float = 0.25
    class_thresholds: dict[str, float] = field(default_factory=dict)  # classes at their own operating threshold
    pr_table: dict[str, list[dict]] = field(default_factory=dict)
    slicing: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return "native" if self.gsd_m is None else f"{self.gsd_m:g} m"


@dataclass
class EvalResult:
    model: str
    model_sha256: str | None
    data: str
    operating_threshold: float | None
    imgsz: int
    variants: list[VariantEval] = field(default_factory=list)
    slicing: dict = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        lines = []
        for v in self.variants:
            car = v.per_class.get("car")
            rel = "n/a" if v.total_count_rel_error is None else f"{v.total_count_rel_error:+.1%}"
            own = "".join(f", {c} {t:g}" for c, t in v.class_thresholds.items())
            lines.append(
                f"{v.label} (threshold {v.threshold:.3f}{own}): {v.n_images} images, mAP50 {fmt(v.map50)}, "
                f"car AP50 {fmt(car.ap50 if car else None)}, count MAE {v.count_mae:.2f}/image, "
                f"total {v.total_pred} vs {v.total_true} true ({rel})"
            )
            for name, c in v.per_class.items():
                lines.append(
                    f"    {name}: AP50 {fmt(c.ap50)} AP50-95 {fmt(c.ap50_95)} P {fmt(c.precision)} "
                    f"R {fmt(c.recall)} ({c.n_true} true, {c.n_pred} predicted)"
                )
        return lines


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


class ArraySource:
    """An image in memory as a ``TileSource`` (every pixel valid)."""

    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb
        self.height, self.width = rgb.shape[:2]

    def read(self, window):
        from borderwatch.detector.types import TileData

        part = self.rgb[window.row : window.row + window.height, window.col : window.col + window.width]
        return TileData(window, np.ascontiguousarray(part))


# ---------------------------------------------------------------- matching


def match(pred_boxes: np.ndarray, pred_cls: np.ndarray, pred_conf: np.ndarray, gt_boxes: np.ndarray,
          gt_cls: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
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


IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


# ---------------------------------------------------------------- the engine


def load_model(model: str | Path, trust_weights: bool = False, models_dir: Path | None = None):
    """The registry's ``ResolvedModel`` for ``model``, checked by the trust rules before anything loads it."""
    from borderwatch.detector.registry import resolve_model
    from borderwatch.detector.weights import ensure_loadable

    resolved = resolve_model(model, models_dir=models_dir, allow_download=False, trust_weights=trust_weights)
    ensure_loadable(resolved)
    return resolved


class EngineEvaluator:
    """The model as ``detect`` runs it: resolved, loaded and sliced from one ``DetectConfig``."""

    def __init__(self, config):
        from borderwatch.detector.run.model import resolve_model_handle

        resolved = load_model(config.model, config.trust_weights, config.models_dir)  # refuse an untrusted pickle first
        self.thresholds = config.class_thresholds(resolved.card)  # before for_card, which sets conf to the lowest
        self.merges = config.class_merge(resolved.card)  # before for_card too, which sets merge
        self.config = config.for_card(resolved.card)
        # the model itself keeps every box down to COLLECT_CONF; each threshold is applied after, as exact
        low = self.config.slicing.model_copy(update={"conf": COLLECT_CONF})
        self.handle = resolve_model_handle(self.config.model_copy(update={"slicing": low}))
        self._lut: np.ndarray | None = None
        self._methods: dict[int, MergeMethod] | None = None

    @property
    def threshold(self) -> float:
        """The operating threshold of classes without their own (``thresholds``)."""
        return float(self.thresholds.default)

    def lut(self) -> np.ndarray:
        """Model class id -> taxonomy index (-1: dropped)."""
        if self._lut is None:
            names = self.handle.predictor.names
            lut = np.full(max(names) + 1 if names else 1, -1, np.int64)
            for k, name in names.items():
                target = self.handle.mapping.table.get(_fold(name))
                if target is not None:
                    lut[int(k)] = CLASSES.index(target)
            self._lut = lut
        return self._lut

    def params(self, im: LabeledImage, kind: str):
        return self.config.params_for_size(kind, im.gsd_m, im.width, im.height)

    def tiles(self, rgb: np.ndarray, params):
        """The image's tile boxes at COLLECT_CONF, before merging (one forward pass per window)."""
        from borderwatch.detector.sliced import collect_tiles

        low = params.model_copy(update={"conf": min(COLLECT_CONF, params.conf)})
        return collect_tiles(ArraySource(rgb), self.handle.predictor, low)

    def merged(self, tiles, params, threshold: float):
        """What detect keeps at ``threshold``: boxes, taxonomy class indices, scores."""
        from borderwatch.detector.sliced import merge_tiles

        if self._methods is None:  # per-class merge methods by model class id, as detect's engine merges
            self._methods = self.merges.by_id(self.handle.predictor.names, self.handle.mapping)
        dets = merge_tiles(tiles.at_least(threshold), params.model_copy(update={"conf": threshold}),
                           class_methods=self._methods)
        lut = self.lut()
        cls = lut[np.clip(dets.class_ids, 0, len(lut) - 1)] if len(dets) else np.zeros(0, np.int64)
        keep = cls >= 0
        return dets.boxes[keep].astype(np.float64), cls[keep], dets.scores[keep].astype(np.float64)


def _fold(name: str) -> str:
    from borderwatch.taxonomy import fold

    return fold(name)


@dataclass
class _ImageRun:
    image: LabeledImage
    at: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]]  # threshold -> (boxes, classes, scores)


def _run_images(engine: EngineEvaluator, images: list[LabeledImage], gsd: float | None, kind: str,
                thresholds: list[float], progress=None) -> tuple[list[_ImageRun], int, int, dict]:
    from borderwatch.datasets.gsd import resample_image

    runs: list[_ImageRun] = []
    skipped = dropped = 0
    slicing: dict = {}
    for im in images:
        if gsd is not None and (im.gsd_m is None or im.gsd_m >= gsd):
            skipped += 1
        else:
            rgb = im.load()
            if gsd is not None:
                res = resample_image(im, gsd, pixels=rgb)
                dropped += res.dropped_small
                im, rgb = res.image, res.image.pixels
            params = engine.params(im, kind)
            slicing.setdefault("window_px", set()).add(params.tile_size)
            tiles = engine.tiles(rgb, params)
            runs.append(_ImageRun(im, {t: engine.merged(tiles, params, t) for t in thresholds}))
        if progress:
            progress()
    return runs, skipped, dropped, slicing


def _pr_rows(runs: list[_ImageRun], thresholds) -> dict[str, list[dict]]:
    """Per class, precision/recall/counts at each threshold (detect's output at that threshold)."""
    k = len(CLASSES)
    table: dict[str, list[dict]] = {}
    per_t = []
    for t in thresholds:
        n_true, n_pred, tp = np.zeros(k, np.int64), np.zeros(k, np.int64), np.zeros(k, np.int64)
        for run in runs:
            boxes, cls, scores = run.at[t]
            im = run.image
            hit = match(boxes, cls, scores, im.boxes, im.labels, np.array([IOU_MATCH]))[:, 0]
            np.add.at(n_true, im.labels, 1)
            np.add.at(n_pred, cls, 1)
            np.add.at(tp, cls[hit], 1)
        per_t.append((t, n_true, n_pred, tp))
    for c, name in enumerate(CLASSES):
        if not any(n_true[c] or n_pred[c] for _, n_true, n_pred, _ in per_t):
            continue
        table[name] = [
            {"threshold": float(t), "precision": rounded(tp[c] / n_pred[c]) if n_pred[c] else None,
             "recall": rounded(tp[c] / n_true[c]) if n_true[c] else None, "n_pred": int(n_pred[c]), "n_true": int(n_true[c])}
            for t, n_true, n_pred, tp in per_t
        ]
    return table


def _operating_rows(runs: list[_ImageRun], thresholds: ClassThresholds) -> dict[str, dict]:
    """Per class, its precision-recall row at its own operating threshold."""
    out: dict[str, dict] = {}
    for t in sorted({thresholds.of(c) for c in CLASSES}):
        for name, (row,) in _pr_rows(runs, [t]).items():
            if thresholds.of(name) == t:
                out[name] = row
    return {name: out[name] for name in CLASSES if name in out}


def _operating_count(run: _ImageRun, thresholds: ClassThresholds) -> int:
    """Boxes detect keeps on the image, each class at its own threshold."""
    return sum(int(np.count_nonzero(run.at[thresholds.of(name)][1] == c)) for c, name in enumerate(CLASSES))


def _metrics(runs: list[_ImageRun], gsd: float | None, thresholds: ClassThresholds, skipped: int, dropped: int,
             pr_thresholds) -> VariantEval:
    tps, confs, pcls, tcls = [], [], [], []
    abs_errors = []
    for run in runs:
        im = run.image
        boxes, cls, scores = run.at[COLLECT_CONF]
        tps.append(match(boxes, cls, scores, im.boxes, im.labels, IOU_THRESHOLDS))
        confs.append(scores)
        pcls.append(cls)
        tcls.append(im.labels)
        abs_errors.append(abs(_operating_count(run, thresholds) - len(im.labels)))
    op = _operating_rows(runs, thresholds)
    ap = None
    if tps and len(np.concatenate(tcls)):
        from ultralytics.utils.metrics import ap_per_class

        out = ap_per_class(np.concatenate(tps), np.concatenate(confs), np.concatenate(pcls), np.concatenate(tcls),
                           plot=False)
        ap = {int(c): out[5][i] for i, c in enumerate(out[6])}
    per_class: dict[str, ClassEval] = {}
    for name, row in op.items():
        c = ClassEval(n_true=row["n_true"], n_pred=row["n_pred"], precision=row["precision"], recall=row["recall"])
        idx = CLASSES.index(name)
        if ap is not None and idx in ap:
            c.ap50, c.ap50_95 = float(ap[idx][0]), float(ap[idx].mean())
        per_class[name] = c
    aps = [c for c in per_class.values() if c.ap50 is not None]
    total_true = sum(c.n_true for c in per_class.values())
    total_pred = sum(c.n_pred for c in per_class.values())
    gsds_seen = [r.image.gsd_m for r in runs if r.image.gsd_m is not None]
    return VariantEval(
        gsd_m=gsd, n_images=len(runs), per_class=per_class, threshold=thresholds.default,
        class_thresholds=thresholds.exceptions,
        map50=float(np.mean([c.ap50 for c in aps])) if aps else None,
        map50_95=float(np.mean([c.ap50_95 for c in aps])) if aps else None,
        count_mae=float(np.mean(abs_errors)) if abs_errors else 0.0,
        total_true=total_true, total_pred=total_pred,
        total_count_rel_error=(total_pred - total_true) / total_true if total_true else None,
        skipped_images=skipped, dropped_small_gt=dropped,
        median_gsd_m=float(np.median(gsds_seen)) if gsds_seen else None,
        pr_table=_pr_rows(runs, pr_thresholds),
    )


def rounded(x) -> float | None:
    return None if x is None else round(float(x), 4)


# ---------------------------------------------------------------- evaluation


def _to_taxonomy(ds: LabeledDataset) -> LabeledDataset:
    """The eval data in taxonomy class ids (datasets in other vocabularies are mapped, unknowns dropped)."""
    if list(ds.classes) == list(CLASSES):
        return ds
    from borderwatch.datasets.remap import remap
    from borderwatch.taxonomy import guess_mapping

    return remap(ds, guess_mapping(ds.classes))[0]


def load_eval_data(data: str | Path, native_gsd_m: float | None = None, split: str | None = None) -> LabeledDataset:
    """The eval images with their native GSD: from the dataset card beside the data (``image_gsd_m``),
    else ``native_gsd_m`` for all."""
    from borderwatch.datasets.card import find_dataset_card, read_dataset_card
    from borderwatch.datasets.formats import read_dataset, read_yolo

    data = Path(data)
    ds = read_yolo(data, split=split) if data.suffix.lower() in (".yaml", ".yml") else read_dataset(data)
    card_path = find_dataset_card(data)
    per_image = read_dataset_card(card_path).image_gsd_m if card_path else {}
    for im in ds.images:
        stem = Path(im.name).name
        im.gsd_m = per_image.get(stem, per_image.get(im.name, native_gsd_m))
    return ds


def engine_config(model: str | Path, *, tile_size: int | None = None, overlap: float | None = None,
                  conf: float | None = None, model_gsd_m: float | None = None, runtime: str = "auto",
                  device: str = "cpu", trust_weights: bool = False, models_dir: Path | None = None):
    """The ``DetectConfig`` of ``detect --model MODEL`` with these options (None: the card's value)."""
    from borderwatch.detector.run.config import DetectConfig
    from borderwatch.detector.sliced import SliceParams

    given = {"tile_size": tile_size, "overlap": overlap, "conf": conf, "model_gsd_m": model_gsd_m}
    slicing = SliceParams(**{k: v for k, v in given.items() if v is not None})
    return DetectConfig(model=str(model), slicing=slicing, runtime=runtime, device=device,
                        trust_weights=trust_weights, models_dir=models_dir, allow_download=False)


def count_threshold(engine: EngineEvaluator, ds: LabeledDataset, gsd: float | None, kind: str) -> float | None:
    """The score at which detect's total count on ``ds`` (validation data) equals the number of true boxes."""
    runs, _, _, _ = _run_images(engine, ds.images, gsd, kind, [COLLECT_CONF])
    if not runs:
        return None
    scores = np.sort(np.concatenate([r.at[COLLECT_CONF][2] for r in runs]))[::-1]
    n_true = sum(len(r.image.boxes) for r in runs)
    if n_true == 0 or len(scores) == 0:
        return None
    return float(scores[min(n_true, len(scores)) - 1])


def evaluate(
    config,
    data: str | Path | LabeledDataset,
    gsds: list[float | None] | tuple = (None, 0.3),
    native_gsd_m: float | None = None,
    split: str | None = None,
    kind: str = "overhead",
    calibrate_on: str | Path | LabeledDataset | None = None,
    progress=None,
) -> EvalResult:
    """Evaluate the model of ``config`` (a ``DetectConfig``; see ``engine_config``) on ``data`` at each
    GSD in ``gsds`` (None = native), at detect's operating threshold (the card's, or the config's
    ``--conf``), or, with ``calibrate_on``, at the threshold that makes the total count right there."""
    engine = EngineEvaluator(config)
    ds = data if isinstance(data, LabeledDataset) else load_eval_data(data, native_gsd_m, split)
    ds = _to_taxonomy(ds)
    if not ds.images:
        raise InputError("no images to evaluate on", str(data) if not isinstance(data, LabeledDataset) else ds.name)
    thresholds: dict[float | None, float] = {}
    if calibrate_on is not None:
        val = calibrate_on if isinstance(calibrate_on, LabeledDataset) else load_eval_data(calibrate_on, native_gsd_m)
        val = _to_taxonomy(val)
        for gsd in gsds:
            t = count_threshold(engine, val, gsd, kind)
            if t is not None:
                thresholds[gsd] = t
    eff = engine.config
    result = EvalResult(model=engine.handle.path or engine.handle.name, model_sha256=engine.handle.sha256,
                        data=str(data) if not isinstance(data, LabeledDataset) else ds.name,
                        operating_threshold=None if thresholds else engine.threshold, imgsz=eff.slicing.tile_size,
                        slicing=slicing_record(eff, engine.merges))
    for gsd in gsds:
        # a threshold matched on validation data is one for every class; else the card's (or --conf)
        op = ClassThresholds(round(thresholds[gsd], 4)) if gsd in thresholds else engine.thresholds
        levels = sorted({COLLECT_CONF, *(op.of(c) for c in CLASSES), *PR_THRESHOLDS})
        runs, skipped, dropped, seen = _run_images(engine, ds.images, gsd, kind, levels, progress)
        variant = _metrics(runs, gsd, op, skipped, dropped, PR_THRESHOLDS)
        variant.slicing = {**slicing_record(eff, engine.merges), "conf": op.default, "window_px": sorted(seen.get("window_px", []))}
        if op.exceptions:
            variant.slicing["conf_per_class"] = op.exceptions
        result.variants.append(variant)
    return result


def slicing_record(config, merges: ClassMerge | None = None) -> dict:
    """The engine settings of an evaluation, as the card records them (``merge_per_class`` only where
    some class had a method of its own)."""
    s = config.slicing
    out = {"tile": s.tile_size, "overlap": s.overlap, "conf": s.conf, "gsd_m": s.model_gsd_m,
           "merge": s.merge, "merge_threshold": s.merge_threshold, "iou": s.iou, "runtime": config.runtime}
    if merges is not None and merges.exceptions:
        out["merge_per_class"] = merges.exceptions
    return out
