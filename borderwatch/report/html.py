"""The report page: one self-contained HTML file (inline CSS, inline PNG/SVG, no script, no network).

Everything that comes from outside the program (article quotes, titles, URLs, file names, area
names, error messages) goes through ``esc``; links to articles are kept only for http(s) URLs.
"""

from __future__ import annotations

import base64
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from html import escape
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from borderwatch.claims.rules import stated_claim
from borderwatch.report.tables import CLASS_COLOURS, VERDICT_COLOURS, VERDICTS

VERDICT_TEXT = {
    "supported": "the imagery agrees with the claim within the stated interval",
    "contradicted": "the imagery disagrees with the claim beyond the interval",
    "inconclusive": "imagery exists but cannot decide (the interval straddles the claim, or too little coverage)",
    "not_testable": "imagery cannot test it (prices, provenance, or no imagery of that place and time)",
}


def esc(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NaT:
        return ""
    return escape(str(value), quote=True)


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def safe_url(url) -> str | None:
    """The URL if it is a plain http(s) link, else None (no javascript:, data:, file: links)."""
    if is_missing(url):
        return None
    text = str(url).strip()
    try:
        scheme = urlparse(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in ("http", "https") else None


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def fmt_num(value, digits: int = 3) -> str:
    if is_missing(value):
        return ""
    f = float(value)
    if abs(f - round(f)) < 1e-9 and abs(f) < 1e12:
        return f"{int(round(f)):,}"
    return f"{f:,.{digits}g}" if abs(f) < 1 else f"{f:,.1f}"


def fmt_date(value) -> str:
    if is_missing(value):
        return ""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return esc(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%d %H:%M UTC") if (ts.hour or ts.minute) else ts.strftime("%Y-%m-%d")


def fmt_time(value, zone: tzinfo | None = None, label: str = "UTC") -> str:
    """A capture time in the report's zone (the counts' time zone), with the zone written out."""
    if is_missing(value):
        return ""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return esc(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    ts = ts.tz_convert(zone or UTC)
    return f"{ts.strftime('%Y-%m-%d %H:%M')} {label}"


def stated_value(row) -> tuple[str, str]:
    """The claimed value as the article states it (plain text) and its unit ("" for vehicles): never
    widened by the comparison's tolerance."""
    kind = str(row.get("kind") or "")
    value, low, high = row.get("value"), row.get("low"), row.get("high")
    unit = row.get("unit")
    counted = stated_claim(row) if kind in ("count", "range", "lower_bound", "upper_bound", "approximate") else None
    if counted is not None:
        text = counted  # the one wording compare's reasons use too
    elif kind == "proportion":
        def pct(v):
            return f"{float(v) * 100:.0f}%" if not is_missing(v) else ""
        text = f"{pct(low)}–{pct(high)}" if not is_missing(low) and not is_missing(high) else pct(value)
    elif kind == "trend":
        arrows = {"increase": "↑", "decrease": "↓", "stable": "→", "halted": "⏹", "resumed": "↻"}
        direction = str(row.get("direction") or "")
        text = f"{arrows.get(direction, '')} {direction}".strip() or "trend"
    elif kind == "presence":
        text = "present"
    elif kind == "absence":
        text = "none"
    elif kind == "price":
        currency = row.get("currency")
        text = f"{fmt_num(value)} {'' if is_missing(currency) else currency}".strip()
    else:
        text = fmt_num(value) if not is_missing(value) else kind or "—"
    shown_unit = "" if is_missing(unit) or str(unit) in ("vehicles", "") else str(unit).replace("_", " ")
    return text, shown_unit


def period_text(start, end) -> str:
    a, b = fmt_date(start), fmt_date(end)
    if a and b:
        return a if a == b else f"{a} – {b}"
    if a:
        return f"from {a}"
    if b:
        return f"until {b}"
    return "<span class=muted>undated</span>"


def chip(verdict: str) -> str:
    colour = VERDICT_COLOURS.get(verdict, "#7f8c8d")
    return f'<span class="chip" style="background:{colour}">{esc(verdict.replace("_", " "))}</span>'


def class_chip(cls: str) -> str:
    colour = CLASS_COLOURS.get(cls, "#555")
    return f'<span class="cls" style="border-color:{colour};color:{colour}">{esc(cls.replace("_", " "))}</span>'


@dataclass
class Picture:
    """A rendered figure: PNG bytes and its pixel size."""

    png: bytes
    width: int
    height: int
    alt: str

    def img(self, css_class: str = "fig") -> str:
        return (f'<img class="{css_class}" src="{data_uri(self.png)}" width="{self.width}" height="{self.height}" '
                f'alt="{esc(self.alt)}">')


@dataclass
class AreaSection:
    name: str
    parent: str | None
    country: str | None
    stats: list[tuple[str, str]]
    map_fig: Picture | None
    chart_fig: Picture | None
    unplaced_claims: list[int]
    counts: pd.DataFrame
    photos: list[dict]  # source_path, captured_at, n_detections, frame_id, has_thumb
    why_no_chart: str | None = None  # said in place of the chart when there is none


@dataclass
class Evidence:
    frame_id: str
    source_path: str
    captured_at: object
    area: str | None
    kind: str
    n_boxes: int
    figure: Picture | None
    error: str | None = None


@dataclass
class PageData:
    title: str
    notice: str | None
    generated: datetime
    run_dir: Path
    report_dir: Path
    frame_status: dict[str, int]
    n_frames: int
    per_class: dict[str, int]
    class_bars: str
    areas_covered: list[tuple[str, str]]  # name, detail
    verdicts: dict[str, int]
    n_articles: int
    claims: pd.DataFrame  # comparisons with 'number', 'published', 'publisher', 'title'
    areas: list[AreaSection]
    evidence: dict[str, Evidence]
    failures: pd.DataFrame
    files: list[tuple[str, Path, str]]  # label, path, what it holds
    notes: list[str] = field(default_factory=list)
    version: str = ""
    by: str = "day"
    zone: tzinfo | None = None  # capture times are shown in this zone (the counts' zone)
    zone_label: str = "UTC"
    why_no_areas: str | None = None  # said in place of the area sections when there are none

    def time(self, value) -> str:
        return fmt_time(value, self.zone, self.zone_label)




def _rel(target: Path, report_dir: Path) -> str:
    return Path(os.path.relpath(target, report_dir)).as_posix()


def summary_section(page: PageData) -> str:
    status = page.frame_status
    failed = status.get("failed", 0)
    order = {"ok": 0, "skipped": 1, "failed": 2}
    status_text = " · ".join(f"{v} {esc(k)}" for k, v in sorted(status.items(), key=lambda kv: order.get(kv[0], 3))
                             if k != "failed")
    total_vehicles = sum(page.per_class.values())
    fail_link = f' · <a href="#failures">{failed} failed</a>' if failed else ""
    verdict_rows = "".join(
        f"<div>{chip(v)} <b>{page.verdicts.get(v, 0)}</b></div>" for v in VERDICTS if page.verdicts.get(v)
    )
    n_claims = sum(page.verdicts.values())
    areas_html = "".join(f"<li><b>{esc(n)}</b> <span class=muted>{esc(d)}</span></li>" for n, d in page.areas_covered)
    return f"""
<section id="summary"><h2>Summary</h2>
<div class="cards">
 <div class="card"><h3>Frames</h3><div class="big">{page.n_frames}</div>
  <div class="muted">{status_text or "none"}{fail_link}</div></div>
 <div class="card"><h3>Vehicles detected</h3><div class="big">{total_vehicles:,}</div>
  {page.class_bars or '<div class="muted">no vehicles detected</div>'}</div>
 <div class="card"><h3>Areas covered</h3><div class="big">{len(page.areas_covered)}</div>
  <ul style="margin:6px 0 0;padding-left:18px">{areas_html or '<li class=muted>none</li>'}</ul></div>
 <div class="card"><h3>Claims</h3><div class="big">{n_claims}</div>
  <div class="muted">from {page.n_articles} article{'s' if page.n_articles != 1 else ''}</div>
  <div style="margin-top:6px;display:grid;gap:4px">{verdict_rows or '<span class=muted>no claims compared</span>'}</div>
 </div>
</div>
</section>"""


def fmt_percent(fraction) -> str:
    """A fraction as a percentage, written as the verdicts write it (``claims.stats.percent``)."""
    from borderwatch.claims.stats import percent

    return percent(fraction)


def _counts_table(counts: pd.DataFrame) -> str:
    if counts is None or counts.empty:
        return ""
    sort = [c for c in ("bucket_start", "frame_kind", "vehicle_class") if c in counts.columns]
    counts = counts.sort_values(sort)
    dash = '<span class="muted">—</span>'
    rows = []
    for _, r in counts.iterrows():
        km2 = r.get("imaged_km2")
        ground = not is_missing(km2) and float(km2) > 0  # photos have no ground area: no density, no coverage
        if not is_missing(r.get("calibrated_low")) and not is_missing(r.get("calibrated_high")):
            interval = fmt_interval(r.get("calibrated_low"), r.get("calibrated_high"))
            cal = f"{fmt_num(r.get('calibrated_count'))} <span class=muted>({interval})</span>"
        else:
            why = r.get("calibration")
            cal = f'<span class="muted" style="border-bottom:1px dotted" title="{esc(why)}">uncalibrated</span>' if not is_missing(why) else dash
        kind = r.get("frame_kind")
        kind = "overhead" if is_missing(kind) and ground else ("photo" if is_missing(kind) else str(kind))
        cov = r.get("coverage_fraction")
        rows.append(
            f"<tr><td style='white-space:nowrap'>{esc(r.get('bucket'))}</td><td>{esc(kind)}</td><td>{class_chip(str(r.get('vehicle_class')))}</td>"
            f"<td class=num>{fmt_num(r.get('count'))}</td><td class=num>{fmt_num(r.get('raw_count'))}</td>"
            f"<td class=num>{cal}</td>"
            f"<td class=num>{fmt_num(r.get('density_per_km2')) if ground else dash}</td>"
            f"<td class=num>{fmt_num(km2) if ground else dash}</td>"
            f"<td class=num>{fmt_percent(cov) if ground and not is_missing(cov) else dash}</td>"
            f"<td class=num>{fmt_num(r.get('n_frames'))}</td></tr>"
        )
    notes = sorted({str(v) for v in counts.get("calibration", pd.Series(dtype=object)).dropna() if str(v)})
    note_html = ("<ul class=src>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>") if notes else ""
    open_attr = " open" if len(rows) <= 12 else ""
    return f"""<details{open_attr}><summary>Counts table ({len(rows)} rows)</summary>
<table><thead><tr><th>Bucket</th><th>Frames of</th><th>Class</th><th>Count</th><th>Raw</th><th>Calibrated (90%)</th>
<th>per km²</th><th>km² imaged</th><th>Coverage</th><th>Frames</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
<div class=src>What the calibration rests on:</div>{note_html or '<div class=src>no calibration recorded</div>'}
<p class=src>Photo rows have no ground area: no density or coverage (—). Photos and overhead imagery are counted
apart and never added.</p>
</details>"""


def fmt_interval(low, high) -> str:
    """A 90% interval of counts: whole vehicles, 'a–b', or '≥ a' when open above."""
    if is_missing(low) or is_missing(high):
        return ""
    if math.isinf(float(high)):
        return f"≥ {fmt_num(round(float(low)))}"
    return f"{fmt_num(round(float(low)))}–{fmt_num(round(float(high)))}"


def area_section(area: AreaSection, page: PageData) -> str:
    stats = "".join(f"<span>{esc(k)}: <b>{esc(v)}</b></span>" for k, v in area.stats)
    where = ", ".join(esc(x) for x in (area.parent, area.country) if x)
    parts = [f'<div class="area" id="area-{esc(area.name)}"><h3>{esc(area.name)}'
             f'{f" <span class=muted>({where})</span>" if where else ""}</h3><div class="stats">{stats}</div>']
    if area.map_fig is not None:
        parts.append(area.map_fig.img())
    if area.photos:
        items = []
        for p in area.photos:
            name = esc(Path(str(p["source_path"])).name)
            link = f'<a href="#frame-{esc(p["frame_id"])}">{name}</a>' if p.get("has_thumb") else name
            items.append(f"<li>{link} <span class=muted>{page.time(p.get('captured_at'))} · "
                         f"{fmt_num(p.get('n_detections')) or 0} vehicles</span></li>")
        parts.append(f"<p><b>Photos of {esc(area.name)}</b> <span class=muted>(no map position: placed in this area "
                     f"by the manifest or EXIF GPS)</span></p><ul>{''.join(items)}</ul>")
    if area.chart_fig is not None:
        parts.append(area.chart_fig.img())
    elif area.why_no_chart:
        parts.append(f"<p class=muted>No counts over time: {esc(area.why_no_chart)}</p>")
    if area.unplaced_claims:
        links = ", ".join(f'<a href="#claim-{n}">#{n}</a>' for n in area.unplaced_claims)
        parts.append(f"<p class=muted>Claims not drawn on the time axis (undated or far from any imagery): {links}</p>")
    if area.map_fig is None and area.chart_fig is None and not area.photos:
        parts.append("<p class=muted>No imagery of this area; it appears because a claim names it.</p>")
    parts.append(_counts_table(area.counts))
    parts.append("</div>")
    return "".join(parts)


def evidence_section(page: PageData) -> str:
    shown = [e for e in page.evidence.values() if e.figure is not None or e.error]
    if not shown:
        return ""
    figs = []
    for ev in shown:
        name = esc(Path(ev.source_path).name)
        caption = (f"<b>{name}</b><br>{page.time(ev.captured_at)} · {esc(ev.area) or 'no area'} · {esc(ev.kind)} · "
                   f"{ev.n_boxes} box{'es' if ev.n_boxes != 1 else ''}<br><code>{esc(ev.frame_id)}</code>")
        if ev.figure is not None:
            figs.append(f'<figure class="thumb" id="frame-{esc(ev.frame_id)}">{ev.figure.img("")}'
                        f"<figcaption>{caption}</figcaption></figure>")
        else:
            figs.append(f'<figure class="thumb" id="frame-{esc(ev.frame_id)}"><p class=muted>thumbnail unavailable: '
                        f"{esc(ev.error)}</p><figcaption>{caption}</figcaption></figure>")
    legend = "".join(f"<span>{class_chip(c)}</span>" for c in CLASS_COLOURS if c != "any_vehicle")
    return f"""<section id="evidence"><h2>Evidence</h2>
<p class="muted">The part of each frame where vehicles were found, boxes outlined in the class colour.</p>
<div class="legend">{legend}</div><div class="thumbs">{''.join(figs)}</div></section>"""


def failures_section(page: PageData) -> str:
    failures = page.failures
    if failures is None or failures.empty:
        return """<section id="failures"><h2>Frame failures</h2><p class="muted">Every frame was read.</p></section>"""
    items = []
    for _, f in failures.iterrows():
        items.append(f"""<article class="failure" id="failure-{esc(f.get('frame_id'))}">
<h3>{esc(Path(str(f.get('source_path'))).name)}</h3>
<div><b>Reason:</b> {esc(f.get('error')) or 'unknown'}</div>
<div class="src">file <code>{esc(f.get('source_path'))}</code> · frame id <code>{esc(f.get('frame_id'))}</code>
{(' · kind ' + esc(f.get('kind'))) if not is_missing(f.get('kind')) else ''}</div></article>""")
    return f"""<section id="failures"><h2>Frame failures ({len(items)})</h2>
<p class="muted">These frames could not be used; the rest of the run went on. Fix or remove them and run again:
frames already done are not processed twice.</p>{''.join(items)}</section>"""


def files_section(page: PageData) -> str:
    items = []
    for label, path, what in page.files:
        if path.exists():
            items.append(f'<li><a href="{esc(_rel(path, page.report_dir))}">{esc(label)}</a> — {esc(what)}</li>')
    return f"""<section id="files"><h2>Data files</h2>
<p class="muted">Tables behind this page (relative links into the run folder <code>{esc(page.run_dir)}</code>).</p>
<ul class="files">{''.join(items)}</ul></section>"""
