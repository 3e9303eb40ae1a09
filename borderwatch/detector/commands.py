"""``borderwatch detect``, ``borderwatch models`` and ``borderwatch models trust``.

Heavy modules (torch, ultralytics, rasterio) are imported inside the commands so ``--help`` is fast.
Exit status (``cli_common.EXIT_*``, the same for every command): 0 when every frame succeeded, 1 when
some failed or the model crashed mid-run (finished frames are kept; rerun to resume), 2 for usage
errors (bad option, no images, a model that is unknown, untrusted or cannot load), 130 on Ctrl-C.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import (
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    Quiet,
    default,
    err_console,
    interrupted_exit,
    option,
    showing_warnings,
)
from borderwatch.cli_common import error as print_error
from borderwatch.detector.options import EngineOptions, ModelOptions, ReadOptions, SliceParams
from borderwatch.detector.run.config import DetectConfig


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _usage_error(message: str) -> typer.Exit:
    print_error(message)  # plain text: messages hold file names and "borderwatch[ray]"
    return typer.Exit(EXIT_USAGE)


def _config_from(params: dict) -> DetectConfig:
    """The DetectConfig of ``detect``'s parameters (named as its fields, but ``manifest``, ``download``)."""
    from pydantic import ValidationError

    try:
        return DetectConfig(
            model=params["model"],
            slicing=SliceParams(**{name: params[name] for name in SliceParams.model_fields}),
            manifests=list(params["manifest"] or []),
            class_map=params["class_map"],
            **{name: params[name] for name in (*ReadOptions.model_fields, *EngineOptions.model_fields) if name != "calibration"},
            **{name: params[name] for name in ModelOptions.model_fields if name != "allow_download"},
            allow_download=params["download"],
            calibration=list(params["calibration"] or []),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        flag = "--" + str(first["loc"][-1]).replace("_", "-") if first["loc"] else "options"
        raise _usage_error(f"{flag}: {first['msg'].removeprefix('Value error, ')}") from None


def _print_summary(summary) -> None:
    """One line: frames ok/failed/skipped, detections, dropped classes, where the run is."""
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


def detect_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT...",
            help="Image files, folders (searched recursively), quoted glob patterns, or CSV/YAML manifests.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[str, option(DetectConfig, "model", "--model", "-m")] = ...,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder for detections.parquet, frames.parquet, run.json.")] = ...,
    manifest: Annotated[list[Path] | None, option(DetectConfig, "manifests", "--manifest", help="CSV/YAML manifest (path, captured_at, area, lon, lat, kind); repeatable.")] = None,
    tile_size: Annotated[int | None, option(SliceParams, "tile_size")] = default(SliceParams, "tile_size"),
    overlap: Annotated[float | None, option(SliceParams, "overlap")] = default(SliceParams, "overlap"),
    batch_size: Annotated[int, option(SliceParams, "batch_size")] = default(SliceParams, "batch_size"),
    conf: Annotated[float | None, option(SliceParams, "conf")] = default(SliceParams, "conf"),
    model_gsd_m: Annotated[float | None, option(SliceParams, "model_gsd_m", "--model-gsd")] = default(SliceParams, "model_gsd_m"),
    iou: Annotated[float, option(SliceParams, "iou")] = default(SliceParams, "iou"),
    merge: Annotated[str, option(SliceParams, "merge")] = default(SliceParams, "merge"),
    merge_threshold: Annotated[float, option(SliceParams, "merge_threshold")] = default(SliceParams, "merge_threshold"),
    class_agnostic: Annotated[bool, option(SliceParams, "class_agnostic", "--class-agnostic/--per-class")] = default(SliceParams, "class_agnostic"),
    max_det_per_tile: Annotated[int, option(SliceParams, "max_det_per_tile")] = default(SliceParams, "max_det_per_tile"),
    min_valid_fraction: Annotated[float, option(SliceParams, "min_valid_fraction")] = default(SliceParams, "min_valid_fraction"),
    edge_margin: Annotated[float, option(SliceParams, "edge_margin")] = default(SliceParams, "edge_margin"),
    full_frame: Annotated[bool, option(ReadOptions, "full_frame", "--full-frame/--no-full-frame")] = default(ReadOptions, "full_frame"),
    kind: Annotated[str, option(ReadOptions, "kind")] = default(ReadOptions, "kind"),
    class_map: Annotated[Path | None, option(DetectConfig, "class_map", "--class-map")] = default(DetectConfig, "class_map"),
    tz: Annotated[str, option(ReadOptions, "tz", "--tz")] = default(ReadOptions, "tz"),
    device: Annotated[str, option(ReadOptions, "device")] = default(ReadOptions, "device"),
    runtime: Annotated[str, option(ReadOptions, "runtime")] = default(ReadOptions, "runtime"),
    calibration: Annotated[list[Path] | None, option(ReadOptions, "calibration", "--calibration")] = default(ReadOptions, "calibration"),
    max_photo_megapixels: Annotated[float, option(ReadOptions, "max_photo_megapixels")] = default(ReadOptions, "max_photo_megapixels"),
    gdal_cache_mb: Annotated[int, option(ReadOptions, "gdal_cache_mb")] = default(ReadOptions, "gdal_cache_mb"),
    trust_weights: Annotated[bool, option(ModelOptions, "trust_weights", "--trust-weights")] = default(ModelOptions, "trust_weights"),
    models_dir: Annotated[Path | None, option(ModelOptions, "models_dir", "--models-dir")] = default(ModelOptions, "models_dir"),
    download: Annotated[bool, option(ModelOptions, "allow_download", "--download/--no-download")] = default(ModelOptions, "allow_download"),
    engine: Annotated[str, option(EngineOptions, "engine")] = default(EngineOptions, "engine"),
    ray_address: Annotated[str | None, option(EngineOptions, "ray_address", "--ray-address")] = default(EngineOptions, "ray_address"),
    ray_workers: Annotated[int | None, option(EngineOptions, "ray_workers", "--ray-workers")] = default(EngineOptions, "ray_workers"),
    predictor_factory: Annotated[str | None, option(ModelOptions, "predictor_factory", "--predictor-factory")] = default(ModelOptions, "predictor_factory"),
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
    params = dict(locals())
    from borderwatch.detector.run import driver
    from borderwatch.errors import BorderwatchError

    config = _config_from(params)
    if not inputs and not manifest:
        raise _usage_error("give at least one INPUT (file, folder, pattern or manifest) or --manifest")
    try:
        with showing_warnings():
            summary = driver.detect(list(inputs or []), out, config, quiet=quiet)
    except KeyboardInterrupt as exc:
        raise interrupted_exit(exc) from None
    except driver.RunInterrupted as exc:
        print_error(str(exc))
        raise typer.Exit(EXIT_SOME_FAILED) from None
    except BorderwatchError as exc:
        raise _usage_error(str(exc)) from None
    if not quiet:
        _print_summary(summary)
    raise typer.Exit(summary.exit_code)


def models_command(
    ctx: typer.Context,
    models_dir: Annotated[Path | None, typer.Option("--models-dir", help="Extra folder of model cards and weights, searched first.")] = None,
) -> None:
    """List the models in the registry: name, format, classes, licence and where the weights are.

    Weights are looked up where `detect` looks (beside the card, in --models-dir and
    $BORDERWATCH_MODELS, in the user cache). A broken card is an error line (exit 1); a card that
    takes a shipped model's name is an error naming both (exit 2). `borderwatch models trust PATH`
    pins a weights file as trusted.
    """
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console
    from rich.table import Table

    from borderwatch.detector.registry import CardClash, find_weights, list_models, models_dirs
    from borderwatch.errors import BorderwatchError, InputError

    problems: list[InputError] = []
    try:
        entries = list_models(models_dir, problems)
    except BorderwatchError as exc:
        raise _usage_error(str(exc)) from None
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("name", "format", "classes", "licence", "weights"):
        table.add_column(column)
    for entry in entries:
        card = entry.card
        classes = card.class_source or (f"{len(card.source_classes)} custom" if card.source_classes else "auto")
        found = find_weights(entry, models_dir)
        if found is not None:
            where = f"local: {found}"
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
    else:
        console.print(table)
    for problem in problems:
        print_error(str(problem))
    if any(isinstance(p, CardClash) for p in problems):
        raise typer.Exit(EXIT_USAGE)
    if problems:
        raise typer.Exit(EXIT_SOME_FAILED)


def trust_command(
    path: Annotated[Path, typer.Argument(help="The weights file (.pt, .torchscript) to trust.", show_default=False)],
) -> None:
    """Pin PATH's sha256 as trusted: from now on borderwatch may load exactly these bytes.

    A .pt file is a pickle and can run any code when loaded, so pin only files whose origin you know.
    The pin goes in your own config folder ($BORDERWATCH_CONFIG, else ~/.config/borderwatch), in
    trusted.yaml; a model card or a run config can never grant this.
    """
    from borderwatch.errors import BorderwatchError
    from borderwatch.trust import pin

    try:
        sha, where = pin(path)
    except BorderwatchError as exc:
        raise _usage_error(str(exc)) from None
    typer.echo(f"trusted {path} (sha256 {sha}); pinned in {where}")


def register(app: typer.Typer) -> None:
    """Add this stage's subcommands to the ``borderwatch`` app."""
    app.command("detect", no_args_is_help=True)(detect_command)
    models = typer.Typer(help="List the model registry; `models trust PATH` pins weights as trusted.",
                         context_settings={"help_option_names": ["-h", "--help"]})
    models.callback(invoke_without_command=True)(models_command)
    models.command("trust", no_args_is_help=True)(trust_command)
    app.add_typer(models, name="models")
