"""``borderwatch claims`` (articles -> claims.json) and ``borderwatch compare`` (claims vs counts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.claims.options import ClaimsOptions, CompareOptions
from borderwatch.cli_common import Quiet, default, err_console, option, say, track


def _warning(message: str) -> None:
    """A warning line whose message is plain text: article file names may hold [brackets]."""
    from rich.text import Text

    err_console.print(Text.assemble(("warning", "yellow"), " ", message), soft_wrap=True)


def claims_command(
    articles: Annotated[list[Path], typer.Argument(help="Article files (.json .txt .md .html) or folders of them.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the claims (one JSON list).")] = Path("claims.json"),
    min_confidence: Annotated[float, option(ClaimsOptions, "min_confidence", "--min-confidence", min=0.0, max=1.0)
                              ] = default(ClaimsOptions, "min_confidence"),
    tz: Annotated[str | None, option(ClaimsOptions, "tz", "--tz")] = default(ClaimsOptions, "tz"),
    quiet: Quiet = False,
) -> None:
    """Extract vehicle claims (counts, ranges, trends, presence, prices ...) from news reports.

    Example: borderwatch claims ../shared/articles -o claims.json
    """
    from borderwatch.atomic import write_json
    from borderwatch.claims.articles import article_files, check_tz, load_article_file
    from borderwatch.claims.extract import extract_claims
    from borderwatch.errors import InputError, one_line
    from borderwatch.geo.gazetteer import load_gazetteer

    try:
        check_tz(tz)
    except InputError as exc:
        err_console.print(str(exc), markup=False)
        raise typer.Exit(2) from exc
    files = list(article_files(articles))
    if not files:
        err_console.print("no article files found (.json .txt .md .html)")
        raise typer.Exit(1)
    gazetteer = load_gazetteer()
    out: list[dict] = []
    failed = 0
    n_articles = 0
    failed_articles = 0
    for f in track(files, "Reading articles", total=len(files), quiet=quiet):
        try:
            arts = load_article_file(f, tz)
        except InputError as exc:
            failed += 1
            _warning(str(exc))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            failed += 1
            _warning(f"{f}: {one_line(exc)}")
            continue
        for art in arts:
            # one article's failure is that article's line ("list.json#2: ..."); the file's others go on
            label = f"{f}{art.source_file[len(f.name):]}"
            try:
                claims = [c.to_dict() for c in extract_claims(art, gazetteer) if c.confidence >= min_confidence]
            except Exception as exc:  # noqa: BLE001 - one bad article must not stop the batch
                failed_articles += 1
                _warning(f"{label}: {one_line(exc)}")
                continue
            out.extend(claims)
            n_articles += 1
    write_json(output, out)
    problems = [f"{n} {what} failed" for n, what in ((failed, "file(s)"), (failed_articles, "article(s)")) if n]
    say(f"{len(out)} claims from {n_articles} article(s) -> {output}" + "".join(f"; {p}" for p in problems), quiet)
    if failed or failed_articles:
        raise typer.Exit(1)


def compare_command(
    run_dir: Annotated[Path, typer.Argument(help="Run directory holding counts.parquet (from `borderwatch count`).")],
    claims: Annotated[Path, typer.Argument(help="claims.json from `borderwatch claims`.")],
    tolerance_days: Annotated[int, option(CompareOptions, "tolerance_days", "--tolerance-days", min=0)
                              ] = default(CompareOptions, "tolerance_days"),
    out_dir: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for comparisons.parquet/.csv "
                                                 "(default: RUN_DIR).")] = None,
    alpha: Annotated[float, option(CompareOptions, "alpha", "--alpha", min=0.0, max=1.0)] = default(CompareOptions, "alpha"),
    min_coverage: Annotated[float, option(CompareOptions, "min_coverage", "--min-coverage", min=0.0, max=1.0)
                            ] = default(CompareOptions, "min_coverage"),
    value_tolerance: Annotated[float, option(CompareOptions, "value_tolerance", "--value-tolerance", min=0.0)
                               ] = default(CompareOptions, "value_tolerance"),
    tz: Annotated[str | None, option(CompareOptions, "tz", "--tz")] = default(CompareOptions, "tz"),
    quiet: Quiet = False,
) -> None:
    """Judge each claim against the counts: supported, contradicted, inconclusive or not_testable.

    Example: borderwatch compare runs/hyesan claims.json --tolerance-days 5
    """
    from borderwatch.claims.compare import compare_run
    from borderwatch.errors import BorderwatchError

    try:
        df = compare_run(run_dir, claims, out_dir, tolerance_days=tolerance_days, alpha=alpha, min_coverage=min_coverage,
                         value_tolerance=value_tolerance, tz=tz)
    except BorderwatchError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from exc
    if not quiet:
        from rich.table import Table

        counts = df["verdict"].value_counts()
        table = Table(title=f"{len(df)} claims")
        table.add_column("verdict")
        table.add_column("claims", justify="right")
        for verdict in ("supported", "contradicted", "inconclusive", "not_testable"):
            table.add_row(verdict, str(int(counts.get(verdict, 0))))
        err_console.print(table)
        say(f"-> {(out_dir or run_dir) / 'comparisons.parquet'} and comparisons.csv", quiet)


def register(app: typer.Typer) -> None:
    """Add ``claims`` and ``compare`` to the ``borderwatch`` app."""
    app.command("claims")(claims_command)
    app.command("compare")(compare_command)
