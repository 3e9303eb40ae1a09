"""The commented example config that ``borderwatch init`` writes (every key, with what it does)."""

from __future__ import annotations

EXAMPLE = """\
# borderwatch run config. Run it with:  borderwatch run {name}
# Relative paths are relative to this file's folder; ~ and $ENVIRONMENT_VARIABLES are expanded.
# Every key but `inputs` has a default; delete what you do not need.

title: "Hyesan and Changbai, September 2025"   # heading of the report
notice: null          # a note shown at the top of the report (provenance, caveats), or null
demo: false           # true for imagery placed in invented places/dates: every report (and figure) says DEMO

# What to detect vehicles in: image files, folders (searched recursively), glob patterns such as
# "imagery/**/*.tif", and manifests (.csv/.yaml) that give each file its capture time, the area it
# pictures and its kind:  path, captured_at, timezone, area, lon, lat, kind (photo | overhead).
inputs:
  - imagery/
  # - imagery/manifest.csv

# A model per kind of frame: a registry name (a card in models/ or $BORDERWATCH_MODELS, downloaded
# and sha256-checked when missing and there is a network) or a path to .pt/.onnx weights or an
# OpenVINO folder. `borderwatch models` lists what is installed.
models:
  photo: yolo11n                  # ground-level and oblique photos (telephoto shots across the river)
  overhead: borderwatch-overhead  # satellite/aerial rasters (v2, oriented boxes, 30 cm read at 15 cm); null = the photo model
  trust_weights: false            # load .pt pickles whose sha256 is in no model card (they can run code)
  mapping: null                   # YAML/JSON {{source_class: car|truck|bus|two_wheeler|heavy_equipment|null}}
  models_dir: null                # an extra folder of models and cards, searched first
  allow_download: true            # fetch a registry model that is not on disk (needs a network)
  predictor_factory: null         # 'module:callable' returning a detector (custom models); replaces the lookup

# How frames are cut into tiles and which detections are kept. Changing any of these reruns
# detection (frames with unchanged settings are not recomputed).
detection:
  tile_size: null                 # tile side, model-input pixels; null = the model card's (else 640)
  overlap: null                   # fraction of a tile shared with its neighbour; null = the card's (else 0.2)
  batch_size: 8                   # tiles per forward pass
  conf: null                      # minimum score kept; null = the model card's operating threshold (else 0.25)
  model_gsd_m: null               # m/px raster windows are resampled to for the model; null = the card's, 0 = never
  iou: 0.5                        # IoU of the model's own NMS inside a tile
  merge: ios                      # merge across tiles: ios (greedy, intersection over smaller) or nms (IoU)
  merge_threshold: 0.5            # IoS or IoU at which two boxes of neighbouring tiles are one vehicle
  class_agnostic: false           # also merge boxes of different classes
  max_det_per_tile: 300           # at most this many boxes per tile
  min_valid_fraction: 0.05        # skip tiles with less valid (non-nodata) area than this
  edge_margin: 2.0                # pixels: a box this close to an inner tile edge is a cut piece
  device: auto                    # auto, cpu, cuda, cuda:0, mps
  runtime: auto                   # auto, native, openvino, openvino-int8 (needs nncf and calibration) or onnx
  calibration: []                 # images or folders the int8 export is calibrated on, the first time
  kind: auto                      # kind of frames no manifest types: photo, overhead or auto (TIFF -> overhead)
  full_frame: false               # photos as one tile scaled to the model input instead of sliced
  tz: Asia/Pyongyang              # zone of EXIF/manifest/TIFF times written without an offset
  max_photo_megapixels: 400       # larger photos are refused (decompression bombs)
  gdal_cache_mb: 64               # GDAL block cache while reading rasters: bounds memory whatever their size

# The areas counts are made for: null file = the built-in gazetteer of border cities (Hyesan,
# Sinuiju, Dandong, Changbai, ...), each an urban-core polygon. Or any vector file.
areas:
  file: null                      # GeoJSON, GeoPackage, Shapefile or GeoParquet
  name_field: null                # column with the area name (required with a file), e.g. name:en
  parent_field: null              # column with the parent (city of a district), optional
  layer: null                     # layer of a multi-layer file (GeoPackage)
  crs: null                       # CRS of a file that declares none, e.g. EPSG:4326
  select: []                      # keep only these areas (names or aliases), e.g. [Hyesan, Changbai]

# Time buckets of the counts.
counts:
  by: day                         # day, week or month
  tz: Asia/Pyongyang              # buckets start at midnight in this zone (UTC, Asia/Shanghai, ...)
  dedup_iou: 0.3                  # same vehicle in overlapping scenes of one date at this IoU (0: off)
  card: null                      # model card to calibrate with; null = each frame kind's model's card

articles: []                      # reports to check: files or folders of .txt .md .html .json articles
#  - articles/
claims: null                      # a claims JSON (as `borderwatch claims` writes), used as well

# How claims are judged against the counts; null keeps the built-in default.
compare:
  tolerance_days: null            # days added on each side of a claim's period (default 3)
  value_tolerance: null           # relative slack on a claimed count (default 0.15)
  min_coverage: null              # coverage needed before missing vehicles count against a claim (default 0.8)
  alpha: null                     # level of the trend tests (default 0.05)
  tz: null                        # zone of the claims' calendar days; null = the zone of the counts

outputs:
  run_dir: run                    # every table, the stage ledger and the report go here
  report_dir: null                # null = RUN_DIR/report
  pdf: false                      # also write report.pdf
  interactive_map: false          # also write map.html (needs `pip install folium` and a network)
  geojson: false                  # also write the counting layers as GeoJSON

engine: local                     # local, or ray (needs the ray extra)
ray_address: null                 # address of a Ray cluster; null starts a local one (engine: ray)
ray_workers: null                 # Ray workers, one model each; null = one per CPU (engine: ray)
"""


def example_config(name: str = "borderwatch.yaml") -> str:
    return EXAMPLE.format(name=name)
