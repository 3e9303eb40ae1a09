"""Paragraphs, sentences and clauses of an article, with character offsets into its text.

Offsets matter because every claim's quote must be an exact substring of the article. Reports come
hard-wrapped ("bus and truck\\ncompanies"), with captions and headings on lines of their own, with
tag lines and tables from the web page around them; each paragraph gets a kind so that the
extractor reads prose and captions but not navigation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ABBREVIATIONS = {
    "u.s", "mr", "mrs", "ms", "dr", "st", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "e.g", "i.e", "vs", "approx", "gen", "col", "lt", "co", "corp", "inc",
    "ltd", "jr", "sr", "prof", "a.m", "p.m", "u.n", "u.k", "fig", "etc", "est", "n",
}
_TERMINAL = ".!?:…"
_CLOSERS = "\"”’'»)]"
_BULLETS = "◆■●▶►•◇□▷※#"
_SMALL_WORDS = {"a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "by", "with", "from", "as"}

# Split points between clauses: the conjunctions that join two statements in one sentence.
_CLAUSE_SPLIT_RE = re.compile(
    r";\s+|,\s+(?:but|while|whereas|although|though|which|and then|yet)\s+|(?<!only)(?<!,)(?<!\ball)(?<!\banything)(?<!\bnothing)\s+but\s+(?!also\b)"
    r"|\s+because\s+|,\s+(?:and|so)\s+(?=(?:then|these|those|they|it|he|she|we|there)\b)",
    re.IGNORECASE,
)
# Bounds that keep the work per article linear in its length whatever the input: no sentence breaks
# for a megabyte, a 100,000-character "word", a paragraph that never ends. Real report sentences
# are under 400 characters and gold quotes under 200.
MAX_SENTENCE_CHARS = 600
MAX_TOKEN_CHARS = 60  # a longer run without spaces is a URL, a hash or junk: never part of a claim
MAX_PARAGRAPH_CHARS = 4000
MAX_NUMBERS_PER_SENTENCE = 16
_LONG_TOKEN_RE = re.compile(rf"\S{{{MAX_TOKEN_CHARS + 1},}}")
_NUMERIC_TOKEN_RE = re.compile(r"(?<!\S)[^\s\d]*\d")  # tokens holding a digit (one match per token)
_WORD_TOKEN_RE = re.compile(r"(?<!\S)[^\s\w]*[^\W\d_]")  # tokens starting with a letter
_SOFT_BREAK_RE = re.compile(r"[;,:]\s|\s")

# A sentence ends at a stop before a capital, with a space between or (in scraped text that lost it,
# "to China.The website said") after a lower-case word; "U.S." and "N.Korea" keep their dots.
_SENTENCE_END_RE = re.compile(r"[.!?…]+[\"”’'»)\]]*(?=\s+[\"“‘'«(\[]?[A-Z0-9$¥₩])|[.!?…]+[\"”’'»)\]]*\s*$|"
                              r"(?<=[a-z]{3})[.!?](?=[A-Z][a-z]{2})")


@dataclass
class Clause:
    start: int
    end: int
    text: str


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int
    index: int  # position in the document
    kind: str  # prose, fragment (caption-like, no final punctuation), heading, table, tags
    section: int
    in_speech: bool  # inside quotation marks
    clauses: list[Clause] = field(default_factory=list)


@dataclass
class Paragraph:
    start: int
    end: int
    kind: str
    index: int
    section: int
    sentences: list[Sentence] = field(default_factory=list)

    def text(self, doc: str) -> str:
        return doc[self.start:self.end]


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, end excluding the newline."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        out.append((pos, pos + len(stripped)))
        pos += len(line)
    return out


def _soft_wrapped(prev: str, nxt: str, wrapping: bool) -> bool:
    """The line break between ``prev`` and ``nxt`` is inside a sentence (hard-wrapped prose).

    ``wrapping``: the paragraph already joined a wrapped line, so a break after a word that ends
    no sentence is a wrap even before a capital ("a source from North\nHamkyung Province").
    """
    p, n = prev.rstrip(), nxt.lstrip()
    if not p or not n or p.startswith("|") or n.startswith("|") or n[0] in _BULLETS:
        return False
    if p[-1] in ",—–-(" or p.endswith((" and", " or", " of", " the", " a", " to")):
        return True
    if p[-1] in _TERMINAL + _CLOSERS:
        return False
    return n[0].islower() or (wrapping and n[0].isalnum())


def _is_title_case(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’\-]*", re.sub(r"\([^)]*\)", " ", text))]
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    return len(words) >= 4 and bool(content) and all(w[0].isupper() for w in content)


def _paragraph_kind(text: str, title: str | None, first: bool) -> str:
    t = text.strip()
    if not t:
        return "empty"
    if t.startswith("|"):
        return "table"
    if t[0] in _BULLETS:
        return "heading"
    if title and len(title) >= 12 and t.rstrip(" .").lower().endswith(title.strip().rstrip(" .").lower()):
        return "heading"  # the title, maybe behind a section label ("NewsN. Korean smugglers ...")
    if "|" in t and first:
        return "heading"  # "Title | Site name"
    items = [i.strip() for i in t.split(",")]
    if (len(items) >= (2 if len(t.split()) <= 6 else 3) and t[-1] not in _TERMINAL and all(0 < len(i.split()) <= 3 for i in items)
            and sum(i[:1].islower() for i in items) >= len(items) - 1):
        return "tags"
    core = t.rstrip(_CLOSERS + " ")
    if t[-1] not in _TERMINAL + _CLOSERS or (t[-1] in ")]" and core[-1:] not in _TERMINAL):
        # "Jinbei Autos Q-series (JBC)": a caption even though it ends with a bracket
        return "heading" if _is_title_case(t) else "fragment"
    return "prose"


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets inside text[start:end]."""
    spans: list[tuple[int, int]] = []
    chunk = text[start:end]
    cursor = 0
    for m in _SENTENCE_END_RE.finditer(chunk):
        stop = m.end()
        dot = m.start()
        # the word before the dot (a bounded look-back: an anchored search over the whole chunk is quadratic)
        word = re.search(r"([A-Za-z][A-Za-z.]*)$", chunk[max(cursor, dot - 20):dot])
        if chunk[dot] == "." and word:
            w = word.group(1).lower().rstrip(".")
            if w in ABBREVIATIONS or (len(w) == 1 and word.group(1).isupper()):
                continue
        if chunk[cursor:stop].strip():
            spans.append((start + cursor, start + stop))
        cursor = stop
    if chunk[cursor:].strip():
        spans.append((start + cursor, end))
    out = []
    for span_start, span_end in spans:
        for s, e in bounded_spans(text, span_start, span_end, MAX_SENTENCE_CHARS):
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                out.append((s, e))
    return out


def prose_like(text: str) -> bool:
    """A sentence of words, not a dump of numbers or symbols (a table row, a list of figures): a
    report sentence has few numbers, and such dumps would make every number a candidate claim."""
    if len(_NUMERIC_TOKEN_RE.findall(text)) > MAX_NUMBERS_PER_SENTENCE:
        return False
    n = len(text.split())
    return n < 8 or len(_WORD_TOKEN_RE.findall(text)) >= 0.4 * n


def bounded_spans(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """text[start:end] without over-long tokens, cut into pieces of at most ``limit`` characters at
    the last clause mark or space before the limit (hard cut when there is none)."""
    pieces: list[tuple[int, int]] = []
    cursor = start
    for m in _LONG_TOKEN_RE.finditer(text, start, end):
        pieces.append((cursor, m.start()))
        cursor = m.end()
    pieces.append((cursor, end))
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        while e - s > limit:
            cut = None
            for m in _SOFT_BREAK_RE.finditer(text, s + limit // 2, s + limit):
                cut = m.end()
            cut = cut or s + limit
            out.append((s, cut))
            s = cut
        if text[s:e].strip():
            out.append((s, e))
    return [(s, e) for s, e in out if text[s:e].strip()]


_SUBORDINATE_RE = re.compile(r"\b(?:even though|although|though|whereas|even if)\b[^,;]{8,}?(,\s+)", re.IGNORECASE)


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clause (start, end) offsets of the sentence text[start:end]."""
    sentence = text[start:end]
    cuts = [(m.start(), m.end()) for m in _CLAUSE_SPLIT_RE.finditer(sentence)]
    # "even though X was suspended, used cars can still be seen": the main clause after the comma
    cuts += [(m.start(1), m.end(1)) for m in _SUBORDINATE_RE.finditer(sentence)]
    cuts.sort()
    spans, cursor = [], 0
    for a, b in cuts:
        if a - cursor >= 12 and len(sentence) - b >= 12:  # no one-word clauses
            spans.append((cursor, a))
            cursor = b
    spans.append((cursor, len(sentence)))
    return [(start + a, start + b) for a, b in spans if sentence[a:b].strip()]


def _strip_span(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and (text[s].isspace() or text[s] in "\"“”‘’'«»"):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in "\"“”‘’'«»,;"):
        e -= 1
    return s, e


def segment(text: str, title: str | None = None) -> list[Paragraph]:
    """Split an article into paragraphs, sentences and clauses (offsets into ``text``)."""
    lines = _lines(text)
    blocks: list[tuple[int, int]] = []
    current: list[int] | None = None
    prev_text = ""
    wrapping = False
    for s, e in lines:
        line = text[s:e]
        if not line.strip():
            if current:
                blocks.append((current[0], current[1]))
            current, prev_text, wrapping = None, "", False
            continue
        if current and _soft_wrapped(prev_text, line, wrapping):
            current[1] = e
            wrapping = True
        else:
            if current:
                blocks.append((current[0], current[1]))
            current, wrapping = [s, e], False
        prev_text = line
    if current:
        blocks.append((current[0], current[1]))
    blocks = [piece for s, e in blocks for piece in
              ([(s, e)] if e - s <= MAX_PARAGRAPH_CHARS else bounded_spans(text, s, e, MAX_PARAGRAPH_CHARS))]

    paragraphs: list[Paragraph] = []
    section = 0
    n_sentences = 0
    for i, (s, e) in enumerate(blocks):
        block = text[s:e]
        kind = _paragraph_kind(block, title, first=i == 0)
        if kind == "heading":
            section += 1
        para = Paragraph(s, e, kind, len(paragraphs), section)
        if kind in ("prose", "fragment"):
            opened = closed = straight = 0  # quotation marks before the sentence, counted as we go
            seen = s
            for ss, se in _sentence_spans(text, s, e):
                before = text[seen:ss]
                opened, closed, straight = opened + before.count("“"), closed + before.count("”"), straight + before.count('"')
                seen = ss
                speech_depth = (opened - closed) + (straight % 2)
                sentence_text = text[ss:se]
                in_speech = speech_depth > 0 or sentence_text.lstrip().startswith(("“", '"'))
                sent = Sentence(ss, se, sentence_text, para.index, n_sentences, kind, section, in_speech)
                for cs, ce in clause_spans(text, ss, se):
                    cs, ce = _strip_span(text, cs, ce)
                    if ce > cs:
                        sent.clauses.append(Clause(cs, ce, text[cs:ce]))
                if sent.clauses:
                    para.sentences.append(sent)
                    n_sentences += 1
        paragraphs.append(para)
    return paragraphs


def sentences_of(paragraphs: list[Paragraph]) -> list[Sentence]:
    return [s for p in paragraphs for s in p.sentences]
