"""Polarity of what a clause says about a vehicle mention: affirmed, negated or rare.

The conventions make "No tractors could be seen" and "not a single lorry" absence claims, and
"taxis are seldom seen" no presence claim: rarity is neither presence nor absence. Polarity is read
from two places, whatever the verb:
- the mention's own determiner: "no", "not a single", "not one", "not any", "zero", "none of the",
  "without (any)" -> negated; "hardly any", "few if any", "scarcely any" -> rare;
- the predicate after it, up to the end of the clause: "were not seen", "could not be spotted",
  "are nowhere to be seen", "never appeared" -> negated; "rarely", "seldom", "hardly ever",
  "a rare sight", "are uncommon" -> rare; and "there were no ..." before it.
"Not only X but also Y" affirms X; "no longer" is a change (a trend word), not absence.
"""

from __future__ import annotations

import re

AFFIRMED, NEGATED, RARE = "affirmed", "negated", "rare"

# Determiners that deny the noun they stand before (with up to three adjectives between).
_ADJ = r"(?:[\w’'\-]+\s+){0,3}?"
NEGATING_DETERMINER_RE = re.compile(
    r"(?:\bno|\bnot\s+(?:a\s+single|one|even\s+one|a|any)|\bnot\s+even\s+a|\bzero|\bnone\s+of\s+(?:the|these|those|its|their)"
    r"|\bwithout\s+(?:any|a\s+single)|\bnor\s+(?:any|a\s+single))\s+" + _ADJ + r"$",
    re.IGNORECASE,
)
RARE_DETERMINER_RE = re.compile(
    r"(?:\b(?:rarely|seldom|hardly\s+ever|almost\s+never|scarcely)\s+(?:see|sees|saw|seen|spot|spots|spotted|find|finds|found|"
    r"encounter\w*|come\s+across)(?:\s+(?:a|an|any))?|\bhardly\s+(?:any|an?)|\bscarcely\s+(?:any|an?)|\bbarely\s+(?:any|an?)|\bfew,?\s+if\s+any,?|(?<!\ba )(?<!\bwhat )(?<!\bquite a )(?<!\bthe )\b(?:very\s+|relatively\s+|too\s+)?few(?!\s+(?:days|weeks|months|years|hours|of))|\bvirtually\s+no|\balmost\s+no|(?<!\ba )(?<!\bthe )\brare|\bnot\s+(?:that|very|so|too)\s+many)\s+" + _ADJ + r"$",
    re.IGNORECASE,
)
# "virtually no" / "almost no" trucks: the conventions' "not a single" is absence; "almost none" is
# rare (a few may be there), so those two are checked before the negating determiners.
NOT_ONLY_RE = re.compile(r"\bnot\s+only\b", re.IGNORECASE)
NO_LONGER_RE = re.compile(r"\bno\s+longer\b", re.IGNORECASE)

# In the predicate after the mention (same clause).
# Only verbs of being there, being seen or moving: "cannot sell", "haven't been sold" deny an
# action, not the vehicles.
_THERE_VERB = (r"(?:be\s+|been\s+)?(?:seen|spotted|sighted|observed|visible|found|noticed|detected|present|there|"
               r"parked|see[n]?|spot|find|appear\w*|cross\w*|arriv\w*|come|came|enter\w*|run|ran|operat\w*|"
               r"mov(?:e|ed|ing)|drive|driven|pass\w*|show(?:n|ed)?\s+up)\b")
NEGATED_PREDICATE_RE = re.compile(
    r"^[^.;,]*?\b(?:(?:(?:were|was|are|is|could|can|did|do|does|have|has|had|would|will)(?:\s+\w+)?\s+(?:not|never)|"
    r"(?:weren|wasn|aren|isn|couldn|can|didn|don|doesn|haven|hasn|hadn|wouldn|won)['’]t|cannot|never)\s+(?:\w+ly\s+)?"
    + _THERE_VERB + r"|nowhere\s+to\s+be\s+(?:seen|found))",
    re.IGNORECASE,
)
PREDICATE_REACH = 60  # characters after the mention: its own verb, not one in a later clause
RARE_PREDICATE_RE = re.compile(
    # (not "rarely last a year", "seldom break down": how long they hold up, not whether they are there)
    r"^[^.;]*?\b(?:(?:rarely|seldom|hardly\s+ever|hardly|scarcely|barely|almost\s+never|infrequently)"
    r"(?!\s+(?:last|lasts|lasted|break|breaks|broke|work|works|worked|need|needs|needed|sell|sells|sold|cost|costs|"
    r"survive|survives|get\s+repaired|get\s+fixed|start|starts)\b)|"
    r"a\s+rare\s+sight|(?:hard|difficult)\s+to\s+(?:find|see(?!\s+(?:how|why|what|whether|if|that)\b)|spot|come\s+by)|(?<!once )(?:still\s+)?a\s+rarity|(?:are|is|were|was|remain(?:s|ed)?)\s+(?:still\s+)?(?:rare|uncommon|scarce))\b",
    re.IGNORECASE,
)
# "had not seen a bulldozer", "you won't find a single taxi", "never spotted any trucks": a denied verb
# of seeing right before the mention's determiner
NEGATED_SEEING_RE = re.compile(
    r"(?:\b(?:not|never)|n['’]t|\bcannot)\s+(?:\w+\s+){0,2}?(?:see|seen|saw|spot|spotted|find|found|notice|noticed|"
    r"observe|observed|encounter|encountered|come across|came across)\s+(?:a\s+single|a|an|any|one|even\s+one|a\s+lone)\s+"
    + _ADJ + r"$", re.IGNORECASE)
THERE_NO_RE = re.compile(r"\bthere\s+(?:were|was|are|is|have\s+been|has\s+been)\s+(?:no|not\s+(?:a\s+single|any|one))\s+"
                         + _ADJ + r"$", re.IGNORECASE)


# Any word that can deny or make rare: a clause without one affirms all its mentions (a fast path
# that keeps polarity linear in the clause, not in clause x mentions).
DENIAL_WORD_RE = re.compile(r"\b(?:no|not|none|zero|without|nor|never|nowhere|cannot|hardly|scarcely|barely|rarely|seldom|"
                            r"infrequently|rare|rarity|uncommon|scarce|few|virtually|almost|hard|difficult)\b|n['’]t\b", re.IGNORECASE)


def may_deny(clause: str) -> bool:
    return DENIAL_WORD_RE.search(clause) is not None


def determiner_polarity(before: str) -> str:
    """Polarity carried by the words just before a mention ("no", "hardly any", "not a single")."""
    tail = before[-80:]
    if NO_LONGER_RE.search(tail[-20:]):
        return AFFIRMED
    if RARE_DETERMINER_RE.search(tail):
        return RARE
    if NEGATING_DETERMINER_RE.search(tail) or THERE_NO_RE.search(tail) or NEGATED_SEEING_RE.search(tail):
        return NEGATED
    return AFFIRMED


def predicate_polarity(after: str) -> str:
    """Polarity of the predicate that follows a mention, up to the clause end."""
    if RARE_PREDICATE_RE.search(after):
        return RARE
    if NEGATED_PREDICATE_RE.search(after) and not NOT_ONLY_RE.search(after):
        return NEGATED
    return AFFIRMED


def polarity(clause: str, start: int, end: int) -> str:
    """Polarity of what ``clause`` says about the mention at ``clause[start:end]``.

    A rare determiner or predicate wins over everything ("hardly any trucks were seen"); a negating
    determiner makes the mention absent; a negated predicate ("trucks were not seen") too.
    """
    if not may_deny(clause):
        return AFFIRMED
    det = determiner_polarity(clause[:start])
    pred = predicate_polarity(clause[end:end + PREDICATE_REACH])
    if RARE in (det, pred):
        return RARE
    if det == NEGATED or pred == NEGATED:
        return NEGATED
    return AFFIRMED
