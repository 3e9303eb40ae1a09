"""Areas: the named polygons detections are counted in.

``load_areas`` reads any vector file GDAL reads (GeoJSON, GeoPackage with ``layer``, Shapefile,
GeoParquet), or the gazetteer's urban cores when no file is given, and returns an ``AreaSet``:

- the name comes from ``name_field`` (an error lists the available columns when it is absent) and
  the optional parent (city of a district) from ``parent_field``; names (and parents) that are
  gazetteer aliases become the gazetteer's canonical names ("Chŏngjin" -> "Chongjin", "珲春市" ->
  "Hunchun"), so OSM ``name:en`` or Amap ``district_name`` match the names the rest of borderwatch uses;
- invalid geometries are repaired (``shapely.make_valid``, polygonal parts kept) and empty, null or
  non-polygonal ones dropped, each with a warning naming the file and the feature;
- any CRS is accepted; a file without one is an error unless ``crs`` declares it. Storage is
  EPSG:4326; km² are measured in a Lambert azimuthal equal-area CRS centred on the areas;
- features sharing a name (and parent) are merged into one multipolygon.

Overlap rule. Neighbouring polygons overlap where sources disagree, most of all between North Korean
(OSM) and Chinese (Amap) polygons along the Yalu and Tumen, and between the gazetteer's cores of
facing cities. Areas are made disjoint before anything is counted, so a vehicle and a km² belong to
exactly one area. Every point of an overlap between two areas goes to the area in which it lies
deeper, that is whose boundary is farther from it. For a sliver between two river-bank borders this
splits the sliver along its midline; for two overlapping discs it splits the lens along the line of
equal depth. The split is computed exactly from the boundaries (a Voronoi diagram of points sampled
every few metres on the two boundary pieces that bound the overlap), in the equal-area CRS. When one
area lies (≥ 90 %) inside another, that is nesting rather than disagreement: the inner area keeps the
overlap (a district keeps its land, the city around it loses it) and a warning suggests one level of
areas with ``parent_field``. Pairs are resolved in the order of their names, so the result is
deterministic; three-way overlaps are resolved pair by pair in that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from borderwatch.errors import InputError, warn_geo

STORAGE_CRS = "EPSG:4326"
NESTED_FRACTION = 0.9
MIN_OVERLAP_M2 = 0.01  # below this two polygons merely touch (floating-point noise)
MERGE_WITHIN_M = 1000.0

AREA_COLUMNS = ["name", "parent", "country", "province", "area_km2", "geometry"]


def equal_area_crs(lon: float, lat: float):
    """A Lambert azimuthal equal-area CRS centred on (lon, lat): exact km² anywhere, and nearly
    true distances within a few hundred km of the centre (used for the overlap split and IoU)."""
    from pyproj import CRS

    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m +no_defs")


@dataclass
class AreaSet:
    """Disjoint named areas: ``frame`` in EPSG:4326 with columns name, parent, country, province,
    area_km2, geometry; ``equal_area`` is the metric CRS their km² were measured in."""

    frame: object  # geopandas.GeoDataFrame
    equal_area: object  # pyproj.CRS
    source: str

    @property
    def names(self) -> list[str]:
        return self.frame["name"].tolist()

    def in_equal_area(self):
        return self.frame.to_crs(self.equal_area)

    def __len__(self) -> int:
        return len(self.frame)


# --- reading ---------------------------------------------------------------------------------------


def _read_vector(path: Path, layer: str | int | None):
    import geopandas as gpd
    import pyogrio

    if not path.exists():
        raise InputError("areas file not found", path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            return gpd.read_parquet(path)
        if layer is None and suffix == ".gpkg":
            layers = pyogrio.list_layers(path)
            if len(layers) > 1:
                names = ", ".join(str(n) for n in layers[:, 0])
                raise InputError(f"GeoPackage has several layers ({names}); choose one with layer=", path)
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except InputError:
        raise
    except Exception as exc:  # GDAL, pyarrow and JSON errors all mean: this file cannot be used
        first = " ".join(str(exc).split())[:300]
        raise InputError(f"cannot read areas: {type(exc).__name__}: {first}", path) from exc


def _polygonal(geom):
    """The polygonal part of a geometry (None when there is none)."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if not merged.is_empty else None


def _repair(geom):
    """A valid polygonal version of ``geom`` (None when nothing polygonal is left).

    ``make_valid`` on a MultiPolygon whose parts overlap keeps the symmetric difference: the overlap
    is cut out, and the vehicles in it leave the counts. Each part is repaired on its own and the
    parts are unioned instead, which is what whoever drew overlapping parts meant.
    """
    import shapely
    from shapely.geometry import MultiPolygon

    if isinstance(geom, MultiPolygon):
        parts = [_polygonal(shapely.make_valid(p)) if not p.is_valid else p for p in geom.geoms if not p.is_empty]
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        merged = shapely.union_all(parts)
        return _polygonal(merged if merged.is_valid else shapely.make_valid(merged))
    return _polygonal(shapely.make_valid(geom))


def _clean_geometries(gdf, names: list[str], source: str):
    """Repair invalid, drop empty/null/non-polygonal geometries, warning per feature."""
    import shapely

    keep = np.ones(len(gdf), dtype=bool)
    geoms = list(gdf.geometry.values)
    for i, geom in enumerate(geoms):
        label = f"feature {i} ({names[i]!r})"
        if geom is None or geom.is_empty:
            warn_geo(f"{source}: {label} has an empty geometry; dropped")
            keep[i] = False
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            repaired = _repair(geom)
            if repaired is None or repaired.area == 0:
                warn_geo(f"{source}: {label} has an invalid geometry ({reason}) that could not be repaired; dropped")
                keep[i] = False
                continue
            warn_geo(f"{source}: {label} had an invalid geometry ({reason}); repaired with make_valid")
            geom = repaired
        poly = _polygonal(geom)
        if poly is None or poly.area == 0:
            warn_geo(f"{source}: {label} is a {geom.geom_type}, not a polygon; dropped")
            keep[i] = False
            continue
        geoms[i] = poly
    out = gdf.copy()
    out = out.set_geometry(geoms, crs=gdf.crs)
    return out[keep]


def _resolve_crs(gdf, declared, source: str):
    from pyproj import CRS

    if declared is not None:
        try:
            declared_crs = CRS.from_user_input(declared)
        except Exception as exc:
            raise InputError(f"unknown CRS {declared!r}: {exc}", source) from exc
    else:
        declared_crs = None
    if gdf.crs is None:
        if declared_crs is None:
            raise InputError("areas file has no CRS; declare one (crs='EPSG:...', --areas-crs)", source)
        gdf = gdf.set_crs(declared_crs)
    elif declared_crs is not None and not CRS.from_user_input(gdf.crs).equals(declared_crs):
        raise InputError(f"areas file says its CRS is {gdf.crs.to_string()}, but {declared} was declared", source)
    _check_area_of_use(gdf, source)
    return gdf


def _check_area_of_use(gdf, source: str) -> None:
    """Longitudes and latitudes labelled as a projected CRS are refused.

    Numbers in degrees read as metres put every polygon within a few metres of the projection's
    origin: they would silently match no area. A projected areas file whose whole extent fits in
    ±180 × ±90 units and spans under 10 units is such a file (no city or district is 10 m wide).
    The CRS's nominal area of use is not checked: national grids are legitimately used far from home.
    """
    from pyproj import CRS

    crs = CRS.from_user_input(gdf.crs)
    shapes = gdf.geometry[~(gdf.geometry.is_empty | gdf.geometry.isna())]
    if not crs.is_projected or shapes.empty:
        return
    x0, y0, x1, y1 = shapes.total_bounds
    looks_like_degrees = max(abs(x0), abs(x1)) <= 180 and max(abs(y0), abs(y1)) <= 90
    if looks_like_degrees and (x1 - x0) < 10 and (y1 - y0) < 10:
        raise InputError(
            f"coordinates (bounds {x0:.6g}, {y0:.6g}, {x1:.6g}, {y1:.6g}) look like longitude/latitude degrees, "
            f"but the CRS is {crs.to_string()} in metres; is the file's CRS right?",
            source,
        )


def _check_lonlat(gdf, source: str) -> None:
    finite = gdf.geometry[~gdf.geometry.is_empty]
    if finite.empty:
        return
    minx, miny, maxx, maxy = finite.total_bounds
    if not (np.isfinite([minx, miny, maxx, maxy]).all() and -180.5 <= minx and maxx <= 180.5 and -90 <= miny and maxy <= 90):
        raise InputError(
            f"coordinates fall outside the Earth after reprojection (bounds {minx:.4g}, {miny:.4g}, "
            f"{maxx:.4g}, {maxy:.4g}); is the file really in the CRS it declares?",
            source,
        )


def _as_names(values, canonical: bool, gazetteer) -> list[str | None]:
    out: list[str | None] = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
            out.append(None)
            continue
        text = str(v).strip()
        if canonical and gazetteer is not None and text in gazetteer:
            text = gazetteer.get(text).name
        out.append(text)
    return out


def _infer_country(gdf, names: list[str | None], parents: list[str | None], gazetteer) -> list[str | None]:
    """KP/CN per feature: a gazetteer name, an ISO3166-2 code, or a province name the gazetteer knows."""
    countries: list[str | None] = [None] * len(gdf)
    iso = gdf["ISO3166-2"].astype("string") if "ISO3166-2" in gdf.columns else None
    province_cols = [c for c in ("province_name", "province", "is_in:province") if c in gdf.columns]
    country_cols = [c for c in ("country", "is_in:country_code", "ISO_A2", "iso_a2") if c in gdf.columns]
    for i in range(len(gdf)):
        for n in (names[i], parents[i]):
            if n and gazetteer is not None and n in gazetteer:
                countries[i] = gazetteer.get(n).country
                break
        if countries[i] is None and iso is not None and isinstance(iso.iloc[i], str):
            countries[i] = iso.iloc[i][:2].upper() or None
        if countries[i] is None:
            for c in country_cols:
                v = gdf[c].iloc[i]
                if isinstance(v, str) and v.strip().upper() in ("KP", "CN", "PRK", "CHN"):
                    countries[i] = v.strip().upper()[:2] if len(v.strip()) == 2 else {"PRK": "KP", "CHN": "CN"}[v.strip().upper()]
                    break
        if countries[i] is None and gazetteer is not None:
            for c in province_cols:
                v = gdf[c].iloc[i]
                if isinstance(v, str):
                    prov = gazetteer.province(v)
                    match = next((p for p in gazetteer.provinces if p.name == prov), None)
                    if match is not None:
                        countries[i] = match.country
                        break
    known = {c for c in countries if c}
    if len(known) == 1:  # a file of one country's units: the gazetteer names a few, all share it
        countries = [known.pop()] * len(countries)
    return countries


def _provinces(gdf, names, parents, gazetteer) -> list[str | None]:
    """Canonical province per feature: from the gazetteer place, else a province column."""
    cols = [c for c in ("province_name", "province", "is_in:province") if c in gdf.columns]
    out: list[str | None] = []
    for i in range(len(gdf)):
        prov = None
        for n in (names[i], parents[i]):
            if n and n in gazetteer:
                prov = gazetteer.get(n).province
                break
        for c in cols if prov is None else ():
            v = gdf[c].iloc[i]
            if isinstance(v, str) and v.strip():
                prov = gazetteer.province(v) or v.strip()
                break
        out.append(prov)
    return out


def _read_features(path: Path, name_field, parent_field, layer, crs, country, country_field, canonical, gaz):
    """One file's features as (name, parent, country, province, geometry) in EPSG:4326, cleaned."""
    import geopandas as gpd

    source = str(path)
    raw = _read_vector(path, layer)
    name_field = name_field or "name"
    available = [c for c in raw.columns if c != raw.geometry.name]
    for field, what in ((name_field, "name"), (parent_field, "parent"), (country_field, "country")):
        if field is not None and field not in raw.columns:
            raise InputError(f"no {what} field {field!r}; available: {', '.join(map(str, available))}", path)
    raw = _resolve_crs(raw, crs, source)
    names = _as_names(raw[name_field], canonical, gaz)
    parents = _as_names(raw[parent_field], canonical, gaz) if parent_field else [None] * len(raw)
    for i, n in enumerate(names):
        if n is None:
            warn_geo(f"{source}: feature {i} has no value in {name_field!r}; dropped")
    if country_field:
        countries = [str(v).upper() if isinstance(v, str) and v else None for v in raw[country_field]]
    elif country:
        countries = [country.upper()] * len(raw)
    else:
        countries = _infer_country(raw, names, parents, gaz)
    frame = gpd.GeoDataFrame(
        {"name": names, "parent": parents, "country": countries, "province": _provinces(raw, names, parents, gaz)},
        geometry=list(raw.geometry.values),
        crs=raw.crs,
    )
    frame = frame[[n is not None for n in names]].reset_index(drop=True)
    frame = _clean_geometries(frame, frame["name"].tolist(), source)
    if frame.empty:
        raise InputError("no usable polygons", source)
    frame = frame.to_crs(STORAGE_CRS)
    _check_lonlat(frame, source)
    return frame


def _per_file(value, n: int, what: str):
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return list(value) * n
        if len(value) != n:
            raise InputError(f"{len(value)} {what} values for {n} area files; give one, or one per file")
        return list(value)
    return [value] * n


def load_areas(
    path: str | Path | list[str | Path] | None = None,
    name_field: str | list[str] | None = None,
    parent_field: str | list[str | None] | None = None,
    *,
    layer: str | int | None = None,
    crs: str | int | None = None,
    country: str | list[str | None] | None = None,
    country_field: str | None = None,
    select: list[str] | None = None,
    canonical_names: bool = True,
    gazetteer=None,
) -> AreaSet:
    """Read areas from a vector file, several files (say OSM for North Korea and Amap for China), or
    the gazetteer's urban cores when ``path`` is None, and make them disjoint by the overlap rule.

    ``name_field`` names the column of area names (default ``name``); ``parent_field`` the optional
    parent column. With several files, give one value for all or one per file (also ``country``).
    ``crs`` declares the CRS of a file that lacks one. ``country`` sets the country of every area,
    ``country_field`` reads it from a column; otherwise it is inferred (gazetteer names, ISO3166-2,
    province names). ``select`` keeps only the areas whose name or parent is one of these (gazetteer
    aliases allowed, so ``select=["혜산"]`` picks Hyesan), after the overlap rule has been applied
    to all. Warnings (repairs, drops, nesting) are issued as ``GeoWarning``.
    """
    import pandas as pd

    from borderwatch.geo.gazetteer import default_areas, load_gazetteer

    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    if path is None:
        frame = default_areas(gaz)
        source = "gazetteer"
    else:
        paths = [Path(p) for p in path] if isinstance(path, (list, tuple)) else [Path(path)]
        if not paths:
            raise InputError("no areas file given")
        names = _per_file(name_field, len(paths), "name field")
        parents = _per_file(parent_field, len(paths), "parent field")
        countries = _per_file(country, len(paths), "country")
        frames = [
            _read_features(p, nf, pf, layer, crs, c, country_field, canonical_names, gaz)
            for p, nf, pf, c in zip(paths, names, parents, countries, strict=True)
        ]
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        source = " + ".join(str(p) for p in paths)
    lon, lat = _centre(frame)
    ea = equal_area_crs(lon, lat)
    frame = _merge_duplicates(frame, ea, source)
    # disjoint among all areas first, so picking some does not hand them a neighbour's land
    frame = make_disjoint(frame, ea, source)
    if select:
        frame = select_areas(frame, select, gazetteer=gaz, source=source)
    frame = frame.copy()
    frame["area_km2"] = frame.to_crs(ea).area.to_numpy() / 1e6
    frame = frame[AREA_COLUMNS].reset_index(drop=True)
    return AreaSet(frame=frame, equal_area=ea, source=source)


def _centre(frame) -> tuple[float, float]:
    minx, miny, maxx, maxy = frame.total_bounds
    return (minx + maxx) / 2.0, (miny + maxy) / 2.0


def select_areas(frame, names: list[str], gazetteer=None, source: str = "areas"):
    """The areas whose name or parent is one of ``names`` (folded; gazetteer aliases resolved).
    An error lists what is available when none matches a requested name."""
    from borderwatch.geo.gazetteer import fold

    wanted = {}
    for n in names:
        canonical = gazetteer.get(n).name if gazetteer is not None and n in gazetteer else n
        wanted[fold(canonical)] = n
    name_keys = frame["name"].map(lambda v: fold(v) if isinstance(v, str) else "")
    parent_keys = frame["parent"].map(lambda v: fold(v) if isinstance(v, str) else "")
    mask = name_keys.isin(wanted) | parent_keys.isin(wanted)
    missing = [orig for key, orig in wanted.items() if not ((name_keys == key) | (parent_keys == key)).any()]
    if missing:
        sample = ", ".join(sorted(map(str, frame["name"].unique()))[:30])
        raise InputError(f"no area named {', '.join(missing)}; areas include: {sample}", source)
    return frame[mask.to_numpy()].copy()


def _merge_duplicates(frame, metric_crs, source: str):
    """Features sharing a name (and parent) become one area when they lie within ``MERGE_WITHIN_M``
    of each other (the parts of one unit); distant namesakes (two "Unsan County" in different
    provinces) stay apart as "Unsan County (2)", with a warning."""
    import geopandas as gpd
    import shapely

    key = frame["name"].astype(str) + "\x00" + frame["parent"].fillna("").astype(str)
    if not key.duplicated().any():
        return frame
    metric = frame.geometry.to_crs(metric_crs).values
    rows = []
    for _, idx in frame.groupby(key, sort=False).indices.items():
        if len(idx) == 1:
            rows.append(frame.iloc[idx[0]].copy())
            continue
        # cluster the namesakes: parts closer than MERGE_WITHIN_M belong to the same unit
        label = np.arange(len(idx))
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                if shapely.distance(metric[idx[a]], metric[idx[b]]) <= MERGE_WITHIN_M:
                    label[label == label[b]] = label[a]
        clusters = [idx[label == lab] for lab in dict.fromkeys(label)]
        name = frame["name"].iloc[idx[0]]
        if len(clusters) > 1:
            warn_geo(
                f"{source}: {len(clusters)} separate areas are named {name!r}; called {name!r}, "
                f"{name + ' (2)'!r}, ... (choose a name or parent field that tells them apart)"
            )
        for n, members in enumerate(clusters):
            first = frame.iloc[members[0]].copy()
            if len(members) > 1:
                warn_geo(f"{source}: {len(members)} features of {name!r} merged into one area")
                first["geometry"] = shapely.union_all(frame.geometry.values[members])
                countries = frame["country"].iloc[members].dropna()
                first["country"] = countries.iloc[0] if len(countries) else None
            if n > 0:
                first["name"] = f"{name} ({n + 1})"
            rows.append(first)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=frame.crs).reset_index(drop=True)


# --- the overlap rule ------------------------------------------------------------------------------


def _sample_lines(lines, spacing: float) -> np.ndarray:
    import shapely

    if lines is None or lines.is_empty:
        return np.empty((0, 2))
    dense = shapely.segmentize(lines, spacing)
    return shapely.get_coordinates(dense)


def split_overlap(a, b):
    """Split the overlap of polygons ``a`` and ``b`` (metric CRS) by depth: returns (to_a, to_b),
    the parts of the overlap that lie deeper in ``a`` and in ``b`` respectively."""
    import shapely
    from shapely.geometry import MultiPoint

    overlap = _polygonal(shapely.intersection(a, b))
    if overlap is None:
        return None, None
    # The overlap is bounded by a's boundary (inside b) and b's boundary (inside a). A point of the
    # overlap nearer to a's boundary lies shallower in a, so it goes to b, and vice versa.
    a_side = shapely.intersection(a.boundary, b)
    b_side = shapely.intersection(b.boundary, a)
    # Boundary both polygons share (the overlap reaching the union's outer edge) is equally deep in
    # both and would make a tie zone along it; the midline continued to that edge decides instead.
    shared = shapely.intersection(a.boundary, b.boundary)
    if not shared.is_empty and shared.length > 0:
        a_rest, b_rest = shapely.difference(a_side, shared), shapely.difference(b_side, shared)
        if a_rest.length > 0 and b_rest.length > 0:
            a_side, b_side = a_rest, b_rest
    total = (a_side.length if not a_side.is_empty else 0) + (b_side.length if not b_side.is_empty else 0)
    size = max(np.sqrt(overlap.area), 1e-6)
    spacing = float(np.clip(size / 200.0, 0.5, 100.0))
    spacing = max(spacing, total / 3000.0)  # bounds the work on long sliver borders
    pa = _sample_lines(a_side, spacing)
    pb = _sample_lines(b_side, spacing)
    if len(pa) == 0:
        return None, overlap
    if len(pb) == 0:
        return overlap, None
    points = np.vstack([pa, pb])
    label_b = np.concatenate([np.zeros(len(pa), bool), np.ones(len(pb), bool)])
    points, first = np.unique(np.round(points, 6), axis=0, return_index=True)
    label_b = label_b[first]
    envelope = overlap.envelope.buffer(size + spacing)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(MultiPoint(points), extend_to=envelope, ordered=True)
    )
    if len(cells) != len(points):  # should not happen with ordered=True; fall back to lookup
        tree = shapely.STRtree(cells)
        idx = tree.query(shapely.points(points), predicate="within")
        order = np.empty(len(points), dtype=int)
        order[idx[0]] = idx[1]
        cells = cells[order]
    near_b = shapely.coverage_union_all(cells[label_b])  # Voronoi cells tile the plane: a coverage
    to_a = _polygonal(shapely.intersection(overlap, near_b))
    to_b = _polygonal(shapely.difference(overlap, near_b))
    return to_a, to_b


def make_disjoint(frame, metric_crs, source: str = "areas"):
    """Apply the overlap rule (module docstring) and return the areas in the frame's CRS, disjoint."""
    import shapely

    if len(frame) < 2:
        return frame
    metric = frame.to_crs(metric_crs)
    geoms = np.array(metric.geometry.values, dtype=object)
    order = np.lexsort((frame["parent"].fillna("").astype(str).to_numpy(), frame["name"].astype(str).to_numpy()))
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    upper = left < right
    left, right = left[upper], right[upper]
    # neighbours that merely touch are the common case: keep pairs whose interiors meet
    inner = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    pairs = set(zip(left[inner].tolist(), right[inner].tolist(), strict=True))
    pairs = sorted(pairs, key=lambda p: (min(rank[p[0]], rank[p[1]]), max(rank[p[0]], rank[p[1]])))
    changed = np.zeros(len(geoms), dtype=bool)
    names = frame["name"].tolist()
    for i, j in pairs:
        if rank[i] > rank[j]:
            i, j = j, i
        a, b = geoms[i], geoms[j]
        if a is None or b is None or a.is_empty or b.is_empty:
            continue
        inter = shapely.intersection(a, b)
        if _polygonal(inter) is None or inter.area < MIN_OVERLAP_M2:
            continue
        smaller, larger = (i, j) if a.area <= b.area else (j, i)
        if inter.area >= NESTED_FRACTION * geoms[smaller].area:
            warn_geo(
                f"{source}: area {names[smaller]!r} lies inside {names[larger]!r}; it keeps the overlap and "
                f"{names[larger]!r} loses it (use one level of areas and a parent field for hierarchy)"
            )
            geoms[larger] = _polygonal(shapely.difference(geoms[larger], geoms[smaller]))
            changed[larger] = True
            continue
        to_a, to_b = split_overlap(a, b)
        if to_b is not None:
            geoms[i] = _polygonal(shapely.difference(a, to_b))
        if to_a is not None:
            geoms[j] = _polygonal(shapely.difference(b, to_a))
        changed[i] = changed[j] = True
    if not changed.any():
        return frame
    out = frame.copy()
    import geopandas as gpd

    back = gpd.GeoSeries(list(geoms), crs=metric_crs).to_crs(frame.crs)
    # reprojection moves vertices by rounding; the jagged split lines can then self-touch
    back = [g if g is None or g.is_valid else _polygonal(shapely.make_valid(g)) for g in back.values]
    new = [b if c else g for b, c, g in zip(back, changed, out.geometry.values, strict=True)]
    out = out.set_geometry(new, crs=frame.crs)
    empty = out.geometry.isna() | out.geometry.is_empty
    for name in out.loc[empty, "name"]:
        warn_geo(f"{source}: area {name!r} is left empty by the overlap rule; dropped")
    return out[~empty.to_numpy()].copy()

