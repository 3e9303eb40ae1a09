"""Model cards: validation errors name the key; per-class metrics pick the evaluation nearest the GSD."""

from __future__ import annotations

import pytest

from borderwatch.detector.card import ClassMetrics, Metrics, ModelCard, dump_card, load_card
from borderwatch.errors import InputError


def _card() -> ModelCard:
    return ModelCard(
        name="m",
        metrics=[
            Metrics(gsd_m=None, per_class={"car": ClassMetrics(precision=0.1, recall=0.1)}),
            Metrics(gsd_m=0.05, per_class={"car": ClassMetrics(precision=0.9, recall=0.9)}),
            Metrics(gsd_m=0.3, per_class={"car": ClassMetrics(precision=0.8, recall=0.6)}),
        ],
    )


def test_class_metrics_nearest_gsd_and_unknown_gsd_last():
    card = _card()
    assert card.class_metrics("car", 0.3).recall == 0.6
    assert card.class_metrics("car", 0.5).recall == 0.6
    assert card.class_metrics("car", 0.04).recall == 0.9
    assert card.class_metrics("car").recall == 0.1  # no GSD asked: the first evaluation
    assert card.class_metrics("bus", 0.3) is None


def test_round_trip_and_errors(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(dump_card(_card()))
    assert load_card(path) == _card()
    path.write_text("name: m\nformat: caffe\n")
    with pytest.raises(InputError, match="format") as err:
        load_card(path)
    assert "m.yaml" in str(err.value)
    path.write_text("- not a mapping\n")
    with pytest.raises(InputError, match="mapping"):
        load_card(path)


def test_class_metrics_at_one_scale_prefer_the_larger_evaluation():
    card = ModelCard(name="m", metrics=[
        Metrics(dataset="few", gsd_m=0.3, per_class={"truck": ClassMetrics(precision=0.5, recall=0.1, n_true=1)}),
        Metrics(dataset="many", gsd_m=0.3, per_class={"truck": ClassMetrics(precision=0.8, recall=0.7, n_true=66)}),
        Metrics(dataset="far", gsd_m=1.0, per_class={"truck": ClassMetrics(precision=0.9, recall=0.9, n_true=500)}),
    ])
    assert card.class_metrics("truck", 0.3).n_true == 66
    assert card.class_metrics("truck", 0.9).n_true == 500  # scale first, size second


def test_per_class_merge_methods_name_taxonomy_classes(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: m\ninference: {merge: ios, merge_per_class: {heavy_equipment: nms}}\n")
    assert load_card(path).inference.merge_per_class == {"heavy_equipment": "nms"}
    path.write_text("name: m\ninference: {merge_per_class: {excavator: nms}}\n")
    with pytest.raises(InputError, match="merge_per_class.*'excavator' is not a taxonomy class"):
        load_card(path)
    path.write_text("name: m\ninference: {merge_per_class: {car: average}}\n")
    with pytest.raises(InputError, match="merge_per_class.*nms or ios"):
        load_card(path)
