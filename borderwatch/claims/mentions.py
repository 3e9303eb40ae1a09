"""Vehicle mentions: the words of a sentence that name vehicles, mapped onto the taxonomy.

A mention is *specific* (a class word or a brand: "lorries", "tipper trucks", "BYDs", "Foton bus"),
*generic* ("vehicles", "automobiles": the class comes from context) or an *activity* word
("smuggling", "imports") that stands for vehicles only through what it refers back to. Phrases that
hold a vehicle word but are not vehicles ("car park", "rail cars") block it. The lexicon lives in
``vocabulary.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from borderwatch.claims import vocabulary as V


@dataclass
class Mention:
    start: int  # offsets into the article text
    end: int
    cls: str | None  # taxonomy class, or None for generic / activity words
    kind: str  # specific, generic, activity
    text: str


def find_mentions(text: str, offset: int = 0) -> list[Mention]:
    """Vehicle words in ``text``: class words and brands (specific), generic and activity words."""
    # characters already claimed: a bytearray keeps the overlap tests linear in the sentence length
    blocked = bytearray(len(text))
    for m in V.NON_VEHICLE_RE.finditer(text):
        blocked[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    taken = bytearray(len(text))

    def free(s: int, e: int) -> bool:
        return not any(blocked[s:e])

    def take(s: int, e: int) -> None:
        taken[s:e] = b"\x01" * (e - s)

    out: list[Mention] = []
    for m in V.VEHICLE_RE.finditer(text):
        if V.PART_AFTER_RE.match(text, m.end()):
            take(m.start(), m.end())  # "an e-bike battery": a part, and no brand or generic word either
            continue
        if free(m.start(), m.end()):
            cls = V.word_class(m.group(0))
            if cls:
                out.append(Mention(offset + m.start(), offset + m.end(), cls, "specific", m.group(0)))
                take(m.start(), m.end())
    for m in V.BRAND_RE.finditer(text):
        word = m.group(0)
        if word.lower().rstrip("s") in V.CAPITALISED_BRANDS or word.lower() in V.CAPITALISED_BRANDS:
            if not word[0].isupper():
                continue
        if any(taken[m.start():m.end()]):
            continue
        # a class word right after a brand names the class ("Foton bus", "Toyota Camry cars")
        after = V.VEHICLE_RE.match(text, m.end() + 1) if m.end() < len(text) else None
        cls = V.word_class(word)
        if after and V.word_class(after.group(0)):
            cls = V.word_class(after.group(0))
        if cls:
            out.append(Mention(offset + m.start(), offset + m.end(), cls, "specific", word))
            take(m.start(), m.end())
    for m in V.MIXED_RE.finditer(text):
        # "truck traffic", "bus traffic": the class word before a mixed word names the class
        if re.search(r"[\s\-]$", text[:m.start()]) and any(taken[max(0, m.start() - 2):m.start() - 1]):
            continue
        if free(m.start(), m.end()):
            out.append(Mention(offset + m.start(), offset + m.end(), V.ANY, "specific", m.group(0)))
            take(m.start(), m.end())
    for m in V.GENERIC_RE.finditer(text):
        if free(m.start(), m.end()) and not any(taken[m.start():m.end()]):
            out.append(Mention(offset + m.start(), offset + m.end(), None, "generic", m.group(0)))
    for m in V.ACTIVITY_RE.finditer(text):
        out.append(Mention(offset + m.start(), offset + m.end(), None, "activity", m.group(0)))
    out.sort(key=lambda x: x.start)
    return out


def classes_of(mentions: list[Mention]) -> list[str]:
    """The classes of the specific mentions, in order of first mention."""
    seen: list[str] = []
    for m in mentions:
        if m.kind == "specific" and m.cls and m.cls not in seen:
            seen.append(m.cls)
    return seen
