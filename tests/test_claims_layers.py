"""Each layer of claim extraction, tested from the written conventions of the article corpus
(``../shared/articles/CONVENTIONS.md``), not from any one article: vehicle mentions -> quantities and
what they count -> shares and changes -> periods -> kinds (other, loads)."""

from __future__ import annotations

from datetime import date

import pytest

from borderwatch.claims.articles import Article, resolve_dates
from borderwatch.claims.dates import Context, Reference, find_dates
from borderwatch.claims.extract import extract_claims
from borderwatch.claims.mentions import find_mentions
from borderwatch.claims.numbers import find_quantities
from borderwatch.geo.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def claims_of(gaz, text: str, published: str | None = "2025-09-20", **meta) -> list[dict]:
    art = resolve_dates(Article("r.txt", "r.txt", text, published=published, **meta))
    out = [c.to_dict() for c in extract_claims(art, gaz)]
    assert all(c["quote"] in text for c in out)
    return out


# --- mentions: types, brands, plural and compound forms -> the taxonomy ------------------------------

@pytest.mark.parametrize("text, cls", [
    ("taxis", "car"), ("sedans", "car"), ("vans", "car"), ("BYDs", "car"), ("Camrys", "car"),
    ("lorries", "truck"), ("cargo trucks", "truck"), ("dump trucks", "truck"), ("trailers", "truck"),
    ("four-door trucks", "truck"), ("tipper lorries", "truck"),
    ("e-bikes", "two_wheeler"), ("bicycles", "two_wheeler"), ("motorcycles", "two_wheeler"), ("scooters", "two_wheeler"),
    ("excavators", "heavy_equipment"), ("bulldozers", "heavy_equipment"), ("tractors", "heavy_equipment"),
    ("cranes", "heavy_equipment"), ("buses", "bus"), ("minibuses", "bus"),
])
def test_vehicle_words_map_to_the_taxonomy(text, cls):
    ms = [m for m in find_mentions(f"We saw {text} there.") if m.kind == "specific"]
    assert [m.cls for m in ms] == [cls], ms


@pytest.mark.parametrize("text", ["rail cars", "railcars", "freight trains", "a car park", "rail freight traffic"])
def test_rail_cars_trains_and_places_are_not_vehicles(text):
    assert not [m for m in find_mentions(f"There were {text} at the station.") if m.kind == "specific"]


def test_a_list_of_types_gives_one_presence_claim_per_class(gaz):
    claims = claims_of(gaz, "Sedans, minibuses, tipper lorries and a crane were parked at the Hyesan customs post.")
    assert {c["vehicle_class"] for c in claims if c["kind"] == "presence"} == {"car", "bus", "truck", "heavy_equipment"}


@pytest.mark.parametrize("text, cls", [
    ("Lorries hauling coal kept rolling in to Sinuiju.", "truck"),
    ("The caravan of trucks rumbles across the narrow bridge at Dandong.", "truck"),
    ("Schoolyards in Hyesan are filled with smuggled Chinese vehicles.", "any_vehicle"),
    ("Countless trucks now cross the border at Sinuiju.", "truck"),
    ("The bridge at Dandong has been packed bumper-to-bumper with Chinese trucks.", "truck"),
    ("Chinese luxury cars, BYDs, lined up.", "car"),
])
def test_presence_stated_through_activity(gaz, text, cls):
    claims = claims_of(gaz, text)
    assert any(c["kind"] == "presence" and c["vehicle_class"] == cls for c in claims), claims


# --- quantities: vague words, hedges and bounds --------------------------------------------------------

@pytest.mark.parametrize("text, kind, value, low, high", [
    ("dozens of trucks", "range", None, 24, 99),
    ("several cars", "range", None, 3, 9),
    ("several hundred vehicles", "range", None, 200, 900),
    ("hundreds of buses", "range", None, 200, 900),
    ("scores of trucks", "lower_bound", None, 40, None),
    ("multiple excavators", "lower_bound", None, 2, None),
    ("at least 100 to several hundred vehicles", "range", None, 100, 900),
    ("a bus or two", "range", None, 1, 2),
    ("as many as 50 cars", "upper_bound", None, None, 50),
    ("up to 30 trucks", "upper_bound", None, None, 30),
    ("at most 40 trucks", "upper_bound", None, None, 40),
    ("more than 100 trucks", "lower_bound", None, 100, None),
    ("over 20 buses", "lower_bound", None, 20, None),
    ("roughly a dozen buses", "approximate", 12, None, None),
    ("some two dozen trucks", "approximate", 24, None, None),
])
def test_quantity_words(text, kind, value, low, high):
    q = find_quantities(text)[0]
    assert (q.kind, q.value, q.low, q.high) == (kind, value, low, high)


def test_only_n_can_is_an_upper_bound(gaz):
    claims = claims_of(gaz, "Traders in Dandong smuggle buses, but only five can be smuggled across the border per week.")
    c = next(c for c in claims if c["kind"] == "upper_bound")
    assert (c["vehicle_class"], c["high"]) == ("bus", 5)


def test_a_load_per_truck_is_not_a_vehicle_count(gaz):
    claims = claims_of(gaz, "The trucks cross at Sinuiju in the daytime and unload about 40 tons of cargo each.")
    loads = [c for c in claims if c["unit"] and c["unit"].startswith("tonnes_cargo")]
    assert len(loads) == 1 and loads[0]["kind"] == "approximate" and loads[0]["value"] == 40
    assert not any(c["kind"] in ("count", "approximate") and c["unit"] == "vehicles" for c in claims)


# --- shares and changes --------------------------------------------------------------------------------

def test_a_share_of_something_else_is_no_vehicle_proportion(gaz):
    claims = claims_of(gaz, "Some 20 trucks waited at Dandong, through which 70 percent of North Korea's trade passes.")
    assert not any(c["kind"] == "proportion" for c in claims), claims


def test_a_change_by_a_percentage_is_a_trend_with_its_size(gaz):
    claims = claims_of(gaz, "Vehicle traffic at the Sinuiju customs post decreased by about 88 percent last year.")
    c = next(c for c in claims if c["kind"] == "trend")
    assert c["direction"] == "decrease" and c["value"] == pytest.approx(0.88)


@pytest.mark.parametrize("text, direction", [
    ("Truck crossings at Sinuiju picked up again in March.", "increase"),
    ("Satellite imagery shows a hike in vehicle traffic on the bridge at Sinuiju.", "increase"),
    ("Truck traffic at Dandong dropped sharply after the sanctions.", "decrease"),
    ("Bus services to Hyesan came to a halt in June.", "halted"),
])
def test_trend_words(gaz, text, direction):
    claims = claims_of(gaz, text)
    assert any(c["kind"] == "trend" and c["direction"] == direction for c in claims), claims


# --- periods ---------------------------------------------------------------------------------------------

def _period(text: str, ref: date) -> tuple:
    (expr,) = find_dates(text)
    p = expr.resolve(Context(Reference.day(ref)))
    return p.start, p.end


def test_past_few_days_and_past_week():
    ref = date(2024, 9, 26)
    assert _period("over the past few days", ref) == (date(2024, 9, 23), ref)
    assert _period("over the past week", ref) == (date(2024, 9, 19), ref)


def test_late_last_year_starts_in_september():
    assert _period("late last year", date(2025, 3, 4)) == (date(2024, 9, 1), date(2024, 12, 31))


def test_a_month_hint_bounds_present_statements_at_the_month_end(gaz):
    claims = claims_of(gaz, "Trucks are parked along the river in Hyesan.", published=None, published_hint="2025-10")
    c = next(c for c in claims if c["kind"] == "presence")
    assert (c["period_start"], c["period_end"]) == (None, "2025-10-31")


def test_a_year_hint_bounds_nothing(gaz):
    claims = claims_of(gaz, "Trucks are parked along the river in Hyesan.", published=None, published_hint="2017")
    c = next(c for c in claims if c["kind"] == "presence")
    assert (c["period_start"], c["period_end"]) == (None, None)


def test_a_price_a_vehicle_can_fetch_has_no_period(gaz):
    claims = claims_of(gaz, "In Dandong the buses can be sold for about 70,000 yuan each.")
    c = next(c for c in claims if c["kind"] == "price")
    assert (c["value"], c["currency"], c["period_end"]) == (70000, "CNY", None)


# --- kind other ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, cls", [
    ("The cars Chinese traders are sending to Hyesan are simply too old.", "car"),
    ("Motorcycles are the most preferred means of transport for traders in Sinuiju.", "two_wheeler"),
    # a comparison of how vehicles sell; a type's general merits ("faster than bicycles") give none
    ("New cars sell more slowly in Hyesan, so used cars dominate the market.", "car"),
])
def test_observations_that_are_no_other_kind(gaz, text, cls):
    claims = claims_of(gaz, text)
    assert any(c["kind"] == "other" and c["vehicle_class"] == cls for c in claims), claims


def test_a_bound_on_a_price(gaz):
    claims = claims_of(gaz, "Electric bikes in Hyesan sell for a price in excess of KPW 4 million each.")
    c = next(c for c in claims if c["kind"] == "price")
    assert (c["value"], c["low"], c["currency"]) == (None, 4_000_000, "KPW")


def test_the_price_of_other_goods_is_no_vehicle_price(gaz):
    claims = claims_of(gaz, "With a kilogram of rice selling for KPW 5,000 in Hyesan, one could buy 800 kg for an e-bike.")
    assert not any(c["kind"] == "price" and c["value"] == 5000 for c in claims), claims


def test_a_stop_without_a_space_still_ends_a_sentence(gaz):
    text = "Imagery was compared on Thursday.The website said truck traffic at Sinuiju fell by 40 percent in 2020."
    claims = claims_of(gaz, text)
    c = next(c for c in claims if c["kind"] == "trend")
    assert c["quote"].startswith("The website") and (c["period_start"], c["period_end"]) == ("2020-01-01", "2020-12-31")


@pytest.mark.parametrize("text, hint, url, want, city", [
    ("DANDONG, China, Aug. 16 (Yonhap) -- Two buses crossed the bridge.", None, "https://x.org/2023/08/", "2023-08-16", "Dandong"),
    ("SEOUL, Oct. 14 (Yonhap) -- Trucks crossed.", "2023-10", None, "2023-10-14", "Seoul"),
    ("By A. Writer Dandong, China (AFP) July 6, 2017\nTrucks lined up.", None, None, "2017-07-06", "Dandong"),
    ("Saturday, July 26, 2025\nTrucks lined up in Hyesan.", None, None, None, None),
])
def test_datelines_give_the_day_and_the_city(text, hint, url, want, city):
    art = resolve_dates(Article("r.txt", "r.txt", text, published_hint=hint, url=url))
    assert (art.published_iso, art.dateline_city and art.dateline_city.split()[-1]) == (want, city)


@pytest.mark.parametrize("text, direction, start, end", [
    ("The bridge at Sinuiju has gone quiet since March.", "decrease", "2025-03-01", "2025-06-01"),
    ("Crossings at Sinuiju picked up again in May.", "increase", "2025-05-01", "2025-05-31"),
    ("The bridge at Dandong was busier than last spring.", "increase", "2024-03-01", "2025-06-01"),
])
def test_traffic_at_a_place_and_comparisons(gaz, text, direction, start, end):
    c = next(c for c in claims_of(gaz, text, published="2025-06-01") if c["kind"] == "trend")
    assert (c["vehicle_class"], c["direction"], c["period_start"], c["period_end"]) == ("any_vehicle", direction, start, end)


def test_trade_is_not_traffic(gaz):
    assert not claims_of(gaz, "Trade across the bridge at Dandong picked up.", published="2025-06-01")


def test_empty_yards_are_absence(gaz):
    claims = claims_of(gaz, "The customs yards at Dandong were empty on Monday.", published="2025-06-01")
    assert [(c["kind"], c["vehicle_class"]) for c in claims] == [("absence", "any_vehicle")]


def test_a_dateline_date_does_not_date_the_claim(gaz):
    text = "SEOUL, Oct. 14 (Yonhap) -- Trucks at the Sinuiju customs post have increased this week."
    c = next(c for c in claims_of(gaz, text, published=None) if c["kind"] == "trend")
    assert (c["period_start"], c["period_end"]) == (None, None)  # no year known: nothing is dated
    c = next(c for c in claims_of(gaz, text, published=None, url="https://x.org/2023/10/") if c["kind"] == "trend")
    assert (c["period_start"], c["period_end"]) == ("2023-10-09", "2023-10-14")


@pytest.mark.parametrize("text, value, currency, unit", [
    ("In Sinuiju a used Toyota sells for 300,000 yen.", 300000, "JPY", "yen_per_vehicle"),
    ("Trucks in Rason are sold for 2 million rubles each.", 2_000_000, "RUB", "rub_per_vehicle"),
    ("Renting a truck in Hyesan costs 300 yuan a day.", 300, "CNY", "yuan_rent_per_vehicle_per_day"),
])
def test_prices_in_other_currencies_and_units(gaz, text, value, currency, unit):
    c = next(c for c in claims_of(gaz, text) if c["kind"] == "price")
    assert (c["value"], c["currency"], c["unit"]) == (value, currency, unit)


def test_more_people_riding_is_more_vehicles(gaz):
    claims = claims_of(gaz, "With more people riding electric bikes in Hyesan, thefts are also out of control.")
    assert [(c["kind"], c["vehicle_class"], c["direction"]) for c in claims] == [("trend", "two_wheeler", "increase")]
