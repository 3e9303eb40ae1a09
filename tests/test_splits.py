"""Group splits: no group (video segment, flight, source) can end up in two splits."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.datasets.formats import write_yolo
from borderwatch.datasets.model import LabeledDataset, LabeledImage
from borderwatch.datasets.splits import (
    assign_groups,
    prefix_group,
    read_split,
    regex_group,
    split_by_group,
    write_split,
)
from borderwatch.datasets.synthetic import synth_dataset


def _dataset(sizes: dict[str, int]) -> LabeledDataset:
    ds = LabeledDataset(classes=["car"])
    for g, n in sizes.items():
        for k in range(n):
            ds.images.append(LabeledImage(f"{g}_{k}", 8, 8, group=g))
    return ds


group_sizes = st.dictionaries(st.text("abcxyz0123", min_size=1, max_size=5), st.integers(1, 30), min_size=1, max_size=25)
fractions = st.lists(st.floats(0.05, 1.0), min_size=2, max_size=3).map(
    lambda fs: dict(zip(["train", "test", "val"], fs, strict=False)))


@settings(max_examples=60, deadline=None)
@given(group_sizes, fractions, st.integers(0, 10))
def test_no_group_in_two_splits(sizes, fracs, seed):
    ds = _dataset(sizes)
    split = split_by_group(ds, fracs, seed=seed)
    parts = split.apply(ds)
    seen: dict[str, str] = {}
    for where, part in parts.items():
        for im in part.images:
            assert seen.setdefault(im.group, where) == where
    assert sum(len(p) for p in parts.values()) == len(ds)  # every image in exactly one split
    assert set(split.groups) == set(sizes)


@settings(max_examples=30, deadline=None)
@given(group_sizes, st.integers(0, 5))
def test_split_does_not_depend_on_file_order(sizes, seed):
    ds = _dataset(sizes)
    shuffled = LabeledDataset(classes=ds.classes, images=list(ds.images))
    random.Random(seed).shuffle(shuffled.images)
    assert split_by_group(ds, seed=seed).groups == split_by_group(shuffled, seed=seed).groups


def test_fixed_groups_and_shares():
    ds = _dataset({str(g): 10 for g in range(20)})
    split = split_by_group(ds, {"train": 0.7, "val": 0.1, "test": 0.2}, fixed={"3": "test"})
    assert split.groups["3"] == "test"
    parts = split.apply(ds)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [140, 20, 40]


def test_group_keys():
    assert prefix_group()("3_120") == "3"
    assert prefix_group()("Drone2_(10)") == "Drone2"
    assert regex_group(r"(DJI_\d+)-\d+")("DJI_0005-0018.jpg") == "DJI_0005"


def test_split_file_round_trip(tmp_path):
    ds = _dataset({"a": 3, "b": 2, "c": 4})
    split = split_by_group(ds, {"train": 0.5, "test": 0.5}, seed=1)
    path = write_split(split, tmp_path / "split.yaml", ds)
    back = read_split(path)
    assert back.groups == split.groups
    for where, names in back.images.items():
        assert sorted(names) == sorted(split.images[where])


def test_cli_split_by_prefix(tmp_path):
    ds = synth_dataset(12, seed=2, size=64, n_vehicles=(1, 2), group_size=3)
    for im in ds.images:  # file names carry the group as a prefix, as in the Madison set
        im.name = f"{im.group}_{im.name}"
    write_yolo({"train": ds}, tmp_path / "y")
    res = CliRunner().invoke(app, ["dataset", "split", str(tmp_path / "y" / "data.yaml"), "-o",
                                   str(tmp_path / "split.yaml"), "--test", "0.25", "--export",
                                   str(tmp_path / "out"), "-q"])
    assert res.exit_code == 0, res.output
    split = read_split(tmp_path / "split.yaml")
    assert sorted(split.groups) == sorted({im.group for im in ds.images})
    assert set(split.groups.values()) == {"train", "test"}
    exported = {p.stem.split("_")[0] for p in (tmp_path / "out" / "images" / "test").iterdir()}
    train = {p.stem.split("_")[0] for p in (tmp_path / "out" / "images" / "train").iterdir()}
    assert exported and not exported & train


def test_assign_groups_uses_key():
    ds = _dataset({"x": 2})
    for im in ds.images:
        im.group = None
    assign_groups(ds, prefix_group(), prefix="madison-")
    assert {im.group for im in ds.images} == {"madison-x"}
    assert np.all([im.group for im in ds.images])
