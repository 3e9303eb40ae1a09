"""Static maps per area, drawn with matplotlib in the area's UTM zone: no tile server, no network.

Each map shows the area polygon, the footprints of the imagery that covered it, and the detections
coloured by class. When the imagery covers a small part of the area a second panel zooms onto it,
where the vehicles' boxes are visible.
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


def area_map(name: str, area_geom, footprints, detections) -> Figure | None:
    """A figure for one area, or None when there is nothing with a position to draw.

    ``area_geom`` is a shapely geometry in EPSG:4326 (or None); ``footprints`` a GeoSeries of frame
    footprints and ``detections`` a GeoDataFrame with ``vehicle_class``, both in EPSG:4326.
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
    zoom_bounds = None
    if zoom_parts and has_area:
        import pandas as pd

        zb = gpd.GeoSeries(pd.concat([p for p in zoom_parts], ignore_index=True), crs=utm).total_bounds
        main_span = max(main_bounds[2] - main_bounds[0], main_bounds[3] - main_bounds[1])
        zoom_span = max(zb[2] - zb[0], zb[3] - zb[1])
        if zoom_span < 0.3 * main_span:
            zoom_bounds = zb

    ncols = 2 if zoom_bounds is not None else 1
    fig = Figure(figsize=(5.2 * ncols, 5.0), dpi=110, layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    classes_seen: list[str] = []
    if has_dets:
        classes_seen = sorted(set(dets_g["vehicle_class"].astype(str)))

    for index, ax in enumerate(axes):
        zoomed = index == 1
        if has_area:
            area_s.plot(ax=ax, facecolor=AREA_FACE, edgecolor=AREA_EDGE, linewidth=1.2)
        if has_feet:
            feet_s.plot(ax=ax, facecolor=FOOT_FACE, edgecolor=FOOT_EDGE, alpha=0.55, linewidth=0.8)
        if has_dets:
            for cls in classes_seen:
                sub = dets_g[dets_g["vehicle_class"].astype(str) == cls]
                colour = CLASS_COLOURS.get(cls, "#ff00ff")
                if zoomed or not has_area:
                    sub.plot(ax=ax, facecolor="none", edgecolor=colour, linewidth=1.0)
                    sub.geometry.centroid.plot(ax=ax, color=colour, markersize=4)
                else:
                    sub.geometry.centroid.plot(ax=ax, color=colour, markersize=9, edgecolor="white", linewidth=0.3)
        limits = _frame(ax, zoom_bounds if zoomed else main_bounds, pad_fraction=0.15 if zoomed else 0.06)
        _scale_bar(ax, *limits)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_title("imaged part (zoom)" if zoomed else name, fontsize=11, loc="left")
        if not zoomed and zoom_bounds is not None:
            x0, y0, x1, y1 = zoom_bounds
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#c0392b",
                                   linewidth=1.0, linestyle="--"))

    handles = []
    if has_area:
        handles.append(Patch(facecolor=AREA_FACE, edgecolor=AREA_EDGE, label="area"))
    if has_feet:
        handles.append(Patch(facecolor=FOOT_FACE, edgecolor=FOOT_EDGE, alpha=0.55, label="imaged footprint"))
    for cls in classes_seen:
        handles.append(Line2D([], [], marker="o", linestyle="", color=CLASS_COLOURS.get(cls, "#ff00ff"),
                              label=cls.replace("_", " ")))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=8,
                   frameon=False)
    return fig
