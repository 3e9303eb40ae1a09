"""The optional interactive map (map.html, folium/Leaflet), written beside the self-contained page.

It loads Leaflet and map tiles from the internet when opened, so it is a separate file that the
user asks for (``outputs.interactive_map: true``); index.html never depends on it. Without folium
or without a network it is skipped with a message saying why and what to do.
"""

from __future__ import annotations

import socket
from pathlib import Path

from borderwatch.atomic import atomic_path
from borderwatch.report.tables import CLASS_COLOURS, RunTables

TILE_HOST = ("tile.openstreetmap.org", 443)


def network_available(host: tuple[str, int] = TILE_HOST, timeout: float = 3.0) -> bool:
    """True when the tile server answers a TCP connection (only asked when the user wants the map)."""
    try:
        with socket.create_connection(host, timeout=timeout):
            return True
    except OSError:
        return False


def write_interactive_map(run: RunTables, target: Path, check_network=network_available) -> tuple[Path | None, str | None]:
    """Write map.html; returns (path or None, message saying why it was skipped)."""
    try:
        import folium
    except ImportError:
        return None, ("interactive map skipped: the folium package is not installed "
                      "(pip install 'borderwatch[map]' or pip install folium, then run `borderwatch report` again)")
    if not check_network():
        return None, ("interactive map skipped: no network (its map tiles and scripts load from the internet); "
                      "the static maps in index.html show the same data")
    import geopandas as gpd

    frames = run.frames
    footprints = frames[frames.geometry.notna()] if isinstance(frames, gpd.GeoDataFrame) else None
    located = run.located_detections()
    dets = located[located.geometry.notna()] if isinstance(located, gpd.GeoDataFrame) else None
    layers = [g for g in (run.areas, footprints, dets) if g is not None and len(g)]
    if not layers:
        return None, "interactive map skipped: nothing in this run has a map position"
    bounds = gpd.GeoSeries(
        [g.geometry.union_all().envelope for g in layers], crs="EPSG:4326"
    ).total_bounds
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    if run.areas is not None and len(run.areas):
        folium.GeoJson(run.areas[["name", "geometry"]].to_json(), name="areas",
                       tooltip=folium.GeoJsonTooltip(fields=["name"]),
                       style_function=lambda _: {"color": "#2c3e50", "weight": 2, "fillOpacity": 0.05}).add_to(fmap)
    if footprints is not None and len(footprints):
        folium.GeoJson(footprints[["source_path", "geometry"]].astype({"source_path": str}).to_json(),
                       name="footprints",
                       style_function=lambda _: {"color": "#b9770e", "weight": 1, "fillOpacity": 0.25}).add_to(fmap)
    if dets is not None and len(dets):
        group = folium.FeatureGroup(name="detections")
        for _, row in dets.iterrows():
            point = row.geometry.centroid
            colour = CLASS_COLOURS.get(str(row["vehicle_class"]), "#ff00ff")
            folium.CircleMarker([point.y, point.x], radius=3, color=colour, fill=True, fill_opacity=0.9,
                                tooltip=f"{row['vehicle_class']} {float(row['score']):.2f}").add_to(group)
        group.add_to(fmap)
    folium.LayerControl().add_to(fmap)
    with atomic_path(target) as tmp:
        fmap.save(str(tmp))
    return target, None
