"""Claims against synthetic counts where the right verdict is known for every kind."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from borderwatch.claims.compare import compare_claims, compare_run, load_claims
from borderwatch.claims.stats import binom_test, clopper_pearson, compare_rates
from borderwatch.cli import app
from borderwatch.errors import InputError
from borderwatch.tables import COMPARISONS, COUNTS


def row(area: str, cls: str, day: date, count: int, *, days: int = 1, coverage: float = 1.0, km2: float | None = 2.0,
        cal: tuple[float, float, float] | None = None, frames: int = 1) -> dict:
    start = pd.Timestamp(day.isoformat(), tz="UTC")
    return {
        "area": area, "area_parent": None, "country": "KP", "vehicle_class": cls,
        "bucket": day.isoformat() if days == 1 else f"{day.isoformat()}+{days}d",
        "bucket_start": start, "bucket_end": start + pd.Timedelta(days=days),
        "n_frames": frames, "raw_count": count, "count": count, "imaged_km2": km2, "area_km2": 2.0 / max(coverage, 1e-9) if km2 else None,
        "coverage_fraction": coverage, "density_per_km2": count / km2 if km2 else None,
        "calibrated_count": cal[0] if cal else None, "calibrated_low": cal[1] if cal else None,
        "calibrated_high": cal[2] if cal else None, "first_seen": start, "last_seen": start,
        "frame_ids": [f"{area[:3]}{day:%m%d}{cls[:2]}{i}" for i in range(frames)],
    }


def counts(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=COUNTS.column_names)
    df["imaged_km2"] = df["imaged_km2"].astype(float)
    return df


def claim(kind: str, cls: str = "truck", place: str | None = "Sinuiju", start: str | None = "2020-06-15",
          end: str | None = "2020-06-15", **kw) -> dict:
    base = {"quote": "q", "place": place, "vehicle_class": cls, "kind": kind, "value": None, "low": None, "high": None,
            "unit": "vehicles", "currency": None, "direction": None, "period_start": start, "period_end": end,
            "note": None, "source_file": "a.json", "url": None}
    base.update(kw)
    return base


def verdict(df_counts: pd.DataFrame, c: dict, **kw) -> pd.Series:
    out = compare_claims(df_counts, [c], **kw)
    assert list(out.columns) == COMPARISONS.column_names
    assert len(out) == 1
    return out.iloc[0]


JUNE15 = date(2020, 6, 15)


# --- stock claims ---------------------------------------------------------------------------------

@pytest.mark.parametrize("c, observed, cal, coverage, expected", [
    (claim("count", value=16), 15, (16.0, 14.0, 18.0), 1.0, "supported"),
    (claim("count", value=16), 3, None, 1.0, "contradicted"),
    (claim("count", value=16), 3, None, 0.3, "inconclusive"),  # most of the area not imaged
    (claim("count", value=16), 40, None, 0.3, "contradicted"),  # more seen than claimed, whatever the coverage
    (claim("count", value=16), 12, (13.0, 9.0, 17.0), 1.0, "inconclusive"),  # interval straddles the claim
    (claim("range", low=100, high=900), 450, None, 1.0, "supported"),
    (claim("range", low=100, high=900), 1200, None, 1.0, "contradicted"),
    (claim("lower_bound", low=40), 60, None, 1.0, "supported"),
    (claim("lower_bound", low=40), 10, None, 1.0, "contradicted"),
    (claim("lower_bound", low=40), 40, (40.0, 30.0, 50.0), 1.0, "inconclusive"),
    (claim("upper_bound", high=12), 5, None, 1.0, "supported"),
    (claim("upper_bound", high=12), 30, None, 1.0, "contradicted"),
    (claim("approximate", value=30), 28, None, 1.0, "supported"),
    (claim("approximate", value=30), 80, None, 1.0, "contradicted"),
])
def test_stock_claims(c, observed, cal, coverage, expected):
    r = verdict(counts(row("Sinuiju", "truck", JUNE15, observed, cal=cal, coverage=coverage)), c)
    assert r["verdict"] == expected, r["reason"]
    assert r["observed"] == observed and r["dates"] == "2020-06-15" and r["n_frames"] == 1
    assert r["frame_ids"] == "Sin0615tr0"
    if cal:
        assert (r["observed_calibrated"], r["observed_low"], r["observed_high"]) == cal


def test_stock_uses_the_busiest_bucket_in_the_tolerance_window():
    df = counts(row("Sinuiju", "truck", date(2020, 6, 12), 2), row("Sinuiju", "truck", date(2020, 6, 17), 17),
                row("Sinuiju", "truck", date(2020, 7, 30), 100))
    r = verdict(df, claim("count", value=16))
    assert r["verdict"] == "supported" and r["observed"] == 17
    assert r["dates"] == "2020-06-12,2020-06-17"  # the July bucket is outside the window
    assert r["window_start"] == pd.Timestamp("2020-06-12", tz="UTC")
    assert verdict(df, claim("count", value=16), tolerance_days=0)["verdict"] == "not_testable"


def test_any_vehicle_is_the_sum_over_classes_when_no_total_row():
    df = counts(row("Hyesan", "car", JUNE15, 300), row("Hyesan", "truck", JUNE15, 150), row("Hyesan", "heavy_equipment", JUNE15, 50))
    r = verdict(df, claim("range", cls="any_vehicle", place="Hyesan", low=100, high=900))
    assert r["verdict"] == "supported" and r["observed"] == 500


# --- flows ------------------------------------------------------------------------------------------

def night(value=27, **kw):
    return claim("count", cls="car", place="Hyesan", start="2025-09-05", end="2025-09-05", value=value,
                 unit="vehicles_per_night", **kw)


def one_site(df: pd.DataFrame, offset: float = 0.0):
    """FRAMES rows giving every frame of ``df`` the same footprint (shifted by ``offset`` degrees per
    bucket: 0 is one site viewed again, 0.01 a different site each day)."""
    import geopandas as gpd
    from shapely.geometry import box

    ids, geoms = [], []
    for k, frame_ids in enumerate(df["frame_ids"]):
        for fid in frame_ids:
            ids.append(fid)
            geoms.append(box(128.0 + k * offset, 41.0, 128.005 + k * offset, 41.005))
    return gpd.GeoDataFrame({"frame_id": ids, "lon": None, "lat": None}, geometry=geoms, crs="EPSG:4326")


def flow_verdict(df: pd.DataFrame, c: dict, offset: float = 0.0) -> pd.Series:
    return verdict(df, c, frames=one_site(df, offset))


def test_flow_supported_by_the_change_between_consecutive_days():
    df = counts(row("Hyesan", "car", date(2025, 9, 4), 100), row("Hyesan", "car", date(2025, 9, 5), 127))
    r = flow_verdict(df, night())
    assert r["verdict"] == "supported" and r["observed"] == 27
    assert r["evidence"] == "repeated_full_coverage"


def test_flow_needs_repeated_views_of_one_site():
    df = counts(row("Hyesan", "car", date(2025, 9, 4), 3), row("Hyesan", "car", date(2025, 9, 5), 20))
    moved = flow_verdict(df, night(5), offset=0.01)  # two different places on two days
    assert moved["verdict"] == "inconclusive" and "different sites" in moved["reason"]
    assert moved["evidence"] == "no_repeated_views"
    unknown = verdict(df, night(5))  # no frames table: no site is known to be viewed twice
    assert unknown["verdict"] == "inconclusive" and unknown["evidence"] == "no_repeated_views"


def test_flow_from_photos_at_one_camera_position_never_contradicts():
    import geopandas as gpd

    df = counts(row("Hyesan", "car", date(2025, 9, 4), 5, km2=None), row("Hyesan", "car", date(2025, 9, 5), 6, km2=None))
    ids = [f for ids in df["frame_ids"] for f in ids]
    frames = gpd.GeoDataFrame({"frame_id": ids, "lon": [128.1, 128.1001], "lat": [41.39, 41.39]},
                              geometry=[None, None], crs="EPSG:4326")
    r = verdict(df, night(), frames=frames)
    assert r["evidence"] == "repeated_views" and r["verdict"] == "inconclusive"


def test_flow_needs_daily_counts():
    df = counts(row("Hyesan", "car", date(2025, 9, 1), 100, days=7), row("Hyesan", "car", date(2025, 9, 8), 150, days=7))
    r = verdict(df, night())
    assert r["verdict"] == "inconclusive" and "granularity" in r["reason"]


def test_flow_small_net_change_is_inconclusive_not_contradicted():
    df = counts(row("Hyesan", "car", date(2025, 9, 4), 100), row("Hyesan", "car", date(2025, 9, 5), 101))
    r = flow_verdict(df, night())
    assert r["verdict"] == "inconclusive" and "departures" in r["reason"]


def test_flow_contradicted_when_even_the_stock_is_smaller():
    df = counts(row("Hyesan", "car", date(2025, 9, 4), 5), row("Hyesan", "car", date(2025, 9, 5), 8))
    assert flow_verdict(df, night())["verdict"] == "contradicted"


def test_flow_without_consecutive_days():
    df = counts(row("Hyesan", "car", date(2025, 9, 3), 5))
    assert verdict(df, night())["verdict"] == "inconclusive"


# --- trends -------------------------------------------------------------------------------------------

def series(before: list[int], after: list[int], cls="car", start=date(2025, 1, 1)) -> pd.DataFrame:
    rows = [row("Hyesan", cls, start - timedelta(days=len(before) - i), n) for i, n in enumerate(before)]
    rows += [row("Hyesan", cls, start + timedelta(days=i), n) for i, n in enumerate(after)]
    return counts(*rows)


def trend(direction: str, start="2025-01-01", end="2025-01-10") -> dict:
    return claim("trend", cls="car", place="Hyesan", start=start, end=end, direction=direction, unit=None)


@pytest.mark.parametrize("before, after, direction, expected", [
    ([10] * 10, [30] * 10, "increase", "supported"),
    ([30] * 10, [10] * 10, "increase", "contradicted"),
    ([20] * 10, [21] * 10, "increase", "inconclusive"),
    ([30] * 10, [10] * 10, "decrease", "supported"),
    ([10] * 10, [30] * 10, "decrease", "contradicted"),
    ([30] * 10, [0] * 10, "halted", "supported"),
    ([10] * 10, [30] * 10, "halted", "contradicted"),
    ([20] * 10, [20] * 10, "stable", "supported"),
    ([10] * 10, [40] * 10, "stable", "contradicted"),
    ([0] * 10, [25] * 10, "resumed", "supported"),
])
def test_trends_use_a_poisson_rate_test(before, after, direction, expected):
    r = verdict(series(before, after), trend(direction))
    assert r["verdict"] == expected, r["reason"]
    assert "p_increase" in r["reason"]


def test_trend_is_a_test_not_a_bare_comparison():
    # after is higher, but 3 vs 5 vehicles is no evidence of an increase
    r = verdict(series([3], [5]), trend("increase", end="2025-01-01"))
    assert r["verdict"] == "inconclusive"


def test_trend_needs_imagery_on_both_sides():
    df = counts(*[row("Hyesan", "car", date(2025, 1, 1) + timedelta(days=i), 10) for i in range(5)])
    r = verdict(df, trend("increase"))
    assert r["verdict"] == "inconclusive" and "before" in r["reason"]


def test_trend_with_only_an_end_date_compares_two_spans():
    df = counts(*[row("Hyesan", "car", date(2024, 9, 1) + timedelta(days=i), 5) for i in range(0, 90, 10)],
                *[row("Hyesan", "car", date(2024, 12, 1) + timedelta(days=i), 25) for i in range(0, 90, 10)])
    r = verdict(df, trend("increase", start=None, end="2025-03-01"))
    assert r["verdict"] == "supported", r["reason"]


def test_price_and_demand_trends_are_not_testable():
    c = trend("increase") | {"note": "prices increase, not vehicle numbers"}
    assert verdict(series([10], [30]), c)["verdict"] == "not_testable"


# --- presence, absence, proportion ----------------------------------------------------------------

@pytest.mark.parametrize("n, coverage, expected", [(5, 1.0, "supported"), (0, 1.0, "contradicted"), (0, 0.2, "inconclusive")])
def test_presence(n, coverage, expected):
    r = verdict(counts(row("Chongjin", "two_wheeler", JUNE15, n, coverage=coverage)),
                claim("presence", cls="two_wheeler", place="Chongjin", unit=None))
    assert r["verdict"] == expected, r["reason"]


@pytest.mark.parametrize("n, coverage, expected", [(0, 1.0, "supported"), (0, 0.2, "inconclusive"), (7, 0.2, "contradicted")])
def test_absence(n, coverage, expected):
    r = verdict(counts(row("Pyongyang", "any_vehicle", JUNE15, n, coverage=coverage)),
                claim("absence", cls="any_vehicle", place="Pyongyang", unit=None))
    assert r["verdict"] == expected, r["reason"]


def share_counts(trucks: int, total: int) -> pd.DataFrame:
    return counts(row("Hyesan", "truck", JUNE15, trucks), row("Hyesan", "car", JUNE15, total - trucks),
                  row("Hyesan", "any_vehicle", JUNE15, total))


@pytest.mark.parametrize("trucks, total, c, expected", [
    (80, 100, {"low": 0.5, "high": 1.0}, "supported"),
    (80, 100, {"value": 0.1}, "contradicted"),
    (50, 100, {"low": 0.45, "high": 0.6}, "inconclusive"),
    (3, 5, {"value": 0.6}, "inconclusive"),  # too few vehicles for a share
])
def test_class_share(trucks, total, c, expected):
    r = verdict(share_counts(trucks, total), claim("proportion", place="Hyesan", unit="class_share", **c))
    assert r["verdict"] == expected, r["reason"]
    if total >= 10:
        assert math.isclose(r["observed"], trucks / total)


# --- not testable -------------------------------------------------------------------------------------

@pytest.mark.parametrize("c, words", [
    (claim("price", value=55000, unit="yuan_per_vehicle", currency="CNY"), "prices"),
    (claim("proportion", value=0.9, unit="fraction_used_among_smuggled_vehicles"), "cannot be told"),
    (claim("other"), "no number"),
    (claim("count", value=10, unit="vehicles_per_transaction"), "not a count"),
    (claim("count", value=16, place=None), "no place"),
    (claim("count", value=16, place="Manpo"), "no imagery of Manpo"),
    (claim("count", value=16, start=None, end=None), "no period"),
    (claim("count", value=16, start="2019-01-01", end="2019-01-02"), "no imagery"),
])
def test_not_testable(c, words):
    r = verdict(counts(row("Sinuiju", "truck", JUNE15, 10)), c)
    assert r["verdict"] == "not_testable" and words in r["reason"]


def test_claim_ids_and_one_row_per_claim():
    claims = [claim("count", value=16), claim("presence", unit=None), claim("price", value=1, source_file="b.json")]
    out = compare_claims(counts(row("Sinuiju", "truck", JUNE15, 16)), claims)
    assert list(out["claim_id"]) == ["a.json#0", "a.json#1", "b.json#0"]
    assert list(out["verdict"]) == ["supported", "supported", "not_testable"]


# --- files and the command ----------------------------------------------------------------------------

def test_compare_run_writes_parquet_and_csv(tmp_path):
    counts(row("Sinuiju", "truck", JUNE15, 16)).to_parquet(tmp_path / "counts.parquet")
    claims_path = tmp_path / "claims.json"
    claims_path.write_text(json.dumps([claim("count", value=16), claim("price", value=5)]))
    df = compare_run(tmp_path, claims_path)
    back = pd.read_parquet(tmp_path / "comparisons.parquet")
    assert list(back.columns) == COMPARISONS.column_names and len(back) == 2
    assert list(back["verdict"]) == list(df["verdict"]) == ["supported", "not_testable"]
    assert (tmp_path / "comparisons.csv").read_text().count("\n") >= 3
    assert not list(tmp_path.glob(".*.part"))


def test_compare_run_errors(tmp_path):
    claims_path = tmp_path / "claims.json"
    claims_path.write_text("[]")
    with pytest.raises(InputError, match="counts.parquet"):
        compare_run(tmp_path, claims_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_claims(bad)
    bad.write_text('{"kind": "count"}')
    with pytest.raises(InputError, match="JSON list"):
        load_claims(bad)
    pd.DataFrame({"area": ["x"]}).to_parquet(tmp_path / "counts.parquet")
    with pytest.raises(InputError, match="lacks columns"):
        compare_run(tmp_path, claims_path)


def test_compare_command(tmp_path):
    counts(row("Sinuiju", "truck", JUNE15, 16)).to_parquet(tmp_path / "counts.parquet")
    (tmp_path / "claims.json").write_text(json.dumps([claim("count", value=16)]))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["compare", str(tmp_path), str(tmp_path / "claims.json"),
                                      "--tolerance-days", "1", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(out / "comparisons.parquet")["verdict"].tolist() == ["supported"]
    missing = CliRunner().invoke(app, ["compare", str(tmp_path / "nope"), str(tmp_path / "claims.json"), "-q"])
    assert missing.exit_code == 1 and "counts.parquet" in missing.output


# --- the statistics -----------------------------------------------------------------------------------

def test_exact_tests_match_known_values():
    assert math.isclose(binom_test(7, 10, 0.5), 0.34375)
    assert math.isclose(binom_test(7, 10, 0.5, "greater"), 0.171875)
    assert math.isclose(binom_test(3, 20, 0.5), 0.002576828, rel_tol=1e-6)
    lo, hi = clopper_pearson(7, 10, 0.95)
    assert math.isclose(lo, 0.3475471, rel_tol=1e-5) and math.isclose(hi, 0.9332605, rel_tol=1e-5)
    assert math.isclose(clopper_pearson(0, 10, 0.90)[1], 1 - 0.05 ** 0.1, rel_tol=1e-6)
    rc = compare_rates(10, 5.0, 40, 5.0)
    assert rc.ratio == 4.0 and rc.p_increase < 1e-4 and rc.ratio_low < 4.0 < rc.ratio_high
    with pytest.raises(ValueError):
        compare_rates(1, 0.0, 1, 1.0)


def test_claim_days_are_days_in_the_counts_time_zone():
    # a day bucket of 5 September in Pyongyang starts at 15:00 UTC on the 4th
    start = pd.Timestamp("2025-09-05", tz="Asia/Pyongyang").tz_convert("UTC")
    r = row("Hyesan", "car", date(2025, 9, 5), 30)
    r.update(bucket_start=start, bucket_end=start + pd.Timedelta(days=1))
    prev = row("Hyesan", "car", date(2025, 9, 4), 3)
    prev.update(bucket_start=start - pd.Timedelta(days=1), bucket_end=start)
    c = claim("lower_bound", cls="car", place="Hyesan", start="2025-09-05", end="2025-09-05", low=20)
    local = verdict(counts(prev, r), c, tolerance_days=0, tz="Asia/Pyongyang")
    assert local["verdict"] == "supported" and local["dates"] == "2025-09-05"
    assert local["window_start"] == start
    with pytest.raises(InputError, match="time zone"):
        compare_claims(counts(r), [c], tz="Nowhere/Else")


def test_a_class_the_imagery_model_cannot_detect_is_said_so():
    # count writes no two_wheeler rows for overhead imagery read by a model without that class
    df = counts(row("Sinuiju", "car", JUNE15, 4), row("Sinuiju", "truck", JUNE15, 1), row("Sinuiju", "any_vehicle", JUNE15, 5))
    v = verdict(df, claim("count", "two_wheeler", value=3))
    assert v["verdict"] == "not_testable"
    assert "no model that read that imagery detects two wheeler" in v["reason"]
    v = verdict(df, claim("count", "two_wheeler", place="Hyesan", value=3))
    assert v["reason"].startswith("no imagery of Hyesan")
