"""Measure claim extraction against the gold claims of an article folder.

    python scripts/eval_claims.py ../shared/articles            # all articles
    python scripts/eval_claims.py ../shared/articles --split    # development / held-out / all
    python scripts/eval_claims.py ../shared/articles --errors   # also list misses and extras
    python scripts/eval_claims.py ../shared/articles --split --out /tmp/team/eval_claims.txt

Matching rules are in ``borderwatch.claims.evaluate``. The split is fixed: every third article in
name order (3rd, 6th, ...) is held out; the extractor was developed looking only at the errors on
the others.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from borderwatch.claims.evaluate import evaluate, load_corpus  # noqa: E402


def split(items: list) -> tuple[list, list]:
    held = [x for i, x in enumerate(items) if i % 3 == 2]
    dev = [x for i, x in enumerate(items) if i % 3 != 2]
    return dev, held


def _fmt(c: dict) -> str:
    vals = "/".join("" if c.get(k) is None else f"{c[k]:g}" for k in ("value", "low", "high"))
    return (f"{c.get('kind')}:{c.get('vehicle_class')} [{vals}] {c.get('direction') or ''} "
            f"{c.get('period_start')}..{c.get('period_end')} | {str(c.get('quote'))[:110]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, nargs="?", default=Path(__file__).resolve().parents[2] / "shared" / "articles")
    ap.add_argument("--split", action="store_true", help="report development and held-out articles separately")
    ap.add_argument("--errors", action="store_true", help="list gold claims missed and extracted claims unmatched")
    ap.add_argument("--only", choices=("dev", "held", "all"), default="all", help="which articles --errors lists")
    ap.add_argument("--tolerance", type=float, default=0.10, help="relative tolerance on values (default 0.10)")
    ap.add_argument("--out", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    if not args.folder.is_dir():
        print(f"{args.folder}: no such folder", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    items = load_corpus(args.folder)
    elapsed = time.perf_counter() - t0
    blocks = []
    dev, held = split(items)
    sets = [("all articles", items)]
    if args.split:
        sets = [(f"development ({len(dev)} articles)", dev), (f"held out ({len(held)} articles: "
                 + ", ".join(n for n, *_ in held) + ")", held)] + sets
    for name, subset in sets:
        ev = evaluate(subset, args.tolerance)
        blocks.append(f"== {name}\n{ev.report()}")
    ev_all = evaluate(items, args.tolerance)
    per_article = ["== per article (P R F1 gold)"]
    for n, c in ev_all.per_article.items():
        per_article.append(f"  {n[:60]:<60} {c.precision:.2f} {c.recall:.2f} {c.f1:.2f} {c.tp + c.fn:>3}")
    blocks.append("\n".join(per_article))
    blocks.append(f"extraction time: {elapsed:.2f} s for {len(items)} articles")
    report = "\n\n".join(blocks)
    print(report)
    if args.out:
        args.out.write_text(f"$ python scripts/eval_claims.py {args.folder} {'--split' if args.split else ''}\n\n"
                            + report + "\n", encoding="utf-8")
    if args.errors:
        chosen = {"dev": dev, "held": held, "all": items}[args.only]
        ev = evaluate(chosen, args.tolerance)
        print("\n== missed gold claims")
        for c in ev.misses:
            print(f"  {c['article'][:28]:<28} {_fmt(c)}")
        print("\n== extracted claims without a gold match")
        for c in ev.extras:
            print(f"  {c['article'][:28]:<28} {_fmt(c)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
