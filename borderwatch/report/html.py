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


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def safe_url(url) -> str | None:
    """The URL if it is a plain http(s) link, else None (no javascript:, data:, file: links)."""
    if _missing(url):
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
    if _missing(value):
        return ""
    f = float(value)
    if abs(f - round(f)) < 1e-9 and abs(f) < 1e12:
        return f"{int(round(f)):,}"
    return f"{f:,.{digits}g}" if abs(f) < 1 else f"{f:,.1f}"


def fmt_date(value) -> str:
    if _missing(value):
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
    if _missing(value):
        return ""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return esc(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    ts = ts.tz_convert(zone or UTC)
    return f"{ts.strftime('%Y-%m-%d %H:%M')} {label}"


def claim_value_text(row) -> str:
    kind = str(row.get("kind") or "")
    value, low, high = row.get("value"), row.get("low"), row.get("high")
    unit = row.get("unit")
    if kind == "proportion":
        def pct(v):
            return f"{float(v) * 100:.0f}%" if not _missing(v) else ""
        text = f"{pct(low)}–{pct(high)}" if not _missing(low) and not _missing(high) else pct(value)
    elif kind == "range":
        text = f"{fmt_num(low)}–{fmt_num(high)}"
    elif kind == "lower_bound":
        text = f"≥ {fmt_num(low if not _missing(low) else value)}"
    elif kind == "upper_bound":
        text = f"≤ {fmt_num(high if not _missing(high) else value)}"
    elif kind == "approximate":
        text = f"≈ {fmt_num(value)}"
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
        text = f"{fmt_num(value)} {'' if _missing(currency) else currency}".strip()
    else:
        text = fmt_num(value) if not _missing(value) else kind or "—"
    if not _missing(unit) and str(unit) not in ("vehicles", ""):
        return f"{esc(text)} <span class=unit>{esc(str(unit).replace('_', ' '))}</span>"
    return esc(text)


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


CSS = """
:root{--ink:#1d2733;--muted:#6b7785;--line:#dde3ea;--bg:#f6f8fa;--accent:#2c5d8f}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK KR",sans-serif;
 color:var(--ink);background:var(--bg)}
header.top{background:#14212e;color:#fff;padding:22px 32px 16px}
header.top h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:.2px}
header.top .meta{color:#b8c4d0;font-size:13px}
nav{position:sticky;top:0;z-index:5;background:#1d2d3d;padding:8px 32px;display:flex;gap:20px;flex-wrap:wrap}
nav a{color:#dfe8f1;text-decoration:none;font-size:14px}
nav a:hover{color:#fff;text-decoration:underline}
main{max-width:1240px;margin:0 auto;padding:20px 32px 60px}
section{margin-top:34px}
h2{font-size:21px;margin:0 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:18px;margin:22px 0 8px}
a{color:var(--accent)}
.notice{background:#fff4d6;border:1px solid #f0c36d;border-left:5px solid #e0a526;padding:12px 16px;border-radius:6px;
 margin-top:18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:14px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px}
.card h3{margin:0 0 6px;font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted)}
.bars{max-width:100%;margin-top:6px}
.big{font-size:30px;font-weight:650;line-height:1.1}
.muted{color:var(--muted)}
.chip{display:inline-block;color:#fff;border-radius:11px;padding:1px 9px;font-size:12.5px;font-weight:600;
 white-space:nowrap}
.cls{display:inline-block;border:1.5px solid;border-radius:4px;padding:0 6px;font-size:12.5px;white-space:nowrap;
.claims .cls{white-space:normal}
 background:#fff}
.unit{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13.5px}
th,td{border-bottom:1px solid var(--line);padding:7px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600;position:sticky;top:38px;z-index:1}
tbody tr:nth-child(even){background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.date{white-space:nowrap}
table.claims{table-layout:fixed}
table.claims td.ev,table.claims .src{overflow-wrap:anywhere}
td.quote{max-width:380px}
blockquote{margin:0;padding:0 0 0 10px;border-left:3px solid #cbd5df;font-style:italic}
.src{font-size:12px;color:var(--muted);margin-top:4px}
.reason{font-size:12px;color:var(--muted);margin-top:3px;max-width:240px}
.ev a{display:inline-block;margin:0 4px 3px 0;font-size:12px}
.area{background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 18px 16px;margin-top:20px}
.stats{display:flex;flex-wrap:wrap;gap:6px 22px;font-size:13.5px;color:var(--muted);margin-bottom:8px}
.stats b{color:var(--ink)}
img.fig{max-width:100%;height:auto;display:block;margin:8px 0;border:1px solid #eef0f2;border-radius:4px}
.thumbs{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:14px}
figure.thumb{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
figure.thumb img{max-width:100%;height:auto;display:block;border-radius:4px}
figure.thumb figcaption{font-size:12.5px;color:var(--muted);margin-top:6px;overflow-wrap:anywhere}
figure.thumb:target,article.failure:target{outline:3px solid #e0a526}
article.failure{background:#fff;border:1px solid #f1c4bf;border-left:5px solid #c0392b;border-radius:6px;
 padding:10px 14px;margin:10px 0}
article.failure h3{margin:0 0 4px;font-size:15px;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;background:#eef2f6;
 padding:1px 4px;border-radius:3px;word-break:break-all}
details summary{cursor:pointer;color:var(--accent);margin:6px 0}
ul.files li{margin:3px 0}
.legend{display:flex;flex-wrap:wrap;gap:8px 18px;font-size:13px;margin:8px 0 12px}
footer{max-width:1240px;margin:0 auto;padding:10px 32px 40px;color:var(--muted);font-size:12.5px}
@media print{nav{display:none}th{position:static}.area{break-inside:avoid}}
"""


def _rel(target: Path, report_dir: Path) -> str:
    return Path(os.path.relpath(target, report_dir)).as_posix()


def _summary(page: PageData) -> str:
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


def _evidence_links(frame_ids, page: PageData, limit: int = 6) -> str:
    if _missing(frame_ids) or not str(frame_ids).strip():
        return '<span class="muted">—</span>'
    ids = [f.strip() for f in str(frame_ids).split(",") if f.strip()]
    links = []
    for fid in ids[:limit]:
        ev = page.evidence.get(fid)
        day = page.time(ev.captured_at)[:10] if ev is not None else ""
        name = Path(ev.source_path).name if ev is not None else ""
        name = name if len(name) <= 22 else name[:21] + "…"
        label = f"{day} {name}".strip() if ev is not None else fid[:8]
        if ev is not None and ev.figure is not None:
            links.append(f'<a href="#frame-{esc(fid)}">{esc(label)}</a>')
        else:
            links.append(f'<span class="muted" title="{esc(fid)}">{esc(label)}</span>')
    more = f'<span class="muted">+{len(ids) - limit} more</span>' if len(ids) > limit else ""
    return "".join(links) + more


def _observed(row) -> str:
    if _missing(row.get("observed")):
        return '<span class="muted">—</span>'
    share = str(row.get("kind") or "") == "proportion"
    parts = [f"<b>{fmt_percent(row.get('observed')) if share else fmt_num(row.get('observed'))}</b>"]
    cal = row.get("observed_calibrated")
    lo, hi = row.get("observed_low"), row.get("observed_high")
    if not _missing(cal):
        parts.append(f"<div class=src>calibrated {fmt_num(cal)}</div>")
    if not _missing(lo) and not _missing(hi) and float(lo) != float(hi):  # equal ends: no calibration
        kind = str(row.get("kind") or "")
        if kind == "proportion":
            text = f"{fmt_percent(lo)}–{fmt_percent(hi)}"
        elif kind == "trend":
            text = f"rate ratio {fmt_num(lo)}–{fmt_num(hi)}"
        else:
            text = fmt_interval(lo, hi)
        parts.append(f"<div class=src>90%: {text}</div>")
    if not _missing(row.get("evidence")) and str(row.get("evidence")) != "none":
        parts.append(f"<div class=src>evidence: {esc(str(row.get('evidence')).replace('_', ' '))}</div>")
    if not _missing(row.get("calibration")):  # short in the cell; the whole sentence as its tooltip
        text = str(row.get("calibration"))
        short = ("uncalibrated" if text.startswith("not calibrated") else
                 "calibrated: " + text.split(":", 1)[0] if text.startswith("card ") else _short_why(text))
        parts.append(f'<div class=src style="text-decoration:underline dotted" title="{esc(text)}">{esc(short)}</div>')
    n = row.get("n_frames")
    dates = row.get("dates")
    if not _missing(n) and int(n):
        unique = list(dict.fromkeys(d.strip() for d in str(dates).split(",") if d.strip())) if not _missing(dates) else []
        parts.append(f"<div class=src>{int(n)} frame{'s' if int(n) != 1 else ''}"
                     f"{': ' + esc(', '.join(unique)) if unique else ''}</div>")
    cov = row.get("coverage_fraction")
    if not _missing(cov):
        parts.append(f"<div class=src>coverage {fmt_percent(cov)}</div>")
    return "".join(parts)


def fmt_percent(fraction) -> str:
    """A fraction as a percentage, written as the verdicts write it (``claims.stats.percent``)."""
    from borderwatch.claims.stats import percent

    return percent(fraction)


def _claims_table(page: PageData) -> str:
    claims = page.claims
    if claims is None or claims.empty:
        return """<section id="claims"><h2>Claims</h2>
<p class="muted">No claims were compared: give article files or folders under <code>articles:</code> in the
config (or a claims JSON under <code>claims:</code>) and run again.</p></section>"""
    rows = []
    for _, row in claims.iterrows():
        url = safe_url(row.get("url"))
        source_bits = [b for b in (row.get("publisher"), row.get("title")) if not _missing(b) and str(b)]
        source_name = " · ".join(esc(b) for b in source_bits) or esc(row.get("source_file")) or "source"
        source = f'<a href="{esc(url)}" rel="noreferrer noopener">{source_name}</a>' if url else source_name
        file_note = (f' <span class="muted">({esc(row.get("source_file"))})</span>'
                     if source_bits and not _missing(row.get("source_file")) else "")
        verdict = str(row.get("verdict") or "not_testable")
        cls = str(row.get("vehicle_class") or "any_vehicle")
        rows.append(f"""<tr id="claim-{int(row['number'])}" class="claim">
<td>{int(row['number'])}</td>
<td class="quote"><blockquote>{esc(row.get('quote'))}</blockquote><div class="src">{source}{file_note}</div></td>
<td class="date">{fmt_date(row.get('published')) or '<span class=muted>—</span>'}</td>
<td>{esc(row.get('place')) or '<span class=muted>—</span>'}</td>
<td>{class_chip(cls)}</td>
<td>{esc(str(row.get('kind') or '').replace('_', ' '))}<div><b>{claim_value_text(row)}</b></div>
 <div class="src">{period_text(row.get('period_start'), row.get('period_end'))}</div></td>
<td class="num">{_observed(row)}</td>
<td>{chip(verdict)}<div class="reason">{esc(row.get('reason'))}</div></td>
<td class="ev">{_evidence_links(row.get('frame_ids'), page)}</td>
</tr>""")
    legend = "".join(f"<span>{chip(v)} {esc(VERDICT_TEXT[v])}</span>" for v in VERDICTS)
    return f"""<section id="claims"><h2>Claims and verdicts</h2>
<div class="legend">{legend}</div>
<table class="claims"><colgroup><col style="width:3%"><col style="width:27%"><col style="width:8.5%">
<col style="width:7.5%"><col style="width:8.5%"><col style="width:11%"><col style="width:11.5%"><col style="width:12.5%">
<col style="width:10.5%"></colgroup><thead><tr><th>#</th><th>Quote and source</th><th>Published</th><th>Place</th>
<th>Class</th><th>Claim</th><th>Observed</th><th>Verdict</th><th>Evidence</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></section>"""


def _counts_table(counts: pd.DataFrame) -> str:
    if counts is None or counts.empty:
        return ""
    sort = [c for c in ("bucket_start", "frame_kind", "vehicle_class") if c in counts.columns]
    counts = counts.sort_values(sort)
    dash = '<span class="muted">—</span>'
    rows = []
    for _, r in counts.iterrows():
        km2 = r.get("imaged_km2")
        ground = not _missing(km2) and float(km2) > 0  # photos have no ground area: no density, no coverage
        if not _missing(r.get("calibrated_low")) and not _missing(r.get("calibrated_high")):
            interval = fmt_interval(r.get("calibrated_low"), r.get("calibrated_high"))
            cal = f"{fmt_num(r.get('calibrated_count'))} <span class=muted>({interval})</span>"
        else:
            why = r.get("calibration")
            cal = f'<span class="muted" style="border-bottom:1px dotted" title="{esc(why)}">uncalibrated</span>' if not _missing(why) else dash
        kind = r.get("frame_kind")
        kind = "overhead" if _missing(kind) and ground else ("photo" if _missing(kind) else str(kind))
        cov = r.get("coverage_fraction")
        rows.append(
            f"<tr><td style='white-space:nowrap'>{esc(r.get('bucket'))}</td><td>{esc(kind)}</td><td>{class_chip(str(r.get('vehicle_class')))}</td>"
            f"<td class=num>{fmt_num(r.get('count'))}</td><td class=num>{fmt_num(r.get('raw_count'))}</td>"
            f"<td class=num>{cal}</td>"
            f"<td class=num>{fmt_num(r.get('density_per_km2')) if ground else dash}</td>"
            f"<td class=num>{fmt_num(km2) if ground else dash}</td>"
            f"<td class=num>{fmt_percent(cov) if ground and not _missing(cov) else dash}</td>"
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


def _short_why(text) -> str:
    """The reason a row is not calibrated, short enough for a table cell (the full text is its tooltip)."""
    text = str(text)
    text = text.split(":", 1)[1].strip() if text.lower().startswith("not calibrated") and ":" in text else text
    return text if len(text) <= 48 else text[:47] + "…"


def fmt_interval(low, high) -> str:
    """A 90% interval of counts: whole vehicles, 'a–b', or '≥ a' when open above."""
    if _missing(low) or _missing(high):
        return ""
    if math.isinf(float(high)):
        return f"≥ {fmt_num(round(float(low)))}"
    return f"{fmt_num(round(float(low)))}–{fmt_num(round(float(high)))}"


def _area_section(area: AreaSection, page: PageData) -> str:
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


def _evidence_section(page: PageData) -> str:
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


def _failures_section(page: PageData) -> str:
    failures = page.failures
    if failures is None or failures.empty:
        return """<section id="failures"><h2>Frame failures</h2><p class="muted">Every frame was read.</p></section>"""
    items = []
    for _, f in failures.iterrows():
        items.append(f"""<article class="failure" id="failure-{esc(f.get('frame_id'))}">
<h3>{esc(Path(str(f.get('source_path'))).name)}</h3>
<div><b>Reason:</b> {esc(f.get('error')) or 'unknown'}</div>
<div class="src">file <code>{esc(f.get('source_path'))}</code> · frame id <code>{esc(f.get('frame_id'))}</code>
{(' · kind ' + esc(f.get('kind'))) if not _missing(f.get('kind')) else ''}</div></article>""")
    return f"""<section id="failures"><h2>Frame failures ({len(items)})</h2>
<p class="muted">These frames could not be used; the rest of the run went on. Fix or remove them and run again:
frames already done are not processed twice.</p>{''.join(items)}</section>"""


def _files_section(page: PageData) -> str:
    items = []
    for label, path, what in page.files:
        if path.exists():
            items.append(f'<li><a href="{esc(_rel(path, page.report_dir))}">{esc(label)}</a> — {esc(what)}</li>')
    return f"""<section id="files"><h2>Data files</h2>
<p class="muted">Tables behind this page (relative links into the run folder <code>{esc(page.run_dir)}</code>).</p>
<ul class="files">{''.join(items)}</ul></section>"""


def render_page(page: PageData) -> str:
    notice = f'<div class="notice">{esc(page.notice)}</div>' if page.notice else ""
    notes = ""
    if page.notes:
        notes = ("<section id=notes><h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in page.notes)
                 + "</ul></section>")
    areas = "".join(_area_section(a, page) for a in page.areas) or (
        f"<p class=muted>No areas to show: {esc(page.why_no_areas or 'no frame lies in an area')}</p>")
    nav_items = [("summary", "Summary"), ("claims", "Claims"), ("areas", "Areas"), ("evidence", "Evidence"),
                 ("failures", "Failures"), ("files", "Data files")]
    nav = "".join(f'<a href="#{k}">{v}</a>' for k, v in nav_items)
    generated = page.generated.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{esc(page.title)}</title>
<style>{CSS}</style></head>
<body>
<header class="top"><h1>{esc(page.title)}</h1>
<div class="meta">generated {generated} by borderwatch {esc(page.version)} · run folder {esc(page.run_dir)} ·
counts per {esc(page.by)} · times in {esc(page.zone_label)}</div></header>
<nav>{nav}</nav>
<main>{notice}
{_summary(page)}
{_claims_table(page)}
<section id="areas"><h2>Areas</h2>{areas}</section>
{_evidence_section(page)}
{_failures_section(page)}
{notes}
{_files_section(page)}
</main>
<footer>Counts are detections by the model after merging across tiles and removing the same vehicle seen in
overlapping scenes of one date; they are lower bounds on what was there when the model misses vehicles, which
the calibrated estimate (from the model card's measured precision and recall) corrects for. A verdict says what
the imagery at hand says about a claim, not whether the claim is true.</footer>
</body></html>
"""
