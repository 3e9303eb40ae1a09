"""The plain tables that stages exchange: names, columns, types and meaning.

Every stage reads and writes these files in a run directory, so any stage can be rerun on its own.
Geometry columns are WKB in GeoParquet (``geometry``), always EPSG:4326. Times are UTC,
timezone-aware (``timestamp[us, tz=UTC]``). ``validate`` checks a table carries its columns.

This module is the contract between ``detector``, ``geo``, ``claims`` and ``report``: change a column
here first, then the code that writes it, then the code that reads it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str
    nullable: bool = True
    required: bool = True  # False for columns added later: readers of older run folders fill a default


@dataclass(frozen=True)
class Table:
    name: str  # file name in the run directory
    doc: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def missing(self, df) -> list[str]:
        return [c.name for c in self.columns if c.required and c.name not in df.columns]

    def validate(self, df, source: str | None = None) -> None:
        missing = self.missing(df)
        if missing:
            from borderwatch.errors import InputError

            raise InputError(f"{self.name} lacks columns {', '.join(missing)}", source)


FRAMES = Table(
    "frames.parquet",
    "One row per input frame (photo or raster), whether it succeeded or not. GeoParquet; geometry "
    "is the footprint of valid data in EPSG:4326 (null for photos and failed frames).",
    (
        Column("frame_id", "string", "stable id: first 16 hex digits of the sha256 of the file's bytes", False),
        Column("source_path", "string", "path of the file as given (absolute)", False),
        Column("kind", "string", "photo (oblique/ground, no footprint) or overhead (nadir raster)", False),
        Column("captured_at", "timestamp[UTC]", "acquisition time: manifest, EXIF DateTimeOriginal or TIFF tags"),
        Column("width", "int64", "pixels"),
        Column("height", "int64", "pixels"),
        Column("bands", "int64", "number of bands read"),
        Column("dtype", "string", "pixel data type (uint8, uint16, ...)"),
        Column("crs", "string", "raster CRS as EPSG:n or WKT; null for photos"),
        Column("transform", "list<float64>[6]", "affine transform a,b,c,d,e,f (rasterio order); null for photos"),
        Column("gsd_m", "float64", "ground sample distance, metres per pixel; null when unknown"),
        Column("area", "string", "area name given by the manifest (the place pictured, not the camera)"),
        Column("lon", "float64", "longitude of the place pictured (manifest) or camera (EXIF GPS)"),
        Column("lat", "float64", "latitude, as lon"),
        Column("status", "string", "ok, failed or skipped", False),
        Column("error", "string", "one-line reason when status is failed"),
        Column("n_detections", "int64", "detections kept for this frame"),
        Column("n_dropped", "int64", "detections of source classes the taxonomy does not map"),
        Column("model", "string", "model name or path used"),
        Column("params_hash", "string", "hash of model sha256 and detection parameters; resume key"),
        Column("geometry", "geometry[EPSG:4326]", "footprint polygon of valid (non-nodata) pixels"),
    ),
)

DETECTIONS = Table(
    "detections.parquet",
    "One row per detected vehicle after merging across tiles. GeoParquet; geometry is the box as a "
    "polygon in EPSG:4326 for georeferenced frames (the oriented box when the model gives one), null for "
    "photos. Oriented-box models also fill the corners x1..y4; the axis-aligned bounds are their extent.",
    (
        Column("detection_id", "string", "frame_id:index, unique in the run", False),
        Column("frame_id", "string", "the frame it was found in", False),
        Column("source_path", "string", "the frame's file", False),
        Column("captured_at", "timestamp[UTC]", "the frame's acquisition time"),
        Column("vehicle_class", "string", "car, truck, bus, two_wheeler or heavy_equipment", False),
        Column("source_class", "string", "the model's own class name", False),
        Column("score", "float32", "confidence, 0..1", False),
        Column("x_min", "float32", "pixel box, left (full-frame pixel coordinates)", False),
        Column("y_min", "float32", "pixel box, top", False),
        Column("x_max", "float32", "pixel box, right", False),
        Column("y_max", "float32", "pixel box, bottom", False),
        *(
            Column(f"{axis}{k}", "float32", f"oriented box, corner {k} {axis} (frame pixels, in order around the box); "
                   "NaN for axis-aligned models", True, False)
            for k in range(1, 5)
            for axis in ("x", "y")
        ),
        Column("raster_crs", "string", "CRS of the frame's raster; null for photos"),
        Column("geometry", "geometry[EPSG:4326]", "box polygon on the map (oriented when x1..y4 are given); null for photos"),
    ),
)

GEOTAGGED = Table(
    "geotagged.parquet",
    "Detections with the area they fall in (written by `borderwatch count`). GeoParquet.",
    DETECTIONS.columns
    + (
        Column("area", "string", "area name (null when the detection lies in no area)"),
        Column("area_parent", "string", "parent area (city of a district), if any"),
        Column("country", "string", "KP or CN, from the area"),
        Column("dedup_kept", "bool", "False when the same vehicle was already counted in an overlapping scene of the same date"),
    ),
)

COUNTS = Table(
    "counts.parquet",
    "Counts per area x kind of frame x vehicle_class x time bucket (also counts.csv). Rows exist for every "
    "(area, frame kind, class, bucket) that was imaged, including zero counts. Columns marked not required "
    "(frame_kind, bucket_by, tz, calibration) are absent from run folders counted before they existed.",
    (
        Column("area", "string", "area name", False),
        Column("area_parent", "string", "parent area, if any"),
        Column("country", "string", "KP or CN"),
        Column("frame_kind", "string", "photo or overhead: the kind of frames (and so the model) the row counts; "
               "photo and overhead counts of one area and bucket are separate rows, never added", False, False),
        Column("vehicle_class", "string", "taxonomy class, or any_vehicle for the sum over classes", False),
        Column("bucket_by", "string", "bucket size the counts were made with: day, week or month", False, False),
        Column("tz", "string", "IANA time zone of the buckets (compare and report read it)", False, False),
        Column("bucket", "string", "bucket label, e.g. 2025-09-15, 2025-W38, 2025-09", False),
        Column("bucket_start", "timestamp[UTC]", "start of the bucket (inclusive), in the chosen time zone", False),
        Column("bucket_end", "timestamp[UTC]", "end of the bucket (exclusive)", False),
        Column("n_frames", "int64", "frames that imaged this area in this bucket", False),
        Column("raw_count", "int64", "detections in the area, all scenes", False),
        Column("count", "int64", "detections after removing the same vehicle seen in overlapping scenes of one date", False),
        Column("imaged_km2", "float64", "km2 of the area covered by valid data (null for photos only)"),
        Column("area_km2", "float64", "km2 of the area polygon"),
        Column("coverage_fraction", "float64", "imaged_km2 / area_km2"),
        Column("density_per_km2", "float64", "count / imaged_km2 (null without a footprint)"),
        Column("calibrated_count", "float64", "count x precision / recall from the model card; null if not measured"),
        Column("calibrated_low", "float64", "lower end of the 90% interval of calibrated_count"),
        Column("calibrated_high", "float64", "upper end of the 90% interval"),
        Column("calibration", "string", "what the calibrated figures rest on (model card, GSD and threshold of the "
               "evaluation used, and those the run had), or 'not calibrated: <why>'", True, False),
        Column("first_seen", "timestamp[UTC]", "earliest frame time in the bucket"),
        Column("last_seen", "timestamp[UTC]", "latest frame time in the bucket"),
        Column("frame_ids", "list<string>", "frames used"),
    ),
)

CLAIMS_FIELDS = (
    "quote", "place", "vehicle_class", "kind", "value", "low", "high", "unit", "currency",
    "direction", "period_start", "period_end", "note",
)
"""Fields of a claim, exactly as in the gold files; claims.json adds source_file, url, confidence,
published, publisher, title."""


def cell_float(value) -> float | None:
    """A table cell as a float: None for missing, NaN or text that is no number (claims.json "5" -> 5.0)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


class Claim(BaseModel):
    """One claim of claims.json (the fields of ``CLAIMS_FIELDS`` and the article's metadata).

    Extraction writes these fields; comparison and the report validate each claim with this model
    where they read claims.json, so a malformed claim is reported on its own instead of failing
    the batch. Numbers may arrive as strings ("5"); unknown extra keys are kept.
    """

    model_config = ConfigDict(extra="allow")

    quote: str | None = None
    place: str | None = None
    vehicle_class: str | None = None
    kind: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    currency: str | None = None
    direction: str | None = None
    period_start: str | None = Field(None, description="ISO date (YYYY-MM-DD), first day of the claim's period")
    period_end: str | None = Field(None, description="ISO date, last day")
    note: str | None = None
    source_file: str | None = None
    url: str | None = None
    confidence: float | None = None
    published: str | None = None
    publisher: str | None = None
    title: str | None = None

    @field_validator("value", "low", "high", "confidence", mode="before")
    @classmethod
    def _nan_is_none(cls, v):
        if isinstance(v, float) and math.isnan(v):
            return None
        return v

    @field_validator("period_start", "period_end", "published", mode="before")
    @classmethod
    def _dates_as_text(cls, v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v.isoformat() if hasattr(v, "isoformat") else str(v)


def parse_claim(data) -> tuple[Claim | None, str | None]:
    """(claim, None) or (None, one-line reason) for one claims.json item."""
    if not isinstance(data, dict):
        return None, f"a claim must be a JSON object, not {type(data).__name__}"
    try:
        return Claim.model_validate(data), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "claim"
        return None, f"invalid claim: {where}: {first['msg']}"


RUN_LABEL = "label.json"
"""A run folder's label, written by the pipeline (``RunLabel``): whether it is a demo, and the title
and notice every rebuild of its report (HTML and PDF) shows."""


class RunLabel(BaseModel):
    model_config = ConfigDict(extra="allow")

    demo: bool = Field(False, description="True for `borderwatch demo` runs: placed sample imagery, fictional articles")
    title: str | None = None
    notice: str | None = Field(None, description="shown at the top of every report of the run; required for a demo")

COMPARISONS = Table(
    "comparisons.parquet",
    "One row per claim with the verdict and its evidence (also comparisons.csv).",
    (
        Column("claim_id", "string", "source_file#index", False),
        *(Column(f, "string|float64", "as in claims.json") for f in CLAIMS_FIELDS),
        Column("source_file", "string", "article file name"),
        Column("url", "string", "article URL"),
        Column("verdict", "string", "supported, contradicted, inconclusive or not_testable", False),
        Column("reason", "string", "one sentence saying why", False),
        Column("evidence", "string", "the evidence kind the verdict rests on (claims.rules.EVIDENCE): full_coverage, "
               "partial_coverage, photos, repeated_views, ..., none", True, False),
        Column("calibration", "string", "what the observed figures rest on (the counts' calibration column)", True, False),
        Column("window_start", "timestamp[UTC]", "start of the imagery window compared (period +- tolerance)"),
        Column("window_end", "timestamp[UTC]", "end of the imagery window"),
        Column("observed", "float64", "observed count (or share, or rate) used for the verdict"),
        Column("observed_calibrated", "float64", "calibrated observed count"),
        Column("observed_low", "float64", "lower end of the 90% interval"),
        Column("observed_high", "float64", "upper end of the 90% interval"),
        Column("n_frames", "int64", "frames used"),
        Column("dates", "string", "comma-separated dates of the imagery used"),
        Column("frame_ids", "string", "comma-separated frame ids used"),
        Column("imaged_km2", "float64", "km2 imaged in the window"),
        Column("coverage_fraction", "float64", "mean coverage fraction of the area in the window"),
    ),
)

ALL_TABLES = (FRAMES, DETECTIONS, GEOTAGGED, COUNTS, COMPARISONS)


# ------------------------------------------------------------------------ run.json (detector section)
# Written by the detect driver (borderwatch.detector.run.driver), read by count/report to calibrate each
# row with the card, threshold and scale that produced it.


class KindSettings(BaseModel):
    """How the frames of one kind (photo or overhead) were detected: what count must calibrate with."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(description="model name (the card's name when it has one)")
    card: str | None = Field(None, description="name of the model card, if any")
    card_path: str | None = Field(None, description="where that card was read")
    weights: str | None = Field(None, description="path of the weights file or folder")
    weights_sha256: str = Field(description="sha256 of the weights (the card's key)")
    task: str = Field("detect", description="detect (axis-aligned) or obb (oriented boxes)")
    runtime: str = Field(description="runtime that ran the model: native, openvino, openvino-int8, onnx, tflite")
    tile: int = Field(description="tile side in model-input pixels")
    overlap: float = Field(description="overlap between tiles, fraction of a tile")
    conf: float = Field(description="score threshold the detections were kept at (classes in conf_per_class: theirs)")
    conf_per_class: dict[str, float] = Field(
        default_factory=dict, description="taxonomy class -> the threshold its detections were kept at, where it is "
        "not conf (a card's per-class operating thresholds; empty: conf for every class, as in older runs)"
    )
    classes: list[str] | None = Field(
        None, description="taxonomy classes the model can output under the run's class mapping (None: not recorded, "
        "older runs); count makes rows for these only"
    )
    merge: str | None = Field(None, description="how tile boxes were merged, nms or ios (None: not recorded, older runs)")
    merge_per_class: dict[str, str] = Field(
        default_factory=dict, description="taxonomy class -> its merge method where it is not merge (a card's "
        "inference.merge_per_class; empty: merge for every class)"
    )
    gsd_m: float | None = Field(None, description="GSD the model input had (windows resampled to it); None: not resampled")
    window_px: list[int] = Field(default_factory=list, description="window sides read, in frame pixels (one per frame GSD)")
    frames: int = Field(0, description="frames of this kind detected in the run")


class RunManifest(BaseModel):
    """The part of ``run.json`` other stages rely on; the rest (config, versions, tiles) is free-form."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description="complete or complete_with_failures")
    params_hash: str = Field(description="the resume key of the run's parts")
    kinds: dict[Literal["photo", "overhead"], KindSettings] = Field(
        default_factory=dict, description="per frame kind, the model and settings that produced its detections"
    )
