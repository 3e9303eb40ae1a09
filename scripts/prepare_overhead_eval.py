#!/usr/bin/env python
"""The held-out overhead sets of scripts/overhead_splits.json as datasets ``borderwatch eval`` reads.

    python scripts/prepare_overhead_eval.py --out /work/data/overhead_eval

Writes, under --out (outside the repository: the images are third-party), one YOLO dataset per set,
in the taxonomy's class ids, with a dataset card giving each image's native GSD (the per-image
estimate of scripts/prepare_overhead_v2.py: KIT documented 0.13 m, others car length / 4.5 m):

- ``beach-test``: real ~25 cm satellite screenshots, the 4 held-out beach-cars images (cars);
- ``kmm-test``: the held-out KIT / Minsk / Madison groups (cars, trucks, buses), to evaluate at 0.3 m;
- ``simd-test``: the 15 held-out SIMD images, trucks (truck + long vehicle) and buses only, because
  SIMD's car labels are sparse (its car figures mean nothing);
- ``val``: the validation images of the same file but SIMD's (for ``--calibrate-on``: SIMD's unboxed
  cars would push a count-matched threshold up), and ``simd-val`` (trucks/buses only).
The splits were fixed before any tuning (see the file's ``rule``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/work/data/overhead_eval"))
    args = ap.parse_args()

    import prepare_overhead_v2 as prep

    from borderwatch.datasets.card import DatasetCard, write_dataset_card
    from borderwatch.datasets.formats import write_yolo
    from borderwatch.datasets.model import LabeledDataset, LabeledImage
    from borderwatch.taxonomy import CLASSES

    items = prep.load_split()
    sets = {
        "beach-test": lambda it: it.split == "test" and it.source == "beach-cars",
        "kmm-test": lambda it: it.split == "test" and it.source in ("aerial-cars", "drone-cars-madison"),
        "simd-test": lambda it: it.split == "test" and it.source == "simd-vehicles",
        "val": lambda it: it.split == "val" and it.source != "simd-vehicles",
        "simd-val": lambda it: it.split == "val" and it.source == "simd-vehicles",
    }
    for name, wanted in sets.items():
        ds = LabeledDataset(classes=list(CLASSES), name=name)
        gsd: dict[str, float] = {}
        for it in (i for i in items if wanted(i)):
            keep = [k for k, c in enumerate(it.cls) if c in CLASSES and (it.source != "simd-vehicles" or c != "car")]
            labels = np.array([CLASSES.index(it.cls[k]) for k in keep], np.int64)
            ds.images.append(LabeledImage(Path(it.name).stem, it.extra["w"], it.extra["h"], boxes=it.boxes[keep].reshape(-1, 4),
                                          labels=labels, path=it.path, group=it.group, gsd_m=it.gsd,
                                          source=it.source))
            gsd[Path(it.name).stem] = round(float(it.gsd), 4)
        target = write_yolo({"test": ds}, args.out / name)
        write_dataset_card(DatasetCard(name=name, classes=list(CLASSES), image_gsd_m=gsd,
                                       description=f"held-out overhead set {name} (scripts/overhead_splits.json)"),
                           args.out / name / "dataset_card.yaml")
        print(f"{name}: {len(ds)} images, {ds.class_counts()} -> {target}")


if __name__ == "__main__":
    main()
