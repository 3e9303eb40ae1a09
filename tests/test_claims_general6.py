"""Sixth pass of issue 12: sentences written for this test in the way Daily NK, ASIAPRESS and wire
reporters describe the border (none is from the article corpus), with what each is under
``../shared/articles/CONVENTIONS.md``. They pin general mechanisms: presence said by a list or by an
activity, trends said without a number, denial and rarity, bounds and approximations, loads that are
not counts, prices, and places named by infrastructure."""

from __future__ import annotations

import pytest

from borderwatch.claims.articles import Article, resolve_dates
from borderwatch.claims.extract import extract_claims
from borderwatch.geo.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def claims(gaz, text: str, published: str = "2025-10-15"):
    return extract_claims(resolve_dates(Article("g6.txt", "g6.txt", text, published=published)), gaz)


def kinds(gaz, text: str) -> list[tuple[str, str]]:
    return sorted((c.kind, c.vehicle_class) for c in claims(gaz, text))


# --- presence: lists of types, and vehicles doing something -------------------------------------

@pytest.mark.parametrize("text, want", [
    ("Cars, vans, buses and motorcycles filled the streets around the market on Saturday.",
     [("presence", "bus"), ("presence", "car"), ("presence", "two_wheeler")]),
    ("Along the riverside road, the source saw taxis, tractors and motorbikes.",
     [("presence", "car"), ("presence", "heavy_equipment"), ("presence", "two_wheeler")]),
    ("Dump trucks, excavators and a few buses were spotted at the construction site.",
     [("presence", "bus"), ("presence", "heavy_equipment"), ("presence", "truck")]),
    ("Lorries hauling coal kept rolling in across the bridge.", [("presence", "truck")]),
    ("Buses ferrying workers to the dam leave the station every morning.", [("presence", "bus")]),
    ("Tractors were ploughing the cooperative farm fields near the town.", [("presence", "heavy_equipment")]),
    ("A steady stream of cargo trucks moved across the bridge on Thursday.", [("presence", "truck")]),
    # "picking up passengers" is what taxis do, not a rise
    ("Taxis were picking up passengers outside the railway station.", [("presence", "car")]),
    ("Motorcycles weave through the crowds at the market in Chongjin.", [("presence", "two_wheeler")]),
    ("Forklifts were unloading crates at the customs warehouse.", [("presence", "heavy_equipment")]),
    ("Military trucks rumbled along the coastal road toward the port.", [("presence", "truck")]),
    ("A 10-ton truck was stuck in the mud near Hoeryong.", [("presence", "truck")]),
    ("E-bikes zip along the riverside road in Hyesan.", [("presence", "two_wheeler")]),
    ("Several cranes towered over the construction site.", [("range", "heavy_equipment")]),
])
def test_presence(gaz, text, want):
    assert kinds(gaz, text) == want


# --- trends: a change said in words -------------------------------------------------------------

@pytest.mark.parametrize("text, cls, direction", [
    ("Crossings picked up again in September after a summer lull.", "any_vehicle", "increase"),
    ("The bridge has gone quiet since the start of the month.", "any_vehicle", "decrease"),
    ("Truck traffic at the crossing fell by half in August.", "truck", "decrease"),
    ("The road to the port is busier than last spring, residents say.", "any_vehicle", "increase"),
    ("Only a trickle of vehicles now crosses the bridge.", "any_vehicle", "decrease"),
    ("Taxis, once a rarity in the city, have multiplied.", "car", "increase"),
    ("Electric bicycles have become ubiquitous in Hyesan over the past two years.", "two_wheeler", "increase"),
    ("Bus services between the two cities have been scaled back.", "bus", "decrease"),
    ("The flow of Chinese trucks into Sinuiju has slowed to a trickle.", "truck", "decrease"),
    ("Car ownership in Pyongyang has nearly doubled since 2015.", "car", "increase"),
    ("Fewer lorries are making the trip to Rason this winter.", "truck", "decrease"),
    ("Traffic on the Friendship Bridge dropped sharply after Chinese authorities tightened inspections.",
     "any_vehicle", "decrease"),
    ("Vehicle movements at the customs complex returned to normal levels in October.", "any_vehicle", "resumed"),
    ("Truck crossings have ground to a halt since the border was sealed.", "truck", "halted"),
    ("Compared with last year, far more used cars are arriving in Sinuiju from China.", "car", "increase"),
    ("Smuggled motorbikes are turning up in markets in growing numbers.", "two_wheeler", "increase"),
    ("Traffic across the bridge has thinned considerably.", "any_vehicle", "decrease"),
    ("Taxis have become a common sight in Hyesan.", "car", "increase"),
    ("The number of trucks heading to Dandong has tapered off.", "truck", "decrease"),
    ("Bus traffic on the route has recovered since the spring.", "bus", "resumed"),
    ("Lorry traffic slowed sharply in the weeks before the party congress.", "truck", "decrease"),
    ("Electric scooters are increasingly popular among young traders in Hyesan.", "two_wheeler", "increase"),
])
def test_trends(gaz, text, cls, direction):
    got = [(c.vehicle_class, c.direction) for c in claims(gaz, text) if c.kind == "trend"]
    assert (cls, direction) in got


def test_a_past_rarity_that_multiplied_is_no_rarity(gaz):
    assert kinds(gaz, "Taxis, once a rarity in the city, have multiplied.") == [("trend", "car")]


# --- absence, denial, rarity --------------------------------------------------------------------

@pytest.mark.parametrize("text, want", [
    ("Not one truck was seen at the customs post all day.", [("absence", "truck")]),
    ("There were no cars on the road from Sinuiju on Sunday.", [("absence", "car")]),
    ("No trucks have crossed since the Lunar New Year holiday.", [("absence", "truck")]),
    ("Trucks were nowhere to be seen at the port on Saturday.", [("absence", "truck")]),
    ("Residents said they had not seen a bulldozer in the village for years.", [("absence", "heavy_equipment")]),
    ("You won't find a single taxi in the county town.", [("absence", "car")]),
    ("Not a single lorry crossed into Dandong on the holiday.", [("absence", "truck")]),
    # rarity: neither presence nor absence
    ("Taxis are seldom seen on the streets of Hyesan after dark.", [("other", "car")]),
    ("Hardly any buses run in the county these days.", [("other", "bus")]),
    ("Private cars remain rare outside the capital.", [("other", "car")]),
    ("Motorcycles are a rare sight in the villages.", [("other", "two_wheeler")]),
])
def test_absence_and_rarity(gaz, text, want):
    assert kinds(gaz, text) == want


# --- bounds and approximations ------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, cls, low, high", [
    ("At most 40 trucks cross the bridge on a busy day.", "upper_bound", "truck", None, 40),
    ("As many as 200 Chinese trucks queued outside the customs office on Wednesday.", "upper_bound", "truck", None, 200),
    ("No more than five taxis operate in the whole county.", "upper_bound", "car", None, 5),
    ("Fewer than ten cars were seen on the highway.", "upper_bound", "car", None, 10),
    ("Well over a hundred trucks were waiting on the Chinese side.", "lower_bound", "truck", 100, None),
    ("Between 20 and 30 tractors were delivered to farms in the province.", "range", "heavy_equipment", 20, 30),
    ("The source counted 15 to 20 buses at the depot.", "range", "bus", 15, 20),
    ("Dozens of trucks loaded with timber lined the road.", "range", "truck", 24, 99),
    ("A handful of trucks sat on the North Korean approach.", "range", "truck", 3, 9),
])
def test_bounds(gaz, text, kind, cls, low, high):
    got = [(c.kind, c.vehicle_class, c.low, c.high) for c in claims(gaz, text)]
    assert (kind, cls, low, high) in got


@pytest.mark.parametrize("text, kind, cls, value", [
    ("Roughly a dozen buses were parked behind the station.", "approximate", "bus", 12),
    ("Some two dozen excavators were working on the levee.", "approximate", "heavy_equipment", 24),
    ("Close to 300 vehicles passed through the crossing last week.", "approximate", "any_vehicle", 300),
    ("Nearly 1,000 e-bikes were sold in Hyesan last month.", "approximate", "two_wheeler", 1000),
    ("A dozen or so lorries idled at the checkpoint.", "approximate", "truck", 12),
    ("Half a dozen cranes towered over the site.", "count", "heavy_equipment", 6),
    ("Roughly 50 buses now run in the city.", "approximate", "bus", 50),
])
def test_approximations(gaz, text, kind, cls, value):
    got = [(c.kind, c.vehicle_class, c.value) for c in claims(gaz, text)]
    assert (kind, cls, value) in got


# --- loads and weights are not counts -----------------------------------------------------------

def test_a_load_per_truck_is_no_count(gaz):
    got = claims(gaz, "Each truck carried 40 tonnes of coal.")
    assert not [c for c in got if c.unit == "vehicles"]
    assert [(c.kind, c.vehicle_class, c.value) for c in got if c.unit and c.unit.startswith("tonnes")] == [
        ("approximate", "truck", 40.0)]


def test_a_count_and_its_load(gaz):
    got = [(c.kind, c.value, c.unit) for c in claims(gaz, "About 20 trucks carrying 40 tonnes of coal each crossed the bridge.")]
    assert [g for g in got if g[:2] == ("approximate", 20.0) and g[2].startswith("vehicles")]
    assert not [g for g in got if g[1] == 40.0 and g[2] == "vehicles"]


@pytest.mark.parametrize("text", [
    "China shipped 5,000 tonnes of rice to Sinuiju by truck.",
    "The lorries were loaded with 30 tons of fertilizer.",
    "Some 200 tonnes of cement reached the site by lorry.",
])
def test_goods_are_no_vehicle_count(gaz, text):
    assert not [c for c in claims(gaz, text) if c.unit == "vehicles" or c.unit == "vehicles_arrived"]


# --- prices -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, cls, currency, value", [
    ("A used Camry sells for around 8,000 dollars in Sinuiju.", "car", "USD", 8000),
    ("A secondhand Chinese e-bike costs about 1,500 yuan.", "two_wheeler", "CNY", 1500),
    ("Traders say a Foton truck now fetches 60 million won.", "truck", "KPW", 60_000_000),
    ("A new motorbike from China goes for 2,800 yuan in the Hyesan market.", "two_wheeler", "CNY", 2800),
    ("A second-hand bus was sold for $9,000, a source said.", "bus", "USD", 9000),
])
def test_prices(gaz, text, cls, currency, value):
    got = [(c.vehicle_class, c.currency, c.value) for c in claims(gaz, text) if c.kind == "price"]
    assert (cls, currency, value) in got


def test_a_price_bound_and_a_fare(gaz):
    (c,) = [c for c in claims(gaz, "An imported excavator can cost more than $50,000.") if c.kind == "price"]
    assert (c.vehicle_class, c.currency, c.low) == ("heavy_equipment", "USD", 50000)
    got = claims(gaz, "Bus fares between Hyesan and Pyongyang have doubled to 100,000 won.")
    assert [c.unit for c in got if c.kind == "price"] == ["kpw_per_passenger_trip"]
    assert ("trend", "increase") in [(c.kind, c.direction) for c in got]


# --- places from infrastructure and the gazetteer -----------------------------------------------

@pytest.mark.parametrize("text, place", [
    ("Trucks were lined up at the Wonjong customs post on Tuesday.", "Rason"),
    ("Trucks queued at the Quanhe border crossing on Tuesday.", "Hunchun"),
    ("Chinese trucks lined up on the Dandong side of the Friendship Bridge.", "Dandong"),
    ("Trucks crossed the New Yalu River Bridge all morning, a Chinese source said.", "Dandong"),
    ("Buses were parked outside the customs house in Manpo.", "Manpo"),
    ("Excavators were working on the riverbank at Rajin.", "Rason"),
    ("Tractors were spotted at a farm in Onsong county.", "Onsong"),
    ("Cargo trucks waited at the Namyang customs post.", "Onsong"),
])
def test_places(gaz, text, place):
    assert [c.place for c in claims(gaz, text)] == [place]


# --- not claims ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The bus stop near the market was moved last year.",
    "Authorities plan to build a new car park beside the customs house.",
    "Truck drivers complained about the new inspection rules.",
])
def test_not_claims(gaz, text):
    assert kinds(gaz, text) == []


# --- second batch: more of the same reporting, with the fields beyond kind and class ------------

@pytest.mark.parametrize("text, want", [
    # what a vehicle picks up is its load; the trip it makes says it is there
    ("Trucks now make the round trip from Dandong to Sinuiju twice a day instead of once.", [("presence", "truck")]),
    ("Excavators and bulldozers have been idle at the construction site for weeks.", [("presence", "heavy_equipment")]),
    ("According to ASIAPRESS, tractors are in such short supply that farms are borrowing them from the military.",
     [("other", "heavy_equipment")]),
    # "hardly a car", "almost no trucks": a few may be there, which is rarity
    ("There is hardly a car to be seen in the town after 8 pm.", [("other", "car")]),
    ("Almost no trucks crossed the bridge during the holiday week.", [("other", "truck")]),
    ("Vehicles are rarely seen on the road between Musan and Hoeryong.", [("other", "any_vehicle")]),
    # "all but" is an adverb, not a clause break
    ("Residents say motorcycles have all but vanished from the roads of Hoeryong.", [("trend", "two_wheeler")]),
    ("The bridge, which had been busy all summer, fell silent after the border was closed on Oct. 3.",
     [("trend", "any_vehicle")]),
])
def test_second_batch_kinds(gaz, text, want):
    assert kinds(gaz, text) == want


def test_a_once_bustling_place_is_observed_now(gaz):
    (c,) = claims(gaz, "The once-bustling customs yard in Sinuiju now sees only a few trucks a day.")
    assert (c.kind, c.vehicle_class, c.place, c.period_end) == ("presence", "truck", "Sinuiju", "2025-10-15")


def test_a_date_in_an_aside_dates_the_aside(gaz):
    (c,) = claims(gaz, "Motorcycle taxis, which first appeared in Hyesan two years ago, now number in the hundreds.")
    assert (c.kind, c.vehicle_class, c.low, c.high) == ("range", "two_wheeler", 200, 900)
    assert (c.period_start, c.period_end) == (None, "2025-10-15")
    (c,) = claims(gaz, "The bridge, which had been busy all summer, fell silent after the border was closed on Oct. 3.")
    assert c.direction == "halted" and c.period_start == "2025-10-03"


def test_a_price_now_against_what_it_fetched_before(gaz):
    (c,) = claims(gaz, "In Rason, a used Toyota now sells for 12,000 dollars, about twice what it fetched two years ago.")
    assert (c.kind, c.value, c.currency, c.place, c.period_end) == ("price", 12000, "USD", "Rason", "2025-10-15")
    assert c.period_start is None


def test_made_in_china_is_no_profit(gaz):
    got = claims(gaz, "The price of a Chinese-made tractor has risen to about 4,000 dollars.")
    assert [(c.kind, c.unit) for c in got] == [("price", "usd_per_vehicle"), ("trend", None)]


def test_a_ride_is_a_fare(gaz):
    (c,) = claims(gaz, "Motorbike taxis charge 5,000 won for a ride across Hyesan.")
    assert (c.kind, c.vehicle_class, c.unit, c.place) == ("price", "two_wheeler", "kpw_per_passenger_trip", "Hyesan")


def test_a_named_crossing_is_where_they_wait_not_where_they_go(gaz):
    (c,) = claims(gaz, "Dozens of Chinese lorries were waiting at the Quanhe crossing on Monday, bound for Rason.")
    assert (c.kind, c.low, c.high, c.unit, c.place) == ("range", 24, 99, "vehicles", "Hunchun")
    assert (c.period_start, c.period_end) == ("2025-10-13", "2025-10-13")


def test_a_possessive_place_is_a_place(gaz):
    (c,) = claims(gaz, "The number of private cars on Pyongyang's roads is believed to be about 20,000.")
    assert (c.kind, c.vehicle_class, c.value, c.place) == ("approximate", "car", 20000, "Pyongyang")


@pytest.mark.parametrize("text, kind, cls, place, start, end", [
    ("Since the start of the year, the number of taxis in Hyesan has tripled, a source said.",
     "trend", "car", "Hyesan", "2025-01-01", "2025-10-15"),
    ("Several hundred trucks carrying Chinese fertilizer entered Sinuiju last week.",
     "range", "truck", "Sinuiju", "2025-10-06", "2025-10-12"),
    ("Satellite images taken on Sept. 28 show at least 25 trucks parked at the Sinuiju customs complex.",
     "lower_bound", "truck", "Sinuiju", "2025-09-28", "2025-09-28"),
    ("Car smuggling into Rason has surged since the spring, sources say.", "trend", "car", "Rason", "2025-03-01", "2025-10-15"),
    ("A convoy of 12 army trucks drove through Hyesan on Tuesday night.", "count", "truck", "Hyesan", "2025-10-14", "2025-10-14"),
    ("A trader in Hyesan said she bought a used Chinese motorbike for 3,500 yuan last month.",
     "price", "two_wheeler", "Hyesan", "2025-09-01", "2025-09-30"),
    ("Truck crossings at the Tumen bridge have slowed since the beginning of September.",
     "trend", "truck", "Tumen", "2025-09-01", "2025-10-15"),
    ("A source in Ryanggang Province told Daily NK that Chinese-made trucks loaded with building materials have "
     "been streaming into Hyesan since early October.", "presence", "truck", "Hyesan", "2025-10-01", "2025-10-15"),
])
def test_place_and_period(gaz, text, kind, cls, place, start, end):
    got = [(c.kind, c.vehicle_class, c.place, c.period_start, c.period_end) for c in claims(gaz, text)]
    assert (kind, cls, place, start, end) in got


# --- third batch ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, want", [
    # commas inside what the subject carries do not cut it off from its verb
    ("Trucks laden with rice, flour and cooking oil have been crossing into Sinuiju almost every night this month.",
     [("presence", "truck")]),
    ("Unlike last year, taxis are now easy to find in Hyesan.", [("presence", "car")]),
    ("Lines of buses waited outside the stadium in Pyongyang before the parade.", [("presence", "bus")]),
    ("Residents rarely see private cars in the rural parts of Ryanggang Province.", [("other", "car")]),
    ("Buses are almost never seen on the road to the county town any more.", [("other", "bus")]),
    ("Taxis are hard to find in Hyesan after dark.", [("other", "car")]),
    # one denial over a list
    ("No trucks, buses or cars were seen on the bridge on Oct. 5.",
     [("absence", "bus"), ("absence", "car"), ("absence", "truck")]),
    # a part of a vehicle has a price, but it is no vehicle price
    ("An e-bike battery costs about 800 yuan in the Hyesan market.", []),
    ("Truck tyres now sell for 1,200 yuan apiece in Sinuiju.", []),
    ("Trucks bringing goods from China have started arriving again after a three-month pause.", [("trend", "truck")]),
])
def test_third_batch_kinds(gaz, text, want):
    assert kinds(gaz, text) == want


def test_a_change_verb_before_a_percentage_is_a_change(gaz):
    (c,) = claims(gaz, "Chinese customs data showed exports of trucks to North Korea fell 40% in September from a year earlier.")
    assert (c.kind, c.vehicle_class, c.direction, c.value, c.unit) == ("trend", "truck", "decrease", 0.4, "fraction_change")
    assert (c.period_start, c.period_end, c.place) == ("2025-09-01", "2025-09-30", None)


def test_a_denied_change_is_no_change(gaz):
    got = claims(gaz, "The flow of smuggled cars into Sinuiju has not slowed despite the crackdown.")
    assert not [c for c in got if c.kind == "trend" and c.direction == "decrease"]


def test_a_date_set_against_is_not_the_claims_date(gaz):
    (c,) = claims(gaz, "Unlike last year, taxis are now easy to find in Hyesan.")
    assert (c.place, c.period_start, c.period_end) == ("Hyesan", None, "2025-10-15")


def test_mostly_in_an_aside_is_a_class_share(gaz):
    (c,) = [c for c in claims(gaz, "The vehicles, mostly dump trucks, were parked in a long line on the Dandong side.")
            if c.kind == "proportion"]
    assert (c.vehicle_class, c.low, c.high, c.unit, c.place) == ("truck", 0.5, 1.0, "class_share", "Dandong")


def test_usually_crowded_but_empty_today(gaz):
    text = "The roads around the Hyesan airport, usually crowded with military trucks, were empty on Sunday."
    assert ("absence", "any_vehicle") in kinds(gaz, text) and ("presence", "truck") not in kinds(gaz, text)


@pytest.mark.xfail(reason="a ratio between two types ('outnumber cars by ten to one') has no claim form yet", strict=True)
def test_a_ratio_between_types(gaz):
    assert kinds(gaz, "Bicycles outnumber cars by about ten to one in Hyesan.") != []


def test_a_post_posed_at_most(gaz):
    got = [(c.kind, c.high) for c in claims(gaz, "Four or five trucks at most cross the bridge at Manpo each day.")]
    assert ("upper_bound", 5) in got


# --- fourth batch -----------------------------------------------------------------------------

def test_a_figure_after_there_are_counts_the_vehicles_named_before(gaz):
    got = [(c.kind, c.vehicle_class, c.value, c.low) for c in claims(
        gaz, "\"There used to be maybe five taxis in the whole town. Now there are more than 50,\" a resident said.")]
    assert ("lower_bound", "car", None, 50) in got
    assert ("approximate", "car", 5, None) in got


@pytest.mark.parametrize("text, want", [
    ("Traffic at the Sinuiju customs complex remained light on Wednesday.", [("presence", "any_vehicle")]),
    ("The convoy included at least eight fuel tankers and a dozen cargo trucks.", [("count", "truck"), ("lower_bound", "truck")]),
    ("Trucks loaded with sand and gravel ply the road between Hyesan and Pochon day and night.", [("presence", "truck")]),
    ("Excavators were seen dredging the Yalu River near Sinuiju on Monday.", [("presence", "heavy_equipment")]),
    ("Buses carrying Chinese tourists have not been seen in Sinuiju since 2020.", [("absence", "bus")]),
    ("A reporting partner in Hyesan counted 18 tractors parked at the cooperative farm on Sept. 30.",
     [("count", "heavy_equipment")]),
    # a tanker alone is mostly a ship in sanctions reporting
    ("Two tankers were seen transferring oil at sea.", []),
])
def test_fourth_batch_kinds(gaz, text, want):
    assert kinds(gaz, text) == want


def test_a_load_range_per_trip(gaz):
    (c,) = claims(gaz, "The trucks usually carry 10 to 15 tons of coal per trip.")
    assert (c.kind, c.vehicle_class, c.low, c.high, c.unit) == ("range", "truck", 10, 15, "tonnes_cargo_per_truck")


@pytest.mark.xfail(reason="one type replacing another of the same class ('motorbikes have replaced bicycles') "
                          "has no trend form yet", strict=True)
def test_one_type_replacing_another(gaz):
    assert ("trend", "two_wheeler") in kinds(gaz, "Motorbikes have largely replaced bicycles among Hyesan's market traders.")


def test_a_fixture_is_presence(gaz):
    assert kinds(gaz, "Imported Chinese tractors are now a fixture on farms across North Hamgyong Province.") == [
        ("presence", "heavy_equipment")]


@pytest.mark.parametrize("text, want", [
    ("Daily NK's sources say taxis are now everywhere in Chongjin.", [("presence", "car")]),
    ("Few trucks made the crossing on the holiday.", [("other", "truck")]),
    ("A few trucks made the crossing on the holiday.", [("presence", "truck")]),
    ("Heavy machinery has been moved to the construction site at the Wonjong customs area.", [("presence", "heavy_equipment")]),
    ("Cars were lined up for hundreds of metres outside the fuel station in Hyesan.", [("presence", "car")]),
    ("Not a single excavator has been working at the site since the spring.", [("absence", "heavy_equipment")]),
])
def test_fifth_batch_kinds(gaz, text, want):
    assert kinds(gaz, text) == want


def test_a_ticket_now_and_before(gaz):
    now, before = claims(gaz, "A bus ticket from Hyesan to Pyongyang now costs 150,000 won, up from 100,000 won last year.")
    assert (now.value, now.unit, now.period_end) == (150000, "kpw_per_passenger_trip", "2025-10-15")
    assert (before.value, before.period_start, before.period_end) == (100000, "2024-01-01", "2024-12-31")


def test_a_bound_on_a_flow_and_a_price(gaz):
    (c,) = claims(gaz, "Customs officials in Sinuiju are letting through no more than 20 trucks a day.")
    assert (c.kind, c.vehicle_class, c.high, c.unit, c.place) == ("upper_bound", "truck", 20, "vehicles_per_day", "Sinuiju")
    (c,) = claims(gaz, "A Chinese-made electric car now costs upwards of 15,000 dollars in Pyongyang.")
    assert (c.kind, c.vehicle_class, c.low, c.currency, c.place) == ("price", "car", 15000, "USD", "Pyongyang")
