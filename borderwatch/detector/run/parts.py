"""Resume parts: each finished frame's raw detections, committed atomically under ``parts/``.

``parts/<frame_id>-<params_hash>.parquet`` holds every source class the model reported, best
first, with the frame's computed metadata (footprint, tile stats); a file there is always complete.
A frame that failed leaves ``<frame_id>-<params_hash>.failed.json`` and is retried next time.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from borderwatch.atomic import atomic_path
from borderwatch.detector.frames import Frame
from borderwatch.detector.sliced import SliceStats
from borderwatch.detector.types import Detections
from borderwatch.tables import DETECTIONS, FRAMES

CORNER_COLUMNS = ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")
"""The oriented box's corners in a part and in detections.parquet (absent / NaN: axis-aligned model)."""

PARTS_DIR = "parts"
RUN_JSON = "run.json"


def part_path(out_dir: Path, frame_id: str, params_hash: str) -> Path:
    return out_dir / PARTS_DIR / f"{frame_id}-{params_hash}.parquet"


def failure_path(out_dir: Path, frame_id: str, params_hash: str) -> Path:
    return out_dir / PARTS_DIR / f"{frame_id}-{params_hash}.failed.json"


def write_part(path: Path, dets: Detections, names: dict[int, str], frame: Frame, stats: SliceStats | None) -> None:
    """A frame's raw detections (all source classes), best first, with the frame's computed metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    boxes = np.asarray(dets.boxes, np.float32).reshape(-1, 4)
    order = np.lexsort((boxes[:, 0], boxes[:, 1], -np.asarray(dets.scores, np.float64)))
    boxes, scores, classes = boxes[order], np.asarray(dets.scores, np.float32)[order], dets.class_ids[order]
    columns = {
        "source_class": pa.array([names.get(int(c), str(int(c))) for c in classes], pa.string()),
        "score": pa.array(scores, pa.float32()),
        "x_min": pa.array(boxes[:, 0], pa.float32()),
        "y_min": pa.array(boxes[:, 1], pa.float32()),
        "x_max": pa.array(boxes[:, 2], pa.float32()),
        "y_max": pa.array(boxes[:, 3], pa.float32()),
    }
    if dets.corners is not None:
        corners = np.asarray(dets.corners, np.float32).reshape(-1, 4, 2)[order]
        for k, name in enumerate(CORNER_COLUMNS):
            columns[name] = pa.array(corners[:, k // 2, k % 2], pa.float32())
    table = pa.table(columns)
    meta = {
        "frame_id": frame.frame_id,
        "width": frame.width,
        "height": frame.height,
        "footprint_wkb": None if frame.footprint is None else shapely.to_wkb(frame.footprint, hex=True),
        "stats": None if stats is None else {k: v for k, v in asdict(stats).items() if k != "batch_sizes"},
        "names": {str(k): v for k, v in names.items()},  # what the model could output: run.json's classes on resume
        "written_at": datetime.now(UTC).isoformat(),
    }
    table = table.replace_schema_metadata({b"borderwatch": json.dumps(meta).encode()})
    with atomic_path(path, clean_stale=False) as tmp:  # the run cleans parts/ once, at its start
        pq.write_table(table, tmp)


def part_corners(table) -> np.ndarray | None:
    """(n, 4, 2) oriented-box corners of a part's rows, or None when the model gave axis-aligned boxes."""
    if not all(name in table.column_names for name in CORNER_COLUMNS):
        return None
    flat = np.stack([table.column(name).to_numpy() for name in CORNER_COLUMNS], axis=1).astype(np.float32)
    return flat.reshape(-1, 4, 2)


def read_part(path: Path):
    """The part's table and metadata; raises on a damaged file (the frame is then recomputed)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(b"borderwatch", b"{}"))
    return table, meta


def part_names(path: Path) -> dict[int, str] | None:
    """The model's class names a part was written with (None: an older part, or unreadable)."""
    import pyarrow.parquet as pq

    try:
        meta = json.loads((pq.read_schema(path).metadata or {}).get(b"borderwatch", b"{}"))
        names = meta.get("names")
        return {int(k): str(v) for k, v in names.items()} if isinstance(names, dict) and names else None
    except (OSError, ValueError, AttributeError):
        return None


def remove_stale_temporaries(out_dir: Path) -> list[Path]:
    """Delete the temporary files of writes that a killed run left half done.

    ``atomic_path`` writes ``.<name>.<random>.part`` beside its target and renames it when complete,
    so these files are never mistaken for results; a process killed mid-write (SIGKILL, power loss)
    cannot remove its own, so the next run does.
    """
    removed = []
    ours = [out_dir.glob(f".{name}.*.part") for name in (DETECTIONS.name, FRAMES.name, RUN_JSON)]
    for tmp in [*(out_dir / PARTS_DIR).glob(".*.part"), *(p for found in ours for p in found)]:
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed
