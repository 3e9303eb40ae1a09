"""Geotagging: boxes by geometry, photos by the place they picture."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from borderwatch.errors import GeoWarning
from borderwatch.geo.areas import load_areas
from borderwatch.geo.gazetteer import load_gazetteer
from borderwatch.geo.geotag import box_centres, frame_areas, geotag, locate_points
from tests.helpers_geo import (
    CHANGBAI,
    DANDONG,
    HYESAN,
    car_box,
    detection,
    detections_frame,
    frame,
    frames_frame,
    local_crs,
    rect,
)


def plain(values):
    """A column or frame as Python values, missing ones as None."""
    arr = values.astype(object).where(values.notna(), None)
    return arr.values.tolist()


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@pytest.fixture(scope="module")
def cores(gaz):
    return load_areas(None, gazetteer=gaz)


def test_georeferenced_boxes_join_by_centre(cores, gaz):
    fr = frame("a", "2025-09-15T03:00:00Z", footprint=rect(*HYESAN, 0, 0, 1000, 1000))
    dets = [
        detection(fr, 0, "car", car_box(*HYESAN, -100, 0)),
        detection(fr, 1, "truck", car_box(*DANDONG, 0, 0)),
        detection(fr, 2, "car", car_box(126.9, 40.5, 0, 0)),  # the mountains between: no area
    ]
    tagged = geotag(detections_frame(dets), frames_frame([fr]), cores, gaz)
    assert plain(tagged["area"]) == ["Hyesan", "Dandong", None]
    assert plain(tagged["country"]) == ["KP", "CN", None]
    assert tagged.crs.to_epsg() == 4326


def test_photos_belong_to_the_place_pictured_not_the_camera(cores, gaz):
    frames = [
        frame("tele", "2025-09-15T03:00:00Z", kind="photo", area="혜산", lon=CHANGBAI[0], lat=CHANGBAI[1]),
        frame("gps", "2025-09-15T03:00:00Z", kind="photo", lon=CHANGBAI[0], lat=CHANGBAI[1]),
        frame("named", "2025-09-15T03:00:00Z", kind="photo", area="Tanton"),
        frame("nowhere", "2025-09-15T03:00:00Z", kind="photo"),
    ]
    dets = [detection(f, 0, "car") for f in frames]
    tagged = geotag(detections_frame(dets), frames_frame(frames), cores, gaz)
    assert plain(tagged["area"]) == ["Hyesan", "Changbai", "Dandong", None]


def test_unknown_manifest_area_falls_back_to_lonlat(cores, gaz):
    fr = frame("x", "2025-09-15T03:00:00Z", kind="photo", area="Atlantis", lon=HYESAN[0], lat=HYESAN[1])
    with pytest.warns(GeoWarning, match="'Atlantis'"):
        fa = frame_areas(frames_frame([fr]), cores, gaz)
    assert fa["area"].tolist() == ["Hyesan"]
    assert fa["area_source"].tolist() == ["lonlat"]


def test_manifest_naming_a_parent_counts_at_the_parent(tmp_path, gaz):
    districts = gpd.GeoDataFrame(
        {"district_name": ["振兴区", "元宝区"], "city_name": ["丹东市", "丹东市"]},
        geometry=[rect(*DANDONG, -1000, 0, 2000, 2000), rect(*DANDONG, 1000, 0, 2000, 2000)],
        crs=4326,
    )
    path = tmp_path / "dd.geojson"
    districts.to_file(path)
    aset = load_areas(path, "district_name", "city_name", gazetteer=gaz)
    assert aset.frame["parent"].tolist() == ["Dandong", "Dandong"]
    frames = [frame("p", "2025-09-15T03:00:00Z", kind="photo", area="丹东"),
              frame("q", "2025-09-15T03:00:00Z", kind="photo", area="元宝区")]
    fa = frame_areas(frames_frame(frames), aset, gaz)
    assert plain(fa[["area", "area_parent", "country"]]) == [["Dandong", None, "CN"], ["元宝区", "Dandong", "CN"]]


def test_box_centres_handle_missing_geometry():
    g = np.array([car_box(*HYESAN, 0, 0), None, shapely.Polygon()], dtype=object)
    lon, lat = box_centres(g)
    assert lon[0] == pytest.approx(HYESAN[0], abs=1e-7) and lat[0] == pytest.approx(HYESAN[1], abs=1e-7)  # < 1 cm
    assert np.isnan(lon[1:]).all() and np.isnan(lat[1:]).all()


def test_point_on_a_shared_boundary_goes_to_one_area_deterministically(tmp_path, gaz):
    crs = local_crs(*HYESAN)
    west = gpd.GeoSeries([box(-1000, 0, 0, 1000)], crs=crs).to_crs(4326).iloc[0]
    east = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=crs).to_crs(4326).iloc[0]
    gdf = gpd.GeoDataFrame({"name": ["West", "East"]}, geometry=[west, east], crs=4326)
    gdf.to_file(tmp_path / "ew.geojson")
    aset = load_areas(tmp_path / "ew.geojson", gazetteer=gaz)
    shared = [c for c in west.exterior.coords if any(np.allclose(c, d) for d in east.exterior.coords)]
    x, y = shared[0]
    idx = locate_points([x, x], [y, y], aset)
    assert idx[0] == idx[1] >= 0
    assert aset.names[idx[0]] == "East"  # names sort: East before West


def test_locate_many_points_is_vectorised(cores):
    rng = np.random.default_rng(1)
    lon = HYESAN[0] + rng.uniform(-0.01, 0.01, 20000)
    lat = HYESAN[1] + rng.uniform(-0.01, 0.01, 20000)
    lon[:10] = np.nan
    idx = locate_points(lon, lat, cores)
    assert (idx[:10] == -1).all()
    assert (np.array(cores.names)[idx[10:]] == "Hyesan").all()  # all within ~1 km of the centre
