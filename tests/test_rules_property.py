"""Every verdict obeys the rule table: generated runs (counts and frames) and claims, checked row by row.

The generator knows what it built (which rows are georeferenced coverage and how much, which are
photos, which frames view the same site), so besides ``rules.violations`` (the verdict against the
table and the stock conditions) the test checks that the evidence a verdict names is evidence the
run actually holds.
"""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from borderwatch.claims import rules
from borderwatch.claims.compare import compare_claims
from borderwatch.claims.rules import claim_kind
from borderwatch.tables import COUNTS

DAY0 = date(2025, 9, 1)
DAYS = 12
SITES = [box(128.00, 41.00, 128.01, 41.01), box(128.05, 41.00, 128.06, 41.01)]
CAMERAS = [(128.10, 41.30), (128.20, 41.35), None]
AREA_KM2 = 10.0


@st.composite
def runs(draw):
    """COUNTS rows (car and any_vehicle, equal) and FRAMES for one area over DAYS days."""
    rows, frames = [], []
    mode = draw(st.sampled_from(["mixed", "photo", "overhead"]))
    for d in range(DAYS):
        day = DAY0 + timedelta(days=d)
        start = pd.Timestamp(day.isoformat(), tz="UTC")
        for kind in ("overhead", "photo"):
            if mode not in ("mixed", kind) or draw(st.integers(0, 9)) >= (7 if kind == "overhead" else 6):
                continue
            n = draw(st.one_of(st.integers(0, 60), st.just(0)))
            fid = f"{kind[0]}{d}"
            if kind == "overhead":
                coverage = draw(st.sampled_from([0.05, 0.5, 0.79, 0.8, 0.95, 1.0]))
                km2 = coverage * AREA_KM2
                site = draw(st.sampled_from([0, 0, 0, 1]))
                frames.append({"frame_id": fid, "kind": kind, "lon": None, "lat": None, "geometry": SITES[site]})
            else:
                coverage, km2 = None, None
                cam = draw(st.sampled_from([CAMERAS[0], CAMERAS[0], CAMERAS[1], CAMERAS[2]]))
                frames.append({"frame_id": fid, "kind": kind, "lon": cam[0] if cam else None,
                               "lat": cam[1] if cam else None, "geometry": None})
            cal = None
            if draw(st.booleans()):
                spread = draw(st.floats(0, 10))
                cal = (n * 1.1, max(0.0, n - spread), n * 1.2 + spread)
            for cls in ("car", "any_vehicle"):
                rows.append({
                    "area": "Hyesan", "area_parent": None, "country": "KP", "frame_kind": kind, "vehicle_class": cls,
                    "bucket": day.isoformat(), "bucket_start": start, "bucket_end": start + pd.Timedelta(days=1),
                    "n_frames": 1, "raw_count": n, "count": n, "imaged_km2": km2,
                    "area_km2": AREA_KM2 if km2 else None, "coverage_fraction": coverage,
                    "density_per_km2": n / km2 if km2 else None,
                    "calibrated_count": cal[0] if cal else None, "calibrated_low": cal[1] if cal else None,
                    "calibrated_high": cal[2] if cal else None, "calibration": "test card" if cal else "not calibrated: test",
                    "first_seen": start, "last_seen": start, "frame_ids": [fid], "bucket_by": "day", "tz": "UTC",
                })
    counts = pd.DataFrame(rows, columns=COUNTS.column_names)
    counts["imaged_km2"] = counts["imaged_km2"].astype(float)
    counts["coverage_fraction"] = counts["coverage_fraction"].astype(float)
    fr = gpd.GeoDataFrame(frames, geometry="geometry", crs="EPSG:4326") if frames else None
    return counts, fr


def _day(draw) -> str:
    return (DAY0 + timedelta(days=draw(st.one_of(st.integers(1, DAYS - 2), st.integers(-40, DAYS + 40))))).isoformat()


@st.composite
def claims(draw):
    kind = draw(st.sampled_from(["count", "range", "approximate", "lower_bound", "upper_bound", "flow", "trend",
                                 "presence", "absence", "proportion", "price", "other"]))
    start = _day(draw)
    end = draw(st.one_of(st.just(start), st.builds(lambda: None), st.just((date.fromisoformat(start) + timedelta(days=3)).isoformat())))
    if draw(st.integers(0, 19)) == 0:  # dates no imagery can have must not crash anything
        start = draw(st.sampled_from(["0001-01-01", "9999-12-31", "next week", "2025-13-45"]))
    c = {"quote": "q", "place": draw(st.sampled_from(["Hyesan"] * 8 + ["Manpo", None])),
         "vehicle_class": draw(st.sampled_from(["car", "any_vehicle"])), "kind": kind, "value": None, "low": None,
         "high": None, "unit": "vehicles", "currency": None, "direction": None, "period_start": start,
         "period_end": end, "note": None, "source_file": "gen.json", "url": None}
    v = draw(st.integers(0, 80))
    if kind in ("count", "approximate"):
        c["value"] = v
    elif kind == "range":
        c["low"], c["high"] = v, v + draw(st.integers(0, 40))
    elif kind == "lower_bound":
        c["low"] = v
    elif kind == "upper_bound":
        c["high"] = v
    elif kind == "flow":
        c["kind"], c["value"], c["unit"] = "count", v, "vehicles_per_night"
    elif kind == "trend":
        c["unit"] = None
        c["direction"] = draw(st.sampled_from(["increase", "decrease", "stable", "halted", "resumed"]))
    elif kind in ("presence", "absence"):
        c["unit"] = None
    elif kind == "proportion":
        c["unit"] = "class_share"
        c["value"] = draw(st.floats(0, 1))
    elif kind == "price":
        c["value"], c["unit"] = 45000, "yuan_per_vehicle"
    return c


def _expected_kind(c: dict) -> str:
    kind = c["kind"]
    if kind in ("count", "range", "approximate", "lower_bound", "upper_bound"):
        return "flow" if c["unit"] == "vehicles_per_night" else "stock"
    return {"proportion": "share", "price": "untestable", "other": "untestable"}.get(kind, kind)


def _check_evidence_is_real(row, counts: pd.DataFrame, frames) -> None:
    """The evidence the verdict names is evidence the generated run holds."""
    evidence = row["evidence"]
    used = [f for f in str(row["frame_ids"] or "").split(",") if f]
    info = counts.drop_duplicates("frame_ids").assign(fid=lambda d: d["frame_ids"].map(lambda x: x[0])).set_index("fid")
    if evidence == "none":
        assert row["verdict"] == "not_testable"
        return
    assert used, f"{row['verdict']} on {evidence} names no frames"
    overhead = [info.loc[f, "frame_kind"] == "overhead" for f in used]
    if evidence in ("full_coverage", "partial_coverage", "comparable_coverage", "repeated_full_coverage"):
        assert all(overhead), f"{evidence} rests on photos"
    if evidence == "photos":
        assert not any(overhead) or row["kind"] == "proportion"
    if evidence in ("full_coverage", "repeated_full_coverage"):
        assert max(float(info.loc[f, "coverage_fraction"]) for f in used) >= 0.8
    if evidence.startswith("repeated"):
        sites = rules.SiteIndex(frames)
        days = {f: date.fromisoformat(str(info.loc[f, "bucket"])) for f in used}
        assert any(sites.same_site(a, b) and abs((days[a] - days[b]).days) == 1 for a in used for b in used), \
            "repeated views that are not one site one night apart"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(run=runs(), claim_list=st.lists(claims(), min_size=1, max_size=6))
def test_every_verdict_satisfies_the_rule_table(run, claim_list):
    counts, frames = run
    if counts.empty:
        counts = pd.DataFrame(columns=COUNTS.column_names)
    out = compare_claims(counts, claim_list, frames=frames)
    assert len(out) == len(claim_list)
    assert rules.violations(out) == []
    for c, (_, row) in zip(claim_list, out.iterrows(), strict=True):
        assert claim_kind(c) == _expected_kind(c)
        if c["place"] != "Hyesan" or _expected_kind(c) == "untestable" or counts.empty:
            assert row["verdict"] == "not_testable"
        _check_evidence_is_real(row, counts, frames)


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31"])
def test_a_claim_dated_year_1_or_9999_gets_its_own_verdict(start):
    counts = pd.DataFrame([{
        "area": "Hyesan", "area_parent": None, "country": "KP", "vehicle_class": "car", "bucket": "2025-09-01",
        "bucket_start": pd.Timestamp("2025-09-01", tz="UTC"), "bucket_end": pd.Timestamp("2025-09-02", tz="UTC"),
        "n_frames": 1, "raw_count": 3, "count": 3, "imaged_km2": 1.0, "area_km2": 1.0, "coverage_fraction": 1.0,
        "density_per_km2": 3.0, "calibrated_count": None, "calibrated_low": None, "calibrated_high": None,
        "first_seen": None, "last_seen": None, "frame_ids": ["a"]}], columns=COUNTS.column_names)
    bad = {"kind": "count", "value": 3, "place": "Hyesan", "vehicle_class": "car", "unit": "vehicles",
           "period_start": start, "period_end": start}
    good = dict(bad, period_start="2025-09-01", period_end="2025-09-01")
    out = compare_claims(counts, [bad, good, {"value": 1}])
    assert out["verdict"].tolist() == ["not_testable", "supported", "not_testable"]
    assert "outside the years" in out["reason"].iloc[0]
    assert "kind" in out["reason"].iloc[2]


def test_readme_prints_the_rule_table():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert rules.rules_markdown() in readme, "README's rule table is out of date: paste rules.rules_markdown()"
