"""Dates and periods in report language, resolved against a reference date.

A report says "last night", "mid-September", "since this August", "from around 2020 to 2023", "the
early 2000s", "last December" (in a January article: the previous year). Each expression is found
with its offsets and resolved against a ``Reference``: the publication date (known to the day, or
only to the month or year) or the date a source spoke ("reported in early September: ..."). A
month or day without a year takes its year from the reference, or from a weaker ``year_hint``
(a page's date widget) when there is no reference; relative expressions need a reference and stay
unresolved (None) without one.

Month parts follow the corpus conventions: early = days 1-10, mid = 11-20, late = 21-end.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 3, "a few": 3, "few": 3}

MONTH_PATTERN = (r"(?<![A-Za-z])(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)(?![A-Za-z])")
DAY_PATTERN = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
YEAR_PATTERN = r"(?P<year>(?:19|20)\d{2})"
_PART = r"(?P<part>early|mid|middle|late|the start of|the beginning of|the end of|the middle of|the first half of|the second half of|the start of|end of|beginning of|start of)"


@dataclass(frozen=True)
class Period:
    start: date | None
    end: date | None

    @property
    def empty(self) -> bool:
        return self.start is None and self.end is None

    def iso(self) -> tuple[str | None, str | None]:
        return (self.start.isoformat() if self.start else None, self.end.isoformat() if self.end else None)


@dataclass(frozen=True)
class Reference:
    """The date statements are resolved against: known to a day (start == end), a month or a year."""

    start: date
    end: date
    source: str = "publication"

    @classmethod
    def day(cls, d: date, source: str = "publication") -> Reference:
        return cls(d, d, source)

    @classmethod
    def month(cls, year: int, month: int, source: str = "publication") -> Reference:
        return cls(date(year, month, 1), _month_end(year, month), source)

    @classmethod
    def of(cls, period: Period, source: str) -> Reference | None:
        if period.start and period.end:
            return cls(period.start, period.end, source)
        if period.end:
            return cls(period.end, period.end, source)
        return None

    @property
    def precise(self) -> bool:
        return self.start == self.end


@dataclass(frozen=True)
class Context:
    ref: Reference | None
    year_hint: date | None = None  # a weak date (page widget, URL month) that only supplies years
    previous: Period | None = None  # the last period the text named, for "since then"

    @property
    def anchor(self) -> date | None:
        return self.ref.end if self.ref else self.year_hint


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    y = d.year + m // 12
    m = m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _month_part(year: int, month: int, part: str | None) -> Period:
    last = calendar.monthrange(year, month)[1]
    p = (part or "").lower().replace("the ", "").replace(" of", "").strip()
    if p in ("early", "start", "beginning"):
        return Period(date(year, month, 1), date(year, month, 10))
    if p in ("mid", "middle"):
        return Period(date(year, month, 11), date(year, month, 20))
    if p in ("late", "end"):
        return Period(date(year, month, 21), date(year, month, last))
    if p == "first half":
        return Period(date(year, month, 1), date(year, month, 15))
    if p == "second half":
        return Period(date(year, month, 16), date(year, month, last))
    return Period(date(year, month, 1), date(year, month, last))


def _year_part(year: int, part: str | None) -> Period:
    p = (part or "").lower().replace("the ", "").replace(" of", "").strip()
    if p in ("early",):
        return Period(date(year, 1, 1), date(year, 4, 30))
    if p in ("start", "beginning"):
        return Period(date(year, 1, 1), date(year, 1, 31))
    if p in ("mid", "middle"):
        return Period(date(year, 5, 1), date(year, 8, 31))
    if p in ("late",):
        return Period(date(year, 9, 1), date(year, 12, 31))
    if p == "end":
        return Period(date(year, 12, 1), date(year, 12, 31))
    if p == "first half":
        return Period(date(year, 1, 1), date(year, 6, 30))
    if p == "second half":
        return Period(date(year, 7, 1), date(year, 12, 31))
    return Period(date(year, 1, 1), date(year, 12, 31))


def _infer_year(month: int, ctx: Context, which: str = "latest") -> int | None:
    """The year of a month named without one: the latest such month not after the anchor."""
    anchor = ctx.anchor
    if anchor is None:
        return None
    if which == "next":
        return anchor.year if month > anchor.month else anchor.year + 1
    if which == "last":
        return anchor.year if month < anchor.month else anchor.year - 1
    return anchor.year if month <= anchor.month else anchor.year - 1


def month_number(text: str) -> int:
    return MONTHS[text.lower().rstrip(".")]


# --- atoms: each pattern resolves to a Period given a Context -------------------------------------

Resolver = Callable[[re.Match, Context], "Period | None"]


def _r_iso(m: re.Match, ctx: Context) -> Period | None:
    try:
        d = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None
    return Period(d, d)


def _r_full(m: re.Match, ctx: Context) -> Period | None:
    try:
        d = date(int(m.group("year")), month_number(m.group("month")), int(m.group("day")))
    except ValueError:
        return None
    return Period(d, d)


def _r_month_day_range(m: re.Match, ctx: Context) -> Period | None:
    month = month_number(m.group("month"))
    year = int(m.group("year")) if m.group("year") else _infer_year(month, ctx)
    if year is None:
        return None
    try:
        return Period(date(year, month, int(m.group("day"))), date(year, month, int(m.group("day2"))))
    except ValueError:
        return None


def _r_month_day(m: re.Match, ctx: Context) -> Period | None:
    month = month_number(m.group("month"))
    year = _infer_year(month, ctx)
    if year is None:
        return None
    try:
        d = date(year, month, int(m.group("day")))
    except ValueError:
        return None
    if ctx.anchor and d > ctx.anchor and not m.group(0).lower().startswith("next"):
        d = date(year - 1, month, d.day) if not (month == 2 and d.day == 29) else d
    return Period(d, d)


def _r_month_part(m: re.Match, ctx: Context) -> Period | None:
    month = month_number(m.group("month"))
    which = (m.group("which") or "latest").lower()
    year = int(m.group("year")) if m.group("year") else _infer_year(month, ctx, which)
    if year is None:
        return None
    return _month_part(year, month, m.group("part"))


def _r_month_relative_part(m: re.Match, ctx: Context) -> Period | None:
    """"late last month", "early this month": that part of the month before (or of) publication."""
    if ctx.ref is None:
        return None
    shift = {"last": -1, "this": 0, "next": 1}[m.group("which").lower()]
    first = _add_months(ctx.ref.end.replace(day=1), shift)
    period = _month_part(first.year, first.month, m.group("part"))
    if shift == 0 and period.end and period.end > ctx.ref.end:
        period = Period(period.start, ctx.ref.end)
    return period


def _r_year_relative_part(m: re.Match, ctx: Context) -> Period | None:
    """"the first half of the year", "mid-last year": that part of the publication year (or the one
    before); this year's part ends at publication."""
    if ctx.ref is None:
        return None
    year = ctx.ref.end.year + {"last": -1, "next": 1}.get(m.group("which").lower(), 0)
    period = _year_part(year, m.group("part"))
    if year == ctx.ref.end.year and period.end and period.end > ctx.ref.end:
        period = Period(period.start, ctx.ref.end)
    return period if period.start is None or period.start <= (period.end or period.start) else None


def _r_month_span(m: re.Match, ctx: Context) -> Period | None:
    """"October and November 2025": both months in the year given once."""
    year = int(m.group("year"))
    a, b = month_number(m.group("month")), month_number(m.group("month2"))
    if b < a:
        return Period(date(year - 1, a, 1), _month_end(year, b))
    return Period(date(year, a, 1), _month_end(year, b))


def _r_year_part(m: re.Match, ctx: Context) -> Period | None:
    return _year_part(int(m.group("year")), m.group("part"))


def _r_decade(m: re.Match, ctx: Context) -> Period | None:
    y0 = int(m.group("decade"))
    part = (m.group("part") or "").lower()
    span = {"early": (0, 3), "mid": (4, 6), "late": (7, 9)}.get(part, (0, 9))
    return Period(date(y0 + span[0], 1, 1), date(y0 + span[1], 12, 31))


def _r_season(m: re.Match, ctx: Context) -> Period | None:
    a, b = SEASONS[m.group("season").lower()]
    which = (m.group("which") or "").lower()
    if m.group("year"):
        year = int(m.group("year"))
    elif ctx.anchor is None:
        return None
    else:
        anchor = ctx.anchor
        year = anchor.year if which == "this" or a <= anchor.month else anchor.year - 1
        if which == "last":
            year = anchor.year - 1 if a <= anchor.month else anchor.year - 1
    end_year = year + 1 if b < a else year
    return Period(date(year, a, 1), _month_end(end_year, b))


def _r_relative(m: re.Match, ctx: Context) -> Period | None:
    if ctx.ref is None:
        return None
    rs, re_ = ctx.ref.start, ctx.ref.end
    t = " ".join(m.group(0).lower().split())
    if t in ("last night", "yesterday", "the previous night", "the night before", "overnight"):
        return Period(rs - timedelta(days=1), re_ - timedelta(days=1))
    if t in ("today", "tonight", "this morning", "this afternoon", "this evening"):
        return Period(rs, re_)
    if t in ("over the weekend", "last weekend", "this weekend", "this past weekend", "at the weekend"):
        # the latest Saturday and Sunday before publication (on a Sunday: the day before and that day)
        saturday = re_ - timedelta(days=(re_.weekday() - 5) % 7)
        return Period(saturday, min(saturday + timedelta(days=1), re_))
    if t in ("this week",):
        return Period(re_ - timedelta(days=re_.weekday()), re_)
    if t == "the past week":  # the seven days before, as "past few days" is the three before
        return Period(re_ - timedelta(days=7), re_)
    if t in ("last week", "the previous week"):
        start = rs - timedelta(days=rs.weekday() + 7)
        return Period(start, start + timedelta(days=6))
    if t in ("this month",):
        return Period(re_.replace(day=1), re_)
    if t in ("last month", "the previous month", "the past month"):
        first = _add_months(rs.replace(day=1), -1)
        return Period(first, _month_end(first.year, first.month))
    if t in ("this year",):
        return Period(date(re_.year, 1, 1), re_)
    if t in ("last year", "the previous year", "a year earlier", "a year ago"):
        return Period(date(rs.year - 1, 1, 1), date(rs.year - 1, 12, 31))
    if t in ("next year",):
        return Period(date(re_.year + 1, 1, 1), date(re_.year + 1, 12, 31))
    if t in ("the beginning of the year", "the start of the year", "the beginning of this year", "the start of this year",
             "early this year", "earlier this year"):
        end = date(re_.year, 1, 31) if "earlier" not in t else re_
        return Period(date(re_.year, 1, 1), end)
    if t == "late last year":  # conventions: "late 2024" / "late last year" -> from 1 September
        return Period(date(rs.year - 1, 9, 1), date(rs.year - 1, 12, 31))
    if t == "the end of last year":
        return Period(date(rs.year - 1, 12, 1), date(rs.year - 1, 12, 31))
    if t in ("the start of this month", "the beginning of this month", "the start of the month",
             "the beginning of the month", "early this month"):
        return Period(re_.replace(day=1), min(re_.replace(day=10), re_) if re_.day >= 1 else re_)
    if t in ("recently", "lately", "in recent weeks", "in recent days", "in recent months"):
        days = {"in recent weeks": 28, "in recent days": 7, "in recent months": 90}.get(t, 30)
        return Period(re_ - timedelta(days=days), re_)
    return None


def _r_past_n(m: re.Match, ctx: Context) -> Period | None:
    """"over the past year (or so)", "in the past three months"."""
    if ctx.ref is None:
        return None
    raw = (m.group("n") or "a").lower()
    n = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw, 1)
    unit = m.group("unit").lower().rstrip("s")
    end = ctx.ref.end
    if unit == "year":
        start = _add_months(end, -12 * n)
    elif unit == "month":
        start = _add_months(end, -n)
    elif unit == "week":
        start = end - timedelta(weeks=n)
    elif unit == "fortnight":
        start = end - timedelta(weeks=2 * n)
    else:
        start = end - timedelta(days=n)
    return Period(start, end)


def _r_ago(m: re.Match, ctx: Context) -> Period | None:
    if ctx.ref is None:
        return None
    raw = m.group("n").lower()
    n = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw, 1)
    unit = m.group("unit").lower().rstrip("s")
    rs = ctx.ref.start
    if unit == "year":
        return Period(date(rs.year - n, 1, 1), date(rs.year - n, 12, 31))
    if unit == "month":
        first = _add_months(rs.replace(day=1), -n)
        return Period(first, _month_end(first.year, first.month))
    if unit == "week":
        d = rs - timedelta(weeks=n)
        return Period(d - timedelta(days=3), d + timedelta(days=3))
    d = rs - timedelta(days=n)
    return Period(d, d)


def _r_weekday(m: re.Match, ctx: Context) -> Period | None:
    """"last Wednesday", "on Tuesday": the latest such day before the reference (day references only)."""
    if ctx.ref is None or not ctx.ref.precise:
        return None
    wd = WEEKDAYS[m.group("weekday").lower()]
    back = (ctx.ref.start.weekday() - wd) % 7 or 7
    d = ctx.ref.start - timedelta(days=back)
    return Period(d, d)


def _r_ordinal_day(m: re.Match, ctx: Context) -> Period | None:
    """"on the 29th": that day of the reference month, or of the month before when still to come."""
    if ctx.ref is None or not ctx.ref.precise:
        return None
    day = int(m.group("day"))
    ref = ctx.ref.start
    month_start = ref.replace(day=1) if day <= ref.day else _add_months(ref.replace(day=1), -1)
    try:
        d = month_start.replace(day=day)
    except ValueError:
        return None
    return Period(d, d)


def _r_month_year(m: re.Match, ctx: Context) -> Period | None:
    return _month_part(int(m.group("year")), month_number(m.group("month")), None)


def _r_year(m: re.Match, ctx: Context) -> Period | None:
    y = int(m.group("year"))
    return Period(date(y, 1, 1), date(y, 12, 31))


_ATOMS: tuple[tuple[str, Resolver], ...] = (
    (r"\b(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b", _r_iso),
    (rf"\b{MONTH_PATTERN}\s+{DAY_PATTERN},?\s+{YEAR_PATTERN}\b", _r_full),
    (rf"\b{DAY_PATTERN}\s+{MONTH_PATTERN},?\s+{YEAR_PATTERN}\b", _r_full),
    (rf"\b{MONTH_PATTERN}\s+{DAY_PATTERN}\s*(?:to|-|–|—|through|until)\s*(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+{YEAR_PATTERN})?", _r_month_day_range),
    (rf"{MONTH_PATTERN}\s+(?:and|to|through|-|–)\s+(?P<month2>January|February|March|April|May|June|July|August|September|"
     rf"October|November|December),?\s+{YEAR_PATTERN}\b", _r_month_span),
    (rf"{MONTH_PATTERN}\s+{DAY_PATTERN}\b(?!,?\s*(?:19|20)\d\d)", _r_month_day),
    (rf"\b{DAY_PATTERN}\s+{MONTH_PATTERN}", _r_month_day),
    (rf"(?:\b{_PART}[\s\-]+)?(?:(?P<which>this|last|next)\s+)?{MONTH_PATTERN}(?:,?\s+{YEAR_PATTERN})?(?!\s*(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d))", _r_month_part),
    (r"\b(?:the\s+)?(?:(?P<part>early|mid|late)[\s\-]+)?(?P<decade>(?:19|20)\d0)s\b", _r_decade),
    (rf"\b(?:(?P<which>this|last|next)\s+)?(?P<season>spring|summer|autumn|fall|winter)(?:\s+(?:of\s+)?{YEAR_PATTERN})?\b", _r_season),
    (rf"\b{_PART}[\s\-]+{YEAR_PATTERN}\b", _r_year_part),
    (rf"\b{_PART}[\s\-]+(?P<which>last|this|next)\s+month\b", _r_month_relative_part),
    (r"\b(?P<part>the first half of|the second half of|mid|the middle of)[\s\-]+(?P<which>the|this|last|next)\s+year\b",
     _r_year_relative_part),
    (r"\b(?:over the weekend|(?:this )?past weekend|last weekend|this weekend|at the weekend|last night|yesterday|overnight|the previous night|the night before|today|tonight|this morning|"
     r"this afternoon|this evening|this week|last week|the previous week|the past week|this month|last month|"
     r"the previous month|the past month|this year|last year|the previous year|a year earlier|a year ago|next year|"
     r"the (?:beginning|start) of (?:the|this) year|early this year|earlier this year|the end of last year|"
     r"late last year|the (?:start|beginning) of (?:this|the) month|early this month|recently|lately|"
     r"in recent (?:weeks|days|months))\b", _r_relative),
    (r"\b(?:(?:over|in|during|within|for)\s+)?the\s+(?:past|last)\s+(?:(?P<n>\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|several|few)\s+)?"
     r"(?P<unit>years?|months?|weeks?|fortnights?|days?)(?:\s+or\s+so)?\b", _r_past_n),
    (r"\b(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|a few)\s+(?P<unit>years?|months?|weeks?|days?)\s+ago\b", _r_ago),
    (r"\b(?:last|on|this past|on last|captured|taken|filmed|photographed|shot|acquired)\s+"
     r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", _r_weekday),
    (r"\bon the (?P<day>\d{1,2})(?:st|nd|rd|th)\b", _r_ordinal_day),
    (rf"\b(?:(?<=in )|(?<=since )|(?<=from )|(?<=until )|(?<=till )|(?<=by )|(?<=of )|(?<=to )|(?<=around )|"
     rf"(?<=during )|(?<=between )|(?<=and )|(?<=before )|(?<=after )|(?<=through )|(?<=circa )|(?<=about )|"
     rf"(?<=^)|(?<=year )){YEAR_PATTERN}\b(?![\-–]\d|\s*(?:yuan|won|dollars|vehicles|cars|trucks|units)\b)", _r_year),
)
_ATOM_RES = tuple((re.compile(p, re.IGNORECASE), r) for p, r in _ATOMS)
# Month names that are also words ("may", "march") count only when capitalised.
_AMBIGUOUS_MONTHS = {"may", "march", "mar", "jan", "sep", "dec", "oct", "nov", "aug", "jun", "jul", "apr", "feb"}


@dataclass
class Atom:
    start: int
    end: int
    match: re.Match
    resolver: Resolver

    def resolve(self, ctx: Context) -> Period | None:
        return self.resolver(self.match, ctx)


def _atoms(text: str) -> list[Atom]:
    taken: list[tuple[int, int]] = []
    out: list[Atom] = []
    for rx, resolver in _ATOM_RES:
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            month = m.groupdict().get("month")
            if month and not month[0].isupper():
                continue  # "may" the verb, "march" the verb
            if month and month.lower().rstrip(".") in _AMBIGUOUS_MONTHS and month.lower() == "may" and not (
                    m.groupdict().get("day") or m.groupdict().get("year") or m.groupdict().get("part")
                    or m.groupdict().get("which") or re.search(r"\b(?:in|since|from|until|of|by|and|to|through|between)\s+$", text[:m.start()], re.I)):
                continue
            if m.group(0).strip() == "":
                continue
            taken.append((m.start(), m.end()))
            out.append(Atom(m.start(), m.end(), m, resolver))
    out.sort(key=lambda a: a.start)
    return out


_FILLER = r"(?:\s*(?:around|about|approximately|circa|roughly|the|as early as|as late as|sometime in|some time in|in|on)\s+)*"
_SINCE_RE = re.compile(rf"\b(?:since|ever since|as of){_FILLER}\s*$", re.IGNORECASE)
# "since the border reopened in March", "since smuggling was suspended in mid-May": the event's date
# starts what follows, like "since March"
_SINCE_EVENT_RE = re.compile(rf"\b(?:since|ever since)\s+(?:[\w\-’']+\s+){{1,6}}?(?:in|on|at the (?:start|end|beginning) of){_FILLER}\s*$",
                             re.IGNORECASE)
_START_RE = re.compile(rf"\b(?:starting|beginning|began|begun|started)(?:\s+(?:from|in|on))?{_FILLER}\s*$", re.IGNORECASE)
_UNTIL_RE = re.compile(rf"\b(?:until|till|through|up to|by){_FILLER}\s*$", re.IGNORECASE)
_AFTER_RE = re.compile(rf"\bafter{_FILLER}\s*$", re.IGNORECASE)
_BEFORE_RE = re.compile(rf"\bbefore{_FILLER}\s*$", re.IGNORECASE)
_RANGE_SEP_RE = re.compile(r"^\s*(?:to|until|till|through|-|–|—|and)\s*(?:around\s+|about\s+)?$", re.IGNORECASE)
SINCE_THEN_RE = re.compile(r"\b(?:since then|ever since|since that time|since that)\b", re.IGNORECASE)


@dataclass
class DateExpr:
    """A date expression in a text: one or two atoms with what is said around them."""

    start: int
    end: int
    text: str
    mode: str  # point, since, starting, until, after, before, range, since_then
    atoms: tuple[Atom, ...]

    def resolve(self, ctx: Context) -> Period | None:
        if self.mode == "since_then":
            if ctx.previous is None or ctx.previous.start is None:
                return None
            return Period(ctx.previous.start, ctx.ref.end if ctx.ref else None)
        first = self.atoms[0].resolve(ctx)
        if first is None:
            return None
        if self.mode == "range":
            second = self.atoms[1].resolve(ctx)
            if second is None or (second.end and first.start and second.end < first.start):
                return first
            return Period(first.start, second.end)
        if self.mode == "since":
            return Period(first.start, ctx.ref.end if ctx.ref else None)
        if self.mode == "starting":
            return Period(first.start, None)
        if self.mode == "until":
            return Period(None, first.end)
        if self.mode == "after":
            return Period(first.end + timedelta(days=1) if first.end else None, None)
        if self.mode == "before":
            return Period(None, first.start - timedelta(days=1) if first.start else None)
        return first


def find_dates(text: str) -> list[DateExpr]:
    """Every date expression in ``text`` (offsets into it), with since/from/until folded in."""
    atoms = _atoms(text)
    out: list[DateExpr] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        before = text[:a.start]
        nxt = atoms[i + 1] if i + 1 < len(atoms) else None
        if nxt is not None and _RANGE_SEP_RE.match(text[a.end:nxt.start]):
            lead = re.search(rf"\b(?:from|between|since){_FILLER}\s*$", before, re.IGNORECASE)
            start = lead.start() if lead else a.start
            sep = text[a.end:nxt.start].strip().lower()
            if lead or sep in ("to", "until", "till", "through", "-", "–", "—"):
                out.append(DateExpr(start, nxt.end, text[start:nxt.end], "range", (a, nxt)))
                i += 2
                continue
        mode, start = "point", a.start
        if a.resolver in (_r_month_day_range, _r_decade):
            out.append(DateExpr(a.start, a.end, text[a.start:a.end], mode, (a,)))
            i += 1
            continue
        for rx, name in ((_SINCE_RE, "since"), (_SINCE_EVENT_RE, "since"), (_START_RE, "starting"), (_UNTIL_RE, "until"),
                         (_AFTER_RE, "after"), (_BEFORE_RE, "before")):
            lead = rx.search(before)
            if lead:
                mode, start = name, lead.start()
                break
        out.append(DateExpr(start, a.end, text[start:a.end], mode, (a,)))
        i += 1
    for m in SINCE_THEN_RE.finditer(text):
        if not any(m.start() < d.end and d.start < m.end() for d in out):
            out.append(DateExpr(m.start(), m.end(), m.group(0), "since_then", ()))
    out.sort(key=lambda d: d.start)
    return out
