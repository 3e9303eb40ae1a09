"""A model the registry has found: the file, its format and hash, its card and class mapping.

Its own module because the registry makes it and the weights, export and predictor code take it:
none of them needs the others to name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from borderwatch.detector.card import ModelCard
from borderwatch.taxonomy import ClassMapping


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to load: the file, its format and hash, its card (if any) and class mapping."""

    name: str
    path: Path
    format: str
    sha256: str
    card: ModelCard | None
    mapping: ClassMapping
    trusted: bool = False  # did borderwatch.trust allow it when it was resolved (rechecked before loading)
    origin: str = "path"  # path, models_dir, cache or download
    trust_given: bool = False  # the user passed --trust-weights for this command
