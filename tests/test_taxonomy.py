"""Class mappings onto the taxonomy: built-in tables, folding, overrides, user files, drop counts."""

from __future__ import annotations

import pytest

from borderwatch.detector.card import ModelCard
from borderwatch.detector.registry import card_mapping
from borderwatch.errors import InputError
from borderwatch.taxonomy import (
    CLASSES,
    SOURCES,
    ClassMapping,
    fold,
    guess_mapping,
    load_mapping_file,
    mapping_for,
)


def test_every_table_maps_into_the_taxonomy():
    for name, table in SOURCES.items():
        assert all(v is None or v in CLASSES for v in table.values()), name


@pytest.mark.parametrize(
    "source, name, expected",
    [
        ("coco", "car", "car"),
        ("coco", "motorcycle", "two_wheeler"),
        ("coco", "bicycle", "two_wheeler"),
        ("coco", "person", None),
        ("visdrone", "van", "car"),
        ("visdrone", "awning-tricycle", "two_wheeler"),
        ("dota", "Small-Vehicle", "car"),
        ("dota", "large_vehicle", "truck"),
        ("xview", "Excavator", "heavy_equipment"),
        ("xview", "Front loader/Bulldozer", "heavy_equipment"),
        ("xview", "dump truck", "truck"),
        ("aerial-cars", "minibus", "bus"),
    ],
)
def test_builtin_tables(source, name, expected):
    assert mapping_for(source).map(name) == expected


def test_fold_ignores_case_spaces_hyphens_underscores():
    assert fold("Small-Vehicle") == fold("small vehicle") == fold(" small__vehicle ") == "small vehicle"


def test_dropped_classes_are_counted_by_their_own_name():
    m = mapping_for("coco")
    for name in ["person", "person", "giraffe", "car"]:
        m.map(name)
    assert m.dropped == {"person": 2, "giraffe": 1}
    assert m.knows("person") and not m.knows("giraffe")


def test_user_overrides_win():
    m = mapping_for("coco").with_overrides({"truck": "heavy_equipment", "person": None, "Train": "truck"})
    assert m.map("truck") == "heavy_equipment" and m.map("train") == "truck" and m.map("car") == "car"
    assert m.source == "coco+user"


def test_mapping_to_an_unknown_class_is_refused():
    with pytest.raises(InputError, match="not one of"):
        ClassMapping({"car": "vehicle"})
    with pytest.raises(InputError, match="unknown class source"):
        mapping_for("imagenet")


def test_guess_mapping_prefers_coco_meanings():
    m = guess_mapping(["car", "small vehicle", "excavator"])
    assert m.map("car") == "car" and m.map("small vehicle") == "car" and m.map("excavator") == "heavy_equipment"


def test_covered_lists_what_each_model_class_becomes():
    assert mapping_for("coco").covered(["car", "dog"]) == {"car": "car", "dog": None}


def test_mapping_files(tmp_path):
    good = tmp_path / "map.yaml"
    good.write_text("lorry: truck\nhorse: null\n")
    assert load_mapping_file(good) == {"lorry": "truck", "horse": None}
    js = tmp_path / "map.json"
    js.write_text('{"tuk tuk": "two_wheeler"}')
    assert load_mapping_file(js) == {"tuk tuk": "two_wheeler"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("lorry: lorry\n")
    with pytest.raises(InputError, match="bad.yaml"):
        load_mapping_file(bad)
    notamap = tmp_path / "list.yaml"
    notamap.write_text("- car\n")
    with pytest.raises(InputError, match="object"):
        load_mapping_file(notamap)
    with pytest.raises(InputError, match="cannot read"):
        load_mapping_file(tmp_path / "missing.yaml")


def test_card_mapping_combines_source_and_overrides():
    card = ModelCard(name="m", class_source="dota", mapping={"plane": "truck"})
    m = card_mapping(card)
    assert m.map("small vehicle") == "car" and m.map("plane") == "truck"
    own = card_mapping(ModelCard(name="own", mapping={"vehicle": "car"}))
    assert own.map("vehicle") == "car" and own.map("truck") is None
    assert card_mapping(None).map("motorbike") == "two_wheeler"
