"""The plain tables that stages exchange: names, columns, types and meaning.

Every stage reads and writes these files in a run directory, so any stage can be rerun on its own.
Geometry columns are WKB in GeoParquet (``geometry``), always EPSG:4326. Times are UTC,
timezone-aware (``timestamp[us, tz=UTC]``). ``validate`` checks a table carries its columns.

This module is the contract between ``detector``, ``geo``, ``claims`` and ``report``: change a column
here first, then the code that writes it, then the code that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str  # file name in the run directory
    doc: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def missing(self, df) -> list[str]:
        return [c for c in self.column_names if c not in df.columns]

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
    "polygon in EPSG:4326 for georeferenced frames, null for photos.",
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
        Column("raster_crs", "string", "CRS of the frame's raster; null for photos"),
        Column("geometry", "geometry[EPSG:4326]", "box polygon on the map; null for photos"),
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
    "Counts per area x vehicle_class x time bucket (also counts.csv). Rows exist for every "
    "(area, class, bucket) that was imaged, including zero counts.",
    (
        Column("area", "string", "area name", False),
        Column("area_parent", "string", "parent area, if any"),
        Column("country", "string", "KP or CN"),
        Column("vehicle_class", "string", "taxonomy class, or any_vehicle for the sum over classes", False),
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
