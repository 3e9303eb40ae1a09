"""Claim extraction: sentences of the kind reports use, each with the claim it must give."""

from __future__ import annotations

from datetime import date

import pytest

from borderwatch.claims.articles import Article, resolve_dates
from borderwatch.claims.dates import Context, Reference, find_dates
from borderwatch.claims.extract import extract_claims
from borderwatch.claims.numbers import find_amounts, find_quantities, parse_number
from borderwatch.claims.sentences import segment
from borderwatch.geo.gazetteer import load_gazetteer
from borderwatch.tables import CLAIMS_FIELDS


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def claims_of(gaz, text: str, published: str | None = None, **meta) -> list[dict]:
    article = resolve_dates(Article("report.txt", "report.txt", text, published=published, **meta))
    out = [c.to_dict() for c in extract_claims(article, gaz)]
    for c in out:
        assert c["quote"] in text, "every quote is an exact substring of the text"
        assert list(c)[: len(CLAIMS_FIELDS)] == list(CLAIMS_FIELDS)
    return out


def one(claims: list[dict], **want) -> dict:
    hits = [c for c in claims if all(c.get(k) == v for k, v in want.items())]
    assert len(hits) == 1, f"expected one claim with {want}, got {claims}"
    return hits[0]


# --- the seed sentences of the issue -------------------------------------------------------------

def test_last_night_flow_resolved_against_the_date_the_source_spoke(gaz):
    text = ("One reporting partner in Hyesan reported in early September:\n\n"
            "\u201cLast night alone, 27 Chinese used cars came in.\u201d")
    c = one(claims_of(gaz, text, "2025-09-30"), kind="count")
    assert (c["vehicle_class"], c["value"], c["unit"], c["place"]) == ("car", 27, "vehicles_per_night", "Hyesan")
    # the night before a report made between 1 and 10 September
    assert (c["period_start"], c["period_end"]) == ("2025-08-31", "2025-09-09")
    assert "flow" in c["note"]


def test_at_least_100_to_several_hundred_in_mid_september(gaz):
    text = ("Throughout the center of Hyesan, cars, cargo trucks, and heavy equipment were lined up. "
            "At least 100 to several hundred vehicles were confirmed by visual inspection alone. "
            "ASIAPRESS photographed this from Changbai County in mid-September.")
    claims = claims_of(gaz, text, "2025-10-05")
    c = one(claims, kind="range")
    assert (c["vehicle_class"], c["low"], c["high"], c["place"]) == ("any_vehicle", 100, 900, "Hyesan")
    assert (c["period_start"], c["period_end"]) == ("2025-09-11", "2025-09-20")
    # a list of types simply present: one presence claim per class
    assert {x["vehicle_class"] for x in claims if x["kind"] == "presence"} == {"car", "truck", "heavy_equipment"}


# --- numbers, vague quantities and hedges ------------------------------------------------------------

@pytest.mark.parametrize("sentence, kind, cls, value, low, high", [
    ("Satellite images of Sinuiju show twenty-seven trucks waiting at customs.", "count", "truck", 27, None, None),
    ("A dozen buses stood at the depot in Dandong.", "count", "bus", 12, None, None),
    ("Dozens of lorries were parked in Hyesan.", "range", "truck", None, 24, 99),
    ("Scores of taxis queued in Dandong.", "lower_bound", "car", None, 40, None),
    ("Several hundred sedans were lined up in Sinuiju.", "range", "car", None, 200, 900),
    ("At least five excavators were seen in Manpo.", "lower_bound", "heavy_equipment", None, 5, None),
    ("About 30 dump trucks were seen in Manpo.", "approximate", "truck", 30, None, None),
    ("Up to 40 minibuses were seen in Manpo.", "upper_bound", "bus", None, None, 40),
    ("More than 50 bulldozers were seen in Manpo.", "lower_bound", "heavy_equipment", None, 50, None),
    ("Nearly 20 e-bikes were seen in Manpo.", "approximate", "two_wheeler", 20, None, None),
    ("Between 4 and 5 scooters were parked outside the market in Hoeryong.", "range", "two_wheeler", None, 4, 5),
    ("Some 3,000 cars waited at the border crossing in Dandong.", "approximate", "car", 3000, None, None),
    ("It is unusual to have more than a dozen or so cars waiting behind a red light in Pyongyang.",
     "upper_bound", "car", None, None, 12),
])
def test_quantities_with_hedges(gaz, sentence, kind, cls, value, low, high):
    c = one(claims_of(gaz, sentence), kind=kind)
    assert (c["vehicle_class"], c["value"], c["low"], c["high"], c["unit"]) == (cls, value, low, high, "vehicles")


def test_several_quantities_in_one_sentence_each_get_a_claim(gaz):
    text = "At least five excavators, about 30 dump trucks and up to 40 minibuses were seen in Manpo."
    claims = claims_of(gaz, text)
    assert sorted((c["kind"], c["vehicle_class"]) for c in claims) == [
        ("approximate", "truck"), ("lower_bound", "heavy_equipment"), ("upper_bound", "bus")]


def test_elliptical_counts_refer_back_to_the_vehicle(gaz):
    text = ("Imagery of Sinuiju from June 15, 2020 shows 16 trucks at customs. "
            "Another truck is visible on the bridge and four more are waiting to exit it.")
    claims = claims_of(gaz, text)
    values = sorted(c["value"] for c in claims if c["kind"] == "count")
    assert values == [1, 4, 16]
    assert all(c["vehicle_class"] == "truck" and c["period_start"] == "2020-06-15" for c in claims)


def test_one_of_is_not_a_count_and_people_per_vehicle_is_a_ratio(gaz):
    assert not [c for c in claims_of(gaz, "The phone is one of the North's domestic models of e-bikes.")
                if c["kind"] == "count"]
    c = one(claims_of(gaz, "It is popular to have 3-5 people buy one car together in Hyesan."), kind="range")
    assert (c["low"], c["high"], c["unit"], c["vehicle_class"]) == (3, 5, "people_per_vehicle", "car")


def test_numbers_not_about_vehicles_give_no_claim(gaz):
    text = ("It usually takes more than 10 days to get approval. The bike reaches 40 kilometers per hour "
            "and has 20 inch wheels. Two to three cities had such services.")
    assert [c for c in claims_of(gaz, text) if c["kind"] in ("count", "range", "lower_bound", "upper_bound")] == []


def test_per_transaction_unit(gaz):
    c = one(claims_of(gaz, "Smugglers must order at least five cars per transaction in Hyesan."), kind="lower_bound")
    assert (c["low"], c["unit"]) == (5, "vehicles_per_transaction")


# --- vocabulary -----------------------------------------------------------------------------------

@pytest.mark.parametrize("word, cls", [
    ("taxis", "car"), ("sedans", "car"), ("BYDs", "car"), ("Camrys", "car"), ("vans", "car"),
    ("lorries", "truck"), ("dump trucks", "truck"), ("trailers", "truck"), ("four-door trucks", "truck"),
    ("e-bikes", "two_wheeler"), ("motorcycles", "two_wheeler"), ("scooters", "two_wheeler"),
    ("excavators", "heavy_equipment"), ("bulldozers", "heavy_equipment"), ("tractors", "heavy_equipment"),
    ("minibuses", "bus"),
])
def test_vocabulary(gaz, word, cls):
    c = one(claims_of(gaz, f"Twelve {word} were seen in Hyesan."), kind="count")
    assert c["vehicle_class"] == cls


def test_brands_and_captions(gaz):
    text = "Blue Foton Ollin with robot decal blacked out (passenger side)\n\nBlue Foton Ollin with robot decal blacked out (driver's side)\n"
    claims = claims_of(gaz, text)
    assert len(claims) == 1, "the same caption under two photos is one claim"
    assert (claims[0]["kind"], claims[0]["vehicle_class"]) == ("presence", "truck")


def test_presence_list_gives_one_claim_per_class(gaz):
    claims = claims_of(gaz, "Taxis, lorries and e-bikes were seen on the streets of Chongjin.")
    assert sorted(c["vehicle_class"] for c in claims) == ["car", "truck", "two_wheeler"]
    assert {c["place"] for c in claims} == {"Chongjin"}


def test_compound_nouns_and_purposes_are_not_presence(gaz):
    text = ("Wealthy residents have been competing to invest in car smuggling. "
            "People who imported the cars are upset. They want to import more vehicles.")
    assert claims_of(gaz, text) == []


def test_generic_vehicle_words_take_the_class_named_before(gaz):
    text = ("The used cars imported into North Korea usually cost about RMB 45,000 in China. "
            "Imports must also pay for trading licenses, which are around RMB 30,000 per vehicle.")
    claims = claims_of(gaz, text)
    assert [(c["vehicle_class"], c["value"], c["currency"]) for c in claims] == [
        ("car", 45000, "CNY"), ("car", 30000, "CNY")]
    assert claims[1]["unit"] == "yuan_per_vehicle_license"
    mixed = claims_of(gaz, "Passenger cars, trucks and buses are parked in Sinuiju. Ten vehicles came in last night.")
    assert one(mixed, kind="count")["vehicle_class"] == "any_vehicle"


# --- trends ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence, published, direction, start, end", [
    ("The number of cars in Hyesan has increased sharply since the beginning of the year.", "2025-03-04",
     "increase", "2025-01-01", "2025-03-04"),
    ("Smuggling of used cars in Hyesan has been halted since the start of June.", "2025-06-20",
     "halted", "2025-06-01", "2025-06-20"),
    ("Fewer trucks have crossed the bridge at Sinuiju this month.", "2025-06-20", "decrease", "2025-06-01", "2025-06-20"),
    ("Traffic in Pyongyang has gotten visibly heavier over the past year or so.", "2015-12-10",
     "increase", "2014-12-10", "2015-12-10"),
    ("The regime suspended vehicle smuggling in Hyesan from around 2020 to 2023.", "2025-10-01",
     "halted", "2020-01-01", "2023-12-31"),
])
def test_trends(gaz, sentence, published, direction, start, end):
    c = one(claims_of(gaz, sentence, published), kind="trend")
    assert (c["direction"], c["period_start"], c["period_end"]) == (direction, start, end)


def test_halted_then_resumed_in_one_sentence(gaz):
    text = ("Vehicle smuggling began along the upper Yalu River in 2018. The regime suspended state smuggling from "
            "around 2020 to 2023, but resumed it in earnest last year.")
    claims = claims_of(gaz, text, "2025-10-15")
    halted = one(claims, kind="trend", direction="halted")
    resumed = one(claims, kind="trend", direction="resumed")
    assert (halted["period_start"], halted["period_end"]) == ("2020-01-01", "2023-12-31")
    assert (resumed["period_start"], resumed["period_end"]) == ("2024-01-01", "2024-12-31")
    assert resumed["quote"] == "resumed it in earnest last year."


def test_price_trend_is_marked_as_not_about_vehicle_numbers(gaz):
    c = one(claims_of(gaz, "Car prices in Hyesan remained stable.", "2025-06-20"), kind="trend")
    assert c["direction"] == "stable" and "not vehicle numbers" in c["note"]


def test_forecast_has_no_period(gaz):
    c = one(claims_of(gaz, "Vehicle prices in Hyesan are expected to rise when the Yalu River thaws.", "2025-03-04"),
            kind="trend")
    assert (c["period_start"], c["period_end"]) == (None, None)


def test_people_are_not_the_vehicles_they_trade(gaz):
    assert claims_of(gaz, "Used car smugglers in Hyesan are growing increasingly frustrated.") == []


# --- dates ---------------------------------------------------------------------------------------------

def test_dates_across_the_year_end(gaz):
    claims = claims_of(gaz, "In late December, 50 trucks were lined up in Sinuiju. Last December 40 cars came into Hyesan. "
                            "Last year about 300 buses were seen in Dandong.", "2026-01-10")
    late = one(claims, vehicle_class="truck")
    assert (late["period_start"], late["period_end"]) == ("2025-12-21", "2025-12-31")
    last_dec = one(claims, vehicle_class="car")
    assert (last_dec["period_start"], last_dec["period_end"]) == ("2025-12-01", "2025-12-31")
    last_year = one(claims, vehicle_class="bus")
    assert (last_year["period_start"], last_year["period_end"]) == ("2025-01-01", "2025-12-31")


def test_unknown_publication_date_keeps_the_claim_with_no_period(gaz):
    c = one(claims_of(gaz, "Last night alone, 27 used cars came into Hyesan."), kind="count")
    assert c["value"] == 27 and (c["period_start"], c["period_end"]) == (None, None)
    # an explicit date still resolves
    d = one(claims_of(gaz, "No vehicles were seen on the bridge at Sinuiju on June 3, 2024."), kind="absence")
    assert (d["period_start"], d["period_end"]) == ("2024-06-03", "2024-06-03")


def test_publication_date_from_a_byline_in_the_text(gaz):
    text = "Chinese-made passenger cars are now flowing into Hyesan.\nMarch 04, 2025 at 12:00PM\nby DailyNK"
    c = one(claims_of(gaz, text), kind="presence")
    assert (c["period_start"], c["period_end"], c["published"]) == (None, "2025-03-04", "2025-03-04")


def test_page_widget_date_only_supplies_the_year(gaz):
    text = ("35.1 C\nDelhi\nSaturday, July 26, 2025\n\nSmugglers are bringing used trucks into Hyesan. Smuggling "
            "operations were temporarily halted from March 4 to 11. Used trucks in Hyesan currently sell for 55,000 yuan.")
    claims = claims_of(gaz, text)
    halted = one(claims, kind="trend")
    assert (halted["period_start"], halted["period_end"]) == ("2025-03-04", "2025-03-11")
    price = one(claims, kind="price")
    assert (price["period_start"], price["period_end"]) == (None, None)


@pytest.mark.parametrize("expr, ref, start, end", [
    ("mid-September", Reference.month(2025, 10), "2025-09-11", "2025-09-20"),
    ("since this August", Reference.month(2025, 10), "2025-08-01", "2025-10-31"),
    ("last December", Reference.day(date(2026, 1, 15)), "2025-12-01", "2025-12-31"),
    ("last night", Reference.day(date(2026, 1, 1)), "2025-12-31", "2025-12-31"),
    ("the early 2000s", None, "2000-01-01", "2003-12-31"),
    ("from around 2020 to 2023", None, "2020-01-01", "2023-12-31"),
    ("October and November 2025", None, "2025-10-01", "2025-11-30"),
    ("4 March 2025", None, "2025-03-04", "2025-03-04"),
    ("two years ago", Reference.day(date(2025, 3, 1)), "2023-01-01", "2023-12-31"),
    ("last Wednesday", Reference.day(date(2025, 3, 14)), "2025-03-12", "2025-03-12"),
])
def test_date_expressions(expr, ref, start, end):
    (d,) = find_dates(expr)
    p = d.resolve(Context(ref))
    assert (p.start.isoformat() if p.start else None, p.end.isoformat() if p.end else None) == (start, end)


def test_relative_dates_need_a_reference():
    (d,) = find_dates("last year")
    assert d.resolve(Context(None)) is None
    assert find_dates("it may be") == [] and find_dates("COVID-19 and CNES 2020") == []


# --- proportions, absence, prices --------------------------------------------------------------------

def test_proportions(gaz):
    c = one(claims_of(gaz, "About 90% of the vehicles parked in Hyesan were trucks.", "2025-05-01"), kind="proportion")
    assert (c["vehicle_class"], c["value"], c["unit"]) == ("truck", 0.9, "class_share")
    used = one(claims_of(gaz, "About 90% of the smuggled vehicles in Hyesan are used cars."), kind="proportion")
    assert used["unit"] == "fraction", "used vs new is an attribute, not a class share"
    none = one(claims_of(gaz, "At least 100 vehicles were parked in Hyesan. None had license plates."), kind="proportion")
    assert (none["value"], none["unit"]) == (0.0, "fraction_with_license_plates")
    share = one(claims_of(gaz, "Now about 70 to 80% of rural households have a bike."), kind="proportion")
    assert (share["low"], share["high"], share["vehicle_class"]) == (0.7, 0.8, "two_wheeler")


def test_absence(gaz):
    c = one(claims_of(gaz, "At night, the roads of Pyongyang remain virtually empty.", "2015-12-10"), kind="absence")
    assert (c["vehicle_class"], c["place"], c["period_end"]) == ("any_vehicle", "Pyongyang", "2015-12-10")


def test_prices_skip_conversions_and_bind_each_amount_to_its_vehicle(gaz):
    text = ("Used trucks currently sell for 55,000\u201365,000 Chinese yuan ($7,600\u2013$9,000) in Hyesan. "
            "Smugglers reportedly earn about 2,000\u20133,000 yuan ($275\u2013$415) per truck and 400 yuan ($55) per motorcycle.")
    claims = claims_of(gaz, text)
    got = sorted((c["vehicle_class"], c["value"], c["low"], c["high"], c["unit"]) for c in claims)
    assert got == [("truck", None, 2000, 3000, "yuan_profit_per_vehicle"), ("truck", None, 55000, 65000, "yuan_per_vehicle"),
                   ("two_wheeler", 400, None, None, "yuan_profit_per_vehicle")]
    assert all(c["currency"] == "CNY" for c in claims)


def test_price_change_gives_both_prices_and_tense_per_amount(gaz):
    text = ("Since the beginning of the year, the price of a waku required for smuggling cars has dropped from 30,000 "
            "Chinese yuan to 25,000 yuan. Smugglers who previously made 5,000 to 7,000 yuan per car now pocket "
            "10,000 to 12,000 yuan.")
    claims = claims_of(gaz, text, "2025-03-04")
    assert sorted(c["value"] for c in claims if c["value"]) == [25000, 30000]
    before = one(claims, low=5000)
    now = one(claims, low=10000)
    assert (before["period_start"], before["period_end"]) == (None, None)
    assert now["period_end"] == "2025-03-04"


def test_exchange_rates_and_other_prices_are_not_vehicle_claims(gaz):
    text = "The exchange rate in Hyesan has climbed to 3,000 North Korean won to the yuan. Rice costs 5,800 won."
    assert claims_of(gaz, text) == []


def test_usd_prefix_and_upper_bound_price(gaz):
    claims = claims_of(gaz, "Used vans can be bought for about U.S. $5,000, and second-hand motorcycles for $700 or less.")
    assert one(claims, vehicle_class="car")["value"] == 5000
    moto = one(claims, vehicle_class="two_wheeler")
    assert (moto["high"], moto["currency"], moto["unit"]) == (700, "USD", "usd_per_vehicle")


# --- places ----------------------------------------------------------------------------------------------

def test_province_resolves_to_a_city_only_when_the_text_ties_them(gaz):
    tied = ("State-led car smuggling has exploded in Hyesan, a border city in Ryanggang province. "
            "A source in Ryanggang province said that 10 cars arrived last week.")
    c = one(claims_of(gaz, tied, "2025-03-04"), kind="count")
    assert c["place"] == "Hyesan" and c["unit"] == "vehicles_per_week"
    assert (c["period_start"], c["period_end"]) == ("2025-02-24", "2025-03-02")
    alone = one(claims_of(gaz, "A source in Ryanggang province said that 10 cars arrived last week.", "2025-03-04"),
                kind="count")
    assert alone["place"] == "Ryanggang Province"


def test_national_statements_have_no_place(gaz):
    text = ("Buses run in Pyongyang. There is a growing number of bus and truck companies operating not only "
            "in Pyongyang but nationwide.")
    c = one(claims_of(gaz, text), kind="trend")
    assert c["place"] is None and c["vehicle_class"] == "any_vehicle"


def test_outside_the_capital_is_not_the_place(gaz):
    text = "Video taken in Chongjin shows electric bicycles are becoming increasingly common even outside Pyongyang."
    c = one(claims_of(gaz, text), kind="trend")
    assert c["place"] == "Chongjin"


# --- the pieces -------------------------------------------------------------------------------------------

def test_parse_number():
    assert parse_number("twenty-seven") == 27
    assert parse_number("55,000") == 55000
    assert parse_number("2.5 million") == 2_500_000
    assert parse_number("a dozen") == 12
    assert parse_number("three hundred") == 300
    assert parse_number("cars") is None


def test_quantity_and_amount_finders():
    (q,) = find_quantities("at least 100 to several hundred")
    assert (q.kind, q.low, q.high) == ("range", 100, 900)
    (q,) = find_quantities("anywhere from dozens to hundreds of buses")
    assert (q.kind, q.low, q.high) == ("range", 24, 900)
    assert find_quantities("New two-tone blue taxis") == []
    (a, b) = find_amounts("between 100,000 yuan ($15,600) and 200,000 yuan ($31,200) each, selling for 20,000 yuan less")
    assert (a.low, a.high, b.value) == (100000, 200000, 20000)
    (a,) = find_amounts("around 2400-2700 RMB on Chinese websites (400-450,000 KRW or almost 3 million KPW)")
    assert (a.low, a.high, a.currency) == (2400, 2700, "CNY")


def test_segmentation_keeps_wrapped_lines_and_skips_tables_and_tags():
    text = ("hyesan, cars, vehicles, smugglers\n\n| Won | Pyongyang |\n|---|---|\n\n"
            "\u201cThere is a growing number of bus and truck\ncompanies,\u201d a source from North\nHamkyung Province said. "
            "Prices rose.\n")
    paras = segment(text)
    kinds = [p.kind for p in paras]
    assert kinds[:2] == ["tags", "table"]
    sentences = [s.text for p in paras for s in p.sentences]
    assert sentences[0].startswith("\u201cThere is a growing number of bus and truck\ncompanies")
    assert "North\nHamkyung Province said." in sentences[0]
    assert sentences[1] == "Prices rose."


def test_claims_carry_article_metadata(gaz):
    claims = claims_of(gaz, "Twelve trucks were seen in Hyesan.", "2025-01-02", url="https://example.org/a",
                       publisher="Daily NK", title="Trucks")
    c = claims[0]
    assert (c["source_file"], c["url"], c["published"], c["publisher"], c["title"]) == (
        "report.txt", "https://example.org/a", "2025-01-02", "Daily NK", "Trucks")
    assert 0 < c["confidence"] <= 1
