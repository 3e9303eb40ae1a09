"""index.html from its parts: the sections of ``report.html`` and the claims table of ``report.claims_table``."""

from __future__ import annotations

from datetime import UTC

from borderwatch.report import html as H
from borderwatch.report.claims_table import claims_section
from borderwatch.report.html import PageData
from borderwatch.report.style import CSS


def render_page(page: PageData) -> str:
    notice = f'<div class="notice">{H.esc(page.notice)}</div>' if page.notice else ""
    notes = ""
    if page.notes:
        notes = ("<section id=notes><h2>Notes</h2><ul>" + "".join(f"<li>{H.esc(n)}</li>" for n in page.notes)
                 + "</ul></section>")
    areas = "".join(H.area_section(a, page) for a in page.areas) or (
        f"<p class=muted>No areas to show: {H.esc(page.why_no_areas or 'no frame lies in an area')}</p>")
    nav_items = [("summary", "Summary"), ("claims", "Claims"), ("areas", "Areas"), ("evidence", "Evidence"),
                 ("failures", "Failures"), ("files", "Data files")]
    nav = "".join(f'<a href="#{k}">{v}</a>' for k, v in nav_items)
    generated = page.generated.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{H.esc(page.title)}</title>
<style>{CSS}</style></head>
<body>
<header class="top"><h1>{H.esc(page.title)}</h1>
<div class="meta">generated {generated} by borderwatch {H.esc(page.version)} · run folder {H.esc(page.run_dir)} ·
counts per {H.esc(page.by)} · times in {H.esc(page.zone_label)}</div></header>
<nav>{nav}</nav>
<main>{notice}
{H.summary_section(page)}
{claims_section(page)}
<section id="areas"><h2>Areas</h2>{areas}</section>
{H.evidence_section(page)}
{H.failures_section(page)}
{notes}
{H.files_section(page)}
</main>
<footer>Counts are detections by the model after merging across tiles and removing the same vehicle seen in
overlapping scenes of one date; they are lower bounds on what was there when the model misses vehicles, which
the calibrated estimate (from the model card's measured precision and recall) corrects for. A verdict says what
the imagery at hand says about a claim, not whether the claim is true.</footer>
</body></html>
"""
