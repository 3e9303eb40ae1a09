"""Publication dates of an article: date lines under a headline, news-agency datelines
("SEOUL, Oct. 14 (Yonhap) --"), a hint such as a month, and dates in a URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from borderwatch.claims.dates import (
    DAY_PATTERN,
    MONTH_PATTERN,
    WEEKDAYS,
    YEAR_PATTERN,
    Reference,
    month_number,
)

_PUB_LINE_RE = re.compile(
    rf"^\W*(?:(?:published|posted|updated|date|last updated)(?:\s+on)?\s*:?\s*)?(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
    rf"(?:(?P<t1>\d{{1,2}}:\d{{2}}\s*[AP]M)\s+)?"
    rf"(?:{MONTH_PATTERN}\s+{DAY_PATTERN},?\s+{YEAR_PATTERN}|(?P<d2>\d{{1,2}})\s+(?P<m2>[A-Z][a-z]+)\s+(?P<y2>(?:19|20)\d{{2}})|"
    rf"(?P<iy>(?:19|20)\d{{2}})-(?P<im>\d{{2}})-(?P<id>\d{{2}}))"
    rf"(?:,?\s*(?:at\s+)?(?P<t2>\d{{1,2}}:\d{{2}}\s*(?:[AP]M)?))?\s*$",
    re.IGNORECASE,
)


def parse_date_text(text: str) -> date | None:
    """A calendar date written alone: "March 04, 2025", "4 March 2025", "2025-03-04", "Dec. 1, 2015"."""
    m = _PUB_LINE_RE.match(text.strip())
    if not m:
        return None
    try:
        if m.group("year"):
            return date(int(m.group("year")), month_number(m.group("month")), int(m.group("day")))
        if m.group("y2"):
            return date(int(m.group("y2")), month_number(m.group("m2")), int(m.group("d2")))
        return date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
    except (KeyError, ValueError):
        return None


# A news dateline at the head of a paragraph: "DANDONG, China, Aug. 16 (Yonhap) --",
# "Dandong, China (AFP) July 6, 2017", "SEOUL, Oct. 14 (Yonhap) -".
_DATELINE_RE = re.compile(
    rf"^\W*(?:By [^\n]{{0,60}}?\s+)?(?P<city>[A-Z][A-Za-z’'\-]+(?:\s[A-Z][A-Za-z’'\-]+)?),\s*(?:[A-Z][A-Za-z .]+?,?\s*)?"
    rf"(?:\((?P<agency1>[A-Za-z .]+)\)\s*)?{MONTH_PATTERN}\s+{DAY_PATTERN}(?:,?\s+{YEAR_PATTERN})?\s*(?:\((?P<agency2>[A-Za-z .]+)\))?",
)


@dataclass(frozen=True)
class Dateline:
    city: str
    month: int
    day: int
    year: int | None


def dateline_match(line: str) -> re.Match | None:
    """The dateline opening ``line``, if it is one: "CITY, ... Mon. DD (Agency)", or a city in capitals
    then the date and a dash ("HYESAN, May 14 —"); "Saturday, July 26, 2025" is a page's date widget."""
    m = _DATELINE_RE.match(line[:200])
    if m is None or m.group("city").split()[-1].lower() in WEEKDAYS:
        return None
    dashed = m.group("city").isupper() and re.match(r"\s*(?:--|—|–)", line[m.end():200]) is not None
    return m if (m.group("agency1") or m.group("agency2") or dashed) else None


def find_dateline(text: str) -> Dateline | None:
    """The dateline of an article: the first of its first lines that opens with one (``dateline_match``)."""
    for line in text.splitlines()[:15]:
        m = dateline_match(line)
        if m:
            try:
                month = month_number(m.group("month"))
                day = int(m.group("day"))
                year = int(m.group("year")) if m.group("year") else None
                date(year or 2000, month, day)
            except (KeyError, ValueError):
                continue
            return Dateline(m.group("city").title(), month, day, year)
    return None


@dataclass(frozen=True)
class DateLine:
    line: str
    date: date
    strong: bool  # a byline or stamp; False for a bare "Saturday, July 26, 2025" (a page widget)


def date_lines(text: str) -> list[DateLine]:
    """Lines of an article that hold nothing but a date (bylines, stamps, page widgets)."""
    out = []
    for line in text.splitlines():
        s = line.strip().lstrip("/|-–— ").strip()
        if not s or len(s) > 60:
            continue
        m = _PUB_LINE_RE.match(s)
        if not m:
            continue
        d = parse_date_text(s)
        if d is None:
            continue
        stamped = bool(m.group("t1") or m.group("t2") or re.match(r"\W*(published|posted|updated|date)", s, re.I))
        # a weekday without a time is how page widgets show today's date, not a byline
        widget = bool(re.match(r"\W*(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", s, re.I))
        strong = stamped or not widget
        out.append(DateLine(s, d, strong))
    return out


def parse_hint(text: str | None) -> Reference | None:
    """A publication hint such as "2025-10", "2025-12 (from URL path)", "2020-06-23 (from URL ...)"."""
    if not text:
        return None
    m = re.match(r"\s*((?:19|20)\d{2})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", str(text))
    if not m:
        return None
    y = int(m.group(1))
    try:
        if m.group(3):
            return Reference.day(date(y, int(m.group(2)), int(m.group(3))), "hint")
        if m.group(2):
            return Reference.month(y, int(m.group(2)), "hint")
    except ValueError:
        return None
    return Reference(date(y, 1, 1), date(y, 12, 31), "hint")


def date_from_url(url: str | None) -> Reference | None:
    """A date in a URL: /2020/06/23/, /2025/12/, 2025-03-04, or MMDDYYYY / MMDDYY tokens that agree
    with a /YYYY/MM/ path ("/2020/06/sinuiju062320/" -> 2020-06-23)."""
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I)
    m = re.search(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$)", path)
    if m:
        try:
            return Reference.day(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "url")
        except ValueError:
            pass
    m = re.search(r"(?<!\d)((?:19|20)\d{2})-(\d{2})-(\d{2})(?!\d)", path)
    if m:
        try:
            return Reference.day(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "url")
        except ValueError:
            pass
    ym = re.search(r"/((?:19|20)\d{2})/(\d{1,2})(?:/|$)", path)
    for run in re.findall(r"(?<!\d)(\d{6,14})(?!\d)", path):
        # 02272013161526: a date (MMDDYYYY or YYYYMMDD) and maybe a time of day after it
        token = run[:8] if len(run) >= 8 else run
        try:
            if len(token) == 8:
                for y, mo, d in ((token[4:], token[:2], token[2:4]), (token[:4], token[4:6], token[6:])):
                    if 1990 <= int(y) <= 2099 and 1 <= int(mo) <= 12:
                        return Reference.day(date(int(y), int(mo), int(d)), "url")
            elif ym:
                mo, d, yy = int(token[:2]), int(token[2:4]), int(token[4:])
                if mo == int(ym.group(2)) and 2000 + yy == int(ym.group(1)):
                    return Reference.day(date(2000 + yy, mo, d), "url")
        except ValueError:
            continue
    if ym:
        try:
            return Reference.month(int(ym.group(1)), int(ym.group(2)), "url")
        except ValueError:
            return None
    return None
