"""Claim extraction precision: evaluative, hypothetical and means-of-business wording gives no claim."""

from __future__ import annotations

import pytest

from borderwatch.claims.articles import Article, resolve_dates
from borderwatch.claims.extract import extract_claims
from borderwatch.geo.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def kinds_of(gaz, text: str) -> list[tuple[str, str]]:
    article = resolve_dates(Article("report.txt", "report.txt", text, published="2025-05-01"))
    return [(c.kind, c.vehicle_class) for c in extract_claims(article, gaz)]


def test_a_types_general_merits_are_not_an_observation(gaz):
    # a product comparison says nothing about vehicles anywhere
    assert kinds_of(gaz, "Villagers say scooters are faster than ordinary bicycles and more convenient.") == []
    # how vehicles sell is still an observation
    assert ("other", "car") in kinds_of(gaz, "In the market, new cars sell more slowly than used ones.")


def test_a_remedy_in_the_conditional_is_not_an_observation(gaz):
    text = "The best fix would be for dealers to take back the defective trucks they sold."
    assert ("other", "truck") not in kinds_of(gaz, text)
    assert ("other", "truck") in kinds_of(gaz, "Dealers keep selling defective trucks to farmers.")


def test_vehicles_before_a_noun_of_means_are_not_its_subject(gaz):
    # "smuggling" here is the means by which people went into business, not vehicles being smuggled
    text = "Investors who jumped into importing buses through state-approved smuggling now owe money."
    assert ("presence", "bus") not in kinds_of(gaz, text)
    assert ("presence", "bus") in kinds_of(gaz, "Buses were smuggled into Hyesan last month.")
