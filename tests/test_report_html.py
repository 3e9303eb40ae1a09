"""The report page from synthetic tables: content, escaping, self-containment, and a real headless Chromium.

The run directory is written here from the table contract (``borderwatch.tables``) alone, so these
tests do not depend on the detection, geo or claims stages.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from borderwatch import tables as T

HYESAN = (128.178, 41.398)
DANDONG = (124.392, 40.129)
EVIL = '<script>alert("x")</script>'


def _utm(lon, lat):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(lon, lat)


def _write_raster(path: Path, boxes, origin_xy, gsd=0.5, size=256):
    import rasterio
    from affine import Affine

    img = np.full((size, size), 30, np.uint8)
    for x0, y0, x1, y1 in boxes:
        img[y0:y1, x0:x1] = 220
    profile = dict(driver="GTiff", width=size, height=size, count=3, dtype="uint8", crs="EPSG:32652",
                   transform=Affine.translation(*origin_xy) * Affine.scale(gsd, -gsd))
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.stack([img, img, img]))
    return profile["transform"]


def make_run(root: Path, n_days: int = 3) -> Path:
    """A complete run directory: two Hyesan rasters over three days, a Dandong photo, a failed frame,
    counts, five claims of different kinds and verdicts, claims.json, and an areas GeoPackage."""
    import geopandas as gpd
    from PIL import Image
    from shapely.geometry import Point, box

    from borderwatch.atomic import write_json
    from borderwatch.geoparquet import write_frame as write_parquet

    run = root / "run"
    data = root / "data"
    run.mkdir(parents=True)
    data.mkdir()
    x, y = _utm(*HYESAN)
    frames, dets = [], []
    start = datetime(2025, 9, 14, 2, tzinfo=UTC)
    from pyproj import Transformer

    back = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True)

    def to_ll(geom):
        from shapely.ops import transform

        return transform(back.transform, geom)

    for day in range(n_days):
        boxes = [(20 + 30 * i, 40, 30 + 30 * i, 60) for i in range(2 + 2 * day)]
        boxes.append((100, 150, 130, 170))  # a truck
        path = data / f"hyesan_{day}.tif"
        tr = _write_raster(path, boxes, (x - 64, y + 64))
        fid = f"h{day:015d}"
        when = start + timedelta(days=day)
        footprint = to_ll(box(tr.c, tr.f + 256 * tr.e, tr.c + 256 * tr.a, tr.f))
        frames.append(dict(frame_id=fid, source_path=str(path), kind="overhead", captured_at=when, width=256,
                           height=256, bands=3, dtype="uint8", crs="EPSG:32652", transform=list(tr)[:6],
                           gsd_m=0.5, area=None, lon=None, lat=None, status="ok", error=None,
                           n_detections=len(boxes), n_dropped=0, model="stand-in", params_hash="p", geometry=footprint))
        for i, (bx0, by0, bx1, by1) in enumerate(boxes):
            cls = "truck" if bx1 - bx0 > 20 else "car"
            poly = to_ll(box(tr.c + bx0 * tr.a, tr.f + by1 * tr.e, tr.c + bx1 * tr.a, tr.f + by0 * tr.e))
            dets.append(dict(detection_id=f"{fid}:{i}", frame_id=fid, source_path=str(path), captured_at=when,
                             vehicle_class=cls, source_class=cls, score=0.9, x_min=bx0, y_min=by0, x_max=bx1,
                             y_max=by1, raster_crs="EPSG:32652", geometry=poly))
    photo = data / f"dandong {EVIL}.jpg".replace("/", "_")
    Image.new("RGB", (320, 240), (90, 110, 130)).save(photo)
    frames.append(dict(frame_id="d000000000000001", source_path=str(photo), kind="photo",
                       captured_at=start + timedelta(days=1), width=320, height=240, bands=3, dtype="uint8", crs=None,
                       transform=None, gsd_m=None, area="Dandong", lon=None, lat=None, status="ok", error=None,
                       n_detections=2, n_dropped=0, model="stand-in", params_hash="p", geometry=None))
    for i in range(2):
        dets.append(dict(detection_id=f"d000000000000001:{i}", frame_id="d000000000000001", source_path=str(photo),
                         captured_at=start + timedelta(days=1), vehicle_class="bus", source_class="bus", score=0.8,
                         x_min=40 + 100 * i, y_min=60, x_max=120 + 100 * i, y_max=140, raster_crs=None, geometry=None))
    frames.append(dict(frame_id="f000000000000bad", source_path=str(data / f"broken{EVIL}.tif"), kind="overhead",
                       captured_at=None, width=None, height=None, bands=None, dtype=None, crs=None, transform=None,
                       gsd_m=None, area=None, lon=None, lat=None, status="failed",
                       error=f"TIFF has no CRS {EVIL}", n_detections=0, n_dropped=0, model="stand-in",
                       params_hash="p", geometry=None))
    frames_gdf = gpd.GeoDataFrame(frames, geometry="geometry", crs="EPSG:4326")
    dets_gdf = gpd.GeoDataFrame(dets, geometry="geometry", crs="EPSG:4326")
    for df in (frames_gdf, dets_gdf):
        df["captured_at"] = pd.to_datetime(df["captured_at"], utc=True)
    for corner in (f"{axis}{k}" for k in range(1, 5) for axis in ("x", "y")):
        dets_gdf[corner] = float("nan")  # an axis-aligned model: no oriented corners
    write_parquet(run / T.FRAMES.name, frames_gdf[T.FRAMES.column_names])
    write_parquet(run / T.DETECTIONS.name, dets_gdf[T.DETECTIONS.column_names])
    geot = dets_gdf.copy()
    geot["area"] = ["Hyesan" if f.startswith("h") else "Dandong" for f in geot["frame_id"]]
    geot["area_parent"] = None
    geot["country"] = ["KP" if f.startswith("h") else "CN" for f in geot["frame_id"]]
    geot["dedup_kept"] = True
    write_parquet(run / T.GEOTAGGED.name, geot[T.GEOTAGGED.column_names])

    areas = gpd.GeoDataFrame(
        {"name": ["Hyesan", "Dandong"], "parent": [None, None], "country": ["KP", "CN"]},
        geometry=[to_ll(Point(x, y).buffer(2000)), Point(*DANDONG).buffer(0.02)], crs="EPSG:4326")
    areas.to_file(run / "borderwatch.gpkg", layer="areas", driver="GPKG")

    rows = []
    for day in range(n_days):
        b0 = pd.Timestamp(start.date(), tz="UTC") + pd.Timedelta(days=day)
        fid = f"h{day:015d}"
        for cls, n in (("car", 2 + 2 * day), ("truck", 1)):
            rows.append(dict(area="Hyesan", area_parent=None, country="KP", frame_kind="overhead", vehicle_class=cls,
                             bucket_by="day", tz="UTC", calibration="card test: precision 0.9, recall 0.8",
                             bucket=b0.strftime("%Y-%m-%d"), bucket_start=b0, bucket_end=b0 + pd.Timedelta(days=1),
                             n_frames=1, raw_count=n, count=n, imaged_km2=0.016, area_km2=12.5,
                             coverage_fraction=0.016 / 12.5, density_per_km2=n / 0.016, calibrated_count=n * 1.1,
                             calibrated_low=n * 0.8, calibrated_high=n * 1.5 + 1, first_seen=b0, last_seen=b0,
                             frame_ids=[fid]))
    b1 = pd.Timestamp(start.date(), tz="UTC") + pd.Timedelta(days=1)
    rows.append(dict(area="Dandong", area_parent=None, country="CN", frame_kind="photo", bucket_by="day", tz="UTC",
                     calibration="not calibrated: card test has no measured precision/recall for bus",
                     vehicle_class="bus", bucket=b1.strftime("%Y-%m-%d"),
                     bucket_start=b1, bucket_end=b1 + pd.Timedelta(days=1), n_frames=1, raw_count=2, count=2,
                     imaged_km2=None, area_km2=30.0, coverage_fraction=None, density_per_km2=None,
                     calibrated_count=None, calibrated_low=None, calibrated_high=None, first_seen=b1, last_seen=b1,
                     frame_ids=["d000000000000001"]))
    counts = pd.DataFrame(rows)
    write_parquet(run / T.COUNTS.name, counts[T.COUNTS.column_names])

    claims = [
        dict(quote=f"Last night alone, 4 cars came in {EVIL}", place="Hyesan", vehicle_class="car", kind="count",
             value=4, period_start="2025-09-15", period_end="2025-09-15", unit="vehicles",
             source_file="a.json", url="javascript:alert(1)", published="2025-09-16", publisher="Demo Wire",
             title="Cars <b>arrive</b>"),
        dict(quote="between 2 and 8 cars lined up", place="Hyesan", vehicle_class="car", kind="range", low=2, high=8,
             period_start="2025-09-14", period_end="2025-09-16", unit="vehicles", source_file="a.json",
             url="https://example.org/a?x=1&y=2", published="2025-09-16", publisher="Demo Wire", title="Cars arrive"),
        dict(quote="at least 30 trucks", place="Hyesan", vehicle_class="truck", kind="lower_bound", low=30,
             period_start="2025-09-14", period_end="2025-09-16", unit="vehicles", source_file="b.json",
             url="https://example.org/b", published="2025-09-20", publisher="Other", title="Trucks"),
        dict(quote="car numbers are increasing", place="Hyesan", vehicle_class="car", kind="trend",
             direction="increase", period_start="2025-09-14", period_end="2025-09-16", source_file="b.json",
             url="https://example.org/b", published="2025-09-20", publisher="Other", title="Trucks"),
        dict(quote="a car costs 45,000 yuan", place="Dandong", vehicle_class="car", kind="price", value=45000,
             unit="yuan_per_vehicle", currency="CNY", source_file="c.txt", url=None, published=None),
    ]
    for c in claims:
        for f in T.CLAIMS_FIELDS:
            c.setdefault(f, None)
    write_json(run / "claims.json", claims)
    verdicts = [("supported", "4 cars observed on 2025-09-15", 4.0, "h000000000000001"),
                ("supported", "2-6 cars observed", 6.0, "h000000000000000,h000000000000001,h000000000000002"),
                ("contradicted", "at most 1 truck per day observed", 1.0, "h000000000000000,h000000000000002"),
                ("inconclusive", "rate ratio 3.0, p=0.2", 3.0, "h000000000000000,h000000000000002"),
                ("not_testable", "prices cannot be seen in imagery", None, None)]
    comp = []
    per_file: dict[str, int] = {}
    for c, (verdict, reason, observed, fids) in zip(claims, verdicts, strict=True):
        index = per_file.get(c["source_file"], 0)
        per_file[c["source_file"]] = index + 1
        comp.append(dict(claim_id=f"{c['source_file']}#{index}", **{f: c[f] for f in T.CLAIMS_FIELDS},
                         source_file=c["source_file"], url=c["url"], verdict=verdict, reason=reason,
                         evidence="partial_coverage" if fids else "none",
                         calibration="card test-overhead at 0.3 m, threshold 0.38" if fids else None,
                         window_start=pd.Timestamp(c["period_start"] or "2025-09-14", tz="UTC") - pd.Timedelta(days=1),
                         window_end=pd.Timestamp(c["period_end"] or "2025-09-16", tz="UTC") + pd.Timedelta(days=2),
                         observed=observed, observed_calibrated=None if observed is None else observed * 1.1,
                         observed_low=None if observed is None else observed * 0.8,
                         observed_high=None if observed is None else observed * 1.5,
                         n_frames=0 if fids is None else len(fids.split(",")), dates="2025-09-15" if fids else None,
                         frame_ids=fids, imaged_km2=0.016 if fids else None, coverage_fraction=0.0013 if fids else None))
    comparisons = pd.DataFrame(comp)
    for col in ("value", "low", "high"):
        comparisons[col] = comparisons[col].astype(float)
    write_parquet(run / T.COMPARISONS.name, comparisons[T.COMPARISONS.column_names])
    counts.drop(columns=["frame_ids"]).to_csv(run / "counts.csv", index=False)
    comparisons.to_csv(run / "comparisons.csv", index=False)
    # as the detect stage records it: the report reads source images only under the run's inputs
    write_json(run / "run.json", {"status": "complete", "inputs": [str(data)]})
    return run


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from borderwatch.report.build import build_report

    root = tmp_path_factory.mktemp("report")
    run = make_run(root)
    out = build_report(run, title=f"Test {EVIL}", notice="Demo notice: sample imagery placed for the demo.",
                       pdf=True, quiet=True)
    return run, out


def _claim_rows(text: str) -> int:
    return len(re.findall(r'<tr id="claim-\d+" class="claim">', text))


def test_page_holds_every_part(built):
    run, out = built
    text = out.index.read_text(encoding="utf-8")
    assert _claim_rows(text) == 5
    for anchor in ("summary", "claims", "areas", "evidence", "failures", "files"):
        assert f'id="{anchor}"' in text
    assert "Hyesan" in text and "Dandong" in text
    # one map (Hyesan, georeferenced) and charts for both areas; thumbnails for frames used by verdicts
    assert text.count('alt="map of ') == 1
    assert text.count('alt="counts over time in ') == 2
    assert 'id="frame-h000000000000001"' in text and 'href="#frame-h000000000000001"' in text
    assert "Photos of Dandong" in text
    assert 'id="failure-f000000000000bad"' in text
    assert "Demo notice" in text
    for verdict in ("supported", "contradicted", "inconclusive", "not testable"):
        assert f">{verdict}</span>" in text
    assert 'href="../counts.csv"' in text and 'href="../comparisons.csv"' in text
    assert out.pdf is not None and out.pdf.read_bytes().startswith(b"%PDF")


def test_page_escapes_untrusted_text_and_links(built):
    _, out = built
    text = out.index.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;" in text
    assert "javascript:" not in text  # an article URL that is not http(s) is shown without a link
    assert 'href="https://example.org/a?x=1&amp;y=2"' in text
    assert "Cars &lt;b&gt;arrive&lt;/b&gt;" in text


def test_page_is_self_contained(built):
    _, out = built
    text = out.index.read_text(encoding="utf-8")
    srcs = re.findall(r'\bsrc="([^"]*)"', text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    for s in srcs:
        png = base64.b64decode(s.split(",", 1)[1])
        assert png.startswith(b"\x89PNG")
    assert not re.search(r"<(script|link|iframe)\b", text, re.I)
    assert not re.search(r'(src|href)="(https?:)?//(?!example\.org)', text)


def test_report_without_optional_tables(tmp_path):
    """A run where only detection ran still gets a page that says what is missing."""
    from borderwatch.report.build import build_report

    run = make_run(tmp_path)
    for name in ("counts.parquet", "comparisons.parquet", "claims.json", "geotagged.parquet", "borderwatch.gpkg"):
        (run / name).unlink()
    out = build_report(run, quiet=True)
    text = out.index.read_text(encoding="utf-8")
    assert _claim_rows(text) == 0
    assert "No claims were compared" in text


def test_missing_source_image_loses_only_its_thumbnail(tmp_path):
    from borderwatch.report.build import build_report

    run = make_run(tmp_path)
    (tmp_path / "data" / "hyesan_1.tif").unlink()
    out = build_report(run, quiet=True)
    text = out.index.read_text(encoding="utf-8")
    assert "thumbnail unavailable" in text
    assert 'id="frame-h000000000000000"' in text
    assert any("hyesan_1.tif" in n for n in out.notes)


def test_damaged_table_is_a_note_not_a_crash(tmp_path):
    from borderwatch.report.build import build_report

    run = make_run(tmp_path)
    (run / "comparisons.parquet").write_bytes(b"not parquet")
    out = build_report(run, quiet=True)
    assert any("comparisons.parquet" in n for n in out.notes)
    assert "comparisons.parquet" in out.index.read_text(encoding="utf-8")


def test_interactive_map_skips_with_a_reason(tmp_path, monkeypatch):
    import builtins

    from borderwatch.report.interactive import write_interactive_map
    from borderwatch.report.tables import load_run

    run = load_run(make_run(tmp_path))
    real_import = builtins.__import__

    def no_folium(name, *args, **kwargs):
        if name == "folium":
            raise ImportError("no folium")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_folium)
    path, message = write_interactive_map(run, tmp_path / "map.html", check_network=lambda: True)
    assert path is None and "folium" in message and "pip install" in message


def test_thumbnail_reads_only_a_window(tmp_path):
    """A large raster: the thumbnail window is bounded around the boxes, not the whole frame."""
    import rasterio
    from affine import Affine

    from borderwatch.report.thumbnails import MAX_WINDOW, frame_thumbnail

    path = tmp_path / "big.tif"
    size = 12000
    profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="uint16", crs="EPSG:32652",
                   transform=Affine.translation(0, 0) * Affine.scale(0.5, -0.5), tiled=True, blockxsize=256,
                   blockysize=256, compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        from rasterio.windows import Window

        dst.write(np.full((1, 512, 512), 3000, np.uint16), window=Window(5000, 5000, 512, 512))
    dets = pd.DataFrame(dict(x_min=[5100.0, 5300.0], y_min=[5100.0, 5200.0], x_max=[5120.0, 5320.0],
                             y_max=[5110.0, 5210.0], vehicle_class=["car", "truck"]))
    thumb = frame_thumbnail({"source_path": str(path), "width": size, "height": size, "crs": "EPSG:32652"}, dets)
    x0, y0, x1, y1 = thumb.crop
    assert x1 - x0 <= MAX_WINDOW and y1 - y0 <= MAX_WINDOW
    assert x0 <= 5100 and x1 >= 5320 and y0 <= 5100 and y1 >= 5210
    assert max(thumb.width, thumb.height) <= 480 and thumb.png.startswith(b"\x89PNG")


# --- a real browser -------------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Chromium driven over the DevTools protocol (CDP) with websocket-client."""

    def __init__(self, binary: str, profile: Path):
        import urllib.request

        websocket = pytest.importorskip("websocket", reason="websocket-client is needed to drive Chromium")
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--remote-debugging-port={self.port}",
             "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        targets = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=2) as r:
                    targets = [t for t in json.loads(r.read()) if t.get("type") == "page"]
                if targets:
                    break
            except OSError:
                time.sleep(0.2)
        if not targets:
            self.close()
            pytest.skip("chromium started but its DevTools endpoint did not answer")
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == my_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            self.events.append(message)
            if message.get("method") == method:
                return message
        raise TimeoutError(method)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def open_in_chromium(index: Path, shot: Path) -> dict:
    """Load the page from disk, collect console errors, check images; save a full-page screenshot."""
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    browser = Browser(binary, shot.parent / "chromium-profile")
    try:
        browser.send("Page.enable")
        browser.send("Runtime.enable")
        browser.send("Log.enable")
        browser.send("Network.enable")
        browser.send("Page.navigate", url=index.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        browser.evaluate("new Promise(r => setTimeout(r, 300))")
        info = browser.evaluate("""(() => {
            const imgs = [...document.images];
            return {
              images: imgs.length,
              broken: imgs.filter(i => !i.complete || i.naturalWidth === 0 || i.naturalHeight === 0)
                          .map(i => i.alt),
              claimRows: document.querySelectorAll('table.claims tbody tr.claim').length,
              articleRows: document.querySelectorAll('table.claims tbody tr.article').length,
              title: document.title,
              height: document.documentElement.scrollHeight,
              scripts: document.scripts.length,
            };
        })()""")
        metrics = browser.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot_data = browser.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                                 clip={"x": 0, "y": 0, "width": 1280, "height": min(size["height"], 16000),
                                       "scale": 1})
        shot.write_bytes(base64.b64decode(shot_data["data"]))
        errors = []
        requests = []
        for event in browser.events:
            method = event.get("method")
            params = event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(str(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                errors.append(str(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                requests.append(params.get("request", {}).get("url", ""))
        info["errors"] = errors
        info["requests"] = requests
        return info
    finally:
        browser.close()


@pytest.mark.browser
@pytest.mark.slow
def test_page_in_headless_chromium(built, tmp_path):
    run, out = built
    shot = tmp_path / "report.png"
    info = open_in_chromium(out.index, shot)
    assert info["errors"] == []
    assert info["images"] >= 4 and info["broken"] == []
    assert info["claimRows"] == 5 and info["articleRows"] == 3  # every claim, under its article
    assert info["scripts"] == 0
    # nothing but the page itself and its inline images is requested: no network
    assert all(u.startswith(("file://", "data:")) for u in info["requests"]), info["requests"]
    assert shot.exists() and shot.stat().st_size > 10_000
    if os.environ.get("BORDERWATCH_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["BORDERWATCH_KEEP_SCREENSHOT"])
