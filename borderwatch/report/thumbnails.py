"""Evidence thumbnails: the part of a frame where vehicles were found, with their boxes drawn.

Photos are decoded at reduced scale where the format allows (JPEG draft mode), rasters are read as
one window around the detections with an output shape no larger than the thumbnail, so a huge
GeoTIFF is never read whole.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageOps

from borderwatch.report.tables import CLASS_COLOURS

MAX_WINDOW = 4096  # raster pixels per side read around the detections, at most
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".jp2", ".img")


@dataclass
class Thumbnail:
    png: bytes
    width: int
    height: int
    crop: tuple[int, int, int, int]  # x0, y0, x1, y1 in full-frame pixels
    n_boxes: int


def _crop_box(boxes: np.ndarray, width: int, height: int, min_side: int = 192) -> tuple[int, int, int, int]:
    """The boxes' extent with a margin, clamped to the frame and to MAX_WINDOW per side."""
    if len(boxes) == 0:
        x0, y0, x1, y1 = 0, 0, width, height
    else:
        x0, y0 = float(boxes[:, 0].min()), float(boxes[:, 1].min())
        x1, y1 = float(boxes[:, 2].max()), float(boxes[:, 3].max())
        margin = max(0.25 * max(x1 - x0, y1 - y0), 48.0)
        x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w = min(max(x1 - x0, min_side), MAX_WINDOW, width)
    h = min(max(y1 - y0, min_side), MAX_WINDOW, height)
    x0 = int(round(min(max(cx - w / 2, 0), width - w)))
    y0 = int(round(min(max(cy - h / 2, 0), height - h)))
    return x0, y0, int(x0 + w), int(y0 + h)


def stretch(band: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """uint8 from any dtype by a 2-98 percentile stretch over valid pixels."""
    if band.dtype == np.uint8:
        return band
    sample = band[valid] if valid is not None and valid.any() else band.ravel()
    if sample.size == 0:
        return np.zeros(band.shape, np.uint8)
    lo, hi = np.percentile(sample, [2, 98])
    if hi <= lo:
        hi = lo + 1
    scaled = (band.astype(np.float32) - lo) / (hi - lo)
    return (np.clip(scaled, 0, 1) * 255).astype(np.uint8)


def _read_raster(path: Path, crop: tuple[int, int, int, int], max_side: int) -> Image.Image:
    import rasterio
    from rasterio.windows import Window

    x0, y0, x1, y1 = crop
    scale = min(1.0, max_side / max(x1 - x0, y1 - y0))
    out_w, out_h = max(1, int(round((x1 - x0) * scale))), max(1, int(round((y1 - y0) * scale)))
    with rasterio.open(path) as src:
        window = Window(x0, y0, x1 - x0, y1 - y0)
        bands = [1, 2, 3] if src.count >= 3 else [1]
        data = src.read(bands, window=window, out_shape=(len(bands), out_h, out_w), boundless=False)
        try:
            mask = src.dataset_mask(window=window, out_shape=(out_h, out_w)) > 0
        except Exception:  # some drivers cannot build a mask; treat every pixel as valid
            mask = None
    rgb = np.stack([stretch(b, mask) for b in data], axis=-1)
    if rgb.shape[-1] == 1:
        rgb = np.repeat(rgb, 3, axis=-1)
    if mask is not None:
        rgb[~mask] = (235, 235, 235)
    return Image.fromarray(rgb, "RGB")


def _read_photo(path: Path, crop: tuple[int, int, int, int], frame_size: tuple[int, int], max_side: int) -> Image.Image:
    with Image.open(path) as img:
        x0, y0, x1, y1 = crop
        fw, fh = frame_size
        # JPEG draft decodes at 1/2, 1/4 or 1/8 scale: fast and small for big photos.
        want = max(1, int(max(fw, fh) * max_side / max(x1 - x0, y1 - y0)))
        img.draft("RGB", (want, want))
        # The detector reads photos upright (EXIF orientation applied); boxes are in that frame.
        img = ImageOps.exif_transpose(img)
        if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
            gray = stretch(np.asarray(img), None)
            img = Image.fromarray(np.repeat(gray[..., None], 3, axis=2), "RGB")
        else:
            img = img.convert("RGB")
        sx, sy = img.width / fw, img.height / fh
        region = img.crop((int(x0 * sx), int(y0 * sy), int(x1 * sx), int(y1 * sy)))
        region.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return region.copy()


def is_raster(path: Path, crs: object) -> bool:
    has_crs = isinstance(crs, str) and bool(crs.strip())  # a missing value reads back as None or NaN
    return has_crs or path.suffix.lower() in RASTER_SUFFIXES


CORNERS = ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")


def draw_boxes(image: Image.Image, detections: pd.DataFrame, crop: tuple[int, int, int, int]) -> None:
    """Outline each detection on ``image`` (which shows ``crop`` of the frame) in its class colour:
    the oriented box when the detection has corners (x1..y4), else the axis-aligned box."""
    if not len(detections):
        return
    x0, y0, x1, y1 = crop
    sx, sy = image.width / (x1 - x0), image.height / (y1 - y0)
    draw = ImageDraw.Draw(image)
    line = max(2, round(min(image.size) / 150))
    boxes = detections[["x_min", "y_min", "x_max", "y_max"]].to_numpy(np.float64)
    corners = (
        detections[list(CORNERS)].to_numpy(np.float64).reshape(-1, 4, 2)
        if all(c in detections.columns for c in CORNERS)
        else np.full((len(boxes), 4, 2), np.nan)
    )
    classes = detections["vehicle_class"].astype(str).tolist()
    for (bx0, by0, bx1, by1), quad, cls in zip(boxes, corners, classes, strict=True):
        colour = CLASS_COLOURS.get(cls, "#ff00ff")
        if np.isfinite(quad).all():
            points = [((px - x0) * sx, (py - y0) * sy) for px, py in quad]
            draw.line([*points, points[0]], fill=colour, width=line, joint="curve")
            continue
        rect = ((bx0 - x0) * sx, (by0 - y0) * sy, (bx1 - x0) * sx, (by1 - y0) * sy)
        rect = (rect[0], rect[1], max(rect[2], rect[0] + 2), max(rect[3], rect[1] + 2))
        draw.rectangle(rect, outline=colour, width=line)


@functools.lru_cache(maxsize=64)
def _font(size: int):
    """matplotlib's bundled DejaVu Sans Bold (present wherever the report runs), else Pillow's own;
    cached: every stamp tries a run of sizes, and a font lookup reads the font cache."""
    from PIL import ImageFont

    try:
        from matplotlib import font_manager

        path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight="bold"))
        return ImageFont.truetype(path, size)
    except (OSError, ValueError, ImportError):
        return ImageFont.load_default(size)


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int) -> tuple[list[str], object]:
    """The stamp's lines and font: large enough to read when the thumbnail is shown at half size, on
    one line if it fits ``width``, else broken after its first comma."""
    head, _, tail = text.partition(", ")
    options = [[text]] + ([[head + ",", tail]] if tail else [])
    for size in range(max(12, width // 18), 7, -1):
        font = _font(size)
        for lines in options:
            if max(draw.textlength(line, font=font) for line in lines) <= width and (
                    len(lines) == 1 or size >= width // 40):
                return lines, font
    return options[-1], _font(8)


STAMP_FILL, STAMP_INK = (255, 204, 0), (20, 20, 20)


def stamp(image: Image.Image, text: str) -> Image.Image:
    """A copy of ``image`` with ``text`` (a demo's caveat) burnt in as a banner above it and a frame
    around it, so the picture carries the caveat when copied out of the report. The banner is added
    above the pixels, so it hides no detection."""
    pad = max(3, image.width // 120)
    lines, font = _fit(ImageDraw.Draw(image), text, image.width - 2 * pad)
    line_h = font.size + max(2, font.size // 4)
    band = len(lines) * line_h + 2 * pad
    out = Image.new("RGB", (image.width, image.height + band), STAMP_FILL)
    out.paste(image.convert("RGB"), (0, band))
    draw = ImageDraw.Draw(out)
    for i, line in enumerate(lines):
        draw.text((pad, pad + i * line_h), line, fill=STAMP_INK, font=font)
    edge = max(2, image.width // 160)
    draw.rectangle((0, 0, out.width - 1, out.height - 1), outline=STAMP_FILL, width=edge)
    return out


def frame_thumbnail(frame: pd.Series | dict, detections: pd.DataFrame, max_side: int = 480,
                    stamp_text: str | None = None) -> Thumbnail:
    """A PNG of the frame around its detections, each box outlined in its class colour; with
    ``stamp_text`` (a demo's caveat), that text burnt in as a banner.

    Raises OSError/ValueError (or rasterio's errors) when the source file cannot be read; the caller
    reports that and goes on.
    """
    path = Path(str(frame["source_path"]))
    width, height = int(frame.get("width") or 0), int(frame.get("height") or 0)
    boxes = detections[["x_min", "y_min", "x_max", "y_max"]].to_numpy(np.float64) if len(detections) else np.zeros((0, 4))
    raster = is_raster(path, frame.get("crs"))
    if width <= 0 or height <= 0:
        if raster:
            import rasterio

            with rasterio.open(path) as src:
                width, height = src.width, src.height
        else:
            with Image.open(path) as img:
                width, height = img.size
    crop = _crop_box(boxes, width, height)
    image = _read_raster(path, crop, max_side) if raster else _read_photo(path, crop, (width, height), max_side)
    draw_boxes(image, detections, crop)
    if stamp_text:
        image = stamp(image, stamp_text)
    buffer = io.BytesIO()
    # A 256-colour palette keeps photos legible at well under half the bytes of a true-colour PNG,
    # which matters when dozens of thumbnails are inlined into one page.
    palette = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)
    palette.save(buffer, format="PNG", optimize=True)
    return Thumbnail(buffer.getvalue(), image.width, image.height, crop, len(boxes))
