"""The claims table of the report: every claim, grouped by article, with the claim as the article stated it.

The comparison widens a claimed count by a relative tolerance before it compares (``claims.rules.
claim_interval``), and its reasons name that widened interval ("the claimed 23.2–36.8" for "about
30"). A reader takes that for what the article said, so the page writes the claim as stated and the
tolerance beside it (``stated_reason``). Evidence details (calibration, frames, coverage, links to
thumbnails) sit behind ``<details>``; the verdict, its reason and the quote stay visible.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from borderwatch.report.html import (
    VERDICT_TEXT,
    PageData,
    chip,
    class_chip,
    esc,
    fmt_date,
    fmt_interval,
    fmt_num,
    fmt_percent,
    is_missing,
    period_text,
    safe_url,
    stated_value,
)
from borderwatch.report.tables import VERDICTS
from borderwatch.tables import cell_float

# "the claimed 23.2–36.8", "the claimed ≥ 8.5", "the claimed inflow ≤ 46": how compare.py names the interval
_CLAIMED = re.compile(r"the claimed (?P<inflow>inflow )?(?:(?P<op>[≥≤]) )?(?P<a>\d[\d,]*(?:\.\d+)?)"
                      r"(?:–(?P<b>\d[\d,]*(?:\.\d+)?))?")
_ROUNDING = 0.051  # the reasons write counts to one decimal


def _widened(row, op: str | None, t: float) -> tuple[float, float | None] | None:
    """This row's claim widened by ``t`` as the reasons write it: (a, b), or (bound, None) after ≥/≤."""
    kind = str(row.get("kind") or "")
    value, low, high = cell_float(row.get("value")), cell_float(row.get("low")), cell_float(row.get("high"))
    if op == "≥":
        return (low * (1 - t), None) if low else None
    if op == "≤":
        return (high * (1 + t), None) if high else None
    if kind == "range":
        return (low * (1 - t), high * (1 + t)) if low and high else None
    return (value * (1 - t), value * (1 + t)) if value else None


def _tolerance(row, op: str | None, a: float, b: float | None) -> float | None:
    """The relative tolerance that widened this row's claim into the interval a..b (or ≥ a, ≤ a) the
    reason names; None when that interval is not this claim widened (the reason is then left as it is).
    The reason rounds to one decimal, so the tolerance is read back as the roundest one that fits."""
    first = _widened(row, op, 0.0)
    if first is None or (b is None) != (first[1] is None) or not first[0]:
        return None
    guess = (first[0] - a) / first[0] if op != "≤" else (a - first[0]) / first[0]
    if first[1] is not None and op is None:
        guess = ((b - a) - (first[1] - first[0])) / (first[0] + first[1])
    candidates = (0.15, 0.225, round(guess, 2), round(guess * 200) / 200, guess)
    for t in candidates:
        got = _widened(row, op, t)
        if t >= 0 and got is not None and abs(got[0] - a) <= _ROUNDING and (
                b is None or abs(got[1] - b) <= _ROUNDING):
            return t
    return None


def _pct(t: float) -> str:
    return f"{round(t * 100, 1):g}%"


def stated_reason(row) -> tuple[str, float | None]:
    """The verdict's reason with the widened claimed interval written as the article stated it, and the
    tolerance the comparison used (None when the reason names no widened interval)."""
    reason = "" if is_missing(row.get("reason")) else str(row.get("reason"))
    found = None

    def put(match: re.Match) -> str:
        nonlocal found
        a = float(match["a"].replace(",", ""))
        b = float(match["b"].replace(",", "")) if match["b"] else None
        t = _tolerance(row, match["op"], a, b)
        if t is None:
            return match[0]
        found = t
        return f"the claimed {match['inflow'] or ''}{stated_value(row)[0]} (±{_pct(t)})"

    return _CLAIMED.sub(put, reason), found


def _evidence_links(frame_ids, page: PageData) -> str:
    if is_missing(frame_ids) or not str(frame_ids).strip():
        return ""
    links = []
    for fid in [f.strip() for f in str(frame_ids).split(",") if f.strip()]:
        ev = page.evidence.get(fid)
        day = page.time(ev.captured_at)[:10] if ev is not None else ""
        name = Path(ev.source_path).name if ev is not None else ""
        name = name if len(name) <= 28 else name[:27] + "…"
        label = f"{day} {name}".strip() if ev is not None else fid[:8]
        if ev is not None and ev.figure is not None:
            links.append(f'<li><a href="#frame-{esc(fid)}">{esc(label)}</a></li>')
        else:
            links.append(f'<li class="muted" title="{esc(fid)}">{esc(label)}</li>')
    return f"<ul class=evlinks>{''.join(links)}</ul>"


def _short_why(text) -> str:
    """The reason a row is not calibrated, short enough for a table cell (the full text is its tooltip)."""
    text = str(text)
    text = text.split(":", 1)[1].strip() if text.lower().startswith("not calibrated") and ":" in text else text
    return text if len(text) <= 48 else text[:47] + "…"


def _observed_details(row, page: PageData) -> list[str]:
    """What the observed figure rests on: shown on request."""
    parts = []
    if not is_missing(row.get("observed_calibrated")):
        parts.append(f"<div>calibrated {fmt_num(row.get('observed_calibrated'))}</div>")
    if not is_missing(row.get("evidence")) and str(row.get("evidence")) != "none":
        parts.append(f"<div>evidence: {esc(str(row.get('evidence')).replace('_', ' '))}</div>")
    if not is_missing(row.get("calibration")):
        text = str(row.get("calibration"))
        short = ("uncalibrated" if text.startswith("not calibrated") else
                 "calibrated: " + text.split(":", 1)[0] if text.startswith("card ") else _short_why(text))
        parts.append(f'<div style="text-decoration:underline dotted" title="{esc(text)}">{esc(short)}</div>')
    cov = row.get("coverage_fraction")
    if not is_missing(cov):
        parts.append(f"<div>coverage {fmt_percent(cov)}</div>")
    dates = row.get("dates")
    unique = list(dict.fromkeys(d.strip() for d in str(dates).split(",") if d.strip())) if not is_missing(dates) else []
    if unique:
        parts.append(f"<div>dates: {esc(', '.join(unique))}</div>")
    links = _evidence_links(row.get("frame_ids"), page)
    if links:
        parts.append(links)
    return parts


def _observed(row, page: PageData) -> str:
    """The observed figure and its 90% interval in view; what it rests on behind <details>."""
    share = str(row.get("kind") or "") == "proportion"
    parts = []
    if is_missing(row.get("observed")):
        parts.append('<span class="muted">—</span>')
    else:
        parts.append(f"<b>{fmt_percent(row.get('observed')) if share else fmt_num(row.get('observed'))}</b>")
    lo, hi = row.get("observed_low"), row.get("observed_high")
    if not is_missing(lo) and not is_missing(hi) and float(lo) != float(hi):  # equal ends: no calibration
        kind = str(row.get("kind") or "")
        if kind == "proportion":
            text = f"{fmt_percent(lo)}–{fmt_percent(hi)}"
        elif kind == "trend":
            text = f"rate ratio {fmt_num(lo)}–{fmt_num(hi)}"
        else:
            text = fmt_interval(lo, hi)
        parts.append(f"<div class=src>90%: {text}</div>")
    details = _observed_details(row, page)
    n = 0 if is_missing(row.get("n_frames")) else int(row.get("n_frames"))
    if details:
        label = f"{n} frame{'s' if n != 1 else ''}" if n else "details"
        parts.append(f"<details class=ev><summary>{label}</summary><div class=src>{''.join(details)}</div></details>")
    return "".join(parts)


def _claim_row(row, page: PageData) -> str:
    verdict = str(row.get("verdict") or "not_testable")
    cls = str(row.get("vehicle_class") or "any_vehicle")
    reason, tol = stated_reason(row)
    tol_note = f'<div class="src">compared with a {_pct(tol)} tolerance</div>' if tol is not None else ""
    kind = esc(str(row.get("kind") or "").replace("_", " "))
    return f"""<tr id="claim-{int(row['number'])}" class="claim">
<td>{int(row['number'])}</td>
<td class="quote"><blockquote>{esc(row.get('quote'))}</blockquote></td>
<td>{esc(row.get('place')) or '<span class=muted>no place</span>'}<div>{class_chip(cls)}</div></td>
<td><span class="muted">{kind}</span><div><b>{claim_value_html(row)}</b></div>{tol_note}
 <div class="src">{period_text(row.get('period_start'), row.get('period_end'))}</div></td>
<td class="num">{_observed(row, page)}</td>
<td>{chip(verdict)}<div class="reason">{esc(reason)}</div></td>
</tr>"""


def claim_value_html(row) -> str:
    text, unit = stated_value(row)
    return f"{esc(text)} <span class=unit>{esc(unit)}</span>" if unit else esc(text)


def _article_head(rows: pd.DataFrame) -> str:
    first = rows.iloc[0]
    url = next((u for u in map(safe_url, rows.get("url", ())) if u), None)  # the first http(s) link given
    bits = [b for b in (first.get("publisher"), first.get("title")) if not is_missing(b) and str(b)]
    name = " · ".join(esc(b) for b in bits) or esc(first.get("source_file")) or "unnamed source"
    name = f'<a href="{esc(url)}" rel="noreferrer noopener">{name}</a>' if url else name
    file_note = (f' <span class="muted">({esc(first.get("source_file"))})</span>'
                 if bits and not is_missing(first.get("source_file")) else "")
    published = fmt_date(first.get("published"))
    counts = rows["verdict"].fillna("not_testable").value_counts()
    tally = " ".join(f"{chip(v)}&nbsp;{int(counts[v])}" for v in VERDICTS if v in counts)
    n = len(rows)
    return (f'<tr class="article"><td colspan="6"><b>{name}</b>{file_note}'
            f'<span class="muted"> · {("published " + published) if published else "undated"} · '
            f'{n} claim{"s" if n != 1 else ""}</span> <span class="tally">{tally}</span></td></tr>')


def _groups(claims: pd.DataFrame) -> list[pd.DataFrame]:
    """Claims per article (source file), articles in the order of their first claim."""
    key = claims["source_file"].fillna("") if "source_file" in claims.columns else pd.Series("", index=claims.index)
    order = list(dict.fromkeys(key))
    return [claims[key == k] for k in order]


def _verdict_summary(claims: pd.DataFrame, n_articles: int) -> str:
    counts = claims["verdict"].fillna("not_testable").value_counts()
    items = "".join(f'<span class="{"" if counts.get(v, 0) else "zero"}">{chip(v)} <b>{int(counts.get(v, 0))}</b></span>'
                    for v in VERDICTS)
    n = len(claims)
    return (f'<div class="verdicts"><span><b>{n}</b> claim{"s" if n != 1 else ""} from <b>{n_articles}</b> '
            f'article{"s" if n_articles != 1 else ""}:</span>{items}</div>')


def claims_section(page: PageData) -> str:
    claims = page.claims
    if claims is None or claims.empty:
        return """<section id="claims"><h2>Claims</h2>
<p class="muted">No claims were compared: give article files or folders under <code>articles:</code> in the
config (or a claims JSON under <code>claims:</code>) and run again.</p></section>"""
    groups = _groups(claims)
    bodies = "".join(f"<tbody>{_article_head(g)}{''.join(_claim_row(r, page) for _, r in g.iterrows())}</tbody>"
                     for g in groups)
    legend = "".join(f"<li>{chip(v)} {esc(VERDICT_TEXT[v])}</li>" for v in VERDICTS)
    return f"""<section id="claims"><h2>Claims and verdicts</h2>
{_verdict_summary(claims, len(groups))}
<details class="legend-box"><summary>What the verdicts mean</summary><ul class="legend">{legend}</ul>
<p class="src">Claims are shown as the article states them. A claimed count is compared with a relative
tolerance (15 % unless the run set another; half as much again for "about"), written beside the claim.</p>
</details>
<table class="claims"><colgroup><col style="width:3.5%"><col style="width:31%"><col style="width:11%">
<col style="width:14%"><col style="width:14%"><col style="width:26.5%"></colgroup>
<thead><tr><th>#</th><th>Claim</th><th>Place, class</th><th>Claimed</th><th>Observed</th><th>Verdict</th></tr></thead>
{bodies}</table></section>"""
