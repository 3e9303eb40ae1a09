"""Numbers in digits and words, vague quantities, hedges, ranges and money amounts.

"27", "twenty-seven", "a dozen", "55,000", "2.5 million"; "dozens" (24-99), "several hundred"
(200-900), "scores" (>= 40) as ``CONVENTIONS.md`` of the development corpus maps them; hedges
before ("at least", "about", "up to", "more than", "nearly") and after ("or so", "or more", "or
less"); ranges ("55,000-65,000", "between 4 and 5", "from dozens to hundreds", "at least 100 to
several hundred"). Money: "$900-$1000", "U.S. $5,000", "RMB 45,000", "70,000 to 72,000 Chinese
yuan ($9,700 to $10,000)" - a converted amount in brackets is not a second price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}
SCALES = {"dozen": 12, "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
PHRASES = {
    "a dozen": 12, "one dozen": 12, "half a dozen": 6, "a couple of": 2, "a couple": 2, "a pair of": 2,
    "a hundred": 100, "a thousand": 1000, "a single": 1, "another": 1, "dozen": 12,
}
# (low, high): high None means open-ended (a lower bound).
VAGUE = {
    "dozens": (24, 99), "dozens of": (24, 99), "several dozen": (36, 108), "tens of": (20, 99),
    "several hundred": (200, 900), "hundreds": (200, 900), "hundreds of": (200, 900),
    "several thousand": (2000, 9000), "thousands": (2000, 9000), "thousands of": (2000, 9000),
    "tens of thousands": (20_000, 99_000), "several": (3, 9), "scores": (40, None), "scores of": (40, None),
    "multiple": (2, None), "a handful of": (3, 9), "a handful": (3, 9),
}

_WORD_NUM = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s\-](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen)(?:\s+(?:hundred|thousand|million|dozen))?(?![\-\w])"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
NUMBER = (
    rf"(?:(?:{_DIGITS})(?:\s*(?:million|thousand|billion|k)\b)?|half a dozen|a dozen|one dozen|a couple of|"
    rf"a couple|a pair of|a hundred|a thousand|a single|another|{_WORD_NUM})"
)
VAGUE_RE_PART = (
    r"(?:tens of thousands|several hundred|several thousand|several dozen|hundreds(?: of)?|thousands(?: of)?|"
    r"dozens(?: of)?|scores(?: of)?|tens of|a handful(?: of)?|several|multiple)"
)
VERB_HEDGE = r"exceed(?:s|ed|ing)?|surpass(?:es|ed|ing)?|topp(?:ed|ing)"
"""Verbs that bound a number from below ("exceeds 10,000"): hedges of the quantity, and its subject's verb."""
HEDGE_BEFORE = {
    "lower": r"at least|no fewer than|no less than|not less than|more than|over|upwards of|in excess of|"
             r"a minimum of|a good|well over|above|" + VERB_HEDGE,
    "upper": r"up to|as many as|at most|no more than|not more than|fewer than|less than|under|a maximum of|below",
    "approx": r"about|around|approximately|roughly|some|an estimated|estimated|nearly|almost|close to|"
              r"approx\.|circa|perhaps|maybe|reportedly",
    "exact": r"only|just|a mere|exactly|precisely|a total of|a full|all of",
}
_HEDGE = "|".join(f"(?P<{k}>{v})" for k, v in HEDGE_BEFORE.items())
_QUANTITY_RE = re.compile(
    rf"(?P<pre>\b(?:{_HEDGE})\s+)?(?P<between>\b(?:between|from|anywhere from|anywhere between)\s+)?"
    rf"(?P<a>\b{VAGUE_RE_PART}\b|\b{NUMBER})"
    # a spaced em dash is an aside ("HYESAN, May 14 — About 30 trucks"), an unspaced one a range
    rf"(?:(?:\s*(?P<sep>to|-|–|and|or)\s*|(?P<dash>—))(?:(?:at least|about|around|up to|nearly)\s+)?"
    rf"(?P<b>\b{VAGUE_RE_PART}\b|{NUMBER}(?!\s*(?:years?|days?|months?|weeks?|times)\b)))?"
    rf"(?P<post>\s+or so\b|\s+or more\b|\s+or less\b|\s+or fewer\b|\s*\+|\s+plus\b)?",
    re.IGNORECASE,
)


def parse_number(text: str) -> float | None:
    """The number a digit or word expression names ("55,000", "twenty-seven", "a dozen", "2.5 million")."""
    t = " ".join(text.lower().replace("-", " ").split())
    if not t:
        return None
    if t in PHRASES:
        return float(PHRASES[t])
    m = re.fullmatch(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(million|thousand|billion|k|mil|mn|m|bn)?", t)
    if m:
        value = float(m.group(1).replace(",", ""))
        # "2.62mil won", "$5m", "1.2bn won": newspaper abbreviations of the scales
        scale = {"million": 1e6, "mil": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "billion": 1e9, "bn": 1e9,
                 "k": 1e3}.get(m.group(2) or "", 1.0)
        return value * scale
    total, current = 0.0, 0.0
    seen = False
    for word in t.split():
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word in SCALES:
            current = max(current, 1.0) * SCALES[word]
            if SCALES[word] >= 1000:
                total += current
                current = 0.0
        elif word in ("and", "a"):
            continue
        else:
            return None
        seen = True
    return total + current if seen else None


def _vague(text: str) -> tuple[float, float | None] | None:
    t = " ".join(text.lower().split())
    if t in VAGUE:
        lo, hi = VAGUE[t]
        return float(lo), (float(hi) if hi is not None else None)
    return None


@dataclass
class Quantity:
    """A quantity expression; ``kind`` is count, range, lower_bound, upper_bound or approximate."""

    start: int
    end: int
    kind: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    text: str = ""
    vague: bool = False
    word_one: bool = False  # "one"/"a single"/"another": a count of one, weak evidence

    def negated(self) -> Quantity:
        """"unusual to have more than a dozen": a lower bound under negation is an upper bound."""
        if self.kind == "lower_bound":
            return Quantity(self.start, self.end, "upper_bound", None, None, self.low, self.text, self.vague)
        return self


def _side(text: str) -> tuple[float | None, float | None, float | None, bool]:
    """(value, low, high, vague) for one side of a quantity."""
    v = _vague(text)
    if v is not None:
        return None, v[0], v[1], True
    n = parse_number(text)
    return n, None, None, False


# "a bus or two" (conventions: range 1-2): the quantity is the article, so that the vehicle word
# follows it as in "two buses"; "or two" is part of it and no second quantity.
_A_OR_TWO_RE = re.compile(r"\b(?:a|an|one)\s+(?!(?:dozen|hundred|thousand|few|couple|day|week|month|year)\b)(?=(?:[\w\-]+\s+){1,2}or\s+two\b)", re.IGNORECASE)
_OR_TWO_RE = re.compile(r"\bor\s+two\b", re.IGNORECASE)
# "only five can be smuggled per week": "only" before a capacity is an upper bound
_CAPACITY_AFTER_RE = re.compile(r"^\s+(?:[\w\-]+\s+){0,2}?(?:can|could)\b", re.IGNORECASE)


def _a_or_two(text: str) -> tuple[list[Quantity], list[tuple[int, int]]]:
    """The "a bus or two" ranges, and the spans of their "or two" that are no quantity of their own."""
    out: list[Quantity] = []
    skip: list[tuple[int, int]] = []
    for m in _A_OR_TWO_RE.finditer(text):
        two = _OR_TWO_RE.search(text, m.end())
        if two is None:
            continue
        out.append(Quantity(m.start(), m.end() - 1, "range", None, 1.0, 2.0, text[m.start():m.end() - 1], vague=True))
        skip.append((two.start(), two.end()))
    return out, skip


def _fold_range(m: re.Match, q: Quantity, a_val: float | None, a_lo: float | None, a_vague: bool) -> bool:
    """Make ``q`` the range its two sides give; False when the second side is no end of a range."""
    b_val, b_lo, b_hi, b_vague = _side(m.group("b"))
    sep = m.group("sep")
    if sep == "or" and not (a_val is not None and b_val is not None):
        return False
    if sep == "and" and not m.group("between"):
        return False  # "10 used cars and 3 trucks" is two quantities, not a range
    lo = a_val if a_val is not None else a_lo
    hi = b_val if b_val is not None else (b_hi if b_hi is not None else b_lo)
    if lo is not None and hi is not None and hi >= lo:
        q.kind, q.low, q.high, q.vague = "range", lo, hi, a_vague or b_vague
        return True
    return False


def _trim_to_first_side(text: str, m: re.Match, q: Quantity) -> str:
    """Drop what the regex took for the second side; the hedge after the first side ("or so"), if any."""
    q.end = m.start("a") + len(m.group("a"))
    q.text = text[q.start:q.end]
    tail = text[q.end:q.end + 10].lower()
    for p in ("or so", "or more", "or less", "or fewer", "+", "plus"):
        if tail.lstrip().startswith(p) and (p == "+" or tail.startswith(" ")):
            q.end = text.lower().index(p, q.end) + len(p)
            q.text = text[q.start:q.end]
            return p
    return ""


def _set_vague(q: Quantity, a_lo: float | None, a_hi: float | None, hedge: str | None) -> None:
    q.vague = True
    if a_hi is None:
        q.kind, q.low = "lower_bound", a_lo
    else:
        q.kind, q.low, q.high = "range", a_lo, a_hi
    if hedge == "lower" and a_hi is not None:
        q.kind, q.low, q.high = "lower_bound", a_lo, None


def _hedged_kind(text: str, m: re.Match, q: Quantity, hedge: str | None, post: str) -> str:
    if hedge == "lower" or post in ("or more", "+", "plus"):
        return "lower_bound"
    if hedge == "upper" or post in ("or less", "or fewer"):
        return "upper_bound"
    if hedge == "approx" or post == "or so":
        return "approximate"
    if hedge == "exact" and m.group("pre").strip().lower() == "only" and _CAPACITY_AFTER_RE.match(text[q.end:]):
        return "upper_bound"
    return "count"


def _quantity_of(text: str, m: re.Match) -> Quantity | None:
    """The quantity one match of ``_QUANTITY_RE`` names. "one" is also a pronoun ("one thing", "the
    second one"): weak, the caller decides."""
    a_text = m.group("a")
    a_val, a_lo, a_hi, a_vague = _side(a_text)
    if a_val is None and a_lo is None:
        return None
    hedge = next((k for k in HEDGE_BEFORE if m.group(k)), None) if m.group("pre") else None
    q = Quantity(m.start(), m.end(), "count", text=m.group(0))
    if m.group("b") and _fold_range(m, q, a_val, a_lo, a_vague):
        return q
    post = _trim_to_first_side(text, m, q)
    if a_vague:
        _set_vague(q, a_lo, a_hi, hedge)
        return q
    if a_text.lower() in ("another", "a single"):
        q.word_one = True
    kind = _hedged_kind(text, m, q, hedge, post)
    if kind == "lower_bound":
        q.kind, q.low = kind, a_val
    elif kind == "upper_bound":
        q.kind, q.high = kind, a_val
    else:
        q.kind, q.value = kind, a_val
    return q


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity expression in ``text``, with hedges and ranges folded in."""
    out, skip = _a_or_two(text)
    for m in _QUANTITY_RE.finditer(text):
        if any(m.start() < e and s < m.end() for s, e in skip):
            continue
        q = _quantity_of(text, m)
        if q is not None:
            out.append(q)
    out.sort(key=lambda q: q.start)
    return out


# --- money ------------------------------------------------------------------------------------------

CURRENCY_WORDS: tuple[tuple[str, str], ...] = (
    (r"north korean won|kpw|n\. ?korean won", "KPW"),
    (r"south korean won|krw", "KRW"),
    (r"chinese yuan|yuan|rmb|cny|renminbi|yuan renminbi", "CNY"),
    (r"us dollars|u\.s\. dollars|american dollars|dollars|usd|us\$|u\.s\. ?\$", "USD"),
    (r"euros?|eur", "EUR"),
    (r"japanese yen|yen|jpy", "JPY"),
    (r"russian rubles?|russian roubles?|rubles?|roubles?|rub", "RUB"),
    (r"won", "KPW"),  # in these reports "won" alone is North Korean won
)
_CUR_AFTER = "|".join(p for p, _ in CURRENCY_WORDS)
_AMOUNT_RE = re.compile(
    rf"(?P<prefix>(?:U\.S\.\s?\$|US\$|\$|¥|₩|€|₽|RMB\s?|CNY\s?|USD\s?|KPW\s?|KRW\s?|JPY\s?|RUB\s?|EUR\s?))(?P<n1>{_DIGITS})(?:\s*(?P<scale1>million|thousand|k|mil|mn|m|bn)\b)?"
    rf"|(?P<n2>{_DIGITS})(?:\s*(?P<scale2>million|thousand|mil|mn|m|bn)\b)?\s*(?P<suffix>(?:{_CUR_AFTER}))\b",
    re.IGNORECASE,
)
_PREFIX_CURRENCY = {"$": "USD", "u.s.$": "USD", "us$": "USD", "¥": "CNY", "₩": "KPW", "€": "EUR", "₽": "RUB",
                    "jpy": "JPY", "rub": "RUB", "eur": "EUR",
                    "rmb": "CNY", "cny": "CNY", "usd": "USD", "kpw": "KPW", "krw": "KRW"}


@dataclass
class Amount:
    start: int
    end: int
    currency: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    text: str = ""
    change_from: bool = False  # "dropped from X to Y": X is a former price


def _currency_of(prefix: str | None, suffix: str | None) -> str:
    if prefix:
        key = prefix.replace(" ", "").lower()
        return _PREFIX_CURRENCY.get(key, "USD")
    s = (suffix or "").lower()
    for pattern, code in CURRENCY_WORDS:
        if re.fullmatch(pattern, s):
            return code
    return "USD"


def _bracket_depth(text: str) -> list[int]:
    depth, out = 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        out.append(depth)
        if ch in ")]" and depth:
            depth -= 1
    return out


_CHANGE_VERB_RE = re.compile(
    r"\b(?:dropp\w*|drop|fell|fallen|falling|rose|risen|rising|jump\w*|climb\w*|increas\w*|decreas\w*|"
    r"went|gone|soar\w*|plung\w*|slash\w*|cut|lower\w*|rais\w*|doubl\w*)\s+(?:\w+\s+){0,2}from\s*$",
    re.IGNORECASE,
)
_HEDGE_UPPER_AMOUNT = re.compile(r"\b(?:up to|at most|no more than|not more than|less than|under|a maximum of)\s*$", re.I)
_HEDGE_LOWER_AMOUNT = re.compile(r"\b(?:at least|more than|over|upwards of|a minimum of)\s*$", re.I)
_AFTER_UPPER = re.compile(r"^\s*(?:\([^)]*\)\s*|\[[^\]]*\]\s*)?(?:or less|or lower|at most|at best|if you(?:'|’)re lucky|max(?:imum)?)\b", re.I)
_AFTER_LOWER = re.compile(r"^\s*(?:\([^)]*\)\s*|\[[^\]]*\]\s*)?(?:or more|or higher|at least|and up|plus)\b", re.I)


def find_amounts(text: str) -> list[Amount]:
    """Money amounts outside brackets, with ranges ("X to Y yuan", "between $A and $B") merged."""
    depth = _bracket_depth(text)
    raw: list[Amount] = []
    for m in _AMOUNT_RE.finditer(text):
        if depth[m.start()] > 0:
            continue  # "($9,700 to $10,000)": a conversion of the amount before it
        n = m.group("n1") or m.group("n2")
        scale = (m.group("scale1") or m.group("scale2") or "").lower()
        value = parse_number(n + (" " + scale if scale else ""))
        if value is None:
            continue
        raw.append(Amount(m.start(), m.end(), _currency_of(m.group("prefix"), m.group("suffix")), value=value,
                          text=m.group(0)))
    # a bare number right before a range separator and an amount: "55,000–65,000 Chinese yuan"
    merged: list[Amount] = []
    for a in raw:
        before = text[:a.start]
        lead = re.search(rf"(?:between\s+|from\s+)?(?P<n>{_DIGITS})(?:\s*(?P<s>million|thousand))?\s*(?P<sep>to|-|–|—|and)\s*(?:\$|U\.S\.\s?\$)?$",
                         before, re.IGNORECASE)
        if lead and depth[lead.start()] == 0 and not _CHANGE_VERB_RE.search(before[:lead.start()] + "from "):
            low = parse_number(lead.group("n") + (" " + lead.group("s") if lead.group("s") else ""))
            if low is not None and a.value is not None and low <= a.value and not (merged and merged[-1].end > lead.start()):
                merged.append(Amount(lead.start(), a.end, a.currency, low=low, high=a.value, text=text[lead.start():a.end]))
                continue
        merged.append(a)
    # two amounts joined by to/and/-: "between 100,000 yuan ($15,600) and 200,000 yuan", "$900-$1000"
    out: list[Amount] = []
    for a in merged:
        if out and out[-1].value is not None and a.value is not None and out[-1].currency == a.currency:
            prev = out[-1]
            gap = text[prev.end:a.start]
            gap_clean = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", gap).strip().lower()
            if gap_clean in ("to", "-", "–", "—", "and") and not (
                    gap_clean == "and" and not re.search(r"between\s*$", text[:prev.start], re.I)):
                before = text[:prev.start]
                if _CHANGE_VERB_RE.search(before):
                    prev.change_from = True
                    out.append(a)
                    continue
                if prev.value <= a.value:
                    out[-1] = Amount(prev.start, a.end, a.currency, low=prev.value, high=a.value,
                                     text=text[prev.start:a.end])
                    continue
        if _CHANGE_VERB_RE.search(text[:a.start]):
            a.change_from = True
        out.append(a)
    for a in out:
        if a.value is not None:
            if _HEDGE_UPPER_AMOUNT.search(text[:a.start]) or _AFTER_UPPER.search(text[a.end:]):
                a.high, a.value = a.value, None
            elif _HEDGE_LOWER_AMOUNT.search(text[:a.start]) or _AFTER_LOWER.search(text[a.end:]):
                a.low, a.value = a.value, None
    return out


PERCENT_RE = re.compile(
    r"(?P<a>\d+(?:\.\d+)?)\s*(?:%|percent|per cent)?\s*(?:to|-|–|—)\s*(?P<b>\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)"
    r"|(?P<c>\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)",
    re.IGNORECASE,
)


@dataclass
class Share:
    start: int
    end: int
    value: float | None = None
    low: float | None = None
    high: float | None = None


# "nine in ten taxis", "three out of every four cars": a share said as a ratio of small numbers
_SMALL = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|fifty|a hundred|hundred)"
RATIO_RE = re.compile(rf"(?<![\d,.\-])\b(?P<n>{_SMALL})\s+(?:in|out of)\s+(?:every\s+)?(?P<m>{_SMALL})\b(?![\-%,.]\d|\s*(?:%|percent|per cent)|\s+(?:days?|weeks?|months?|years?|hours?|minutes?|km|kilomet\w+|miles?|times)\b)",
                      re.IGNORECASE)


# "a fifth of the cars", "two-thirds of the buses": a fraction in words
_FRACTION_NUM = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4}
_FRACTION_DEN = {"third": 3, "quarter": 4, "fifth": 5, "sixth": 6, "tenth": 10}
FRACTION_RE = re.compile(r"\b(?P<n>a|one|two|three|four)[\s\-](?P<d>third|quarter|fifth|sixth|tenth)s?(?P<of>\s+of\b)?", re.IGNORECASE)
# "fell by a third": a fraction without "of" only as the size of a change
_BY_BEFORE_RE = re.compile(r"\bby\s+(?:about\s+|around\s+|roughly\s+|nearly\s+|almost\s+|some\s+|more than\s+)?$", re.IGNORECASE)


def _ratios(text: str) -> list[Share]:
    out = []
    for m in FRACTION_RE.finditer(text):
        n, d = _FRACTION_NUM[m.group("n").lower()], _FRACTION_DEN[m.group("d").lower()]
        if n < d and (m.group("of") or _BY_BEFORE_RE.search(text[:m.start()])):
            out.append(Share(m.start(), m.start("of") if m.group("of") else m.end(), value=n / d))
    for m in RATIO_RE.finditer(text):
        n = parse_number(m.group("n").lower().replace("a hundred", "hundred").replace("hundred", "100"))
        d = parse_number(m.group("m").lower().replace("a hundred", "hundred").replace("hundred", "100"))
        if n is not None and d and 0 < n < d <= 100:
            out.append(Share(m.start(), m.end(), value=n / d))
    return out


def find_percentages(text: str) -> list[Share]:
    out = _ratios(text)
    for m in PERCENT_RE.finditer(text):
        if m.group("c"):
            out.append(Share(m.start(), m.end(), value=float(m.group("c")) / 100))
        else:
            lo, hi = float(m.group("a")) / 100, float(m.group("b")) / 100
            if lo <= hi:
                out.append(Share(m.start(), m.end(), low=lo, high=hi))
    return out
