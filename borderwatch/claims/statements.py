"""Detectors of what a clause states without a number: trends, absence, presence and other
observations. A mixin of ``ArticleExtractor`` (extract.py)."""

from __future__ import annotations

import re

from borderwatch.claims import vocabulary as V
from borderwatch.claims.claim import Claim, SentenceInfo
from borderwatch.claims.cues import (
    AFTER_EVENT_RE,
    ASIDE_RE,
    CAPTION_MAX_WORDS,
    COMPARED_FROM_RE,
    CONDITION_BEFORE_RE,
    EMPTY_PLACE_RE,
    HABITUAL_ASIDE_RE,
    HALTED_STATE_RE,
    INFRA_SUBJECT_RE,
    MORE_USERS_RE,
    NEGATED_TRIGGER_RE,
    NOT_TRAFFIC_RE,
    PERSON_NOUN_RE,
    POLICY_RE,
    PRONOUN_REACH,
    PRONOUN_SUBJECT_RE,
    RELATIVE_GAP_RE,
    SUBJECT_LIST_TAIL_RE,
)
from borderwatch.claims.mentions import Mention, classes_of
from borderwatch.claims.polarity import AFFIRMED, NEGATED, RARE, may_deny, polarity
from borderwatch.claims.sentences import Clause

# How far (characters) a verb may lie after its subject's vehicle word: "Trucks carrying construction
# materials for the new apartment blocks have also become a frequent sight" (a comma in between breaks it)
SUBJECT_REACH = 90
# "A crane, a mixer truck, an excavator and workers can be seen": the list's last item is no vehicle
LIST_LAST_ITEM_RE = re.compile(r",?\s+(?:and|or)\s+(?:[\w’'\-]+\s+){1,3}?(?:(?:can|could|may|might|were|was|are|is|have|has|had)\s+)?"
                               r"(?:be\s+|been\s+)?", re.I)
TRADE_AFTER_RE = re.compile(r"[\s\-]+(?:trade|industry|market|business|sector|sales|imports|exports|statistics|data|"
                            r"ownership|culture|boom)\b", re.I)
AWAY_RE = re.compile(r"\s+(?:on\s+|onward\s+|away\s+)?(?:to|into|across)\s+(?:the\s+)?(?:other|different|various|all)\s+"
                     r"(?:parts|regions|areas|provinces|cities|places|towns|corners)\b", re.I)
# a passive right before a movement verb: its subject is what moved ("vehicles have been brought in")
PASSIVE_BEFORE_RE = re.compile(r"\b(?:is|are|was|were|been|being)\s+(?:\w+ly\s+)?$", re.I)
# between two vehicle words of one list: "cars, vans and trucks", "buses as well as used trucks"
LIST_GAP_RE = re.compile(r"\s*(?:,|,?\s*\b(?:and|or|as well as|and other|or other|plus|along with)\b)\s*(?:[\w’'\-]+\s+){0,2}?", re.I)
# "more X than Y" where Y is not an earlier time ("than before", "than last year")
TYPE_COMPARISON_RE = re.compile(r"\s+than\s+(?!before|ever|last|in\b|a year|previously|usual|earlier|a decade|at any|"
                                r"at the|during|when|\d)", re.I)
HYPOTHETICAL_RE = re.compile(r"\b(?:would|should|could|might|ought to)\b", re.IGNORECASE)


# "Demand for used Chinese cars has surged": demand as the subject of a change, not a wish
DEMAND_SUBJECT_RE = re.compile(r"(?:demand|interest)\s+(?:for|in)\s+(?:[\w’'\-]+\s+){1,5}?(?:has|have|had|is|are|was|were)\b", re.I)
# "and their numbers keep growing": the vehicles of the sentence's other clause
THEIR_NUMBERS_RE = re.compile(r"\btheir\s+(?:numbers?|count|ranks|use|popularity|sales)\b", re.I)
# "no vehicles", "not a single vehicle", "without any vehicles": a determiner that denies every kind
NO_GENERIC_RE = re.compile(r"\b(?:no|not a single|not one|not any|without(?: any)?)\s+(?:[\w\-]+\s+)?$", re.I)


def _plural_participle(mention: Mention, cue: str) -> bool:
    """"trucks carrying seafood": a plural vehicle word before an -ing cue is its subject, while a
    singular one makes a compound noun ("car smuggling", "truck driving")."""
    return cue.lower().endswith("ing") and mention.text.lower().endswith("s") and not mention.text.lower().endswith("ss")


class StatementDetectors:
    """Trends, absence, presence and other observations of one clause."""

    def _trends(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:
        text = clause.text
        clause_mentions = [m for m in inf.mentions if clause.start <= m.start < clause.end]
        triggers = self._trend_triggers(clause, clause_mentions)
        if not triggers:
            return []
        triggers.sort()
        out = []
        seen: set[str] = set()
        for i, (ts, te, direction) in enumerate(triggers):
            prev_end = triggers[i - 1][1] if i else 0
            next_start = triggers[i + 1][0] if i + 1 < len(triggers) else len(text)
            before = [m for m in clause_mentions if prev_end <= m.end - clause.start <= ts and ts - (m.end - clause.start) <= SUBJECT_REACH
                      and not PERSON_NOUN_RE.match(self.text, m.end)]
            if (before and "," in self.text[before[-1].end:clause.start + ts] and not COMPARED_FROM_RE.match(text, ts)
                    and not SUBJECT_LIST_TAIL_RE.match(self.text, before[-1].end, clause.start + ts)):
                # "what few cars came by, are now looking busier": the cars are not the subject; but in
                # "e-bikes are cheap, and their numbers are growing" the possessive points back to them
                referred = THEIR_NUMBERS_RE.search(text, max(0, ts - 40), ts)
                before = before[-1:] if referred and before[-1].kind == "specific" else []
            if not before:
                # "The trucks, which carry flour, coal and steel, have been crossing in larger numbers":
                # a relative clause between the subject and its verb
                before = [m for m in clause_mentions if m.kind != "activity" and prev_end <= m.end - clause.start <= ts
                          and RELATIVE_GAP_RE.match(self.text, m.end, clause.start + ts)][-1:]
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
                classes = classes_of(self._coordinated(chosen[0], near)) or classes
            near_pronoun = any(abs(p.start() - ts) <= PRONOUN_REACH or abs(p.start() - te) <= PRONOUN_REACH
                               for rx in (PRONOUN_SUBJECT_RE, THEIR_NUMBERS_RE) for p in rx.finditer(text))
            if not classes and not clause_mentions and near_pronoun:
                others = [m for m in inf.mentions if not (clause.start <= m.start < clause.end)]
                if others:
                    classes, inferred = self._class_of(others, index)
            if (not classes and not clause_mentions and INFRA_SUBJECT_RE.search(ASIDE_RE.sub("", text[:ts])[-50:])
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
            out.append(self._trend_claim(clause, inf, cls, direction, inferred))
        return out

    def _trend_triggers(self, clause: Clause, clause_mentions: list[Mention]) -> list[tuple[int, int, str]]:
        """(start, end, direction) in the clause of each word saying vehicle numbers changed."""
        text = clause.text
        triggers: list[tuple[int, int, str]] = []
        for direction, rx in V.DIRECTION_RES.items():
            for m in rx.finditer(text):
                if not any(m.start() < e and s < m.end() for s, e, _ in triggers):
                    triggers.append((m.start(), m.end(), direction))
        for m in V.MORE_RE.finditer(text):
            rest = text[m.end():m.end() + 40]
            if re.match(r"\s+than\b", rest):
                continue
            nxt = next((x for x in clause_mentions if x.kind != "activity" and clause.start + m.end() <= x.start <= clause.start + m.end() + 25), None)
            between = self.text[clause.start + m.end():nxt.start].split() if nxt else []
            if nxt and TYPE_COMPARISON_RE.match(self.text, nxt.end):
                continue  # "more electric bikes than bicycles": one type against another, not a change
            if nxt and all(w.lower() in V.MORE_ADJECTIVES for w in between) and len(between) <= 1 and not any(m.start() < e and s < m.end() for s, e, _ in triggers):
                triggers.append((m.start(), m.end(), "increase"))
        for m in MORE_USERS_RE.finditer(text):
            # "with more people riding electric bikes": more of the vehicles in use
            if any(x.kind == "specific" and 0 <= x.start - (clause.start + m.end()) <= 25 for x in clause_mentions) \
                    and not any(m.start() < e and s < m.end() for s, e, _ in triggers):
                triggers.append((m.start(), m.end(), "increase"))
        # "he would buy a car if prices fell": a condition, not a change that happened
        triggers = [t for t in triggers if not CONDITION_BEFORE_RE.search(text[:t[0]])
                    and not NEGATED_TRIGGER_RE.search(text[max(0, t[0] - 30):t[0]])]
        desire = V.DESIRE_RE.search(text)
        if desire and DEMAND_SUBJECT_RE.match(text, desire.start()):
            desire = None  # "demand for used cars has surged": the demand moves (a trend noted as demand)
        if desire:
            # "they want to import more vehicles": a wish, not a change
            triggers = [t for t in triggers if t[0] < desire.start()]
        return triggers

    def _trend_claim(self, clause: Clause, inf: SentenceInfo, cls: str, direction: str, inferred: bool) -> Claim:
        """A trend of vehicle numbers, or of their price or demand; "halted" numbers are an absence."""
        text = clause.text
        note, subject = None, "numbers"
        what = re.search(r"\b(price|prices|cost|costs|demand|fares?|interest)\b", text, re.I)
        if what:
            subject = "demand" if what.group(1).lower() in ("demand", "interest") else "price"
            note = f"{what.group(1).lower()} {direction}, not vehicle numbers"
        if direction == "halted" and subject == "numbers" and HALTED_STATE_RE.search(text):
            # "China has suspended vehicle exports since then", "were completely cut off": a state
            # of no vehicles over the period, not a change within it
            return self._new(clause, inf, "absence", cls, 0.6, note="halted: none over the period")
        claim = self._new(clause, inf, "trend", cls, 0.7 - 0.1 * inferred, direction=direction, note=note)
        claim.subject = subject
        return claim

    def _habitual(self, clause: Clause, mentions: list[Mention]) -> list[Mention]:
        """The mentions outside a habitual aside of the clause ("..., usually crowded with trucks, ...")."""
        spans = [(clause.start + a.start(), clause.start + a.end()) for a in HABITUAL_ASIDE_RE.finditer(clause.text)
                 if clause.text[a.end():].strip(" .")]
        return [m for m in mentions if not any(s <= m.start < e for s, e in spans)]

    def _absence(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:
        mentions = self._habitual(clause, [x for x in inf.mentions if clause.start <= x.start < clause.end and x.kind != "activity"])
        # "No excavators were seen", "not a single lorry", "trucks were nowhere to be seen"
        denied = [x for x in mentions if self._polarity(clause, x) == NEGATED]
        if denied and denied[0].kind == "specific":
            # "No trucks, buses or cars were seen": the list the determiner stands before
            denied = self._coordinated(denied[0], [x for x in mentions if x.kind == "specific"])
        if denied:
            classes = classes_of(denied)
            if not classes and not NO_GENERIC_RE.search(self.text[max(clause.start, denied[0].start - 25):denied[0].start]):
                classes = self._class_of(denied, index)[0]  # "none of these vehicles": the ones named before
            # "No vehicles were visible": none of any kind, not only the kinds an earlier sentence named
            return [self._new(clause, inf, "absence", c, 0.65) for c in (classes or [V.ANY])]
        m = V.ABSENCE_RE.search(clause.text)
        if not m or re.match(r"-", clause.text[m.end():]):
            return []
        if any(self._polarity(clause, x) == RARE for x in mentions):
            return []  # "almost no trucks crossed": a few may have, which is rarity, not absence
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
        if TRADE_AFTER_RE.match(clause.text, mention.end - clause.start):
            return AFFIRMED  # "the auto trade doesn't show up in the statistics": the trade is denied, not the cars
        return polarity(clause.text, mention.start - clause.start, mention.end - clause.start)

    def _presence(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:
        mentions = self._habitual(clause, [m for m in inf.mentions if clause.start <= m.start < clause.end and m.kind != "activity"
                                           and not TRADE_AFTER_RE.match(self.text, m.end)])
        if not mentions:
            return []
        shortage = V.OTHER_RE.search(clause.text)
        if shortage and shortage.group("shortage") and any(m.start - clause.start >= shortage.end() for m in mentions):
            return []  # "a severe shortage of tractors": what is short is no presence (kind other)
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
        if POLICY_RE.search(clause.text) or (caption and POLICY_RE.search(s.text)):
            return []  # a rule about the vehicles, not a sighting of them
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
            if V.NOUN_LIKE_CUES_RE.match(m.group(0)) and any(0 <= cs - x.end <= 1 and not _plural_participle(x, m.group(0))
                                                               for x in mentions):
                continue
            if V.CUE_BLOCKERS_RE.search(clause.text[:m.start()]) and not V.CUE_NOUN_PHRASES_RE.match(m.group(0)):
                continue
            if V.MOVEMENT_CUES_RE.match(m.group(0)) and not V.LOCATIVE_RE.search(clause.text) and not (
                    PASSIVE_BEFORE_RE.search(clause.text[:m.start()])
                    and any(0 <= cs - x.end <= SUBJECT_REACH and x.kind != "activity" for x in mentions)):
                continue  # "people who imported the cars"; but "vehicles have been brought in" says they came
            if V.MOVEMENT_CUES_RE.match(m.group(0)) and AWAY_RE.match(clause.text, m.end()):
                continue  # "being sent to other parts of the country": leaving the place, seen nowhere
            if m.group(0).lower().endswith("ed") and any(0 <= x.start - ce <= 1 for x in mentions):
                continue  # "imported cars", "smuggled vehicles": an adjective, not a statement
            if any(0 <= x.start - ce <= 40 or cs <= x.start < ce for x in mentions):
                return True  # the object after the cue, or inside it ("left the diesel buses in their garage")
            before = [x for x in mentions if 0 <= cs - x.end <= SUBJECT_REACH]
            if before and V.NOUN_LIKE_CUES_RE.match(m.group(0)) and V.MEANS_BEFORE_CUE_RE.search(self.text[before[-1].end:cs]):
                continue
            if before and ("," not in self.text[before[-1].end:cs] or self._apposition(before, cs)
                           or SUBJECT_LIST_TAIL_RE.match(self.text, before[-1].end, cs)
                           or LIST_LAST_ITEM_RE.fullmatch(self.text, before[-1].end, cs)):
                return True  # the subject, not a word in an earlier clause ("the cars ..., as the image shows")
        return False

    def _other(self, clause: Clause, inf: SentenceInfo, index: int) -> list[Claim]:
        """An observation about vehicles that is none of the other kinds: quality, preference,
        comparison, use, shortage (``vocabulary.OTHER_CUES``), said of a vehicle word in the clause."""
        m = V.OTHER_RE.search(clause.text)
        if not m or inf.sentence.kind != "prose":
            return []
        if HYPOTHETICAL_RE.search(clause.text[:m.start()]):
            return []  # "the only solution would be ... when they send defective cars": a remedy, not an observation
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

    def _coordinated(self, head: Mention, near: list[Mention]) -> list[Mention]:
        """The mentions in one list with ``head`` ("cars, buses and trucks increased"), not a vehicle
        word elsewhere in the clause ("the name comes from 'car' — the buses have been ...")."""
        group = [head]
        ordered = sorted(near, key=lambda m: m.start)
        i = next((k for k, m in enumerate(ordered) if m.start == head.start), None)
        if i is None:
            return near
        for step in (-1, 1):
            j, cur = i + step, head
            while 0 <= j < len(ordered):
                a, b = (ordered[j], cur) if step < 0 else (cur, ordered[j])
                if not LIST_GAP_RE.fullmatch(self.text[a.end:b.start]):
                    break
                group.append(ordered[j])
                cur, j = ordered[j], j + step
        return sorted(group, key=lambda m: m.start)

    def _apposition(self, before: list[Mention], cue_start: int) -> bool:
        """"Chinese luxury cars, BYDs, lined up": the commas only separate vehicle words of one subject."""
        last_comma = self.text.rfind(",", before[-1].end, cue_start)
        if last_comma < 0 or not re.fullmatch(r"\s*(?:(?:is|are|was|were|can be|could be|have been|has been|"
                                              r"remain|remained)\s+)?(?:\w+ly\s+)?", self.text[last_comma + 1:cue_start]):
            return False
        start = before[0].start
        gaps = self.text[start:last_comma]
        for m in reversed(before):
            gaps = gaps[:m.start - start] + " " + gaps[m.end - start:]
        # ", including excavators and dump trucks," / ", such as ...," name the members of the subject
        return re.fullmatch(r"[\s,]*(?:(?:including|such as|like|mostly|mainly|and|or|[\w\-]+)\s*[\s,]*){0,4}", gaps) is not None

    # --- driver ----------------------------------------------------------------------------------
