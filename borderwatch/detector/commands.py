"""``borderwatch detect`` and ``borderwatch models``.

Heavy modules (torch, ultralytics, rasterio) are imported inside the commands so ``--help`` is fast.
Exit status of ``detect``: 0 when every frame succeeded, 1 when some failed or the run was
interrupted (finished frames are kept; rerun to resume), 2 for usage errors (bad option, unknown
model, nothing to read).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import Quiet, err_console
from borderwatch.cli_common import error as print_error

KIND_HELP = "photo (ground/oblique, no map footprint), overhead (georeferenced raster) or auto (TIFF -> overhead)"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _usage_error(message: str) -> typer.Exit:

    print_error(message)  # plain text: messages hold file names and "borderwatch[ray]"
    return typer.Exit(2)


def detect_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT...",
            help="Image files, folders (searched recursively), quoted glob patterns, or CSV/YAML manifests.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Weights path (.pt, .onnx, OpenVINO folder) or a name from `borderwatch models`.")] = ...,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder for detections.parquet, frames.parquet, run.json.")] = ...,
    manifest: Annotated[
        list[Path] | None, typer.Option("--manifest", help="CSV/YAML manifest (path, captured_at, area, lon, lat, kind); repeatable.")
    ] = None,
    tile_size: Annotated[int, typer.Option(help="Tile side in pixels.")] = 640,
    overlap: Annotated[float, typer.Option(help="Overlap between neighbouring tiles, as a fraction of a tile.")] = 0.2,
    batch_size: Annotated[int, typer.Option(help="Tiles per forward pass.")] = 8,
    conf: Annotated[float, typer.Option(help="Minimum score kept.")] = 0.25,
    iou: Annotated[float, typer.Option(help="IoU threshold of the model's NMS inside a tile.")] = 0.5,
    merge: Annotated[str, typer.Option(help="Merging across tiles: ios (greedy, intersection over smaller) or nms (IoU).")] = "ios",
    merge_threshold: Annotated[float, typer.Option(help="IoS (ios) or IoU (nms) at which boxes from different tiles merge.")] = 0.5,
    full_frame: Annotated[
        bool, typer.Option("--full-frame/--no-full-frame", help="Run photos as one image scaled to the model input instead of sliced.")
    ] = False,
    kind: Annotated[str, typer.Option(help=KIND_HELP)] = "auto",
    class_map: Annotated[
        Path | None, typer.Option("--class-map", help="YAML/JSON {source_class: car|truck|bus|two_wheeler|heavy_equipment|null} overrides.")
    ] = None,
    tz: Annotated[str, typer.Option("--tz", help="Time zone of times without an offset (EXIF, manifest, TIFF tags), e.g. Asia/Pyongyang.")] = "UTC",
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:0 or mps.")] = "auto",
    runtime: Annotated[
        str, typer.Option(help="auto (OpenVINO export of .pt weights on a CPU, made once and cached; its int8 version when one is cached and matched FP32), native, openvino, openvino-int8 (needs nncf; the first time, --calibration images) or onnx.")
    ] = "auto",
    calibration: Annotated[
        list[Path] | None,
        typer.Option("--calibration", help="Images or folders to calibrate the int8 export on, the first time (repeatable; real frames like the ones you detect in)."),
    ] = None,
    trust_weights: Annotated[bool, typer.Option("--trust-weights", help="Load pickle (.pt) weights that no model card lists.")] = False,
    models_dir: Annotated[Path | None, typer.Option("--models-dir", help="Extra folder of model cards and weights, searched first.")] = None,
    download: Annotated[bool, typer.Option("--download/--no-download", help="Download a registry model that is not on disk.")] = True,
    engine: Annotated[
        str, typer.Option(help="local (frames one after another in this process) or ray (one model per Ray worker; needs the ray extra).")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Running Ray cluster to use (ray://host:10001, host:6379 or auto); default: start a local one.")
    ] = None,
    ray_workers: Annotated[int | None, typer.Option("--ray-workers", help="Ray workers, each loading the model once; default: one per CPU.")] = None,
    predictor_factory: Annotated[
        str | None,
        typer.Option("--predictor-factory", help="module:callable that returns a detector (names + predict(tiles)) given the run config; replaces the weights lookup, --model only names it."),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Detect vehicles in photos and GeoTIFFs, tile by tile, into a run folder.

    Rerunning the same command resumes: frames already done with the same model and parameters are
    skipped. Exit status: 0 all frames ok, 1 some failed, 2 usage error.

    Examples:

      borderwatch detect photos/ --model yolo11n-int8-openvino --out runs/hyesan

      borderwatch detect scene.tif --model yolo11n-int8-openvino --tile-size 640 --overlap 0.25 --out runs/scene

      borderwatch detect --manifest frames.csv --model models/my.onnx --tz Asia/Pyongyang --out runs/sept

      borderwatch detect archive/ --model yolo11n-int8-openvino --engine ray --ray-workers 4 --out runs/year
    """
    from pydantic import ValidationError

    from borderwatch.errors import BorderwatchError

    try:
        from borderwatch.detector.run import DetectConfig, RunInterrupted, detect
        from borderwatch.detector.sliced import SliceParams

        slicing = SliceParams(
            tile_size=tile_size,
            overlap=overlap,
            batch_size=batch_size,
            conf=conf,
            iou=iou,
            merge=merge,
            merge_threshold=merge_threshold,
        )
        config = DetectConfig(
            model=model,
            models_dir=models_dir,
            allow_download=download,
            trust_weights=trust_weights,
            device=device,
            runtime=runtime,
            calibration=list(calibration or []),
            slicing=slicing,
            full_frame=full_frame,
            kind=kind,
            manifests=list(manifest or []),
            class_map=class_map,
            tz=tz,
            engine=engine,
            ray_address=ray_address,
            ray_workers=ray_workers,
            predictor_factory=predictor_factory,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        option = "--" + str(first["loc"][-1]).replace("_", "-") if first["loc"] else "options"
        raise _usage_error(f"{option}: {first['msg'].removeprefix('Value error, ')}") from None
    if not inputs and not manifest:
        raise _usage_error("give at least one INPUT (file, folder, pattern or manifest) or --manifest")
    try:
        summary = detect(list(inputs or []), out, config, quiet=quiet)
    except RunInterrupted as exc:

        print_error(str(exc))
        raise typer.Exit(1) from None
    except BorderwatchError as exc:
        raise _usage_error(str(exc)) from None
    if not quiet:
        parts = [f"{summary.ok} ok" + (f" ({summary.resumed} resumed)" if summary.resumed else "")]
        if summary.failed:
            parts.append(f"{summary.failed} failed")
        if summary.skipped:
            parts.append(f"{summary.skipped} skipped")
        dropped = sum(summary.dropped.values())
        drop_text = ""
        if dropped:
            top = ", ".join(f"{k} {v}" for k, v in summary.dropped.most_common(4))
            drop_text = f"; {dropped} dropped as unmapped classes ({top})"
        err_console.print(
            f"{_plural(summary.frames, 'frame')}: {', '.join(parts)}; {_plural(summary.detections, 'detection')}{drop_text}"
            f" -> {summary.out_dir}",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
    raise typer.Exit(summary.exit_code)


def models_command(
    models_dir: Annotated[Path | None, typer.Option("--models-dir", help="Extra folder of model cards and weights, searched first.")] = None,
) -> None:
    """List the models in the registry: name, format, classes, licence and whether the weights are here."""
    from rich.console import Console
    from rich.table import Table

    from borderwatch.detector.registry import list_models, models_dirs
    from borderwatch.errors import BorderwatchError

    try:
        entries = list_models(models_dir)
    except BorderwatchError as exc:
        raise _usage_error(str(exc)) from None
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("name", "format", "classes", "licence", "weights"):
        table.add_column(column)
    for entry in entries:
        card = entry.card
        classes = card.class_source or (f"{len(card.source_classes)} custom" if card.source_classes else "auto")
        if entry.local_file is not None:
            where = f"local: {entry.local_file}"
        elif entry.cached_file is not None:
            where = f"cached: {entry.cached_file}"
        elif card.url:
            where = "not here; downloads on first use"
        else:
            where = f"missing: put {card.file or card.name} beside {entry.card_path.name}"
        table.add_row(card.name, card.format, classes, card.licence, where)
    console = Console(highlight=False, soft_wrap=True)
    if not entries:
        folders = ", ".join(str(d) for d in models_dirs(models_dir)) or "none"
        console.print(f"no model cards found (searched: {folders})")
        return
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add this stage's subcommands to the ``borderwatch`` app."""
    app.command("detect", no_args_is_help=True)(detect_command)
    app.command("models")(models_command)
