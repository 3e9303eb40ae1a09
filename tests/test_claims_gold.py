"""Extraction measured on the development corpus of ../shared/articles (skipped when absent)."""

from __future__ import annotations

from conftest import shared_path

from borderwatch.claims.evaluate import (
    evaluate,
    load_corpus,
    periods_agree,
    quote_overlap,
    values_agree,
)


def test_extraction_f1_on_the_development_corpus():
    folder = shared_path("articles")
    items = load_corpus(folder)
    for _name, text, claims, _gold in items:
        for c in claims:
            assert c["quote"] in text
    assert len(items) >= 10
    ev = evaluate(items)
    assert ev.overall.f1 >= 0.80, ev.report()
    assert ev.overall.precision >= 0.75 and ev.overall.recall >= 0.75, ev.report()


def test_matching_rules():
    text = "Sixteen trucks waited. Later four more came."
    assert quote_overlap(text, "Sixteen trucks waited.", "trucks waited") > 0
    assert quote_overlap(text, "Sixteen trucks waited.", "four more came") == 0
    assert values_agree({"value": 16}, {"value": 17}) and not values_agree({"value": 16}, {"value": 20})
    assert values_agree({"kind": "proportion", "value": 0.9}, {"kind": "proportion", "value": 0.93})
    assert periods_agree({}, {}) and not periods_agree({"period_end": "2025-03-04"}, {})
    assert periods_agree({"period_end": "2025-03-04"}, {"period_start": "2025-01-01", "period_end": "2025-01-10"})
    assert not periods_agree({"period_start": "2025-02-01", "period_end": "2025-03-04"},
                             {"period_start": "2025-01-01", "period_end": "2025-01-10"})
    items = [("a", text, [{"quote": "Sixteen trucks waited.", "kind": "count", "vehicle_class": "truck", "value": 16},
                          {"quote": "four more came", "kind": "count", "vehicle_class": "truck", "value": 5}],
              [{"quote": "trucks waited", "kind": "count", "vehicle_class": "truck", "value": 16},
               {"quote": "four more came", "kind": "count", "vehicle_class": "truck", "value": 4}])]
    ev = evaluate(items)
    assert (ev.overall.tp, ev.overall.fp, ev.overall.fn) == (1, 1, 1)
