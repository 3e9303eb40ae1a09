"""Which place a claim is about, from the gazetteer and the article around the claim.

Rules, in order:
1. A place the claim's clause (then sentence) names: the first city or county the gazetteer finds,
   skipping "outside X" ("even outside the capital city of Pyongyang"); "the capital" / "North
   Korea's capital" is Pyongyang.
2. A province named alone ("a source in Ryanggang province") is the city the article ties to it
   ("Hyesan, a border city in Ryanggang province"; or the only city of that province the article
   names anywhere) when it does, else the province itself ("Ryanggang Province"). "the province" refers back to the last province named.
3. A clause about the whole country ("into North Korea", "nationwide", "from China", "other
   provinces") and naming no city has no place.
4. Infrastructure: a named crossing (bridge, customs post) with no city in the clause is the side the
   observation was made from (conventions: the Chinese side when the source or camera is Chinese,
   the North Korean side for satellite imagery of the crossing or "on the North Korean side").
   A capital used for its government ("relations between Pyongyang and Beijing", "sanctions on
   Pyongyang") is no place.
5. Otherwise the place carries over: the article's topic (the place in its title, or a place that
   holds most of its mentions), else the place of the latest sentence that named one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from borderwatch.geo.gazetteer import Gazetteer

CAPITAL_RE = re.compile(
    r"\b(?:(?:North Korea|the North|the DPRK|Pyongyang)[’']s capital|the capital(?: city)?(?! city of)|"
    r"the North Korean capital)\b",
    re.IGNORECASE,
)
# The clause is about the whole country (origins such as "from China" are not: a car from China
# can stand in Hyesan).
NATIONAL_RE = re.compile(
    r"\b(?:(?:in|into|across|throughout|around|inside) North Korea(?![n’'])|the North(?![’'\w])|the DPRK|the country|"
    r"nationwide|other (?:provinces|regions|parts of the country)|the provinces|Chinese websites|"
    r"(?:the )?rural (?:areas|communities|regions)|North Korea[’']s rural)\b",
    re.IGNORECASE,
)
# Stronger: "not only in Pyongyang but nationwide" is about the country even though it names a city.
STRONG_NATIONAL_RE = re.compile(
    r"\b(?:nationwide|across the country|throughout the country|all over the country|other provinces)\b", re.IGNORECASE
)
# Named border crossings: (pattern, Chinese side, North Korean side).
CROSSINGS: tuple[tuple[str, str, str], ...] = (
    (r"(?:Sino-Korean|China-North Korea|China-DPRK|Sino-North Korean)\s+Friendship\s+Bridge|\bFriendship\s+Bridge", "Dandong", "Sinuiju"),
    (r"New\s+Yalu\s+(?:River\s+)?Bridge", "Dandong", "Sinuiju"),
    (r"Quanhe", "Hunchun", "Rason"),
    # Wonjong is the North Korean end of the Quanhe bridge, inside Rason: the side the name is from
    (r"Wonjong", "Rason", "Rason"),
    (r"Changbai\s+(?:port|customs|bridge)", "Changbai", "Hyesan"),
    (r"Tumen\s+(?:port|customs|bridge)|Namyang\s+(?:bridge|customs)", "Tumen", "Onsong"),
    (r"Ji['’]an\s+(?:port|customs|bridge)|Manpo\s+(?:bridge|customs)", "Ji'an", "Manpo"),
)
CROSSING_RES = tuple((re.compile(p, re.IGNORECASE), cn, kp) for p, cn, kp in CROSSINGS)
NK_SIDE_RE = re.compile(r"\b(?:on|from) the North Korean side\b|\bsatellite\b|\bimagery\b", re.IGNORECASE)
# a photo or image of the crossing is read like imagery (the North Korean side), unless the sentence says
# the camera or source was Chinese
PICTURE_RE = re.compile(r"\b(?:images?|photo(?:graph)?s?|pictures?|footage|videos?)\b", re.IGNORECASE)
CN_SIDE_RE = re.compile(r"\b(?:on|from) the Chinese side\b|\bChinese\s+(?:source|camera|photographer|tourist|trader|"
                        r"media|state media|broadcaster|journalist|resident)s?\b", re.IGNORECASE)
# A capital standing for its government.
METONYM_AFTER_RE = re.compile(r"^(?:[’']s\s+(?:regime|government|leadership|authorities|ally|nuclear))|"
                              # the government acting: "since Pyongyang angered the world with its nuclear test"
                              r"^\s+(?:angered|announced|conducted|tested|launched|fired|warned|threatened|vowed|condemned|"
                              r"denied|refused|insisted|demanded|rejected|accused|agreed|pledged)\b|"
                              r"^\s*(?:and|-|–)\s*(?:Beijing|Seoul|Washington|Moscow|Tokyo)\b", re.IGNORECASE)
METONYM_BEFORE_RE = re.compile(r"(?:\b(?:Beijing|Seoul|Washington|Moscow|Tokyo)\s*(?:and|-|–)\s*|"
                               r"\bsanctions\s+(?:on|against)\s+|"
                               # the government, not the city: "sanctions punishing Pyongyang", "pressure on Pyongyang"
                               r"\b(?:punish(?:es|ed|ing)?|pressur(?:e|es|ed|ing)|pressure on|against|isolat(?:e|es|ed|ing)|"
                               r"condemn(?:s|ed|ing)?|urg(?:e|es|ed|ing)|warn(?:s|ed|ing)?)\s+)$", re.IGNORECASE)
POSSESSIVE_RE = re.compile(r"(?<=\w)['’]s\b")
# "lorries waiting at the Quanhe crossing, bound for Rason": where they go is not where they were seen
DESTINATION_BEFORE_RE = re.compile(r"\b(?:bound for|destined for|head(?:ed|ing|s)? (?:for|to|toward|towards)|"
                                   r"en route to|on (?:its|their|the) way to)\s+(?:the\s+)?$", re.IGNORECASE)
# "outside the Hyesan railway station": a facility of the place, so the place itself (not "outside Pyongyang")
FACILITY_AFTER_RE = re.compile(r"\s+(?:(?-i:[A-Z])[\w\-]+\s+)?(?:railway\s+|train\s+|bus\s+)?(?:station|market|customs|airport|port|harbou?r|hotel|"
                               r"stadium|hospital|depot|terminal|bridge|factory|plant|checkpoint|office|square)\b", re.IGNORECASE)
THE_PROVINCE_RE = re.compile(r"\b(?:the|that|this) province\b", re.IGNORECASE)
OUTSIDE_RE = re.compile(r"\b(?:outside|beyond|apart from|unlike)\s+(?:of\s+)?(?:the\s+)?(?:capital\s+(?:city\s+)?of\s+)?$", re.IGNORECASE)


@dataclass
class PlaceHit:
    name: str  # canonical city name, or "<Province> Province"
    start: int
    end: int
    city: bool


@dataclass
class PlaceResolver:
    """Place state of one article: province links, topic, and the place carried from sentence to sentence."""

    gazetteer: Gazetteer
    sentences: list[str]
    title: str | None = None
    links: dict[str, str] = field(default_factory=dict)  # province -> city the article ties to it
    topic: str | None = None
    last_province: str | None = None
    # gazetteer scans are the slow part of extraction: one per distinct text
    _cities: dict[str, list] = field(default_factory=dict, repr=False)
    _provinces: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def find_all_in(self, text: str) -> list:
        if text not in self._cities:
            # "on Pyongyang's roads": the possessive hides the name from the gazetteer (same offsets)
            self._cities[text] = self.gazetteer.find_all_in(POSSESSIVE_RE.sub("  ", text))
        return self._cities[text]

    def provinces_of(self, text: str) -> list[str]:
        if text not in self._provinces:
            self._provinces[text] = self.gazetteer.provinces_of(text)
        return self._provinces[text]

    def __post_init__(self) -> None:
        counts: Counter[str] = Counter()
        in_province: dict[str, set[str]] = {}
        for sentence in self.sentences:
            cities = [p for p, _, _ in self.find_all_in(sentence)]
            provinces = self.provinces_of(sentence)
            for prov in provinces:
                for city in cities:
                    if city.province == prov and prov not in self.links:
                        self.links[prov] = city.name
            for city in cities:
                counts[city.name] += 1
                in_province.setdefault(city.province, set()).add(city.name)
        for prov, names in in_province.items():
            # "the city of Hyesan" in one sentence, "a source in Yanggang Province" in another: the
            # article ties the province to its one city it names, when it names only one there
            if prov not in self.links and len(names) == 1:
                self.links[prov] = next(iter(names))
        if self.title:
            place = self.gazetteer.find(self.title)
            if place is not None:
                self.topic = place.name
        if self.topic is None and counts:
            name, n = counts.most_common(1)[0]
            if n >= 3 and n / sum(counts.values()) > 0.5:
                self.topic = name

    def _province_name(self, province: str) -> str:
        if province in self.links:
            return self.links[province]
        if any(p.name == province for p in self.gazetteer.places):
            return province  # a province that is also a city (Pyongyang, Rason)
        return f"{province} Province"

    def hits(self, text: str, offset: int = 0) -> list[PlaceHit]:
        """Places named in ``text`` (offsets shifted by ``offset``), in order."""
        out: list[PlaceHit] = []
        metonyms: list[tuple[int, int]] = []
        for place, s, e in self.find_all_in(text):
            if METONYM_BEFORE_RE.search(text[max(0, s - 30):s]) or METONYM_AFTER_RE.search(text[e:e + 30]):
                metonyms.append((s, e))
                continue
            if OUTSIDE_RE.search(text[:s]) and not FACILITY_AFTER_RE.match(text, e):
                continue
            out.append(PlaceHit(place.name, offset + s, offset + e, True))
        for m in CAPITAL_RE.finditer(text):
            if "Pyongyang" in self.gazetteer and not OUTSIDE_RE.search(text[:m.start()]):
                out.append(PlaceHit(self.gazetteer.get("Pyongyang").name, offset + m.start(), offset + m.end(), True))
        city_spans = [(h.start, h.end) for h in out]
        for prov in self.provinces_of(text):
            for alias_match in self._province_spans(text, prov):
                s, e = alias_match
                if any(ms < e and s < me for ms, me in metonyms):
                    continue  # "sanctions punishing Pyongyang": the government, as a province too
                if any(cs < offset + e and offset + s < ce for cs, ce in city_spans) or (
                        OUTSIDE_RE.search(text[:s]) and not FACILITY_AFTER_RE.match(text, e)):
                    continue
                name = self._province_name(prov)
                out.append(PlaceHit(name, offset + s, offset + e, name != f"{prov} Province"))
                break
        for m in THE_PROVINCE_RE.finditer(text):
            if self.last_province:
                name = self._province_name(self.last_province)
                out.append(PlaceHit(name, offset + m.start(), offset + m.end(), name != f"{self.last_province} Province"))
        out.sort(key=lambda h: h.start)
        return out

    def crossing(self, text: str, context: str) -> str | None:
        """The side of a named crossing in ``text`` the observation was made from (``context``: the
        sentence, which says whose source or camera it was)."""
        for rx, cn, kp in CROSSING_RES:
            if rx.search(text):
                nk = NK_SIDE_RE.search(context) or (PICTURE_RE.search(context) and not CN_SIDE_RE.search(context))
                name = kp if nk else cn
                return self.gazetteer.get(name).name if name in self.gazetteer else name
        return None

    def _province_spans(self, text: str, province: str) -> list[tuple[int, int]]:
        """Where a province is named in ``text`` (approximate: the first alias occurrence)."""
        spans = []
        for p in self.gazetteer.provinces:
            if p.name != province:
                continue
            for alias in sorted((p.name, *p.aliases), key=len, reverse=True):
                i = text.lower().find(alias.lower())
                if i >= 0:
                    spans.append((i, i + len(alias)))
                    break
        return spans or [(0, 0)]

    def note_provinces(self, text: str) -> None:
        provinces = self.provinces_of(text)
        if provinces:
            self.last_province = provinces[-1]

    @staticmethod
    def national(text: str) -> bool:
        return bool(NATIONAL_RE.search(text))

    @staticmethod
    def strongly_national(text: str) -> bool:
        return bool(STRONG_NATIONAL_RE.search(text))


def first_city(hits: list[PlaceHit]) -> str | None:
    for h in hits:
        if h.city:
            return h.name
    return hits[0].name if hits else None
