"""Detectors of what a clause measures: prices, proportions, percentage changes and quantities
(count, range, bounds, approximate) bound to a vehicle word. A mixin of ``ArticleExtractor``
(extract.py), which supplies the class, place and period of each claim."""

from __future__ import annotations

import re
from dataclasses import dataclass

from borderwatch.claims import vocabulary as V
from borderwatch.claims.claim import Claim, SentenceInfo
from borderwatch.claims.cues import (
    ATTRIBUTE_RE,
    BRIBE_RE,
    CAPACITY_BEFORE_RE,
    CHANGE_BY_RE,
    CHANGED_FROM_BEFORE_RE,
    CHANGED_TO_BEFORE_RE,
    CLASS_SHARE_RE,
    CLAUSE_END_AFTER_RE,
    COMPARED_AFTER_RE,
    COPULA_BEFORE_RE,
    COPULA_END_RE,
    CURRENCY_UNIT,
    ELLIPSIS_AFTER_RE,
    FARE_RE,
    GOODS_AFTER_RE,
    GOODS_PRICE_RE,
    LICENSE_RE,
    LOAD_EACH_RE,
    LOAD_RE,
    LOAD_VERB_RE,
    LOSS_RE,
    NOT_BEFORE_RE,
    NUMBER_OF_RE,
    NUMBER_VERB_BEFORE_RE,
    PEOPLE_RE,
    POST_BOUND_RE,
    PRICE_BOUND_RE,
    PRICE_CONTEXT_RE,
    PROFIT_RE,
    PRONOUN_ONE_RE,
    PRONOUN_SUBJECT_RE,
    RENT_PERIODS,
    RENT_RE,
    SHARE_OF_RE,
    THERE_ARE_BEFORE_RE,
    WAGE_RE,
)
from borderwatch.claims.mentions import Mention, classes_of, find_mentions
from borderwatch.claims.numbers import VERB_HEDGE, Quantity, find_amounts, find_percentages, find_quantities
from borderwatch.claims.polarity import NEGATED_SEEING_RE
from borderwatch.claims.sentences import Clause

VERB_HEDGE_RE = re.compile(rf"(?:{VERB_HEDGE})\s+", re.I)


def _after_verb_hedge(q) -> int:
    """Where "the number of cars ... exceeds 10,000" has its verb: a verb-like hedge ("exceeds",
    "topped") opens the quantity itself, so the verb the subject needs ends inside it."""
    verb = VERB_HEDGE_RE.match(q.text)
    return q.start + verb.end() if verb else q.start


@dataclass(frozen=True)
class _Counted:
    """What one quantity counts: its classes, whether they were inferred, the unit, the vehicle word."""

    classes: list[str]
    inferred: bool
    unit: str = "vehicles"
    target: Mention | None = None
    # "3-5 people buy one car": clause offsets of "one car", which is then no count of its own
    per_span: tuple[int, int] | None = None


# A verb or relative word between a number and a vehicle word ends the number's noun phrase: "checking
# each one to identify imported vehicles", "in another word that the costly taxi" count nothing.
PER_CAPITA_RE = re.compile(r"\s+(?:per|for every|for each|every|to every|in every)\s+(?:[\d,]+\s+|one\s+|a\s+|\w+\s+hundred\s+)?"
                           r"(?:households?|famil(?:y|ies)|persons?|people|residents?|inhabitants?|citizens?|capita|head|"
                           r"drivers?|licen[cs]ed drivers?)\b", re.I)
CHANGE_AMOUNT_BEFORE_RE = re.compile(r"\b(?:increases?|rises?|jumps?|hikes?|drops?|falls?|declines?|cuts?|discounts?|"
                                     r"premiums?)\s+of\s+(?:about\s+|around\s+|some\s+|nearly\s+|up to\s+)?$", re.I)
CHANGE_AMOUNT_AFTER_RE = re.compile(r"\s*(?:\([^)]*\)\s*)?(?:jump|increase|rise|hike|drop|fall|decline|cut|discount|premium|"
                                    r"markup|mark-up)s?\b", re.I)
EXCHANGE_RATE_BEFORE_RE = re.compile(r"\b(?:exchange|market|conversion)\s+rates?\s+(?:of|at|is|was|stood at|stands at)\s+(?:about\s+|around\s+)?$", re.I)
EXCHANGE_RATE_AFTER_RE = re.compile(r"\s*(?:to|per|for|against|=)\s+(?:the|one|1|a|each)?\s*(?:U\.?S\.?\s+)?(?:dollars?|yuan|renminbi|euros?|yen|rubles?|roubles?|won|\$|USD|CNY|RMB)\b", re.I)
PEOPLE_SHARE_RE = re.compile(r"\s*(?:(?:the|these|those|its|their)\s+)?(?:[\w\-]+\s+)?(?:people|persons|individuals|families|"
                             r"households|residents|citizens|buyers|sellers|owners|drivers|traders|merchants|smugglers|"
                             r"investors|officials|workers|customers|passengers|riders|users|donju|locals)\b", re.I)
GAP_CLAUSE_WORD_RE = re.compile(r"\b(?:to|that|which|who|whom|whose|is|are|was|were|be|been|has|have|had|will|would|"
                                r"could|can|should|may|might|must|said|says)\b", re.I)


def _not_a_count(text: str, q: Quantity) -> bool:
    """The number is no count of vehicles whatever follows it."""
    if NOT_BEFORE_RE.search(text[max(0, q.start - 12):q.start]) or (
            q.word_one and NEGATED_SEEING_RE.search(text[max(0, q.start - 60):q.end] + " ")):
        return True  # "not a single lorry", "not one truck": absence, not a count
    if CHANGED_FROM_BEFORE_RE.search(text[max(0, q.start - 60):q.start]):
        return True  # "dropped from 12 to just three": 12 was the level before, not what is there now
    if CAPACITY_BEFORE_RE.search(text[max(0, q.start - 40):q.start]):
        return True  # "a parking area large enough for about 100 vehicles": room for them, not vehicles seen
    if q.text.lower() == "one" and PRONOUN_ONE_RE.match(text, q.end):
        return True  # "one could buy ...": the pronoun, not a number
    if re.match(r"^\s*(?:times|years?|days?|months?|weeks?|hours?|km|kilometers|inch|cc|%|percent)\b", text[q.end:], re.I):
        return True
    return bool(re.match(r"^[\-–]\w", text[q.end:]) or re.search(r"[\w\-]$", text[:q.start]) and text[q.start - 1:q.start] == "-")


def _not_a_load_per_vehicle(text: str, q: Quantity, load_end: int, target: Mention | None, out: list[Claim]) -> bool:
    """A weight after the number (``load_end`` past its end) that is not what each vehicle carries."""
    each = LOAD_EACH_RE.match(text, q.end + load_end)
    if not (each or LOAD_VERB_RE.search(text[max(0, q.start - 40):q.start])):
        return True  # "800 kilograms of rice": a measure of goods, neither vehicles nor a load per vehicle
    # "the convoy of 30 trucks carried 600 tonnes": the convoy's cargo, not a load per truck
    return target is None and not each and any(c.unit and c.unit.startswith("vehicles") for c in out)


def _people_per_vehicle(text: str, q: Quantity, people: str) -> _Counted | None:
    """"3-5 people buy one car": people per vehicle, when a vehicle word follows."""
    per = re.search(r"\b(?:one|a single|each|per|every)\s+(\w+(?:\s\w+)?)", text[q.end:q.end + 80], re.I)
    ms = find_mentions(per.group(1)) if per else []
    if not classes_of(ms):
        return None
    return _Counted(classes_of(ms), False, unit=f"{people.strip().lower()}_per_vehicle",
                    per_span=(q.end + per.start(), q.end + per.end()))


def _stands_for_vehicles(text: str, q: Quantity) -> bool:
    """A number with no vehicle word after it that still counts vehicles named before it."""
    elided = (THERE_ARE_BEFORE_RE.search(text[:q.start]) is not None
              and CLAUSE_END_AFTER_RE.match(text, q.end) is not None)
    # "the number of trucks ... dropped from 12 to just three": the level it changed to
    elided = elided or CHANGED_TO_BEFORE_RE.search(text[max(0, q.start - 100):q.start]) is not None
    return not (q.word_one or not (ELLIPSIS_AFTER_RE.match(text[q.end:]) or NUMBER_VERB_BEFORE_RE.search(text[:q.start])
                                   or elided))


def _partitive_or_nameless(text: str, q: Quantity, target: Mention | None) -> bool:
    if q.value == 1 and q.kind == "count" and re.match(r"\s+of\b", text[q.end:]):
        return True  # "one of the North's models": a partitive, not a count
    return q.word_one and (target is None or target.kind != "specific")  # "another unidentified model": no vehicle word to count


def _count_unit(text: str, unit: str) -> tuple[str, bool]:
    """(unit, flow): a count per period ("a day") or an inflow ("arrived") rather than vehicles there."""
    if unit == "vehicles":
        unit = next((u for rx, u in V.PER_UNIT_RES if rx.search(text)), unit)
    # "at the Quanhe crossing": a named crossing is a place, not vehicles crossing
    flow = any(not (f.group(0).lower() == "crossing" and re.search(r"\b[A-Z][\w’'\-]+\s+$", text[:f.start()]))
               for f in V.FLOW_VERB_RE.finditer(text))
    if flow and unit == "vehicles":
        # "10 cars arrived last week": an inflow over that period
        unit = next((u for rx, u in V.FLOW_PERIOD_RES if rx.search(text)), "vehicles_arrived")
    return unit, flow


class MeasureDetectors:
    """Prices, proportions, percentage changes and quantities of one clause."""

    def _prices(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:  # noqa: C901 - one branch per price cue
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
            if CHANGE_AMOUNT_BEFORE_RE.search(clause.text[max(0, a.start - 30):a.start]) or CHANGE_AMOUNT_AFTER_RE.match(clause.text, a.end):
                continue  # "increases of 20,000 yuan", "a 15,000 yuan jump": how much a price moved, no price
            if EXCHANGE_RATE_BEFORE_RE.search(clause.text[max(0, a.start - 40):a.start]) or EXCHANGE_RATE_AFTER_RE.match(clause.text, a.end):
                continue  # "at the unofficial exchange rate of 8,000 won to the dollar": a rate, no price
            focus = clause.text[(amounts[n - 1].end if n else 0):a.end]
            after = clause.text[a.end:a.end + 40]
            after = re.sub(r"^\s*(?:\([^)]*\)|\[[^\]]*\])", "", after)
            per = re.match(r"^\s*(?:per|each|a|for each|for every|every)\s+(\S+(?:\s+\S+)?)", after, re.I)
            per_vehicle = per is not None and any(m.kind == "specific" for m in find_mentions(per.group(1)))
            if WAGE_RE.search(clause.text[max(0, a.start - 40):a.start]) and not per_vehicle:
                # "truck drivers are paid 500 yuan per trip": a wage, not what a vehicle costs; but
                # "smugglers earn 2,000 yuan per truck" is what each vehicle brings in
                continue
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

    def _percent_changes(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:
        """"traffic decreased by about 88 percent", "fell by half": a trend whose size is given."""
        out = []
        for sh in find_percentages(clause.text):
            head = clause.text[max(0, sh.start - 60):sh.start]
            compared = COMPARED_AFTER_RE.match(clause.text, sh.end)
            if not CHANGE_BY_RE.search(head) and not compared:
                continue
            headline = re.search(r"\b(up|down)\s+\S*\s*$", head, re.I)
            if compared:
                direction = "increase" if compared.group("up") else "decrease"
            elif headline:
                direction = "increase" if headline.group(1).lower() == "up" else "decrease"
            else:
                direction = next((d for d in ("decrease", "increase") if V.DIRECTION_RES[d].search(head)), None)
            if direction is None:
                continue
            mentions = [m for m in inf.mentions if clause.start <= m.start < clause.start + sh.start]
            if compared and not mentions:
                # "20 percent more trucks crossed than ...": the vehicle word follows the comparative
                mentions = [m for m in inf.mentions if clause.start + compared.end() <= m.start <= clause.start + compared.end() + 30]
            if not mentions:
                # ", down 40 percent from a year earlier": the clause before names what changed
                mentions = [m for m in inf.mentions if inf.sentence.start <= m.start < clause.start]
            classes, inferred = self._class_of(mentions, index)
            if not classes:
                continue
            out.append(self._new(clause, inf, "trend", self._one_class(classes), 0.7 - 0.1 * inferred,
                                 direction=direction, value=sh.value, low=sh.low, high=sh.high, unit="fraction_change"))
        return out

    def _proportions(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:
        shares = [(s.value, s.low, s.high, _share_note(clause.text[s.start:s.end])) for s in find_percentages(clause.text)
                  if not self._share_of_other(clause, s.end)
                  and not CHANGE_BY_RE.search(clause.text[max(0, s.start - 60):s.start])
                  and not COMPARED_AFTER_RE.match(clause.text, s.end)]
        if not shares:
            for rx, value, low, high in V.QUANTIFIER_RES:
                for m in rx.finditer(clause.text):
                    if PEOPLE_SHARE_RE.match(clause.text, m.end()):
                        continue  # "most of the individuals bringing in used vehicles": a share of people
                    at = clause.start + m.end()
                    opens = not clause.text[:m.start()].strip(" \"“'‘")
                    near = any(0 <= x.start - at <= 30 for x in inf.mentions if x.kind != "activity")
                    # "the trucks crossing the bridge are mainly Chinese": a share of the subject
                    near = near or (COPULA_END_RE.search(clause.text[:m.start()]) is not None and any(
                        clause.start <= x.start < clause.start + m.start() and x.kind == "specific" for x in inf.mentions))
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
        attribute = ATTRIBUTE_RE.search(clause.text[share_of.end():]) if share_of else None
        if share_of and attribute and any(
                m.kind == "specific" and 0 <= m.start - (clause.start + share_of.end() + attribute.end()) <= 20 for m in mentions):
            attribute = None  # "most of the vehicles were Chinese-registered trucks": the class, with its origin
        if share_of and not attr and classes_of(mentions) and not attribute:
            unit = "class_share"  # "most of the vehicles parked were trucks": a share imagery can count
        if attr and re.search(r"\black", clause.text, re.I) and value is not None:
            value = 1.0 - value
        return [self._new(clause, inf, "proportion", self._one_class(classes), 0.7 - 0.1 * inferred,
                          value=value, low=low, high=high, unit=unit, note=f"'{what}'")]

    def _number_of_subject(self, clause: Clause, mentions: list, at: int):
        """The vehicle word of "the number of <vehicles> ... is/reached/stands at" right before ``at``."""
        head = clause.text[:at]
        if not COPULA_BEFORE_RE.search(head):
            return None
        found = list(NUMBER_OF_RE.finditer(head))
        if not found:
            return None
        of = found[-1]
        inside = [m for m in mentions if clause.start + of.end() <= m.start <= clause.start + of.end() + 40
                  and m.end <= clause.start + at]
        return inside[0] if inside else None

    def _quantities(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:
        text = clause.text
        not_counts = self._spans_not_counted(clause, inf)
        out: list[Claim] = []
        mentions = [m for m in inf.mentions if m.kind != "activity"]
        consumed: list[tuple[int, int]] = []
        for q in find_quantities(text):
            if any(q.start < e and s < q.end for s, e in not_counts + consumed) or _not_a_count(text, q):
                continue
            target = self._counted_word(clause.start + q.end, mentions)
            load = LOAD_RE.match(text[q.end:])
            if load and _not_a_load_per_vehicle(text, q, load.end(), target, out):
                continue
            if load and target is None:
                per_vehicle = self._load_per_vehicle(clause, inf, index, q, mentions)
                if per_vehicle is not None:
                    out.append(per_vehicle)
                continue
            counted = self._what_is_counted(clause, inf, index, q, target, mentions)
            if counted is None:
                continue
            if counted.per_span is not None:
                consumed.append(counted.per_span)
            if _partitive_or_nameless(text, q, counted.target):
                continue
            if counted.target is not None and PER_CAPITA_RE.match(self.text, counted.target.end):
                continue  # "one car for every 800 residents", "one vehicle per household": a rate, no count
            out.append(self._count_claim(clause, inf, self._bounded(text, q, counted.target), counted))
        return out

    @staticmethod
    def _spans_not_counted(clause: Clause, inf: SentenceInfo) -> list[tuple[int, int]]:
        """Clause offsets of the numbers that belong to money, percentages and dates."""
        text = clause.text
        spans = [(a.start, a.end) for a in find_amounts(text)] + [(p.start, p.end) for p in find_percentages(text)]
        # "images from Sept. 2", "in 2019": numbers inside a date are no counts
        spans += [(a - clause.start, a - clause.start + d.end - d.start) for d, a in inf.dates]
        return spans

    def _counted_word(self, abs_end: int, mentions: list[Mention]) -> Mention | None:
        """The vehicle word a quantity ending at ``abs_end`` counts: within four words after it."""
        for m in mentions:
            if abs_end <= m.start <= abs_end + 60:
                # "five 25-ton trucks": a size compound between the number and its noun
                gap = re.sub(r"\b\d+(?:\.\d+)?-(?:tons?|tonnes?|t|seat|seater|wheel|wheeled|axle|foot|ft|meter|metre)\b",
                             "size", self.text[abs_end:m.start], flags=re.I)
                if re.fullmatch(r"(?:\s+(?:of\s+)?(?:the\s+)?(?:[\w’'\-]+\s+){0,4}?)|\s*", gap) and not re.search(r"[,.;:()]|\d|\s(?:--|—|–)\s", gap) \
                        and not GAP_CLAUSE_WORD_RE.search(gap):
                    return m
                return None
        return None

    def _earlier_classes(self, clause: Clause, inf: SentenceInfo, index: int, q: Quantity,
                         mentions: list[Mention]) -> tuple[list[str], bool]:
        """(classes, inferred) of the last vehicle word of the sentence before ``q``, else of an earlier sentence."""
        prior = [m for m in mentions if m.end <= clause.start + q.start and m.start >= inf.sentence.start]
        if prior:
            return self._class_of(prior[-1:], index)
        return self._lookbackclasses_of(index) or [], True

    def _load_per_vehicle(self, clause: Clause, inf: SentenceInfo, index: int, q: Quantity,
                          mentions: list[Mention]) -> Claim | None:
        """"unload about 40 tons of cargo each": a load per vehicle, not a count of vehicles."""
        classes, inferred = self._earlier_classes(clause, inf, index, q, mentions)
        if not classes:
            return None
        kind = "approximate" if q.kind in ("count", "approximate") and q.value is not None else q.kind
        per = self._one_class(classes)
        return self._new(clause, inf, kind, per, 0.6 - 0.1 * inferred, value=q.value, low=q.low,
                         high=q.high, unit=f"tonnes_cargo_per_{'vehicle' if per == V.ANY else per}",
                         note="load per vehicle, not a vehicle count")

    def _what_is_counted(self, clause: Clause, inf: SentenceInfo, index: int, q: Quantity,
                         target: Mention | None, mentions: list[Mention]) -> _Counted | None:
        """What ``q`` counts, None when it counts no vehicles. A vehicle word right after the number
        is the plain case; without one the figure may still be a subject's ("the number of taxis ...
        is 2,000") or stand for vehicles named earlier ("there are 30")."""
        text = clause.text
        people = PEOPLE_RE.match(text[q.end:])
        if people:
            return _people_per_vehicle(text, q, people.group(0))
        if target is None and (subject := self._number_of_subject(clause, mentions, _after_verb_hedge(q))) is not None:
            # "the number of taxis in Pyongyang is estimated at 2,000 to 3,000": the figure is the subject's
            classes, inferred = self._class_of([subject], index)
            return _Counted(classes, inferred) if classes else None
        if target is None:
            if not _stands_for_vehicles(text, q):
                return None
            classes, inferred = self._earlier_classes(clause, inf, index, q, mentions)
            return _Counted(classes, inferred) if classes else None
        if target.kind == "specific" and target.cls:
            return _Counted([target.cls], False, target=target)
        classes, inferred = self._class_of([target], index)
        return _Counted(classes, inferred, target=target)

    def _bounded(self, text: str, q: Quantity, target: Mention | None) -> Quantity:
        """``q`` with the bound said after its vehicle word ("30 trucks or more") or denied before it
        ("not more than a dozen" is at most a dozen)."""
        post = POST_BOUND_RE.match(self.text, target.end) if target is not None else None
        if post and q.kind in ("count", "range", "approximate"):
            top, bottom = (q.high, q.low) if q.kind == "range" else (q.value, q.value)
            q = Quantity(q.start, q.end, "upper_bound", high=top, text=q.text, vague=q.vague) if post.group("upper") \
                else Quantity(q.start, q.end, "lower_bound", low=bottom, text=q.text, vague=q.vague)
        negation = V.NEGATION_RE.search(text[max(0, q.start - 60):q.start])
        if negation and q.kind == "lower_bound":
            q = q.negated()
        return q

    def _count_claim(self, clause: Clause, inf: SentenceInfo, q: Quantity, counted: _Counted) -> Claim:
        unit, flow = _count_unit(clause.text, counted.unit)
        notes = []
        if q.vague:
            notes.append(f"'{q.text.strip()}'")
        if flow:
            notes.append("flow: vehicles that came in")
        conf = 0.85 - 0.15 * counted.inferred - 0.1 * q.vague - 0.2 * (q.value == 1 and q.kind == "count")
        return self._new(clause, inf, q.kind, self._one_class(counted.classes), conf, value=q.value, low=q.low,
                         high=q.high, unit=unit, note="; ".join(notes) or None)


def _share_note(said: str) -> str:
    """A share's note: "percentage" for a percent figure, else the words it was said in ("nine in ten")."""
    return "percentage" if re.search(r"%|\bper\s*cent\b", said, re.I) else " ".join(said.lower().split())
