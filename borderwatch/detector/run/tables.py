"""The run's tables, rebuilt from the parts: ``detections.parquet`` and ``frames.parquet``.

Parts keep every source class the model reported; the taxonomy mapping is applied here, so a
changed ``--class-map`` does not need the model again.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from borderwatch.detector.rasters import georeference_boxes, georeference_corners
from borderwatch.detector.run.parts import CORNER_COLUMNS, part_corners, read_part
from borderwatch.detector.run.runner import FrameResult
from borderwatch.geoparquet import arrow_table
from borderwatch.tables import DETECTIONS, FRAMES
from borderwatch.taxonomy import ClassMapping


def build_tables(results: list[FrameResult], mapping: ClassMapping, model_name: str, params_hash: str):
    """detections and frames as arrow tables (GeoParquet-ready) from the frames' parts."""
    det_cols: dict[str, list] = {c: [] for c in DETECTIONS.column_names}
    det_geoms: list = []
    frame_cols: dict[str, list] = {c: [] for c in FRAMES.column_names}
    frame_geoms: list = []
    dropped_by_frame: dict[str, Counter] = {}
    for result in results:
        frame = result.frame
        n_kept = n_dropped = None
        if result.status == "ok" and result.part is not None:
            table, _ = read_part(result.part)
            source_classes = table.column("source_class").to_pylist()
            boxes = np.stack([table.column(c).to_numpy() for c in ("x_min", "y_min", "x_max", "y_max")], axis=1)
            boxes = boxes.reshape(-1, 4).astype(np.float32)
            scores = table.column("score").to_numpy()
            targets = [mapping.map(s) for s in source_classes]
            keep = [i for i, t in enumerate(targets) if t is not None]
            dropped = Counter(s for s, t in zip(source_classes, targets, strict=True) if t is None)
            dropped_by_frame[frame.frame_id] = dropped
            n_kept, n_dropped = len(keep), sum(dropped.values())
            corners = part_corners(table)
            polygons = [None] * len(keep)
            if frame.georeferenced and keep:
                polygons = (
                    georeference_boxes(boxes[keep], frame.transform, frame.crs)
                    if corners is None
                    else georeference_corners(corners[keep], frame.transform, frame.crs)
                )
            for i, polygon in zip(keep, polygons, strict=True):
                det_cols["detection_id"].append(f"{frame.frame_id}:{i}")
                det_cols["frame_id"].append(frame.frame_id)
                det_cols["source_path"].append(frame.source_path)
                det_cols["captured_at"].append(frame.captured_at)
                det_cols["vehicle_class"].append(targets[i])
                det_cols["source_class"].append(source_classes[i])
                det_cols["score"].append(float(scores[i]))
                for j, name in enumerate(("x_min", "y_min", "x_max", "y_max")):
                    det_cols[name].append(float(boxes[i, j]))
                for k, name in enumerate(CORNER_COLUMNS):
                    det_cols[name].append(float("nan") if corners is None else float(corners[i, k // 2, k % 2]))
                det_cols["raster_crs"].append(frame.crs if frame.georeferenced else None)
                det_geoms.append(polygon)
        row = {
            "frame_id": frame.frame_id,
            "source_path": frame.source_path,
            "kind": frame.kind,
            "captured_at": frame.captured_at,
            "width": frame.width,
            "height": frame.height,
            "bands": frame.bands,
            "dtype": frame.dtype,
            "crs": frame.crs if frame.kind == "overhead" else None,
            "transform": list(frame.transform) if frame.transform is not None and frame.kind == "overhead" else None,
            "gsd_m": frame.gsd_m,
            "area": frame.area,
            "lon": frame.lon,
            "lat": frame.lat,
            "status": result.status,
            "error": result.error,
            "n_detections": n_kept,
            "n_dropped": n_dropped,
            "model": model_name if result.status == "ok" else None,
            "params_hash": params_hash if result.status == "ok" else None,
        }
        for name, value in row.items():
            frame_cols[name].append(value)
        frame_geoms.append(frame.footprint if result.status == "ok" else None)
    return arrow_table(DETECTIONS, det_cols, det_geoms), arrow_table(FRAMES, frame_cols, frame_geoms), dropped_by_frame
