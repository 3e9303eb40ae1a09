"""The claim record an article yields, the per-sentence record the detectors read, and the
deduplication of claims that restate one statement."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from borderwatch.claims.dates import DateExpr
from borderwatch.claims.mentions import Mention
from borderwatch.claims.sentences import Sentence
from borderwatch.tables import CLAIMS_FIELDS
from borderwatch.tables import Claim as ClaimRecord


@dataclass
class Claim:
    quote: str
    place: str | None
    vehicle_class: str
    kind: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    currency: str | None = None
    direction: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    note: str | None = None
    source_file: str | None = None
    url: str | None = None
    confidence: float = 0.5
    published: str | None = None
    publisher: str | None = None
    title: str | None = None
    start: int = field(default=0, repr=False)  # quote offsets in the article text (not exported)
    end: int = field(default=0, repr=False)
    dated: bool = field(default=False, repr=False)  # the period comes from the claim's own words
    subject: str = field(default="numbers", repr=False)  # what a trend is about: numbers, price, demand

    def to_dict(self) -> dict:
        d = asdict(self)
        for private in ("start", "end", "dated", "subject"):
            d.pop(private)
        for k in ("value", "low", "high"):
            if d[k] is not None and float(d[k]).is_integer():
                d[k] = int(d[k])
        d["confidence"] = round(float(d["confidence"]), 2)
        out = {k: d[k] for k in (*CLAIMS_FIELDS, "source_file", "url", "confidence", "published", "publisher", "title")}
        ClaimRecord.model_validate(out)  # the claims.json contract compare and report read: fail here, not there
        return out


@dataclass
class SentenceInfo:
    sentence: Sentence
    mentions: list[Mention]
    dates: list[tuple[DateExpr, int]]  # expression and its absolute start offset
    imagery: bool
    linked_activity: bool  # a vehicle word next to smuggling/import words: later "smuggling" refers to it


def claim_key(c: Claim) -> tuple:
    if c.kind in ("presence", "other", "absence"):
        # the same caption under two photos ("... (passenger side)", "... (driver's side)")
        return (c.kind, c.vehicle_class, re.sub(r"\s*\([^)]*\)", "", c.quote).strip())
    if c.kind == "trend":
        return (c.kind, c.vehicle_class, c.direction, c.place, c.subject)
    if c.kind == "price":
        # "$1,000 for each vehicle ... about $1,000 is paid to the Customs Office": one price, restated
        return (c.kind, c.value, c.low, c.high, c.currency, c.unit)
    return (c.kind, c.vehicle_class, c.value, c.low, c.high, c.unit, c.currency)


def dedupe(claims: list[Claim]) -> list[Claim]:
    """One claim per statement: a caption or summary that restates a claim adds nothing. A trend
    with its own dates ("suspended from 2020 to 2023") is a new statement even when an earlier one
    moved the same way."""
    seen: dict[tuple, Claim] = {}
    out = []
    for c in claims:
        k = claim_key(c)
        if k in seen and c.kind == "trend" and c.dated and (c.period_start, c.period_end) != (
                seen[k].period_start, seen[k].period_end):
            out.append(c)
            continue
        if k in seen:
            kept = seen[k]
            if (c.dated and not kept.dated) or (c.place and not kept.place and c.dated == kept.dated):
                # the body's dated, placed sentence says more than the standfirst it restates
                c.confidence = min(0.95, kept.confidence + 0.05)
                out[out.index(kept)] = c
                seen[k] = c
                continue
            kept.confidence = min(0.95, kept.confidence + 0.05)  # restated: a little more certain
            continue
        seen[k] = c
        out.append(c)
    return out
