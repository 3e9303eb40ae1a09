"""Geo: areas and the gazetteer, geotagging, coverage and counts per area over time.

Public API (stable; used by the claims, report and pipeline stages):

- ``borderwatch.geo.gazetteer.load_gazetteer(path=None) -> Gazetteer``: border cities with aliases
  (``find``, ``find_all_in``, ``provinces_of``, ``get``, ``partner_of``) and ``default_areas()``;
- ``borderwatch.geo.areas.load_areas(path=None, name_field=None, parent_field=None, ...) -> AreaSet``:
  named, disjoint polygons from any vector file(s) or the gazetteer's urban cores;
- ``borderwatch.geo.counts.count_run(run_dir, areas=None, ...) -> CountSummary``: writes
  counts.parquet, counts.csv, geotagged.parquet and borderwatch.gpkg.

Modules: gazetteer, areas (loading, repair, the overlap rule), geotag (joins), buckets (time
buckets in a time zone), dedup (same vehicle in overlapping scenes), coverage (km² imaged),
calibration (precision/recall-corrected estimates), counts (the COUNTS table), outputs (files),
runio (reading a detection run), commands (the CLI).
"""
