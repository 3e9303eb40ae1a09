"""Claims against counts: a verdict per claim with its evidence.

Each claim is paired with the COUNTS rows of its place (the area named like the gazetteer's
canonical name), its class (``any_vehicle`` rows, or the sum over classes when a table has none)
and the buckets that overlap its period widened by ``tolerance_days`` on each side (the window).

Verdicts: ``supported``, ``contradicted``, ``inconclusive`` (imagery exists but cannot decide) and
``not_testable`` (prices, attributes such as used/new or licence plates, no place, no period, no
imagery of that place in the window). Semantics per kind:

- stock (count, range, lower_bound, upper_bound, approximate; unit ``vehicles``): the claim is
  about how many vehicles were there at some moment, so the bucket with the most vehicles in the
  window is the evidence. Its calibrated 90% interval (raw count when the model card has no
  calibration) is compared with the claimed interval (count +- ``value_tolerance``; approximate
  +- 1.5x that): inside -> supported, disjoint -> contradicted, straddling -> inconclusive. Fewer
  vehicles than a lower bound only contradicts when the area was imaged (coverage >=
  ``min_coverage``): an unimaged part may hold the rest.
- flow (unit ``vehicles_per_night`` / ``_per_day`` / ``_per_week`` / ``_per_month``): the change
  between consecutive buckets one unit apart; needs buckets no longer than the unit. The net change
  is arrivals minus departures, so it only supports a claimed inflow; it contradicts one when even
  the stock on the later date is smaller than the claimed inflow.
- trend (increase, decrease, stable, halted, resumed): the count rate before the claim's period
  against the rate in it, per km2 imaged (per bucket for photos), by the exact conditional test of
  two Poisson rates at level ``alpha`` (``stats.compare_rates``). Trends about prices or demand
  are not testable.
- presence / absence: any bucket with at least ``presence_min`` vehicles supports presence;
  none with full coverage contradicts it. Absence holds when no bucket has more than
  ``absence_max`` vehicles and coverage is at least ``min_coverage`` (else inconclusive).
- proportion (unit ``class_share``): the class's share of all vehicles in the window with a
  Clopper-Pearson 90% interval, against the claimed share.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from borderwatch.claims.stats import clopper_pearson, compare_rates
from borderwatch.errors import InputError
from borderwatch.tables import CLAIMS_FIELDS, COMPARISONS, COUNTS

ANY = "any_vehicle"
STOCK_KINDS = ("count", "range", "lower_bound", "upper_bound", "approximate")
FLOW_DAYS = {"vehicles_per_night": 1, "vehicles_per_day": 1, "vehicles_per_week": 7, "vehicles_per_month": 30,
             "vehicles_per_year": 365}
UNTESTABLE_UNITS = ("per_transaction", "per_company", "persons_per", "people_per", "per_queue", "per_red_light",
                    "per_household")


@dataclass(frozen=True)
class CompareOptions:
    tolerance_days: int = 3
    value_tolerance: float = 0.15  # relative slack on a claimed count
    min_coverage: float = 0.8  # coverage needed before missing vehicles count against a claim
    alpha: float = 0.05  # level of the trend tests
    trend_span_days: int = 90  # before/after windows when a trend gives only one end of its period
    presence_min: int = 1
    absence_max: int = 0
    min_share_total: int = 10  # vehicles needed before a class share means anything
    tz: str = "UTC"  # the claims' calendar days are days in this zone (as the counts' buckets)


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


def _d(value) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _ts(d: date, tz: str = "UTC"):
    """Midnight starting day ``d`` in ``tz``, as a UTC timestamp."""
    import pandas as pd

    return pd.Timestamp(d.isoformat()).tz_localize(tz).tz_convert("UTC")


def _claim_interval(claim: dict, opts: CompareOptions) -> tuple[float, float] | None:
    kind, v, lo, hi = claim.get("kind"), _num(claim.get("value")), _num(claim.get("low")), _num(claim.get("high"))
    tol = opts.value_tolerance
    if kind == "count" and v is not None:
        return v * (1 - tol), v * (1 + tol)
    if kind == "approximate" and v is not None:
        return v * (1 - 1.5 * tol), v * (1 + 1.5 * tol)
    if kind == "range" and lo is not None and hi is not None:
        return lo * (1 - tol), hi * (1 + tol)
    if kind == "lower_bound" and lo is not None:
        return lo * (1 - tol), math.inf
    if kind == "upper_bound" and hi is not None:
        return 0.0, hi * (1 + tol)
    if v is not None:
        return v * (1 - tol), v * (1 + tol)
    if lo is not None or hi is not None:
        return (lo or 0.0) * (1 - tol), (hi * (1 + tol)) if hi is not None else math.inf
    return None


def _fmt_interval(a: float, b: float) -> str:
    b_text = "inf" if math.isinf(b) else f"{b:.0f}"
    return f"{a:.0f}-{b_text}"


class Comparer:
    """Compares claims with one COUNTS table."""

    def __init__(self, counts, opts: CompareOptions):
        import pandas as pd

        COUNTS.validate(counts, "counts")
        df = counts.copy()
        for col in ("bucket_start", "bucket_end"):
            df[col] = pd.to_datetime(df[col], utc=True)
        for col in ("calibrated_count", "calibrated_low", "calibrated_high", "imaged_km2", "coverage_fraction"):
            if col not in df.columns:
                df[col] = float("nan")
        self.df = df
        self.opts = opts
        self.areas = set(df["area"].astype(str))

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
        # no any_vehicle rows: sum the classes per bucket
        if sel.empty:
            return sel
        agg = sel.groupby(["area", "bucket", "bucket_start", "bucket_end"], as_index=False).agg(
            n_frames=("n_frames", "max"), raw_count=("raw_count", "sum"), count=("count", "sum"),
            imaged_km2=("imaged_km2", "max"), coverage_fraction=("coverage_fraction", "max"),
            calibrated_count=("calibrated_count", lambda s: s.sum(min_count=len(s))),
            calibrated_low=("calibrated_low", lambda s: s.sum(min_count=len(s))),
            calibrated_high=("calibrated_high", lambda s: s.sum(min_count=len(s))),
            frame_ids=("frame_ids", lambda s: sorted({f for ids in s for f in (list(ids) if ids is not None else [])})),
        )
        agg["vehicle_class"] = ANY
        return pd.DataFrame(agg).sort_values("bucket_start").reset_index(drop=True)

    # --- kinds ----------------------------------------------------------------------------------------

    def _interval_of(self, row) -> tuple[float, float, float | None]:
        cal, lo, hi = _num(row.get("calibrated_count")), _num(row.get("calibrated_low")), _num(row.get("calibrated_high"))
        if cal is not None and lo is not None and hi is not None:
            return lo, hi, cal
        c = float(row["count"])
        return c, c, None

    def stock(self, claim: dict, rows) -> Evidence:
        target = _claim_interval(claim, self.opts)
        if target is None:
            return Evidence("not_testable", "the claim gives no number to compare")
        best = rows.loc[rows["count"].idxmax()]
        lo, hi, cal = self._interval_of(best)
        coverage = _num(best.get("coverage_fraction"))
        ev = Evidence("inconclusive", "", float(best["count"]), cal, lo, hi, rows)
        what = f"at most {float(best['count']):.0f} vehicles in one bucket ({best['bucket']}"
        what += f", 90% interval {lo:.0f}-{hi:.0f})" if cal is not None else ", uncalibrated)"
        claimed = f"the claimed {_fmt_interval(*target)}"
        if target[0] <= lo and hi <= target[1]:
            ev.verdict, ev.reason = "supported", f"Imagery shows {what}, within {claimed}."
        elif hi < target[0]:
            if coverage is not None and coverage < self.opts.min_coverage:
                ev.reason = (f"Imagery shows {what}, below {claimed}, but only {coverage:.0%} of the area was imaged.")
            else:
                ev.verdict, ev.reason = "contradicted", f"Imagery shows {what}, below {claimed}."
        elif lo > target[1]:
            ev.verdict, ev.reason = "contradicted", f"Imagery shows {what}, above {claimed}."
        else:
            ev.reason = f"Imagery shows {what}, which straddles {claimed}."
        return ev

    def flow(self, claim: dict, rows, unit_days: int) -> Evidence:
        target = _claim_interval(claim, self.opts)
        if target is None:
            return Evidence("not_testable", "the claim gives no number to compare")
        lengths = (rows["bucket_end"] - rows["bucket_start"]).dt.total_seconds() / 86400.0
        if (lengths > unit_days * 1.5).any():
            return Evidence("inconclusive", f"Counts are per {lengths.max():.0f} days; a flow per {unit_days} day(s) "
                            "needs counts at that granularity.", rows=rows)
        diffs = []
        for j in range(1, len(rows)):
            for i in range(j):
                gap = (rows.loc[j, "bucket_start"] - rows.loc[i, "bucket_start"]).total_seconds() / 86400.0
                if abs(gap - unit_days) <= max(0.5, 0.5 * unit_days):
                    diffs.append((float(rows.loc[j, "count"] - rows.loc[i, "count"]), j, i))
        if not diffs:
            return Evidence("inconclusive", f"No two buckets {unit_days} day(s) apart in the window to measure a "
                            "change between.", rows=rows)
        change, i, first = max(diffs)
        later = float(rows.loc[i, "count"])
        coverage = _num(rows.loc[i, "coverage_fraction"])
        ev = Evidence("inconclusive", "", change, None, change, change, rows)
        claimed = f"the claimed inflow {_fmt_interval(*target)}"
        span = f"{rows.loc[first, 'bucket']} to {rows.loc[i, 'bucket']}"
        if target[0] <= change <= target[1] or (math.isinf(target[1]) and change >= target[0]):
            ev.verdict, ev.reason = "supported", f"The count rose by {change:.0f} from {span}, matching {claimed}."
        elif change > target[1]:
            ev.verdict, ev.reason = "supported", (f"The count rose by {change:.0f} from {span}, more than {claimed}; "
                                                  "the net change includes other arrivals.")
        elif all(float(c) < target[0] for c in rows["count"]) and (coverage is None or coverage >= self.opts.min_coverage):
            ev.verdict, ev.reason = "contradicted", (f"Even the stock ({later:.0f} on {rows.loc[i, 'bucket']}) "
                                                     f"is below {claimed}.")
        else:
            ev.reason = (f"The count changed by at most {change:+.0f} ({span}); departures may offset arrivals, so this "
                         f"neither confirms nor refutes {claimed}.")
        return ev

    def _exposure(self, rows) -> tuple[float, str]:
        km2 = rows["imaged_km2"].astype(float)
        if len(rows) and km2.notna().all() and (km2 > 0).all():
            return float(km2.sum()), "km2 imaged"
        return float(len(rows)), "buckets"

    def trend(self, claim: dict, area: str, cls: str, start: date | None, end: date | None) -> Evidence:
        opts = self.opts
        direction = claim.get("direction")
        span = timedelta(days=opts.trend_span_days)
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
        if len(before) == 0 or len(after) == 0:
            which = "before" if len(before) == 0 else "during"
            return Evidence("inconclusive", f"Imagery exists only on one side: none {which} the claimed period.",
                            rows=rows, window=window)
        (t1, unit1), (t2, unit2) = self._exposure(before), self._exposure(after)
        if unit1 != unit2:
            t1, t2, unit1 = float(len(before)), float(len(after)), "buckets"
        x1, x2 = int(before["count"].sum()), int(after["count"].sum())
        rc = compare_rates(x1, t1, x2, t2)
        ratio_text = "n/a" if rc.ratio is None else ("inf" if math.isinf(rc.ratio) else f"{rc.ratio:.2f}")
        desc = (f"{x1} vehicles over {t1:g} {unit1} before vs {x2} over {t2:g} {unit2} during "
                f"(rate ratio {ratio_text}, p_increase {rc.p_increase:.3g}, p_decrease {rc.p_decrease:.3g})")
        ev = Evidence("inconclusive", "", rc.ratio if rc.ratio is not None and not math.isinf(rc.ratio) else None,
                      None, rc.ratio_low, rc.ratio_high if rc.ratio_high is not None and not math.isinf(rc.ratio_high) else None,
                      rows, window)
        up, down = rc.p_increase < opts.alpha, rc.p_decrease < opts.alpha
        if direction in ("increase", "resumed"):
            ev.verdict = "supported" if up else "contradicted" if down else "inconclusive"
        elif direction == "decrease":
            ev.verdict = "supported" if down else "contradicted" if up else "inconclusive"
        elif direction == "halted":
            # a halt of inflow: the stock stops growing
            ev.verdict = "contradicted" if up else "supported" if (down or x1 + x2 >= 20) else "inconclusive"
        elif direction == "stable":
            ev.verdict = "contradicted" if rc.p_two_sided < opts.alpha else "supported" if x1 + x2 >= 20 else "inconclusive"
        else:
            return Evidence("not_testable", f"trend direction {direction!r} is not one of increase, decrease, stable, halted, resumed")
        if ev.verdict == "inconclusive" and not (up or down):
            ev.reason = f"No significant change at level {opts.alpha}: {desc}."
        else:
            ev.reason = f"{ev.verdict.capitalize()} ({direction}): {desc}."
        return ev

    def presence(self, rows) -> Evidence:
        best = rows.loc[rows["count"].idxmax()]
        n = float(best["count"])
        coverage = _num(rows["coverage_fraction"].max()) if "coverage_fraction" in rows else None
        lo, hi, cal = self._interval_of(best)
        ev = Evidence("inconclusive", "", n, cal, lo if cal is not None else None, hi if cal is not None else None, rows)
        if n >= self.opts.presence_min:
            ev.verdict, ev.reason = "supported", f"{n:.0f} detected in {best['bucket']}."
        elif coverage is not None and coverage < self.opts.min_coverage:
            ev.reason = f"None detected, but only {coverage:.0%} of the area was imaged."
        else:
            ev.verdict, ev.reason = "contradicted", f"None detected in {len(rows)} bucket(s) covering the area."
        return ev

    def absence(self, rows) -> Evidence:
        n = float(rows["count"].max())
        coverage = _num(rows["coverage_fraction"].min())
        ev = Evidence("inconclusive", "", n, None, None, None, rows)
        if n > self.opts.absence_max:
            ev.verdict, ev.reason = "contradicted", f"{n:.0f} vehicles detected in {rows.loc[rows['count'].idxmax(), 'bucket']}."
        elif coverage is not None and coverage < self.opts.min_coverage:
            ev.reason = f"No vehicles detected, but only {coverage:.0%} of the area was imaged: absence cannot be confirmed."
        else:
            ev.verdict, ev.reason = "supported", f"No more than {self.opts.absence_max} vehicles in any of {len(rows)} bucket(s)."
        return ev

    def proportion(self, claim: dict, area: str, cls: str, start: date, end: date) -> Evidence:
        part = self.rows(area, cls, start, end)
        total = self.rows(area, ANY, start, end)
        if len(total) == 0:
            return Evidence("not_testable", "no imagery of the place in the window")
        k, n = int(part["count"].sum()) if len(part) else 0, int(total["count"].sum())
        if n < self.opts.min_share_total:
            return Evidence("inconclusive", f"Only {n} vehicles detected: too few for a share.", rows=total)
        lo, hi = clopper_pearson(k, n, 0.90)
        share = k / n
        v, clo, chi = _num(claim.get("value")), _num(claim.get("low")), _num(claim.get("high"))
        if clo is None and chi is None and v is not None:
            clo, chi = max(0.0, v - 0.05), min(1.0, v + 0.05)
        clo = 0.0 if clo is None else clo
        chi = 1.0 if chi is None else chi
        ev = Evidence("inconclusive", "", share, None, lo, hi, total)
        desc = f"{cls} are {k} of {n} vehicles ({share:.0%}, 90% interval {lo:.0%}-{hi:.0%}) against the claimed {clo:.0%}-{chi:.0%}"
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
        place = claim.get("place")
        if not place:
            return Evidence("not_testable", "the claim names no place"), None, None
        if place not in self.areas:
            return Evidence("not_testable", f"no imagery of {place}"), None, None
        start, end = _d(claim.get("period_start")), _d(claim.get("period_end"))
        if start is None and end is None:
            return Evidence("not_testable", "the claim has no period"), None, None
        tol = timedelta(days=self.opts.tolerance_days)
        if kind == "trend":
            ev = self.trend(claim, place, cls, start, end)
            return ev, *(ev.window or ((start or end) - tol, (end or start) + tol))
        w0, w1 = (start or end) - tol, (end or start) + tol
        if kind == "proportion":
            return self.proportion(claim, place, cls, w0, w1), w0, w1
        rows = self.rows(place, cls, w0, w1)
        if len(rows) == 0:
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
        if kind == "absence":
            return self.absence(rows), w0, w1
        return Evidence("not_testable", f"kind {kind!r} has no comparison"), w0, w1


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
        src = str(c.get("source_file") or "claims")
        n = seen.get(src, 0)
        seen[src] = n + 1
        out.append(f"{src}#{n}")
    return out


def compare_claims(counts, claims: Sequence[dict], tolerance_days: int = 3, **options):
    """One COMPARISONS row per claim (a pandas DataFrame)."""
    import pandas as pd

    opts = CompareOptions(tolerance_days=tolerance_days, **options)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(opts.tz)
    except (KeyError, ValueError) as exc:
        raise InputError(f"unknown time zone {opts.tz!r}") from exc
    comparer = Comparer(counts, opts)
    records = []
    for cid, claim in zip(claim_ids(claims), claims, strict=True):
        ev, w0, w1 = comparer.judge(claim)
        rows = ev.rows
        used = rows if rows is not None and len(rows) else None
        rec = {"claim_id": cid}
        for f in CLAIMS_FIELDS:
            rec[f] = claim.get(f)
        rec.update({
            "source_file": claim.get("source_file"), "url": claim.get("url"),
            "verdict": ev.verdict, "reason": ev.reason,
            "window_start": _ts(w0, opts.tz) if w0 else pd.NaT,
            "window_end": _ts(w1 + timedelta(days=1), opts.tz) if w1 else pd.NaT,  # end of the last day
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
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read claims: {exc.strerror or exc}", path) from exc
    except ValueError as exc:
        raise InputError(f"claims file is not valid JSON: {exc}", path) from exc
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

    from borderwatch.atomic import write_csv, write_parquet

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
    df = compare_claims(counts, claims, tolerance_days=tolerance_days, **options)
    out = Path(out_dir) if out_dir is not None else run_dir
    write_parquet(out / COMPARISONS.name, df)
    write_csv(out / "comparisons.csv", df)
    return df
