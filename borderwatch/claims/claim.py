"""The claim record an article yields, the per-sentence record the detectors read, and the
deduplication of claims that restate one statement."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field

from borderwatch.claims.dates import DateExpr
from borderwatch.claims.mentions import Mention
from borderwatch.claims.sentences import Sentence
from borderwatch.tables import CLAIMS_FIELDS
from borderwatch.tables import Claim as ClaimRecord


class Claim(ClaimRecord):
    """A claim as extraction builds it: the one ``tables.Claim`` model of claims.json (compare and report
    read the same model), plus where its quote lies in the article and how its period was found,
    which are not exported."""

    vehicle_class: str
    confidence: float = 0.5
    start: int = Field(0, exclude=True, repr=False)  # quote offsets in the article text
    end: int = Field(0, exclude=True, repr=False)
    dated: bool = Field(False, exclude=True, repr=False)  # the period comes from the claim's own words
    subject: str = Field("numbers", exclude=True, repr=False)  # what a trend is about: numbers, price, demand

    def to_dict(self) -> dict:
        """The claims.json record: the contract's fields in their order, whole numbers as ints."""
        d = self.model_dump()
        for k in ("value", "low", "high"):
            if d[k] is not None and float(d[k]).is_integer():
                d[k] = int(d[k])
        d["confidence"] = round(float(d["confidence"]), 2)
        return {k: d[k] for k in (*CLAIMS_FIELDS, "source_file", "url", "confidence", "published", "publisher", "title")}


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
