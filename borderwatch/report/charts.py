"""Time-series charts per area: vehicles counted per bucket and class, with the claims drawn on them.

A claim is drawn in its verdict's colour where it applies: a value as a point (one day) or a
segment (a period), a range as a band, a bound as a band open on one side. A trend, presence or
absence states no count, so it goes in an annotation lane above the counts (no count scale there): a
trend as an arrow of its direction, presence/absence as a marker. Each carries its number in the
claims table.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from borderwatch.report.tables import CLASS_COLOURS, VERDICT_COLOURS, VERDICTS
from borderwatch.tables import cell_float

DRAWN_KINDS = ("count", "approximate", "range", "lower_bound", "upper_bound", "trend", "presence", "absence")
LANE_KINDS = ("trend", "presence", "absence")  # claims that state no count: drawn off the count scale
LANE = 0.2  # the share of a panel's height given to them
DAY = pd.Timedelta(days=1)
FAR = pd.Timedelta(days=120)  # claims further than this from any imagery are listed, not drawn


def fig_to_png(fig: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _ts(value) -> pd.Timestamp | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


@dataclass
class ClaimMark:
    number: int
    kind: str
    vehicle_class: str
    verdict: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None  # exclusive
    value: float | None
    low: float | None
    high: float | None
    direction: str | None


def _text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value) or None


def claim_marks(comparisons: pd.DataFrame, numbers: dict[str, int]) -> list[ClaimMark]:
    """The claims of one area that can be drawn on a count chart."""
    marks = []
    for _, row in comparisons.iterrows():
        kind = str(row.get("kind") or "")
        if kind not in DRAWN_KINDS:
            continue
        # Periods are inclusive dates; the window (period +- tolerance) stands in for a missing side.
        period_start, period_end = _ts(row.get("period_start")), _ts(row.get("period_end"))
        start = period_start if period_start is not None else _ts(row.get("window_start"))
        end = period_end + DAY if period_end is not None else _ts(row.get("window_end"))
        if start is None and end is not None:
            start = end - DAY
        if end is None and start is not None:
            end = start + DAY
        marks.append(ClaimMark(
            number=numbers.get(str(row["claim_id"]), 0),
            kind=kind,
            vehicle_class=str(row.get("vehicle_class") or "any_vehicle"),
            verdict=str(row.get("verdict") or "not_testable"),
            start=start,
            end=end,
            value=cell_float(row.get("value")),
            low=cell_float(row.get("low")),
            high=cell_float(row.get("high")),
            direction=_text(row.get("direction")),
        ))
    return marks


def _draw_claim(ax, mark: ClaimMark, ymax: float) -> None:
    colour = VERDICT_COLOURS.get(mark.verdict, "#7f8c8d")
    x0 = mark.start.tz_convert(None).to_pydatetime()
    x1 = mark.end.tz_convert(None).to_pydatetime()
    xm = (mark.start + (mark.end - mark.start) / 2).tz_convert(None).to_pydatetime()
    one_day = (mark.end - mark.start) <= DAY
    label = f"#{mark.number}"
    text_kw = dict(color=colour, fontsize=8, fontweight="bold")
    if mark.kind in ("count", "approximate") and mark.value is not None:
        if one_day:
            ax.plot([xm], [mark.value], marker="D", markersize=7, color=colour, markeredgecolor="white", zorder=5)
        else:
            ax.plot([x0, x1], [mark.value, mark.value], color=colour, linewidth=2.5, zorder=4)
        ax.annotate(label, (xm, mark.value), xytext=(5, 4), textcoords="offset points", **text_kw)
    elif mark.kind in ("range", "lower_bound", "upper_bound"):
        low = mark.low if mark.low is not None else (0.0 if mark.kind == "upper_bound" else mark.value)
        high = mark.high if mark.high is not None else (ymax if mark.kind == "lower_bound" else mark.value)
        if low is None or high is None:
            return
        if one_day:  # a band one day wide is invisible at most scales: draw an interval bar instead
            ax.plot([xm, xm], [low, high], color=colour, linewidth=6, alpha=0.45, solid_capstyle="butt", zorder=3)
        else:
            ax.fill_between([x0, x1], [low, low], [high, high], color=colour, alpha=0.18, linewidth=0, zorder=1)
            for y in (low, high):
                if (mark.kind == "lower_bound" and y == high) or (mark.kind == "upper_bound" and y == low):
                    continue
                ax.plot([x0, x1], [y, y], color=colour, linewidth=1.2, linestyle="--", zorder=2)
        arrow = {"lower_bound": "↑", "upper_bound": "↓"}.get(mark.kind, "")
        anchor = low if mark.kind != "upper_bound" else high
        ax.annotate(f"{label}{arrow}", (xm, anchor), xytext=(4, 3), textcoords="offset points", **text_kw)
    elif mark.kind in LANE_KINDS:
        _draw_in_lane(ax, mark, x0, x1, xm, colour, text_kw)


def _draw_in_lane(ax, mark: ClaimMark, x0, x1, xm, colour: str, text_kw: dict) -> None:
    """A claim with no count (a trend, presence, absence) in the panel's annotation lane: a band at the
    top, above every count drawn, with no count ticks, so its height reads as no number. A trend's arrow
    shows its direction only."""
    lane = ax.get_xaxis_transform()  # x in date numbers (no unit conversion here), y in axes fractions
    x0, x1, xm = date2num(x0), date2num(x1), date2num(xm)
    low, high = 1 - LANE + 0.025, 1 - 0.035
    mid = (low + high) / 2
    if mark.kind == "trend":
        direction = mark.direction or "stable"
        y0, y1 = {"increase": (low, high), "resumed": (low, high), "decrease": (high, low),
                  "halted": (high, low)}.get(direction, (mid, mid))
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), xycoords=lane, textcoords=lane,
                    arrowprops=dict(arrowstyle="-|>", color=colour, linewidth=2, mutation_scale=12), zorder=6)
        ax.annotate(f"#{mark.number} claimed {direction}", (xm, mid), xycoords=lane, ha="center", va="center",
                    zorder=7, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85), **text_kw)
    else:
        marker = "^" if mark.kind == "presence" else "x"
        ax.plot([xm], [mid], marker=marker, markersize=8, color=colour, transform=lane, zorder=6, clip_on=False)
        ax.annotate(f"#{mark.number} claimed {mark.kind}", (xm, mid), xycoords=lane, xytext=(7, 0),
                    textcoords="offset points", va="center", zorder=6, **text_kw)


def _lane(ax, data_top: float) -> float:
    """Reserve the top LANE of the panel for claims without a count; returns the axis' new top."""
    top = data_top / (1 - LANE)
    ax.axhspan(data_top, top, facecolor="#f1f3f6", edgecolor="none", zorder=1.8)  # covers the grid
    ax.axhline(data_top, color="#c9d1da", linewidth=0.8, zorder=1.9)
    ax.text(0.005, 1 - 0.012, "claims that state no count (not on the count scale)", transform=ax.transAxes,
            ha="left", va="top", fontsize=6.5, color="#6b7785", zorder=6)
    return top


def _is_coverage(rows: pd.DataFrame) -> np.ndarray:
    km2 = pd.to_numeric(rows["imaged_km2"], errors="coerce") if "imaged_km2" in rows else pd.Series(np.nan, index=rows.index)
    return (km2 > 0).fillna(False).to_numpy(dtype=bool)


def _same_site_steps(rows: pd.DataFrame, sites) -> list[tuple[int, int]]:
    """Index pairs (i, j) of consecutive observations of the same kind that view the same site."""
    if sites is None or len(rows) < 2 or "frame_ids" not in rows:
        return []
    cov = _is_coverage(rows)
    ids = list(rows["frame_ids"])
    steps = []
    for kind in (True, False):
        order = [k for k in range(len(rows)) if cov[k] == kind]
        for i, j in zip(order, order[1:], strict=False):
            if sites.same_views(ids[i], ids[j]):
                steps.append((i, j))
    return steps


def _all_steps(counts: pd.DataFrame, sites):
    if counts is None or counts.empty:
        return
    for _, rows in counts.groupby("vehicle_class"):
        yield from _same_site_steps(rows.sort_values("mid").reset_index(drop=True), sites)


def _plot_counts(ax, rows: pd.DataFrame, colour: str, sites) -> float:
    """One class's observed counts (and calibrated intervals) on ``ax``; returns the highest value drawn."""
    ymax = 1.0
    if len(rows):
        x = [t.tz_convert(None).to_pydatetime() for t in rows["mid"]]
        y = rows["count"].astype(float).to_numpy()
        ymax = max(ymax, float(np.nanmax(y)))
        photo = ~_is_coverage(rows)
        # Points only: a line would claim the observations are of one place over time. Lines join
        # consecutive views of the same site (same footprint or camera position) alone.
        for mask, marker, face in ((~photo, "o", colour), (photo, "s", "white")):
            if mask.any():
                ax.plot(np.array(x, dtype=object)[mask], y[mask], linestyle="none", marker=marker, markersize=5.5,
                        color=colour, markerfacecolor=face, markeredgewidth=1.4, zorder=3)
        for i, j in _same_site_steps(rows, sites):
            ax.plot([x[i], x[j]], [y[i], y[j]], color=colour, linewidth=1.4, zorder=2)
        if "calibrated_low" in rows and rows["calibrated_low"].notna().any():
            lo = rows["calibrated_low"].astype(float).to_numpy()
            hi = rows["calibrated_high"].astype(float).to_numpy()
            ok = ~(np.isnan(lo) | np.isnan(hi))
            if ok.any():
                ax.vlines(np.array(x, dtype=object)[ok], lo[ok], hi[ok], color=colour, alpha=0.45, linewidth=4,
                          zorder=2)
                ymax = max(ymax, float(np.nanmax(hi[ok])))
    else:
        ax.text(0.5, 0.5, "no imagery counted for this class", transform=ax.transAxes, ha="center",
                va="center", color="#888", fontsize=9)
    return ymax


def _style_panel(ax, cls: str, colour: str, by: str, top: float, xlim, lane: bool = False) -> None:
    """Axes, title and ticks of one class's panel; with a lane, count ticks stop below it."""
    locator = MaxNLocator(integer=True, min_n_ticks=2)  # vehicles come whole
    if lane:
        ax.set_yticks([t for t in locator.tick_values(0, top) if 0 <= t <= top])
        top = _lane(ax, top)
    else:
        ax.yaxis.set_major_locator(locator)
    ax.set_ylim(0, top)
    ax.set_xlim(*xlim)
    ax.set_title(cls.replace("_", " "), loc="left", fontsize=10, color=colour, fontweight="bold")
    ax.set_ylabel("vehicles per " + by, fontsize=8)
    ax.grid(True, axis="y", color="#e5e5e5", linewidth=0.8)
    ax.tick_params(labelsize=8)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    locator = AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelbottom=True)


def _legend(fig: Figure, counts: pd.DataFrame, sites, placed: list[ClaimMark], ncols: int,
            stamp: str | None) -> None:
    """The figure's legend: the kinds of observation drawn, same-site lines and the claims' verdicts."""
    handles = [Line2D([], [], color="#555", marker="o", linestyle="none", label="overhead count (bar: calibrated 90% interval)"),
               Line2D([], [], color="#555", marker="s", markerfacecolor="white", linestyle="none", label="photos (no ground area)")]
    if any(True for _ in _all_steps(counts, sites)):
        handles.append(Line2D([], [], color="#555", label="same site, next bucket"))
    used = {m.verdict for m in placed}
    handles += [Patch(color=VERDICT_COLOURS[v], label=f"claim: {v.replace('_', ' ')}") for v in VERDICTS if v in used]
    legend = fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 2 * ncols), fontsize=8,
                        frameon=False, title=stamp, title_fontsize=7)  # a demo's caveat travels with the legend
    if stamp:
        legend.get_title().set_color("#8a6100")
        legend.get_title().set_fontweight("bold")


def area_chart(area: str, counts: pd.DataFrame, marks: list[ClaimMark], by: str = "day",
               sites=None, stamp: str | None = None) -> tuple[Figure | None, list[int]]:
    """Small multiples, one panel per class that has counts or a claim.

    ``sites`` (``claims.rules.SiteIndex``) says which observations view the same site; only those are
    joined by a line.

    Returns the figure (None when there is nothing to draw) and the numbers of the claims that lie
    too far from any imagery to share its time axis (the page lists them instead).
    """
    counts = counts.copy() if counts is not None else pd.DataFrame()
    if not counts.empty:
        counts["bucket_start"] = pd.to_datetime(counts["bucket_start"], utc=True)
        counts["bucket_end"] = pd.to_datetime(counts["bucket_end"], utc=True)
        counts["mid"] = counts["bucket_start"] + (counts["bucket_end"] - counts["bucket_start"]) / 2
    placed = [m for m in marks if m.start is not None]
    unplaced = [m.number for m in marks if m.start is None]
    if not counts.empty:
        lo, hi = counts["bucket_start"].min(), counts["bucket_end"].max()
        near = [m for m in placed if m.end >= lo - FAR and m.start <= hi + FAR]
        unplaced += [m.number for m in placed if m not in near]
        placed = near
    classes: list[str] = []
    if not counts.empty:
        totals = counts.groupby("vehicle_class")["count"].sum()
        classes = [c for c in CLASS_COLOURS if c != "any_vehicle" and totals.get(c, 0) > 0]
    for m in placed:
        if m.vehicle_class not in classes:
            classes.append(m.vehicle_class)
    if not classes:
        return None, sorted(unplaced)
    order = list(CLASS_COLOURS)
    classes.sort(key=lambda c: order.index(c) if c in order else len(order))

    ncols = min(2, len(classes))
    nrows = math.ceil(len(classes) / ncols)
    fig = Figure(figsize=(5.4 * ncols, 2.9 * nrows + 0.5), dpi=110, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    times = []
    if not counts.empty:
        times += [counts["bucket_start"].min(), counts["bucket_end"].max()]
    for m in placed:
        times += [m.start, m.end]
    t0, t1 = min(times), max(times)
    pad = max((t1 - t0) * 0.06, pd.Timedelta(days=2))
    xlim = ((t0 - pad).tz_convert(None).to_pydatetime(), (t1 + pad).tz_convert(None).to_pydatetime())

    for index, cls in enumerate(classes):
        ax = axes[index // ncols][index % ncols]
        colour = CLASS_COLOURS.get(cls, "#444")
        rows = (counts[counts["vehicle_class"] == cls].sort_values("mid").reset_index(drop=True)
                if not counts.empty else counts)
        ymax = _plot_counts(ax, rows, colour, sites)
        cls_marks = [m for m in placed if m.vehicle_class == cls]
        for m in cls_marks:
            for v in (m.value, m.low, m.high):
                if v is not None:
                    ymax = max(ymax, v)
        top = ymax * 1.18 + 1
        for m in cls_marks:
            _draw_claim(ax, m, top)
        _style_panel(ax, cls, colour, by, top, xlim, lane=any(m.kind in LANE_KINDS for m in cls_marks))
    for index in range(len(classes), nrows * ncols):
        axes[index // ncols][index % ncols].set_visible(False)

    _legend(fig, counts, sites, placed, ncols, stamp)
    fig.suptitle(f"{area}: vehicles over time", x=0.01, ha="left", fontsize=11)
    return fig, sorted(unplaced)


def class_bars_svg(per_class: dict[str, int], width: int = 360, bar_h: int = 18) -> str:
    """A small inline SVG bar chart of vehicles per class (for the summary)."""
    from html import escape

    if not per_class:
        return ""
    items = sorted(per_class.items(), key=lambda kv: -kv[1])
    top = max(v for _, v in items) or 1
    label_w, num_w = 110, 50
    height = len(items) * (bar_h + 6)
    rows = []
    for i, (cls, n) in enumerate(items):
        y = i * (bar_h + 6)
        w = max(1.0, (width - label_w - num_w) * n / top)
        colour = CLASS_COLOURS.get(cls, "#888")
        rows.append(
            f'<text x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end">{escape(cls.replace("_", " "))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 5}">{n}</text>'
        )
    return (f'<svg class="bars" role="img" aria-label="vehicles per class" width="100%" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-size="12" '
            f'font-family="system-ui, sans-serif" fill="#222">{"".join(rows)}</svg>')
