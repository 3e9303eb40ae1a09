"""Claim extraction on sentences written for this test in the way reporters write (none is from the
article corpus): what each is under the written conventions (``../shared/articles/CONVENTIONS.md``).
They pin the general mechanisms of issue 12 — quantities attached by syntax, years and dates that are
not counts, changes beside levels, relative clauses and lists between a subject and its verb,
conditions, the date a source spoke on — rather than any one article's phrasing."""

from __future__ import annotations

import pytest

from borderwatch.claims.articles import Article, resolve_dates
from borderwatch.claims.extract import extract_claims
from borderwatch.geo.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def kinds(gaz, text: str, published: str = "2025-10-15") -> list[tuple[str, str]]:
    art = resolve_dates(Article("g.txt", "g.txt", text, published=published))
    return sorted((c.kind, c.vehicle_class) for c in extract_claims(art, gaz))


def claims(gaz, text: str, published: str = "2025-10-15"):
    return extract_claims(resolve_dates(Article("g.txt", "g.txt", text, published=published)), gaz)


@pytest.mark.parametrize("text, want", [
    ("Sedans, minibuses, tipper lorries and a crane were parked outside the customs house in Sinuiju.",
     [("presence", "bus"), ("presence", "car"), ("presence", "heavy_equipment"), ("presence", "truck")]),
    ("Construction equipment, including excavators and dump trucks, is visible along the new road.",
     [("presence", "heavy_equipment"), ("presence", "truck")]),
    ("Lorries hauling coal kept rolling into Hyesan all week.", [("presence", "truck")]),
    ("Trucks carrying Chinese goods stood bumper to bumper on the Dandong side of the bridge on Monday.",
     [("presence", "truck")]),
    ("Large cranes and excavators have been operating at the site of the new bridge for months.",
     [("presence", "heavy_equipment")]),
    ("Not a single lorry crossed the bridge on Tuesday.", [("absence", "truck")]),
    ("No tractors could be seen in the fields near Hyesan.", [("absence", "heavy_equipment")]),
    ("Satellite images from Sept. 2 show no vehicles at the site.", [("absence", "any_vehicle")]),
])
def test_presence_and_absence(gaz, text, want):
    assert kinds(gaz, text) == want


@pytest.mark.parametrize("text, cls, direction", [
    ("Truck traffic across the border fell by half last year.", "truck", "decrease"),
    ("The trucks, which carry flour, fertilizer and construction materials, have been crossing in larger "
     "numbers since the border reopened in 2023.", "truck", "increase"),
    ("Meanwhile, the number of electric bicycles on the streets of Hyesan has risen sharply this year.",
     "two_wheeler", "increase"),
    ("Trucks carrying construction materials for the new apartment blocks have also become a frequent sight "
     "on the road to Samjiyon.", "truck", "increase"),
    ("Buses have largely disappeared from the route since fuel prices spiked.", "bus", "decrease"),
    ("Smuggled vehicles are pouring into Ryanggang Province again, sources say.", "any_vehicle", "increase"),
])
def test_trends(gaz, text, cls, direction):
    got = [(c.vehicle_class, c.direction) for c in claims(gaz, text) if c.kind == "trend"]
    assert (cls, direction) in got


def test_a_condition_is_no_trend(gaz):
    assert kinds(gaz, "He said he would buy a car if prices fell.") == []


@pytest.mark.parametrize("text", [
    "The UN Security Council banned exports of vehicles to North Korea in December 2017.",
    "Tourists rode a cable car up the mountain.",
    "Kim Jong Un inspected a tractor factory in Kumsong.",
    "Traders are waiting to see whether the border will reopen.",
])
def test_not_claims(gaz, text):
    assert kinds(gaz, text) == []


def test_a_year_or_a_day_of_the_month_is_no_count(gaz):
    assert not [c for c in claims(gaz, "By comparison, the number of vehicles crossing in 2019 was three times higher.")
                if c.kind == "count"]
    assert not [c for c in claims(gaz, "Satellite images from Sept. 2 show no vehicles at the site.") if c.kind == "count"]


def test_a_figure_for_the_number_of_vehicles(gaz):
    got = claims(gaz, "The number of taxis operating in Pyongyang is estimated at between 2,000 and 3,000.")
    assert [(c.kind, c.vehicle_class, c.low, c.high) for c in got] == [("range", "car", 2000, 3000)]


def test_a_level_beside_its_change(gaz):
    got = claims(gaz, "Customs data show that China exported 1,500 vehicles to North Korea in 2017, down 40 percent "
                      "from a year earlier.")
    assert ("count", 1500.0) in [(c.kind, c.value) for c in got]
    assert ("trend", "decrease") in [(c.kind, c.direction) for c in got]
    got = claims(gaz, "Dandong officials said 300 to 400 trucks now cross every day, up from about 100 last year.")
    assert {c.kind for c in got} == {"range", "trend"}


def test_an_elided_noun_after_the_number(gaz):
    got = claims(gaz, "North Korea has begun importing tractors from Russia, with at least 20 arriving by rail at "
                      "Tumangang station in October.")
    assert ("lower_bound", "heavy_equipment", 20.0) in [(c.kind, c.vehicle_class, c.low) for c in got]


@pytest.mark.parametrize("text, kind, value", [
    ("Twenty-seven trucks crossed the bridge.", "count", 27), ("Three dozen buses were waiting.", "count", 36),
    ("Some 30 trucks were waiting.", "approximate", 30), ("Upwards of 50 trucks were waiting.", "lower_bound", 50),
    ("A couple of trucks were waiting.", "count", 2), ("More than a dozen trucks were waiting.", "lower_bound", 12),
    ("Five 25-ton trucks were waiting.", "count", 5), ("An estimated 1,200 cars were imported last year.", "approximate", 1200),
])
def test_quantity_words(gaz, text, kind, value):
    got = [(c.kind, c.value if c.value is not None else c.low) for c in claims(gaz, text)]
    assert (kind, value) in got


def test_the_date_a_source_spoke_is_not_the_date_of_the_event(gaz):
    text = ("A source in Hyesan told Daily NK on Oct. 10 that about 50 used cars were brought across the Yalu River "
            "last week.")
    (c,) = claims(gaz, text)
    assert (c.kind, c.value, c.unit) == ("approximate", 50.0, "vehicles")  # "Daily NK" is not "daily"
    assert (c.period_start, c.period_end) == ("2025-10-06", "2025-10-12")


def test_a_word_elsewhere_in_the_clause_does_not_mix_the_class(gaz):
    text = ("Known as 'servi-cha' — the name comes from 'service' and 'car' — the buses have been carrying goods "
            "in what is an increasing trend.")
    assert ("trend", "bus") in kinds(gaz, text)


@pytest.mark.parametrize("text, want", [
    ("About 20 trucks and some cars were parked near the customs house.", [("approximate", "truck"), ("presence", "car")]),
    ("Over 30 trucks, along with buses and sedans, crossed into Sinuiju.",
     [("lower_bound", "truck"), ("presence", "bus"), ("presence", "car")]),
    ("Photos show 15 excavators and a crane at the site.", [("count", "heavy_equipment")]),
])
def test_types_without_a_number_beside_a_counted_type_are_present(gaz, text, want):
    assert kinds(gaz, text) == sorted(want)


def test_a_wage_is_no_vehicle_price_but_a_profit_per_truck_is(gaz):
    assert kinds(gaz, "Truck drivers are paid 500 yuan per trip.") == []
    got = claims(gaz, "Smugglers reportedly earn about 2,000 yuan per truck.")
    assert [(c.kind, c.vehicle_class) for c in got] == [("price", "truck")]


def test_more_of_one_type_than_another_is_no_trend(gaz):
    assert not [c for c in claims(gaz, "Residents say there are more electric bikes than bicycles in the city now.")
                if c.kind == "trend"]
    assert ("trend", "truck") in kinds(gaz, "There are more trucks than last year on the road to Sinuiju.")
