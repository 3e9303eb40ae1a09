"""Errors that name the file and the problem.

Every error a user can trigger with bad input is a ``BorderwatchError`` whose message reads
``<path>: <reason>`` on one line, so a batch can record it and go on.
"""

from __future__ import annotations

from pathlib import Path


class BorderwatchError(Exception):
    """Base class: a problem with a named input, reported on one line."""

    def __init__(self, reason: str, path: str | Path | None = None):
        self.reason = " ".join(str(reason).split())  # one line, always
        self.path = str(path) if path is not None else None
        super().__init__(self.reason)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class InputError(BorderwatchError):
    """An input file (image, raster, manifest, article, vector file) cannot be used."""


class ConfigError(BorderwatchError):
    """A configuration value is wrong; ``path`` names the file, the reason names the key."""


class ModelNotFoundError(BorderwatchError):
    """A model could not be resolved locally and could not be downloaded."""


class UntrustedWeightsError(BorderwatchError):
    """A pickle-based weights file whose sha256 is not trusted was refused before loading."""


def one_line(exc: BaseException) -> str:
    """A one-line description of any exception, for tables and logs."""
    if isinstance(exc, BorderwatchError):
        return exc.reason
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------- warnings
# The library warns and goes on; only the CLI (cli_common) decides how a warning is shown. Every
# warning the library issues is a BorderwatchWarning, so a caller can collect, silence or escalate
# them all with one filter.


class BorderwatchWarning(UserWarning):
    """Base class: a problem with one input that did not stop the batch."""


class GeoWarning(BorderwatchWarning):
    """A problem with one input feature or frame that did not stop the run."""


class InputWarning(BorderwatchWarning):
    """An input (a file, a manifest row, a resume part) was skipped or only partly used; the batch goes on."""


class RunWarning(BorderwatchWarning):
    """A stage of ``borderwatch run`` or a part of the report went on without something (a sample, a
    PDF, a chart); what is missing is named."""


def warn_run(message: str, stacklevel: int = 2) -> None:
    """Issue a RunWarning attributed to the caller (the CLI prints it)."""
    import warnings

    warnings.warn(RunWarning(message), stacklevel=stacklevel + 1)


def warn_input(message: str, stacklevel: int = 2) -> None:
    """Issue an InputWarning attributed to the caller (the CLI prints it; see ``cli_common.showing_warnings``)."""
    import warnings

    warnings.warn(InputWarning(message), stacklevel=stacklevel + 1)


def warn_geo(message: str, stacklevel: int = 3) -> None:
    """Issue a GeoWarning attributed to the caller's caller (the public code that was called)."""
    import warnings

    warnings.warn(GeoWarning(message), stacklevel=stacklevel)
