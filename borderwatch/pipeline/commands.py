"""Subcommands: ``run`` (the whole pipeline from a config), ``init`` and ``demo``.

Heavy imports (geopandas, matplotlib, torch) happen inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import (
    EXIT_USAGE,
    ConsoleProgress,
    Quiet,
    config_errors_exit,
    error_exit,
    interrupted_exit,
    showing_warnings,
    warn,
)


def run_command(
    config: Annotated[Path, typer.Argument(help="The run config (YAML); `borderwatch init` writes an example.")],
    force: Annotated[bool, typer.Option("--force", help="Redo every stage, even those that are up to date.")] = False,
    trust_weights: Annotated[
        bool, typer.Option("--trust-weights", help="Load pickle (.pt) weights nothing vouches for, for this run (a config file cannot say this).")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Run detect -> count -> claims -> compare -> report as CONFIG says, redoing only what changed.

    Exit status: 0 all done; 1 done, but some frames or articles could not be read (listed in the report), or a stage failed (earlier outputs are kept); 2 a config error or a model that cannot be used (nothing run); 130 interrupted (finished work kept).
    """
    from borderwatch.errors import BorderwatchError, ConfigError
    from borderwatch.pipeline.config import ConfigErrors
    from borderwatch.pipeline.runner import StageFailed, run_pipeline

    try:
        with showing_warnings():
            result = run_pipeline(config, quiet=quiet, force=force, trust_weights=trust_weights,
                                  progress=ConsoleProgress(quiet))
    except KeyboardInterrupt as exc:
        raise interrupted_exit(exc) from None
    except ConfigErrors as exc:
        raise config_errors_exit(exc) from None
    except ConfigError as exc:
        raise error_exit(exc, EXIT_USAGE) from None
    except (StageFailed, BorderwatchError) as exc:
        raise error_exit(exc) from None
    if result.frames_failed:
        warn(f"{result.frames_failed} frame(s) could not be read; the report lists each with its reason")
    if result.articles_failed:
        warn(f"{result.articles_failed} article(s) could not be read (each named above); their claims are missing")
    typer.echo(f"report: {result.report}")
    raise typer.Exit(result.exit_code)


def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the example config.")] = Path("borderwatch.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example config (every key explained) to edit and pass to `borderwatch run`."""
    from borderwatch.atomic import write_text
    from borderwatch.report.template import example_config

    if path.exists() and not force:
        raise error_exit(f"{path}: already exists (use --force to overwrite)")
    write_text(path, example_config())
    typer.echo(f"wrote {path}; edit inputs:, models: and articles:, then run: borderwatch run {path}")


def demo_command(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the demo run (default: ./borderwatch-demo).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Redo every stage.")] = False,
    quiet: Quiet = False,
) -> None:
    """Run the whole pipeline on sample imagery and a few demo articles, and print where the report is.

    Samples come from $BORDERWATCH_SAMPLES (a folder with street/ and geotiffs/), else from a pinned sample pack downloaded into the user cache when there is a network. The demo places public sample imagery in border cities on invented dates to show the mechanics; its articles are fictional.
    """
    from borderwatch.errors import BorderwatchError
    from borderwatch.pipeline.config import ConfigErrors
    from borderwatch.pipeline.demo import run_demo

    try:
        with showing_warnings():
            result = run_demo(out or Path("borderwatch-demo"), quiet=quiet, force=force, progress=ConsoleProgress(quiet))
    except ConfigErrors as exc:
        raise config_errors_exit(exc) from None
    except BorderwatchError as exc:
        raise error_exit(exc) from None
    typer.echo(f"demo report: {result.report}")
    typer.echo(f"open it in a browser: {result.report.resolve().as_uri()}")


def register(app: typer.Typer) -> None:
    """Add ``run``, ``init`` and ``demo`` to the ``borderwatch`` app."""
    app.command("run")(run_command)
    app.command("init")(init_command)
    app.command("demo")(demo_command)
