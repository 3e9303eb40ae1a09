"""Scoring extracted claims against gold claims: precision, recall and F1, overall and per kind.

An extracted claim matches a gold claim when all of these hold:
- same article;
- the quotes overlap in the article text (any occurrence of each; at least one character);
- same ``kind`` and same ``vehicle_class``;
- ``value``, ``low`` and ``high`` each agree: both null, or within ``tolerance`` (relative, default
  10%; proportions within 0.05 absolute);
- periods agree: both fully null, or both with a bound and the intervals overlap (a null bound is
  open: "until publication" overlaps "early 2025").
Matching is one-to-one, greedy on the longest quote overlap. For matched pairs the agreement of
the other fields (place, unit, currency, direction, exact period bounds) is reported too.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

KINDS = ("count", "range", "lower_bound", "upper_bound", "approximate", "proportion", "trend", "presence",
         "absence", "price", "other")
AGREEMENT_FIELDS = ("place", "unit", "currency", "direction", "period_start", "period_end")


def _spans(text: str, quote: str | None) -> list[tuple[int, int]]:
    if not quote:
        return []
    out, i = [], text.find(quote)
    while i >= 0:
        out.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    return out


def quote_overlap(text: str, a: str | None, b: str | None) -> int:
    """Characters shared by the best-overlapping occurrences of quotes ``a`` and ``b`` in ``text``."""
    best = 0
    for s1, e1 in _spans(text, a):
        for s2, e2 in _spans(text, b):
            best = max(best, min(e1, e2) - max(s1, s2))
    return best


def _num_ok(a, b, tol: float, absolute: float) -> bool:
    if a is None and b is None:
        return True
    if a is None or b is None:
        return False
    a, b = float(a), float(b)
    return abs(a - b) <= max(absolute, tol * max(abs(a), abs(b)))


def values_agree(x: dict, g: dict, tol: float = 0.10) -> bool:
    absolute = 0.05 if g.get("kind") == "proportion" else 1e-9
    return all(_num_ok(x.get(k), g.get(k), tol, absolute) for k in ("value", "low", "high"))


def _d(s) -> date | None:
    if not s:
        return None
    try:
        return date.fromisoformat(str(s)[:10])
    except ValueError:
        return None


def periods_agree(x: dict, g: dict) -> bool:
    xs, xe, gs, ge = _d(x.get("period_start")), _d(x.get("period_end")), _d(g.get("period_start")), _d(g.get("period_end"))
    x_null, g_null = xs is None and xe is None, gs is None and ge is None
    if x_null or g_null:
        return x_null and g_null
    lo = max(d for d in (xs, gs, date.min) if d is not None)
    hi = min(d for d in (xe, ge, date.max) if d is not None)
    return lo <= hi


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class Evaluation:
    overall: Counts = field(default_factory=Counts)
    per_kind: dict[str, Counts] = field(default_factory=dict)
    per_article: dict[str, Counts] = field(default_factory=dict)
    agreement: Counter = field(default_factory=Counter)  # field -> matched pairs agreeing
    matched: int = 0
    misses: list[dict] = field(default_factory=list)  # gold claims not matched (with article)
    extras: list[dict] = field(default_factory=list)  # extracted claims not matched

    def kind(self, k: str) -> Counts:
        return self.per_kind.setdefault(k, Counts())

    def report(self) -> str:
        o = self.overall
        lines = [f"claims: gold {o.tp + o.fn}, extracted {o.tp + o.fp}, matched {o.tp}",
                 f"overall  P {o.precision:.3f}  R {o.recall:.3f}  F1 {o.f1:.3f}", "",
                 f"{'kind':<12} {'gold':>5} {'extr':>5} {'match':>5} {'P':>6} {'R':>6} {'F1':>6}"]
        for k in KINDS:
            c = self.per_kind.get(k)
            if c is None:
                continue
            lines.append(f"{k:<12} {c.tp + c.fn:>5} {c.tp + c.fp:>5} {c.tp:>5} {c.precision:>6.2f} {c.recall:>6.2f} {c.f1:>6.2f}")
        if self.matched:
            lines += ["", "field agreement on matched claims:"]
            for f in AGREEMENT_FIELDS:
                lines.append(f"  {f:<13} {self.agreement[f] / self.matched:.2f}")
        return "\n".join(lines)


def match_article(text: str, extracted: list[dict], gold: list[dict], tol: float = 0.10) -> list[tuple[int, int]]:
    """One-to-one (extracted index, gold index) matches for one article."""
    candidates = []
    for i, x in enumerate(extracted):
        for j, g in enumerate(gold):
            if x.get("kind") != g.get("kind") or x.get("vehicle_class") != g.get("vehicle_class"):
                continue
            overlap = quote_overlap(text, x.get("quote"), g.get("quote"))
            if overlap <= 0 or not values_agree(x, g, tol) or not periods_agree(x, g):
                continue
            candidates.append((overlap, i, j))
    candidates.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_x, used_g, pairs = set(), set(), []
    for _, i, j in candidates:
        if i in used_x or j in used_g:
            continue
        used_x.add(i)
        used_g.add(j)
        pairs.append((i, j))
    return pairs


def evaluate(articles: Iterable[tuple[str, str, list[dict], list[dict]]], tol: float = 0.10) -> Evaluation:
    """``articles``: (name, text, extracted claims, gold claims) per article."""
    ev = Evaluation()
    for name, text, extracted, gold in articles:
        pairs = match_article(text, extracted, gold, tol)
        art = ev.per_article.setdefault(name, Counts())
        mx, mg = {i for i, _ in pairs}, {j for _, j in pairs}
        for i, j in pairs:
            ev.kind(gold[j]["kind"]).tp += 1
            art.tp += 1
            ev.matched += 1
            for f in AGREEMENT_FIELDS:
                if extracted[i].get(f) == gold[j].get(f):
                    ev.agreement[f] += 1
        for i, x in enumerate(extracted):
            if i not in mx:
                ev.kind(x.get("kind", "other")).fp += 1
                art.fp += 1
                ev.extras.append({"article": name, **x})
        for j, g in enumerate(gold):
            if j not in mg:
                ev.kind(g["kind"]).fn += 1
                art.fn += 1
                ev.misses.append({"article": name, **g})
    for c in ev.per_article.values():
        ev.overall.add(c)
    return ev


def gold_path(articles_dir: Path, article_file: Path) -> Path:
    return articles_dir / "gold" / (article_file.stem + ".claims.json")


def load_gold(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_corpus(folder: Path, gazetteer=None, names: Iterable[str] | None = None,
                exclude: Iterable[str] = ()) -> list[tuple[str, str, list[dict], list[dict]]]:
    """Every article in ``folder`` that has a gold file: (file name, text, extracted claims, gold claims).

    ``names`` keeps only those files; ``exclude`` drops those (a blind part nobody may look at).
    """
    from borderwatch.claims.articles import load_article_file
    from borderwatch.claims.extract import extract_claims
    from borderwatch.geo.gazetteer import load_gazetteer

    gaz = gazetteer or load_gazetteer()
    out = []
    keep = None if names is None else set(names)
    skip = set(exclude)
    for f in sorted(Path(folder).glob("*.json")):
        if (keep is not None and f.name not in keep) or f.name in skip:
            continue
        gold_file = gold_path(Path(folder), f)
        if not gold_file.exists():
            continue
        (article,) = load_article_file(f)
        claims = [c.to_dict() for c in extract_claims(article, gaz)]
        out.append((f.name, article.text, claims, load_gold(gold_file)))
    return out
