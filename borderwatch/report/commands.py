"""Subcommands: ``run`` (the whole pipeline from a config), ``init``, ``demo`` and ``report``.

Heavy imports (geopandas, matplotlib, torch) happen inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import Quiet, error, warn


def _fail(problem: BaseException | str, code: int = 1) -> typer.Exit:
    """Print a one-line error (escaped: file names may hold rich markup characters) and give the exit."""
    error(problem)
    return typer.Exit(code)


def _config_fail(exc) -> typer.Exit:
    """Every config mistake on its own line (FILE:LINE: key.path: problem), then exit 1."""
    for line in exc.lines():
        error(line)
    return typer.Exit(1)


def run_command(
    config: Annotated[Path, typer.Argument(help="The run config (YAML); `borderwatch init` writes an example.")],
    force: Annotated[bool, typer.Option("--force", help="Redo every stage, even those that are up to date.")] = False,
    quiet: Quiet = False,
) -> None:
    """Run detect -> count -> claims -> compare -> report as CONFIG says, redoing only what changed.

    Exit status: 0 all done; 1 a config error or a failed stage (earlier outputs are kept); 3 done, but some frames could not be read (listed in the report).
    """
    from borderwatch.errors import BorderwatchError
    from borderwatch.report.config import ConfigErrors
    from borderwatch.report.pipeline import run_pipeline

    try:
        result = run_pipeline(config, quiet=quiet, force=force)
    except ConfigErrors as exc:
        raise _config_fail(exc) from None
    except BorderwatchError as exc:
        raise _fail(exc) from None
    if result.frames_failed:
        warn(f"{result.frames_failed} frame(s) could not be read; the report lists each with its reason")
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
        raise _fail(f"{path}: already exists (use --force to overwrite)")
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
    from borderwatch.report.config import ConfigErrors
    from borderwatch.report.demo import run_demo

    try:
        result = run_demo(out or Path("borderwatch-demo"), quiet=quiet, force=force)
    except ConfigErrors as exc:
        raise _config_fail(exc) from None
    except BorderwatchError as exc:
        raise _fail(exc) from None
    typer.echo(f"demo report: {result.report}")
    typer.echo(f"open it in a browser: {result.report.resolve().as_uri()}")


def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (with frames.parquet, counts.parquet, ...).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Report folder (default: RUN_DIR/report).")] = None,
    title: Annotated[str, typer.Option("--title", help="Heading of the report.")] = "borderwatch report",
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write report.pdf.")] = False,
    interactive_map: Annotated[bool, typer.Option("--map", help="Also write map.html (needs folium and a network).")] = False,
    tz: Annotated[str | None, typer.Option("--tz", help="Show capture times in this zone (default: the counts' zone).")] = None,
    quiet: Quiet = False,
) -> None:
    """Rebuild the HTML report (and optionally the PDF) from the tables already in RUN_DIR."""
    import zoneinfo

    from borderwatch.errors import BorderwatchError
    from borderwatch.report.build import build_report

    if tz is not None:
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise _fail(f"--tz: unknown time zone {tz!r} (use an IANA name such as Asia/Pyongyang)") from None
    try:
        result = build_report(run_dir, out, title=title, pdf=pdf, interactive_map=interactive_map, tz=tz,
                              quiet=quiet)
    except BorderwatchError as exc:
        raise _fail(exc) from None
    typer.echo(f"report: {result.index}")
    if result.pdf:
        typer.echo(f"pdf: {result.pdf}")


def register(app: typer.Typer) -> None:
    """Add ``run``, ``init``, ``demo`` and ``report`` to the ``borderwatch`` app."""
    app.command("run")(run_command)
    app.command("init")(init_command)
    app.command("demo")(demo_command)
    app.command("report")(report_command)
