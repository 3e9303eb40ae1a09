"""Build an ultralytics training set from labeled imagery at several GSDs.

Each training image becomes versions at its native GSD and at coarser GSDs (the ``ladder``); every
version is cut into ``imgsz`` chips, or, when smaller than a chip, packed with other images of the same
group into one canvas. All outputs are exactly ``imgsz`` square so ultralytics never rescales them and
each chip keeps the GSD it was made at. ``cap`` limits chips per (group, GSD) so a long video
segment of near-identical frames cannot dominate the set.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from borderwatch.atomic import write_text
from borderwatch.datasets.chips import chip_image, pack_images
from borderwatch.datasets.gsd import resample_image
from borderwatch.datasets.model import LabeledDataset, LabeledImage, write_image


@dataclass
class BuildStats:
    images: Counter = field(default_factory=Counter)  # split -> chips written
    boxes: dict[str, Counter] = field(default_factory=dict)  # split -> class -> boxes
    dropped: Counter = field(default_factory=Counter)  # reason -> boxes
    per_gsd: Counter = field(default_factory=Counter)  # "split@gsd" -> chips


def gsd_versions(native: float, ladder: list[float], min_step: float = 1.2) -> list[float | None]:
    """None (native) plus the ladder GSDs at least ``min_step`` times coarser than native."""
    return [None] + [g for g in ladder if g >= native * min_step]


def _versions_of(im: LabeledImage, gsd: float | None, imgsz: int, overlap: int, min_keep: float,
                 keep_empty: float, rng: random.Random, stats: BuildStats, min_side_px: float):
    rgb = im.load()
    if gsd is not None:
        res = resample_image(im, gsd, pixels=rgb, min_side_px=min_side_px)
        stats.dropped["below min size after resampling"] += res.dropped_small
        im = res.image
        rgb = im.pixels
    if im.width <= imgsz // 2 and im.height <= imgsz // 2:
        return [im], True  # small: pack with its group
    chips, st = chip_image(im, imgsz, overlap=overlap, min_keep=min_keep, pixels=rgb)
    stats.dropped["cut by chip edge (< min_keep left)"] += st.dropped_cut
    kept = [c for c in chips if len(c.boxes) or rng.random() < keep_empty]
    return kept, False


def build_chip_set(
    splits: dict[str, LabeledDataset],
    out_dir: str | Path,
    imgsz: int = 416,
    ladder: list[float] | None = None,
    overlap: int = 64,
    min_keep: float = 0.5,
    cap: int | dict[str, int] | None = 80,
    keep_empty: float = 0.1,
    min_side_px: float = 2.0,
    seed: int = 0,
    progress=None,
) -> tuple[Path, BuildStats]:
    """Write ``images/<split>``, ``labels/<split>`` and ``data.yaml`` under ``out_dir``."""
    ladder = ladder if ladder is not None else [0.15, 0.3, 0.5]
    out_dir = Path(out_dir)
    stats = BuildStats()
    rng = random.Random(seed)
    classes = next(iter(splits.values())).classes
    for split_name, ds in splits.items():
        stats.boxes[split_name] = Counter()
        for group, images in sorted(ds.groups().items()):
            natives = sorted({round(im.gsd_m, 4) for im in images if im.gsd_m})
            native = natives[len(natives) // 2] if natives else None
            versions = gsd_versions(native, ladder) if native else [None]
            for gsd in versions:
                produced: list[LabeledImage] = []
                small: list[LabeledImage] = []
                small_area = 0.0
                group_cap = cap.get(group, cap.get("*")) if isinstance(cap, dict) else cap
                order = list(images)
                rng.shuffle(order)
                for im in order:
                    # packed canvases fill to roughly 70% of their area
                    if group_cap is not None and len(produced) + small_area / (0.7 * imgsz * imgsz) >= group_cap:
                        break
                    outs, is_small = _versions_of(im, gsd, imgsz, overlap, min_keep, keep_empty, rng, stats,
                                                  min_side_px)
                    (small if is_small else produced).extend(outs)
                    if is_small:
                        small_area += sum(o.width * o.height for o in outs)
                    if progress is not None:
                        progress()
                if small:
                    produced.extend(pack_images(small, imgsz, name=f"{group}@{gsd or 'native'}_pack"))
                if group_cap is not None and len(produced) > group_cap:
                    produced = rng.sample(produced, group_cap)
                tag = "native" if gsd is None else f"{gsd:g}m"
                for k, chip in enumerate(produced):
                    stem = f"{_slug(group)}__{tag}__{k:04d}"
                    write_image(out_dir / "images" / split_name / f"{stem}.jpg", chip.pixels)
                    write_text(out_dir / "labels" / split_name / f"{stem}.txt", _label_text(chip))
                    for c in chip.labels:
                        stats.boxes[split_name][classes[int(c)]] += 1
                stats.images[split_name] += len(produced)
                stats.per_gsd[f"{split_name}@{tag}"] += len(produced)
    data = {"path": str(out_dir.resolve()), "names": dict(enumerate(classes))}
    for split_name in splits:
        data[split_name] = f"images/{split_name}"
    data.setdefault("val", data.get("train"))
    yaml_path = out_dir / "data.yaml"
    write_text(yaml_path, yaml.safe_dump(data, sort_keys=False))
    return yaml_path, stats


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in text)


def _label_text(im: LabeledImage) -> str:
    lines = []
    for (x1, y1, x2, y2), c in zip(im.boxes, im.labels, strict=True):
        x1, x2 = np.clip([x1, x2], 0, im.width)
        y1, y2 = np.clip([y1, y2], 0, im.height)
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            continue
        lines.append(f"{int(c)} {(x1 + x2) / 2 / im.width:.6f} {(y1 + y2) / 2 / im.height:.6f} "
                     f"{(x2 - x1) / im.width:.6f} {(y2 - y1) / im.height:.6f}")
    return "\n".join(lines) + ("\n" if lines else "")
