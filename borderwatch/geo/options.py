"""Every option of counting, declared once: default, bounds and help text.

``borderwatch count`` builds its command-line options from these fields (``cli_common.option``) and
the run config (``borderwatch.pipeline.config``) embeds the same groups as its ``areas`` and
``counts`` sections, so the two cannot drift:

- ``AreaOptions``: how the areas file is read and which areas are kept;
- ``CountOptions``: time buckets, de-duplication across scenes, the calibrating model card.

Only pydantic is imported here, so the CLI can read the fields without loading geopandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Bucket = Literal["day", "week", "month"]


class AreaOptions(BaseModel):
    """How a vector file of areas is read (the file itself: ``--areas`` / ``areas.file``)."""

    model_config = ConfigDict(extra="forbid")

    name_field: str | None = Field(
        None, description="column holding the area name (default: name; required with a file that has none)"
    )
    parent_field: str | None = Field(None, description="column holding the parent area (city of a district)")
    layer: str | None = Field(None, description="layer of a multi-layer file such as a GeoPackage")
    crs: str | None = Field(None, description="CRS of an areas file that declares none, e.g. EPSG:32652")
    select: list[str] = Field(
        default_factory=list, description="keep only areas with this name or parent (gazetteer aliases work)"
    )


class CountOptions(BaseModel):
    """Time buckets and what makes one vehicle of several boxes."""

    model_config = ConfigDict(extra="forbid")

    by: Bucket = Field("day", description="time bucket: day, week (ISO) or month")
    tz: str = Field("UTC", description="time zone the buckets start in, e.g. Asia/Pyongyang")
    dedup_iou: float = Field(
        0.3, ge=0.0, le=1.0,
        description="IoU at which boxes of overlapping scenes of one date are one vehicle (0: off)",
    )
    card: Path | None = Field(
        None, description="model card to calibrate the counts with (default: the card of each frame kind's model, "
        "as run.json records it)"
    )
