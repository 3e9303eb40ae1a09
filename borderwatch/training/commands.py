"""Subcommands: ``train`` and ``eval``.

Heavy imports (ultralytics, torch, cv2) happen inside the commands so ``borderwatch --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import Quiet, default, error, option, parse_gsds, say
from borderwatch.detector.options import ModelOptions, ReadOptions, SliceParams
from borderwatch.errors import BorderwatchError


def _fail(exc: BorderwatchError) -> None:
    error(exc)
    raise typer.Exit(2)


def train_cmd(
    data: Annotated[Path, typer.Argument(help="ultralytics data.yaml (e.g. from `borderwatch dataset convert`)")],
    model: Annotated[str, typer.Option(help="architecture .yaml (from scratch) or .pt weights to fine-tune")] = "yolo11n.yaml",
    epochs: Annotated[int, typer.Option()] = 50,
    imgsz: Annotated[int, typer.Option(help="training image size")] = 640,
    batch: Annotated[int, typer.Option()] = 16,
    device: Annotated[str, typer.Option(help="auto, cpu, 0, mps ...")] = "auto",
    resume: Annotated[bool, typer.Option(help="continue OUT/NAME/weights/last.pt")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="runs folder")] = Path("runs/train"),
    name: Annotated[str, typer.Option(help="run name (folder under --out)")] = "borderwatch",
    time_hours: Annotated[float | None, typer.Option(help="stop after this many hours")] = None,
    workers: Annotated[int, typer.Option(help="data loader workers")] = 0,
    plots: Annotated[bool, typer.Option(help="let ultralytics draw plots (needs a font; may try the network)")] = False,
    trust_weights: Annotated[bool, typer.Option(help="load a .pt start checkpoint not listed in any model card")] = False,
    quiet: Quiet = False,
) -> None:
    """Train a detector with ultralytics, offline: settings in the run folder, no downloads, resumable."""
    from borderwatch.training.trainer import train

    try:
        result = train(data, model=model, epochs=epochs, imgsz=imgsz, batch=batch, device=device, resume=resume,
                       out_dir=out, name=name, time_hours=time_hours, workers=workers, plots=plots,
                       trust_weights=trust_weights)
    except BorderwatchError as exc:
        _fail(exc)
    say(f"run folder: {result.run_dir}\nbest: {result.best}\nlast: {result.last}", quiet)


def eval_cmd(
    model: Annotated[str, typer.Argument(help="weights (.pt, .onnx, .tflite, OpenVINO folder) or a registry name")],
    data: Annotated[Path, typer.Argument(help="data.yaml / dataset folder / COCO json with the eval images")],
    gsd: Annotated[list[str], typer.Option("--gsd", help="native and/or GSDs in m/px (repeat or comma-separate)")] = ["native", "0.3"],  # noqa: B006
    tile_size: Annotated[int | None, option(SliceParams, "tile_size")] = default(SliceParams, "tile_size"),
    overlap: Annotated[float | None, option(SliceParams, "overlap")] = default(SliceParams, "overlap"),
    conf: Annotated[float | None, option(SliceParams, "conf")] = default(SliceParams, "conf"),
    model_gsd_m: Annotated[float | None, option(SliceParams, "model_gsd_m", "--model-gsd")] = default(SliceParams, "model_gsd_m"),
    calibrate_on: Annotated[Path | None, typer.Option(help="set the operating threshold so the total count is "
                                                           "right on this validation data (never the test data)")] = None,
    kind: Annotated[str, typer.Option(help="overhead (images with a GSD are resampled to the model's, as detect "
                                           "does with rasters) or photo (never resampled)")] = "overhead",
    native_gsd: Annotated[float | None, typer.Option(help="native GSD when the data has no dataset card")] = None,
    split: Annotated[str | None, typer.Option(help="which split of a data.yaml (default: all)")] = None,
    card_out: Annotated[Path | None, typer.Option(help="write the model card (YAML) into this folder")] = None,
    name: Annotated[str | None, typer.Option(help="model name in the card (default: weights file stem)")] = None,
    dataset_name: Annotated[str | None, typer.Option(help="how the card names the eval data (default: its path)")] = None,
    append: Annotated[bool, typer.Option("--append", help="add these metrics to the card's instead of replacing them")] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the metrics as JSON")] = None,
    runtime: Annotated[str, option(ReadOptions, "runtime")] = default(ReadOptions, "runtime"),
    device: Annotated[str, option(ReadOptions, "device")] = "cpu",
    trust_weights: Annotated[bool, option(ModelOptions, "trust_weights", "--trust-weights")] = default(ModelOptions, "trust_weights"),
    models_dir: Annotated[Path | None, option(ModelOptions, "models_dir", "--models-dir")] = default(ModelOptions, "models_dir"),
    quiet: Quiet = False,
) -> None:
    """AP50 per class, precision/recall at the operating threshold, count errors and a precision-recall
    table, at native scale and at satellite GSDs, through detect's own engine (slicing, scale, merge
    and threshold from the model card unless given here)."""
    import dataclasses

    from borderwatch.atomic import write_json
    from borderwatch.cli_common import make_progress
    from borderwatch.training.cards import write_model_card
    from borderwatch.training.evaluation import engine_config, evaluate

    gsds = parse_gsds(gsd)
    if kind not in ("overhead", "photo"):
        raise typer.BadParameter("kind must be overhead or photo")
    try:
        config = engine_config(model, tile_size=tile_size, overlap=overlap, conf=conf, model_gsd_m=model_gsd_m,
                               runtime=runtime, device=device, trust_weights=trust_weights, models_dir=models_dir)
        with make_progress(quiet) as progress:
            task = progress.add_task("evaluating", total=None)
            result = evaluate(config, data, gsds=gsds, native_gsd_m=native_gsd, split=split, kind=kind,
                              calibrate_on=calibrate_on, progress=lambda: progress.advance(task))
        if calibrate_on is not None:
            for v in result.variants:
                typer.echo(f"operating threshold at {v.label}: {v.threshold:.3f} (total count matched on {calibrate_on})")
        s = result.slicing
        typer.echo(f"engine: tile {s['tile']} px, overlap {s['overlap']}, model GSD {s['gsd_m']}, runtime {s['runtime']}, "
                   f"merge {s['merge']} {s['merge_threshold']}"
                   + "".join(f", {c} {m}" for c, m in (s.get("merge_per_class") or {}).items()))
        for line in result.summary_lines():
            typer.echo(line)
        if json_out:
            write_json(json_out, dataclasses.asdict(result))
        if card_out:
            target = write_model_card(result, name or Path(result.model).stem, card_out,
                                      dataset=dataset_name or str(data), split=split, append=append)
            say(f"model card: {target}", quiet)
    except BorderwatchError as exc:
        _fail(exc)


def register(app: typer.Typer) -> None:
    """Add ``train`` and ``eval`` to the ``borderwatch`` app."""
    app.command("train")(train_cmd)
    app.command("eval")(eval_cmd)
