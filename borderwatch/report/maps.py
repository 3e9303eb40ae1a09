"""Static maps per area, drawn with matplotlib in the area's UTM zone: no tile server, no network.

Each map shows the area polygon, the footprints of the imagery that covered it, and the detections
coloured by class. When the imagery covers a small part of the area a second panel zooms onto it,
drawn over the imagery itself (the raster's window, read at thumbnail size) with the vehicles' boxes.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from borderwatch.report.tables import CLASS_COLOURS

AREA_FACE, AREA_EDGE = "#eef2f7", "#2c3e50"
FOOT_FACE, FOOT_EDGE = "#f6c86b", "#b9770e"


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    if target <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * exp <= target:
            return step * exp
    return exp


def _scale_bar(ax, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
    length = _nice_length(xmax - xmin)
    x0 = xmin + 0.05 * (xmax - xmin)
    y0 = ymin + 0.06 * (ymax - ymin)
    ax.plot([x0, x0 + length], [y0, y0], color="#222", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length / 2, y0 + 0.02 * (ymax - ymin), label, ha="center", va="bottom", fontsize=8)


def _frame(ax, bounds, pad_fraction: float = 0.06) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = bounds
    span = max(xmax - xmin, ymax - ymin, 50.0)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half = span / 2 * (1 + pad_fraction)
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#bbb")
    return cx - half, cx + half, cy - half, cy + half


IMAGERY_PX = 900  # the imagery under a map panel is read and resampled to at most this many pixels a side


def draw_imagery(ax, paths, map_crs, limits, max_px: int = IMAGERY_PX) -> list[str]:
    """Draw the rasters under a map panel: only the window inside the panel's limits is read, at
    thumbnail size (decimated by GDAL, overviews when the file has them), then warped to the map's
    CRS. Returns one line per raster that could not be drawn (the map goes on without it)."""
    import numpy as np
    import rasterio
    from affine import Affine
    from rasterio.enums import Resampling
    from rasterio.transform import from_bounds as transform_from_bounds
    from rasterio.warp import reproject, transform_bounds
    from rasterio.windows import Window, from_bounds

    from borderwatch.report.thumbnails import stretch

    x0, x1, y0, y1 = limits
    side = max(x1 - x0, y1 - y0)
    width = height = max_px
    dst_transform = transform_from_bounds(x0, y0, x0 + side, y0 + side, width, height)
    problems = []
    for path in paths:
        try:
            with rasterio.open(path) as src:
                if src.crs is None:
                    continue
                left, bottom, right, top = transform_bounds(map_crs, src.crs, x0, y0, x0 + side, y0 + side)
                win = from_bounds(left, bottom, right, top, src.transform).intersection(
                    Window(0, 0, src.width, src.height))
                if win.width < 1 or win.height < 1:
                    continue
                scale = max(win.width, win.height) / max_px
                out_w, out_h = max(1, int(win.width / max(scale, 1))), max(1, int(win.height / max(scale, 1)))
                bands = [1, 2, 3] if src.count >= 3 else [1]
                data = src.read(bands, window=win, out_shape=(len(bands), out_h, out_w), resampling=Resampling.average)
                mask = src.dataset_mask(window=win, out_shape=(out_h, out_w)) > 0
                src_transform = src.window_transform(win) @ Affine.scale(win.width / out_w, win.height / out_h)
                src_crs = src.crs
            rgb = np.stack([stretch(b, mask) for b in data])
            if rgb.shape[0] == 1:
                rgb = np.repeat(rgb, 3, axis=0)
            rgba = np.concatenate([rgb, (mask * 255).astype(np.uint8)[None]], axis=0)
            dst = np.zeros((4, height, width), dtype=np.uint8)
            for b in range(4):
                reproject(rgba[b], dst[b], src_transform=src_transform, src_crs=src_crs, dst_transform=dst_transform,
                          dst_crs=map_crs, resampling=Resampling.nearest)
            ax.imshow(np.moveaxis(dst, 0, -1), extent=(x0, x0 + side, y0, y0 + side), origin="upper", zorder=0.5,
                      interpolation="bilinear")
        except Exception as exc:  # noqa: BLE001 - a raster that moved or broke costs its picture only
            problems.append(f"{path}: not drawn under the map: {' '.join(str(exc).split())[:160]}")
    return problems


def _zoom_bounds(main_bounds, zoom_parts: list, utm):
    """Bounds of what was imaged when it is small within the area (a second, zoomed panel), else None."""
    if not zoom_parts:
        return None
    import geopandas as gpd
    import pandas as pd

    zb = gpd.GeoSeries(pd.concat(list(zoom_parts), ignore_index=True), crs=utm).total_bounds
    main_span = max(main_bounds[2] - main_bounds[0], main_bounds[3] - main_bounds[1])
    zoom_span = max(zb[2] - zb[0], zb[3] - zb[1])
    return zb if zoom_span < 0.3 * main_span else None


def _map_legend(fig: Figure, has_area: bool, area_source: str | None, has_feet: bool, classes_seen: list[str]) -> None:
    """The legend: the area (named by where its polygon comes from), footprints, each class seen."""
    handles = []
    if has_area:
        handles.append(Patch(facecolor=AREA_FACE, edgecolor=AREA_EDGE, label=f"area ({area_source})" if area_source else "area"))
    if has_feet:
        handles.append(Patch(facecolor=FOOT_FACE, edgecolor=FOOT_EDGE, alpha=0.55, label="imaged footprint"))
    for cls in classes_seen:
        handles.append(Line2D([], [], marker="o", linestyle="", color=CLASS_COLOURS.get(cls, "#ff00ff"),
                              label=cls.replace("_", " ")))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=8,
                   frameon=False)


def _draw_layers(ax, area_s, feet_s, dets_g, classes_seen: list[str], over_imagery: bool, boxes: bool) -> None:
    """The area, the footprints and the detections (as boxes, else as dots) on one panel; None: not drawn."""
    if area_s is not None:
        area_s.plot(ax=ax, facecolor="none" if over_imagery else AREA_FACE, edgecolor=AREA_EDGE,
                    linewidth=1.6 if over_imagery else 1.2, zorder=1)
    if feet_s is not None:
        if over_imagery:  # the imagery itself shows what was imaged: outline its footprint only
            feet_s.plot(ax=ax, facecolor="none", edgecolor=FOOT_EDGE, linewidth=1.0, zorder=1)
        else:
            feet_s.plot(ax=ax, facecolor=FOOT_FACE, edgecolor=FOOT_EDGE, alpha=0.55, linewidth=0.8)
    if dets_g is not None:
        for cls in classes_seen:
            sub = dets_g[dets_g["vehicle_class"].astype(str) == cls]
            colour = CLASS_COLOURS.get(cls, "#ff00ff")
            if boxes:
                # the box as detected: its map polygon, rotated when the model is oriented
                sub.plot(ax=ax, facecolor="none", edgecolor=colour, linewidth=1.4, zorder=3)
            else:
                sub.geometry.centroid.plot(ax=ax, color=colour, markersize=9, edgecolor="white", linewidth=0.3)


def area_map(name: str, area_geom, footprints, detections, imagery=None, area_source: str | None = None,
             notes: list[str] | None = None, stamp: str | None = None) -> Figure | None:
    """A figure for one area, or None when there is nothing with a position to draw.

    ``area_geom`` is a shapely geometry in EPSG:4326 (or None); ``footprints`` a GeoSeries of frame
    footprints and ``detections`` a GeoDataFrame with ``vehicle_class``, both in EPSG:4326.
    ``imagery``: raster paths drawn under the zoomed panel (or the only one), read by window at
    thumbnail size. ``area_source`` says where the polygon comes from (legend text). Rasters that
    cannot be drawn are said in ``notes``.
    """
    import geopandas as gpd

    footprints = footprints[footprints.notna() & ~footprints.is_empty] if footprints is not None else None
    if detections is not None and len(detections):
        detections = detections[detections.geometry.notna() & ~detections.geometry.is_empty]
    has_area = area_geom is not None and not area_geom.is_empty
    has_feet = footprints is not None and len(footprints) > 0
    has_dets = detections is not None and len(detections) > 0
    if not (has_area or has_feet or has_dets):
        return None
    parts = []
    if has_area:
        parts.append(area_geom)
    if has_feet:
        parts.extend(footprints.tolist())
    if has_dets:
        parts.extend(detections.geometry.tolist())
    utm = gpd.GeoSeries(parts, crs="EPSG:4326").estimate_utm_crs()
    area_s = gpd.GeoSeries([area_geom], crs="EPSG:4326").to_crs(utm) if has_area else None
    feet_s = gpd.GeoSeries(footprints, crs="EPSG:4326").to_crs(utm) if has_feet else None
    dets_g = detections.to_crs(utm) if has_dets else None

    main_bounds = (area_s if has_area else gpd.GeoSeries(parts, crs="EPSG:4326").to_crs(utm)).total_bounds
    zoom_parts = [g for g in (feet_s, dets_g.geometry if has_dets else None) if g is not None and len(g)]
    zoom_bounds = _zoom_bounds(main_bounds, zoom_parts, utm) if has_area else None

    ncols = 2 if zoom_bounds is not None else 1
    fig = Figure(figsize=(5.2 * ncols, 5.0), dpi=110, layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    classes_seen: list[str] = []
    if has_dets:
        classes_seen = sorted(set(dets_g["vehicle_class"].astype(str)))

    drawn_problems: list[str] = []
    for index, ax in enumerate(axes):
        zoomed = index == 1
        over_imagery = bool(imagery) and (zoomed or ncols == 1)
        _draw_layers(ax, area_s, feet_s, dets_g, classes_seen, over_imagery, boxes=zoomed or not has_area)
        limits = _frame(ax, zoom_bounds if zoomed else main_bounds, pad_fraction=0.15 if zoomed else 0.06)
        if imagery and (zoomed or ncols == 1):
            drawn_problems.extend(draw_imagery(ax, imagery, utm, limits))
        _scale_bar(ax, *limits)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_title("imaged part (zoom)" if zoomed else name, fontsize=11, loc="left")
        if not zoomed and zoom_bounds is not None:
            x0, y0, x1, y1 = zoom_bounds
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#c0392b",
                                   linewidth=1.0, linestyle="--"))

    _map_legend(fig, has_area, area_source, has_feet, classes_seen)
    if notes is not None:
        notes.extend(drawn_problems)
    if stamp:
        fig.suptitle(stamp, x=0.99, ha="right", fontsize=8, color="#8a6100", fontweight="bold")
    return fig
