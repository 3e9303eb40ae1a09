"""Options and helpers shared by the subcommands: quiet progress bars, one-line errors.

This is the only module that prints. Library code issues ``BorderwatchWarning``s (``errors.py``);
a command wraps its work in ``showing_warnings()`` to print them here, as they happen.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
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


EXIT_OK = 0
"""Everything asked for was done."""
EXIT_SOME_FAILED = 1
"""Done, but some inputs (frames, manifest rows, articles) failed or a stage failed; what was done is kept."""
EXIT_USAGE = 2
"""Nothing was done: a bad option or config, no input, or a model that is unknown, untrusted or cannot load."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, as shells report it): what was finished is kept; rerun to resume."""


def interrupted_exit(exc: KeyboardInterrupt) -> typer.Exit:
    """Ctrl-C: say what was kept (the library's message, when it gave one) and exit 130."""
    error(str(exc) or "interrupted (Ctrl-C); finished work is kept, rerun the same command to resume")
    return typer.Exit(EXIT_INTERRUPTED)


def error_exit(problem: object, code: int = 1) -> typer.Exit:
    """Print a one-line error and give the exit to raise (``raise error_exit(exc) from None``)."""
    error(problem)
    return typer.Exit(code)


def config_errors_exit(exc) -> typer.Exit:
    """Every config mistake on its own line (FILE:LINE: key.path: problem), then exit 2 (usage)."""
    for line in exc.lines():
        error(line)
    return typer.Exit(EXIT_USAGE)


def parse_gsds(values: list[str]) -> list[float | None]:
    """``--gsd`` values (repeated or comma-separated): ``native`` is None, else metres per pixel."""
    out: list[float | None] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part == "native":
                out.append(None)
                continue
            try:
                g = float(part)
            except ValueError as exc:
                raise typer.BadParameter(f"{part!r} is neither 'native' nor a GSD in metres") from exc
            if g <= 0:
                raise typer.BadParameter(f"GSD must be positive, got {g}")
            out.append(g)
    return out


def option(model: type[BaseModel], name: str, *param_decls: str, **kwargs) -> Any:
    """A typer Option whose help text is the description of the pydantic field ``model.name``.

    Options are declared once, on the config model; the command only names them (and their flags).
    Pair it with ``default(model, name)`` as the parameter's default.
    """
    text = (model.model_fields[name].description or "").strip()
    if text and not text.endswith("."):
        text += "."
    return typer.Option(*param_decls, help=kwargs.pop("help", text), **kwargs)


def default(model: type[BaseModel], name: str) -> Any:
    """The default of the pydantic field ``model.name`` (lists become None: typer's empty repeatable)."""
    value = model.model_fields[name].get_default(call_default_factory=True)
    return None if isinstance(value, list) and not value else value


@contextlib.contextmanager
def showing_warnings() -> Iterator[None]:
    """Print every ``BorderwatchWarning`` issued inside as ``warning <message>``, each time (not once
    per place in the code, Python's default); other warnings go where they would have gone."""
    from borderwatch.errors import BorderwatchWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always", BorderwatchWarning)
        previous = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, BorderwatchWarning):
                warn(message)
            else:
                previous(message, category, filename, lineno, file, line)

        warnings.showwarning = show  # restored by catch_warnings on exit
        yield


class ConsoleProgress:
    """A ``borderwatch.progress.Progress`` that prints notes and bars on stderr (nothing when quiet)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def note(self, message: str) -> None:
        say(message, self.quiet)

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        return track(items, description, total=total, quiet=self.quiet)
