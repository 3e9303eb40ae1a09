"""Eighth pass of issue 12: forms found by running the extractor over real border reporting that is in
no corpus file (wire, Daily NK, RFA, 38 North and travel pieces, read for this pass and not kept),
each written here again in new words. What each should give follows ``../shared/articles/CONVENTIONS.md``:
a number's noun phrase ends at a verb; shares of people are no shares of vehicles; vehicles said to
have been brought in are there, with the types a list names; rates, price moves and who built a thing
are no prices; a generic word refers past a sentence whose vehicles are only its means; a province
named by a source is the one city of it the article names; a capital is no place when it stands for
its government; handing out and sending are presence; shortages, rarity and trend words."""

from __future__ import annotations

import pytest

from borderwatch.claims.articles import Article, resolve_dates
from borderwatch.claims.extract import extract_claims
from borderwatch.geo.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def claims(gaz, text: str, published: str | None = "2025-10-15"):
    return extract_claims(resolve_dates(Article("g8.txt", "g8.txt", text, published=published)), gaz)


def kinds(gaz, text: str) -> list[tuple[str, str]]:
    return sorted((c.kind, c.vehicle_class) for c in claims(gaz, text))


# --- a number's noun phrase ends at a verb or a relative word -------------------------------------

@pytest.mark.parametrize("text", [
    "Inspectors walked along the rows where the vehicles stood, checking each one to find illegally imported cars.",
    "In another sense, the expensive taxi was a luxury few could afford.",
    "He named one that would help the trucks get through customs.",
])
def test_one_before_a_verb_counts_nothing(gaz, text):
    assert not [c for c in claims(gaz, text) if c.kind == "count" and c.value == 1]


def test_a_plain_count_still_reaches_its_noun(gaz):
    got = claims(gaz, "Seven heavily loaded trucks waited at the customs gate in Manpo.")
    assert ("count", "truck", 7.0) in [(c.kind, c.vehicle_class, c.value) for c in got]


# --- shares of people -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Most of the people importing used cars are relatives of senior officials.",
    "The majority of car buyers in Hyesan are traders, the source said.",
    "Most of these smugglers move trucks across the river at night.",
])
def test_a_share_of_people_is_no_share_of_vehicles(gaz, text):
    assert not [c for c in claims(gaz, text) if c.kind == "proportion"]


def test_a_share_of_vehicles_stays(gaz):
    got = claims(gaz, "Most of the trucks crossing at Sinuiju are Chinese-registered.")
    assert [(c.kind, c.vehicle_class, c.low) for c in got if c.kind == "proportion"] == [("proportion", "truck", 0.5)]


# --- brought in, with the types of a list ---------------------------------------------------------

def test_vehicles_brought_in_with_a_list_are_present_by_type(gaz):
    text = ("Great numbers of vehicles have been brought in recently, including sedans, minibuses, tipper lorries "
            "and bulldozers without plates.")
    assert {cls for kind, cls in kinds(gaz, text) if kind == "presence"} == {"car", "bus", "truck", "heavy_equipment"}


def test_a_passive_import_without_a_place_is_presence(gaz):
    assert ("presence", "truck") in kinds(gaz, "Second-hand trucks were smuggled in over the winter.")


def test_who_imported_them_is_still_no_presence(gaz):
    assert kinds(gaz, "The traders who imported the cars were questioned by the police.") == []


def test_sent_away_to_other_regions_is_no_presence_here(gaz):
    text = "Smuggled vehicles arrive in Hyesan. Many of them are then sent on to other provinces."
    got = claims(gaz, text)
    assert not [c for c in got if "other provinces" in c.quote]


# --- rates, price moves and who built it ----------------------------------------------------------

def test_an_exchange_rate_is_no_price(gaz):
    got = claims(gaz, "A Chinese scooter sold for 1.8mil won, about $220 at the market rate of 8,200 won to the dollar.")
    prices = sorted((c.currency, c.value) for c in got if c.kind == "price")
    assert prices == [("KPW", 1_800_000.0), ("USD", 220.0)]


@pytest.mark.parametrize("text, value", [
    ("A used sedan costs 2.5m won in Sinuiju.", 2_500_000.0),
    ("A minibus now sells for 1.2 mn won.", 1_200_000.0),
])
def test_abbreviated_millions(gaz, text, value):
    assert value in [c.value for c in claims(gaz, text) if c.kind == "price"]


def test_made_by_a_company_is_no_profit(gaz):
    got = claims(gaz, "A motorbike made by a firm in Chongqing goes for 900 dollars in Chongjin.")
    assert [c.unit for c in got if c.kind == "price"] == ["usd_per_vehicle"]


def test_a_price_move_is_no_price(gaz):
    got = claims(gaz, "Taxis that cost 60,000 yuan last spring now fetch 72,000 yuan, a 12,000 yuan rise.")
    assert sorted(c.value for c in got if c.kind == "price") == [60_000.0, 72_000.0]
    got = claims(gaz, "Used vans have seen increases of 8,000 yuan since the summer.")
    assert not [c for c in got if c.kind == "price"]


def test_a_route_fare(gaz):
    got = claims(gaz, "On a servi-cha, the trip from Hamhung to Hyesan costs 150 yuan.")
    assert [(c.vehicle_class, c.unit) for c in got if c.kind == "price"] == [("bus", "yuan_per_passenger_trip")]


# --- a generic word refers past a sentence whose vehicles are its means ----------------------------

def test_generic_vehicles_skip_the_means_of_the_sentence_before(gaz):
    text = ("Sedans, buses and lorries were brought across. These are vehicles moved by state smugglers, who cut "
            "crossings through the shallows with excavators and pontoons. The surge in vehicles has left the city "
            "short of parking.")
    trends = [c for c in claims(gaz, text) if c.kind == "trend"]
    assert trends and {c.vehicle_class for c in trends} == {"any_vehicle"}


# --- places -----------------------------------------------------------------------------------------

def test_a_province_named_by_a_source_is_the_city_the_article_names(gaz):
    text = ("Satellite pictures show dozens of cars parked in the centre of Hyesan. "
            "The number of parked cars has fallen since then, a source in Yanggang Province said.")
    trends = [c for c in claims(gaz, text) if c.kind == "trend"]
    assert [c.place for c in trends] == ["Hyesan"]


def test_two_cities_of_the_province_leave_the_province(gaz):
    text = ("Trucks from Chongjin and Hoeryong were checked. "
            "The number of trucks has fallen, a source in North Hamgyong Province said.")
    trends = [c for c in claims(gaz, text) if c.kind == "trend"]
    assert [c.place for c in trends] == ["North Hamgyong Province"]


@pytest.mark.parametrize("text", [
    "Customs yards along the border are almost empty as new measures punishing Pyongyang take effect.",
    "Border guards are searching the trucks crossing into Dandong more closely, a sign of pressure on Pyongyang.",
])
def test_the_capital_for_its_government_is_no_place(gaz, text):
    got = claims(gaz, text)
    assert got and all(c.place != "Pyongyang" for c in got)


# --- handing out, sending --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The leader sent new tractors to cooperative farms in Ryanggang Province this spring.",
    "The excavators were distributed to building sites in Hyesan last week.",
    "After the ceremony the cranes were taken to the port of Rason.",
])
def test_handed_out_is_present(gaz, text):
    assert ("presence", "heavy_equipment") in kinds(gaz, text)


def test_sending_money_is_no_presence(gaz):
    assert kinds(gaz, "Relatives sent money so he could buy trucks.") == []


# --- shortages, rarity, trend words ----------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Many cooperative farms do not have enough tractors for the spring ploughing.",
    "There is a chronic lack of farming machinery in the province.",
])
def test_not_enough_is_a_shortage(gaz, text):
    got = claims(gaz, text)
    assert [(c.kind, c.vehicle_class, c.note) for c in got] == [("other", "heavy_equipment", "shortage")]


def test_hard_to_see_how_is_no_rarity(gaz):
    got = claims(gaz, "The lorries are so overloaded that it is hard to see how they climb the pass.")
    assert not [c for c in got if c.note and "rarely" in c.note]


def test_rare_as_a_determiner_is_rarity(gaz):
    got = claims(gaz, "Roads outside the capital are quiet, with rare private cars.")
    assert ("presence", "car") not in [(c.kind, c.vehicle_class) for c in got]


def test_a_growing_area_is_no_trend(gaz):
    got = claims(gaz, "In the county, the country's main maize growing area, farms often cannot run their tractors.")
    assert not [c for c in got if c.kind == "trend"]


@pytest.mark.parametrize("text, direction", [
    ("Electric scooters are taking off in Chongjin.", "increase"),
    ("Lorry traffic at the Manpo crossing is slowly returning to normal.", "resumed"),
    ("Used car prices have skyrocketed in Hyesan.", "increase"),
    ("The sanctions have cut truck traffic over the bridge.", "decrease"),
])
def test_trend_words(gaz, text, direction):
    assert direction in [c.direction for c in claims(gaz, text) if c.kind == "trend"]


def test_taking_off_plates_is_no_trend(gaz):
    got = claims(gaz, "Smugglers took off the number plates before the trucks crossed.")
    assert not [c for c in got if c.kind == "trend"]


def test_looking_for_a_vehicle_is_no_presence(gaz):
    assert kinds(gaz, "Families looking for cars are waiting for prices to fall.") == []


def test_bikes_that_predominate_are_present(gaz):
    assert ("presence", "two_wheeler") in kinds(gaz, "Ordinary bicycles still predominate on the streets of Sinuiju.")


# --- rules, rates per head, asides about the speaker -------------------------------------------------

@pytest.mark.parametrize("text", [
    "Under the new rules, residents may only drive private cars on weekends.",
    "Trucks with Chinese plates have been permitted on the bridge only at night since the spring.",
    "The order placed restrictions on the use of electric bikes in Chongjin.",
    "A scooter ban was announced in the capital.",
])
def test_a_rule_about_vehicles_is_no_presence(gaz, text):
    assert not [c for c in claims(gaz, text) if c.kind == "presence"]


def test_a_sighting_next_to_a_rule_word_elsewhere_stays(gaz):
    got = claims(gaz, "Dozens of trucks lined up at the Sinuiju customs post. The rules changed later.")
    assert ("range", "truck") in [(c.kind, c.vehicle_class) for c in got]


@pytest.mark.parametrize("text", [
    "The country had about one car for every 700 people, one estimate said.",
    "Each family may buy one motorbike per household under the scheme.",
])
def test_a_rate_per_head_is_no_count(gaz, text):
    assert not [c for c in claims(gaz, text) if c.kind in ("count", "approximate") and c.value == 1]


def test_not_that_many_is_rarity(gaz):
    got = claims(gaz, "Not that many tractors have actually reached the farms since the campaign began.")
    assert not [c for c in got if c.kind == "presence"]


@pytest.mark.parametrize("text", [
    "At the big hotels of Pyongyang, taxis now fill parking spaces and spill into the side streets.",
    "Minibuses surround the market every morning in Sinuiju.",
])
def test_filling_and_surrounding_is_presence(gaz, text):
    assert "presence" in [c.kind for c in claims(gaz, text)]


def test_an_aside_about_the_speaker_dates_and_places_nothing(gaz):
    got = claims(gaz, "Park, a driver who left Manpo in 2018, said about 20 trucks now cross at Sinuiju each day.")
    counts = [c for c in got if c.kind == "approximate"]
    assert counts and counts[0].place == "Sinuiju" and counts[0].period_start is None


@pytest.mark.parametrize("text", [
    "The growing car trade does not show up in the customs figures.",
    "The truck business has not been seen as risky.",
])
def test_a_vehicle_trade_is_no_vehicle(gaz, text):
    assert not [c for c in claims(gaz, text) if c.kind in ("presence", "absence")]


# --- lists ending in people, rail stock, governments acting, demands on vehicles, contrasts -------------

def test_a_list_ending_in_people_keeps_its_vehicles(gaz):
    got = kinds(gaz, "On the far bank a crane, a tipper truck, a bulldozer and a dozen workers can be seen.")
    assert ("presence", "heavy_equipment") in got and ("presence", "truck") in got


def test_rail_stock_is_no_vehicle(gaz):
    assert kinds(gaz, "Russian locomotives and tank cars were seen in the Tumangang yard.") == []


def test_the_capital_acting_is_no_place(gaz):
    got = claims(gaz, "The border post was crowded with trucks again, weeks after Pyongyang announced a new missile test.")
    assert got and all(c.place != "Pyongyang" for c in got)


def test_what_vehicles_must_do_is_no_presence(gaz):
    assert kinds(gaz, "Trucks must first pass a strict inspection before they load coal for China.") == []


def test_a_date_contrasted_with_does_not_date_the_claim(gaz):
    got = claims(gaz, "Loaded lorries have begun crossing at Manpo, a sharp shift from last year's silence.")
    assert got and all(c.period_start is None or c.period_start >= "2025-01-01" for c in got)


@pytest.mark.parametrize("text, start", [
    ("Lorries have queued at Manpo every day since the crossing reopened in April.", "2025-04-01"),
    ("Taxi fares in Pyongyang have doubled since fuel rationing was tightened in early June.", "2025-06-01"),
])
def test_since_an_event_on_a_date_runs_to_publication(gaz, text, start):
    got = claims(gaz, text)
    assert got and all((c.period_start, c.period_end) == (start, "2025-10-15") for c in got)
