"""Synthetic test data: GeoTIFFs at real places, photos with EXIF, broken files.

Everything is written into a folder the test gives (``tmp_path``); nothing is read from ../shared.
Vehicles are drawn as bright rectangles on a dark background so a stand-in predictor can find them
exactly (see ``BrightBoxPredictor``).
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from borderwatch.detector.types import Detections

# Hyesan, Ryanggang (41.39 N, 128.18 E) in UTM zone 52N: easting/northing of a point in the city.
HYESAN_LON, HYESAN_LAT = 128.18, 41.39
HYESAN_UTM = "EPSG:32652"


def hyesan_origin() -> tuple[float, float]:
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", HYESAN_UTM, always_xy=True).transform(HYESAN_LON, HYESAN_LAT)
    return float(x), float(y)


def draw_vehicles(width: int, height: int, boxes: Sequence[tuple[int, ...]], level: int = 230) -> np.ndarray:
    """A dark (height, width) uint8 image with bright filled boxes (x0, y0, x1, y1[, level]), x1/y1 exclusive."""
    img = np.full((height, width), 20, np.uint8)
    for box in boxes:
        x0, y0, x1, y1 = box[:4]
        img[y0:y1, x0:x1] = box[4] if len(box) > 4 else level
    return img


def write_test_geotiff(
    path: Path,
    width: int = 256,
    height: int = 256,
    bands: int = 3,
    dtype: str = "uint8",
    boxes: Sequence[tuple[int, int, int, int]] = (),
    gsd: float = 0.5,
    crs: str | None = HYESAN_UTM,
    transform=None,
    nodata: float | None = None,
    nodata_cols: int = 0,
    alpha: bool = False,
    tags: dict | None = None,
    tiled: bool = True,
    rotation_deg: float = 0.0,
    scale16: int = 4000,
    blocksize: int = 128,
) -> Path:
    """Write a GeoTIFF with bright ``boxes`` on a dark ground at Hyesan.

    ``nodata_cols`` left columns are set to ``nodata`` (or transparent with ``alpha``);
    ``dtype='uint16'`` scales values so 20 -> ~300 and 230 -> ``scale16``, as 11-bit satellite data.
    ``rotation_deg`` rotates the pixel grid about the top-left corner.
    """
    import rasterio
    from affine import Affine

    img = draw_vehicles(width, height, boxes)
    if dtype == "uint8":
        band = img
    elif dtype in ("uint16", "int16"):
        band = (img.astype(np.float64) / 230.0 * scale16).astype(dtype)
    else:
        band = (img.astype(np.float64) / 230.0).astype(dtype)
    data = np.stack([band] * bands)
    if transform is None and crs is not None:
        x, y = hyesan_origin()
        transform = Affine.translation(x, y) @ Affine.rotation(rotation_deg) @ Affine.scale(gsd, -gsd)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": bands + (1 if alpha else 0),
        "dtype": dtype,
        "compress": "deflate",
    }
    if tiled:
        profile.update(tiled=True, blockxsize=blocksize, blockysize=blocksize)
    if crs is not None:
        profile["crs"] = crs
    if transform is not None:
        profile["transform"] = transform
    if nodata is not None:
        profile["nodata"] = nodata
        data[:, :, :nodata_cols] = nodata
    if alpha:
        a = np.full((1, height, width), 255, dtype)
        a[:, :, :nodata_cols] = 0
        data = np.concatenate([data, a])
        profile["photometric"] = "RGB" if bands == 3 else "MINISBLACK"
        profile["alpha"] = "YES"  # GTiff creation option: ExtraSamples marks the last band as alpha
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        dst = rasterio.open(path, "w", **profile)
    with dst:
        dst.write(data)
        if tags:
            dst.update_tags(**tags)
    return path


def exif_bytes(
    when: datetime | str | None = None,
    offset: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    orientation: int | None = None,
    raw_lat: tuple | None = None,
) -> bytes:
    """An EXIF block (Pillow) with DateTimeOriginal, OffsetTimeOriginal, GPS and orientation."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if when is not None:
        sub[ExifTags.Base.DateTimeOriginal] = when if isinstance(when, str) else when.strftime("%Y:%m:%d %H:%M:%S")
    if offset is not None:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if lat is not None or raw_lat is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)

        def dms(v: float) -> tuple[float, float, float]:
            v = abs(v)
            d = int(v)
            m = int((v - d) * 60)
            s = round(((v - d) * 60 - m) * 60, 4)
            return (float(d), float(m), float(s))

        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if (lat or 0) >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = raw_lat if raw_lat is not None else dms(lat)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if (lon or 0) >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = dms(lon or 0.0)
    return exif.tobytes()


def write_test_photo(
    path: Path,
    width: int = 320,
    height: int = 240,
    boxes: Sequence[tuple[int, int, int, int]] = (),
    exif: bytes | None = None,
    mode: str = "RGB",
) -> Path:
    """A photo with bright boxes; format from the suffix (JPEG quality high so boxes stay sharp)."""
    from PIL import Image

    gray = draw_vehicles(width, height, boxes)
    image = Image.fromarray(gray).convert(mode)
    kwargs = {}
    if path.suffix.lower() in (".jpg", ".jpeg"):
        kwargs["quality"] = 95
    if exif is not None:
        kwargs["exif"] = exif
    image.save(path, **kwargs)
    return path


def write_bomb_png(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A PNG header that claims ``width`` x ``height`` pixels, with a few bytes of (invalid) data."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(body)
    return path


def write_huge_header_tiff(path: Path, width: int = 100_000, height: int = 100_000, tile: int = 256) -> Path:
    """A tiled GeoTIFF header claiming ``width`` x ``height`` px whose tiles all point past the file's end.

    Written by hand: a little-endian TIFF with one IFD, deflate-compressed 3-band uint8 tiles whose
    offsets and byte counts are plausible numbers but no pixel data follows.
    """
    tiles_across = -(-width // tile)
    tiles_down = -(-height // tile)
    n_tiles = tiles_across * tiles_down
    entries: list[tuple[int, int, int, bytes | int]] = []
    # tag, type, count, value (int inline or bytes stored after the IFD)
    SHORT, LONG = 3, 4
    ifd_offset = 8
    n_entries = 11
    data_start = ifd_offset + 2 + n_entries * 12 + 4
    bits = struct.pack("<3H", 8, 8, 8)
    bits_at = data_start
    offsets_at = bits_at + len(bits)
    counts_at = offsets_at + 4 * n_tiles
    file_end = counts_at + 4 * n_tiles
    fake_start = file_end + 1024  # every tile lies beyond the end of the file
    offsets = struct.pack(f"<{n_tiles}I", *[(fake_start + 4096 * i) & 0xFFFFFFFF for i in range(n_tiles)])
    counts = struct.pack(f"<{n_tiles}I", *([4096] * n_tiles))
    entries = [
        (256, LONG, 1, width),
        (257, LONG, 1, height),
        (258, SHORT, 3, bits_at),
        (259, SHORT, 1, 8),  # deflate
        (262, SHORT, 1, 2),  # RGB
        (277, SHORT, 1, 3),
        (284, SHORT, 1, 1),
        (322, SHORT, 1, tile),
        (323, SHORT, 1, tile),
        (324, LONG, n_tiles, offsets_at),
        (325, LONG, n_tiles, counts_at),
    ]
    assert len(entries) == n_entries
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_offset))
    out += struct.pack("<H", n_entries)
    for tag, typ, count, value in entries:
        if typ == SHORT and count == 1:
            out += struct.pack("<HHIHH", tag, typ, count, value, 0)
        else:
            out += struct.pack("<HHII", tag, typ, count, value)
    out += struct.pack("<I", 0)
    assert len(out) == data_start
    out += bits + offsets + counts
    path.write_bytes(bytes(out))
    return path


class BrightBoxPredictor:
    """A deterministic stand-in model: each 4-connected bright blob in a tile is one detection.

    A blob cut by the tile edge is reported as its visible part, as a real model sees a partial
    vehicle. ``class_of_level`` picks a class id from the blob's mean brightness (default: class 0),
    so a cut piece keeps its class.
    ``calls`` counts predict() calls and ``tiles`` the tiles seen; ``fail_after`` raises on the call
    after that many, to simulate the model crashing in the middle of a run.
    """

    def __init__(self, names: dict[int, str] | None = None, threshold: int = 128, fail_after: int | None = None,
                 class_of_level=None):
        self.names = names or {0: "car", 1: "person"}
        self.threshold = threshold
        self.fail_after = fail_after
        self.calls = 0
        self.tiles = 0
        self.class_of_level = class_of_level  # (mean brightness) -> class id; default: everything is class 0

    def predict(self, tiles: list[np.ndarray]) -> list[Detections]:
        import cv2

        if self.fail_after is not None and self.calls >= self.fail_after:
            raise RuntimeError("simulated crash")
        self.calls += 1
        self.tiles += len(tiles)
        out = []
        for tile in tiles:
            bright = (tile[..., :3].max(axis=2) >= self.threshold).astype(np.uint8)
            n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
            boxes, classes = [], []
            for label in range(1, n):  # label 0 is the background
                x, y, w, h, _ = stats[label]
                boxes.append((x, y, x + w, y + h))
                if self.class_of_level is None:
                    classes.append(0)
                else:
                    level = float(tile[..., 0][labels == label].mean())
                    classes.append(self.class_of_level(level))
            if boxes:
                out.append(
                    Detections(
                        np.array(boxes, np.float32), np.full(len(boxes), 0.9, np.float32), np.array(classes, np.int64)
                    )
                )
            else:
                out.append(Detections.empty())
        return out


def read_run_tables(out):
    """A run's detections and frames tables in a fixed row order, for comparing runs."""
    import pyarrow.parquet as pq

    dets = pq.read_table(out / "detections.parquet").to_pandas()
    frames = pq.read_table(out / "frames.parquet").to_pandas()
    return (
        dets.sort_values("detection_id").reset_index(drop=True),
        frames.sort_values(["frame_id", "source_path"]).reset_index(drop=True),
    )
