"""Subcommands of the geo stage: ``borderwatch count`` and ``borderwatch areas``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli_common import Quiet, default, option
from borderwatch.geo.options import AreaOptions, CountOptions


def _report_warnings(messages) -> None:
    from borderwatch.cli_common import warn

    for m in messages:
        warn(m)


def count(
    run_dir: Annotated[Path, typer.Argument(help="Run folder written by `borderwatch detect` (frames.parquet, detections.parquet).")],
    areas: Annotated[
        list[Path] | None,
        typer.Option(
            "--areas", "-a",
            help="Vector file of areas (GeoJSON, GeoPackage, Shapefile, GeoParquet); repeat to combine files "
            "(say North Korean and Chinese boundaries). Default: the gazetteer's urban cores.",
        ),
    ] = None,
    name_field: Annotated[
        list[str] | None, option(AreaOptions, "name_field", "--name-field",
                                 help="Column holding the area name (default: name); one, or one per --areas.")
    ] = None,
    parent_field: Annotated[
        list[str] | None,
        option(AreaOptions, "parent_field", "--parent-field",
               help="Column holding the parent area (city of a district); one, or one per --areas (\"\" for none)."),
    ] = None,
    layer: Annotated[str | None, option(AreaOptions, "layer", "--layer")] = default(AreaOptions, "layer"),
    areas_crs: Annotated[str | None, option(AreaOptions, "crs", "--areas-crs")] = default(AreaOptions, "crs"),
    select: Annotated[list[str] | None, option(AreaOptions, "select", "--select")] = default(AreaOptions, "select"),
    by: Annotated[str, option(CountOptions, "by", "--by")] = default(CountOptions, "by"),
    tz: Annotated[str, option(CountOptions, "tz", "--tz")] = default(CountOptions, "tz"),
    dedup_iou: Annotated[float, option(CountOptions, "dedup_iou", "--dedup-iou")] = default(CountOptions, "dedup_iou"),
    card: Annotated[Path | None, option(CountOptions, "card", "--card")] = default(CountOptions, "card"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: the run folder).")] = None,
    geojson: Annotated[bool, typer.Option("--geojson", help="Also write geojson/<layer>.geojson.")] = False,
    quiet: Quiet = False,
) -> None:
    """Count vehicles per area, class and day/week/month (counts.parquet/.csv, borderwatch.gpkg).

    Example: borderwatch count runs/hyesan --areas nk_regions_simplified.json --name-field name:en --by week --tz Asia/Pyongyang
    """
    import warnings

    from borderwatch.cli_common import error
    from borderwatch.errors import BorderwatchError, GeoWarning
    from borderwatch.geo.buckets import BUCKETS
    from borderwatch.geo.counts import count_run

    if by not in BUCKETS:
        raise typer.BadParameter(f"choose one of {', '.join(BUCKETS)}", param_hint="--by")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GeoWarning)  # collected in the summary, printed below
            parents = [p or None for p in parent_field] if parent_field else None
            summary = count_run(
                run_dir, list(areas) if areas else None, list(name_field) if name_field else None, parents,
                by=by, tz=tz, out_dir=out, geojson=geojson,
                dedup_iou=dedup_iou, layer=layer, areas_crs=areas_crs, select=select or None, card=card,
            )
    except BorderwatchError as exc:
        error(exc)
        raise typer.Exit(2) from None
    _report_warnings(summary.warnings)
    if not quiet:
        _print_summary(summary, by)


def _print_summary(summary, by: str) -> None:
    """What was counted, the first rows of the any_vehicle counts and the files written."""
    from rich.table import Table

    from borderwatch.cli_common import err_console, say

    say(
        f"{summary.n_detections} detections, {summary.n_in_areas} in {len(summary.areas)} areas, "
        f"{summary.n_duplicates} duplicates across scenes; {summary.frames_used} frames used"
        + (f", {summary.frames_ignored} ignored" if summary.frames_ignored else "")
        + (
            f"; calibrated with model card {summary.card}"
            if summary.card and summary.counts["calibrated_count"].notna().any()
            else "; no model card with measured precision/recall: no calibrated counts"
        )
    )
    c = summary.counts
    tops = c[(c["vehicle_class"] == "any_vehicle")].head(20)
    if len(tops):
        table = Table(title=f"any_vehicle per area and {by}", show_lines=False)
        for col in ("area", "bucket", "n_frames", "raw_count", "count", "imaged_km2", "density_per_km2"):
            table.add_column(col, justify="right" if col not in ("area", "bucket") else "left")
        for _, r in tops.iterrows():
            table.add_row(
                str(r["area"]), str(r["bucket"]), str(r["n_frames"]), str(r["raw_count"]), str(r["count"]),
                "-" if r["imaged_km2"] != r["imaged_km2"] else f"{r['imaged_km2']:.3f}",
                "-" if r["density_per_km2"] != r["density_per_km2"] else f"{r['density_per_km2']:.2f}",
            )
        err_console.print(table)
    for name, path in summary.paths.items():
        say(f"  {name}: {path}")


def areas_list(
    places: Annotated[list[str] | None, typer.Argument(help="Only these places (any alias).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the gazetteer: border cities, their province, aliases, centre and partner across the river."""
    import json

    from rich.console import Console
    from rich.table import Table

    from borderwatch.geo.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    try:
        chosen = [gaz.get(p) for p in places] if places else list(gaz)
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps([
            {"name": p.name, "country": p.country, "province": p.province, "aliases": list(p.aliases),
             "lon": p.lon, "lat": p.lat, "radius_km": p.radius_km, "partner": p.partner}
            for p in chosen
        ], ensure_ascii=False, indent=2))
        return
    table = Table(title="borderwatch gazetteer (urban core = disc of radius_km around the centre)")
    for col in ("name", "country", "province", "aliases", "lon, lat", "km", "partner"):
        table.add_column(col, overflow="fold")
    for p in chosen:
        table.add_row(p.name, p.country, p.province, ", ".join(p.aliases[1:]), f"{p.lon:.3f}, {p.lat:.3f}",
                      f"{p.radius_km:g}", p.partner or "-")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add this stage's subcommands to the ``borderwatch`` app."""
    app.command("count")(count)
    app.command("areas")(areas_list)
