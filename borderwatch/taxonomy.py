"""One vehicle taxonomy, and the tables that map source models' and datasets' classes onto it.

Source class names are matched case-insensitively with spaces, hyphens and underscores folded, so
``Small-Vehicle``, ``small vehicle`` and ``small_vehicle`` are the same name. A class that maps to
``None`` is known and deliberately dropped (a pedestrian); a class missing from the table is unmapped,
also dropped, and counted separately so users see what their model found that we ignore.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from borderwatch.errors import InputError

CLASSES: tuple[str, ...] = ("car", "truck", "bus", "two_wheeler", "heavy_equipment")
"""The taxonomy, in index order (the class ids of the project's own models)."""

ANY_VEHICLE = "any_vehicle"

_COCO = {
    "car": "car", "truck": "truck", "bus": "bus", "motorcycle": "two_wheeler", "bicycle": "two_wheeler",
    "person": None, "train": None, "boat": None, "airplane": None,
}
_VISDRONE = {
    "car": "car", "van": "car", "truck": "truck", "bus": "bus", "motor": "two_wheeler",
    "bicycle": "two_wheeler", "tricycle": "two_wheeler", "awning-tricycle": "two_wheeler",
    "pedestrian": None, "people": None, "ignored regions": None, "others": None,
}
_DOTA = {
    "small vehicle": "car", "large vehicle": "truck",
    "plane": None, "ship": None, "storage tank": None, "baseball diamond": None, "tennis court": None,
    "basketball court": None, "ground track field": None, "harbor": None, "bridge": None,
    "helicopter": None, "roundabout": None, "soccer ball field": None, "swimming pool": None,
    "container crane": "heavy_equipment",
}
_XVIEW = {
    "passenger vehicle": "car", "small car": "car", "pickup truck": "car", "utility truck": "truck",
    "truck": "truck", "cargo truck": "truck", "truck w/box": "truck", "truck tractor": "truck",
    "trailer": "truck", "truck w/flatbed": "truck", "truck w/liquid": "truck", "dump truck": "truck",
    "haul truck": "truck", "tank car": None, "cargo car": None, "flat car": None, "locomotive": None,
    "passenger car": None, "railway vehicle": None, "bus": "bus",
    "engineering vehicle": "heavy_equipment", "tower crane": "heavy_equipment",
    "mobile crane": "heavy_equipment", "scraper/tractor": "heavy_equipment",
    "front loader/bulldozer": "heavy_equipment", "excavator": "heavy_equipment",
    "cement mixer": "heavy_equipment", "ground grader": "heavy_equipment", "crane truck": "heavy_equipment",
    "reach stacker": "heavy_equipment", "straddle carrier": "heavy_equipment",
    "fixed-wing aircraft": None, "small aircraft": None, "cargo plane": None, "helicopter": None,
    "maritime vessel": None, "motorboat": None, "sailboat": None, "tugboat": None, "barge": None,
    "fishing vessel": None, "ferry": None, "yacht": None, "container ship": None, "oil tanker": None,
    "building": None, "hut/tent": None, "shed": None, "aircraft hangar": None, "damaged building": None,
    "facility": None, "construction site": None, "vehicle lot": None, "helipad": None,
    "storage tank": None, "shipping container lot": None, "shipping container": None, "pylon": None,
    "tower": None,
}
_AERIAL_CARS = {  # ../shared/data/overhead/aerial-cars/aerial.names
    "car": "car", "truck": "truck", "bus": "bus", "minibus": "bus", "cyclist": "two_wheeler",
}
_DRONE_MADISON = {"car": "car"}
_TAXONOMY = {c: c for c in CLASSES}  # the project's own models

SOURCES: dict[str, dict[str, str | None]] = {
    "coco": _COCO,
    "visdrone": _VISDRONE,
    "dota": _DOTA,
    "xview": _XVIEW,
    "aerial-cars": _AERIAL_CARS,
    "drone-cars-madison": _DRONE_MADISON,
    "borderwatch": _TAXONOMY,
}

# Words news reports and labellers use, folded onto the taxonomy (also used by claim extraction).
SYNONYMS: dict[str, str] = {
    "sedan": "car", "taxi": "car", "van": "car", "minivan": "car", "suv": "car", "jeep": "car",
    "passenger car": "car", "automobile": "car", "pickup": "car",
    "lorry": "truck", "dump truck": "truck", "trailer": "truck", "tractor-trailer": "truck",
    "cargo truck": "truck", "four-door truck": "truck", "semi": "truck",
    "minibus": "bus", "coach": "bus", "trolleybus": "bus",
    "motorcycle": "two_wheeler", "motorbike": "two_wheeler", "bicycle": "two_wheeler",
    "bike": "two_wheeler", "e-bike": "two_wheeler", "electric bicycle": "two_wheeler",
    "electric bike": "two_wheeler", "scooter": "two_wheeler", "moped": "two_wheeler",
    "cyclist": "two_wheeler", "motor": "two_wheeler",
    "excavator": "heavy_equipment", "bulldozer": "heavy_equipment", "tractor": "heavy_equipment",
    "crane": "heavy_equipment", "loader": "heavy_equipment", "forklift": "heavy_equipment",
    "engineering vehicle": "heavy_equipment", "heavy equipment": "heavy_equipment",
}


def fold(name: str) -> str:
    """Normalise a class name: lower case, single spaces for ``_``/``-`` runs."""
    return " ".join(str(name).lower().replace("_", " ").replace("-", " ").split())


@dataclass
class ClassMapping:
    """Maps one model's or dataset's class names onto the taxonomy."""

    table: dict[str, str | None]
    source: str = "custom"
    dropped: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        folded: dict[str, str | None] = {}
        for key, target in self.table.items():
            if target is not None and target not in CLASSES:
                raise InputError(f"class {key!r} maps to {target!r}, which is not one of {', '.join(CLASSES)}")
            folded[fold(key)] = target
        self.table = folded

    def map(self, source_class: str) -> str | None:
        """The taxonomy class of ``source_class``, or None (then the class is counted as dropped)."""
        target = self.table.get(fold(source_class))
        if target is None:
            self.dropped[str(source_class)] += 1
        return target

    def knows(self, source_class: str) -> bool:
        return fold(source_class) in self.table

    def covered(self, names: Iterable[str]) -> dict[str, str | None]:
        """For a model's class list: what each name maps to (None = dropped)."""
        return {n: self.table.get(fold(n)) for n in names}

    def with_overrides(self, overrides: Mapping[str, str | None]) -> ClassMapping:
        merged = dict(self.table)
        merged.update({fold(k): v for k, v in overrides.items()})
        return ClassMapping(merged, source=f"{self.source}+user")


def mapping_for(source: str) -> ClassMapping:
    """The built-in mapping of a named source (coco, visdrone, dota, xview, aerial-cars, ...)."""
    key = source.lower()
    if key not in SOURCES:
        raise InputError(f"unknown class source {source!r}; known: {', '.join(SOURCES)}")
    return ClassMapping(dict(SOURCES[key]), source=key)


def guess_mapping(class_names: Iterable[str]) -> ClassMapping:
    """The union of all built-in tables, for a model whose source is not declared.

    Later tables do not overwrite earlier ones, so COCO's meaning of a name wins.
    """
    merged: dict[str, str | None] = {}
    for table in SOURCES.values():
        for k, v in table.items():
            merged.setdefault(fold(k), v)
    for k, v in SYNONYMS.items():
        merged.setdefault(fold(k), v)
    del class_names  # the union covers every name we know; unknown names are dropped and counted
    return ClassMapping(merged, source="auto")


def load_mapping_file(path: str | Path) -> dict[str, str | None]:
    """A user mapping file: YAML or JSON object ``{source_class: taxonomy_class | null}``."""
    from borderwatch.safe_read import read_text
    from borderwatch.yamlsafe import load_yaml

    path = Path(path)
    text = read_text(path, 1 << 20, "class mapping")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else load_yaml(text, max_bytes=1 << 20)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read class mapping: {exc}", path) from exc
    if not isinstance(data, dict):
        raise InputError("class mapping must be an object of source_class: taxonomy_class", path)
    out: dict[str, str | None] = {}
    for k, v in data.items():
        if v is not None and v not in CLASSES:
            raise InputError(f"class {k!r} maps to {v!r}, not one of {', '.join(CLASSES)} or null", path)
        out[str(k)] = v
    return out
