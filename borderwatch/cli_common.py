"""Options and helpers shared by the subcommands: quiet progress bars, one-line errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

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


def print_line(label: str, style: str, message: object) -> None:
    """``label message`` on stderr, the message as plain text, always on one line.

    File names such as ``cam[1].jpg`` or ``x[/y].tif`` are data, not rich markup (markup would drop
    them or raise MarkupError); a newline or terminal escape in a name is shown escaped.
    """
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(message))
    err_console.print(Text.assemble((label, style), " ", shown), soft_wrap=True, highlight=False)


def warn(message: object) -> None:
    """Always printed: a problem with one input that did not stop the batch."""
    print_line("warning", "yellow", message)


def error(message: object) -> None:
    """Always printed: one line naming the input and the problem."""
    print_line("error", "red", message)
