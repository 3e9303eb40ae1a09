"""Subcommands: the ``dataset`` group (convert, validate, split, chip, resample, synth).

Heavy imports (ultralytics, torch, cv2) happen inside the commands so ``borderwatch --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import Quiet, error, parse_gsds, say, warn
from borderwatch.errors import BorderwatchError

dataset_app = typer.Typer(
    name="dataset",
    help="Labeled datasets: convert formats, validate, split by group, chip, resample to satellite GSD, synth.",
    no_args_is_help=True,
)

FORMATS = ("yolo", "coco", "voc")


def _fail(exc: BorderwatchError) -> None:
    error(exc)
    raise typer.Exit(2)


def _read(src: Path, fmt: str | None, names: str | None):
    from borderwatch.datasets.formats import read_dataset

    if fmt is not None and fmt not in FORMATS:
        raise typer.BadParameter(f"format must be one of {', '.join(FORMATS)}")
    name_list = [n.strip() for n in names.split(",")] if names else None
    return read_dataset(src, fmt, names=name_list)  # type: ignore[arg-type]


def _remap_opt(ds, mapping: str | None, quiet: bool):
    if not mapping:
        return ds
    from borderwatch.datasets.remap import remap
    from borderwatch.taxonomy import ClassMapping, load_mapping_file, mapping_for

    table = ClassMapping(load_mapping_file(mapping), source=mapping) if Path(mapping).exists() else mapping_for(mapping)
    ds, report = remap(ds, table)
    for line in report.lines():
        say(f"  {line}", quiet)
    return ds


# ---------------------------------------------------------------- dataset subcommands


@dataset_app.command("convert")
def convert_cmd(
    src: Annotated[Path, typer.Argument(help="data.yaml, YOLO folder, COCO json, or VOC folder")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder (yolo/voc) or .json file (coco)")],
    to: Annotated[str, typer.Option("--to", help="yolo | coco | voc")] = "yolo",
    fmt: Annotated[str | None, typer.Option("--from", help="input format; guessed when left out")] = None,
    names: Annotated[str | None, typer.Option(help="class names, comma-separated (YOLO without names file)")] = None,
    mapping: Annotated[str | None, typer.Option(help="remap classes to the taxonomy: a source name "
                                                     "(aerial-cars, visdrone, dota, xview, coco) or a YAML/JSON file")] = None,
    copy: Annotated[bool, typer.Option("--copy", help="copy images instead of symlinking")] = False,
    quiet: Quiet = False,
) -> None:
    """Import a dataset (YOLO, COCO or VOC) and write it as YOLO (ultralytics data.yaml) or COCO."""
    from borderwatch.datasets.formats import write_coco, write_voc, write_yolo

    try:
        ds = _remap_opt(_read(src, fmt, names), mapping, quiet)
        for issue in ds.issues:
            warn(str(issue))
        if to == "yolo":
            target = write_yolo({"train": ds}, out, link=not copy)
        elif to == "coco":
            target = write_coco(ds, out if out.suffix == ".json" else out / "annotations.json", link=not copy)
        elif to == "voc":
            target = write_voc(ds, out, link=not copy)
        else:
            raise typer.BadParameter("--to must be yolo, coco or voc")
    except BorderwatchError as exc:
        _fail(exc)
    say(f"{len(ds)} images, {ds.class_counts()} -> {target}", quiet)


@dataset_app.command("validate")
def validate_cmd(
    src: Annotated[Path, typer.Argument(help="data.yaml, YOLO folder, COCO json, or VOC folder")],
    fmt: Annotated[str | None, typer.Option("--format", help="yolo | coco | voc (guessed)")] = None,
    names: Annotated[str | None, typer.Option(help="class names, comma-separated")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the full report as JSON")] = None,
    quiet: Quiet = False,
) -> None:
    """Check boxes (out of bounds, degenerate, duplicate), label lines, missing images. Exit 1 on issues."""
    from borderwatch.atomic import write_json
    from borderwatch.datasets.validate import validate

    try:
        report = validate(_read(src, fmt, names))
    except BorderwatchError as exc:
        _fail(exc)
    for line in report.lines():
        typer.echo(line)
    if json_out:
        write_json(json_out, report.to_dict())
    raise typer.Exit(0 if report.ok else 1)


@dataset_app.command("split")
def split_cmd(
    src: Annotated[Path, typer.Argument(help="the dataset to split")],
    out: Annotated[Path, typer.Option("--out", "-o", help="split file (YAML) to write")],
    by: Annotated[str, typer.Option(help="group key: prefix (file name before --sep) or regex (--pattern)")] = "prefix",
    sep: Annotated[str, typer.Option(help="separator for --by prefix")] = "_",
    pattern: Annotated[str | None, typer.Option(help="regex whose first group is the group key")] = None,
    test: Annotated[float, typer.Option(help="share of images in test")] = 0.2,
    val: Annotated[float, typer.Option(help="share of images in val")] = 0.0,
    seed: Annotated[int, typer.Option()] = 0,
    export: Annotated[Path | None, typer.Option(help="also write the split as a YOLO dataset here")] = None,
    fmt: Annotated[str | None, typer.Option("--format")] = None,
    names: Annotated[str | None, typer.Option()] = None,
    quiet: Quiet = False,
) -> None:
    """Split by group (video segment, flight, source): whole groups go to one split, never single frames."""
    from borderwatch.datasets.formats import write_yolo
    from borderwatch.datasets.splits import (
        assign_groups,
        prefix_group,
        regex_group,
        split_by_group,
        write_split,
    )

    try:
        ds = _read(src, fmt, names)
        key = regex_group(pattern) if by == "regex" and pattern else prefix_group(sep)
        assign_groups(ds, key)
        fractions = {"train": max(0.0, 1 - test - val), "test": test}
        if val > 0:
            fractions["val"] = val
        split = split_by_group(ds, fractions=fractions, seed=seed)
        write_split(split, out, ds)
        parts = split.apply(ds)
        if export:
            write_yolo(parts, export)
    except BorderwatchError as exc:
        _fail(exc)
    for name, part in parts.items():
        say(f"{name}: {len(part)} images in {len(part.groups())} groups", quiet)
    say(f"split file: {out}", quiet)


@dataset_app.command("chip")
def chip_cmd(
    src: Annotated[Path, typer.Argument(help="the dataset to cut into chips")],
    out: Annotated[Path, typer.Option("--out", "-o", help="YOLO dataset folder to write")],
    size: Annotated[int, typer.Option(help="chip size in pixels")] = 640,
    overlap: Annotated[int, typer.Option(help="overlap between chips in pixels")] = 64,
    min_keep: Annotated[float, typer.Option(help="keep a box cut by the edge when this share of its area remains")] = 0.5,
    keep_empty: Annotated[bool, typer.Option(help="keep chips without boxes")] = True,
    fmt: Annotated[str | None, typer.Option("--format")] = None,
    names: Annotated[str | None, typer.Option()] = None,
    quiet: Quiet = False,
) -> None:
    """Cut large labeled images into SIZE x SIZE chips with overlap (boxes clipped at the edges)."""
    from borderwatch.cli_common import track
    from borderwatch.datasets.chips import ChipStats, chip_image
    from borderwatch.datasets.formats import write_yolo
    from borderwatch.datasets.model import LabeledDataset

    try:
        ds = _read(src, fmt, names)
        chips = LabeledDataset(classes=ds.classes, name=f"{ds.name}-chips")
        total = ChipStats()
        for im in track(ds.images, "chipping", total=len(ds.images), quiet=quiet):
            try:
                made, st = chip_image(im, size, overlap=overlap, min_keep=min_keep, keep_empty=keep_empty)
            except BorderwatchError as exc:
                warn(str(exc))
                continue
            chips.images.extend(made)
            total.kept += st.kept
            total.clipped += st.clipped
            total.dropped_cut += st.dropped_cut
        target = write_yolo({"train": chips}, out)
    except BorderwatchError as exc:
        _fail(exc)
    say(f"{len(chips)} chips; boxes kept {total.kept} (clipped {total.clipped}), dropped at edges "
        f"{total.dropped_cut} -> {target}", quiet)


@dataset_app.command("resample")
def resample_cmd(
    src: Annotated[Path, typer.Argument(help="the dataset to resample")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder: one YOLO dataset per GSD")],
    gsd: Annotated[list[str], typer.Option("--gsd", help="target GSD in m/px (repeat, or 0.3,0.5)")] = ["0.3", "0.5"],  # noqa: B006
    native_gsd: Annotated[float | None, typer.Option(help="native GSD of all images (m/px); else estimated "
                                                           "per group from car length 4.5 m")] = None,
    min_side: Annotated[float, typer.Option(help="drop boxes whose shorter side is below this (px)")] = 2.0,
    fmt: Annotated[str | None, typer.Option("--format")] = None,
    names: Annotated[str | None, typer.Option()] = None,
    quiet: Quiet = False,
) -> None:
    """Make 30 cm / 50 cm per pixel versions of finer imagery (area averaging), boxes scaled exactly."""
    from borderwatch.cli_common import track
    from borderwatch.datasets.formats import write_yolo
    from borderwatch.datasets.gsd import assign_gsd, resample_image
    from borderwatch.datasets.model import LabeledDataset

    targets = [g for g in parse_gsds(gsd) if g is not None]
    try:
        ds = _read(src, fmt, names)
        if native_gsd is not None:
            for im in ds.images:
                im.gsd_m = native_gsd
        else:
            for group, info in assign_gsd(ds).items():
                say(f"  {group}: GSD {info['gsd_m']} m/px ({info['method']}, {info['n_cars']} cars)", quiet)
        for g in targets:
            part = LabeledDataset(classes=ds.classes, name=f"{ds.name}@{g:g}m")
            dropped = skipped = 0
            for im in track(ds.images, f"resampling to {g:g} m", total=len(ds.images), quiet=quiet):
                if im.gsd_m is None or im.gsd_m >= g:
                    skipped += 1
                    continue
                try:
                    res = resample_image(im, g, min_side_px=min_side)
                except BorderwatchError as exc:
                    warn(str(exc))
                    continue
                dropped += res.dropped_small
                part.images.append(res.image)
            target = write_yolo({"train": part}, out / f"gsd_{g:g}m")
            say(f"{g:g} m: {len(part)} images, {dropped} boxes below {min_side} px dropped, "
                f"{skipped} images skipped (no GSD or already coarser) -> {target}", quiet)
    except BorderwatchError as exc:
        _fail(exc)


@dataset_app.command("synth")
def synth_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="YOLO dataset folder to write")],
    n: Annotated[int, typer.Option("--n", help="number of scenes")] = 16,
    size: Annotated[int, typer.Option(help="scene size in pixels")] = 256,
    gsd: Annotated[float, typer.Option(help="GSD of the scenes (m/px)")] = 0.15,
    seed: Annotated[int, typer.Option()] = 0,
    val: Annotated[float, typer.Option(help="share of groups in val")] = 0.25,
    quiet: Quiet = False,
) -> None:
    """Synthetic top-down scenes with known boxes (for tests and smoke runs; not training data)."""
    from borderwatch.datasets.formats import write_yolo
    from borderwatch.datasets.splits import split_by_group
    from borderwatch.datasets.synthetic import synth_dataset

    ds = synth_dataset(n, seed=seed, size=size, gsd_m=gsd)
    parts = split_by_group(ds, {"train": 1 - val, "val": val}, seed=seed).apply(ds) if val > 0 else {"train": ds}
    target = write_yolo(parts, out)
    say(f"{n} scenes, {ds.class_counts()} -> {target}", quiet)


def register(app: typer.Typer) -> None:
    """Add the ``dataset`` group to the ``borderwatch`` app."""
    app.add_typer(dataset_app, name="dataset")
