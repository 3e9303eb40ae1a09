"""Tile sources: photos decoded with Pillow, rasters read window by window with rasterio.

Both hand the engine RGB uint8 windows and a mask of valid pixels. A raster is never read whole: the
colour stretch for 16-bit and float data and the footprint of valid data come from one decimated
read (GDAL serves it from overviews when the file has them), and each tile is its own windowed read,
so memory does not grow with the raster. The stretch is fixed per raster, not per tile, so a car
looks the same on either side of a seam.

Georeferencing: pixel boxes become polygons through the affine transform's four corners (rotated
and sheared transforms work) and then pyproj to EPSG:4326, always in lon/lat order. A raster whose
corners do not land on the Earth (non-finite, or megametre pixels) is refused; a polygon that crosses
the antimeridian is split into its parts east and west of it, so none spans the globe.

Float data: NaN, infinities and values of magnitude ``FLOAT_SENTINEL`` or more (3.4e38 is a common
nodata fill) are not data: they are left out of the stretch and masked like nodata, with a warning
saying how much of the raster they are. Complex samples (SAR) are refused with a reason.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

import numpy as np

from borderwatch.detector.exif import ExifInfo, read_exif
from borderwatch.detector.types import TileData
from borderwatch.errors import InputError, one_line
from borderwatch.tiling import Window

MAX_PHOTO_PIXELS = 400_000_000
"""Photos are decoded whole; above this a file is refused as a likely decompression bomb."""

MAX_BLOCK_BYTES = 256 * 2**20
"""A raster whose single compressed block decodes to more than this cannot be read by window."""

OVERVIEW_SIZE = 1024
"""Longest side of the decimated read used for the stretch and the footprint."""

STRETCH_PERCENTILES = (2.0, 98.0)

FLOAT_SENTINEL = 1e30
"""Float samples this large are fill values or overflow, never radiance or reflectance."""

OUTLIER_WARN_FRACTION = 0.01

# Tags in which GeoTIFF writers and GDAL's imagery-metadata readers put an acquisition time, best first.
_TIME_TAGS = (
    ("IMAGERY", "ACQUISITIONDATETIME"),
    (None, "ACQUISITIONDATETIME"),
    (None, "ACQUISITION_DATETIME"),
    (None, "ACQUISITION_DATE"),
    (None, "ACQUISITION_TIME"),
    (None, "DATE_ACQUIRED"),
    (None, "IMAGING_DATE"),
    (None, "CAPTURE_DATE"),
    (None, "DATETIME_ORIGINAL"),
    (None, "TIFFTAG_DATETIME"),  # the file's own time: often processing, used only when nothing better
)


def stretch_to_uint8(data: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Linear stretch of (bands, h, w) data from per-band [lo, hi] to 0..255."""
    lo = np.asarray(lo, np.float32).reshape(-1, 1, 1)
    span = np.maximum(np.asarray(hi, np.float32).reshape(-1, 1, 1) - lo, np.float32(1e-6))
    scaled = (data.astype(np.float32) - lo) * (np.float32(255.0) / span)
    np.nan_to_num(scaled, copy=False, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def usable_samples(data: np.ndarray) -> np.ndarray:
    """Per pixel of (bands, h, w) float data: every band finite and below ``FLOAT_SENTINEL``."""
    with np.errstate(invalid="ignore"):
        return (np.isfinite(data) & (np.abs(data) < FLOAT_SENTINEL)).all(axis=0)


def split_antimeridian(geom):
    """A lon/lat polygon that crosses 180 degrees as a MultiPolygon of its parts on either side.

    A footprint or box is never wider than 180 degrees, so one whose longitudes span more wraps
    around: its western longitudes are shifted by +360, it is cut at 180 and the far part shifted
    back. Anything else is returned as it is.
    """
    import shapely
    from shapely import affinity
    from shapely.geometry import MultiPolygon, box

    if geom is None or geom.is_empty:
        return geom
    minx, _, maxx, _ = geom.bounds
    if not (maxx - minx > 180.0):
        return geom

    def east_of_zero(coords):
        coords = coords.copy()
        coords[:, 0] = np.where(coords[:, 0] < 0, coords[:, 0] + 360.0, coords[:, 0])
        return coords

    shifted = shapely.transform(geom, east_of_zero)
    near = shapely.intersection(shifted, box(-180.0, -90.0, 180.0, 90.0))
    far = affinity.translate(shapely.intersection(shifted, box(180.0, -90.0, 540.0, 90.0)), -360.0)
    parts = [p for g in (near, far) for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]
    return MultiPolygon(parts) if parts else geom


def percentile_limits(
    data: np.ndarray, valid: np.ndarray | None, percentiles: Sequence[float] = STRETCH_PERCENTILES
) -> tuple[np.ndarray, np.ndarray]:
    """Per-band stretch limits of (bands, h, w) data over valid, finite pixels."""
    lows, highs = [], []
    for band in data:
        values = band[valid] if valid is not None else band.ravel()
        values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
        if values.size == 0:
            lows.append(0.0)
            highs.append(1.0)
            continue
        lo, hi = np.percentile(values, percentiles)
        if hi <= lo:  # a flat band: keep its level visible rather than dividing by zero
            hi = lo + 1.0
        lows.append(float(lo))
        highs.append(float(hi))
    return np.array(lows, np.float32), np.array(highs, np.float32)


def _clip_window(window: Window, width: int, height: int) -> tuple[int, int, int, int]:
    c0, r0 = max(window.col, 0), max(window.row, 0)
    c1, r1 = min(window.col + window.width, width), min(window.row + window.height, height)
    return c0, r0, max(c1 - c0, 0), max(r1 - r0, 0)


def _pad(window: Window, c0: int, r0: int, rgb: np.ndarray, valid: np.ndarray | None) -> TileData:
    """Place a clipped read into a window that runs past the frame; the outside is invalid."""
    h, w = rgb.shape[:2]
    if (w, h) == (window.width, window.height):
        return TileData(window, rgb, valid)
    out = np.zeros((window.height, window.width, 3), np.uint8)
    mask = np.zeros((window.height, window.width), bool)
    y, x = r0 - window.row, c0 - window.col
    out[y : y + h, x : x + w] = rgb
    mask[y : y + h, x : x + w] = True if valid is None else valid
    return TileData(window, out, mask)


# ---------------------------------------------------------------------------------------------- photos


@contextlib.contextmanager
def _pillow_limit_off() -> Iterator[None]:
    """Let Image.open read the header of any size; our own limit is checked right after.

    Pillow's built-in guard is a process-wide setting that refuses photos above ~179 MP outright;
    we apply our documented limit instead, then put Pillow's setting back.
    """
    from PIL import Image

    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _pillow_open():
    """``Image.open`` as Pillow wrote it.

    Importing ultralytics replaces ``Image.open`` with a wrapper that, on a file Pillow cannot
    identify, tries to pip-install a HEIF plugin and raises ModuleNotFoundError when it cannot: a
    corrupt photo would then reach for the network or stop the run. The wrapper keeps the original
    in its module's ``_image_open``; follow that back to Pillow's own function.
    """
    from PIL import Image

    opener = Image.open
    for _ in range(4):
        if getattr(opener, "__module__", None) == "PIL.Image":
            return opener
        opener = getattr(opener, "__globals__", {}).get("_image_open")
        if opener is None:
            break
    return Image.open


_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}  # EXIF orientations that rotate by 90 degrees
_HIGH_DEPTH_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}


class ImageSource:
    """A photo (JPEG, PNG, WebP, BMP, ...) decoded once, in its EXIF orientation.

    Opening reads only the header and EXIF; pixels are decoded on the first :meth:`read`.
    """

    def __init__(self, path: str | Path, tz: tzinfo, max_pixels: int = MAX_PHOTO_PIXELS):
        from PIL import UnidentifiedImageError

        self.path = Path(path)
        try:
            with _pillow_limit_off():
                self._image = _pillow_open()(self.path)
        except UnidentifiedImageError:
            raise InputError("not an image Pillow can read (corrupt, empty or unsupported)", path) from None
        except (OSError, ValueError, SyntaxError, ImportError) as exc:
            raise InputError(f"cannot open image: {one_line(exc)}", path) from exc
        w, h = self._image.size
        if w < 1 or h < 1:
            raise InputError(f"image has no pixels ({w}x{h})", path)
        if w * h > max_pixels:
            self._image.close()
            raise InputError(
                f"{w}x{h} = {w * h / 1e6:.0f} MP exceeds the {max_pixels / 1e6:.0f} MP limit for photos "
                "(decompression bomb?); convert large images to a tiled GeoTIFF",
                path,
            )
        self.exif: ExifInfo = read_exif(self._image, tz, str(self.path))
        try:
            orientation = int(self._image.getexif().get(0x0112, 1))
        except Exception:
            orientation = 1
        self.width, self.height = (h, w) if orientation in _SWAPPING_ORIENTATIONS else (w, h)
        self.bands = len(self._image.getbands())
        mode = self._image.mode
        self.dtype = {"I;16": "uint16", "I;16B": "uint16", "I;16L": "uint16", "I;16N": "uint16", "I": "int32", "F": "float32"}.get(
            mode, "uint8"
        )
        self._rgb: np.ndarray | None = None
        self._valid: np.ndarray | None = None

    def _decode(self) -> None:
        from PIL import Image, ImageOps

        try:
            with _pillow_limit_off():
                image = ImageOps.exif_transpose(self._image)
                image.load()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise InputError(f"cannot decode image: {exc}", self.path) from exc
        valid = None
        if image.mode in _HIGH_DEPTH_MODES:
            data = np.asarray(image)[None].astype(np.float32)
            lo, hi = percentile_limits(data, None)
            rgb = np.repeat(stretch_to_uint8(data, lo, hi)[0][..., None], 3, axis=2)
        else:
            has_alpha = "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info)
            if has_alpha:
                rgba = np.asarray(image.convert("RGBA"))
                rgb = np.ascontiguousarray(rgba[..., :3])
                alpha = rgba[..., 3] > 0
                valid = None if alpha.all() else alpha
            else:
                rgb = np.asarray(image.convert("RGB"))
        self._rgb, self._valid = rgb, valid
        self.width, self.height = rgb.shape[1], rgb.shape[0]
        self._image.close()

    def read(self, window: Window) -> TileData:
        if self._rgb is None:
            self._decode()
        assert self._rgb is not None
        c0, r0, w, h = _clip_window(window, self.width, self.height)
        rgb = self._rgb[r0 : r0 + h, c0 : c0 + w]
        valid = None if self._valid is None else self._valid[r0 : r0 + h, c0 : c0 + w]
        return _pad(window, c0, r0, np.ascontiguousarray(rgb), valid)

    def close(self) -> None:
        self._image.close()
        self._rgb = self._valid = None

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------------------------- rasters


def crs_label(crs) -> str | None:
    """EPSG:n when the CRS has an EPSG code, else its WKT."""
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def georeference_boxes(boxes: np.ndarray, transform: Sequence[float], crs: str) -> list:
    """Pixel boxes (n, 4) as shapely polygons in EPSG:4326, through all four corners of each box."""
    from borderwatch.boxes import box_corners

    return georeference_corners(box_corners(boxes), transform, crs)


def georeference_corners(corners: np.ndarray, transform: Sequence[float], crs: str) -> list:
    """Pixel quadrilaterals (n, 4, 2) -- oriented boxes, or boxes' corners -- as polygons in EPSG:4326."""
    import shapely
    from pyproj import CRS, Transformer

    corners = np.asarray(corners, np.float64).reshape(-1, 4, 2)
    if len(corners) == 0:
        return []
    a, b, c, d, e, f = (float(v) for v in transform[:6])
    cols, rows = corners[..., 0], corners[..., 1]
    xs = a * cols + b * rows + c
    ys = d * cols + e * rows + f
    to_wgs84 = Transformer.from_crs(CRS.from_user_input(crs), CRS.from_epsg(4326), always_xy=True)
    lon, lat = to_wgs84.transform(xs.ravel(), ys.ravel())
    coords = np.stack([np.asarray(lon).reshape(xs.shape), np.asarray(lat).reshape(ys.shape)], axis=-1)
    polygons = list(shapely.polygons(coords))
    spans = coords[..., 0].max(axis=1) - coords[..., 0].min(axis=1)
    return [split_antimeridian(p) if s > 180.0 else p for p, s in zip(polygons, spans, strict=True)]


def parse_tag_time(value: str, tz: tzinfo) -> datetime:
    from borderwatch.detector.manifest import parse_time

    return parse_time(value, tz)


@dataclass
class _Overview:
    lo: np.ndarray | None
    hi: np.ndarray | None
    footprint: object | None  # shapely geometry in EPSG:4326, or None without georeferencing
    valid_fraction: float


class RasterSource:
    """A raster read window by window; georeferenced when ``georeferenced`` is True.

    With ``georeferenced=False`` (a TIFF that the manifest says is a photo) the CRS and transform
    are ignored and no footprint is computed.
    """

    def __init__(
        self,
        path: str | Path,
        tz: tzinfo,
        georeferenced: bool = True,
        overview_size: int = OVERVIEW_SIZE,
        max_block_bytes: int = MAX_BLOCK_BYTES,
    ):
        import rasterio
        from rasterio.enums import ColorInterp, MaskFlags
        from rasterio.errors import NotGeoreferencedWarning, RasterioError

        self.path = Path(path)
        self.overview_size = overview_size
        self.warnings: list[str] = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                self._ds = rasterio.open(self.path)
        except RasterioError as exc:
            raise InputError(f"cannot open raster: {_gdal_message(exc)}", path) from exc
        ds = self._ds
        try:
            self.width, self.height, self.bands = ds.width, ds.height, ds.count
            self.dtype = ds.dtypes[0]
            if np.dtype(self.dtype).kind == "c":
                raise InputError(
                    f"{self.dtype} samples are complex numbers (SAR phase and amplitude), not an image a "
                    "detector can see; convert to amplitude first (e.g. gdal_translate -ot Float32 with a "
                    "magnitude VRT)", path)
            if self.width < 1 or self.height < 1 or self.bands < 1:
                raise InputError(f"raster has no pixels ({self.width}x{self.height}, {self.bands} bands)", path)
            self._check_blocks(max_block_bytes)

            interp = list(ds.colorinterp)
            alpha = [i + 1 for i, ci in enumerate(interp) if ci == ColorInterp.alpha]
            data_bands = [i + 1 for i in range(ds.count) if i + 1 not in alpha]
            rgb = [interp.index(ci) + 1 for ci in (ColorInterp.red, ColorInterp.green, ColorInterp.blue) if ci in interp]
            if len(rgb) == 3:
                self._rgb_bands = rgb
            elif len(data_bands) >= 3:
                self._rgb_bands = data_bands[:3]
            else:
                self._rgb_bands = [data_bands[0] if data_bands else 1] * 3
            self._read_bands = sorted(set(self._rgb_bands))

            flags = ds.mask_flag_enums[self._rgb_bands[0] - 1]
            self._nodata = ds.nodata
            if MaskFlags.alpha in flags and alpha:
                self._mask_mode, self._alpha_band = "alpha", alpha[0]
            elif MaskFlags.per_dataset in flags:
                self._mask_mode, self._alpha_band = "dataset", None
            elif MaskFlags.nodata in flags and self._nodata is not None:
                self._mask_mode, self._alpha_band = "nodata", None
            else:
                self._mask_mode, self._alpha_band = "none", None
            self._needs_stretch = self.dtype != "uint8"

            self.georeferenced = georeferenced
            self.crs: str | None = None
            self.transform: tuple[float, ...] | None = None
            self.gsd_m: float | None = None
            if georeferenced:
                self._georeference()
            self.captured_tag: str | None = None
            self.captured_at = self._tag_time(tz)
        except BaseException:
            ds.close()
            raise
        self._overview_cache: _Overview | None = None

    # -- metadata

    def _check_blocks(self, max_block_bytes: int) -> None:
        rows, cols = self._ds.block_shapes[0]
        itemsize = np.dtype(self.dtype).itemsize
        interleaved = self._ds.interleaving is not None and self._ds.interleaving.name == "PIXEL"
        block_bytes = rows * cols * itemsize * (self.bands if interleaved else 1)
        if block_bytes > max_block_bytes:
            raise InputError(
                f"blocks of {cols}x{rows} px ({block_bytes / 2**20:.0f} MiB) are too big to read by window; "
                "rewrite it tiled, e.g. gdal_translate -co TILED=YES -co COMPRESS=DEFLATE in.tif out.tif",
                self.path,
            )

    def _georeference(self) -> None:
        from affine import Affine
        from rasterio.transform import from_gcps

        ds = self._ds
        crs, transform = ds.crs, ds.transform
        if transform.is_identity and ds.gcps[0]:
            gcps, gcp_crs = ds.gcps
            transform, crs = from_gcps(gcps), gcp_crs
        if crs is None:
            raise InputError(
                "no CRS: cannot place detections on the map; give kind photo in a manifest "
                "(or --kind photo) to treat it as a plain image",
                self.path,
            )
        if transform.is_identity:
            raise InputError("has a CRS but no geotransform (identity transform): cannot georeference", self.path)
        if not all(math.isfinite(v) for v in transform[:6]) or abs(transform.determinant) < 1e-18:
            raise InputError(f"degenerate transform {tuple(transform)[:6]} (zero pixel size)", self.path)
        self.crs = crs_label(crs)
        self.transform = tuple(float(v) for v in Affine(*transform[:6])[:6])
        self._check_on_earth()
        self.gsd_m = self._gsd()

    def _check_on_earth(self) -> None:
        """Refuse a raster whose corners and centre do not map to finite lon/lat on the Earth and back."""
        from pyproj import CRS, Transformer

        a, b, c, d, e, f = self.transform
        cols = np.array([0, self.width, self.width, 0, self.width / 2], np.float64)
        rows = np.array([0, 0, self.height, self.height, self.height / 2], np.float64)
        xs, ys = a * cols + b * rows + c, d * cols + e * rows + f
        crs = CRS.from_user_input(self.crs)
        forward = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
        with np.errstate(all="ignore"):
            lon, lat = (np.asarray(v, np.float64) for v in forward.transform(xs, ys))
            ok = np.isfinite(lon).all() and np.isfinite(lat).all() and (np.abs(lat) <= 90).all()
            if ok and not crs.is_geographic:
                back_x, back_y = forward.transform(lon, lat, direction="INVERSE")
                scale = max(abs(a), abs(b), abs(d), abs(e), 1.0)
                ok = bool(np.all(np.hypot(np.asarray(back_x) - xs, np.asarray(back_y) - ys) <= scale))
            elif ok:
                ok = bool((np.abs(lon) <= 360).all())
        if not ok:
            size = math.hypot(a, d)
            raise InputError(
                f"its corners lie off the Earth or are not finite in {self.crs} (pixels of {size:.4g} units); "
                "the geotransform or the CRS is wrong", self.path)

    def _gsd(self) -> float | None:
        """Metres per pixel at the raster's centre, measured on the ellipsoid (any CRS)."""
        from pyproj import Geod

        span = max(1, min(100, self.width // 2, self.height // 2))
        cx, cy = self.width / 2, self.height / 2
        pts = np.array([[cx, cy, cx + span, cy + span]], np.float64)
        polygon = georeference_boxes(pts, self.transform, self.crs)[0]
        if polygon.geom_type != "Polygon":  # split at the antimeridian: measure in pixels nearby instead
            pts = pts - np.array([[span, span, span, span]], np.float64)
            polygon = georeference_boxes(pts, self.transform, self.crs)[0]
            if polygon.geom_type != "Polygon":
                return None
        (x0, y0), (x1, y1), _, (x3, y3) = list(polygon.exterior.coords)[:4]
        geod = Geod(ellps="WGS84")
        _, _, along_row = geod.inv(x0, y0, x1, y1)
        _, _, along_col = geod.inv(x0, y0, x3, y3)
        gsd = math.sqrt(abs(along_row * along_col)) / span
        return gsd if math.isfinite(gsd) and gsd > 0 else None

    def _tag_time(self, tz: tzinfo) -> datetime | None:
        for namespace, key in _TIME_TAGS:
            try:
                tags = self._ds.tags(ns=namespace) if namespace else self._ds.tags()
            except Exception:
                continue
            value = tags.get(key)
            if not value:
                continue
            try:
                parsed = parse_tag_time(value, tz)
            except (ValueError, OverflowError) as exc:
                self.warnings.append(f"{self.path}: TIFF tag {key} ignored: {exc}")
                continue
            self.captured_tag = key
            return parsed
        return None

    # -- decimated read: stretch and footprint

    def _overview(self) -> _Overview:
        if self._overview_cache is not None:
            return self._overview_cache
        from rasterio.enums import Resampling

        factor = max(1, math.ceil(max(self.width, self.height) / self.overview_size))
        shape = (math.ceil(self.height / factor), math.ceil(self.width / factor))
        valid = None
        lo = hi = None
        with self._errors("decimated read"):
            if self._mask_mode != "none":
                valid = self._ds.dataset_mask(out_shape=shape, resampling=Resampling.nearest) > 0
            if self._needs_stretch:
                data = self._ds.read(self._read_bands, out_shape=(len(self._read_bands), *shape), resampling=Resampling.nearest)
                if data.dtype.kind == "f":
                    usable = usable_samples(data)
                    self._warn_unusable(usable, valid)
                    valid = usable if valid is None else valid & usable
                lo, hi = percentile_limits(data, valid)
        valid_fraction = 1.0 if valid is None else float(valid.mean())
        footprint = None
        if self.georeferenced:
            footprint = self._footprint(valid, shape)
        self._overview_cache = _Overview(lo, hi, footprint, valid_fraction)
        return self._overview_cache

    def _warn_unusable(self, usable: np.ndarray, valid: np.ndarray | None) -> None:
        import warnings as _warnings

        from borderwatch.errors import BorderwatchWarning

        inside = usable if valid is None else usable[valid]
        share = 1.0 - float(inside.mean()) if inside.size else 0.0
        if share >= OUTLIER_WARN_FRACTION:
            message = (
                f"{self.path}: {share:.0%} of the float samples are NaN, infinite or outliers beyond "
                f"{FLOAT_SENTINEL:g}; they are masked and left out of the normalisation (check the nodata value)"
            )
            self.warnings.append(message)
            _warnings.warn(BorderwatchWarning(message), stacklevel=3)

    def _footprint(self, valid: np.ndarray | None, shape: tuple[int, int]):
        import shapely
        from affine import Affine
        from pyproj import CRS, Transformer
        from rasterio import features
        from shapely.geometry import shape as to_shape
        from shapely.ops import transform as map_coords

        if valid is None or valid.all():
            whole = np.array([[0, 0, self.width, self.height]], np.float64)
            return georeference_boxes(whole, self.transform, self.crs)[0]
        if not valid.any():
            return shapely.Polygon()
        # Polygonise in pixel units of the full raster, simplify there (one decimated pixel), then map.
        scale = Affine.scale(self.width / shape[1], self.height / shape[0])
        parts = [to_shape(g) for g, v in features.shapes(valid.astype(np.uint8), mask=valid, transform=scale) if v]
        pixel_geom = shapely.union_all(parts).simplify(max(self.width / shape[1], self.height / shape[0]))
        a, b, c, d, e, f = self.transform[:6]
        to_wgs84 = Transformer.from_crs(CRS.from_user_input(self.crs), CRS.from_epsg(4326), always_xy=True)

        def project(x, y):
            x, y = np.asarray(x), np.asarray(y)
            gx, gy = a * x + b * y + c, d * x + e * y + f
            return to_wgs84.transform(gx, gy)

        return split_antimeridian(map_coords(project, pixel_geom)) if not pixel_geom.is_empty else pixel_geom

    @property
    def footprint(self):
        """Polygon of valid pixels in EPSG:4326 (None without georeferencing)."""
        return self._overview().footprint

    @property
    def valid_fraction(self) -> float:
        return self._overview().valid_fraction

    @property
    def stretch(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per-band (low, high) limits mapped to 0 and 255; None for 8-bit rasters."""
        ov = self._overview()
        return None if ov.lo is None else (ov.lo, ov.hi)

    # -- windows

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        from rasterio.errors import RasterioError

        try:
            yield
        except InputError:
            raise
        except (RasterioError, MemoryError) as exc:
            raise InputError(f"{what} failed: {_gdal_message(exc)}", self.path) from exc
        except Exception as exc:  # GDAL's CPLE_* errors (corrupt blocks) are not RasterioError subclasses
            if type(exc).__module__.startswith("rasterio"):
                raise InputError(f"{what} failed: {_gdal_message(exc)}", self.path) from exc
            raise

    def read(self, window: Window) -> TileData:
        from rasterio.windows import Window as RioWindow

        overview = self._overview() if self._needs_stretch else None
        c0, r0, w, h = _clip_window(window, self.width, self.height)
        if w == 0 or h == 0:
            return _pad(window, c0, r0, np.zeros((0, 0, 3), np.uint8), None)
        rio_window = RioWindow(c0, r0, w, h)
        indexes = list(self._read_bands)
        if self._mask_mode == "alpha":
            indexes.append(self._alpha_band)
        with self._errors(f"reading window col {c0} row {r0} ({w}x{h})"):
            data = self._ds.read(indexes, window=rio_window)
            valid = None
            if self._mask_mode == "alpha":
                valid = data[-1] > 0
                data = data[:-1]
            elif self._mask_mode == "dataset":
                valid = self._ds.dataset_mask(window=rio_window) > 0
            elif self._mask_mode == "nodata":
                nodata = self._nodata
                invalid = np.isnan(data) if isinstance(nodata, float) and math.isnan(nodata) else data == nodata
                valid = ~invalid.all(axis=0)
        if data.dtype.kind == "f":
            usable = usable_samples(data)
            valid = usable if valid is None else valid & usable
        position = {b: i for i, b in enumerate(self._read_bands)}
        if overview is not None:
            data = stretch_to_uint8(data, overview.lo, overview.hi)
        elif data.dtype != np.uint8:
            data = data.astype(np.uint8)
        rgb = np.stack([data[position[b]] for b in self._rgb_bands], axis=-1)
        if valid is not None:
            rgb[~valid] = 0
            if valid.all():
                valid = None
        return _pad(window, c0, r0, rgb, valid)

    def close(self) -> None:
        self._ds.close()

    def __enter__(self) -> RasterSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _gdal_message(exc: BaseException) -> str:
    """The most specific text in an exception chain: rasterio often wraps GDAL's real complaint."""
    messages = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = " ".join(str(exc).split())
        if text and "see previous exception" not in text.lower():
            messages.append(text)
        exc = exc.__cause__ or exc.__context__
    return "; ".join(dict.fromkeys(messages)) or "unknown GDAL error"
