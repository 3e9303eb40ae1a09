"""Subcommand ``report``: the HTML (and PDF) report rebuilt from a run folder's tables.

Heavy imports (geopandas, matplotlib, torch) happen inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import ConsoleProgress, Quiet, error_exit, showing_warnings


def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (with frames.parquet, counts.parquet, ...).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Report folder (default: RUN_DIR/report).")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Heading of the report (default: the run's own, "
                                              "from its label.json, else 'borderwatch report').")] = None,
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
            raise error_exit(f"--tz: unknown time zone {tz!r} (use an IANA name such as Asia/Pyongyang)") from None
    try:
        with showing_warnings():
            result = build_report(run_dir, out, title=title, pdf=pdf, interactive_map=interactive_map, tz=tz,
                                  progress=ConsoleProgress(quiet))
    except BorderwatchError as exc:
        raise error_exit(exc) from None
    typer.echo(f"report: {result.index}")
    if result.pdf:
        typer.echo(f"pdf: {result.pdf}")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the ``borderwatch`` app."""
    app.command("report")(report_command)
