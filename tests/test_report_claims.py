"""The report states claims as the articles did, keeps claims without a count off the count scale,
stamps a demo's thumbnails, and groups the claims table by article without losing a claim."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from test_report_html import make_run

from borderwatch import tables as T
from borderwatch.report.claims_table import stated_reason


@pytest.mark.parametrize("row, stated", [
    ({"kind": "approximate", "value": 30.0, "reason": "Imagery shows 0 against the claimed 23.2–36.8, but only 1%."},
     "the claimed about 30 (±22.5%)"),
    ({"kind": "count", "value": 2.0, "reason": "Photos show 1 against the claimed 1.7–2.3, but photos ..."},
     "the claimed 2 (±15%)"),
    ({"kind": "lower_bound", "low": 10.0, "reason": "Photos show 20: the claimed ≥ 8.5 is met."},
     "the claimed ≥ 10 (±15%)"),
    ({"kind": "upper_bound", "high": 40.0, "reason": "Imagery shows 50, above the claimed ≤ 46."},
     "the claimed ≤ 40 (±15%)"),
    ({"kind": "range", "low": 100.0, "high": 900.0, "reason": "Imagery shows 3, below the claimed 85–1035."},
     "the claimed 100–900 (±15%)"),
    ({"kind": "count", "value": 5.0, "unit": "vehicles_per_night",
      "reason": "The count rose by 9, more than the claimed inflow 4.2–5.8; ..."},
     "the claimed inflow 5 (±15%)"),
])
def test_reasons_state_the_claim_as_the_article_did(row, stated):
    reason, tol = stated_reason(row)
    assert stated in reason and tol is not None
    assert not re.search(r"claimed (inflow )?[≥≤]? ?\d+\.\d", reason)  # no widened figure left


def test_a_reason_not_about_the_widened_claim_is_kept():
    row = {"kind": "count", "value": 30.0, "reason": "against the claimed 5–7 (another claim's figure)"}
    assert stated_reason(row) == (row["reason"], None)
    assert stated_reason({"kind": "trend", "reason": None}) == ("", None)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    from borderwatch.report.build import build_report

    root = tmp_path_factory.mktemp("demo-report")
    run = make_run(root)
    (run / T.RUN_LABEL).write_text(json.dumps({"demo": True, "title": "demo", "notice": "DEMO. Placed imagery."}))
    return run, build_report(run, pdf=True, quiet=True)  # as `borderwatch report RUN` rebuilds it


def _thumbs(page: str) -> list[np.ndarray]:
    import base64

    from PIL import Image

    figs = re.findall(r'<figure class="thumb"[^>]*><img class="" src="data:image/png;base64,([^"]+)"', page)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(b))).convert("RGB")) for b in figs]


def test_a_demo_stamps_every_thumbnail(demo_report, tmp_path):
    from borderwatch.report.build import build_report
    from borderwatch.report.thumbnails import STAMP_FILL

    _, out = demo_report
    thumbs = _thumbs(out.index.read_text(encoding="utf-8"))
    assert len(thumbs) >= 3
    for img in thumbs:  # the banner's rows above the picture are the stamp's colour
        band = img[2:6, img.shape[1] // 2 + 40:]
        assert (np.abs(band.astype(int) - STAMP_FILL).max(axis=-1) < 40).mean() > 0.9
    plain = build_report(make_run(tmp_path), quiet=True).index.read_text(encoding="utf-8")
    for img in _thumbs(plain):
        band = img[2:6, img.shape[1] // 2 + 40:]
        assert (np.abs(band.astype(int) - STAMP_FILL).max(axis=-1) < 40).mean() < 0.5


def test_the_pdf_carries_the_stamped_thumbnails(demo_report):
    _, out = demo_report
    assert out.pdf is not None and out.pdf.stat().st_size > 20_000
    text = out.pdf.read_bytes()
    assert text.count(b"/Subtype /Image") >= 3  # the thumbnails are embedded as images


def test_claims_are_grouped_by_article_and_none_is_lost(demo_report):
    run, out = demo_report
    page = out.index.read_text(encoding="utf-8")
    comparisons = pd.read_parquet(run / T.COMPARISONS.name)
    assert len(re.findall(r'<tr id="claim-\d+" class="claim">', page)) == len(comparisons)
    assert page.count('<tr class="article">') == comparisons["source_file"].nunique()
    summary = page.split('<div class="verdicts">')[1].split("</div>")[0]
    assert "<b>5</b> claims from <b>3</b> articles" in summary
    for verdict in ("supported", "contradicted", "inconclusive", "not testable"):
        assert verdict in summary
    assert "<details class=ev>" in page  # evidence details collapse; the verdict and the quote stay in view


def test_claims_without_a_count_are_drawn_off_the_count_scale():
    from borderwatch.report.charts import LANE, ClaimMark, area_chart

    start = pd.Timestamp("2025-09-14", tz="UTC")
    counts = pd.DataFrame([{"vehicle_class": "truck", "bucket_start": start + pd.Timedelta(days=d),
                            "bucket_end": start + pd.Timedelta(days=d + 1), "count": n, "imaged_km2": None,
                            "frame_ids": [f"f{d}"]} for d, n in enumerate([0, 1, 0])])
    trend = ClaimMark(9, "trend", "truck", "inconclusive", start - pd.Timedelta(days=10), start + pd.Timedelta(days=2),
                      None, None, None, "increase")
    fig, _ = area_chart("Sinuiju", counts, [trend])
    ax = fig.axes[0]
    top = ax.get_ylim()[1]
    assert max(ax.get_yticks()) <= top * (1 - LANE) + 1e-9  # no count tick reaches into the lane
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 1
    (_, y0), (_, y1) = arrows[0].xyann, arrows[0].xy
    assert arrows[0].xycoords is not None and min(y0, y1) >= 1 - LANE  # in axes fractions, inside the lane
    assert y1 > y0  # an increase points up
