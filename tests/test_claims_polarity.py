"""Negation and rarity (conventions: "no tractors could be seen" is absence, "taxis are seldom seen"
is no presence), unit by unit and on the demo's own articles (issue 13, point 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.claims.articles import Article, load_article_file, resolve_dates
from borderwatch.claims.extract import extract_claims
from borderwatch.claims.polarity import AFFIRMED, NEGATED, RARE, polarity
from borderwatch.geo.gazetteer import load_gazetteer

DEMO_ARTICLES = Path(__file__).resolve().parents[1] / "borderwatch" / "pipeline" / "data" / "demo" / "articles"


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def _pol(text: str, word: str) -> str:
    i = text.index(word)
    return polarity(text, i, i + len(word))


@pytest.mark.parametrize("text, word, want", [
    ("No excavators were seen at the site", "excavators", NEGATED),
    ("no tractors could be seen in the fields", "tractors", NEGATED),
    ("not a single lorry crossed the bridge", "lorry", NEGATED),
    ("There were no buses at the terminal", "buses", NEGATED),
    ("trucks were nowhere to be seen", "trucks", NEGATED),
    ("tractors could not be seen from the road", "tractors", NEGATED),
    ("the yard was without any cranes", "cranes", NEGATED),
    ("Buses are rarely seen on the streets", "Buses", RARE),
    ("taxis are seldom seen outside Pyongyang", "taxis", RARE),
    ("hardly any trucks came in", "trucks", RARE),
    ("motorcycles remain rare in the countryside", "motorcycles", RARE),
    # affirmed: the negation is about something else, or there is none
    ("30 trucks crossed the bridge", "trucks", AFFIRMED),
    ("they cannot sell the cars", "cars", AFFIRMED),
    ("the cars haven't been sold yet", "cars", AFFIRMED),
    ("not only cars but also trucks were parked", "cars", AFFIRMED),
    ("no longer do trucks cross at night", "trucks", AFFIRMED),
])
def test_polarity_of_a_mention(text, word, want):
    assert _pol(text, word) == want


def _claims(gaz, text: str, published: str = "2025-09-20") -> list[dict]:
    art = resolve_dates(Article("r.txt", "r.txt", text, published=published))
    return [c.to_dict() for c in extract_claims(art, gaz)]


@pytest.mark.parametrize("text, cls", [
    ("No excavators were seen at the construction sites of Hyesan.", "heavy_equipment"),
    ("Not a single lorry crossed the bridge at Sinuiju on Monday.", "truck"),
    ("No tractors could be seen in the fields near Hyesan.", "heavy_equipment"),
    ("Trucks were nowhere to be seen at the Dandong customs post.", "truck"),
])
def test_denied_vehicles_are_absence_never_presence(gaz, text, cls):
    claims = _claims(gaz, text)
    assert any(c["kind"] == "absence" and c["vehicle_class"] == cls for c in claims), claims
    assert not any(c["kind"] in ("presence", "count") and c["vehicle_class"] == cls for c in claims), claims


@pytest.mark.parametrize("text, cls", [
    ("Buses are rarely seen on the streets of Hyesan these days.", "bus"),
    ("Taxis are seldom seen outside Pyongyang.", "car"),
    ("Hardly any trucks came in across the river last week.", "truck"),
])
def test_rare_vehicles_are_never_presence_nor_absence(gaz, text, cls):
    claims = _claims(gaz, text)
    assert not any(c["kind"] in ("presence", "absence") and c["vehicle_class"] == cls for c in claims), claims


def test_affirmed_presence_is_kept(gaz):
    claims = _claims(gaz, "Dozens of trucks were seen lined up at the Sinuiju customs post on Monday.")
    assert any(c["vehicle_class"] == "truck" and c["kind"] == "range" for c in claims), claims


def test_demo_articles_negation_and_rarity_regression(gaz):
    """The demo's articles: "No excavators were seen" is absence; "Buses are rarely seen" is not presence."""
    claims = []
    for f in sorted(DEMO_ARTICLES.glob("*.json")):
        for art in load_article_file(f):
            claims += [c.to_dict() for c in extract_claims(art, gaz)]
    excavators = [c for c in claims if "No excavators were seen" in c["quote"]]
    assert excavators and all(c["kind"] == "absence" and c["vehicle_class"] == "heavy_equipment" for c in excavators)
    rare = [c for c in claims if "Buses are rarely seen" in c["quote"]]
    assert not any(c["kind"] in ("presence", "absence", "count") for c in rare), rare
    # the affirmative claims of the demo are still there
    kinds = {(c["kind"], c["vehicle_class"]) for c in claims}
    assert {("approximate", "car"), ("lower_bound", "car"), ("count", "bus"), ("trend", "truck")} <= kinds
