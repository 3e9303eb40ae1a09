"""Splits by group (video segment, flight, source), never frame by frame: near-duplicate frames of one
segment in both train and test would make every metric a lie.

A split is an assignment of *groups* to split names; images follow their group, so no group can be in
two splits by construction. The split file (YAML) writes the groups down with their images.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from borderwatch.atomic import write_text
from borderwatch.datasets.model import LabeledDataset, LabeledImage
from borderwatch.errors import InputError
from borderwatch.yamlsafe import load_yaml_file


def prefix_group(sep: str = "_") -> Callable[[str], str]:
    """Group = the part of the file name before ``sep`` (Madison: ``3_120`` -> segment ``3``)."""
    def key(name: str) -> str:
        stem = Path(name).name
        return stem.split(sep, 1)[0] if sep in stem else stem
    return key


def regex_group(pattern: str) -> Callable[[str], str]:
    """Group = the first capture group (or whole match) of ``pattern`` in the file name."""
    rx = re.compile(pattern)

    def key(name: str) -> str:
        m = rx.search(Path(name).name)
        if not m:
            return Path(name).name
        return m.group(1) if m.groups() else m.group(0)
    return key


def assign_groups(ds: LabeledDataset, key: Callable[[str], str], prefix: str = "") -> None:
    for im in ds.images:
        im.group = prefix + key(im.name)


@dataclass
class Split:
    """Which group goes where; ``images`` follow from the groups."""

    groups: dict[str, str]  # group -> split name
    images: dict[str, list[str]] = field(default_factory=dict)  # split name -> image names

    def split_of(self, im: LabeledImage) -> str | None:
        return self.groups.get(im.group or im.name)

    def apply(self, ds: LabeledDataset) -> dict[str, LabeledDataset]:
        out: dict[str, LabeledDataset] = {}
        for name in sorted(set(self.groups.values())):
            out[name] = LabeledDataset(classes=list(ds.classes), name=f"{ds.name}-{name}")
        for im in ds.images:
            where = self.split_of(im)
            if where is not None:
                out[where].images.append(im)
        return out


def _stable_hash(text: str, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{text}".encode()).digest()[:8], "big")


def split_by_group(
    ds: LabeledDataset,
    fractions: Mapping[str, float] | None = None,
    fixed: Mapping[str, str] | None = None,
    seed: int = 0,
) -> Split:
    """Assign whole groups to splits.

    ``fixed`` pins named groups (``{"3": "test"}``); the others are ordered by a seeded hash and
    dealt greedily to the split furthest below its target share of *images*, so the result depends
    only on the group names, the seed and the sizes — never on file order.
    """
    fractions = dict(fractions or {"train": 0.8, "test": 0.2})
    if any(v < 0 for v in fractions.values()) or sum(fractions.values()) <= 0:
        raise InputError(f"bad split fractions {fractions}")
    total_frac = sum(fractions.values())
    members = {g: [im.name for im in ims] for g, ims in ds.groups().items()}
    n_total = sum(len(v) for v in members.values())
    assigned: dict[str, str] = {}
    counts = dict.fromkeys(fractions, 0)
    for group, where in (fixed or {}).items():
        if group in members:
            assigned[group] = where
            counts[where] = counts.get(where, 0) + len(members[group])
    free = sorted((g for g in members if g not in assigned), key=lambda g: _stable_hash(g, seed))
    for group in free:
        need = {k: fractions[k] / total_frac * n_total - counts.get(k, 0) for k in fractions}
        where = max(need, key=lambda k: (need[k], k))
        assigned[group] = where
        counts[where] += len(members[group])
    split = Split(groups=assigned)
    for group, where in assigned.items():
        split.images.setdefault(where, []).extend(members[group])
    return split


def write_split(split: Split, path: str | Path, ds: LabeledDataset | None = None) -> Path:
    """The split file: for each split, its groups and each group's images."""
    path = Path(path)
    members: dict[str, list[str]] = {}
    if ds is not None:
        for g, ims in ds.groups().items():
            members[g] = sorted(im.name for im in ims)
    data: dict[str, dict] = {}
    for group, where in sorted(split.groups.items()):
        data.setdefault(where, {})[group] = members.get(group, [])
    summary = {w: {"groups": len(gs), "images": sum(len(v) for v in gs.values())} for w, gs in data.items()}
    write_text(path, yaml.safe_dump({"unit": "group", "summary": summary, "splits": data}, sort_keys=True))
    return path


def read_split(path: str | Path) -> Split:
    path = Path(path)
    try:
        data = load_yaml_file(path, "split file")
        groups = {str(g): str(w) for w, gs in data["splits"].items() for g in gs}
        images = {str(w): [str(n) for ns in gs.values() for n in (ns or [])] for w, gs in data["splits"].items()}
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"not a split file: {exc}", path) from exc
    return Split(groups=groups, images=images)
