"""Vehicle claims from article text: a rule-based pipeline.

    paragraphs/sentences/clauses (sentences.py)
      -> vehicle mentions per clause (vocabulary.py): class words, brands, generic words whose
         class comes from the sentences before, activity words ("smuggling") that refer back
      -> detectors, first match wins per clause: prices (numbers.find_amounts), proportions,
         quantities bound to a vehicle word (count, range, bounds, approximate; flows per night),
         trends (direction words licensed by a nearby vehicle word), absence, presence
      -> place (places.py) and period (dates.py): the clause's own dates, then the sentence's,
         the paragraph's, a source's dated report ("reported in early September:"), the date
         the article's photos were taken, else "up to publication" for statements in the
         present or past
      -> claims with the fields of tables.CLAIMS_FIELDS, a confidence, deduplicated.

Nothing here is tuned to one sentence: each rule is a pattern of report language, and the
vocabulary lives in ``vocabulary.py``.
"""

from __future__ import annotations

import re
import time
from datetime import date

from borderwatch.claims import vocabulary as V
from borderwatch.claims.articles import Article
from borderwatch.claims.claim import Claim, SentenceInfo, dedupe
from borderwatch.claims.cues import (
    ASIDE_RE,
    BLANKET_IMAGERY_RE,
    COMPARED_FROM_RE,
    CONTRAST_DATE_RE,
    DATELINE_TAIL_RE,
    EARLIER_LEVEL_RE,
    HALT_ENDED_RE,
    HYPOTHETICAL_RE,
    IMAGERY_RE,
    LEVEL_CHANGE_RE,
    PERSON_ASIDE_RE,
    PHOTO_CREDIT_RE,
    PRICE_MOVED_TO_RE,
    REPORTING_RE,
    SPEECH_DATE_RE,
    THAN_RE,
)
from borderwatch.claims.datelines import dateline_match
from borderwatch.claims.dates import Context, DateExpr, Period, Reference, find_dates
from borderwatch.claims.measures import MeasureDetectors
from borderwatch.claims.mentions import Mention, classes_of, find_mentions
from borderwatch.claims.places import DESTINATION_BEFORE_RE, PlaceResolver, first_city
from borderwatch.claims.sentences import Clause, Paragraph, Sentence, prose_like, segment
from borderwatch.claims.statements import StatementDetectors
from borderwatch.errors import InputError

# Work per article is linear in its length (sentences.py bounds sentences, tokens and paragraphs);
# the budget is a last guard so that one article can never hold up a batch.
TIME_BUDGET_S = 5.0
MAX_ARTICLE_CHARS = 1_048_576  # 1 MiB of text: far beyond any report (the corpus's longest is 4 KB)
LOOKBACK = 3
QUANTITY_KINDS = frozenset({"count", "range", "lower_bound", "upper_bound", "approximate"})  # sentences searched for what a generic word or pronoun refers to


def _opens_sentence(text: str, sentence_start: int, at: int) -> bool:
    """A date at the head of a sentence ("In 2017, ...", "Since then, ...") frames all of it."""
    head = text[sentence_start:at]
    return len(head.split()) <= 4 and not re.search(r"[,;]", head)



# --- the article pass --------------------------------------------------------------------------------

class ExtractionTimeout(InputError):
    """One article took longer than its time budget; its claims are dropped, the batch goes on."""


class ArticleExtractor(MeasureDetectors, StatementDetectors):
    """Extracts the claims of one article."""

    def __init__(self, article: Article, gazetteer, time_budget: float = TIME_BUDGET_S) -> None:
        self.article = article
        self.text = article.text
        if len(self.text) > MAX_ARTICLE_CHARS:
            raise InputError(f"article text is {len(self.text):,} characters, more than the limit of "
                             f"{MAX_ARTICLE_CHARS:,}; split it into articles", article.source_file)
        self.budget = time_budget
        self.deadline = time.monotonic() + time_budget
        self.paragraphs: list[Paragraph] = segment(self.text, article.title)
        for p in self.paragraphs:
            p.sentences = [s for s in p.sentences if prose_like(s.text)]
        self.sentences: list[Sentence] = [s for p in self.paragraphs for s in p.sentences]
        self._check_time()
        self.places = PlaceResolver(gazetteer, [s.text for s in self.sentences], article.title)
        self.info: list[SentenceInfo] = []
        for s in self.sentences:
            self._check_time()
            mentions = find_mentions(s.text, s.start)
            # a dateline's date ("SEOUL, Oct. 14 (Yonhap) --") dates the report, not what the sentence says
            head = dateline_match(s.text)
            dates = [(d, s.start + d.start) for d in find_dates(s.text) if not DATELINE_TAIL_RE.match(s.text, d.end)
                     and not (head is not None and d.start < head.end())]
            linked = any(m.kind == "specific" or m.kind == "generic" for m in mentions) and bool(
                V.ACTIVITY_LINK_RE.search(s.text))
            self.info.append(SentenceInfo(s, mentions, dates, bool(IMAGERY_RE.search(s.text)), linked))
        self.by_paragraph: dict[int, list[SentenceInfo]] = {}
        for inf in self.info:
            self.by_paragraph.setdefault(inf.sentence.paragraph, []).append(inf)
        self.reference = article.reference
        self.year_hint = article.year_hint
        self.previous_period: Period | None = None
        self.speech_refs = self._speech_anchors()
        self.doc_imagery = self._document_imagery()
        self.reporting = self._reporting_period()
        self.claims: list[Claim] = []
        # before any sentence names a place, the city the report was filed from (its dateline)
        self.carried_place: str | None = self._dateline_place(gazetteer)

    def _dateline_place(self, gazetteer) -> str | None:
        city = self.article.dateline_city
        if not city:
            return None
        for name in (city, city.split()[-1]):
            if name in gazetteer:
                return gazetteer.get(name).name
        return None

    def _check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise ExtractionTimeout(f"claim extraction took more than its {self.budget:g} s budget; "
                                    "article skipped", self.article.source_file)

    # --- context -------------------------------------------------------------------------------

    def _ctx(self, ref: Reference | None) -> Context:
        return Context(ref, self.year_hint, self.previous_period)

    def _speech_anchors(self) -> dict[int, Reference]:
        """Paragraph index -> the date its quoted speech was reported ("reported in early September:")."""
        out: dict[int, Reference] = {}
        by_para: dict[int, list[SentenceInfo]] = {}
        for inf in self.info:
            by_para.setdefault(inf.sentence.paragraph, []).append(inf)
        anchor: Reference | None = None
        for p in self.paragraphs:
            infos = by_para.get(p.index, [])
            if not infos:
                continue
            if anchor is not None and any(i.sentence.in_speech for i in infos):
                out[p.index] = anchor
            else:
                anchor = None
            last = infos[-1]
            if last.sentence.text.rstrip().endswith(":") and last.dates:
                period = self._resolve(last.dates[-1][0], self.reference)
                if period is not None:
                    anchor = Reference.of(period, "speech")
        return out

    def _document_imagery(self) -> Period | None:
        for inf in self.info:
            if inf.dates and BLANKET_IMAGERY_RE.search(inf.sentence.text):
                period = self._resolve(inf.dates[0][0], self.reference)
                if period is not None:
                    return period
        return None

    def _reporting_period(self) -> Reference | None:
        """"In October and November 2025, ASIAPRESS tracked ... through reports": when the reporting
        was done, which bounds what the article says in the present tense."""
        for inf in self.info[:8]:
            if inf.dates and REPORTING_RE.search(inf.sentence.text):
                period = self._resolve(inf.dates[0][0], self.reference)
                if period is not None and period.end is not None:
                    return Reference.of(period, "reporting")
        return None

    def _default_end(self, paragraph: int) -> date | None:
        """Where a statement in the present or past tense ends: when its source spoke, else the
        publication date when the article gives it (metadata or byline, or a hint or URL known to the
        day or month: it ends at that month's end), else the reporting period. A year alone bounds
        nothing (the conventions leave such periods null)."""
        if paragraph in self.speech_refs:
            return self.speech_refs[paragraph].end
        ref = self.reference
        if ref is not None and (ref.source in ("metadata", "text") or (ref.end - ref.start).days <= 31):
            return ref.end
        if self.reporting is not None:
            return self.reporting.end
        return None

    def _resolve(self, expr: DateExpr, ref: Reference | None) -> Period | None:
        period = expr.resolve(Context(ref, self.year_hint, self.previous_period))
        return period if period is not None and not period.empty else None

    def _lookbackclasses_of(self, index: int, include_self: bool = False) -> list[str] | None:
        """Classes of the nearest earlier sentence (same section) with specific vehicle words."""
        section = self.info[index].sentence.section
        start = index if include_self else index - 1
        for j in range(start, max(-1, index - LOOKBACK - 1), -1):
            inf = self.info[j]
            if inf.sentence.section != section:
                break
            if PHOTO_CREDIT_RE.search(inf.sentence.text):
                continue  # a file photo's caption is not what the running text refers back to
            classes = classes_of(inf.mentions)
            if classes and self._generic_topic(inf):
                continue  # "These are vehicles brought in ... by cutting paths with excavators": the
                # excavators are the means; the vehicles are what the sentences before named
            if classes:
                return classes
        return None

    @staticmethod
    def _generic_topic(inf: SentenceInfo) -> bool:
        """The sentence speaks of vehicles in general: its first vehicle word is generic and the
        specific words come well after it, not as its apposition ("the vehicles, mostly trucks")."""
        words = [m for m in inf.mentions if m.kind != "activity"]
        if len(words) < 2 or words[0].kind != "generic":
            return False
        return all(m.start - words[0].end > 60 for m in words[1:] if m.kind == "specific")

    def _generic_before(self, index: int) -> bool:
        """The sentence before speaks of vehicles without a class ("100 vehicles were parked")."""
        return index > 0 and any(m.kind == "generic" for m in self.info[index - 1].mentions)

    def _activity_refers(self, index: int) -> list[str] | None:
        """Classes an activity word ("smuggling", "operations") refers back to, if any."""
        section = self.info[index].sentence.section
        for j in range(index, max(-1, index - LOOKBACK - 1), -1):
            inf = self.info[j]
            if inf.sentence.section != section:
                break
            if inf.linked_activity or (j == index and classes_of(inf.mentions)):
                classes = classes_of(inf.mentions)
                if classes:
                    return classes
                generic = self._lookbackclasses_of(j)
                return generic or [V.ANY]
        return None

    def _class_of(self, mentions: list[Mention], index: int, allow_activity: bool = True) -> tuple[list[str], bool]:
        """(classes, inferred): the specific classes named, else what generic words refer to."""
        classes = classes_of(mentions)
        if classes:
            return classes, False
        if any(m.kind == "generic" for m in mentions):
            return self._lookbackclasses_of(index) or [V.ANY], True
        if allow_activity and any(m.kind == "activity" for m in mentions):
            ref = self._activity_refers(index)
            if ref:
                return ref, True
        return [], False

    @staticmethod
    def _one_class(classes: list[str]) -> str:
        return classes[0] if len(classes) == 1 else V.ANY

    # --- place and period ------------------------------------------------------------------------

    def _place(self, clause: Clause, inf: SentenceInfo) -> str | None:
        s = inf.sentence
        if self.places.strongly_national(s.text):
            return None  # "not only in Pyongyang but nationwide"
        person_asides = [(s.start + m.start(), s.start + m.end()) for m in PERSON_ASIDE_RE.finditer(s.text)]
        sentence_hits = [h for h in self.places.hits(s.text, s.start)
                         if not any(a0 <= h.start < a1 for a0, a1 in person_asides)]
        hits = [h for h in sentence_hits if clause.start <= h.start < clause.end]
        if hits and all(DESTINATION_BEFORE_RE.search(self.text[max(s.start, h.start - 30):h.start]) for h in hits):
            # "waiting at the Quanhe crossing, bound for Rason": seen at the crossing, not where they go
            crossing = self.places.crossing(clause.text, s.text)
            if crossing:
                return crossing
        if hits:
            return first_city(hits)
        crossing = self.places.crossing(clause.text, s.text) or (
            None if sentence_hits else self.places.crossing(s.text, s.text))
        if crossing:
            return crossing
        if self.places.national(clause.text):
            return None
        if sentence_hits:
            return first_city(sentence_hits)
        if self.places.national(s.text):
            return None
        return self.places.topic or self.carried_place

    def _period(self, clause: Clause, inf: SentenceInfo, kind: str, focus: str | None = None) -> tuple[Period | None, str | None]:
        """The claim's period and a note on where it came from. ``focus``: the part of the clause
        that is about this claim, for tense words ("previously made X ... now pocket Y")."""
        s = inf.sentence
        ref = self.speech_refs.get(s.paragraph, self.reference)
        text = focus if focus is not None else clause.text
        own = [d for d, a in inf.dates if clause.start <= a < clause.end]
        # "told Daily NK on Oct. 10 that 50 cars were brought in last week": the telling is not the event
        told = [d for d, a in inf.dates if SPEECH_DATE_RE.search(self.text[max(s.start, a - 40):a])]
        if len(told) < len(own):
            own = [d for d in own if d not in told]
        at = clause.text.find(focus) if focus is not None else -1
        if at >= 0:
            # "now cost 3,000 yuan, up from 2,500 yuan last year": the date after "up from" dates the
            # earlier level, not the one this claim is about
            f_start, f_end = clause.start + at, clause.start + at + len(focus)
            earlier = {id(d) for d, a in inf.dates if a >= f_end and EARLIER_LEVEL_RE.search(self.text[f_end:a])}
            own = [d for d in own if id(d) not in earlier]
            # "a truck that cost 7,000 dollars last year now goes for 10,000": a date before "now" in the
            # focus dates the earlier price
            now = V.PRESENT_RE.search(focus)
            if now is not None:
                cut = clause.start + at + now.start()
                own = [d for d in own if not any(x is d and f_start <= a < cut for x, a in inf.dates)]
        own, text = self._past_asides(s, clause, own, inf, text)
        # "300 trucks now cross every day, up from about 100 last year": the date of the earlier level
        compared = {id(d) for d, a in inf.dates if clause.start <= a and COMPARED_FROM_RE.search(self.text[max(clause.start, a - 40):a])}
        if kind != "trend" and focus is None:  # (a price's focus has already set its earlier level apart)
            own = [d for d in own if id(d) not in compared]
        if kind != "trend":
            own = [d for d, a in inf.dates if d in own and not CONTRAST_DATE_RE.search(self.text[max(s.start, a - 25):a])]
        if not own and not V.PRESENT_RE.search(text) and not V.VAGUE_PAST_RE.search(text):
            own = [d for d, a in inf.dates if _opens_sentence(self.text, s.start, a)]
        for expr in own:
            period = self._resolve(expr, ref)
            if period is None:
                continue
            if kind == "trend" and (id(expr) in compared or THAN_RE.search(self.text[max(s.start, expr.start + s.start - 30):expr.start + s.start])):
                # "busier than last spring": the change runs from the date compared with up to now
                return Period(period.start, self._default_end(s.paragraph)), "dated"
            if V.CONTINUE_RE.search(text) and ref is not None and period.end and period.end < ref.end and expr.mode == "point":
                period = Period(period.start, ref.end)
            return period, "dated"
        if kind == "trend" and V.FUTURE_RE.search(text):
            return None, "forecast"
        if kind == "trend" and V.PRESENT_RE.search(text):
            # "was only available in two cities in the early 2000s, but now it has spread": from then to now
            earlier = [d for d, a in inf.dates if a < clause.start]
            for expr in earlier:
                period = self._resolve(expr, ref)
                if period is not None and period.start is not None:
                    return Period(period.start, self._default_end(s.paragraph)), "dated"
        if V.VAGUE_PAST_RE.search(text):
            return None, None
        if V.FUTURE_RE.search(text) and not re.search(r"\bwould be\b", text):
            return None, None
        observational = kind in ("presence", "count", "range", "lower_bound", "upper_bound", "approximate", "proportion")
        # an earlier sentence of the paragraph that dates what follows, or a dated photo in it
        for other in self.by_paragraph.get(s.paragraph, []):
            if other is inf or not other.dates:
                continue
            opening = [d for d, a in other.dates if _opens_sentence(self.text, other.sentence.start, a)]
            if (opening and other.sentence.start < s.start and not V.PRESENT_RE.search(text)
                    and not other.sentence.text.rstrip().endswith(":")):
                # "Since the beginning of the year, ... Meanwhile, car prices have remained stable"
                period = self._resolve(opening[0], ref)
                if period is not None:
                    return period, None
            if observational and other.imagery:
                period = self._resolve(other.dates[0][0], ref)
                if period is not None:
                    return period, "photographed"
        if observational and self.doc_imagery is not None and not s.in_speech and s.paragraph not in self.speech_refs:
            return self.doc_imagery, "photographed"
        end = self._default_end(s.paragraph)
        return (Period(None, end), None) if end is not None else (None, None)

    def _past_asides(self, s: Sentence, clause: Clause, own: list, inf: SentenceInfo, text: str) -> tuple[list, str]:
        """"Motorcycle taxis, which first appeared two years ago, now number in the hundreds": a date
        inside an aside on the subject dates the aside, when what follows it is in the present or has
        its own date; the aside's tense words are then not the claim's either."""
        for aside in PERSON_ASIDE_RE.finditer(s.text):
            a0, a1 = s.start + aside.start(), s.start + aside.end()
            if a1 < clause.end:
                own = [d for d in own if not any(x is d and a0 <= a < a1 for x, a in inf.dates)]
        for aside in ASIDE_RE.finditer(s.text):
            a0, a1 = s.start + aside.start(), s.start + aside.end()
            rest = self.text[a1:clause.end]
            if a1 >= clause.end or not rest.strip():
                continue
            inside = {id(d) for d, a in inf.dates if a0 <= a < a1}
            later = [d for d, a in inf.dates if a1 <= a < clause.end]
            if inside and (later or V.PRESENT_RE.search(rest)):
                own = [d for d in own if id(d) not in inside]
                text = text.replace(self.text[max(a0, clause.start):a1], " ")
        return own, text

    def _halted_since(self, period: Period, inf: SentenceInfo) -> Period:
        """"Truck traffic halted on Oct. 3": a halt on a day is a state from that day on, up to
        publication (a present state ends there), unless the sentence says it ended ("until",
        "resumed", "for a day", "briefly") or gives a later date."""
        if period.start is None or period.start != period.end or HALT_ENDED_RE.search(inf.sentence.text):
            return period
        if V.DIRECTION_RES["resumed"].search(inf.sentence.text) or len(inf.dates) > 1:
            return period
        end = self._default_end(inf.sentence.paragraph)
        return Period(period.start, end) if end is not None and end > period.end else period

    # --- detectors ------------------------------------------------------------------------------

    def _new(self, clause: Clause, inf: SentenceInfo, kind: str, cls: str, confidence: float,
             focus: str | None = None, **kw) -> Claim:
        period, why = self._period(clause, inf, kind, focus)
        halted = ((kind == "trend" and kw.get("direction") == "halted")
                  or (kind == "absence" and str(kw.get("note")).startswith("halted")))
        if halted and why == "dated" and period is not None:
            period = self._halted_since(period, inf)
        if kind == "price" and why != "dated" and HYPOTHETICAL_RE.search(focus if focus is not None else clause.text):
            period, why = None, "what a vehicle can fetch, not a price observed at a time"
        start, end = period.iso() if period else (None, None)
        dated = why == "dated"
        notes = [n for n in (kw.pop("note", None), None if dated else why) if n]
        claim = Claim(
            quote=clause.text, place=self._place(clause, inf), vehicle_class=cls, kind=kind,
            period_start=start, period_end=end, note="; ".join(notes) or None,
            source_file=self.article.source_file, url=self.article.url, confidence=confidence,
            published=self.article.published_iso, publisher=self.article.publisher, title=self.article.title,
            start=clause.start, end=clause.end, dated=dated, **kw,
        )
        return claim


    def _counted(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:
        """The clause's quantities, with what is said beside them: the types named without a number
        ("About 20 trucks and some cars were parked": cars present) and a change from an earlier level
        ("300 trucks now cross every day, up from about 100 last year")."""
        found = self._quantities(clause, inf, index)
        if found and all(c.kind in QUANTITY_KINDS and c.vehicle_class != V.ANY for c in found):
            counted = {c.vehicle_class for c in found}
            found += [c for c in self._presence(clause, inf, index)
                      if c.kind == "presence" and c.vehicle_class not in counted and c.vehicle_class != V.ANY]
        if found and (COMPARED_FROM_RE.search(clause.text) or LEVEL_CHANGE_RE.search(clause.text)):
            found += [c for c in self._trends(clause, inf, index) if c.kind == "trend"]
        return found

    def run(self) -> list[Claim]:
        for index, inf in enumerate(self.info):
            self._check_time()
            s = inf.sentence
            self.places.note_provinces(s.text)
            for clause in s.clauses:
                found: list[Claim] = [*self._prices(clause, inf, index), *self._proportions(clause, inf, index),
                                      *self._percent_changes(clause, inf, index)]
                shares = [c for c in found if c.kind == "proportion"]
                if not found or all(c.unit == "fraction_change" for c in found) or (
                        len(shares) == len(found) and not V.DESIRE_RE.search(clause.text)):
                    # "exported 1,500 vehicles in 2017, down 40 percent": a count beside its change;
                    # "around 300 taxis operate in the city, most of them sedans": beside its share (not
                    # "every household wanted at least one bike, and now 70% have one": a wish)
                    found = found + self._counted(clause, inf, index)
                elif any(c.kind == "price" for c in found) and PRICE_MOVED_TO_RE.search(clause.text):
                    # "the price of a used Land Cruiser has fallen to about $12,000": the price and its move
                    found = found + [c for c in self._trends(clause, inf, index) if c.kind == "trend"]
                if not found:
                    found = self._absence(clause, inf, index) + self._trends(clause, inf, index)
                if not found:
                    found = self._presence(clause, inf, index)
                if not found:
                    found = self._other(clause, inf, index)
                self.claims.extend(found)
            hits = self.places.hits(s.text, s.start)
            if self.places.strongly_national(s.text):
                self.carried_place = None
            elif hits:
                self.carried_place = first_city(hits)
            for expr, _ in inf.dates:
                period = self._resolve(expr, self.speech_refs.get(s.paragraph, self.reference))
                if period is not None and period.start is not None:
                    self.previous_period = period
        return dedupe(self.claims)


def extract_claims(article: Article, gazetteer=None, time_budget: float = TIME_BUDGET_S) -> list[Claim]:
    """The vehicle claims of one article. ``InputError`` (naming the article) when its text is over
    ``MAX_ARTICLE_CHARS`` or extraction outlasts ``time_budget`` seconds (``ExtractionTimeout``)."""
    if gazetteer is None:
        from borderwatch.geo.gazetteer import load_gazetteer

        gazetteer = load_gazetteer()
    return ArticleExtractor(article, gazetteer, time_budget).run()
