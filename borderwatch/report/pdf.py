"""report.pdf: the same figures and tables as the page, as matplotlib pages (A4 landscape).

Needs nothing beyond matplotlib, so it works where no browser is installed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from borderwatch.atomic import atomic_path
from borderwatch.report import html as H
from borderwatch.report.claims_table import stated_reason
from borderwatch.report.tables import VERDICT_COLOURS, VERDICTS

A4 = (11.69, 8.27)
ROWS_PER_PAGE = 9


def _text_page(title: str, lines: list[tuple[str, dict]]) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.05, 0.93, title, fontsize=18, fontweight="bold")
    y = 0.86
    for text, style in lines:
        fig.text(0.05, y, text, fontsize=style.get("size", 11), color=style.get("color", "#222"),
                 fontweight=style.get("weight", "normal"))
        y -= style.get("step", 0.035)
        if y < 0.05:
            break
    return fig


def _plain(value) -> str:
    return "" if H.is_missing(value) else str(value)


def _claims_pages(page: H.PageData) -> list[Figure]:
    claims = page.claims
    if claims is None or claims.empty:
        return []
    pages = []
    rows = list(claims.iterrows())
    for start in range(0, len(rows), ROWS_PER_PAGE):
        fig = Figure(figsize=A4)
        fig.text(0.04, 0.95, f"Claims {start + 1}–{min(start + ROWS_PER_PAGE, len(rows))} of {len(rows)}",
                 fontsize=14, fontweight="bold")
        y = 0.9
        for _, row in rows[start:start + ROWS_PER_PAGE]:
            verdict = _plain(row.get("verdict")) or "not_testable"
            quote = textwrap.fill(f"#{int(row['number'])} “{_plain(row.get('quote'))}”", 95)
            text, unit = H.stated_value(row)
            value = f"{text} ({unit})" if unit else text
            reason, _ = stated_reason(row)
            meta = (f"{_plain(row.get('source_file'))} · {_plain(row.get('place')) or 'no place'} · "
                    f"{_plain(row.get('vehicle_class'))} · {_plain(row.get('kind'))} {value} · period "
                    f"{_plain(row.get('period_start')) or '?'} – {_plain(row.get('period_end')) or '?'} · observed "
                    f"{H.fmt_num(row.get('observed')) or '—'}")
            fig.text(0.04, y, quote, fontsize=9, va="top", style="italic")
            n_lines = quote.count("\n") + 1
            y -= 0.022 * n_lines + 0.004
            fig.text(0.06, y, textwrap.shorten(meta, 150), fontsize=8, va="top", color="#555")
            y -= 0.022
            fig.text(0.06, y, verdict.replace("_", " "), fontsize=9, va="top", fontweight="bold",
                     color=VERDICT_COLOURS.get(verdict, "#555"))
            fig.text(0.18, y, textwrap.shorten(reason, 140), fontsize=8, va="top", color="#333")
            y -= 0.035
        pages.append(fig)
    return pages


EVIDENCE_GRID = (2, 3)  # rows, columns of thumbnails per page


def _evidence_pages(page: H.PageData) -> list[Figure]:
    """The evidence thumbnails as they are on the page (a demo's carry its stamp in their pixels)."""
    import io

    from PIL import Image

    shown = [e for e in page.evidence.values() if e.figure is not None]
    rows, cols = EVIDENCE_GRID
    per_page = rows * cols
    pages = []
    for start in range(0, len(shown), per_page):
        fig = Figure(figsize=A4)
        fig.text(0.04, 0.95, f"Evidence {start + 1}–{min(start + per_page, len(shown))} of {len(shown)}",
                 fontsize=14, fontweight="bold")
        for i, ev in enumerate(shown[start:start + per_page]):
            r, c = divmod(i, cols)
            ax = fig.add_axes((0.04 + c * 0.32, 0.52 - r * 0.45, 0.29, 0.37))
            with Image.open(io.BytesIO(ev.figure.png)) as img:
                ax.imshow(img.convert("RGB"))
            ax.set_axis_off()
            caption = (f"{Path(ev.source_path).name}\n{page.time(ev.captured_at)} · {ev.area or 'no area'} · "
                       f"{ev.kind} · {ev.n_boxes} box{'es' if ev.n_boxes != 1 else ''}")
            fig.text(0.04 + c * 0.32, 0.50 - r * 0.45, caption, fontsize=7.5, va="top", color="#333")
        pages.append(fig)
    return pages


def write_pdf(path: str | Path, page: H.PageData, figures: list[tuple[str, Figure]]) -> Path:
    path = Path(path)
    lines: list[tuple[str, dict]] = []
    if page.notice:
        for chunk in textwrap.wrap(page.notice, 120):
            lines.append((chunk, {"color": "#8a6100", "size": 10, "step": 0.028}))
        lines.append(("", {"step": 0.02}))
    status = ", ".join(f"{k} {v}" for k, v in sorted(page.frame_status.items()))
    lines.append((f"Frames: {page.n_frames} ({status})", {"weight": "bold"}))
    total = sum(page.per_class.values())
    lines.append((f"Vehicles detected: {total}", {"weight": "bold"}))
    for cls, n in sorted(page.per_class.items(), key=lambda kv: -kv[1]):
        lines.append((f"    {cls.replace('_', ' ')}: {n}", {"size": 10, "step": 0.028}))
    lines.append((f"Areas covered: {len(page.areas_covered)}", {"weight": "bold"}))
    for name, detail in page.areas_covered:
        lines.append((f"    {name}: {detail}", {"size": 10, "step": 0.028}))
    lines.append((f"Claims: {sum(page.verdicts.values())} from {page.n_articles} articles", {"weight": "bold"}))
    for v in VERDICTS:
        if page.verdicts.get(v):
            lines.append((f"    {v.replace('_', ' ')}: {page.verdicts[v]}", {"size": 10, "step": 0.028,
                                                                          "color": VERDICT_COLOURS[v]}))
    if len(page.failures):
        lines.append((f"Failed frames: {len(page.failures)}", {"weight": "bold", "color": "#c0392b"}))
    def save(fig: Figure) -> None:
        if page.notice:  # on every page, so no page printed or cut out loses the caveat
            fig.text(0.5, 0.004, textwrap.shorten(page.notice, 180), ha="center", va="bottom", fontsize=6.5,
                     color="#8a6100")
        pdf.savefig(fig)

    with atomic_path(path) as tmp, PdfPages(tmp) as pdf:
        save(_text_page(page.title, lines))
        for fig in _claims_pages(page):
            save(fig)
        for _, fig in figures:
            save(fig)
        for fig in _evidence_pages(page):
            save(fig)
        if len(page.failures):
            fail_lines = [(textwrap.shorten(f"{Path(str(r['source_path'])).name}: {_plain(r.get('error'))}", 150),
                           {"size": 9, "step": 0.026}) for _, r in page.failures.iterrows()]
            save(_text_page("Frame failures", fail_lines))
    return path
