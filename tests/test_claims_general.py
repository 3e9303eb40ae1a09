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


# --- fifth pass: more sentences of the same kind, written for this test -------------------------

@pytest.mark.parametrize("text, want", [
    # machines at work are there
    ("Bulldozers were clearing the riverbank near Hyesan on Monday.", [("presence", "heavy_equipment")]),
    ("Excavators are digging foundations for new apartment blocks in Sinuiju.", [("presence", "heavy_equipment")]),
    ("Two dump trucks and an excavator were working on the embankment.",
     [("count", "truck"), ("presence", "heavy_equipment")]),
    # a plural vehicle word before an -ing cue is its subject, not half of a compound noun
    ("Chinese trucks carrying seafood now make the trip to Rason several times a week.", [("presence", "truck")]),
    ("Trucks queue at the customs gate in Sinuiju.", [("presence", "truck")]),
    ("Trucks crossed the bridge all morning.", [("presence", "truck")]),  # the place is the verb's object
    ("Motorcycles and e-bikes crowd the market entrance in Hyesan every morning.", [("presence", "two_wheeler")]),
    # a motorbike taxi is a two-wheeler, not a car
    ("Motorbike taxis have appeared in Chongjin in recent months.", [("presence", "two_wheeler")]),
    # "no vehicles" denies every kind, not just the kinds named a sentence earlier
    ("Six buses and two cranes stood near the warehouse. No vehicles were visible on the bridge.",
     [("absence", "any_vehicle"), ("count", "bus"), ("count", "heavy_equipment")]),
    # rarity is an observation, neither presence nor absence
    ("Private cars were still a rarity in the border city.", [("other", "car")]),
    # what drivers earn per trip is a wage; what smugglers earn per truck is what a vehicle brings in
    ("Truck drivers earn about 300 yuan per trip.", []),
])
def test_fifth_pass_kinds(gaz, text, want):
    assert kinds(gaz, text) == want


def test_percent_more_than_is_a_change_not_a_share(gaz):
    (c,) = claims(gaz, "About 20 percent more trucks crossed the bridge in September than in August.")
    assert (c.kind, c.vehicle_class, c.direction, c.value, c.unit) == ("trend", "truck", "increase", 0.2, "fraction_change")
    (c,) = claims(gaz, "Cars now cost 30 percent more than they did last year.")
    assert (c.kind, c.direction, c.value) == ("trend", "increase", 0.3)
    assert (c.period_start, c.period_end) == ("2024-01-01", "2025-10-15")  # from the date compared with, to now
    (c,) = claims(gaz, "Around 30 percent of the trucks were empty.")
    assert c.kind == "proportion"


def test_date_after_up_from_dates_the_earlier_level(gaz):
    now, before = claims(gaz, "Electric bikes now cost between 3,000 and 4,500 yuan, up from 2,500 yuan last year.")
    assert (now.low, now.high, now.period_start, now.period_end) == (3000.0, 4500.0, None, "2025-10-15")
    assert (before.value, before.period_start, before.period_end) == (2500.0, "2024-01-01", "2024-12-31")


def test_becoming_so_popular_is_a_rise(gaz):
    got = [(c.kind, c.vehicle_class, c.direction) for c in
           claims(gaz, "Electric bicycles have become so popular that some traders sell 50 a month.")]
    assert ("trend", "two_wheeler", "increase") in got


def test_price_moved_to_a_level_is_a_price_and_a_trend(gaz):
    got = claims(gaz, "The price of a used Toyota Land Cruiser has fallen to about $12,000.")
    assert [(c.kind, c.vehicle_class) for c in got] == [("price", "car"), ("trend", "car")]
    assert got[1].direction == "decrease" and "price" in (got[1].note or "")
    # a fare is per passenger, whatever the wording
    (fare,) = claims(gaz, "A ride in a service car from Hyesan to Pyongyang costs 80,000 won per person.")
    assert fare.unit == "kpw_per_passenger_trip"


def test_count_beside_its_share_and_capacity_is_no_count(gaz):
    got = sorted((c.kind, c.vehicle_class, c.value) for c in claims(
        gaz, "Around 300 private taxis currently operate in Chongjin, most of them Chinese-made sedans."))
    assert got == [("approximate", "car", 300.0), ("proportion", "car", None)]
    got = claims(gaz, "Workers had also paved a new parking area large enough for about 100 vehicles.")
    assert not [c for c in got if c.kind in ("approximate", "count", "presence")]


def test_their_numbers_point_back_to_the_vehicles(gaz):
    got = [(c.kind, c.vehicle_class, c.direction) for c in
           claims(gaz, "Electric bikes are cheap, and their numbers are growing.")]
    assert got == [("trend", "two_wheeler", "increase")]


def test_vehicular_activity_is_all_vehicles(gaz):
    assert kinds(gaz, "Some vehicular activity is observed near the entrance to the customs area.") == [
        ("presence", "any_vehicle")]


@pytest.mark.parametrize("text, cls, unit", [
    # additions: "mainly" is 0.5-1.0 like "most"; "mostly" says the same
    ("The vehicles in the yard were mainly buses.", "bus", "class_share"),
    ("Satellite imagery shows at least 45 vehicles, mostly trucks, at the customs complex.", "truck", "class_share"),
    ("The trucks crossing the bridge are mainly Chinese.", "truck", "fraction"),
])
def test_mainly_is_a_share(gaz, text, cls, unit):
    (share,) = [c for c in claims(gaz, text) if c.kind == "proportion"]
    assert (share.vehicle_class, share.low, share.high, share.unit) == (cls, 0.5, 1.0, unit)


def test_who_holds_the_vehicles_is_an_observation(gaz):
    assert kinds(gaz, "Many private cars in Pyongyang are registered to state companies.") == [("other", "car")]


def test_a_capitals_dateline_dates_the_report_not_the_claim(gaz):
    text = ("HYESAN, May 14 — About 30 trucks loaded with timber left Hyesan for China this week, a source said.\n\n"
            "Last month, only around 10 trucks made the trip.")
    art = resolve_dates(Article("g.txt", "g.txt", text, published=None,
                                url="https://example.org/english/2024/05/trucks-hyesan/"))
    week, month = extract_claims(art, gaz)
    # the spaced dash is an aside, not the range "14-30"; the dateline is the reference of "this week"
    assert (week.kind, week.value, week.period_start, week.period_end) == ("approximate", 30.0, "2024-05-13", "2024-05-14")
    assert (month.value, month.period_start, month.period_end) == (10.0, "2024-04-01", "2024-04-30")


def test_brands_and_currencies_beyond_china(gaz):
    (c,) = claims(gaz, "A used Lada sells for about 300,000 rubles in Rason.")
    assert (c.kind, c.vehicle_class, c.value, c.currency, c.place) == ("price", "car", 300000.0, "RUB", "Rason")


def test_exceeds_is_a_lower_bound(gaz):
    (c,) = claims(gaz, "The number of cars registered in Pyongyang exceeds 10,000.")
    assert (c.kind, c.vehicle_class, c.low, c.place) == ("lower_bound", "car", 10000.0, "Pyongyang")
    (c,) = claims(gaz, "Imports from China exceeded 2,000 vehicles last year.")
    assert (c.kind, c.vehicle_class, c.low) == ("lower_bound", "any_vehicle", 2000.0)
