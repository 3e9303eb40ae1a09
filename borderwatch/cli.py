"""The ``borderwatch`` command line.

Each stage's subpackage owns its subcommands in a ``commands.py`` with a ``register(app)`` function;
this module only assembles them, so ``borderwatch --help`` stays fast (heavy imports such as torch
happen inside the commands, not here).
"""

from __future__ import annotations

import typer

from borderwatch import __version__
from borderwatch.claims import commands as claims_commands
from borderwatch.datasets import commands as datasets_commands
from borderwatch.detector import commands as detector_commands
from borderwatch.geo import commands as geo_commands
from borderwatch.pipeline import commands as pipeline_commands
from borderwatch.report import commands as report_commands
from borderwatch.training import commands as training_commands

app = typer.Typer(
    name="borderwatch",
    help=(
        "Detect, count and map vehicles in photos and satellite images of border cities, and check "
        "news claims against the counts.\n\n"
        "Stages: detect -> count -> claims -> compare -> report; `borderwatch run CONFIG` does them all."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"borderwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    pass


_COMMANDS = (
    detector_commands, geo_commands, claims_commands, training_commands, datasets_commands, pipeline_commands,
    report_commands,
)
for _module in _COMMANDS:
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
