"""The verdict rules: which verdicts each kind of evidence can give each kind of claim.

One table, ``RULES``, keyed by (claim kind, evidence kind). ``compare`` labels every verdict with
the evidence it rests on and may only return a verdict the table allows for that pair, under the
cell's condition; ``tests/test_rules_property.py`` generates runs and claims and checks every
verdict against this table, and the README prints it (``rules_markdown``).

Claim kinds (``claim_kind``): ``stock`` (how many vehicles were there: count, range, approximate,
lower or upper bound), ``flow`` (how many came in per night/day/week...), ``trend`` (increase,
decrease, stable, halted, resumed), ``presence``, ``absence``, ``share`` (a class's share of the
vehicles), and ``untestable`` (prices, attributes such as used/new, no place, no period).

Evidence kinds (``EVIDENCE``):

- ``full_coverage``: georeferenced frames covering at least ``min_coverage`` (0.8) of the area;
- ``partial_coverage``: georeferenced frames covering less of it;
- ``photos``: photos (or rasters without a footprint) placed in the area: vehicles seen, but no
  ground area, so nothing about the vehicles they did not see;
- ``repeated_views``: views of the same site (same footprint, IoU >= 0.5, or same camera
  position, within 50 m) one unit of the flow apart; ``repeated_full_coverage`` when those views
  cover at least ``min_coverage`` of the area;
- ``no_repeated_views``: imagery of the place in the window, but no such pair;
- ``comparable_coverage``: for trends, georeferenced coverage both before and during the period,
  the imaged km² per bucket within a factor ``COMPARABLE_FACTOR`` of each other;
- ``incomparable``: for trends, anything less (one side only, photos, very different coverage);
- ``none``: no imagery of the place in the window, or a claim that cannot be compared.

Conditions on a stock verdict compare the observed 90% interval [lo, hi] (calibrated when the
model card has figures, else the raw count) with the claimed interval [a, b] (b infinite for a
lower bound, a = 0 for an upper bound): ``inside`` lo >= a and hi <= b; ``disjoint`` hi < a or
lo > b; ``above`` lo > b; ``at_least`` b infinite and lo >= a; ``any`` no condition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from borderwatch.tables import cell_float

VERDICTS = ("supported", "contradicted", "inconclusive", "not_testable")
CLAIM_KINDS = ("stock", "flow", "trend", "presence", "absence", "share", "untestable")
EVIDENCE = ("full_coverage", "partial_coverage", "photos", "repeated_full_coverage", "repeated_views",
            "no_repeated_views", "comparable_coverage", "incomparable", "none")
EVIDENCE_TEXT = {
    "full_coverage": "georeferenced coverage ≥ 80% of the area",
    "partial_coverage": "georeferenced coverage < 80%",
    "photos": "photos with a place (no ground area)",
    "repeated_full_coverage": "repeated views of one site, one unit apart, coverage ≥ 80%",
    "repeated_views": "repeated views of one site, one unit apart",
    "no_repeated_views": "imagery, but no repeated views of one site one unit apart",
    "comparable_coverage": "comparable georeferenced coverage before and during",
    "incomparable": "no comparable coverage before and during",
    "none": "no imagery of the place in the window",
}
COMPARABLE_FACTOR = 2.0  # imaged km² per bucket before vs during may differ by this factor at most
SAME_FOOTPRINT_IOU = 0.5
SAME_CAMERA_M = 50.0

SUP, CON, INC, NT = VERDICTS

# (claim kind, evidence kind) -> {verdict: condition}. A pair not listed allows only not_testable.
RULES: dict[tuple[str, str], dict[str, str]] = {
    ("stock", "full_coverage"): {SUP: "inside", CON: "disjoint", INC: "any"},
    ("stock", "partial_coverage"): {SUP: "at_least", CON: "above", INC: "any"},
    ("stock", "photos"): {SUP: "at_least", INC: "any"},
    ("flow", "repeated_full_coverage"): {SUP: "any", CON: "any", INC: "any"},
    ("flow", "repeated_views"): {SUP: "any", INC: "any"},
    ("flow", "no_repeated_views"): {INC: "any"},
    ("trend", "comparable_coverage"): {SUP: "any", CON: "any", INC: "any"},
    ("trend", "incomparable"): {INC: "any"},
    ("presence", "full_coverage"): {SUP: "any", CON: "any"},
    ("presence", "partial_coverage"): {SUP: "any", INC: "any"},
    ("presence", "photos"): {SUP: "any", INC: "any"},
    ("absence", "full_coverage"): {SUP: "any", CON: "any"},
    ("absence", "partial_coverage"): {CON: "any", INC: "any"},
    ("absence", "photos"): {CON: "any", INC: "any"},
    ("share", "full_coverage"): {SUP: "any", CON: "any", INC: "any"},
    ("share", "partial_coverage"): {SUP: "any", CON: "any", INC: "any"},
    ("share", "photos"): {INC: "any"},
}
NOT_TESTABLE = {NT: "any"}

CELL_WHY = {
    ("stock", "full_coverage"): "the whole area was seen: too few and too many both count",
    ("stock", "partial_coverage"): "the unseen part may hold more: only more than claimed contradicts; a lower bound can be met",
    ("stock", "photos"): "photos show vehicles but no ground area: they meet lower bounds, never contradict",
    ("flow", "repeated_full_coverage"): "net change at one site; contradicted only when even the later stock is below the inflow",
    ("flow", "repeated_views"): "a net rise supports an inflow; the unseen part or departures may hide one",
    ("flow", "no_repeated_views"): "a change between different sites or days is not a flow",
    ("trend", "comparable_coverage"): "exact test of two Poisson rates per km² imaged",
    ("trend", "incomparable"): "rates over different ground cannot be compared",
    ("presence", "full_coverage"): "none seen over the whole area contradicts",
    ("presence", "partial_coverage"): "none seen in part of the area proves nothing",
    ("presence", "photos"): "a vehicle seen supports; none seen proves nothing",
    ("absence", "full_coverage"): "none seen over the whole area supports",
    ("absence", "partial_coverage"): "a vehicle seen contradicts; none seen in part proves nothing",
    ("absence", "photos"): "a vehicle seen contradicts; none seen proves nothing",
    ("share", "full_coverage"): "Clopper-Pearson 90% interval of the class share",
    ("share", "partial_coverage"): "Clopper-Pearson 90% interval of the class share",
    ("share", "photos"): "photos are framed by the photographer: no share",
}


STOCK_KINDS = ("count", "range", "lower_bound", "upper_bound", "approximate")
FLOW_DAYS = {"vehicles_per_night": 1, "vehicles_per_day": 1, "vehicles_per_week": 7, "vehicles_per_month": 30,
             "vehicles_per_year": 365}
UNTESTABLE_UNITS = ("per_transaction", "per_company", "persons_per", "people_per", "per_queue", "per_red_light",
                    "per_household")


def claim_kind(claim: dict) -> str:
    """The rule table's claim kind (``CLAIM_KINDS``) of a claim."""
    kind, unit = claim.get("kind"), str(claim.get("unit") or "")
    note = str(claim.get("note") or "").lower()
    if kind in STOCK_KINDS and (unit in FLOW_DAYS or unit == "vehicles_arrived"):
        return "flow"
    if kind in STOCK_KINDS and not any(u in unit for u in UNTESTABLE_UNITS):
        return "stock"
    if kind == "trend" and not ("not vehicle numbers" in note or "price" in note or "demand" in note):
        return "trend"
    if kind in ("presence", "absence"):
        return kind
    if kind == "proportion" and unit == "class_share":
        return "share"
    return "untestable"


def claim_interval(claim: dict, tol: float = 0.15) -> tuple[float, float] | None:
    """The claimed count as an interval [a, b], widened by the relative tolerance ``tol`` (1.5x for an
    approximate count); b is infinite for a lower bound. None when the claim gives no number."""
    kind, v, lo, hi = claim.get("kind"), cell_float(claim.get("value")), cell_float(claim.get("low")), cell_float(claim.get("high"))
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


def _plain(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")


def stated_claim(claim: dict) -> str | None:
    """The claimed number as the reporter stated it ("30", "about 30", "100–900", "≥ 8", "≤ 40"), not
    widened by the comparison's tolerance. None when the claim gives no number."""
    kind, v, lo, hi = claim.get("kind"), cell_float(claim.get("value")), cell_float(claim.get("low")), cell_float(claim.get("high"))
    if kind == "approximate" and v is not None:
        return f"about {_plain(v)}"
    if kind == "lower_bound" and (lo if lo is not None else v) is not None:
        return f"≥ {_plain(lo if lo is not None else v)}"
    if kind == "upper_bound" and (hi if hi is not None else v) is not None:
        return f"≤ {_plain(hi if hi is not None else v)}"
    if v is not None:
        return _plain(v)
    if lo is not None and hi is not None:
        return f"{_plain(lo)}–{_plain(hi)}"
    if lo is not None:
        return f"≥ {_plain(lo)}"
    if hi is not None:
        return f"≤ {_plain(hi)}"
    return None


def allowed(kind: str, evidence: str) -> Mapping[str, str]:
    """{verdict: condition} the table allows for this pair (only not_testable when it has no cell)."""
    if evidence == "none" or kind == "untestable":
        return NOT_TESTABLE
    return RULES.get((kind, evidence), NOT_TESTABLE)


def condition_holds(condition: str, claimed: tuple[float, float] | None, observed: tuple[float, float] | None) -> bool:
    """Whether a stock cell's condition holds for claimed [a, b] and observed [lo, hi]."""
    if condition == "any":
        return True
    if claimed is None or observed is None:
        return False
    (a, b), (lo, hi) = claimed, observed
    if condition == "inside":
        return lo >= a and hi <= b
    if condition == "disjoint":
        return hi < a or lo > b
    if condition == "above":
        return lo > b
    if condition == "at_least":
        return math.isinf(b) and lo >= a
    raise ValueError(f"unknown condition {condition!r}")


def permits(kind: str, evidence: str, verdict: str, claimed=None, observed=None) -> bool:
    """True when the table allows ``verdict`` for the pair and its condition holds."""
    cell = allowed(kind, evidence)
    return verdict in cell and condition_holds(cell[verdict], claimed, observed)


_CONDITION_TEXT = {"any": "", "inside": " (interval inside the claim)", "disjoint": " (interval outside the claim)",
                   "above": " (more than claimed)", "at_least": " (a lower bound met)"}


def rules_markdown() -> str:
    """The table as Markdown, for the README (kept in step by a test)."""
    lines = ["| claim | evidence | verdicts it can give | why |", "|---|---|---|---|"]
    for (kind, ev), cell in RULES.items():
        verdicts = ", ".join(f"{v}{_CONDITION_TEXT[c]}" for v, c in cell.items())
        lines.append(f"| {kind} | {EVIDENCE_TEXT[ev]} | {verdicts} | {CELL_WHY[(kind, ev)]} |")
    lines.append("| any | no imagery of the place in the window, or no place/period/number | not_testable | |")
    lines.append("| untestable (prices, used/new, plates) | any | not_testable | |")
    return "\n".join(lines)


class SiteIndex:
    """Which frames view the same site: footprints overlapping by IoU >= ``SAME_FOOTPRINT_IOU``, or
    photos taken within ``SAME_CAMERA_M`` of each other. Frames with neither (a photo placed only by
    an area name) are a site of their own. Built from the run's FRAMES table; None knows no sites."""

    def __init__(self, frames=None):
        self._foot: dict[str, object] = {}
        self._pos: dict[str, tuple[float, float]] = {}
        if frames is None or len(frames) == 0:
            return
        geoms = frames.geometry if hasattr(frames, "geometry") and "geometry" in frames.columns else None
        for i, fid in enumerate(frames["frame_id"].astype(str)):
            g = geoms.iloc[i] if geoms is not None else None
            if g is not None and not getattr(g, "is_empty", True) and g.area > 0:
                self._foot[fid] = g
                continue
            lon = frames["lon"].iloc[i] if "lon" in frames.columns else None
            lat = frames["lat"].iloc[i] if "lat" in frames.columns else None
            try:
                lon, lat = float(lon), float(lat)
            except (TypeError, ValueError):
                continue
            if math.isfinite(lon) and math.isfinite(lat):
                self._pos[fid] = (lon, lat)

    def same_site(self, a: str, b: str) -> bool:
        if a == b:
            return False
        if a in self._foot and b in self._foot:
            fa, fb = self._foot[a], self._foot[b]
            union = fa.union(fb).area
            return union > 0 and fa.intersection(fb).area / union >= SAME_FOOTPRINT_IOU
        if a in self._pos and b in self._pos:
            return _metres(self._pos[a], self._pos[b]) <= SAME_CAMERA_M
        return False

    def same_views(self, ids_a, ids_b) -> bool:
        """True when every frame of one set has a same-site partner in the other, both ways."""
        a = [str(x) for x in (list(ids_a) if ids_a is not None else [])]
        b = [str(x) for x in (list(ids_b) if ids_b is not None else [])]
        if not a or not b:
            return False
        return all(any(self.same_site(x, y) for y in b) for x in a) and all(any(self.same_site(y, x) for x in a) for y in b)


def _metres(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points, in metres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*p, *q))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(h)))


def violations(comparisons, value_tolerance: float = 0.15) -> list[str]:
    """One line per row of a COMPARISONS table whose verdict the table does not allow (empty: all hold).

    Checks each verdict against its claim kind and the evidence it names, and a stock verdict's
    condition against the observed interval and the claimed one (widened by ``value_tolerance``).
    """
    out = []
    for _, row in comparisons.iterrows():
        claim = {k: (None if _missing(row.get(k)) else row.get(k)) for k in ("kind", "unit", "note", "value", "low", "high")}
        kind = claim_kind(claim)
        evidence = row.get("evidence")
        evidence = "none" if _missing(evidence) else str(evidence)
        verdict = str(row["verdict"])
        claimed = claim_interval(claim, value_tolerance) if kind == "stock" else None
        lo, hi = cell_float(row.get("observed_low")), cell_float(row.get("observed_high"))
        observed = (lo, hi) if lo is not None and hi is not None else None
        if not permits(kind, evidence, verdict, claimed, observed):
            cell = allowed(kind, evidence)
            out.append(f"{row['claim_id']}: {verdict} for a {kind} claim on {evidence} evidence; the table allows "
                       f"{', '.join(f'{v} ({c})' for v, c in cell.items())}")
        if verdict != "not_testable" and evidence == "none":
            out.append(f"{row['claim_id']}: {verdict} without naming its evidence")
    return out


def _missing(v) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))  # None, NaN, NaT, pd.NA
    except (TypeError, ValueError):
        return False  # a list or array is a value
