"""Bounded work and per-article isolation in claim extraction (hostile inputs, issue 15).

- an article dated year 1 or 9999 costs nothing to the other articles of its file (nor itself);
- one article that fails is that article's one warning line; the others of the file are written;
- long sentences are split, long tokens dropped, so work is linear in the text: adversarial texts up
  to 1 MB (no sentence breaks, repeated numbers, huge tokens, dense vehicle words) finish in under
  10 s, either with their claims or failed by the per-article time budget;
- an article over the size limit is refused with a clear error naming it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.claims.articles import Article, load_article_file, resolve_dates
from borderwatch.claims.extract import MAX_ARTICLE_CHARS, ExtractionTimeout, extract_claims
from borderwatch.claims.sentences import MAX_SENTENCE_CHARS, segment
from borderwatch.errors import InputError
from borderwatch.geo.gazetteer import load_gazetteer

BLOCKS = (
    "some 30 trucks and dozens of cars were seen near the Sinuiju bridge while prices rose by 20 percent and ",
    "12 ", "9" * 5000 + " trucks ", "x" * 100_000 + " ", "trucks, ", "1,000,000,000 yuan ", "(((( [[[[ ",
    "no no not never rarely ", "from 2020 to 2023 since last year on Monday ", "Hyesan Sinuiju Dandong ",
    "\u201c\u201d\"' ",
)


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def _article(text: str, published: str | None = "2025-01-01") -> Article:
    return resolve_dates(Article("adv.json", "adv.json", text, published=published))


def _run(article: Article, gaz) -> tuple[float, object]:
    t0 = time.perf_counter()
    try:
        out: object = extract_claims(article, gaz)
    except ExtractionTimeout as exc:
        out = exc
    return time.perf_counter() - t0, out


@pytest.mark.parametrize("block", BLOCKS[:5], ids=["no-breaks", "numbers", "long-digits", "huge-token", "dense-words"])
def test_adversarial_megabyte_finishes_in_seconds(gaz, block):
    text = (block * (1_000_000 // len(block) + 1))[:1_000_000]
    elapsed, out = _run(_article(text), gaz)
    assert elapsed < 10, f"{elapsed:.1f} s"
    if isinstance(out, ExtractionTimeout):
        assert "adv.json" in str(out) and "budget" in str(out)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=st.lists(st.sampled_from(BLOCKS), min_size=1, max_size=4),
       size=st.sampled_from([2_000, 50_000, 300_000]))
def test_adversarial_mixtures_finish_in_seconds(gaz, blocks, size):
    unit = "".join(blocks)
    text = (unit * (size // len(unit) + 1))[:size]
    elapsed, _ = _run(_article(text), gaz)
    assert elapsed < 10


def test_long_sentences_are_split_and_quotes_stay_substrings(gaz):
    text = "Thirty trucks crossed at Sinuiju and " * 2000
    for p in segment(text):
        for s in p.sentences:
            assert len(s.text) <= MAX_SENTENCE_CHARS
            assert text[s.start:s.end] == s.text
    # the budget guards wall time, which a loaded CI runner stretches; this test is about splitting
    claims = extract_claims(_article(text), gaz, time_budget=60.0)
    assert claims and all(c.quote in text for c in claims)


def test_time_budget_fails_the_article(gaz):
    text = "trucks, " * 20_000
    with pytest.raises(ExtractionTimeout, match="budget"):
        extract_claims(_article(text), gaz, time_budget=0.0)


def test_oversized_article_is_refused_with_its_name(gaz):
    with pytest.raises(InputError, match=r"adv\.json: article text is .* limit"):
        extract_claims(_article("a" * (MAX_ARTICLE_CHARS + 1)), gaz)


@pytest.mark.parametrize("published", ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00Z"])
def test_extreme_publication_dates_are_ignored_not_fatal(gaz, published):
    art = _article("Some 30 trucks crossed the bridge at Sinuiju last year. Next year more will come.", published)
    assert art.reference is None and any("ignored" in n for n in art.notes)
    claims = extract_claims(art, gaz)
    assert any(c.kind == "approximate" for c in claims)


def _cli(tmp_path, *files) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "borderwatch.cli", "claims", *map(str, files), "-o",
                           str(tmp_path / "claims.json"), "-q"], capture_output=True, text=True, timeout=120)


def test_one_article_dated_9999_keeps_the_rest_of_its_file(tmp_path):
    text = "Some 30 trucks crossed the bridge at Sinuiju last year."
    arts = [{"text": text, "published": p} for p in ("2020-01-01", "9999-12-31", "0001-01-01", "2021-05-05")]
    f = tmp_path / "list.json"
    f.write_text(json.dumps(arts), encoding="utf-8")
    assert len(load_article_file(f)) == 4
    r = _cli(tmp_path, f)
    assert r.returncode == 0, r.stderr
    sources = {c["source_file"] for c in json.loads((tmp_path / "claims.json").read_text())}
    assert sources == {"list.json#0", "list.json#1", "list.json#2", "list.json#3"}


def test_a_failing_article_is_its_own_line_and_the_others_go_on(tmp_path):
    ok = "Some 30 trucks crossed the bridge at Sinuiju on Monday."
    arts = [{"text": ok, "published": "2025-01-06"}, {"text": "a" * (MAX_ARTICLE_CHARS + 10)},
            {"text": ok, "published": "2025-01-07"}]
    f = tmp_path / "list.json"
    f.write_text(json.dumps(arts), encoding="utf-8")
    r = _cli(tmp_path, f)
    assert r.returncode == 1
    lines = [ln for ln in r.stderr.splitlines() if "list.json#1" in ln]
    assert len(lines) == 1 and "limit" in lines[0], r.stderr
    sources = {c["source_file"] for c in json.loads((tmp_path / "claims.json").read_text())}
    assert sources == {"list.json#0", "list.json#2"}
