"""Coverage: km² imaged per area and bucket, overlapping scenes counted once."""

from __future__ import annotations

import geopandas as gpd
import pytest

from borderwatch.geo.areas import load_areas
from borderwatch.geo.coverage import footprint_coverage
from tests.helpers_geo import DANDONG, HYESAN, rect


@pytest.fixture(scope="module")
def square_areas(tmp_path_factory):
    """Two 2 km × 2 km areas: one in central Hyesan, one in Dandong."""
    path = tmp_path_factory.mktemp("areas") / "squares.geojson"
    gpd.GeoDataFrame(
        {"name": ["Hyesan", "Dandong"]},
        geometry=[rect(*HYESAN, 0, 0, 2000, 2000), rect(*DANDONG, 0, 0, 2000, 2000)],
        crs=4326,
    ).to_file(path)
    return load_areas(path)


def fps(rows):
    return gpd.GeoDataFrame(
        {"frame_id": [r[0] for r in rows], "bucket": [r[1] for r in rows]}, geometry=[r[2] for r in rows], crs=4326
    )


def by_area(cov, aset):
    return {(aset.names[int(r.area_index)], r.bucket): (round(r.imaged_km2, 6), r.frame_ids) for r in cov.itertuples()}


def test_area_is_measured_exactly(square_areas):
    assert square_areas.frame["area_km2"].tolist() == pytest.approx([4.0, 4.0], rel=1e-6)


def test_inside_partly_outside_and_overlapping(square_areas):
    cov = footprint_coverage(
        fps(
            [
                ("a", "d1", rect(*HYESAN, -500, -500, 1000, 1000)),  # 1 km² inside
                ("b", "d1", rect(*HYESAN, 0, -500, 1000, 1000)),  # overlaps a by half: union 1.5
                ("c", "d2", rect(*HYESAN, 1000, 0, 1000, 1000)),  # half outside the area: 0.5
                ("d", "d2", rect(*DANDONG, 0, 0, 5000, 5000)),  # covers all of Dandong: 4
                ("e", "d2", rect(*DANDONG, 3000, 0, 2000, 2000)),  # only touches the edge: nothing
            ]
        ),
        square_areas,
    )
    got = by_area(cov, square_areas)
    assert got == {
        ("Hyesan", "d1"): (1.5, ["a", "b"]),
        ("Hyesan", "d2"): (0.5, ["c"]),
        ("Dandong", "d2"): (4.0, ["d"]),
    }


def test_same_scene_area_in_different_buckets_is_not_merged(square_areas):
    cov = footprint_coverage(
        fps([("a", "w1", rect(*HYESAN, 0, 0, 1000, 1000)), ("b", "w2", rect(*HYESAN, 0, 0, 1000, 1000))]), square_areas
    )
    assert by_area(cov, square_areas) == {("Hyesan", "w1"): (1.0, ["a"]), ("Hyesan", "w2"): (1.0, ["b"])}


def test_empty_and_missing_footprints(square_areas):
    assert footprint_coverage(fps([]), square_areas).empty
    cov = footprint_coverage(fps([("a", "d1", None), ("b", "d1", rect(*HYESAN, 0, 0, 1000, 1000))]), square_areas)
    assert by_area(cov, square_areas) == {("Hyesan", "d1"): (1.0, ["b"])}


def test_invalid_footprint_is_repaired_not_fatal(square_areas):
    from shapely.geometry import Polygon

    x, y = HYESAN
    d = 0.004
    bow = Polygon([(x - d, y - d), (x + d, y + d), (x + d, y - d), (x - d, y + d)])
    cov = footprint_coverage(fps([("a", "d1", bow)]), square_areas)
    assert len(cov) == 1 and 0 < cov["imaged_km2"].iloc[0] < 4.0
