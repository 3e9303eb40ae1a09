"""The report does not mislead: the run's label survives a rebuild, empty sections say why, photos
have no per-km² figures, and chart axes count whole vehicles."""

from __future__ import annotations

import json

import pandas as pd
from helpers_geo import HYESAN, frame, write_run

from borderwatch import tables as T
from borderwatch.report import html as H
from borderwatch.report.build import build_report


def _run(tmp_path, captured_at="2025-09-15T02:00:00Z", area="Hyesan"):
    run = tmp_path / "run"
    photo = frame("p1", captured_at, kind="photo", area=area, gsd_m=None)
    write_run(run, [photo], [])
    return run


def test_the_demo_notice_survives_a_rebuild(tmp_path):
    run = _run(tmp_path)
    (run / T.RUN_LABEL).write_text(json.dumps({"demo": True, "title": "demo title", "notice": "DEMO. Placed imagery."}))
    out = build_report(run, quiet=True)  # as `borderwatch report RUN` does: no title, no notice given
    page = out.index.read_text(encoding="utf-8")
    assert "DEMO. Placed imagery." in page and "<title>demo title</title>" in page
    # a caller's own notice does not replace a demo's
    page = build_report(run, notice="Checked by A.", quiet=True).index.read_text(encoding="utf-8")
    assert "DEMO. Placed imagery." in page and "Checked by A." in page


def test_a_damaged_label_still_warns(tmp_path):
    run = _run(tmp_path)
    (run / T.RUN_LABEL).write_text("{not json")
    page = build_report(run, quiet=True).index.read_text(encoding="utf-8")
    assert "may be a demo" in page


def test_no_areas_says_why(tmp_path):
    run = _run(tmp_path, captured_at=None, area=None)
    page = build_report(run, quiet=True).index.read_text(encoding="utf-8")
    assert "no frame has a capture time" in page and "no frame lies in an area" in page


def test_photo_rows_show_no_density_or_coverage():
    counts = pd.DataFrame([{
        "bucket": "2025-09-15", "bucket_start": pd.Timestamp("2025-09-15", tz="UTC"), "frame_kind": "photo",
        "vehicle_class": "car", "count": 17, "raw_count": 17, "calibrated_count": None, "calibrated_low": None,
        "calibrated_high": None, "density_per_km2": 0.0, "imaged_km2": None, "coverage_fraction": None,
        "n_frames": 1, "calibration": "not calibrated: card yolo11n has no measured precision/recall for car"}])
    html = H._counts_table(counts)
    row = html.split("<tbody>")[1].split("</tr>")[0]
    assert ">0<" not in row and row.count("—") >= 3
    assert "has no measured precision/recall" in html


def test_open_intervals_read_as_bounds():
    assert H.fmt_interval(8.2, float("inf")) == "≥ 8"
    assert H.fmt_interval(3.4, 9.6) == "3–10"


def test_count_axes_have_whole_ticks():
    from borderwatch.report.charts import area_chart

    start = pd.Timestamp("2025-09-15", tz="UTC")
    counts = pd.DataFrame([{"vehicle_class": "bus", "bucket_start": start + pd.Timedelta(days=d),
                            "bucket_end": start + pd.Timedelta(days=d + 1), "count": n, "imaged_km2": None,
                            "frame_ids": [f"f{d}"]} for d, n in enumerate([0, 1, 0])])
    fig, _ = area_chart("Hyesan", counts, [])
    ticks = fig.axes[0].get_yticks()
    assert all(float(t).is_integer() for t in ticks)
    # three photos of unknown places on three days: points, no line joining them
    assert all(len(line.get_xdata()) <= 1 or line.get_linestyle() == "None" for line in fig.axes[0].get_lines())


def test_lines_join_views_of_one_site_only():
    import geopandas as gpd
    from shapely.geometry import box

    from borderwatch.claims.rules import SiteIndex
    from borderwatch.report.charts import area_chart

    start = pd.Timestamp("2025-09-15", tz="UTC")
    counts = pd.DataFrame([{"vehicle_class": "car", "bucket_start": start + pd.Timedelta(days=d),
                            "bucket_end": start + pd.Timedelta(days=d + 1), "count": n, "imaged_km2": 0.1,
                            "frame_ids": [f"f{d}"]} for d, n in enumerate([3, 20, 5])])
    lon, lat = HYESAN
    same, other = box(lon, lat, lon + 0.001, lat + 0.001), box(lon + 0.01, lat, lon + 0.011, lat + 0.001)
    frames = gpd.GeoDataFrame({"frame_id": ["f0", "f1", "f2"], "lon": None, "lat": None},
                              geometry=[same, other, other], crs="EPSG:4326")
    fig, _ = area_chart("Hyesan", counts, [], sites=SiteIndex(frames))
    joined = [line for line in fig.axes[0].get_lines() if line.get_linestyle() != "None" and len(line.get_xdata()) == 2]
    assert len(joined) == 1 and list(joined[0].get_ydata()) == [20.0, 5.0]  # f1 -> f2 only
