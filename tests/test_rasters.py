"""Tile sources: window reads, bands, stretch, masks, georeferencing, and hostile files."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

import numpy as np
import pytest
import rasterio
import shapely
import shapely.ops
from affine import Affine
from helpers_raster import (
    HYESAN_LAT,
    HYESAN_LON,
    HYESAN_UTM,
    BrightBoxPredictor,
    exif_bytes,
    hyesan_origin,
    write_bomb_png,
    write_huge_header_tiff,
    write_test_geotiff,
    write_test_photo,
)
from PIL import Image
from pyproj import Transformer

from borderwatch.detector.rasters import ImageSource, RasterSource, georeference_boxes
from borderwatch.detector.sliced import SliceParams, detect_source
from borderwatch.detector.types import Window
from borderwatch.errors import InputError


class _ReadSpy:
    """Stands in for a rasterio dataset and records every read's window and output shape."""

    def __init__(self, ds):
        self._ds = ds
        self.reads: list[dict] = []

    def read(self, *args, **kwargs):
        self.reads.append(kwargs)
        return self._ds.read(*args, **kwargs)

    def dataset_mask(self, *args, **kwargs):
        self.reads.append(kwargs)
        return self._ds.dataset_mask(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._ds, name)


def _to_utm(geom):
    to_utm = Transformer.from_crs("EPSG:4326", HYESAN_UTM, always_xy=True)
    return shapely.ops.transform(to_utm.transform, geom)


def test_rgb_window_read_matches_the_file(tmp_path):
    path = write_test_geotiff(tmp_path / "s.tif", width=300, height=200, boxes=[(100, 50, 120, 60)])
    with RasterSource(path, UTC) as src, rasterio.open(path) as ds:
        tile = src.read(Window(90, 40, 64, 64))
        expected = np.moveaxis(ds.read(window=rasterio.windows.Window(90, 40, 64, 64)), 0, -1)
    assert tile.rgb.dtype == np.uint8 and tile.rgb.shape == (64, 64, 3)
    assert np.array_equal(tile.rgb, expected)
    assert tile.valid is None
    assert tile.rgb[15, 15].tolist() == [230, 230, 230]  # a vehicle pixel
    assert src.stretch is None  # 8-bit data is used as it is


def test_single_band_becomes_grey_rgb(tmp_path):
    path = write_test_geotiff(tmp_path / "g.tif", bands=1, boxes=[(10, 10, 20, 20)])
    with RasterSource(path, UTC) as src:
        tile = src.read(Window(0, 0, 32, 32))
    assert src.bands == 1
    assert np.array_equal(tile.rgb[..., 0], tile.rgb[..., 2]) and tile.rgb[12, 12, 0] == 230


def test_alpha_band_is_the_valid_mask_and_shapes_the_footprint(tmp_path):
    path = write_test_geotiff(tmp_path / "a.tif", width=256, height=256, alpha=True, nodata_cols=64)
    with RasterSource(path, UTC) as src:
        tile = src.read(Window(32, 0, 64, 64))
        footprint = src.footprint
        assert src.bands == 4
    assert tile.valid is not None
    assert not tile.valid[:, :32].any() and tile.valid[:, 32:].all()
    assert (tile.rgb[~tile.valid] == 0).all()
    area = _to_utm(footprint).area
    assert area == pytest.approx((256 - 64) * 256 * 0.25, rel=0.02)


def test_uint16_stretch_is_computed_once_from_a_decimated_read(tmp_path):
    boxes = [(x, y, x + 40, y + 20) for x in range(0, 2048, 200) for y in range(0, 1024, 150)]
    path = write_test_geotiff(
        tmp_path / "u16.tif", width=2048, height=1024, dtype="uint16", boxes=boxes, nodata=0, nodata_cols=100, blocksize=256
    )
    src = RasterSource(path, UTC, overview_size=256)
    spy = _ReadSpy(src._ds)
    src._ds = spy
    tiles = [src.read(Window(c, r, 256, 256)) for c, r in [(0, 0), (600, 300), (1700, 700)]]
    decimated = [r for r in spy.reads if r.get("out_shape") is not None]
    windowed = [r for r in spy.reads if r.get("window") is not None]
    # one decimated read of the data (and one of the mask) at most overview_size on a side
    assert len([r for r in decimated if len(r["out_shape"]) == 3]) == 1
    assert all(max(r["out_shape"][-2:]) <= 256 for r in decimated)
    assert all(r["window"].width <= 256 and r["window"].height <= 256 for r in windowed)
    lo, hi = src.stretch
    assert lo[0] < 400 < 3500 < hi[0] + 1  # background ~350 and vehicles ~4000 fall either side
    # The same ground value maps to the same byte in every tile: no per-tile stretch.
    vehicle_bytes = {int(t.rgb[..., 0][t.rgb[..., 0] > 128].min()) for t in tiles if (t.rgb[..., 0] > 128).any()}
    assert len(vehicle_bytes) == 1
    assert not tiles[0].valid[:, :100].any() and tiles[0].valid[:, 100:].all()
    src.close()


def test_float_nan_is_invalid(tmp_path):
    path = tmp_path / "f.tif"
    data = np.full((1, 64, 64), 0.2, np.float32)
    data[0, 20:30, 20:40] = 0.9
    data[0, :, :8] = np.nan
    x, y = hyesan_origin()
    with rasterio.open(
        path, "w", driver="GTiff", width=64, height=64, count=1, dtype="float32", crs=HYESAN_UTM,
        transform=Affine.translation(x, y) @ Affine.scale(0.5, -0.5),
    ) as dst:
        dst.write(data)
    with RasterSource(path, UTC) as src:
        tile = src.read(Window(0, 0, 64, 64))
    assert tile.valid is not None and not tile.valid[:, :8].any() and tile.valid[:, 8:].all()
    assert tile.rgb[25, 25, 0] > tile.rgb[50, 50, 0]


def test_rotated_transform_gives_rotated_polygons(tmp_path):
    path = write_test_geotiff(tmp_path / "r.tif", width=200, height=100, rotation_deg=30.0)
    with RasterSource(path, UTC) as src:
        footprint = src.footprint
        transform, crs = src.transform, src.crs
    box = np.array([[10.0, 20.0, 30.0, 25.0]])
    polygon = georeference_boxes(box, transform, crs)[0]
    # Each corner equals rasterio's own pixel -> CRS mapping, then pyproj.
    affine = Affine(*transform)
    to_wgs84 = Transformer.from_crs(HYESAN_UTM, "EPSG:4326", always_xy=True)
    for (col, row), (lon, lat) in zip([(10, 20), (30, 20), (30, 25), (10, 25)], polygon.exterior.coords[:4], strict=True):
        ex, ey = to_wgs84.transform(*(affine @ (col, row)))
        assert (lon, lat) == pytest.approx((ex, ey), abs=1e-9)
    assert footprint.contains(polygon)
    # The top-left corner is Hyesan; the footprint is a rotated (not axis-aligned) rectangle.
    assert footprint.exterior.coords[0] == pytest.approx((HYESAN_LON, HYESAN_LAT), abs=1e-6)
    assert _to_utm(footprint).area == pytest.approx(200 * 100 * 0.25, rel=1e-3)
    assert abs(_to_utm(footprint).area - _to_utm(footprint).envelope.area) > 1000


def test_gsd_in_a_geographic_crs(tmp_path):
    path = write_test_geotiff(
        tmp_path / "geo.tif", crs="EPSG:4326", transform=Affine(1e-5, 0, HYESAN_LON, 0, -1e-5, HYESAN_LAT)
    )
    with RasterSource(path, UTC) as src:
        # 1e-5 deg is ~1.11 m north-south and ~0.83 m east-west at 41.4 N
        assert src.gsd_m == pytest.approx(np.sqrt(1.1105 * 0.8349), rel=0.01)
        assert src.crs == "EPSG:4326"


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_gcps_only_raster_is_georeferenced(tmp_path):
    path = write_test_geotiff(tmp_path / "g.tif", crs=None, width=100, height=100)
    x, y = hyesan_origin()
    from rasterio.control import GroundControlPoint as GCP

    gcps = [GCP(0, 0, x, y), GCP(0, 100, x, y - 50), GCP(100, 0, x + 50, y), GCP(100, 100, x + 50, y - 50)]
    with rasterio.open(path, "r+") as ds:
        ds.gcps = (gcps, rasterio.crs.CRS.from_string(HYESAN_UTM))
    with RasterSource(path, UTC) as src:
        assert src.crs == HYESAN_UTM and src.gsd_m == pytest.approx(0.5, rel=0.01)


def test_no_crs_is_an_error_unless_it_is_a_photo(tmp_path):
    path = write_test_geotiff(tmp_path / "plain.tif", crs=None, boxes=[(5, 5, 15, 15)])
    with pytest.raises(InputError, match="no CRS"):
        RasterSource(path, UTC)
    with RasterSource(path, UTC, georeferenced=False) as src:
        assert src.crs is None and src.footprint is None
        assert src.read(Window(0, 0, 32, 32)).rgb[10, 10, 0] == 230


def test_degenerate_and_missing_transforms(tmp_path):
    x, y = hyesan_origin()
    zero = write_test_geotiff(tmp_path / "z.tif", transform=Affine(0.0, 0.0, x, 0.0, 0.0, y))
    with pytest.raises(InputError, match="degenerate transform"):
        RasterSource(zero, UTC)
    ident = write_test_geotiff(tmp_path / "i.tif", transform=Affine.identity())
    with pytest.raises(InputError, match="no geotransform"):
        RasterSource(ident, UTC)


def test_tag_times(tmp_path):
    both = write_test_geotiff(
        tmp_path / "t.tif", tags={"TIFFTAG_DATETIME": "2025:10:01 00:00:00", "ACQUISITION_DATE": "2025-09-15T02:10:00Z"}
    )
    with RasterSource(both, UTC) as src:
        assert src.captured_at == datetime(2025, 9, 15, 2, 10, tzinfo=UTC)
        assert src.captured_tag == "ACQUISITION_DATE"
    bad = write_test_geotiff(tmp_path / "b.tif", tags={"ACQUISITION_DATE": "yesterday", "TIFFTAG_DATETIME": "2025:10:01 00:00:00"})
    with RasterSource(bad, UTC) as src:
        assert src.captured_at == datetime(2025, 10, 1, tzinfo=UTC)
        assert any("ACQUISITION_DATE ignored" in w for w in src.warnings)


def test_window_past_the_edge_is_padded_and_invalid(tmp_path):
    path = write_test_geotiff(tmp_path / "s.tif", width=100, height=80)
    with RasterSource(path, UTC) as src:
        tile = src.read(Window(60, 40, 64, 64))
    assert tile.rgb.shape == (64, 64, 3)
    assert tile.valid[:40, :40].all() and not tile.valid[40:, :].any() and not tile.valid[:, 40:].any()


def test_all_nodata_raster_has_an_empty_footprint(tmp_path):
    path = write_test_geotiff(tmp_path / "n.tif", width=128, height=128, nodata=0, nodata_cols=128)
    with RasterSource(path, UTC) as src:
        assert src.footprint.is_empty and src.valid_fraction == 0.0


def test_truncated_raster_fails_with_input_error(tmp_path):
    path = write_test_geotiff(
        tmp_path / "t.tif", width=1024, height=1024, dtype="uint16", boxes=[(100, 100, 400, 400)], blocksize=256
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"t\.tif: .*failed"):
        with RasterSource(path, UTC) as src:
            for row in range(0, 1024, 256):
                for col in range(0, 1024, 256):
                    src.read(Window(col, row, 256, 256))
    path.write_bytes(data[:200])
    with pytest.raises(InputError, match="cannot open raster"):
        RasterSource(path, UTC)


def test_huge_header_without_data_fails_fast_without_allocating(tmp_path):
    path = write_huge_header_tiff(tmp_path / "huge.tif", 100_000, 100_000)
    assert path.stat().st_size < 2_000_000
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(InputError, match="huge.tif"):
            src = RasterSource(path, UTC, georeferenced=False)
            assert (src.width, src.height) == (100_000, 100_000)
            detect_source(src, BrightBoxPredictor(), SliceParams(tile_size=640, overlap=0.2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 10
    assert peak < 64 * 2**20


def test_oversized_blocks_are_refused(tmp_path):
    path = write_test_geotiff(tmp_path / "b.tif", width=512, height=512, blocksize=256)
    with pytest.raises(InputError, match="too big to read by window"):
        RasterSource(path, UTC, max_block_bytes=1000)


# ---------------------------------------------------------------------------------------------- photos


def test_photo_read_and_edge_padding(tmp_path):
    path = write_test_photo(tmp_path / "p.png", width=100, height=60, boxes=[(10, 10, 20, 20)])
    with ImageSource(path, UTC) as src:
        assert (src.width, src.height, src.dtype) == (100, 60, "uint8")
        tile = src.read(Window(0, 0, 64, 64))
    assert tile.rgb[15, 15].tolist() == [230, 230, 230]
    assert tile.valid is not None and not tile.valid[60:].any() and tile.valid[:60].all()


def test_exif_orientation_is_applied(tmp_path):
    # Stored 120 wide x 80 high with a vehicle at the top-left; orientation 6 = rotate 90 clockwise to view.
    path = write_test_photo(tmp_path / "o.jpg", width=120, height=80, boxes=[(0, 0, 30, 10)], exif=exif_bytes(orientation=6))
    with ImageSource(path, UTC) as src:
        assert (src.width, src.height) == (80, 120)  # known before decoding
        tile = src.read(Window(0, 0, 80, 120))
    assert (src.width, src.height) == (80, 120)
    bright = tile.rgb[..., 0] > 128
    rows, cols = np.nonzero(bright)
    # after a clockwise turn the strip along the top edge stands along the right edge
    assert cols.min() >= 80 - 10 - 1 and rows.max() <= 30 + 1


def test_alpha_photo_and_16_bit_png(tmp_path):
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[:, 20:, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    with ImageSource(tmp_path / "a.png", UTC) as src:
        tile = src.read(Window(0, 0, 40, 40))
    assert not tile.valid[:, :20].any() and tile.valid[:, 20:].all()

    deep = np.full((40, 40), 300, np.uint16)
    deep[10:20, 10:20] = 4000
    Image.fromarray(deep).save(tmp_path / "d.png")
    with ImageSource(tmp_path / "d.png", UTC) as src:
        tile = src.read(Window(0, 0, 40, 40))
        assert src.dtype == "uint16"
    assert tile.rgb[15, 15, 0] == 255 and tile.rgb[30, 30, 0] == 0


def test_decompression_bomb_is_refused_and_pillow_limit_restored(tmp_path):
    before = Image.MAX_IMAGE_PIXELS
    path = write_bomb_png(tmp_path / "bomb.png", 30_000, 30_000)
    with pytest.raises(InputError, match="900 MP exceeds the 400 MP limit"):
        ImageSource(path, UTC)
    assert Image.MAX_IMAGE_PIXELS == before
    small = write_bomb_png(tmp_path / "wide.png", 2_000, 1_000)
    with pytest.raises(InputError, match="exceeds the 1 MP limit"):
        ImageSource(small, UTC, max_pixels=1_000_000)


def test_truncated_jpeg_fails_on_read(tmp_path):
    path = write_test_photo(tmp_path / "t.jpg", width=400, height=300, boxes=[(10, 10, 50, 50)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="cannot decode image"):
        with ImageSource(path, UTC) as src:
            src.read(Window(0, 0, 64, 64))


@pytest.mark.slow  # importing ultralytics takes seconds
def test_corrupt_photo_fails_cleanly_after_ultralytics_patched_pillow(tmp_path):
    # ultralytics wraps Image.open to pip-install a HEIF plugin on unidentifiable files
    pytest.importorskip("ultralytics")
    import ultralytics.utils.patches  # noqa: F401  (applies the patch, as loading a model does)
    from PIL import Image

    assert Image.open.__module__ != "PIL.Image"  # the patch is in place

    corrupt = tmp_path / "c.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff garbage that is no JPEG")
    with pytest.raises(InputError, match="not an image Pillow can read"):
        ImageSource(corrupt, UTC)
