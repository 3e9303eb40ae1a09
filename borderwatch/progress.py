"""Progress callbacks: how library code tells what it is doing without printing.

A long-running library function takes a ``Progress`` (default ``SILENT``) and calls ``note`` for a
line of chatter and ``track`` around a loop worth a bar. Only the CLI renders them
(``cli_common.ConsoleProgress``); problems are warnings (``errors.BorderwatchWarning``), not notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    def note(self, message: str) -> None:
        """One line saying what is being done (may hold rich markup such as ``[bold]``)."""

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """The items, one by one, while showing how far the loop has come."""


class Silent:
    """Says nothing: the default of every library function (tests, the Python API)."""

    def note(self, message: str) -> None:
        return None

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        yield from items


SILENT: Progress = Silent()
