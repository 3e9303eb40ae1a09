"""Options and helpers shared by the subcommands: quiet progress bars, one-line errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or chatter; errors still print.")]

err_console = Console(stderr=True, highlight=False)


def make_progress(quiet: bool) -> Progress:
    """A rich progress display on stderr; disabled when quiet so output stays clean for pipes."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    )


def track(items: Iterable[T], description: str, total: int | None = None, quiet: bool = False) -> Iterator[T]:
    """Iterate with a progress bar (no bar when quiet)."""
    with make_progress(quiet) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


def say(message: str, quiet: bool = False) -> None:
    if not quiet:
        err_console.print(message)


def warn(message: str) -> None:
    """Always printed: a problem with one input that did not stop the batch.

    The message is escaped: file names such as ``cam[car].jpg`` must print as they are.
    """
    err_console.print(f"[yellow]warning[/yellow] {escape(str(message))}", soft_wrap=True)


def error(message: object) -> None:
    """Always printed: one line naming the input and the problem (escaped like ``warn``)."""
    err_console.print(f"[red]error[/red] {escape(str(message))}", soft_wrap=True)
