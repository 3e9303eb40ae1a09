"""The words reports use for vehicles, quantities, trends and presence, folded onto the taxonomy.

The base vehicle words come from ``borderwatch.taxonomy.SYNONYMS`` (shared with the detector); this
module adds the plural forms, brands and models (Camry, BYD, Foton), the generic words that stand for
"vehicles" in general (whose class comes from context), and the activity words ("smuggling",
"imports") that stand for vehicles only when the text has just said which vehicles.

Every table is plain data so that a new report's vocabulary is added here, not in the extractor.
"""

from __future__ import annotations

import functools
import re

from borderwatch.taxonomy import CLASSES, SYNONYMS

ANY = "any_vehicle"

# Words naming a class; singular forms (plurals are derived). Longest phrases win when matching.
_EXTRA_VEHICLE_WORDS: dict[str, str] = {
    "car": "car", "passenger car": "car", "luxury car": "car", "used car": "car", "private car": "car",
    "saloon": "car", "hatchback": "car", "limousine": "car", "taxicab": "car",
    "electric car": "car", "pickup truck": "car",
    "truck": "truck", "lorry": "truck", "cargo truck": "truck", "dump truck": "truck", "tipper": "truck",
    "tipper truck": "truck", "tipper lorry": "truck", "dump lorry": "truck", "cargo lorry": "truck", "trailer": "truck", "semi-trailer": "truck", "tanker truck": "truck",
    "four-door truck": "truck", "4-door truck": "truck", "box truck": "truck", "flatbed": "truck",
    "container truck": "truck", "freight truck": "truck", "car carrier": "truck", "hauler": "truck",
    "bus": "bus", "minibus": "bus", "coach": "bus", "trolleybus": "bus", "trolley bus": "bus",
    "servi-car": "bus", "servi-cha": "bus", "servicha": "bus", "long-distance bus": "bus", "shuttle bus": "bus",
    "motorcycle": "two_wheeler", "motorbike": "two_wheeler", "motor bike": "two_wheeler",
    "bicycle": "two_wheeler", "bike": "two_wheeler", "e-bike": "two_wheeler", "ebike": "two_wheeler",
    "electric bicycle": "two_wheeler", "electric bike": "two_wheeler", "electric motorcycle": "two_wheeler",
    "electric scooter": "two_wheeler", "scooter": "two_wheeler", "motor scooter": "two_wheeler",
    "motorized scooter": "two_wheeler", "moped": "two_wheeler", "tricycle": "two_wheeler",
    "two-wheeler": "two_wheeler", "three-wheeler": "two_wheeler", "e-scooter": "two_wheeler", "motorcar": "car",
    "excavator": "heavy_equipment", "bulldozer": "heavy_equipment", "tractor": "heavy_equipment",
    "crane": "heavy_equipment", "loader": "heavy_equipment", "wheel loader": "heavy_equipment",
    "forklift": "heavy_equipment", "backhoe": "heavy_equipment", "grader": "heavy_equipment",
    "road roller": "heavy_equipment", "heavy equipment": "heavy_equipment",
    "construction equipment": "heavy_equipment", "construction machinery": "heavy_equipment",
    "heavy machinery": "heavy_equipment", "construction vehicle": "heavy_equipment",
    "engineering vehicle": "heavy_equipment", "digger": "heavy_equipment",
    # conventions: tractors are heavy equipment, so are the other farm machines
    "combine harvester": "heavy_equipment", "harvester": "heavy_equipment",
    "farm machinery": "heavy_equipment", "agricultural machinery": "heavy_equipment", "farming machinery": "heavy_equipment",
    "farm equipment": "heavy_equipment", "farming equipment": "heavy_equipment", "agricultural equipment": "heavy_equipment",
    "farm machine": "heavy_equipment", "agricultural machine": "heavy_equipment", "mining machinery": "heavy_equipment",
    "microbus": "bus", "passenger bus": "bus", "city bus": "bus", "school bus": "bus",
    "fire engine": "truck", "fire truck": "truck", "cement mixer": "truck", "concrete mixer": "truck",
    "mixer truck": "truck", "fuel truck": "truck", "tank truck": "truck", "garbage truck": "truck",
    "motorbike taxi": "two_wheeler", "motorcycle taxi": "two_wheeler", "bike taxi": "two_wheeler",
    "moto-taxi": "two_wheeler", "motor-taxi": "two_wheeler",
    "military truck": "truck", "army truck": "truck", "cargo vehicle": "truck", "freight vehicle": "truck",
    "goods vehicle": "truck", "heavy goods vehicle": "truck", "articulated lorry": "truck",
    # not "tanker" alone: in sanctions reporting it is mostly a ship
    "fuel tanker": "truck", "tanker lorry": "truck", "road tanker": "truck",
}

# Words from SYNONYMS that mislead in prose ("semi" final, "motor" in "motor vehicles", "van" as
# in "vanguard" is excluded by word matching; "loader" kept).
_PROSE_EXCLUDED = {"semi", "motor", "cyclist", "jeep"}

VEHICLE_WORDS: dict[str, str] = {
    **{k: v for k, v in SYNONYMS.items() if k not in _PROSE_EXCLUDED},
    **_EXTRA_VEHICLE_WORDS,
}

# Makes and models reports name instead of a class. Brands that build several kinds map to what
# they are best known for on the border; a class word next to them ("Foton bus") wins.
BRANDS: dict[str, str] = {
    "camry": "car", "corolla": "car", "toyota": "car", "byd": "car", "changan": "car", "eado": "car",
    "geely": "car", "chery": "car", "haval": "car", "great wall": "car", "hyundai": "car", "kia": "car",
    "volkswagen": "car", "vw": "car", "audi": "car", "mercedes": "car", "mercedes-benz": "car",
    "benz": "car", "bmw": "car", "lexus": "car", "nissan": "car", "honda": "car", "mitsubishi": "car",
    "land cruiser": "car", "pajero": "car", "santa fe": "car", "hwiparam": "car", "ppeokkugi": "car",
    "pyeonghwa": "car", "pyonghwa": "car", "jetta": "car", "santana": "car", "buick": "car",
    "lada": "car", "uaz": "car", "moskvich": "car", "chevrolet": "car", "ford": "car",
    "subaru": "car", "mazda": "car", "suzuki": "car", "peugeot": "car", "hongqi": "car", "wuling": "car",
    "foton": "truck", "ollin": "truck", "dfac": "truck", "dongfeng": "truck", "jinbei": "truck",
    "faw": "truck", "jiefang": "truck", "sinotruk": "truck", "howo": "truck", "shacman": "truck",
    "kamaz": "truck", "zil": "truck", "sungri": "truck", "isuzu": "truck", "jac": "truck",
    "maz": "truck", "gaz": "truck", "hino": "truck", "taebaeksan": "truck",
    "yutong": "bus", "king long": "bus", "golden dragon": "bus", "higer": "bus", "zhongtong": "bus",
    "phoenix": "two_wheeler", "flying pigeon": "two_wheeler", "yadea": "two_wheeler",
    "aima": "two_wheeler", "tailg": "two_wheeler", "forever": "two_wheeler",
    "komatsu": "heavy_equipment", "caterpillar": "heavy_equipment", "sany": "heavy_equipment",
    "xcmg": "heavy_equipment", "liugong": "heavy_equipment", "doosan": "heavy_equipment",
}
# Brand words that are also ordinary words: a brand only when capitalised in the text.
CAPITALISED_BRANDS = {"phoenix", "forever", "caterpillar", "great wall", "santa fe", "jetta", "ford",
                      "gaz", "maz"}

# Words that mean "vehicles" without saying which; their class comes from the nearest specific
# mention in context (one class -> that class, several -> any_vehicle).
GENERIC_WORDS: tuple[str, ...] = (
    "vehicle", "motor vehicle", "used vehicle", "automobile", "model", "modes of transport",
    "mode of transport", "means of transport", "means of transportation", "auto",
)
# Words for all vehicles together, never one class.
MIXED_WORDS: tuple[str, ...] = (
    # longest first: the alternation tries them in order
    "vehicular activity", "vehicle activity", "vehicular traffic", "vehicular movements?", "vehicle movements?", "traffic",
)
# Words that stand for vehicles only through what they refer back to ("smuggling" after "car
# smuggling"); never a mention on their own.
ACTIVITY_WORDS: tuple[str, ...] = (
    "smuggling", "smuggled", "imports", "importing", "exports", "operations", "fare", "fares",
)
PRONOUNS: tuple[str, ...] = ("these", "those", "they", "them", "it", "ones", "one")

# Nouns that are not vehicles although a vehicle word is inside them ("car park" is a place).
NON_VEHICLE_PHRASES: tuple[str, ...] = (
    "car park", "bus stop", "bus station", "bus terminal", "truck stop", "taxi rank", "bike lane",
    "cycling lane", "crane operator", "traffic police", "traffic controller", "traffic controllers",
    "traffic jam", "traffic division", "traffic light", "traffic safety", "car number", "taxi business",
    "taxi driver", "transportation company", "transportation companies",
    # conventions: rail cars, containers and trains are not vehicles here
    "rail car", "railcar", "railway car", "freight car", "train car", "wagon", "tank car", "flatbed car", "flat car",
    "boxcar", "box car", "hopper car", "locomotive", "rail traffic",
    "railway traffic", "rail freight traffic", "freight train traffic", "air traffic", "maritime traffic",
    "ship traffic", "internet traffic", "cable car", "sleeping car", "dining car", "tram car", "car bomb",
    "tractor factory", "tractor plant", "truck factory", "car factory", "bus factory", "vehicle factory",
)


# A vehicle word before one of these names a part or supply of it, not a vehicle ("an e-bike battery
# costs 800 yuan", "truck tyres", "car parts").
PART_AFTER_RE = re.compile(r"[\s\-]+(?:batter(?:y|ies)|tyres?|tires?|engines?|spare parts|parts|wheels?|seats?|"
                           r"mirrors?|windscreens?|windshields?|headlights?|chargers?)\b", re.IGNORECASE)


def plural(word: str) -> str:
    """English plural of a vehicle word (bus -> buses, lorry -> lorries, taxi -> taxis)."""
    head, _, last = word.rpartition(" ")
    last_word = last or word
    if last_word.endswith(("s", "x", "ch", "sh")):
        p = last_word + "es"
    elif last_word.endswith("y") and last_word[-2:-1] not in "aeiou":
        p = last_word[:-1] + "ies"
    else:
        p = last_word + "s"
    return f"{head} {p}" if head else p


def _alternation(words) -> str:
    forms: set[str] = set()
    for w in words:
        forms.update((w, plural(w), w + "s"))  # "Camrys" as well as "lorries"
    parts = sorted(forms, key=lambda s: (-len(s), s))
    # "e-bike", "e bike" and "ebike" are one word; so are "dump truck" and "dump-truck"
    return "|".join(r"[\s\-]*".join(re.escape(t) for t in re.split(r"[\s\-]+", p)) for p in parts)


def word_class(word: str) -> str | None:
    """The class a (singular or plural, any case) vehicle or brand word names, else None."""
    return _word_class(" ".join(word.lower().replace("-", " ").split()))


@functools.lru_cache(maxsize=4096)
def _word_class(w: str) -> str | None:
    for table in (VEHICLE_WORDS, BRANDS):
        for key, cls in table.items():
            k = key.replace("-", " ")
            if w in (k, k + "s", plural(k).replace("-", " ")):
                return cls
    return None


VEHICLE_RE = re.compile(rf"\b(?:{_alternation(VEHICLE_WORDS)})\b", re.IGNORECASE)
BRAND_RE = re.compile(rf"\b(?:{_alternation(BRANDS)})\b", re.IGNORECASE)
GENERIC_RE = re.compile(rf"\b(?:{_alternation(GENERIC_WORDS)})\b", re.IGNORECASE)
MIXED_RE = re.compile(rf"\b(?:{'|'.join(MIXED_WORDS)})\b", re.IGNORECASE)
ACTIVITY_RE = re.compile(rf"\b(?:{'|'.join(ACTIVITY_WORDS)})\b", re.IGNORECASE)
NON_VEHICLE_RE = re.compile(rf"\b(?:{_alternation(NON_VEHICLE_PHRASES)})\b", re.IGNORECASE)
# "car smuggling", "smuggling of used cars", "vehicle imports": what an activity word refers back to.
ACTIVITY_LINK_RE = re.compile(
    r"\b(?:smuggl\w*|import\w*|export\w*|trade|trading|bring\w*|brought|supply\w*|sending|send)\b",
    re.IGNORECASE,
)

# --- quantities, trends, presence -----------------------------------------------------------------

DIRECTION_PATTERNS: dict[str, tuple[str, ...]] = {
    # order matters: earlier directions are tried first in a clause
    "resumed": (
        r"\bresum(?:e|ed|es|ing|ption)\b", r"\brestart(?:ed|s|ing)?\b", r"\breopen(?:ed|s|ing)?\b",
        r"\bonce again (?:flowing|moving|running|crossing|coming)\b", r"\bback in (?:operation|business)\b",
        r"\brevived?\b", r"\brestored\b", r"\b(?:start(?:ed|s|ing)?|beg[au]n|begins?) (?:to )?\w+ again\b",
        r"\bagain after (?:a|an|the|its|their)\b", r"\bback on the (?:roads?|streets?|bridge)\b", r"\breturned to\b", r"\brecover(?:ed|s|ing)\b", r"\bbounced back\b",
        # "truck traffic is beginning to return to normal", "back to normal", "back to pre-pandemic levels"
        r"\breturn(?:s|ing)? to (?:normal|pre-\w+|(?:its|their) (?:former|previous|usual|old) )", r"\bback to (?:normal|pre-\w+)",
    ),
    "halted": (
        r"\bhalt(?:ed|s|ing)?\b", r"\bsuspend(?:ed|s|ing)?\b", r"\bsuspension\b", r"\bput on hold\b",
        r"\bon hold\b", r"\bstopp(?:ed|ing)\b", r"\bceas(?:ed|es|ing)\b", r"\bshut down\b",
        r"\bground to a halt\b", r"\b(?:fell|fallen|gone|went) silent\b", r"\bcame to a (?:halt|standstill)\b", r"\bfroze(?:n)?\b",
        r"\bshutdown\b", r"\bcut off\b", r"\bclosure\b", r"\bno longer\b",
        # "crossings were closed on Oct. 3", "the bridge was closed to traffic"
        r"\b(?:was|were|been|being|is|are)\s+(?:\w+ly\s+)?closed\b", r"\bclosed (?:to|off)\b",
    ),
    "stable": (
        r"\bremain(?:ed|s)? (?:stable|steady|unchanged|flat|the same)\b", r"\bstay(?:ed|s)? (?:stable|steady|flat|the same)\b",
        r"\bheld steady\b", r"\bunchanged\b", r"\blevel(?:l)?ed off\b",
    ),
    "decrease": (
        r"\bdecreas(?:e|ed|es|ing)\b", r"\bdeclin(?:e|ed|es|ing)\b", r"\bfell\b", r"\bfallen\b",
        r"\bfalling\b", r"\bfewer\b", r"\bshr[iau]nk(?:ing|en)?\b", r"\bdwindl(?:e|ed|es|ing)\b",
        r"\bplummet(?:ed|s|ing)?\b", r"\bplung(?:e|ed|es|ing)\b", r"\bslump(?:ed|s|ing)?\b",
        r"\bless and less\b", r"\bthinn(?:ed|ing)(?: out)?\b", r"\bdried up\b", r"\bdrying up\b",
        r"\bdrop(?:ped|s|ping)?\b(?! off\b)", r"\bdip(?:ped|s)?\b", r"\bslow(?:ed|ing)? (?:down|to a trickle)\b",
        r"\bslow(?:ed|ing)\b", r"\beas(?:ed|ing) off\b", r"\breduc(?:ed|tion|ing)\b", r"\bhalved\b",
        r"\bfell by half\b", r"\b(?:scal(?:ed|ing)|cut(?:ting)?) (?:back|down)\b",
        # "sanctions have cut truck traffic at the bridge"
        r"\bcut(?:s|ting)?(?= (?:the |its |their )?(?:[\w\-]+ ){0,2}?(?:traffic|flows?|volumes?)\b)", r"\bcurtail(?:ed|ing)\b", r"\b(?:only |just |no more than |barely )?a (?:mere )?trickle\b", r"\blighter\b", r"\bquieter\b", r"\b(?:gone|went|fallen|grown) quiet\b",
        r"\bwan(?:ed|ing)\b", r"\b(?:largely |all but |virtually )?disappear(?:ed|ing|s)?\b", r"\bvanish(?:ed|ing|es)?\b",
        r"\bdown from\b", r"\bin (?:smaller|fewer|dwindling|shrinking) numbers\b", r"\btaper(?:ed|ing) off\b", r"\bsparser\b",
    ),
    "increase": (
        r"\bincreas(?:e|ed|es|ing|ingly)\b",
        r"(?<!-)\bgrow(?:s|ing|n)?\b(?!\s+(?:areas?|regions?|seasons?|districts?|zones?|belts?|farms?)\b)",  # not "potato growing area" r"\bgrew\b", r"\bgrowth\b",
        r"\brising\b", r"\brises?\b", r"\brose\b", r"\brisen\b", r"\bpour(?:s|ed|ing)? (?:in|into|across)\b", r"\bsurg(?:e|ed|es|ing)\b", r"\bsoar(?:ed|s|ing)?\b",
        r"\bjump(?:ed|s)\b(?! into)", r"\bskyrocket(?:ed|s|ing)?\b", r"\b(?:shot|shoot(?:s|ing)?) up\b", r"\bexplod(?:ed|ing)\b", r"\bexploded\b", r"\bintensif(?:y|ied|ies|ying)\b",
        r"\bspread(?:s|ing)?\b", r"\bexpand(?:ed|s|ing)?\b", r"\bmultipl(?:ied|ying)\b",
        r"\bmushroom(?:ed|ing)\b", r"\bproliferat(?:e|ed|ing)\b", r"\bmore and more\b",
        r"\bheavier\b", r"\bbusier\b", r"\b(?:kept|keeps|keep) (?:going up|rising|growing)\b",
        r"\bgoing up\b", r"\bon the rise\b", r"\bspringing up\b", r"\bsprung up\b", r"\bpicked up\b(?! (?:passengers|customers|people|goods|cargo|loads?|fares?|riders|travell?ers|workers|students|a|an|the|their|his|her)\b)",
        r"\bbec(?:ome|omes|ame|oming) (?:increasingly |more |ever more |so |very |hugely |extremely |wildly |quite )?(?:common|commonplace|popular|widespread|prevalent|ubiquitous|everywhere)\b",
        r"\bbec(?:ome|omes|ame|oming) (?:a |an )?(?:increasingly |more |ever more )?(?:common|frequent|familiar|regular) sight\b", r"\bfilling (?:up )?with\b", r"\bflooding\b",
        r"\b(?:a |an )?(?:hike|uptick|upturn|upswing|rebound|boom|spike|explosion)\b(?: in| of)?",
        r"\bclimb(?:ed|s|ing)?\b", r"\bdoubl(?:ed|ing)\b", r"\btripl(?:ed|ing)\b", r"\bswell(?:ed|ing)?\b",
        r"\b(?:ramp|step)(?:ed|ped)? up\b", r"\bpick(?:s|ing)? up\b(?! (?:passengers|customers|people|goods|cargo|loads?|fares?|riders|travell?ers|workers|students|a|an|the|their|his|her)\b)", r"\bmore frequent(?:ly)?\b",
        r"\bincreasingly\b", r"\bup from\b",
        # "electric bikes take off" (not "took off the licence plates"), "a booming trade in used cars"
        r"\b(?:take|takes|took|taken|taking) off\b(?!\s+(?:the|their|its|his|her|a|an|all|licen[cs]e|number|plates?)\b)",
        r"\bboom(?:ed|ing|s)\b", r"\bin (?:larger|greater|bigger|growing|increasing|record) numbers\b",
    ),
}
DIRECTION_RES: dict[str, re.Pattern] = {
    d: re.compile("|".join(p), re.IGNORECASE) for d, p in DIRECTION_PATTERNS.items()
}
# "more trucks than", "more vehicles on the roads": a comparative directly on a vehicle word.
MORE_RE = re.compile(r"\bmore\b", re.IGNORECASE)

# A verb that someone saw, counted or handled the vehicles: the sentence asserts they were there.
PRESENCE_RE = re.compile(
    r"\b(?:seen|see|sees|saw|visible|spotted|observed|identified|sighted|show(?:s|n|ed|ing)?|"
    r"photographed|captured|filmed|appear(?:s|ed)? (?:in|on)|lined up|line up|lining|parked|parking(?! (?:area|lot|lots|space|spaces|garage|fees?|ban))|"
    r"queued|queuing|queueing|waiting|driving|drove|riding|rid(?:e|es)|rode|carrying|carried|loaded|"
    r"arriv(?:e|ed|es|ing)|flowing|flow(?:ed|s)? into|entering|entered|coming in|came in|"
    r"come in|crossing|crossed|smuggl(?:e|ed|es|ing)|import(?:ed|ing|s)?|bring(?:ing|s)? (?:in|into)|"
    r"brought (?:in|into)|bought|deliver(?:s|ed|ing)?|continu(?:es|ed)|there (?:are|were|is|was)|"
    # handed out somewhere: "Kim sent tractors to the counties", "tractors were distributed to farms"
    r"sent|distribut(?:e|es|ed|ing)|taken (?:to|into)|supplied (?:to|with)|handed (?:over|out)|allocated|donated|"
    r"plying|on the (?:streets?|roads?)|in use|used by|(?:are|is|were|was) still (?:being )?used (?:to|for|as)|use of|uses?|rel(?:y|ies|ied) on|walking (?:his|her|their|a|an)|"
    r"transported|being transported|beg[ai]n|takes place|taking place|occurr?(?:s|ed|ing)|"
    # being there and moving, whatever the verb: "lorries hauling coal kept rolling in", "the caravan
    # of trucks rumbles across", "used cars were introduced into Rajin port"
    r"rumbl(?:e|es|ed|ing)|roll(?:s|ed|ing)? (?:in|into|across|through|out)|inch(?:es|ed|ing) (?:along|across|forward)|"
    r"haul(?:s|ed|ing)?|ply(?:ing)?|plies|introduced (?:in|into|to)|shipp(?:ed|ing)|travel(?:l)?(?:s|ed|ing)|"
    r"head(?:s|ed|ing) (?:to|for|into)|pass(?:es|ed|ing) (?:through|over|across)|sit(?:s|ting)? (?:in|at|on|idle)|"
    r"sat (?:in|at|on|idle)|stood (?:in|at|on)|stand(?:s|ing)? (?:in|at|on)|"
    r"(?:fill|throng|chok|clogg?|jamm?)(?:s|ed|ing|e|es)? (?:the|its|their)|weav(?:e|es|ed|ing)|"
    # "cars now fill parking spaces and spill into the streets", "vehicles surround the market"
    r"fill(?:s|ed|ing)? (?:\w+ )?(?:parking|spaces|lots|yards|streets|roads|squares|plazas)|spill(?:s|ed|ing)? (?:into|onto|over)|"
    r"surround(?:s|ed|ing)? (?:the|a|an)|"
    r"(?:zip(?:s|ped|ping)?|whizz?(?:es|ed|ing)?|speed(?:s|ing)?|sped|race[sd]?|racing|dart(?:s|ed|ing)?) (?:along|through|past|by|around|across|down|up)|"
    r"(?:remain(?:s|ed)?|stay(?:s|ed)?|was|were|is|are|been) (?:\w+ )?(?:light|heavy|brisk|steady|sparse|thin)(?! \w+ (?:vehicles|trucks|equipment|machinery))|"
    r"(?:are|is|were|was) (?:now |still |already )?(?:everywhere|ubiquitous|commonplace|common|widespread|abundant|plentiful)|"
    r"(?:moved|deployed|dispatched|mobili[sz]ed|redeployed) (?:to|into|onto)|"
    r"stuck (?:in|at|on|behind)|easy to (?:find|see|spot|get|hail)|(?:mak(?:e|es|ing)|made) (?:the |a |its |their )?(?:[\w\-]+ )?(?:trips?|crossings?|journeys?|runs?)|idle (?:at|in|on|near|along|outside|for)|bogged down|pick(?:s|ed|ing)? up (?:passengers|customers|people|goods|cargo|loads?|fares|riders|travell?ers|workers)|"
    r"left (?:\w+ ){0,3}in (?:their|the|a)|stored|clogg(?:ed|ing)|jamm(?:ed|ing)|crowd(?:s|ed|ing)?|ferr(?:y|ies|ied|ying)|"
    r"awaited|awaiting|wait(?:s|ed)? (?:for|to|on|at|in|near|along|outside)|queue(?:s|d)? (?:on|at|in|near|along|outside)|can be found|could be found|find(?:ing)? new life|found (?:in|at|on)|"
    # conventions: "countless", "plenty", "packed" say vehicles were there (presence only)
    r"countless|plenty of|packed (?:\S+ ){0,2}with|filled with|full of|crammed with|lined with|dotted with|"
    # collective nouns: "a fleet of old buses", "a convoy of trucks", "long lines of lorries"
    r"(?:fleet|convoy|caravan|queue|row|column|stream|procession|line)s? of|"
    r"bumper[\s\-]to[\s\-]bumper|(?:a |an )?(?:common|familiar|frequent|regular) sight|"
    r"prevail(?:s|ed|ing)?|predominat(?:e|es|ed|ing)|thriv(?:e|es|ed|ing)|exported (?:to|into)|operat(?:e|es|ed|ing) (?:in|on|at|near|between|across)|"
    # machines at work are there: "bulldozers were clearing the riverbank", "cranes working on the bridge"
    r"working|at work|digging|dredging|clearing|plough(?:ing|ed)|plow(?:ing|ed)|excavating|level(?:l)?ing|"
    r"lifting|hoisting|grading|scooping|unloading|loading|demolishing|tearing down|busy (?:at|on|in|with|near))\b",
    re.IGNORECASE,
)
# Adjectives allowed between "more" and a vehicle word in "more Chinese cars than before".
MORE_ADJECTIVES = {"used", "new", "chinese", "private", "foreign", "imported", "smuggled", "second-hand",
                   "secondhand", "luxury", "electric", "large", "big", "small", "cargo"}

# Presence words about movement or trade: they say vehicles were somewhere only with a place
# ("flowing into Hyesan", "importing vehicles from China"), not in "people who imported the cars".
MOVEMENT_CUES_RE = re.compile(
    r"^(?:arriv\w*|flow\w*(?: into)?|enter\w*|com(?:e|ing) in|came in|cross\w*|smuggl\w*|import\w*|"
    r"bring\w* in(?:to)?|brought in(?:to)?|bought|deliver\w*|transported|being transported|continu\w*|beg[ai]n|"
    r"sent|distribut\w*|taken (?:to|into)|supplied (?:to|with)|handed (?:over|out)|allocated|donated|"
    r"takes place|taking place|occurr?\w*)$",
    re.IGNORECASE,
)
LOCATIVE_RE = re.compile(
    r"\b(?:into|to|from|in|across|through|at|inside|along)\s+(?:the\s+)?(?:neighbou?ring\s+|northern\s+|southern\s+)?"
    r"(?:[A-Z][\w’'\-]+|China|North Korea|country|border|city|region|north|south|provinces?)\b|"
    # "crosses the bridge", "entered the port": the place is the verb's object
    r"\b(?:cross\w*|enter\w*)\s+the\s+(?:[\w\-]+\s+){0,3}(?i:bridge|river|border|port|customs|checkpoint|crossing)\b"
)

# Presence words that are also nouns: after a vehicle word they make a compound ("car smuggling").
NOUN_LIKE_CUES_RE = re.compile(r"^(?:smuggl\w*|import\w*|export\w*|parking|driving|riding|deliver\w*|carrying)$", re.I)
# A cue after "to" (purpose: "to import"), a determiner ("a driving test", "the imported cars") or
# "into" (a line of business: "jumped into importing cars") says nothing about vehicles being there.
CUE_BLOCKERS_RE = re.compile(r"(?:\bto(?:\s+\w+ly)?|\b(?:a|an|the|these|those|their|its|his|her|of|for|into))\s+$", re.I)
# A noun-like cue after a preposition is the means, not the verb of the vehicles before it:
# "cars through state-sanctioned smuggling", "trucks via illegal importing".
MEANS_BEFORE_CUE_RE = re.compile(r"\b(?:through|via|by way of|thanks to)\s+(?:[\w\-]+\s+){0,2}$", re.I)
CUE_NOUN_PHRASES_RE = re.compile(r"^(?:use of|countless|plenty of|full of|filled with|packed .*with|crammed with|"
                                 r"lined with|dotted with|(?:fleet|convoy|caravan|queue|row|column|stream|procession|"
                                 r"line)s? of)$", re.I)  # "the use of these modes of transport" says they are used

# Statements of wanting, liking or planning: about demand, not about vehicles being there.
DESIRE_RE = re.compile(
    r"\b(?:want(?:s|ed)?|wish(?:es|ed)?|desire[sd]?|prefer(?:s|red)?|preferred|dream(?:s|ed)? of|"
    r"interest(?:ed)?|demand|popular for|plan(?:s|ned)? to|hop(?:e|es|ed) to|"
    r"looking for|searching for|seeking|shopping for|in the market for)\b",
    re.IGNORECASE,
)
# Observations about vehicles that are no count, trend, presence or price (conventions: kind
# other): their quality and age, who prefers or wants them, how they compare with others, what
# they were used for, orders and confiscations, shortages.
OTHER_CUES: dict[str, str] = {
    "quality": r"(?:too|very|so|simply|nearly|almost)\s+(?:old|worn|expensive|cheap|worthless)|worthless|high[\s\-]quality|"
               r"low[\s\-]quality|poor[\s\-]quality|decades[\s\-]old|(?:are|is|were|was)\s+(?:now\s+|all\s+|mostly\s+)?(?:many years|(?:more than |over )?\d+ years)\s+old|defective|broken[\s\-]down|broke down|(?:often |frequently |constantly )?break(?:s|ing)? down|near the end of their|"
               r"look(?:s|ed)? (?:acceptable|new|good|old)|(?:old|aging|ageing|rusty|rundown|run-down) (?:models|fleets?)",
    "preference": r"(?:most\s+)?preferred|prefer(?:s|red)?|favou?rite|(?:residents|people|customers|buyers|traders) want|"
                  r"drawing (?:significant |much |a lot of )?(?:public |popular )?(?:interest|attention)|sought[\s\-]after",
    # how vehicles sell or hold a market; not a type's general merits ("faster than conventional bikes",
    # "more convenient"), which describe the product, not vehicles observed anywhere
    "comparison": r"sell(?:s|ing)? (?:more |less )?(?:slowly|poorly|quickly|well)|dominat(?:e|es|ed|ing) (?:the )?market",
    "use": r"formerly (?:served|used|ran|belonged)|(?:have|has|had)(?: only)? been used for|replaced (?:their|the|its)|"
           r"confiscat(?:ed|ing|ion)|requisition(?:ed|ing|s)?|impound(?:ed|ing)|(?:has|have|had) ordered(?!(?:\s+[\w\-]+){1,4}\s+to\s+(?!be\b)\w+)|(?:are|were|is|was) (?:purchasing|buying)|"
           # who holds them: "private cars registered to state companies", "taxis operated by enterprises"
           r"(?:are|were|is|was) (?:\w+ly )?(?:registered|owned|operated|run) (?:to|by|under)",
    # "a severe lack of farming machinery", "most farms do not have enough tractors"
    "shortage": r"shortage of|scarcity of|(?:a |the )?(?:severe |chronic |serious |acute )?lack of (?:adequate |enough |sufficient )?|"
                r"(?:in )?(?:such )?short supply|(?:do|does|did)(?: not|n['’]t) have enough|not enough|too few|insufficient",
}
OTHER_RE = re.compile("|".join(f"(?P<{k}>\\b(?:{v})\\b)" for k, v in OTHER_CUES.items()), re.IGNORECASE)

# Absence: empty roads, no vehicles seen.
ABSENCE_RE = re.compile(
    r"\b(?:(?:virtually|almost|nearly|completely|totally)\s+)?(?:empty|deserted|devoid of (?:vehicles|cars|traffic))\b|"
    r"\bno (?:vehicles?|cars?|trucks?|lorries|buses|motorcycles?|bikes?|bicycles?|traffic|taxis?)\b(?! (?:owner|plate|number))|"
    r"\bnot (?:a )?single (?:vehicle|car|truck|bus|motorcycle)\b|\bnone (?:were|was|could be) (?:seen|visible|spotted)\b|"
    r"\b(?:remain(?:s|ed)?|stood|stands|sits|sat|lies|lay|is|was|has been|have been)\s+(?:largely\s+|mostly\s+|virtually\s+)?"
    r"(?:unused|idle|empty|deserted|out of use)\b",
    re.IGNORECASE,
)
ROAD_WORDS_RE = re.compile(r"\b(?:roads?|streets?|highways?|intersections?|plazas?|parking lots?|car parks?|bridges?|lots?|"
                           r"yards?|depots?|garages?|terminals?|customs (?:posts?|areas?|yards?)|crossings?|checkpoints?)\b",
                           re.IGNORECASE)

# Future or hypothetical: no period can be observed.
FUTURE_RE = re.compile(
    r"\b(?:will|would|shall|expected to|expects? to|is set to|are set to|going to|plans? to|planned to|"
    r"could|might|may)\b",
    re.IGNORECASE,
)
# Vague past: the period is before publication but not known.
VAGUE_PAST_RE = re.compile(
    r"\b(?:previously(?! (?:reported|said|noted|mentioned|stated))|in the past|(?<!\bare )(?<!\bis )(?<!\bwas )(?<!\bwere )(?<!\bbeing )(?<!\bbeen )(?<!\bstill )(?<!\bwidely )(?<!\bmainly )used to|formerly|historically|once(?![\-‐])|first beg[ai]n|in earlier years|"
    r"long ago|years ago|back then|at that time)\b",
    re.IGNORECASE,
)
PRESENT_RE = re.compile(r"\b(?:now|currently|these days|nowadays|today|at present|still)\b", re.IGNORECASE)
CONTINUE_RE = re.compile(r"\b(?:continu(?:e|es|ed|ing) to|continu(?:e|es)|still|remain(?:s|ed)?|same price)\b", re.IGNORECASE)

# Flows: vehicles that move in over a time unit.
FLOW_VERB_RE = re.compile(
    r"\b(?:came in|come in|coming in|arriv\w+|entered|enter(?:s|ing)?|(?<!border )(?<!the )cross(?:ed|es|ing)|"
    r"brought in|bring in|imported|smuggled in|flowed in|flowing in|poured in|"
    r"(?:brought|smuggled|driven|moved|shipped)\b[^.;]{0,40}\binto)\b",
    re.IGNORECASE,
)
PER_UNIT_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\b(?:last night|overnight|a night|per night|each night|every night|nightly|one night)\b", "vehicles_per_night"),
    (r"\b(?:a day|per day|each day|every day|daily(?! nk)|yesterday|today|in one day|a single day)\b", "vehicles_per_day"),
    (r"\b(?:a week|per week|each week|every week|weekly)\b", "vehicles_per_week"),
    (r"\b(?:a month|per month|each month|every month|monthly)\b", "vehicles_per_month"),
    (r"\b(?:a year|per year|each year|every year|annually|yearly)\b", "vehicles_per_year"),
    (r"\b(?:per transaction|each transaction|per deal|each deal|per order|per shipment|each shipment|"
     r"at once|at a time|in one go|in bulk|per trip|each trip|per batch)\b", "vehicles_per_transaction"),
)
# With a flow verb, the period the vehicles came in over ("10 cars arrived last week").
FLOW_PERIOD_UNITS: tuple[tuple[str, str], ...] = (
    (r"\b(?:last night|overnight|tonight)\b", "vehicles_per_night"),
    (r"\b(?:yesterday|today|this morning)\b", "vehicles_per_day"),
    (r"\b(?:last week|this week|the past week)\b", "vehicles_per_week"),
    (r"\b(?:last month|this month|the past month)\b", "vehicles_per_month"),
)
FLOW_PERIOD_RES = tuple((re.compile(p, re.IGNORECASE), u) for p, u in FLOW_PERIOD_UNITS)
PER_UNIT_RES = tuple((re.compile(p, re.IGNORECASE), u) for p, u in PER_UNIT_PATTERNS)

NEGATION_RE = re.compile(
    r"\b(?:unusual|rare|rarely|seldom|never|hardly|not|no|n't|without|impossible)\b|n't\b", re.IGNORECASE
)

# Proportions: shares and quantifiers over vehicles.
PERCENT_RE = re.compile(
    r"(?P<hedge>\b(?:about|around|approximately|roughly|nearly|almost|over|more than|at least|up to|some)\s+)?"
    r"(?P<a>\d+(?:\.\d+)?)\s*(?:%|percent|per cent)?"
    r"(?:\s*(?:to|-|–|—)\s*(?P<b>\d+(?:\.\d+)?))?\s*(?:%|percent\b|per cent\b)",
    re.IGNORECASE,
)
QUANTIFIER_SHARES: tuple[tuple[str, float | None, float | None, float | None], ...] = (
    # pattern, value, low, high (conventions: most 0.5-1.0, overwhelmingly 0.8-1.0, none 0.0, all 1.0)
    (r"\b(?:nearly|almost|virtually) all\b", None, 0.9, 1.0),
    (r"\boverwhelming(?:ly)?\b", None, 0.8, 1.0),
    (r"\b(?:the )?(?:vast )?(?:majority|bulk) of\b", None, 0.5, 1.0),
    (r"\bmost (?:of (?:the|them|these)\b|\w+ (?:vehicles|cars|trucks|buses|bikes|motorcycles|lorries|taxis)\b|"
     r"(?:vehicles|cars|trucks|buses|bikes|motorcycles|lorries|taxis)\b)", None, 0.5, 1.0),
    # additions: "mainly" -> 0.5-1.0 like "most"; its synonyms with it
    (r"\b(?:mainly|mostly|predominantly|chiefly|primarily)\b", None, 0.5, 1.0),
    (r"\b(?:about |around |roughly )?half (?:of|the)\b", 0.5, None, None),
    (r"^\W*none\b|\bnone of (?:the|them|these)\b", 0.0, None, None),
    (r"^\W*all\b(?! (?:the )?(?:way|day|night|year|along|over))|\ball (?:of )?(?:the|these|those) \w+", 1.0, None, None),
)
QUANTIFIER_RES = tuple((re.compile(p, re.IGNORECASE), v, lo, hi) for p, v, lo, hi in QUANTIFIER_SHARES)


def is_class(name: str) -> bool:
    return name in CLASSES or name == ANY
