"""Every option of the claims and compare stages, declared once: default, bounds and help text.

``borderwatch claims`` and ``borderwatch compare`` build their command-line options from these
fields (``cli_common.option``); the run config (``borderwatch.pipeline.config``) embeds
``CompareOptions`` as its ``compare`` section, and ``claims.compare`` judges with an instance of it,
so the three cannot drift. (The rule table's fixed constants live in ``claims.compare``.)

Only pydantic is imported here, so the CLI can read the fields without loading pandas.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ClaimsOptions(BaseModel):
    """How claims are taken from articles."""

    model_config = ConfigDict(extra="forbid")

    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="drop claims less certain than this")
    tz: str | None = Field(
        None,
        description="time zone for publication timestamps that carry an offset (IANA name, e.g. Asia/Pyongyang); "
        "default: as written",
    )


class CompareOptions(BaseModel):
    """How claims are judged against the counts."""

    model_config = ConfigDict(extra="forbid")

    tolerance_days: int = Field(3, ge=0, le=365, description="days added on each side of a claim's period")
    value_tolerance: float = Field(0.15, ge=0, le=5, description="relative slack on a claimed count")
    min_coverage: float = Field(
        0.8, ge=0, le=1, description="area coverage needed before missing vehicles count against a claim"
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="significance level of the trend tests")
    tz: str | None = Field(
        None,
        description="time zone of the claims' calendar days (default: the one the counts were made in, as "
        "counts.parquet records it)",
    )
