"""Dataset cards: a YAML file beside a built dataset saying where it came from, at what GSD, how many
boxes of each class, which groups went to which split, and under what licence the data may be used."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from borderwatch.atomic import write_text
from borderwatch.errors import InputError
from borderwatch.yamlsafe import load_yaml_file


class SourceInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    path: str | None = None
    url: str | None = None
    licence: str = "unknown"
    gsd_m: float | None = Field(None, description="native ground sample distance (m/px), median over groups")
    gsd_method: str | None = None
    groups: dict[str, dict] = Field(default_factory=dict, description="group -> gsd_m, method, n_cars ...")


class DatasetCard(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    description: str = ""
    classes: list[str]
    sources: list[SourceInfo] = Field(default_factory=list)
    gsd_variants_m: list[float | str] = Field(default_factory=list, description="'native' and resampled GSDs")
    imgsz: int | None = None
    counts: dict[str, dict[str, int]] = Field(default_factory=dict, description="split -> class -> boxes")
    images: dict[str, int] = Field(default_factory=dict, description="split -> images")
    split_groups: dict[str, list[str]] = Field(default_factory=dict, description="split -> groups")
    image_gsd_m: dict[str, float] = Field(default_factory=dict, description="image name -> native GSD (m/px)")
    dropped: dict[str, int] = Field(default_factory=dict, description="why boxes were dropped -> count")
    licence: str = "unknown"
    recipe: str | None = None


def write_dataset_card(card: DatasetCard, path: str | Path) -> Path:
    path = Path(path)
    write_text(path, yaml.safe_dump(card.model_dump(exclude_none=True), sort_keys=False, allow_unicode=True))
    return path


def read_dataset_card(path: str | Path) -> DatasetCard:
    path = Path(path)
    try:
        return DatasetCard.model_validate(load_yaml_file(path, "dataset card"))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"invalid dataset card at {'.'.join(map(str, first['loc']))}: {first['msg']}", path) from exc


def find_dataset_card(data: str | Path) -> Path | None:
    """The card beside a data.yaml or in a dataset folder (``dataset_card.yaml``)."""
    data = Path(data)
    folder = data if data.is_dir() else data.parent
    candidate = folder / "dataset_card.yaml"
    return candidate if candidate.exists() else None
