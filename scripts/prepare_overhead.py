#!/usr/bin/env python
"""Build the overhead training set of borderwatch-overhead-n from ../shared/data/overhead.

    python scripts/prepare_overhead.py --out /tmp/bw-train [--shared ../shared/data/overhead] [--imgsz 416]

Writes, under OUT (never inside the repository: the data is third-party and must not be committed):
  chips/data.yaml, chips/images/{train,val}, chips/labels/{train,val}   training chips at several GSDs
  chips/val.yaml                                                        the validation chips alone
  heldout/data.yaml, heldout/images/test, heldout/labels/test           the held-out test images, native
  valsrc/...                                                             the validation groups, native (thresholds)
  heldout/dataset_card.yaml, chips/dataset_card.yaml                    sources, GSD, counts, groups, licence
  split.yaml                                                            which group went where, with images
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from borderwatch.datasets.build import build_chip_set
from borderwatch.datasets.card import DatasetCard, SourceInfo, write_dataset_card
from borderwatch.datasets.formats import read_yolo, write_yolo
from borderwatch.datasets.gsd import assign_gsd
from borderwatch.datasets.model import LabeledDataset
from borderwatch.datasets.remap import remap
from borderwatch.datasets.splits import split_by_group, write_split
from borderwatch.taxonomy import CLASSES, mapping_for

REPO = Path(__file__).resolve().parents[1]

# Held-out groups, chosen once by hand so every source is represented in the test set:
# two Madison video segments, one KIT AIS mosaic run, one Minsk drone video.
TEST_GROUPS = ["madison-3", "madison-6", "kit-MOS74-93", "minsk-DJI_0762"]
VAL_GROUPS = ["madison-5", "minsk-DJI_0013"]
LADDER = [0.08, 0.15, 0.22, 0.3, 0.5]
KIT_GSD_M = 0.13  # KIT AIS documents ~13 cm/px for its Munich aerial mosaics (MOS*.png)


def aerial_group(name: str) -> str:
    m = re.match(r"MOS(\d+)", name)
    if m:
        n = int(m.group(1))
        return "kit-MOS74-93" if n < 120 else "kit-MOS155-179"  # two contiguous runs of mosaics
    m = re.match(r"(DJI_\d+)-\d+", name)
    if m:
        return f"minsk-{m.group(1)}"  # frames of one drone video
    return "minsk-stills"  # single DJI photos, one survey


def load_sources(shared: Path) -> tuple[LabeledDataset, list[SourceInfo], dict]:
    aerial = read_yolo(shared / "aerial-cars")
    for im in aerial.images:
        im.group = aerial_group(im.name)
        im.source = "aerial-cars"
    aerial, rep_a = remap(aerial, mapping_for("aerial-cars"))
    madison = read_yolo(shared / "drone-cars-madison", names=["car"])
    for im in madison.images:
        im.group = "madison-" + im.name.split("_", 1)[0]
        im.source = "drone-cars-madison"
    madison, rep_m = remap(madison, mapping_for("drone-cars-madison"))
    gsd_a = assign_gsd(aerial, known={"kit-MOS74-93": KIT_GSD_M, "kit-MOS155-179": KIT_GSD_M})
    gsd_m = assign_gsd(madison)
    sources = [
        SourceInfo(name="aerial-cars", path=str(shared / "aerial-cars"),
                   url="https://github.com/jekhor/aerial-cars-dataset",
                   licence="KIT AIS Munich mosaics (MOS*): CC-BY 3.0; Minsk DJI photos: CC-BY-SA "
                           "(Yauhen Kharuzhy, Minsk OSM community)",
                   gsd_method="KIT: documented ~0.13 m (car-length check in groups); DJI: median car box "
                              "length / 4.5 m", groups=gsd_a),
        SourceInfo(name="drone-cars-madison", path=str(shared / "drone-cars-madison"),
                   url="https://github.com/CATS-Lab/Field-data-Drone-View-Vehicle-Image-Set",
                   licence="no licence stated: research use only",
                   gsd_method="median car box length / 4.5 m", groups=gsd_m),
    ]
    issues = [str(i) for i in aerial.issues + madison.issues]
    merged = LabeledDataset(classes=list(CLASSES), images=aerial.images + madison.images, name="overhead")
    remap_info = {"aerial-cars": rep_a.lines(), "drone-cars-madison": rep_m.lines(), "import_issues": issues}
    return merged, sources, remap_info


def write_originals(part: LabeledDataset, folder: Path, name: str, sources: list[SourceInfo], licence: str) -> Path:
    """A split's original images (symlinked) at native GSD, with a card giving each image's GSD."""
    split_name = name.rsplit("-", 1)[-1]
    write_yolo({split_name: part}, folder, link=True)
    return write_dataset_card(DatasetCard(
        name=name, description=f"{split_name} groups, original images at native GSD",
        classes=list(CLASSES), sources=sources, gsd_variants_m=["native"],
        counts={split_name: part.class_counts()}, images={split_name: len(part)},
        split_groups={split_name: sorted(part.groups())},
        image_gsd_m={im.name: round(im.gsd_m, 5) for im in part.images if im.gsd_m},
        licence=licence, recipe="scripts/prepare_overhead.py",
    ), folder / "dataset_card.yaml")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data" / "overhead")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--imgsz", type=int, default=416)
    ap.add_argument("--cap", type=int, default=40, help="max chips per (group, GSD) for drone-video groups")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = args.out.resolve()
    if out == REPO or REPO in out.parents and "runs" not in out.parts:
        print(f"{out}: refusing to write third-party data into the repository (use /tmp/... or runs/)",
              file=sys.stderr)
        return 2

    ds, sources, remap_info = load_sources(args.shared)
    fixed = {g: "test" for g in TEST_GROUPS} | {g: "val" for g in VAL_GROUPS}
    groups = set(ds.groups())
    missing = [g for g in fixed if g not in groups]
    if missing:
        print(f"warning: groups not found: {missing}", file=sys.stderr)
    split = split_by_group(ds, fractions={"train": 1.0}, fixed=fixed, seed=args.seed)
    parts = split.apply(ds)
    write_split(split, out / "split.yaml", ds)
    for name, part in parts.items():
        print(f"{name}: {len(part)} images, {part.class_counts()}, groups {sorted(part.groups())}")

    # KIT and Minsk groups are few and varied; Madison segments are many near-identical frames
    caps = {"*": args.cap, "kit-MOS155-179": 3 * args.cap, "minsk-DJI_0005": 2 * args.cap,
            "minsk-stills": 2 * args.cap}
    yaml_path, stats = build_chip_set({"train": parts["train"], "val": parts["val"]}, out / "chips",
                                      imgsz=args.imgsz, ladder=LADDER, cap=caps, seed=args.seed)
    print(f"chips: {dict(stats.images)}; per GSD {dict(stats.per_gsd)}; dropped {dict(stats.dropped)}")
    # the validation chips alone, to choose the operating threshold on (never on the test groups)
    (out / "chips" / "val.yaml").write_text(yaml.safe_dump(
        {"path": str((out / "chips").resolve()), "names": dict(enumerate(CLASSES)), "train": "images/val",
         "val": "images/val"}, sort_keys=False))

    licence = ("mixed: KIT AIS CC-BY 3.0, Minsk photos CC-BY-SA, Madison research use only; "
               "do not redistribute the images")
    split_groups = {w: sorted(g for g, s in split.groups.items() if s == w) for w in set(split.groups.values())}
    write_dataset_card(DatasetCard(
        name="overhead-chips", description="training chips at native GSD and resampled (INTER_AREA) to "
        + ", ".join(f"{g:g}" for g in LADDER) + " m/px", classes=list(CLASSES), sources=sources,
        gsd_variants_m=["native", *LADDER], imgsz=args.imgsz,
        counts={k: dict(v) for k, v in stats.boxes.items()}, images=dict(stats.images),
        split_groups=split_groups, dropped=dict(stats.dropped), licence=licence,
        recipe="scripts/prepare_overhead.py", remap=remap_info,
    ), out / "chips" / "dataset_card.yaml")

    write_originals(parts["test"], out / "heldout", "overhead-heldout", sources, licence)
    # the validation groups as original images too: operating thresholds are chosen on these per GSD
    write_originals(parts["val"], out / "valsrc", "overhead-val", sources, licence)
    print(f"wrote {yaml_path} and {out / 'heldout' / 'data.yaml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
