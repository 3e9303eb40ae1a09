"""The model card written from an evaluation: metrics per GSD, precision-recall tables, slicing.

``borderwatch eval --card-out`` writes ``<name>.yaml`` (the registry's schema) and ``<name>.md``.
"""

from __future__ import annotations

from pathlib import Path

from borderwatch.taxonomy import CLASSES
from borderwatch.training.evaluation import EvalResult, fmt, rounded


def card_metrics(result: EvalResult, dataset: str | None = None, split: str | None = None):
    from borderwatch.detector.card import ClassMetrics, Metrics

    out = []
    for v in result.variants:
        # the native entry carries the median GSD of its images: the geo stage picks the entry whose
        # gsd_m is closest to a frame's, and a null there would match every frame
        out.append(Metrics(
            dataset=dataset or result.data, split=split,
            gsd_m=rounded(v.gsd_m if v.gsd_m is not None else v.median_gsd_m),
            operating_threshold=rounded(v.threshold), class_thresholds=dict(v.class_thresholds), map50=rounded(v.map50), map50_95=rounded(v.map50_95),
            count_mae=rounded(v.count_mae), total_count_rel_error=rounded(v.total_count_rel_error),
            per_class={k: ClassMetrics(ap50=rounded(c.ap50), ap50_95=rounded(c.ap50_95), precision=rounded(c.precision),
                                       recall=rounded(c.recall), n_true=c.n_true, n_pred=c.n_pred)
                       for k, c in v.per_class.items()},
            pr_table=v.pr_table, slicing=v.slicing,
            n_images=v.n_images, total_true=v.total_true, total_pred=v.total_pred,
            skipped_images=v.skipped_images, dropped_small_gt=v.dropped_small_gt,
            scale="native" if v.gsd_m is None else "resampled",
        ))
    return out


def write_model_card(
    result: EvalResult,
    name: str,
    out_dir: str | Path = "models",
    weights: str | Path | None = None,
    description: str = "",
    licence: str = "unknown",
    training: dict | None = None,
    kind: str = "overhead",
    dataset: str | None = None,
    split: str | None = None,
    append: bool = False,
) -> Path:
    """Write ``<out_dir>/<name>.yaml`` in the registry's card schema, with one metrics entry per GSD.

    An existing card of that name keeps its other fields (its ``inference`` block included); its
    metrics are replaced, or with ``append`` extended (one card measured on several held-out sets).
    A new card records the slicing the evaluation ran with as its ``inference``.
    """
    from borderwatch.atomic import write_text
    from borderwatch.detector.card import ModelCard, dump_card, load_card
    from borderwatch.detector.weights import detect_format, sha256_of

    out_dir = Path(out_dir)
    target = out_dir / f"{name}.yaml"
    weights_path = Path(weights) if weights else Path(result.model)
    exists = target.exists()
    card = load_card(target) if exists else ModelCard(name=name, kind=kind, class_source="borderwatch",
                                                      source_classes=list(CLASSES))
    data = card.model_dump()
    if weights_path.exists() and not exists:
        data.update(format=detect_format(weights_path), sha256=sha256_of(weights_path), file=weights_path.name)
    if not exists:
        s = result.slicing
        data["inference"] = {"gsd_m": s.get("gsd_m"), "tile": s.get("tile"), "overlap": s.get("overlap"),
                             "conf": s.get("conf")}
    if description:
        data["description"] = description
    if licence != "unknown":
        data["licence"] = licence
    if training:
        data["training"] = training
    new = [m.model_dump() for m in card_metrics(result, dataset, split)]
    data["metrics"] = (data.get("metrics") or []) + new if append else new
    card = ModelCard.model_validate(data)
    write_text(target, dump_card(card))
    write_text(target.with_suffix(".md"), card_markdown(card))
    return target


def _own_thresholds(per_class: dict[str, float]) -> str:
    return "".join(f"; {c} {t:g}" for c, t in per_class.items()) if per_class else ""


def _merge_text(inf) -> str:
    """The card's merge method, and each class merged by one of its own."""
    from borderwatch.detector.options import SLICE_DEFAULTS

    default = inf.merge or SLICE_DEFAULTS["merge"]
    own = ", ".join(f"{c} {m}" for c, m in inf.merge_per_class.items() if m != default)
    return f"merge {default} ({own})" if own else f"merge {default}"


def card_markdown(card) -> str:
    """A human-readable page for a model card: what it is, its data and licence, its measured metrics."""
    inf = card.inference
    lines = [f"# {card.name}", "", card.description or "", "",
             f"- format: {card.format}, task: {card.task}, file: `{card.file}`, sha256: `{card.sha256}`",
             f"- classes: {', '.join(card.source_classes) or card.class_source}; kind {card.kind}",
             f"- detect defaults: model GSD {inf.gsd_m} m/px, tile {inf.tile} px, overlap {inf.overlap}, "
             f"threshold {inf.conf}{_own_thresholds(inf.conf_per_class)}, {_merge_text(inf)}, "
             f"NMS {'yes' if inf.nms else 'no (end-to-end)'}",
             f"- licence: {card.licence}", ""]
    if card.training:
        lines += ["## Training", ""]
        for k, v in card.training.items():
            lines.append(f"- **{k}**: {v}")
        lines.append("")
    lines += ["## Metrics", "",
              "| data | GSD m/px | images | threshold | total count error | class | AP50 | P | R | true | pred |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for m in card.metrics:
        extra = m.model_extra or {}
        first = True
        for cls, c in m.per_class.items():
            rel = "n/a" if m.total_count_rel_error is None else f"{m.total_count_rel_error:+.1%}"
            head = (f"| {m.dataset} ({extra.get('scale', '')}) | {fmt(m.gsd_m)} | {extra.get('n_images', '')} | "
                    f"{m.operating_threshold} | {rel} " if first else "| | | | | ")
            own = m.class_thresholds.get(cls)
            label = cls if own is None else f"{cls} (at {own:g})"
            lines.append(head + f"| {label} | {fmt(c.ap50)} | {fmt(c.precision)} | {fmt(c.recall)} | "
                                f"{c.n_true} | {c.n_pred} |")
            first = False
    lines += ["", "Figures are `borderwatch eval` through detect's own engine (card slicing, scale, merge), "
                  "matched at IoU 0.5 on axis-aligned bounds; each entry's `pr_table` gives precision and "
                  "recall at thresholds 0.05-0.95.", ""]
    return "\n".join(lines) + "\n"
