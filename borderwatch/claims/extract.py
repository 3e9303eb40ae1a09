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
from dataclasses import asdict, dataclass, field
from datetime import date

from borderwatch.claims import vocabulary as V
from borderwatch.claims.articles import Article
from borderwatch.claims.dates import Context, DateExpr, Period, Reference, find_dates
from borderwatch.claims.mentions import Mention, classes_of, find_mentions
from borderwatch.claims.numbers import find_amounts, find_percentages, find_quantities
from borderwatch.claims.places import PlaceResolver, first_city
from borderwatch.claims.polarity import AFFIRMED, NEGATED, RARE, may_deny, polarity
from borderwatch.claims.sentences import Clause, Paragraph, Sentence, prose_like, segment
from borderwatch.errors import InputError
from borderwatch.tables import CLAIMS_FIELDS

CURRENCY_UNIT = {"CNY": "yuan", "USD": "usd", "KPW": "kpw", "KRW": "krw", "EUR": "eur", "JPY": "yen", "RUB": "rub"}
# Work per article is linear in its length (sentences.py bounds sentences, tokens and paragraphs);
# the budget is a last guard so that one article can never hold up a batch.
TIME_BUDGET_S = 5.0
MAX_ARTICLE_CHARS = 1_048_576  # 1 MiB of text: far beyond any report (the corpus's longest is 4 KB)
LOOKBACK = 3  # sentences searched for what a generic word or pronoun refers to

IMAGERY_RE = re.compile(
    r"\b(?:photo(?:graph)?(?:s|ed)?|images?|imagery|footage|videos?|pictures?|satellite|taken|captured|filmed)\b",
    re.IGNORECASE,
)
BLANKET_IMAGERY_RE = re.compile(r"^\W*(?:all|these|the)\s+(?:photos|photographs|images|pictures)\b", re.IGNORECASE)
PRICE_CONTEXT_RE = re.compile(
    r"\b(?:price[sd]?|cost[s]?|sell(?:s|ing)?|sold|bought|buy|purchas\w*|fetch\w*|pay|paid|fare[s]?|"
    r"ticket|earn\w*|profit\w*|pocket|make|made|loss|charg\w+|worth|obtained|valued)\b|\beach\b|\bapiece\b",
    re.IGNORECASE,
)
PROFIT_RE = re.compile(r"\b(?:earn\w*|profit\w*|pocket\w*|make|made|margin|gain\w*)\b", re.IGNORECASE)
LOSS_RE = re.compile(r"\b(?:loss\w*|(?<!or )less|hit|below|shortfall)\b", re.IGNORECASE)
RENT_RE = re.compile(r"\b(?:rent\w*|hire[sd]?|hiring|leas(?:e|es|ed|ing))\b", re.I)
RENT_PERIODS = tuple((re.compile(rf"\s*(?:a|per|each|every)\s+{u}\b", re.I), u) for u in ("day", "week", "month", "year", "hour"))
FARE_RE = re.compile(r"\b(?:fares?|ticket|per passenger|per trip)\b", re.IGNORECASE)
LICENSE_RE = re.compile(r"\b(?:licen[cs]es?|permits?|waku|certificates?|registration)\b", re.IGNORECASE)
BRIBE_RE = re.compile(r"\b(?:bribes?|customs office)\b", re.IGNORECASE)
PRONOUN_SUBJECT_RE = re.compile(r"\b(?:it|they|these|those|them|ones|this)\b", re.IGNORECASE)
ELLIPSIS_AFTER_RE = re.compile(
    r"^\s*(?:more\b|of (?:them|these|those|the)\b|(?:were|was|are|is|had|have|turned|came|arrived|remain\w*|stood|sat|"
    r"can|could)\b)",
    re.IGNORECASE,
)
EMPTY_PLACE_RE = re.compile(r"\b(?:empty|deserted|unused|idle|out of use)\b", re.I)
NOT_BEFORE_RE = re.compile(r"\bnot\s+(?:even\s+)?$", re.I)
PRICE_BOUND_RE = re.compile(r"(?:(?P<lower>in excess of|more than|over|at least|upwards of|above)|"
                            r"(?P<upper>up to|as much as|no more than|at most|under|less than|below))\s+$", re.I)
_GOODS = r"(?:kilograms?|kilos?|kg|grams?|litres?|liters?|tons?|tonnes?|sacks?|bags?|pounds?|bottles?|meals?)"
GOODS_PRICE_RE = re.compile(rf"\b(?:a|one|per|each|every)\s+{_GOODS}\s+of\s+[\w\-]+\s+(?:\w+\s+){{0,2}}?$", re.I)
GOODS_AFTER_RE = re.compile(rf"\s*(?:per|a|each)\s+{_GOODS}\b", re.I)
INFRA_SUBJECT_RE = re.compile(r"\b(?:bridges?|(?:border |vehicle |truck )?crossings|crossing points?|customs (?:posts?|areas?|"
                              r"facilit(?:y|ies)|stations?)|checkpoints?|roads?|streets?|highways?|car parks?|parking lots?|"
                              r"yards?)\b(?:(?!\b(?:trade|prices?|demand|relations|exports|imports|goods)\b)[^,;])*$", re.I)
NOT_TRAFFIC_RE = re.compile(r"\b(?:trade|prices?|demand|relations|exports|imports|goods|business|tensions?|security|"
                            r"construction|work|controls?|crackdowns?)\b", re.I)
DATELINE_TAIL_RE = re.compile(r"(?:,?\s+(?:19|20)\d\d)?\s*\([A-Za-z .]+\)\s*(?:--|—|–|-|:)")
THAN_RE = re.compile(r"\b(?:than|compared (?:with|to))\s+(?:in\s+|during\s+)?$", re.I)
MORE_USERS_RE = re.compile(r"\bmore (?:and more )?(?:people|residents|households|families|traders|North Koreans|users|"
                           r"drivers|riders|buyers|owners) (?:are |were |have been )?(?:riding|using|buying|driving|owning|"
                           r"ride|use|buy|drive|own)\b", re.I)
AFTER_EVENT_RE = re.compile(r"\b(?:after|following|since|ending)\s+(?:a|an|the|its|their)?\s*"
                            r"(?:(?!(?:was|were|is|are|had|has|have|been)\b)[\w\-]+\s+){0,3}$", re.I)
# "can be sold for", "stand to gain": a price a vehicle would fetch, observed at no time
HYPOTHETICAL_RE = re.compile(r"\b(?:can|could|would|might|stand(?:s)? to|able to)\b", re.I)
HALTED_STATE_RE = re.compile(r"\b(?:completely|entirely|totally|fully)\b|^\W*since then\b", re.I)
# "N percent of <what>": up to five words after "of" say what the share is of
SHARE_OF_RE = re.compile(r"\s+of\s+((?:[\w’'\-]+\s*){1,5})")
CHANGE_BY_RE = re.compile(r"\bby\s+(?:about\s+|around\s+|roughly\s+|nearly\s+|almost\s+|some\s+|over\s+|more than\s+)?$", re.I)
LOAD_EACH_RE = re.compile(r"(?:\s+[\w\-]+){0,3}?\s+(?:each|apiece|per (?:truck|vehicle|lorry|trip|load)|a (?:truck|trip))\b", re.I)
LOAD_VERB_RE = re.compile(r"\b(?:load\w*|unload\w*|carr(?:y|ies|ied|ying)|haul\w*|transport\w*)\b", re.I)
PRONOUN_ONE_RE = re.compile(r"\s+(?:could|can|would|should|may|might|must|will|has|had|who|that)\b", re.I)
LOAD_RE = re.compile(r"^\s*(?:metric\s+)?(?:tons?|tonnes?|t\b|kilograms?|kg\b)(?:\s+of\s+[\w\-]+)?", re.IGNORECASE)
PEOPLE_RE = re.compile(r"^\s*(?:people|persons|individuals|families|households|men|women|workers|passengers|traders|investors)\b", re.IGNORECASE)
CAPTION_MAX_WORDS = 20
# "... of the vehicles (parked) are/were <class>": the share of one class among all vehicles
CLASS_SHARE_RE = re.compile(
    r"\b(?:of|among)\s+(?:the\s+|all\s+|these\s+)?(?:\w+\s+){0,2}?(?:vehicles|traffic)\b(?:\s+\w+){0,4}?\s+(?:are|were|was|is)\b",
    re.I,
)
ATTRIBUTE_RE = re.compile(r"^\s*(?:\w+\s+)?(?:used|new|second-hand|secondhand|old|chinese|smuggled|imported|foreign|"
                          r"unregistered|private|state-owned|without|with)\b", re.I)
PHOTO_CREDIT_RE = re.compile(r"\.(?:jpe?g|png|gif|webp)\b|\bfile photo\b|\bPhoto by\b|\(Photo\b|\bImagery\s*=|©|ⓒ", re.I)
# "car smugglers are growing frustrated": the vehicle word qualifies people, who are the subject
PERSON_NOUN_RE = re.compile(r"\s+(?:smugglers?|dealers?|traders?|owners?|drivers?|importers?|buyers?|sellers?|"
                            r"investors?|brokers?|companies|company|business|industry)\b", re.I)
REPORTING_RE = re.compile(r"\b(?:tracked|reported|reports|interview(?:s|ed)?|spoke|surveyed|investigat\w+|visited)\b", re.I)
PRONOUN_REACH = 30  # characters between a trend word and the pronoun that carries its subject


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
        return {k: d[k] for k in (*CLAIMS_FIELDS, "source_file", "url", "confidence", "published", "publisher", "title")}


def _opens_sentence(text: str, sentence_start: int, at: int) -> bool:
    """A date at the head of a sentence ("In 2017, ...", "Since then, ...") frames all of it."""
    head = text[sentence_start:at]
    return len(head.split()) <= 4 and not re.search(r"[,;]", head)


# --- the article pass --------------------------------------------------------------------------------

@dataclass
class _SentenceInfo:
    sentence: Sentence
    mentions: list[Mention]
    dates: list[tuple[DateExpr, int]]  # expression and its absolute start offset
    imagery: bool
    linked_activity: bool  # a vehicle word next to smuggling/import words: later "smuggling" refers to it


class ExtractionTimeout(InputError):
    """One article took longer than its time budget; its claims are dropped, the batch goes on."""


class ArticleExtractor:
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
        self.info: list[_SentenceInfo] = []
        for s in self.sentences:
            self._check_time()
            mentions = find_mentions(s.text, s.start)
            # a dateline's date ("SEOUL, Oct. 14 (Yonhap) --") dates the report, not what the sentence says
            dates = [(d, s.start + d.start) for d in find_dates(s.text) if not DATELINE_TAIL_RE.match(s.text, d.end)]
            linked = any(m.kind == "specific" or m.kind == "generic" for m in mentions) and bool(
                V.ACTIVITY_LINK_RE.search(s.text))
            self.info.append(_SentenceInfo(s, mentions, dates, bool(IMAGERY_RE.search(s.text)), linked))
        self.by_paragraph: dict[int, list[_SentenceInfo]] = {}
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
        by_para: dict[int, list[_SentenceInfo]] = {}
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
            if classes:
                return classes
        return None

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

    def _place(self, clause: Clause, inf: _SentenceInfo) -> str | None:
        s = inf.sentence
        if self.places.strongly_national(s.text):
            return None  # "not only in Pyongyang but nationwide"
        sentence_hits = self.places.hits(s.text, s.start)
        hits = [h for h in sentence_hits if clause.start <= h.start < clause.end]
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

    def _period(self, clause: Clause, inf: _SentenceInfo, kind: str, focus: str | None = None) -> tuple[Period | None, str | None]:
        """The claim's period and a note on where it came from. ``focus``: the part of the clause
        that is about this claim, for tense words ("previously made X ... now pocket Y")."""
        s = inf.sentence
        ref = self.speech_refs.get(s.paragraph, self.reference)
        text = focus if focus is not None else clause.text
        own = [d for d, a in inf.dates if clause.start <= a < clause.end]
        if not own and not V.PRESENT_RE.search(text) and not V.VAGUE_PAST_RE.search(text):
            own = [d for d, a in inf.dates if _opens_sentence(self.text, s.start, a)]
        for expr in own:
            period = self._resolve(expr, ref)
            if period is None:
                continue
            if kind == "trend" and THAN_RE.search(self.text[max(s.start, expr.start + s.start - 30):expr.start + s.start]):
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

    # --- detectors ------------------------------------------------------------------------------

    def _new(self, clause: Clause, inf: _SentenceInfo, kind: str, cls: str, confidence: float,
             focus: str | None = None, **kw) -> Claim:
        period, why = self._period(clause, inf, kind, focus)
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

    def _prices(self, clause: Clause, inf: _SentenceInfo, index: int) -> list[Claim]:
        amounts = find_amounts(clause.text)
        if not amounts:
            return []
        out = []
        sentence_mentions = inf.mentions
        clause_mentions = [m for m in sentence_mentions if clause.start <= m.start < clause.end]
        for n, a in enumerate(amounts):
            a_start, a_end = clause.start + a.start, clause.start + a.end
            if GOODS_PRICE_RE.search(clause.text[max(0, a.start - 40):a.start]) or GOODS_AFTER_RE.match(clause.text, a.end):
                continue  # "a kilogram of rice selling for KPW 5,000": the price of something else
            focus = clause.text[(amounts[n - 1].end if n else 0):a.end]
            after = clause.text[a.end:a.end + 40]
            after = re.sub(r"^\s*(?:\([^)]*\)|\[[^\]]*\])", "", after)
            per = re.match(r"^\s*(?:per|each|a|for each|for every|every)\s+(\S+(?:\s+\S+)?)", after, re.I)
            classes: list[str] = []
            inferred = False
            if per:
                ms = find_mentions(per.group(1))
                classes, inferred = self._class_of(ms, index, allow_activity=False)
            if not classes:
                before = [m for m in clause_mentions if m.end <= a_start and m.kind != "activity"]
                after_m = [m for m in clause_mentions if m.start >= a_end and m.kind != "activity"]
                pick = before[-1:] or after_m[:1]
                if pick:
                    classes, inferred = self._class_of(pick, index, allow_activity=False)
            if not classes:
                others = [m for m in sentence_mentions if m.kind != "activity"]
                if others:
                    nearest = min(others, key=lambda m: abs(m.start - a_start))
                    classes, inferred = self._class_of([nearest], index, allow_activity=False)
            if not classes and PRICE_CONTEXT_RE.search(inf.sentence.text):
                classes = self._lookbackclasses_of(index) or []
                inferred = True
            if not classes:
                continue
            cur = CURRENCY_UNIT.get(a.currency, a.currency.lower())
            # what the amount is (fare, licence, profit, loss): said before it in the sentence or
            # just after it ("... 20,000 yuan less")
            window = self.text[inf.sentence.start:a_end] + clause.text[a.end:a.end + 12]
            if FARE_RE.search(window):
                unit = f"{cur}_per_passenger_trip"
            elif RENT_RE.search(window):
                unit = f"{cur}_rent_per_vehicle" + next((f"_per_{u}" for rx, u in RENT_PERIODS if rx.match(clause.text, a.end)), "")
            elif BRIBE_RE.search(window):
                unit = f"{cur}_bribe_per_vehicle"
            elif LICENSE_RE.search(window):
                unit = f"{cur}_per_vehicle_license"
            elif PROFIT_RE.search(window):
                unit = f"{cur}_profit_per_vehicle"
            elif LOSS_RE.search(window):
                unit = f"{cur}_per_vehicle_below_import_cost"
            else:
                unit = f"{cur}_per_vehicle"
            note = "former price (changed from)" if a.change_from else None
            value, low, high = a.value, a.low, a.high
            bound = PRICE_BOUND_RE.search(clause.text[max(0, a.start - 25):a.start])
            if bound and value is not None:
                # "a price in excess of KPW 4 million", "up to $5,000": a bound on the price
                value, low, high = (None, value, None) if bound.group("lower") else (None, None, value)
            out.append(self._new(clause, inf, "price", self._one_class(classes), 0.85 - 0.15 * inferred, focus=focus,
                                 value=value, low=low, high=high, unit=unit, currency=a.currency, note=note))
        return out

    def _share_of_other(self, clause: Clause, end: int) -> bool:
        """"70 percent of North Korea's trade": the share is of something that is not vehicles."""
        of = SHARE_OF_RE.match(clause.text, end)
        if not of:
            return False
        ms = find_mentions(of.group(1))
        return not any(m.kind in ("specific", "generic") for m in ms) and not PRONOUN_SUBJECT_RE.search(of.group(1))

    def _percent_changes(self, clause: Clause, inf: _SentenceInfo, index: int) -> list[Claim]:
        """"traffic decreased by about 88 percent", "fell by half": a trend whose size is given."""
        out = []
        for sh in find_percentages(clause.text):
            head = clause.text[max(0, sh.start - 60):sh.start]
            if not CHANGE_BY_RE.search(head):
                continue
            direction = next((d for d in ("decrease", "increase") if V.DIRECTION_RES[d].search(head)), None)
            if direction is None:
                continue
            mentions = [m for m in inf.mentions if clause.start <= m.start < clause.start + sh.start]
            classes, inferred = self._class_of(mentions, index)
            if not classes:
                continue
            out.append(self._new(clause, inf, "trend", self._one_class(classes), 0.7 - 0.1 * inferred,
                                 direction=direction, value=sh.value, low=sh.low, high=sh.high, unit="fraction_change"))
        return out

    def _proportions(self, clause: Clause, inf: _SentenceInfo, index: int) -> list[Claim]:
        shares = [(s.value, s.low, s.high, "percentage") for s in find_percentages(clause.text)
                  if not self._share_of_other(clause, s.end)
                  and not CHANGE_BY_RE.search(clause.text[max(0, s.start - 60):s.start])]
        if not shares:
            for rx, value, low, high in V.QUANTIFIER_RES:
                for m in rx.finditer(clause.text):
                    at = clause.start + m.end()
                    opens = not clause.text[:m.start()].strip(" \"“'‘")
                    near = any(0 <= x.start - at <= 30 for x in inf.mentions if x.kind != "activity")
                    if opens or near:
                        shares.append((value, low, high, m.group(0).strip().lower()))
                        break
                if shares:
                    break
        if not shares:
            return []
        mentions = [m for m in inf.mentions if clause.start <= m.start < clause.end]
        classes, inferred = self._class_of(mentions, index, allow_activity=False)
        if not classes:
            classes = self._lookbackclasses_of(index) or ([V.ANY] if self._generic_before(index) else [])
            inferred = True
        if not classes:
            return []
        value, low, high, what = shares[0]
        attr = re.search(r"\b(?:had|have|has|lack|lacked|with|without)\s+(?:\w+\s+)?(licen[cs]e plates?|plates?)\b", clause.text, re.I)
        unit = "fraction_with_license_plates" if attr else "fraction"
        share_of = CLASS_SHARE_RE.search(clause.text)
        if share_of and not attr and classes_of(mentions) and not ATTRIBUTE_RE.search(clause.text[share_of.end():]):
            unit = "class_share"  # "most of the vehicles parked were trucks": a share imagery can count
        if attr and re.search(r"\black", clause.text, re.I) and value is not None:
            value = 1.0 - value
        return [self._new(clause, inf, "proportion", self._one_class(classes), 0.7 - 0.1 * inferred,
                          value=value, low=low, high=high, unit=unit, note=f"'{what}'")]

    def _quantities(self, clause: Clause, inf: _SentenceInfo, index: int) -> list[Claim]:
        text = clause.text
        money = [(a.start, a.end) for a in find_amounts(text)] + [(p.start, p.end) for p in find_percentages(text)]
        out = []
        mentions = [m for m in inf.mentions if m.kind != "activity"]
        consumed: list[tuple[int, int]] = []
        for q in find_quantities(text):
            if any(q.start < e and s < q.end for s, e in money + consumed):
                continue
            if NOT_BEFORE_RE.search(text[max(0, q.start - 12):q.start]):
                continue  # "not a single lorry", "not one truck": absence, not a count
            if q.text.lower() == "one" and PRONOUN_ONE_RE.match(text, q.end):
                continue  # "one could buy ...": the pronoun, not a number
            if re.match(r"^\s*(?:times|years?|days?|months?|weeks?|hours?|km|kilometers|inch|cc|%|percent)\b", text[q.end:], re.I):
                continue
            if re.match(r"^[\-–]\w", text[q.end:]) or re.search(r"[\w\-]$", text[:q.start]) and text[q.start - 1:q.start] == "-":
                continue
            abs_end = clause.start + q.end
            # the vehicle word the quantity counts: within four words after it
            target = None
            for m in mentions:
                if abs_end <= m.start <= abs_end + 60:
                    gap = self.text[abs_end:m.start]
                    if re.fullmatch(r"(?:\s+(?:of\s+)?(?:the\s+)?(?:[\w’'\-]+\s+){0,4}?)|\s*", gap) and not re.search(r"[,.;:()]|\d", gap):
                        target = m
                    break
            unit = "vehicles"
            people = PEOPLE_RE.match(text[q.end:])
            load = LOAD_RE.match(text[q.end:])
            if load and not (LOAD_EACH_RE.match(text, q.end + load.end()) or LOAD_VERB_RE.search(text[max(0, q.start - 40):q.start])):
                continue  # "800 kilograms of rice": a measure of goods, neither vehicles nor a load per vehicle
            if load and target is None:
                # "unload about 40 tons of cargo each": a load per vehicle, not a count of vehicles
                prior = [m for m in mentions if m.end <= clause.start + q.start and m.start >= inf.sentence.start]
                classes, inferred = self._class_of(prior[-1:], index) if prior else (self._lookbackclasses_of(index) or [], True)
                if not classes:
                    continue
                kind = "approximate" if q.kind in ("count", "approximate") and q.value is not None else q.kind
                per = self._one_class(classes)
                out.append(self._new(clause, inf, kind, per, 0.6 - 0.1 * inferred, value=q.value, low=q.low,
                                     high=q.high, unit=f"tonnes_cargo_per_{'vehicle' if per == V.ANY else per}",
                                     note="load per vehicle, not a vehicle count"))
                continue
            if people:
                # "3-5 people buy one car": people per vehicle
                per = re.search(r"\b(?:one|a single|each|per|every)\s+(\w+(?:\s\w+)?)", text[q.end:q.end + 80], re.I)
                ms = find_mentions(per.group(1)) if per else []
                if not classes_of(ms):
                    continue
                consumed.append((q.end + per.start(), q.end + per.end()))
                unit = f"{people.group(0).strip().lower()}_per_vehicle"
                classes, inferred = classes_of(ms), False
                target = None
            elif target is None:
                if q.word_one or not ELLIPSIS_AFTER_RE.match(text[q.end:]):
                    continue
                prior = [m for m in mentions if m.end <= clause.start + q.start and m.start >= inf.sentence.start]
                if prior:
                    classes, inferred = self._class_of(prior[-1:], index)
                else:
                    classes, inferred = self._lookbackclasses_of(index) or [], True
                if not classes:
                    continue
            else:
                if target.kind == "specific" and target.cls:
                    classes, inferred = [target.cls], False
                else:
                    classes, inferred = self._class_of([target], index)
            if q.value == 1 and q.kind == "count" and re.match(r"\s+of\b", text[q.end:]):
                continue  # "one of the North's models": a partitive, not a count
            if q.word_one and (target is None or target.kind != "specific"):
                continue  # "another unidentified model": no vehicle word to count
            kind = q.kind
            negation = V.NEGATION_RE.search(text[max(0, q.start - 60):q.start])
            if negation and kind == "lower_bound":
                q = q.negated()
                kind = q.kind
            if unit == "vehicles":
                for rx, u in V.PER_UNIT_RES:
                    if rx.search(text):
                        unit = u
                        break
            flow = bool(V.FLOW_VERB_RE.search(text))
            if flow and unit == "vehicles":
                # "10 cars arrived last week": an inflow over that period
                unit = next((u for rx, u in V.FLOW_PERIOD_RES if rx.search(text)), "vehicles_arrived")
            notes = []
            if q.vague:
                notes.append(f"'{q.text.strip()}'")
            if flow:
                notes.append("flow: vehicles that came in")
            conf = 0.85 - 0.15 * inferred - 0.1 * q.vague - 0.2 * (q.value == 1 and q.kind == "count")
            out.append(self._new(clause, inf, kind, self._one_class(classes), conf, value=q.value, low=q.low,
                                 high=q.high, unit=unit, note="; ".join(notes) or None))
        return out

    def _trends(self, clause: Clause, inf: _SentenceInfo, index: int) -> list[Claim]:
        text = clause.text
        triggers: list[tuple[int, int, str]] = []
        for direction, rx in V.DIRECTION_RES.items():
            for m in rx.finditer(text):
                if not any(m.start() < e and s < m.end() for s, e, _ in triggers):
                    triggers.append((m.start(), m.end(), direction))
        clause_mentions = [m for m in inf.mentions if clause.start <= m.start < clause.end]
        for m in V.MORE_RE.finditer(text):
            rest = text[m.end():m.end() + 40]
            if re.match(r"\s+than\b", rest):
                continue
            nxt = next((x for x in clause_mentions if x.kind != "activity" and clause.start + m.end() <= x.start <= clause.start + m.end() + 25), None)
            between = self.text[clause.start + m.end():nxt.start].split() if nxt else []
            if nxt and all(w.lower() in V.MORE_ADJECTIVES for w in between) and len(between) <= 1 and not any(m.start() < e and s < m.end() for s, e, _ in triggers):
                triggers.append((m.start(), m.end(), "increase"))
        for m in MORE_USERS_RE.finditer(text):
            # "with more people riding electric bikes": more of the vehicles in use
            if any(x.kind == "specific" and 0 <= x.start - (clause.start + m.end()) <= 25 for x in clause_mentions) \
                    and not any(m.start() < e and s < m.end() for s, e, _ in triggers):
                triggers.append((m.start(), m.end(), "increase"))
        if not triggers:
            return []
        desire = V.DESIRE_RE.search(text)
        if desire:
            # "they want to import more vehicles": a wish, not a change
            triggers = [t for t in triggers if t[0] < desire.start()]
            if not triggers:
                return []
        triggers.sort()
        out = []
        seen: set[str] = set()
        for i, (ts, te, direction) in enumerate(triggers):
            prev_end = triggers[i - 1][1] if i else 0
            next_start = triggers[i + 1][0] if i + 1 < len(triggers) else len(text)
            before = [m for m in clause_mentions if prev_end <= m.end - clause.start <= ts and ts - (m.end - clause.start) <= 60
                      and not PERSON_NOUN_RE.match(self.text, m.end)]
            if before and "," in self.text[before[-1].end:clause.start + ts]:
                before = []  # "what few cars came by, are now looking busier": the cars are not the subject
            after = [m for m in clause_mentions if te <= m.start - clause.start <= min(next_start, te + 50)]
            chosen = before[-1:] or after[:1]
            if chosen and chosen[0].kind != "specific":
                # a generic or activity word: take the specific words of the clause if any
                specific = [m for m in clause_mentions if m.kind == "specific"]
                if specific:
                    chosen = specific
            classes, inferred = self._class_of(chosen, index) if chosen else ([], False)
            if chosen and chosen[0].kind == "specific":
                near = [m for m in clause_mentions if m.kind == "specific"
                        and abs((m.start - clause.start) - ts) <= 120]
                classes = classes_of(near) or classes
            near_pronoun = any(abs(p.start() - ts) <= PRONOUN_REACH or abs(p.start() - te) <= PRONOUN_REACH
                               for p in PRONOUN_SUBJECT_RE.finditer(text))
            if not classes and not clause_mentions and near_pronoun:
                others = [m for m in inf.mentions if not (clause.start <= m.start < clause.end)]
                if others:
                    classes, inferred = self._class_of(others, index)
            if (not classes and not clause_mentions and INFRA_SUBJECT_RE.search(text[max(0, ts - 50):ts])
                    and not NOT_TRAFFIC_RE.search(text[:ts])):
                # "the bridge has gone quiet", "crossings at Sinuiju picked up again": traffic at a place
                classes, inferred = [V.ANY], True
            if not classes and not text[ts:te].lower().endswith("ed") and AFTER_EVENT_RE.search(text[max(0, ts - 30):ts]):
                # "Trucks have resumed ... after a roughly two-year shutdown": the earlier state of the
                # clause's own vehicles
                classes = classes_of([m for m in clause_mentions if m.kind == "specific"])
            if not classes:
                continue
            key = direction
            if key in seen:
                continue
            seen.add(key)
            cls = self._one_class(classes)
            note, subject = None, "numbers"
            what = re.search(r"\b(price|prices|cost|costs|demand|fares?|interest)\b", text, re.I)
            if what:
                subject = "demand" if what.group(1).lower() in ("demand", "interest") else "price"
                note = f"{what.group(1).lower()} {direction}, not vehicle numbers"
            if direction == "halted" and subject == "numbers" and HALTED_STATE_RE.search(text):
                # "China has suspended vehicle exports since then", "were completely cut off": a state
                # of no vehicles over the period, not a change within it
                out.append(self._new(clause, inf, "absence", cls, 0.6, note="halted: none over the period"))
                continue
            claim = self._new(clause, inf, "trend", cls, 0.7 - 0.1 * inferred, direction=direction, note=note)
            claim.subject = subject
            out.append(claim)
        return out

    def _absence(self, clause: Clause, inf: _SentenceInfo, index: int) -> list[Claim]:
        mentions = [x for x in inf.mentions if clause.start <= x.start < clause.end and x.kind != "activity"]
        # "No excavators were seen", "not a single lorry", "trucks were nowhere to be seen"
        denied = [x for x in mentions if self._polarity(clause, x) == NEGATED]
        if denied:
            classes = classes_of(denied) or self._class_of(denied, index)[0]
            return [self._new(clause, inf, "absence", c, 0.65) for c in (classes or [V.ANY])]
        m = V.ABSENCE_RE.search(clause.text)
        if not m or re.match(r"-", clause.text[m.end():]):
            return []
        classes = classes_of(mentions)
        if classes and EMPTY_PLACE_RE.search(m.group(0)):
            return []  # "old buses plying the country's empty roads": the buses are there
        if not classes and not V.ROAD_WORDS_RE.search(inf.sentence.text):
            return []  # "the bridge ... but has remained unused": the road may be in the other clause
        return [self._new(clause, inf, "absence", self._one_class(classes) if classes else V.ANY, 0.6)]

    @staticmethod
    def _polarity(clause: Clause, mention: Mention) -> str:
        if not may_deny(clause.text):
            return AFFIRMED
        return polarity(clause.text, mention.start - clause.start, mention.end - clause.start)

    def _presence(self, clause: Clause, inf: _SentenceInfo, index: int) -> list[Claim]:
        mentions = [m for m in inf.mentions if clause.start <= m.start < clause.end and m.kind != "activity"]
        if not mentions:
            return []
        rare = [m for m in mentions if self._polarity(clause, m) == RARE]
        if rare:
            # "Buses are rarely seen": neither presence nor absence; kept as an observation
            classes = classes_of(rare) or self._class_of(rare, index)[0] or [V.ANY]
            return [self._new(clause, inf, "other", c, 0.5, note="rarely seen: neither presence nor absence")
                    for c in classes]
        mentions = [m for m in mentions if self._polarity(clause, m) != NEGATED]
        if not mentions:
            return []
        s = inf.sentence
        para = self.paragraphs[s.paragraph]
        cut_end = self.article.text_truncated and para.index == self.paragraphs[-1].index
        caption = (s.kind == "fragment" and len(para.text(self.text).split()) <= CAPTION_MAX_WORDS and not cut_end
                   and any(m.kind == "specific" for m in mentions))
        if not caption and not self._presence_cue(clause, mentions):
            return []
        desire = V.DESIRE_RE.search(clause.text)
        if desire and desire.start() < mentions[0].end - clause.start + 20:
            return []  # "residents want electric bikes"; not "trucks ... are evidence of the demand"
        classes = classes_of(mentions)
        inferred = False
        if not classes:
            classes, inferred = self._class_of(mentions, index)
            classes = [self._one_class(classes)] if classes else []
        return [self._new(clause, inf, "presence", c, (0.55 if caption else 0.65) - 0.1 * inferred) for c in classes]

    def _presence_cue(self, clause: Clause, mentions: list[Mention]) -> bool:
        """A verb saying vehicles were there, tied to a vehicle word: its object just after it
        ("importing motor vehicles") or its subject before it ("cars ... lined up"). A vehicle word
        right before the cue makes a compound noun ("car smuggling"), not a statement."""
        for m in V.PRESENCE_RE.finditer(clause.text):
            cs, ce = clause.start + m.start(), clause.start + m.end()
            if V.NOUN_LIKE_CUES_RE.match(m.group(0)) and any(0 <= cs - x.end <= 1 for x in mentions):
                continue
            if V.CUE_BLOCKERS_RE.search(clause.text[:m.start()]) and not V.CUE_NOUN_PHRASES_RE.match(m.group(0)):
                continue
            if V.MOVEMENT_CUES_RE.match(m.group(0)) and not V.LOCATIVE_RE.search(clause.text):
                continue
            if m.group(0).lower().endswith("ed") and any(0 <= x.start - ce <= 1 for x in mentions):
                continue  # "imported cars", "smuggled vehicles": an adjective, not a statement
            if any(0 <= x.start - ce <= 40 or cs <= x.start < ce for x in mentions):
                return True  # the object after the cue, or inside it ("left the diesel buses in their garage")
            before = [x for x in mentions if 0 <= cs - x.end <= 60]
            if before and ("," not in self.text[before[-1].end:cs] or self._apposition(before, cs)):
                return True  # the subject, not a word in an earlier clause ("the cars ..., as the image shows")
        return False

    def _other(self, clause: Clause, inf: _SentenceInfo, index: int) -> list[Claim]:
        """An observation about vehicles that is none of the other kinds: quality, preference,
        comparison, use, shortage (``vocabulary.OTHER_CUES``), said of a vehicle word in the clause."""
        m = V.OTHER_RE.search(clause.text)
        if not m or inf.sentence.kind != "prose":
            return []
        mentions = [x for x in inf.mentions if clause.start <= x.start < clause.end and x.kind != "activity"]
        classes, inferred = self._class_of(mentions, index, allow_activity=True)
        if not classes:
            return []
        what = next(k for k, v in m.groupdict().items() if v)
        cls = self._one_class(classes)
        s = inf.sentence
        if any(c.kind == "other" and c.vehicle_class == cls and s.start <= c.start < s.end for c in self.claims):
            return []  # one observation per sentence: its clauses say one thing about these vehicles
        return [self._new(clause, inf, "other", cls, 0.45 - 0.1 * inferred, note=what)]

    def _apposition(self, before: list[Mention], cue_start: int) -> bool:
        """"Chinese luxury cars, BYDs, lined up": the commas only separate vehicle words of one subject."""
        last_comma = self.text.rfind(",", before[-1].end, cue_start)
        if last_comma < 0 or self.text[last_comma + 1:cue_start].strip():
            return False
        start = before[0].start
        gaps = self.text[start:last_comma]
        for m in reversed(before):
            gaps = gaps[:m.start - start] + " " + gaps[m.end - start:]
        return re.fullmatch(r"[\s,]*(?:(?:and|or|[\w\-]+)\s*[\s,]*){0,3}", gaps) is not None

    # --- driver ----------------------------------------------------------------------------------

    def run(self) -> list[Claim]:
        for index, inf in enumerate(self.info):
            self._check_time()
            s = inf.sentence
            self.places.note_provinces(s.text)
            for clause in s.clauses:
                found: list[Claim] = [*self._prices(clause, inf, index), *self._proportions(clause, inf, index),
                                      *self._percent_changes(clause, inf, index)]
                if not found:
                    found = self._quantities(clause, inf, index)
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


def _key(c: Claim) -> tuple:
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
        k = _key(c)
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


def extract_claims(article: Article, gazetteer=None, time_budget: float = TIME_BUDGET_S) -> list[Claim]:
    """The vehicle claims of one article. ``InputError`` (naming the article) when its text is over
    ``MAX_ARTICLE_CHARS`` or extraction outlasts ``time_budget`` seconds (``ExtractionTimeout``)."""
    if gazetteer is None:
        from borderwatch.geo.gazetteer import load_gazetteer

        gazetteer = load_gazetteer()
    return ArticleExtractor(article, gazetteer, time_budget).run()
