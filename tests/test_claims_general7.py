"""Seventh pass of issue 12: sentences written for this test in the way Daily NK, ASIAPRESS and wire
reporters describe the border (none is from the article corpus), with what each is under
``../shared/articles/CONVENTIONS.md``. They pin what test_claims_general6.py covers thinly: shares said
as ratios and fractions, the kind ``other``, prices in several currencies next to prices of goods, loads
and weights that are no counts, a level beside its change, halts that last, periods from datelines and
stamps, photo captions, relative periods, and the side of a bridge a picture shows."""

from __future__ import annotations

import pytest

from borderwatch.claims.articles import Article, resolve_dates
from borderwatch.claims.extract import extract_claims
from borderwatch.geo.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def claims(gaz, text: str, published: str | None = "2025-10-15"):
    return extract_claims(resolve_dates(Article("g7.txt", "g7.txt", text, published=published)), gaz)


def kinds(gaz, text: str) -> list[tuple[str, str]]:
    return sorted((c.kind, c.vehicle_class) for c in claims(gaz, text))


# --- a level and its change in one clause -------------------------------------------------------

@pytest.mark.parametrize("text, kind, cls, value, low, direction", [
    ("The number of trucks at the crossing dropped from 12 to just three.", "count", "truck", 3, None, "decrease"),
    ("Truck crossings at Manpo fell from 40 a day to 10 a day after the inspections began.",
     "count", "truck", 10, None, "decrease"),
    ("The number of taxis in Hyesan rose from about 30 to more than 100 this year.", "lower_bound", "car", None, 100, "increase"),
])
def test_the_level_it_changed_to_is_kept_with_the_change(gaz, text, kind, cls, value, low, direction):
    got = claims(gaz, text)
    assert (kind, cls, value, low) in [(c.kind, c.vehicle_class, c.value, c.low) for c in got]
    assert ("trend", direction) in [(c.kind, c.direction) for c in got]
    # the level before the change is no count of what is there now
    assert not [c for c in got if c.kind in ("count", "approximate") and c.value in (12, 40, 30)]


def test_the_date_of_the_earlier_level_is_not_the_counts(gaz):
    got = claims(gaz, "300 trucks now cross every day, up from about 100 last year.")
    (count,) = [c for c in got if c.kind == "count"]
    assert (count.value, count.period_start, count.period_end) == (300, None, "2025-10-15")
    (trend,) = [c for c in got if c.kind == "trend"]
    assert (trend.direction, trend.period_start, trend.period_end) == ("increase", "2024-01-01", "2025-10-15")


# --- a halt on a day lasts up to publication ----------------------------------------------------

@pytest.mark.parametrize("text, cls", [
    ("Truck traffic halted on Oct. 3.", "truck"),
    ("Crossings were closed on Oct. 3.", "any_vehicle"),
    ("The New Yalu River Bridge was closed to traffic on Oct. 3, a Chinese source said.", "any_vehicle"),
])
def test_a_halt_on_a_day_runs_to_publication(gaz, text, cls):
    (c,) = [c for c in claims(gaz, text) if c.kind == "trend"]
    assert (c.vehicle_class, c.direction, c.period_start, c.period_end) == (cls, "halted", "2025-10-03", "2025-10-15")


@pytest.mark.parametrize("text", [
    "Truck traffic was halted for a day on Oct. 3.",
    "Truck traffic halted on Oct. 3 and resumed on Oct. 10.",
])
def test_a_halt_that_ended_stays_on_its_day(gaz, text):
    (c,) = [c for c in claims(gaz, text) if c.kind == "trend" and c.direction == "halted"]
    assert (c.period_start, c.period_end) == ("2025-10-03", "2025-10-03")


def test_a_complete_halt_is_absence_from_that_day(gaz):
    (c,) = claims(gaz, "Truck traffic on the Friendship Bridge was completely halted on Oct. 3.")
    assert (c.kind, c.period_start, c.period_end) == ("absence", "2025-10-03", "2025-10-15")


def test_the_market_closing_is_no_vehicle_claim(gaz):
    assert claims(gaz, "The market was closed on Oct. 3.") == []


# --- proportions: ratios and fractions ----------------------------------------------------------

@pytest.mark.parametrize("text, cls, value", [
    ("Nine in ten taxis in Pyongyang are Chinese-made, a source said.", "car", 0.9),
    ("Three out of four cars on the road in Sinuiju are second-hand imports.", "car", 0.75),
    ("Only about one in ten of the trucks crossing the bridge carries North Korean plates.", "truck", 0.1),
    ("About a third of the trucks at the customs yard were empty.", "truck", 1 / 3),
    ("Two-thirds of the buses in Hyesan run on diesel.", "bus", 2 / 3),
    ("Half the trucks waiting at the bridge carried no cargo.", "truck", 0.5),
    ("Three-quarters of the motorcycles sold at the Sinuiju market come from China.", "two_wheeler", 0.75),
    ("Roughly 70 percent of the cars in Pyongyang are believed to be owned by state enterprises.", "car", 0.7),
])
def test_shares(gaz, text, cls, value):
    got = claims(gaz, text)
    (c,) = [c for c in got if c.kind == "proportion"]
    assert (c.vehicle_class, round(c.value, 3)) == (cls, round(value, 3))
    # the numbers of a ratio are no counts
    assert not [c for c in got if c.kind in ("count", "approximate")]


@pytest.mark.parametrize("text", [
    "Five trucks arrived in 10 days.",
    "Two in 2019 and three in 2020: that is how many buses the county got.",
])
def test_a_number_before_a_time_is_no_ratio(gaz, text):
    assert not [c for c in claims(gaz, text) if c.kind == "proportion"]


def test_a_share_of_the_vehicles_is_a_class_share(gaz):
    (c,) = claims(gaz, "A quarter of the vehicles parked at the depot were buses.")
    assert (c.kind, c.vehicle_class, c.value, c.unit) == ("proportion", "bus", 0.25, "class_share")


# --- other: quality, shortage, ownership, use ---------------------------------------------------

@pytest.mark.parametrize("text, cls, note", [
    ("Residents say the Chinese e-bikes are of poor quality and rarely last a year.", "two_wheeler", "quality"),
    ("Drivers complain that the Chinese-made e-bikes break down often.", "two_wheeler", "quality"),
    ("Many of the buses in service are decades old.", "bus", "quality"),
    ("There is a severe shortage of tractors on the cooperative farms around Hoeryong.", "heavy_equipment", "shortage"),
    ("Traders in Sinuiju prefer Japanese cars to Chinese ones.", "car", "preference"),
    ("The trucks are owned by a trading company linked to the military.", "truck", "use"),
])
def test_other(gaz, text, cls, note):
    assert [(c.kind, c.vehicle_class, c.note) for c in claims(gaz, text)] == [("other", cls, note)]


def test_an_age_of_a_person_is_no_quality(gaz):
    got = claims(gaz, "Kim, a 33 years old trader from Sinuiju, said he bought a used Chinese truck last year.")
    assert not [c for c in got if c.kind == "other"]


def test_an_order_to_people_is_policy(gaz):
    assert claims(gaz, "Authorities have ordered all state enterprises to register their trucks by the end of the year.") == []


def test_still_in_service_is_presence_now(gaz):
    (c,) = claims(gaz, "Old Soviet-era trucks are still used to haul timber in Ryanggang Province.")
    assert (c.kind, c.vehicle_class, c.period_end) == ("presence", "truck", "2025-10-15")


# --- prices in currencies, next to prices of goods ----------------------------------------------

@pytest.mark.parametrize("text, cls, value, unit, currency", [
    ("A used Hyundai minibus costs 45 million won in Pyongyang.", "bus", 45_000_000, "kpw_per_vehicle", "KPW"),
    ("A Chinese electric bicycle now sells for 1.2 million won at the Hyesan market.", "two_wheeler", 1_200_000,
     "kpw_per_vehicle", "KPW"),
    ("The going rate for a Chinese tractor is about 3,000 dollars.", "heavy_equipment", 3000, "usd_per_vehicle", "USD"),
    ("A taxi ride across Pyongyang costs about 2 dollars.", "car", 2, "usd_per_passenger_trip", "USD"),
    ("A used Toyota Land Cruiser fetches as much as 30,000 euros in Pyongyang.", "car", None, "eur_per_vehicle", "EUR"),
])
def test_prices(gaz, text, cls, value, unit, currency):
    (c,) = [c for c in claims(gaz, text) if c.kind == "price"]
    assert (c.vehicle_class, c.value, c.unit, c.currency) == (cls, value, unit, currency)


def test_a_price_per_tonne_is_no_vehicle_price(gaz):
    (c,) = claims(gaz, "Coal sells for 80 dollars per tonne at the Nampo docks, while a used truck goes for 9,000 dollars.")
    assert (c.kind, c.vehicle_class, c.value, c.currency) == ("price", "truck", 9000, "USD")
    for text in ("Chinese traders pay 450 yuan per tonne for the coal the trucks bring across.",
                 "Freight charges have climbed to 300 yuan per tonne.",
                 "Transport by truck from Hyesan to Pyongyang costs 150 yuan per tonne."):
        assert not [c for c in claims(gaz, text) if c.kind == "price"]


def test_one_price_in_two_currencies(gaz):
    got = claims(gaz, "A Chinese motorcycle costs about 500 dollars, or roughly 4 million won at market rates.")
    assert sorted((c.currency, c.value) for c in got if c.kind == "price") == [("KPW", 4_000_000), ("USD", 500)]


def test_a_price_range(gaz):
    (c,) = claims(gaz, "A used truck sells for between 8,000 and 10,000 dollars in Rason.")
    assert (c.kind, c.low, c.high, c.currency, c.place) == ("price", 8000, 10000, "USD", "Rason")


# --- loads and weights --------------------------------------------------------------------------

def test_a_convoys_cargo_is_no_load_per_truck(gaz):
    got = claims(gaz, "The convoy of 30 trucks carried roughly 600 tonnes of fertilizer.")
    assert [(c.kind, c.vehicle_class, c.value, c.unit) for c in got] == [("count", "truck", 30, "vehicles")]


def test_a_load_each_is_per_truck(gaz):
    (c,) = claims(gaz, "Each truck was loaded with about 25 tonnes of iron ore.")
    assert (c.kind, c.value, c.unit) == ("approximate", 25, "tonnes_cargo_per_truck")


def test_a_vehicles_own_weight_is_no_count(gaz):
    got = claims(gaz, "The lorries, each weighing about 15 tonnes, queued at the customs post.")
    assert not [c for c in got if c.value == 15 or c.unit == "vehicles"]


# --- periods from datelines and stamps ----------------------------------------------------------

def test_a_dateline_year_is_no_count(gaz):
    got = claims(gaz, "DANDONG, China (AFP) Oct. 14, 2025 -- Dozens of trucks are now lined up at the customs office.",
                 published=None)
    assert [(c.kind, c.low, c.high, c.place, c.period_end) for c in got] == [("range", 24, 99, "Dandong", "2025-10-14")]


def test_a_dateline_dates_a_weekday(gaz):
    (c,) = claims(gaz, "SINUIJU, Oct. 14, 2025 (Yonhap) -- About 30 Chinese trucks crossed the Friendship Bridge into "
                       "Sinuiju on Monday.", published=None)
    assert (c.kind, c.value, c.place, c.period_start, c.period_end) == ("approximate", 30, "Sinuiju", "2025-10-13", "2025-10-13")


def test_a_posted_on_stamp_is_the_publication_date(gaz):
    (c,) = claims(gaz, "Posted on March 4, 2025\nDozens of trucks are now lined up at the Dandong customs office.",
                  published=None)
    assert (c.kind, c.place, c.period_end) == ("range", "Dandong", "2025-03-04")


# --- photo captions and the side of a bridge a picture shows -----------------------------------

def test_a_caption_is_dated_by_its_taken_date(gaz):
    got = claims(gaz, "Photo: trucks at Sinuiju, taken in March\nTrucks cross the bridge every morning, a source said.")
    assert ("presence", "truck", "Sinuiju", "2025-03-01", "2025-03-31") in [
        (c.kind, c.vehicle_class, c.place, c.period_start, c.period_end) for c in got]


def test_a_credit_before_a_caption_and_a_facility_of_a_city(gaz):
    (c,) = claims(gaz, "(Photo: Daily NK) Buses parked outside the Hyesan railway station in August.")
    assert (c.kind, c.vehicle_class, c.place, c.period_start) == ("presence", "bus", "Hyesan", "2025-08-01")


@pytest.mark.parametrize("text, place", [
    ("Images taken of the New Yalu River Bridge show trucks on the bridge.", "Sinuiju"),
    ("A photo of the Friendship Bridge shows a line of trucks waiting to cross.", "Sinuiju"),
    ("Photos taken by a Chinese tourist show trucks on the Friendship Bridge.", "Dandong"),
])
def test_a_picture_of_the_bridge_takes_the_imagery_side(gaz, text, place):
    assert [c.place for c in claims(gaz, text)] == [place]


def test_outside_the_capital_is_no_place(gaz):
    (c,) = claims(gaz, "Even outside Pyongyang, taxis are now common.")
    assert (c.kind, c.vehicle_class, c.place) == ("presence", "car", None)


# --- relative periods ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, start, end", [
    ("Excavators were seen along the Yalu River late last month.", "presence", "2025-09-21", "2025-09-30"),
    ("Trucks were spotted on the Friendship Bridge over the summer.", "presence", "2025-06-01", "2025-08-31"),
    ("Truck traffic slowed in the first half of the year.", "trend", "2025-01-01", "2025-06-30"),
    ("Car imports surged in the second half of last year.", "trend", "2024-07-01", "2024-12-31"),
    ("About 50 buses were brought in from China in mid-last year.", "approximate", "2024-05-01", "2024-08-31"),
    ("Car imports have picked up in recent weeks, a source in Sinuiju said.", "trend", "2025-09-17", "2025-10-15"),
])
def test_relative_periods(gaz, text, kind, start, end):
    got = [(c.kind, c.period_start, c.period_end) for c in claims(gaz, text)]
    assert (kind, start, end) in got


# --- second batch -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, cls, value, low", [
    ("A fifth of the cars seen in Hyesan carry Chinese plates.", "car", 0.2, None),
    ("One-fifth of the buses in Pyongyang are electric trolleybuses.", "bus", 0.2, None),
    ("The bulk of the trucks crossing the bridge are empty on the way back.", "truck", None, 0.5),
])
def test_more_shares(gaz, text, cls, value, low):
    (c,) = [c for c in claims(gaz, text) if c.kind == "proportion"]
    assert (c.vehicle_class, c.value and round(c.value, 3), c.low) == (cls, value, low)


def test_an_ordinal_is_no_share(gaz):
    assert kinds(gaz, "A third truck was seen behind the customs house.") == [("presence", "truck")]


@pytest.mark.parametrize("text, value", [
    ("Truck traffic at the crossing fell by a third in August.", 1 / 3),
    ("Car imports rose by about a quarter last year.", 0.25),
])
def test_a_fraction_as_the_size_of_a_change(gaz, text, value):
    (c,) = claims(gaz, text)
    assert (c.kind, c.unit, round(c.value, 3)) == ("trend", "fraction_change", round(value, 3))


def test_a_date_before_now_dates_the_earlier_price(gaz):
    then, now = claims(gaz, "A used Chinese truck that cost 7,000 dollars last year now goes for 10,000 dollars.")
    assert (then.value, then.period_start, then.period_end) == (7000, "2024-01-01", "2024-12-31")
    assert (now.value, now.period_start, now.period_end) == (10000, None, "2025-10-15")


@pytest.mark.parametrize("text, start, end", [
    ("Dozens of trucks crossed the bridge over the weekend.", "2025-10-11", "2025-10-12"),
    ("Trucks have lined up at the customs post for the past fortnight.", "2025-10-01", "2025-10-15"),
    ("Fewer trucks crossed the bridge last winter.", "2024-12-01", "2025-02-28"),
    ("Chinese trucks have been crossing into Sinuiju since mid-2024.", "2024-05-01", "2025-10-15"),
])
def test_more_relative_periods(gaz, text, start, end):
    (c,) = claims(gaz, text)
    assert (c.period_start, c.period_end) == (start, end)


def test_a_caption_of_a_named_facility(gaz):
    (c,) = claims(gaz, "Photo: Buses lined up outside the Pyongyang Sunan airport terminal. Taken on Sept. 9.")
    assert (c.kind, c.vehicle_class, c.place, c.period_start, c.period_end) == (
        "presence", "bus", "Pyongyang", "2025-09-09", "2025-09-09")


def test_a_share_of_all_two_wheelers(gaz):
    (c,) = claims(gaz, "Electric bikes now account for roughly half of all two-wheelers in Hyesan.")
    assert (c.kind, c.vehicle_class, c.value, c.place) == ("proportion", "two_wheeler", 0.5, "Hyesan")
    assert kinds(gaz, "Three-wheelers loaded with vegetables lined the road to the market.") == [("presence", "two_wheeler")]


def test_a_class_named_with_its_origin_is_a_class_share(gaz):
    (c,) = claims(gaz, "Most of the vehicles seen on the bridge were Chinese-registered trucks.")
    assert (c.kind, c.vehicle_class, c.low, c.high, c.unit) == ("proportion", "truck", 0.5, 1.0, "class_share")


@pytest.mark.xfail(reason="a price comparison between two types ('more expensive than e-bikes') has no claim form yet",
                   strict=True)
def test_a_price_comparison_between_types(gaz):
    assert kinds(gaz, "Motorcycles are more expensive than e-bikes in the Hyesan market.") == [("other", "two_wheeler")]


@pytest.mark.xfail(reason="who rents the vehicles ('taxi drivers rent their cars from state enterprises') is not an "
                          "'other' cue yet: the subject is the drivers, and rent is read only as a price", strict=True)
def test_renting_from_enterprises_is_use(gaz):
    assert kinds(gaz, "Most taxi drivers in Pyongyang rent their cars from state enterprises.") == [("other", "car")]


@pytest.mark.parametrize("text, cls, note", [
    ("Demand for used Chinese cars has surged in Rason this year.", "car", "demand increase, not vehicle numbers"),
    ("Interest in electric bikes has grown among young traders in Hyesan.", "two_wheeler",
     "interest increase, not vehicle numbers"),
])
def test_demand_that_moves_is_a_trend_of_demand(gaz, text, cls, note):
    (c,) = claims(gaz, text)
    assert (c.kind, c.vehicle_class, c.direction, c.subject, c.note) == ("trend", cls, "increase", "demand", note)


def test_a_wish_is_no_trend(gaz):
    assert kinds(gaz, "Residents want more buses on the route to the market.") == [("other", "bus")]


def test_requisitioned_vehicles_are_an_observation_of_use(gaz):
    got = claims(gaz, "Sources say the state has been requisitioning privately owned trucks for the harvest.")
    assert [(c.kind, c.vehicle_class, c.note) for c in got] == [("other", "truck", "use")]


def test_a_dateline_with_a_halt(gaz):
    (c,) = claims(gaz, "SEOUL, Sept. 30, 2025 (Yonhap) -- North Korea has halted bus services between Pyongyang and "
                       "Kaesong, a source said.", published=None)
    assert (c.kind, c.vehicle_class, c.direction, c.period_end) == ("trend", "bus", "halted", "2025-09-30")


def test_a_size_compound_is_no_count(gaz):
    (c,) = claims(gaz, "Two 25-ton dump trucks were seen at the quarry near Musan on Monday.")
    assert (c.kind, c.value, c.place, c.period_start) == ("count", 2, "Musan", "2025-10-13")
