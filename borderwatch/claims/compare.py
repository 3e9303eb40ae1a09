"""Claims against counts: a verdict per claim with its evidence.

Each claim is paired with the COUNTS rows of its place (the area named like the gazetteer's
canonical name), its class (``any_vehicle`` rows, or the sum over classes when a table has none)
and the buckets that overlap its period widened by ``tolerance_days`` on each side (the window).

Verdicts: ``supported``, ``contradicted``, ``inconclusive`` (imagery exists but cannot decide) and
``not_testable`` (prices, attributes such as used/new or licence plates, no place, no period, a date
no imagery can have, no imagery of that place in the window). Which verdict each kind of evidence
may give each kind of claim is the table of ``claims.rules`` (also in the README); every row names
the evidence it rests on (``evidence``) and what its figures rest on (``calibration``). Rows counted
from georeferenced frames (``imaged_km2`` > 0) are coverage; the others are photos with a place.
Coverage and photos are judged apart and combined: a decisive verdict wins, two that disagree leave
the claim inconclusive. Semantics per kind:

- stock (count, range, lower_bound, upper_bound, approximate; unit ``vehicles``): how many vehicles
  were there at some moment, so the bucket with the most vehicles in the window is the evidence. Its
  calibrated 90% interval (raw count when the model card has no figures) is compared with the
  claimed interval (count +- ``value_tolerance``; approximate +- 1.5x that). With coverage >=
  ``min_coverage``: inside -> supported, disjoint -> contradicted, straddling -> inconclusive.
  With less, or photos, the unseen vehicles are unknown: a lower bound can be met, and (coverage
  only) more vehicles than claimed contradicts; nothing else decides.
- flow (unit ``vehicles_per_night`` / ``_per_day`` / ...): the change between buckets one unit apart
  that view the same site (``rules.SiteIndex``: same footprint or camera position). The net change is
  arrivals minus departures, so a rise supports a claimed inflow; with full coverage it contradicts
  one when even the later stock is smaller than the claimed inflow.
- trend (increase, decrease, stable, halted, resumed): the count rate before the claim's period
  against the rate in it, per km2 imaged, by the exact conditional test of two Poisson rates at level
  ``alpha`` (``stats.compare_rates``); needs georeferenced coverage on both sides within a factor
  ``rules.COMPARABLE_FACTOR`` per bucket. Trends about prices or demand are not testable.
- presence / absence: a bucket with at least ``PRESENCE_MIN`` vehicles supports presence (and
  contradicts absence); none seen decides only with coverage >= ``min_coverage``.
- proportion (unit ``class_share``): the class's share of the vehicles in georeferenced coverage in
  the window, with a Clopper-Pearson 90% interval, against the claimed share.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from borderwatch.claims.options import CompareOptions
from borderwatch.claims.rules import (
    COMPARABLE_FACTOR,
    FLOW_DAYS,
    STOCK_KINDS,
    UNTESTABLE_UNITS,
    SiteIndex,
    claim_interval,
    claim_kind,
    stated_claim,
)
from borderwatch.claims.stats import clopper_pearson, compare_rates, percent
from borderwatch.errors import InputError
from borderwatch.tables import CLAIMS_FIELDS, COMPARISONS, COUNTS, cell_float

ANY = "any_vehicle"


# Constants of the written rule table (README "Verdict rules"), not user options: the options a user
# may set are declared once, in ``claims.options.CompareOptions``.
TREND_SPAN_DAYS = 90  # before/after windows when a trend gives only one end of its period
PRESENCE_MIN = 1  # vehicles that make a presence claim supported
ABSENCE_MAX = 0  # vehicles an absence claim allows
MIN_SHARE_TOTAL = 10  # vehicles needed before a class share means anything


@dataclass
class Evidence:
    verdict: str
    reason: str
    observed: float | None = None
    observed_calibrated: float | None = None
    observed_low: float | None = None
    observed_high: float | None = None
    rows: object = None  # the COUNTS rows used (DataFrame) or None
    window: tuple[date, date] | None = None  # the days compared, when not the claim's period +- tolerance
    evidence: str | None = None  # the rule table's evidence kind (claims.rules.EVIDENCE); None: none
    calibration: str | None = None  # what the observed figures rest on


def _d(value) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _ts(d: date, tz: str = "UTC"):
    """Midnight starting day ``d`` in ``tz``, as a UTC timestamp."""
    import pandas as pd

    return pd.Timestamp(d.isoformat()).tz_localize(tz).tz_convert("UTC")


def _n(x: float) -> str:
    """A count for a sentence: whole numbers without decimals, others to one decimal."""
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def _fmt_interval(a: float, b: float) -> str:
    if math.isinf(b):
        return f"≥ {_n(a)}"
    if a <= 0:
        return f"≤ {_n(b)}"
    return f"{_n(a)}–{_n(b)}"


# Dates a claim may have and still be compared: pandas timestamps span 1677-2262; imagery, far less.
EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)


def is_coverage(rows):
    """Boolean mask: rows counted from georeferenced frames (a ground area), not photos."""
    km2 = rows["imaged_km2"].astype(float)
    return (km2 > 0).fillna(False).to_numpy(dtype=bool)


def _calibration_of(row) -> str:
    text = row.get("calibration") if hasattr(row, "get") else None
    if isinstance(text, str) and text:
        return text
    if cell_float(row.get("calibrated_low")) is not None:
        return "calibrated (model card)"
    return "not calibrated: the counts record no calibration"


class Comparer:
    """Compares claims with one COUNTS table (and, for flows, the frames to tell sites apart)."""

    def __init__(self, counts, opts: CompareOptions, frames=None):
        import pandas as pd

        COUNTS.validate(counts, "counts")
        df = counts.copy()
        for col in ("bucket_start", "bucket_end"):
            df[col] = pd.to_datetime(df[col], utc=True)
        for col in ("calibrated_count", "calibrated_low", "calibrated_high", "imaged_km2", "coverage_fraction"):
            if col not in df.columns:
                df[col] = float("nan")
        if "calibration" not in df.columns:
            df["calibration"] = None
        if "frame_kind" not in df.columns:
            df["frame_kind"] = None
        self.df = df
        self.opts = opts
        self.areas = set(df["area"].astype(str))
        self.sites = SiteIndex(frames)

    # --- selection ---------------------------------------------------------------------------------

    def rows(self, area: str, cls: str, start: date, end: date):
        """COUNTS rows of ``area`` and ``cls`` whose bucket overlaps [start, end] (calendar days)."""
        import pandas as pd

        df = self.df
        sel = df[(df["area"] == area)]
        lo, hi = _ts(start, self.opts.tz), _ts(end + timedelta(days=1), self.opts.tz)
        sel = sel[(sel["bucket_start"] < hi) & (sel["bucket_end"] > lo)]
        if cls != ANY or (sel["vehicle_class"] == ANY).any():
            return sel[sel["vehicle_class"] == cls].sort_values("bucket_start").reset_index(drop=True)
        # no any_vehicle rows: sum the classes per bucket (and frame kind: photos and overhead never add)
        if sel.empty:
            return sel
        sel = sel.assign(frame_kind=sel["frame_kind"].astype(object).where(sel["frame_kind"].notna(), ""))
        agg = sel.groupby(["area", "frame_kind", "bucket", "bucket_start", "bucket_end"], as_index=False).agg(
            n_frames=("n_frames", "max"), raw_count=("raw_count", "sum"), count=("count", "sum"),
            imaged_km2=("imaged_km2", "max"), coverage_fraction=("coverage_fraction", "max"),
            calibrated_count=("calibrated_count", lambda s: s.sum(min_count=len(s))),
            calibrated_low=("calibrated_low", lambda s: s.sum(min_count=len(s))),
            calibrated_high=("calibrated_high", lambda s: s.sum(min_count=len(s))),
            calibration=("calibration", "first"),
            frame_ids=("frame_ids", lambda s: sorted({f for ids in s for f in (list(ids) if ids is not None else [])})),
        )
        agg["vehicle_class"] = ANY
        agg["frame_kind"] = agg["frame_kind"].replace("", None)
        return pd.DataFrame(agg).sort_values("bucket_start").reset_index(drop=True)

    # --- kinds ----------------------------------------------------------------------------------------

    def _interval_of(self, row) -> tuple[float, float, float | None]:
        cal, lo, hi = cell_float(row.get("calibrated_count")), cell_float(row.get("calibrated_low")), cell_float(row.get("calibrated_high"))
        if cal is not None and lo is not None and hi is not None:
            return lo, hi, cal
        c = float(row["count"])
        return c, c, None

    def _coverage_label(self, row) -> str:
        coverage = cell_float(row.get("coverage_fraction"))
        return "full_coverage" if coverage is not None and coverage >= self.opts.min_coverage else "partial_coverage"

    def _stock_one(self, target, rows, coverage_rows: bool, claimed: str) -> Evidence:
        best = rows.loc[rows["count"].idxmax()]
        lo, hi, cal = self._interval_of(best)
        a, b = target
        label = self._coverage_label(best) if coverage_rows else "photos"
        ev = Evidence("inconclusive", "", float(best["count"]), cal, lo, hi, rows, evidence=label,
                      calibration=_calibration_of(best))
        seen = "photos show" if not coverage_rows else "imagery shows"
        what = f"at most {_n(float(best['count']))} vehicles in one {'photo bucket' if not coverage_rows else 'bucket'} ({best['bucket']}"
        what += f", 90% interval {_n(lo)}–{_n(hi)})" if cal is not None else ", uncalibrated)"
        inside, above, below = a <= lo and hi <= b, lo > b, hi < a
        coverage = cell_float(best.get("coverage_fraction"))
        if label == "full_coverage":
            if inside:
                ev.verdict, ev.reason = "supported", f"{seen.capitalize()} {what}, within {claimed}."
            elif above or below:
                ev.verdict = "contradicted"
                ev.reason = f"{seen.capitalize()} {what}, {'above' if above else 'below'} {claimed}, with {percent(coverage)} of the area imaged."
            else:
                ev.reason = f"{seen.capitalize()} {what}, which straddles {claimed}."
            return ev
        part = (f"only {percent(coverage)} of the area was imaged" if label == "partial_coverage" and coverage is not None
                else "photos have no ground area")
        if above and label == "partial_coverage":
            ev.verdict, ev.reason = "contradicted", f"{seen.capitalize()} {what} in part of the area, already above {claimed}."
        elif math.isinf(b) and lo >= a:
            ev.verdict, ev.reason = "supported", f"{seen.capitalize()} {what}: {claimed} is met."
        else:
            ev.reason = f"{seen.capitalize()} {what} against {claimed}, but {part}: the unseen vehicles are unknown."
        return ev

    def _claimed(self, claim: dict, target: tuple[float, float], what: str = "") -> str:
        """"the claimed about 30 (compared as 20.2–39.8, ±22.5%)": the figure as stated, then the
        interval the rule table compares with, so a reader never takes the widened one for the claim."""
        stated = stated_claim(claim) or _fmt_interval(*target)
        tol = self.opts.value_tolerance * (1.5 if claim.get("kind") == "approximate" else 1.0)
        return f"the claimed {what}{stated} (compared as {_fmt_interval(*target)}, ±{tol:.1%})".replace(".0%)", "%)")

    def _by_evidence(self, rows):
        mask = is_coverage(rows)
        cov = rows[mask].reset_index(drop=True)
        pho = rows[~mask].reset_index(drop=True)
        return (cov if len(cov) else None), (pho if len(pho) else None)

    def stock(self, claim: dict, rows) -> Evidence:
        target = claim_interval(claim, self.opts.value_tolerance)
        if target is None:
            return Evidence("not_testable", "the claim gives no number to compare")
        cov, pho = self._by_evidence(rows)
        claimed = self._claimed(claim, target)
        evs = [e for e in (self._stock_one(target, cov, True, claimed) if cov is not None else None,
                           self._stock_one(target, pho, False, claimed) if pho is not None else None) if e is not None]
        return _combine(evs)

    def flow(self, claim: dict, rows, unit_days: int) -> Evidence:
        target = claim_interval(claim, self.opts.value_tolerance)
        if target is None:
            return Evidence("not_testable", "the claim gives no number to compare")
        lengths = (rows["bucket_end"] - rows["bucket_start"]).dt.total_seconds() / 86400.0
        if (lengths > unit_days * 1.5).any():
            return Evidence("inconclusive", f"Counts are per {lengths.max():.0f} days; a flow per {unit_days} day(s) "
                            "needs counts at that granularity.", rows=rows, evidence="no_repeated_views")
        mask = is_coverage(rows)
        diffs, other_sites = [], 0
        for j in range(1, len(rows)):
            for i in range(j):
                gap = (rows.loc[j, "bucket_start"] - rows.loc[i, "bucket_start"]).total_seconds() / 86400.0
                if abs(gap - unit_days) > max(0.5, 0.5 * unit_days) or mask[i] != mask[j]:
                    continue
                if not self.sites.same_views(rows.loc[i, "frame_ids"], rows.loc[j, "frame_ids"]):
                    other_sites += 1
                    continue
                diffs.append((float(rows.loc[j, "count"] - rows.loc[i, "count"]), j, i))
        if not diffs:
            why = (f"{other_sites} pair(s) of buckets {unit_days} day(s) apart show different sites (not the same "
                   "footprint or camera position)" if other_sites else f"no two buckets {unit_days} day(s) apart in the window")
            return Evidence("inconclusive", f"A flow needs repeated views of one site {unit_days} day(s) apart: {why}.",
                            rows=rows, evidence="no_repeated_views")
        change, j, i = max(diffs)
        pair = rows.loc[[i, j]].reset_index(drop=True)
        later = float(rows.loc[j, "count"])
        full = bool(mask[j]) and all(self._coverage_label(rows.loc[k]) == "full_coverage" for k in (i, j))
        label = "repeated_full_coverage" if full else "repeated_views"
        ev = Evidence("inconclusive", "", change, None, change, change, pair, evidence=label,
                      calibration="not calibrated: a difference of raw counts at one site")
        claimed = self._claimed(claim, target, "inflow ")
        span = f"{rows.loc[i, 'bucket']} to {rows.loc[j, 'bucket']} (same site)"
        if change >= target[0] and change <= target[1]:
            ev.verdict, ev.reason = "supported", f"The count rose by {change:.0f} from {span}, matching {claimed}."
        elif change > target[1]:
            ev.verdict, ev.reason = "supported", (f"The count rose by {change:.0f} from {span}, more than {claimed}; "
                                                  "the net change includes other arrivals.")
        elif full and later < target[0]:
            ev.verdict, ev.reason = "contradicted", (f"Even the stock at the site ({later:.0f} on {rows.loc[j, 'bucket']}, "
                                                     f"area fully imaged) is below {claimed}.")
        else:
            ev.reason = (f"The count changed by {change:+.0f} ({span}); departures may offset arrivals, so this "
                         f"neither confirms nor refutes {claimed}.")
        return ev

    def trend(self, claim: dict, area: str, cls: str, start: date | None, end: date | None) -> Evidence:
        opts = self.opts
        direction = claim.get("direction")
        if direction not in ("increase", "decrease", "stable", "halted", "resumed"):
            return Evidence("not_testable", f"trend direction {direction!r} is not one of increase, decrease, stable, halted, resumed")
        span = timedelta(days=TREND_SPAN_DAYS)
        tol = timedelta(days=opts.tolerance_days)
        if start and end:
            length = max(end - start, timedelta(days=1))
            window = (start - length - tol, end + tol)
            before = self.rows(area, cls, window[0], start - timedelta(days=1))
            after = self.rows(area, cls, start, window[1])
        elif end:
            window = (end - 2 * span, end + tol)
            before = self.rows(area, cls, window[0], end - span - timedelta(days=1))
            after = self.rows(area, cls, end - span, window[1])
        else:
            window = (start - span, start + span)
            before = self.rows(area, cls, window[0], start - timedelta(days=1))
            after = self.rows(area, cls, start, window[1])
        before = before[~before["bucket"].isin(after["bucket"])] if len(after) else before
        rows = _concat(before, after)
        if rows is None or len(rows) == 0:
            return Evidence("not_testable", "no imagery of the place before and during the claimed period", window=window)
        cov_before = before[is_coverage(before)] if len(before) else before
        cov_after = after[is_coverage(after)] if len(after) else after
        if len(cov_before) == 0 or len(cov_after) == 0:
            which = "before" if len(cov_before) == 0 else "during"
            return Evidence("inconclusive", f"A trend needs comparable georeferenced coverage before and during the "
                            f"period: none {which} it (photos have no ground area).", rows=rows, window=window,
                            evidence="incomparable")
        per1 = float(cov_before["imaged_km2"].astype(float).sum()) / len(cov_before)
        per2 = float(cov_after["imaged_km2"].astype(float).sum()) / len(cov_after)
        if max(per1, per2) > COMPARABLE_FACTOR * min(per1, per2):
            return Evidence("inconclusive", f"Coverage is not comparable: {per1:.3g} km² imaged per bucket before vs "
                            f"{per2:.3g} during.", rows=rows, window=window, evidence="incomparable")
        rows = _concat(cov_before, cov_after)
        t1, t2 = float(cov_before["imaged_km2"].astype(float).sum()), float(cov_after["imaged_km2"].astype(float).sum())
        x1, x2 = int(cov_before["count"].sum()), int(cov_after["count"].sum())
        rc = compare_rates(x1, t1, x2, t2)
        ratio_text = "n/a" if rc.ratio is None else ("inf" if math.isinf(rc.ratio) else f"{rc.ratio:.2f}")
        desc = (f"{x1} vehicles over {t1:g} km² imaged before vs {x2} over {t2:g} km² during "
                f"(rate ratio {ratio_text}, p_increase {rc.p_increase:.3g}, p_decrease {rc.p_decrease:.3g})")
        ev = Evidence("inconclusive", "", rc.ratio if rc.ratio is not None and not math.isinf(rc.ratio) else None,
                      None, rc.ratio_low, rc.ratio_high if rc.ratio_high is not None and not math.isinf(rc.ratio_high) else None,
                      rows, window, evidence="comparable_coverage", calibration="raw counts (a ratio of rates)")
        up, down = rc.p_increase < opts.alpha, rc.p_decrease < opts.alpha
        if direction in ("increase", "resumed"):
            ev.verdict = "supported" if up else "contradicted" if down else "inconclusive"
        elif direction == "decrease":
            ev.verdict = "supported" if down else "contradicted" if up else "inconclusive"
        elif direction == "halted":
            # a halt of inflow: the stock stops growing
            ev.verdict = "contradicted" if up else "supported" if (down or x1 + x2 >= 20) else "inconclusive"
        else:  # stable
            ev.verdict = "contradicted" if rc.p_two_sided < opts.alpha else "supported" if x1 + x2 >= 20 else "inconclusive"
        if ev.verdict == "inconclusive" and not (up or down):
            ev.reason = f"No significant change at level {opts.alpha}: {desc}."
        else:
            ev.reason = f"{ev.verdict.capitalize()} ({direction}): {desc}."
        return ev

    def _presence_one(self, rows, coverage_rows: bool) -> Evidence:
        best = rows.loc[rows["count"].idxmax()]
        n = float(best["count"])
        lo, hi, cal = self._interval_of(best)
        label = self._coverage_label(rows.loc[rows["coverage_fraction"].astype(float).idxmax()]) if coverage_rows else "photos"
        ev = Evidence("inconclusive", "", n, cal, lo if cal is not None else None, hi if cal is not None else None, rows,
                      evidence=label, calibration=_calibration_of(best))
        if n >= PRESENCE_MIN:
            ev.verdict, ev.reason = "supported", f"{n:.0f} detected in {best['bucket']}{'' if coverage_rows else ' (photos)'}."
        elif label == "full_coverage":
            ev.verdict, ev.reason = "contradicted", f"None detected in {len(rows)} bucket(s) covering the area."
        elif label == "partial_coverage":
            ev.reason = f"None detected, but only {percent(cell_float(rows['coverage_fraction'].max()))} of the area was imaged."
        else:
            ev.reason = "None detected in the photos, which cannot show that there were none."
        return ev

    def presence(self, rows) -> Evidence:
        cov, pho = self._by_evidence(rows)
        evs = [self._presence_one(r, c) for r, c in ((cov, True), (pho, False)) if r is not None]
        hit = next((e for e in evs if e.verdict == "supported"), None)
        if hit is not None:
            return hit
        return next((e for e in evs if e.verdict == "contradicted"), evs[0])

    def _absence_one(self, rows, coverage_rows: bool) -> Evidence:
        n = float(rows["count"].max())
        label = self._coverage_label(rows.loc[rows["coverage_fraction"].astype(float).idxmin()]) if coverage_rows else "photos"
        ev = Evidence("inconclusive", "", n, None, None, None, rows, evidence=label,
                      calibration=_calibration_of(rows.loc[rows["count"].idxmax()]))
        if n > ABSENCE_MAX:
            ev.verdict = "contradicted"
            ev.reason = f"{n:.0f} vehicles detected in {rows.loc[rows['count'].idxmax(), 'bucket']}{'' if coverage_rows else ' (photos)'}."
        elif label == "full_coverage":
            ev.verdict, ev.reason = "supported", f"No more than {ABSENCE_MAX} vehicles in any of {len(rows)} bucket(s)."
        elif label == "partial_coverage":
            ev.reason = (f"No vehicles detected, but only {percent(cell_float(rows['coverage_fraction'].min()))} of the area was "
                         "imaged: absence cannot be confirmed.")
        else:
            ev.reason = "No vehicles in the photos, which cannot show that there were none."
        return ev

    def absence(self, rows) -> Evidence:
        cov, pho = self._by_evidence(rows)
        evs = [self._absence_one(r, c) for r, c in ((cov, True), (pho, False)) if r is not None]
        hit = next((e for e in evs if e.verdict == "contradicted"), None)
        if hit is not None:
            return hit
        return next((e for e in evs if e.verdict == "supported"), evs[0])

    def proportion(self, claim: dict, area: str, cls: str, start: date, end: date) -> Evidence:
        total_all = self.rows(area, ANY, start, end)
        if len(total_all) == 0:
            return Evidence("not_testable", "no imagery of the place in the window")
        total = total_all[is_coverage(total_all)].reset_index(drop=True)
        if len(total) == 0:
            return Evidence("inconclusive", "A class share needs georeferenced coverage: photos are framed by the "
                            "photographer.", rows=total_all, evidence="photos")
        part = self.rows(area, cls, start, end)
        part = part[is_coverage(part)] if len(part) else part
        label = self._coverage_label(total.loc[total["coverage_fraction"].astype(float).idxmax()])
        k, n = int(part["count"].sum()) if len(part) else 0, int(total["count"].sum())
        if n < MIN_SHARE_TOTAL:
            return Evidence("inconclusive", f"Only {n} vehicles detected: too few for a share.", rows=total, evidence=label)
        lo, hi = clopper_pearson(k, n, 0.90)
        share = k / n
        v, clo, chi = cell_float(claim.get("value")), cell_float(claim.get("low")), cell_float(claim.get("high"))
        if clo is None and chi is None and v is not None:
            clo, chi = max(0.0, v - 0.05), min(1.0, v + 0.05)
        clo = 0.0 if clo is None else clo
        chi = 1.0 if chi is None else chi
        ev = Evidence("inconclusive", "", share, None, lo, hi, total, evidence=label,
                      calibration="raw counts (Clopper-Pearson interval of the share)")
        desc = (f"{cls} are {k} of {n} vehicles ({share:.0%}, 90% interval {lo:.0%}–{hi:.0%}) against the claimed "
                f"{clo:.0%}–{chi:.0%}")
        if clo <= lo and hi <= chi:
            ev.verdict = "supported"
        elif hi < clo or lo > chi:
            ev.verdict = "contradicted"
        ev.reason = desc + "."
        return ev

    # --- one claim ---------------------------------------------------------------------------------

    def judge(self, claim: dict) -> tuple[Evidence, date | None, date | None]:
        kind, unit = claim.get("kind"), str(claim.get("unit") or "")
        note = str(claim.get("note") or "").lower()
        cls = claim.get("vehicle_class") or ANY
        if kind == "price":
            return Evidence("not_testable", "prices cannot be seen in imagery"), None, None
        if kind == "other":
            return Evidence("not_testable", "the claim states no number, trend, presence or share of vehicles"), None, None
        if kind == "trend" and ("not vehicle numbers" in note or "price" in note or "demand" in note):
            return Evidence("not_testable", "the trend is about prices or demand, not vehicle numbers"), None, None
        if kind == "proportion" and unit != "class_share":
            return Evidence("not_testable", f"a share by {unit.replace('fraction_', '').replace('_', ' ') or 'attribute'} "
                            "(used/new, origin, plates) cannot be told from imagery"), None, None
        if any(u in unit for u in UNTESTABLE_UNITS):
            return Evidence("not_testable", f"unit {unit} is not a count of vehicles in an area"), None, None
        if claim_kind(claim) == "untestable":
            return Evidence("not_testable", f"kind {kind!r} has no comparison"), None, None
        place = claim.get("place")
        if not place:
            return Evidence("not_testable", "the claim names no place"), None, None
        if place not in self.areas:
            return Evidence("not_testable", f"no imagery of {place}"), None, None
        raw = [claim.get("period_start"), claim.get("period_end")]
        start, end = _d(raw[0]), _d(raw[1])
        if start is None and end is None:
            given = next((str(r) for r in raw if r not in (None, "")), None)
            why = f"the claim's period {given!r} is not a date" if given else "the claim has no period"
            return Evidence("not_testable", why), None, None
        for d in (start, end):
            if d is not None and not (EARLIEST <= d <= LATEST):
                return Evidence("not_testable", f"the claim's date {d.isoformat()} is outside the years imagery can "
                                f"have ({EARLIEST.year}-{LATEST.year})"), None, None
        if start and end and end < start:
            start, end = end, start
        tol = timedelta(days=self.opts.tolerance_days)
        if kind == "trend":
            ev = self.trend(claim, place, cls, start, end)
            return ev, *(ev.window or ((start or end) - tol, (end or start) + tol))
        w0, w1 = (start or end) - tol, (end or start) + tol
        if kind == "proportion":
            return self.proportion(claim, place, cls, w0, w1), w0, w1
        rows = self.rows(place, cls, w0, w1)
        if len(rows) == 0:
            if len(self.rows(place, ANY, w0, w1)):
                # count writes no rows for a class the model that read the imagery cannot output
                return Evidence("not_testable", f"{place} was imaged between {w0} and {w1}, but no model that read "
                                f"that imagery detects {cls.replace('_', ' ')}"), w0, w1
            return Evidence("not_testable", f"no imagery of {place} ({cls}) between {w0} and {w1}"), w0, w1
        if kind in STOCK_KINDS and unit in FLOW_DAYS:
            return self.flow(claim, rows, FLOW_DAYS[unit]), w0, w1
        if kind in STOCK_KINDS and unit == "vehicles_arrived":
            # an inflow over the claim's own period: the change across that many days
            return self.flow(claim, rows, max(1, ((end or start) - (start or end)).days + 1)), w0, w1
        if kind in STOCK_KINDS:
            return self.stock(claim, rows), w0, w1
        if kind == "presence":
            return self.presence(rows), w0, w1
        return self.absence(rows), w0, w1


def _combine(evs: list[Evidence]) -> Evidence:
    """One verdict from the verdicts of coverage and of photos: a decisive one wins; two that disagree
    leave the claim inconclusive (resting on the coverage, whose rows it cites)."""
    decisive = [e for e in evs if e.verdict in ("supported", "contradicted")]
    if len(decisive) == 2 and decisive[0].verdict != decisive[1].verdict:
        first = decisive[0]
        return Evidence("inconclusive", f"Coverage and photos disagree: {decisive[0].reason} {decisive[1].reason}",
                        first.observed, first.observed_calibrated, first.observed_low, first.observed_high, first.rows,
                        evidence=first.evidence, calibration=first.calibration)
    if decisive:
        return decisive[0]
    return evs[0]


def _concat(a, b):
    import pandas as pd

    parts = [x for x in (a, b) if x is not None and len(x)]
    return pd.concat(parts, ignore_index=True) if parts else None


def _frame_ids(rows) -> list[str]:
    out: set[str] = set()
    if rows is None or "frame_ids" not in rows:
        return []
    for ids in rows["frame_ids"]:
        if ids is None or (isinstance(ids, float) and math.isnan(ids)):
            continue
        out.update(str(i) for i in list(ids))
    return sorted(out)


def claim_ids(claims: Sequence[dict]) -> list[str]:
    """``source_file#n``: the n-th claim of each article, in the order given."""
    seen: dict[str, int] = {}
    out = []
    for c in claims:
        src = str((c.get("source_file") if isinstance(c, dict) else None) or "claims")
        n = seen.get(src, 0)
        seen[src] = n + 1
        out.append(f"{src}#{n}")
    return out


def counts_tz(counts) -> str | None:
    """The time zone the counts' buckets were made in (their ``tz`` column), if they record one."""
    if counts is None or "tz" not in counts.columns:
        return None
    zones = counts["tz"].dropna().astype(str).unique()
    return str(zones[0]) if len(zones) else None


def compare_claims(counts, claims: Sequence[dict], tolerance_days: int = 3, frames=None, **options):
    """One COMPARISONS row per claim (a pandas DataFrame).

    ``frames`` (the run's FRAMES table) tells which frames view the same site; without it no flow
    can be tested. ``tz`` defaults to the zone the counts were made in. A claim that is malformed
    or cannot be compared gets a not_testable row saying why; the other claims go on.
    """
    import pandas as pd

    from borderwatch.tables import parse_claim

    if options.get("tz") is None:
        options["tz"] = counts_tz(counts) or "UTC"
    opts = CompareOptions(tolerance_days=tolerance_days, **options)  # the one declaration of compare's options
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(opts.tz)
    except (KeyError, ValueError) as exc:
        raise InputError(f"unknown time zone {opts.tz!r}") from exc
    comparer = Comparer(counts, opts, frames)
    records = []
    for cid, raw in zip(claim_ids(claims), claims, strict=True):
        model, problem = parse_claim(raw)
        claim = model.model_dump() if model is not None else (dict(raw) if isinstance(raw, dict) else {})
        w0 = w1 = None
        if problem is not None:
            ev = Evidence("not_testable", problem)
        else:
            try:
                ev, w0, w1 = comparer.judge(claim)
            except (ValueError, OverflowError, TypeError, KeyError, ArithmeticError) as exc:
                # one odd claim must not cost the others their verdicts
                ev = Evidence("not_testable", f"could not be compared: {type(exc).__name__}: {exc}")
        rows = ev.rows
        used = rows if rows is not None and len(rows) else None
        rec = {"claim_id": cid}
        for f in CLAIMS_FIELDS:
            rec[f] = claim.get(f)
        try:
            window = (_ts(w0, opts.tz) if w0 else pd.NaT,
                      _ts(w1 + timedelta(days=1), opts.tz) if w1 else pd.NaT)  # end of the last day
        except (ValueError, OverflowError):
            window = (pd.NaT, pd.NaT)
        rec.update({
            "source_file": claim.get("source_file"), "url": claim.get("url"),
            "verdict": ev.verdict, "reason": ev.reason,
            "evidence": ev.evidence or ("none" if ev.verdict == "not_testable" else None),
            "calibration": ev.calibration,
            "window_start": window[0], "window_end": window[1],
            "observed": ev.observed, "observed_calibrated": ev.observed_calibrated,
            "observed_low": ev.observed_low, "observed_high": ev.observed_high,
            "n_frames": int(used["n_frames"].sum()) if used is not None else 0,
            "dates": ",".join(str(b) for b in used["bucket"]) if used is not None else "",
            "frame_ids": ",".join(_frame_ids(used)),
            "imaged_km2": float(used["imaged_km2"].astype(float).sum()) if used is not None and used["imaged_km2"].notna().any() else None,
            "coverage_fraction": float(used["coverage_fraction"].astype(float).mean()) if used is not None and used["coverage_fraction"].notna().any() else None,
        })
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=COMPARISONS.column_names)
    for col in ("value", "low", "high", "observed", "observed_calibrated", "observed_low", "observed_high",
                "imaged_km2", "coverage_fraction"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    for col in ("window_start", "window_end"):
        df[col] = pd.to_datetime(df[col], utc=True)
    df["n_frames"] = df["n_frames"].astype("int64")
    text_cols = [c for c in COMPARISONS.column_names if c not in (
        "value", "low", "high", "observed", "observed_calibrated", "observed_low", "observed_high",
        "imaged_km2", "coverage_fraction", "window_start", "window_end", "n_frames")]
    for col in text_cols:
        df[col] = df[col].astype("string")
    return df


def load_claims(path: str | Path) -> list[dict]:
    """claims.json as a list of objects; each claim is validated (``tables.Claim``) when compared."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read claims: {exc.strerror or exc}", path) from exc
    except ValueError as exc:
        raise InputError(f"claims file is not valid JSON: {exc}", path) from exc
    if isinstance(data, dict) and isinstance(data.get("claims"), list):
        data = data["claims"]
    if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
        raise InputError("claims file must hold a JSON list of claim objects", path)
    for i, c in enumerate(data):
        if "kind" not in c:
            raise InputError(f"claim {i} has no 'kind'", path)
    return data


def compare_run(run_dir: str | Path, claims_path: str | Path, out_dir: str | Path | None = None,
                tolerance_days: int = 3, **options):
    """Compare a run's counts.parquet with claims.json; write comparisons.parquet and .csv."""
    import pandas as pd

    from borderwatch.atomic import write_csv
    from borderwatch.geoparquet import write_frame as write_parquet

    run_dir = Path(run_dir)
    counts_path = run_dir / COUNTS.name
    if not counts_path.exists():
        raise InputError(f"no {COUNTS.name}: run `borderwatch count` first", run_dir)
    try:
        counts = pd.read_parquet(counts_path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"cannot read counts: {exc}", counts_path) from exc
    COUNTS.validate(counts, str(counts_path))
    claims = load_claims(claims_path)
    df = compare_claims(counts, claims, tolerance_days=tolerance_days, frames=_read_frames(run_dir), **options)
    out = Path(out_dir) if out_dir is not None else run_dir
    write_parquet(out / COMPARISONS.name, df)
    write_csv(out / "comparisons.csv", df)
    return df


def _read_frames(run_dir: Path):
    """The run's frames (footprints and camera positions tell sites apart), or None without them."""
    path = run_dir / "frames.parquet"
    if not path.exists():
        return None
    try:
        from borderwatch.geo.runio import read_table
        from borderwatch.tables import FRAMES

        return read_table(path, FRAMES)
    except InputError:
        return None  # flows then find no repeated views and say so

