"""Subcommands of this stage (placeholder until the stage is built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's subcommands to the ``borderwatch`` app."""
