"""A corpus of hostile and broken inputs, written by the tests into a folder they own.

Every ``Case`` writes one bad file (and whatever it needs beside it) with ``build(folder)`` and says
what borderwatch must do with it:

- ``error``: a clear one-line error that names the file (``match`` is a regex the reason must
  match), the rest of the batch goes on;
- ``ok``: it must simply work (a PNG named .jpg, a rotated GeoTIFF, 16-bit and 1-band rasters);
- ``empty``: it works and yields no detections (all-nodata rasters).

Cases are grouped by the stage that reads them: ``detect`` (images and rasters), ``manifest``,
``areas`` (vector files for the geo stage), ``articles`` (claims ingest) and ``config`` (run
config). Nothing here reads ../shared; all of it is generated.
"""

from __future__ import annotations

import io
import json
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from helpers_raster import (
    draw_vehicles,
    exif_bytes,
    hyesan_origin,
    write_bomb_png,
    write_huge_header_tiff,
    write_test_geotiff,
    write_test_photo,
)

GOOD_BOXES = [(20, 20, 44, 32), (100, 60, 124, 72)]
OTHER_BOXES = [(30, 90, 52, 102), (120, 20, 146, 30), (60, 120, 80, 130)]


@dataclass(frozen=True)
class Case:
    name: str
    stage: str  # detect, manifest, areas, articles, config
    filename: str  # the file the message must name
    build: Callable[[Path], Path]
    outcome: str = "error"  # error, ok, empty
    match: str | None = None  # regex on the one-line reason
    xfail: str | None = None  # known bug in a module this helper may not edit, with the reason

    def __repr__(self) -> str:
        return self.name


# ------------------------------------------------------------------------------------------- images


def _photo_bytes(fmt: str = "JPEG", size=(200, 160), mode: str = "RGB", exif: bytes | None = None) -> bytes:
    from PIL import Image


    # not GOOD_BOXES: the bad file must not be a byte copy of the batch's good photo
    image = Image.fromarray(draw_vehicles(size[0], size[1], OTHER_BOXES)).convert(mode)
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    if fmt == "JPEG":
        kwargs["quality"] = 95
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _bytes(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data() if callable(data) else data)
        return path

    return build


def _truncated(fmt: str, fraction: float) -> Callable[[], bytes]:
    def make() -> bytes:
        data = _photo_bytes(fmt)
        return data[: int(len(data) * fraction)]

    return make


def _photo_with_exif(name: str, **exif) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        return write_test_photo(folder / name, width=200, height=160, boxes=OTHER_BOXES, exif=exif_bytes(**exif))

    return build


def _rational(numerator: int, denominator: int):
    from PIL.TiffImagePlugin import IFDRational

    return IFDRational(numerator, denominator)


def _jpeg_with_garbage_exif(folder: Path) -> Path:
    """A JPEG whose APP1 'Exif' segment holds random bytes instead of a TIFF structure."""
    data = _photo_bytes("JPEG")
    payload = b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + bytes(range(256)) * 4
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    path = folder / "garbage_exif.jpg"
    path.write_bytes(data[:2] + segment + data[2:])
    return path


def _png_16bit_gray(folder: Path) -> Path:
    from PIL import Image


    img = draw_vehicles(200, 160, OTHER_BOXES).astype(np.uint16) * 200
    path = folder / "gray16.png"
    Image.fromarray(img).save(path)
    return path


def _png_with_lying_chunk(folder: Path) -> Path:
    """A PNG whose IHDR CRC is wrong: decoders refuse it (or should)."""
    data = bytearray(_photo_bytes("PNG"))
    data[29] ^= 0xFF  # inside the IHDR chunk's CRC
    path = folder / "bad_crc.png"
    path.write_bytes(bytes(data))
    return path


def _png_bomb(folder: Path) -> Path:
    return write_bomb_png(folder / "bomb.png", 40_000, 40_000)


def _huge_tiff(folder: Path) -> Path:
    return write_huge_header_tiff(folder / "huge_header.tif")


def _huge_tiff_as_photo(folder: Path) -> Path:
    """The 100000x100000 header, declared a photo by a manifest so it is read without a CRS."""
    write_huge_header_tiff(folder / "huge_photo.tif", width=99_999)  # not a byte copy of huge_header.tif
    (folder / "huge_photo.csv").write_text("path,kind\nhuge_photo.tif,photo\n")
    return folder / "huge_photo.tif"


def _geotiff(name: str, **kwargs) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        kwargs.setdefault("boxes", OTHER_BOXES)
        return write_test_geotiff(folder / name, **kwargs)

    return build


def _zero_transform(folder: Path) -> Path:
    from affine import Affine

    return write_test_geotiff(
        folder / "zero_transform.tif", transform=Affine(0.0, 0.0, hyesan_origin()[0], 0.0, 0.0, hyesan_origin()[1]),
        boxes=GOOD_BOXES,
    )


def _nan_float_raster(folder: Path) -> Path:
    """A float32 GeoTIFF that is NaN everywhere (a cloud mask gone wrong)."""
    path = write_test_geotiff(folder / "all_nan.tif", dtype="float32", bands=1)
    import rasterio

    with rasterio.open(path, "r+") as ds:
        ds.write(np.full((1, ds.height, ds.width), np.nan, np.float32))
    return path


def _truncated_geotiff(folder: Path) -> Path:
    path = write_test_geotiff(folder / "whole.tif", width=512, height=512, boxes=GOOD_BOXES, blocksize=128)
    data = path.read_bytes()
    path.unlink()
    out = folder / "truncated_blocks.tif"
    out.write_bytes(data[: len(data) * 2 // 3])
    return out


def _symlink_to_passwd(folder: Path) -> Path:
    path = folder / "passwd_link.jpg"
    path.symlink_to("/etc/passwd")
    return path


def _dangling_symlink(folder: Path) -> Path:
    path = folder / "dangling.jpg"
    path.symlink_to(folder / "does-not-exist.jpg")
    return path


def _brackets(folder: Path) -> Path:
    """``odd[/y] [car].jpg``: rich markup would drop ``[car]`` and choke on the closing tag ``[/y]``."""
    (folder / "odd[").mkdir()
    path = folder / "odd[" / "y] [car].jpg"
    path.write_bytes(b"GIF89a broken")
    return path


def _unreadable_file(folder: Path) -> Path:
    path = folder / "no_permission.jpg"
    path.write_bytes(_photo_bytes("JPEG"))
    path.chmod(0)
    return path


DETECT_CASES = [
    Case("zero_byte_jpeg", "detect", "empty.jpg", _bytes("empty.jpg", b""), match="empty file"),
    Case("zero_byte_png", "detect", "empty.png", _bytes("empty.png", b""), match="empty file"),
    Case("zero_byte_tif", "detect", "empty.tif", _bytes("empty.tif", b""), match="empty file"),
    Case("truncated_jpeg", "detect", "truncated.jpg", _bytes("truncated.jpg", _truncated("JPEG", 0.5)),
         match="(?i)truncat|decode|cannot"),
    Case("truncated_png", "detect", "truncated.png", _bytes("truncated.png", _truncated("PNG", 0.5)),
         match="(?i)truncat|decode|cannot"),
    Case("jpeg_header_only", "detect", "header_only.jpg", _bytes("header_only.jpg", _truncated("JPEG", 0.02)),
         match="(?i)truncat|decode|cannot|not an image"),
    Case("png_bad_crc", "detect", "bad_crc.png", _png_with_lying_chunk, match="(?i)crc|cannot|not an image"),
    Case("png_named_jpg", "detect", "really_a_png.jpg", _bytes("really_a_png.jpg", lambda: _photo_bytes("PNG")),
         outcome="ok"),
    Case("jpeg_named_png", "detect", "really_a_jpeg.png", _bytes("really_a_jpeg.png", lambda: _photo_bytes("JPEG")),
         outcome="ok"),
    Case("text_named_tif", "detect", "notes.tif", _bytes("notes.tif", b"these are field notes, not a raster\n" * 20),
         match="cannot open raster"),
    Case("text_named_jpg", "detect", "notes.jpg", _bytes("notes.jpg", b"<html><body>404 Not Found</body></html>\n"),
         match="not an image"),
    Case("random_bytes_webp", "detect", "noise.webp", _bytes("noise.webp", bytes(np.random.default_rng(1).integers(
        0, 256, 4096, dtype=np.uint8))), match="not an image"),
    Case("png_bomb_header", "detect", "bomb.png", _png_bomb, match="MP exceeds"),
    Case("tiff_header_100000px", "detect", "huge_header.tif", _huge_tiff, match="no CRS|reading window .* failed|cannot"),
    Case("tiff_header_100000px_as_photo", "detect", "huge_photo.tif", _huge_tiff_as_photo,
         match="reading window .* failed|cannot open raster"),
    Case("geotiff_without_crs", "detect", "no_crs.tif", _geotiff("no_crs.tif", crs=None), match="no CRS"),
    Case("geotiff_rotated_transform", "detect", "rotated.tif", _geotiff("rotated.tif", rotation_deg=30.0),
         outcome="ok"),
    Case("geotiff_zero_transform", "detect", "zero_transform.tif", _zero_transform,
         match="degenerate transform|no geotransform"),
    Case("geotiff_truncated_blocks", "detect", "truncated_blocks.tif", _truncated_geotiff,
         match="reading window .* failed|cannot open raster"),
    Case("geotiff_uint16", "detect", "pan16.tif", _geotiff("pan16.tif", dtype="uint16"), outcome="ok"),
    Case("geotiff_one_band", "detect", "one_band.tif", _geotiff("one_band.tif", bands=1), outcome="ok"),
    Case("geotiff_uint16_one_band_nodata", "detect", "pan16_nodata.tif",
         _geotiff("pan16_nodata.tif", dtype="uint16", bands=1, nodata=0, nodata_cols=40), outcome="ok"),
    Case("geotiff_all_nodata", "detect", "all_nodata.tif",
         _geotiff("all_nodata.tif", nodata=0, nodata_cols=256, boxes=[]), outcome="empty"),
    Case("geotiff_all_transparent", "detect", "all_alpha.tif",
         _geotiff("all_alpha.tif", alpha=True, nodata_cols=256, boxes=[]), outcome="empty"),
    Case("geotiff_all_nan", "detect", "all_nan.tif", _nan_float_raster, outcome="empty"),
    Case("png_16bit_gray", "detect", "gray16.png", _png_16bit_gray, outcome="ok"),
    Case("jpeg_grayscale", "detect", "gray.jpg", _bytes("gray.jpg", lambda: _photo_bytes("JPEG", mode="L")),
         outcome="ok"),
    Case("exif_month_13", "detect", "month13.jpg", _photo_with_exif("month13.jpg", when="2025:13:45 25:61:00"),
         outcome="ok"),
    Case("exif_zero_date", "detect", "zero_date.jpg", _photo_with_exif("zero_date.jpg", when="0000:00:00 00:00:00"),
         outcome="ok"),
    Case("exif_future_date", "detect", "future.jpg", _photo_with_exif("future.jpg", when="2099:01:01 00:00:00"),
         outcome="ok"),
    Case("exif_latitude_95", "detect", "lat95.jpg", _photo_with_exif("lat95.jpg", lat=95.0, lon=128.0),
         outcome="ok"),
    Case("exif_gps_zero_denominator", "detect", "gps_div0.jpg",
         _photo_with_exif("gps_div0.jpg", raw_lat=(_rational(41, 0), _rational(23, 1), _rational(0, 1)), lon=128.0),
         outcome="ok"),
    Case("exif_garbage_block", "detect", "garbage_exif.jpg", _jpeg_with_garbage_exif, outcome="ok"),
    Case("symlink_to_etc_passwd", "detect", "passwd_link.jpg", _symlink_to_passwd, match="not an image"),
    Case("dangling_symlink", "detect", "dangling.jpg", _dangling_symlink, match="no such file"),
    Case("unreadable_file", "detect", "no_permission.jpg", _unreadable_file, match="(?i)permission|cannot read"),
    Case("brackets_in_name", "detect", "y] [car].jpg", _brackets, match="not an image"),
    Case("newline_in_name", "detect", "two\nlines.jpg", _bytes("two\nlines.jpg", b"not a jpeg"), match="not an image"),
]


# ----------------------------------------------------------------------------------------- manifests


def _manifest(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        write_test_photo(folder / "listed.jpg", width=200, height=160, boxes=OTHER_BOXES)
        path = folder / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path

    return build


MANIFEST_CASES = [
    Case("manifest_missing_path_column", "manifest", "no_path.csv",
         _manifest("no_path.csv", "file,captured_at\nlisted.jpg,2025-09-15\n"), match="no 'path' column"),
    Case("manifest_bad_date", "manifest", "bad_date.csv",
         _manifest("bad_date.csv", "path,captured_at\nlisted.jpg,15/09/2025\n"), match="row 2, column captured_at"),
    Case("manifest_words_for_date", "manifest", "words_date.yaml",
         _manifest("words_date.yaml", "- {path: listed.jpg, captured_at: last tuesday}\n"),
         match="row 1, column captured_at"),
    Case("manifest_year_1066", "manifest", "old_date.csv",
         _manifest("old_date.csv", "path,captured_at\nlisted.jpg,1066-10-14\n"), match="implausible|before"),
    Case("manifest_path_escapes_root", "manifest", "escape.csv",
         _manifest("escape.csv", "path\n../../etc/passwd\n"), match="outside the manifest's folder"),
    Case("manifest_absolute_path_outside", "manifest", "absolute.csv",
         _manifest("absolute.csv", "path\n/etc/passwd\n"), match="outside the manifest's folder"),
    Case("manifest_latitude_out_of_range", "manifest", "lat.csv",
         _manifest("lat.csv", "path,lon,lat\nlisted.jpg,128.1,95\n"), match="column lat"),
    Case("manifest_lon_without_lat", "manifest", "half.csv",
         _manifest("half.csv", "path,lon\nlisted.jpg,128.1\n"), match="together"),
    Case("manifest_bad_kind", "manifest", "kind.csv",
         _manifest("kind.csv", "path,kind\nlisted.jpg,satellite\n"), match="column kind"),
    Case("manifest_bad_timezone", "manifest", "tz.csv",
         _manifest("tz.csv", "path,captured_at,timezone\nlisted.jpg,2025-09-15 10:00,Mars/Olympus\n"),
         match="column timezone"),
    Case("manifest_missing_file", "manifest", "ghost.csv",
         _manifest("ghost.csv", "path\nghost.jpg\n"), match="no such file"),
    Case("manifest_invalid_yaml", "manifest", "broken.yaml",
         _manifest("broken.yaml", "- {path: listed.jpg, captured_at: [unclosed\n"), match="not valid YAML"),
    Case("manifest_yaml_scalar", "manifest", "scalar.yaml", _manifest("scalar.yaml", "just a sentence\n"),
         match="list of mappings"),
    Case("manifest_utf16", "manifest", "utf16.csv",
         _manifest("utf16.csv", "path\nlisted.jpg\n".encode("utf-16")), match="cannot read manifest"),
    Case("manifest_ragged_row", "manifest", "ragged.csv",
         _manifest("ragged.csv", "path,captured_at\nlisted.jpg,2025-09-15,extra,values\n"), match="more value"),
]


# --------------------------------------------------------------------------------------------- areas


def _geojson(name: str, features: list[dict], crs: str | None = None) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        doc: dict = {"type": "FeatureCollection", "features": features}
        if crs:
            doc["crs"] = {"type": "name", "properties": {"name": crs}}
        path = folder / name
        path.write_text(json.dumps(doc))
        return path

    return build


def _feature(name: str, coords) -> dict:
    return {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": coords}}


HYESAN_SQUARE = [[[128.15, 41.37], [128.21, 41.37], [128.21, 41.41], [128.15, 41.41], [128.15, 41.37]]]
BOWTIE = [[[128.15, 41.37], [128.21, 41.41], [128.21, 41.37], [128.15, 41.41], [128.15, 41.37]]]


def _hyesan_in_metres() -> list:
    from pyproj import Transformer

    to_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    return [[list(to_3857.transform(x, y)) for x, y in HYESAN_SQUARE[0]]]


def _shapefile_without_crs(folder: Path) -> Path:
    import geopandas as gpd
    from shapely.geometry import Polygon

    gdf = gpd.GeoDataFrame({"name": ["Hyesan"]}, geometry=[Polygon(HYESAN_SQUARE[0])])
    path = folder / "no_crs.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "crs was not provided": that is the point
        gdf.to_file(path)
    return path


AREAS_CASES = [
    Case("areas_bowtie_polygon", "areas", "bowtie.geojson",
         _geojson("bowtie.geojson", [_feature("Hyesan", BOWTIE), _feature("Hyesan-east", HYESAN_SQUARE)]),
         outcome="ok"),
    Case("areas_only_empty_polygons", "areas", "empty_polys.geojson",
         _geojson("empty_polys.geojson", [_feature("Hyesan", []), _feature("Sinuiju", [[]])]),
         match="no usable polygons|cannot read areas"),
    Case("areas_points_not_polygons", "areas", "points.geojson",
         _geojson("points.geojson", [{"type": "Feature", "properties": {"name": "Hyesan"},
                                      "geometry": {"type": "Point", "coordinates": [128.18, 41.39]}}]),
         match="no usable polygons"),
    Case("areas_metres_declared_degrees", "areas", "metres_as_degrees.geojson",
         lambda folder: _geojson("metres_as_degrees.geojson", [_feature("Hyesan", _hyesan_in_metres())])(folder),
         match="outside the Earth|CRS"),
    Case("areas_degrees_declared_utm", "areas", "no_crs.shp", _shapefile_without_crs,
         match="look like longitude/latitude degrees"),
    Case("areas_not_json", "areas", "garbage.geojson", _bytes("garbage.geojson", b"{ this is not json"),
         match="cannot read areas"),
    Case("areas_zero_byte_gpkg", "areas", "empty.gpkg", _bytes("empty.gpkg", b""), match="cannot read areas"),
    Case("areas_missing_name_field", "areas", "unnamed.geojson",
         _geojson("unnamed.geojson", [{"type": "Feature", "properties": {"label": "Hyesan"},
                                       "geometry": {"type": "Polygon", "coordinates": HYESAN_SQUARE}}]),
         match="no name field"),
]


# ------------------------------------------------------------------------------------------ articles

KOREAN = "지난밤에만 중국산 중고차 27대가 혜산에 들어왔다고 소식통이 전했다."
ENGLISH = "Last night alone, 27 Chinese used cars came into Hyesan, a source in Ryanggang province said."
CP1252 = "\u201cAt least 100 vehicles\u201d were lined up in Hyesan \u2013 a caf\u00e9 owner said."


def _article(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    return _bytes(name, data)


ARTICLE_CASES = [
    Case("article_utf16_bom", "articles", "utf16.txt", _article("utf16.txt", ENGLISH.encode("utf-16")), outcome="ok"),
    Case("article_utf16_no_bom", "articles", "utf16le.txt", _article("utf16le.txt", ENGLISH.encode("utf-16-le")),
         outcome="ok"),
    Case("article_euc_kr", "articles", "korean.txt", _article("korean.txt", KOREAN.encode("euc-kr")), outcome="ok"),
    Case("article_cp1252", "articles", "quotes.txt", _article("quotes.txt", CP1252.encode("cp1252")), outcome="ok"),
    Case("article_zero_bytes", "articles", "empty.txt", _article("empty.txt", b""), match="empty article"),
    Case("article_whitespace_only", "articles", "blank.md", _article("blank.md", b"  \n\t\n"), match="empty article"),
    Case("article_binary", "articles", "binary.txt",
         _article("binary.txt", bytes(range(256)) * 8), match="binary|not an article|no text"),
    Case("article_malformed_json", "articles", "broken.json", _article("broken.json", b'{"text": "unfinished'),
         match="malformed JSON"),
    Case("article_json_empty_list", "articles", "none.json", _article("none.json", b"[]"), match="no articles"),
    Case("article_json_text_not_string", "articles", "number.json", _article("number.json", b'{"text": 27}'),
         match="no 'text'"),
    Case("article_html_without_text", "articles", "empty.html",
         _article("empty.html", b"<html><head><script>var x=1;</script></head><body></body></html>"),
         match="no text"),
    Case("article_too_large", "articles", "huge.txt", _article("huge.txt", lambda: b"cars " * 500_000),
         match="too large"),
]


# -------------------------------------------------------------------------------------------- config


def _config_file(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (folder / "imagery").mkdir(exist_ok=True)
        path = folder / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path

    return build


CONFIG_CASES = [
    Case("config_wrong_types", "config", "types.yaml", _config_file("types.yaml", (
        "inputs: imagery/\ndetection:\n  tile_size: big\n  conf: [0.3]\n  batch_size: 2.5\n"
        "counts:\n  by: 7\noutputs:\n  pdf: maybe\nengine: spark\n")), match=r"detection\.tile_size"),
    Case("config_inputs_a_number", "config", "inputs_number.yaml", _config_file("inputs_number.yaml", "inputs: 5\n"),
         match="inputs"),
    Case("config_a_list", "config", "list.yaml", _config_file("list.yaml", "- inputs: imagery/\n"),
         match="mapping"),
    Case("config_invalid_yaml", "config", "broken.yaml", _config_file("broken.yaml", "inputs: [imagery/\n"),
         match="not valid YAML"),
    Case("config_empty", "config", "empty.yaml", _config_file("empty.yaml", ""), match="empty"),
    Case("config_utf16", "config", "utf16.yaml", _config_file("utf16.yaml", "inputs: imagery/\n".encode("utf-16")),
         match="cannot read|not valid YAML"),
    Case("config_binary", "config", "binary.yaml", _config_file("binary.yaml", bytes(range(256))),
         match="cannot read|not valid YAML"),
]

# ------------------------------------------------------------------------ a finished run, damaged

# The count stage reads a detection run; each case damages one file of a good run (``good_run``).


def _damage(name: str, how: Callable[[Path], None]) -> Callable[[Path], Path]:
    def build(run_dir: Path) -> Path:
        how(run_dir / name)
        return run_dir / name

    return build


def _halve(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _drop_columns(path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(pq.read_table(path).drop(["captured_at", "status"]), path)


COUNT_CASES = [
    Case("run_truncated_detections", "count", "detections.parquet", _damage("detections.parquet", _halve),
         match="cannot read detections.parquet"),
    Case("run_text_as_detections", "count", "detections.parquet",
         _damage("detections.parquet", lambda p: p.write_text("hello")), match="cannot read detections.parquet"),
    Case("run_frames_missing", "count", "frames.parquet", _damage("frames.parquet", lambda p: p.unlink()),
         match="not found"),
    Case("run_frames_without_columns", "count", "frames.parquet", _damage("frames.parquet", _drop_columns),
         match="lacks columns captured_at, status"),
    Case("run_json_not_json", "count", "run.json", _damage("run.json", lambda p: p.write_text("{not json")),
         outcome="ok"),
]

ALL_CASES = DETECT_CASES + MANIFEST_CASES + AREAS_CASES + ARTICLE_CASES + CONFIG_CASES + COUNT_CASES


def good_photo(folder: Path, name: str = "good.jpg") -> Path:
    return write_test_photo(folder / name, width=200, height=160, boxes=GOOD_BOXES)


def good_geotiff(folder: Path, name: str = "good.tif") -> Path:
    return write_test_geotiff(folder / name, width=200, height=160, boxes=GOOD_BOXES)


def write_corpus(folder: Path, cases=ALL_CASES) -> dict[str, Path]:
    """Write every case into its own subfolder of ``folder``; name -> path of the bad file."""
    out = {}
    for case in cases:
        sub = folder / case.name
        sub.mkdir(parents=True)
        out[case.name] = case.build(sub)
    return out

