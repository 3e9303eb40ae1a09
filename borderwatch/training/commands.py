"""Subcommands: ``train`` and ``eval``.

Heavy imports (ultralytics, torch, cv2) happen inside the commands so ``borderwatch --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import Quiet, error, parse_gsds, say
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
    model: Annotated[str, typer.Argument(help="weights (.pt, .onnx, OpenVINO folder) or a registry name")],
    data: Annotated[Path, typer.Argument(help="data.yaml / dataset folder / COCO json with the eval images")],
    gsd: Annotated[list[str], typer.Option("--gsd", help="native and/or GSDs in m/px (repeat or comma-separate)")] = ["native", "0.3"],  # noqa: B006
    conf: Annotated[float, typer.Option(help="operating threshold for counts, precision, recall")] = 0.25,
    calibrate_on: Annotated[Path | None, typer.Option(help="set the operating threshold so the total count is "
                                                           "right on this validation data (never the test data)")] = None,
    imgsz: Annotated[int | None, typer.Option(help="tile size (default: the model's training size)")] = None,
    native_gsd: Annotated[float | None, typer.Option(help="native GSD when the data has no dataset card")] = None,
    split: Annotated[str | None, typer.Option(help="which split of a data.yaml (default: all)")] = None,
    card_out: Annotated[Path | None, typer.Option(help="write the model card (YAML) into this folder")] = None,
    name: Annotated[str | None, typer.Option(help="model name in the card (default: weights file stem)")] = None,
    dataset_name: Annotated[str | None, typer.Option(help="how the card names the eval data (default: its path)")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the metrics as JSON")] = None,
    device: Annotated[str, typer.Option()] = "cpu",
    trust_weights: Annotated[bool, typer.Option(help="load a .pt not listed in any model card")] = False,
    quiet: Quiet = False,
) -> None:
    """AP50 / AP50-95 per class and counting metrics (count MAE, total error, P/R) at native and 30 cm."""
    import dataclasses

    from borderwatch.atomic import write_json
    from borderwatch.cli_common import make_progress
    from borderwatch.training.evaluation import calibrate_threshold, evaluate, write_model_card

    gsds = parse_gsds(gsd)
    try:
        thresholds: float | dict = conf
        if calibrate_on is not None:
            thresholds = calibrate_threshold(model, calibrate_on, gsds=gsds, imgsz=imgsz, trust_weights=trust_weights,
                                             device=device, native_gsd_m=native_gsd)
            for g, t in thresholds.items():
                typer.echo(f"operating threshold at {'native' if g is None else f'{g:g} m'}: {t:.3f} "
                           f"(total count matched on {calibrate_on})")
        with make_progress(quiet) as progress:
            task = progress.add_task("evaluating", total=None)
            result = evaluate(model, data, gsds=gsds, conf=thresholds, imgsz=imgsz, native_gsd_m=native_gsd,
                              trust_weights=trust_weights, device=device, split=split,
                              progress=lambda: progress.advance(task))
        for line in result.summary_lines():
            typer.echo(line)
        if json_out:
            write_json(json_out, dataclasses.asdict(result))
        if card_out:
            target = write_model_card(result, name or Path(result.model).stem, card_out,
                                      dataset=dataset_name or str(data), split=split)
            say(f"model card: {target}", quiet)
    except BorderwatchError as exc:
        _fail(exc)


def register(app: typer.Typer) -> None:
    """Add ``train`` and ``eval`` to the ``borderwatch`` app."""
    app.command("train")(train_cmd)
    app.command("eval")(eval_cmd)
