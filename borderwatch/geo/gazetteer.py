"""The border cities borderwatch knows by name: places, provinces, aliases, centres, urban cores.

The gazetteer (``data/gazetteer.json``) is written by the project from general knowledge. Each place
has a canonical English name (used everywhere as the area name), its country (KP or CN), a canonical
province, aliases in English (romanisation variants), Korean and Chinese, an approximate centre, a
default urban-core radius and the city across the river (``partner``).

Name matching folds case, diacritics (Sinŭiju = Sinuiju), apostrophes (Ch'ŏngjin = Chongjin) and
hyphens/whitespace (Rajin-Sonbong = Rajin Sonbong). Latin aliases match whole words only ("Jian" is
not found in "Jiangxi"); Korean and Chinese aliases match anywhere, because particles attach to the
name (혜산에서). Phrases listed as ``not_aliases`` (长白山, Tumen River) block the place they contain.

The default urban core of a place is a disc of ``radius_km`` around its centre, buffered in the UTM
zone of the centre (a local metric CRS) and returned in EPSG:4326. Real administrative polygons
(OSM, GADM, Amap) given with ``--areas`` replace these cores.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from borderwatch.errors import InputError

DATA_PATH = Path(__file__).with_name("data") / "gazetteer.json"

_APOSTROPHES = set("'’‘ʼʻ`´")
_SPACES = set("-‐‑‒–—_/")


def _fold_char(ch: str) -> str:
    """One character, folded for matching ('' when it is dropped)."""
    if ch in _APOSTROPHES:
        return ""
    if ch in _SPACES or ch.isspace():
        return " "
    if "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f":
        return ch  # Hangul stays whole: decomposing it into jamo would allow matches mid-syllable
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold_text(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each folded character, the index of the original character it came from.

    Runs of spaces collapse to one space so "Rajin -  Sonbong" folds like "Rajin-Sonbong".
    """
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for f in _fold_char(ch):
            if f == " " and (not out or out[-1] == " "):
                continue
            out.append(f)
            index.append(i)
    return "".join(out), index


def fold(text: str) -> str:
    """The folded form of a name, for dictionary lookups."""
    return fold_text(text)[0].strip()


def _is_latin_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class Place:
    """A border city or county of the gazetteer."""

    name: str
    country: str
    province: str
    lon: float
    lat: float
    radius_km: float
    kind: str = "city"
    prefecture: str | None = None
    partner: str | None = None
    partner_note: str | None = None
    aliases_en: tuple[str, ...] = ()
    aliases_ko: tuple[str, ...] = ()
    aliases_zh: tuple[str, ...] = ()
    not_aliases: tuple[str, ...] = ()

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every name of the place, the canonical one first."""
        seen: dict[str, None] = {self.name: None}
        for a in (*self.aliases_en, *self.aliases_ko, *self.aliases_zh):
            seen.setdefault(a, None)
        return tuple(seen)

    @property
    def utm_epsg(self) -> int:
        """EPSG code of the UTM zone of the centre (WGS 84 / UTM, north or south)."""
        zone = min(60, int((self.lon + 180.0) // 6.0) + 1)
        return (32600 if self.lat >= 0 else 32700) + zone

    def core_polygon(self, crs: str | int = "EPSG:4326", radius_km: float | None = None):
        """The default urban core: a disc of ``radius_km`` around the centre, built in the local UTM
        zone (so it is round on the ground) and returned in ``crs`` (a shapely Polygon)."""
        import shapely
        from pyproj import CRS, Transformer
        from shapely.geometry import Point

        radius_m = 1000.0 * (self.radius_km if radius_km is None else radius_km)
        if radius_m <= 0:
            raise ValueError(f"{self.name}: core radius must be positive, got {radius_m / 1000} km")
        utm = CRS.from_epsg(self.utm_epsg)
        to_utm = Transformer.from_crs("EPSG:4326", utm, always_xy=True)
        x, y = to_utm.transform(self.lon, self.lat)
        disc = Point(x, y).buffer(radius_m, quad_segs=32)
        from_utm = Transformer.from_crs(utm, CRS.from_user_input(crs), always_xy=True)
        return shapely.transform(disc, lambda xy: np.column_stack(from_utm.transform(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class Province:
    name: str
    country: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mention:
    """Where a name occurs in a text (offsets into the original text, end exclusive)."""

    place: Place
    start: int
    end: int


@dataclass
class Gazetteer:
    """Places and provinces with alias lookup. Build it with ``load_gazetteer``."""

    places: tuple[Place, ...]
    provinces: tuple[Province, ...]
    source: str = ""
    _by_name: dict[str, Place] = field(default_factory=dict, init=False, repr=False)
    _by_alias: dict[str, Place] = field(default_factory=dict, init=False, repr=False)
    _province_by_alias: dict[str, Province] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for p in self.places:
            if p.name in self._by_name:
                raise InputError(f"place {p.name!r} appears twice", self.source)
            self._by_name[p.name] = p
        for p in self.places:
            for alias in p.aliases:
                key = fold(alias)
                other = self._by_alias.get(key)
                if other is not None and other is not p:
                    raise InputError(f"alias {alias!r} names both {other.name} and {p.name}", self.source)
                self._by_alias[key] = p
        known = {pr.name for pr in self.provinces}
        for p in self.places:
            if p.province not in known:
                raise InputError(f"place {p.name!r} is in unknown province {p.province!r}", self.source)
            if p.partner is not None and p.partner not in self._by_name:
                raise InputError(f"place {p.name!r} has unknown partner {p.partner!r}", self.source)
        for pr in self.provinces:
            for alias in (pr.name, *pr.aliases):
                self._province_by_alias[fold(alias)] = pr

    # --- lookups -------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Place]:
        return iter(self.places)

    def __len__(self) -> int:
        return len(self.places)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and fold(name) in self._by_alias

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.places]

    def get(self, name: str) -> Place:
        """The place called ``name`` (canonical name or any alias); KeyError when unknown."""
        place = self._by_name.get(name) or self._by_alias.get(fold(name))
        if place is None:
            raise KeyError(f"{name!r} is not in the gazetteer (known: {', '.join(self.names)})")
        return place

    def find(self, text: str | None) -> Place | None:
        """The place a name or short text refers to: an exact alias first, else the first place
        mentioned in the text ("Hyesan, Ryanggang" -> Hyesan); None when no place is named."""
        if not text or not isinstance(text, str):
            return None
        exact = self._by_alias.get(fold(text))
        if exact is not None:
            return exact
        mentions = self.find_all_in(text)
        return mentions[0][0] if mentions else None

    def find_all_in(self, text: str) -> list[tuple[Place, int, int]]:
        """Every place mentioned in ``text`` as (place, start, end), in order of appearance.

        Where aliases overlap the longest wins ("Rajin-Sonbong" over "Rajin"; "长白山", a blocked
        phrase, over "长白"); offsets are into the original text, end exclusive.
        """
        return [(m.place, m.start, m.end) for m in self._scan(text, self._place_pattern)]

    def provinces_of(self, text: str) -> list[str]:
        """Canonical names of the provinces mentioned in ``text``, in order of first appearance."""
        out: list[str] = []
        for m in self._scan(text, self._province_pattern):
            if m.place not in out:
                out.append(m.place)
        return out

    def province(self, name: str) -> str | None:
        """The canonical province for a province name or alias (Yanggang -> Ryanggang)."""
        pr = self._province_by_alias.get(fold(name))
        return pr.name if pr else None

    def places_in_province(self, province: str) -> list[Place]:
        canonical = self.province(province) or province
        return [p for p in self.places if p.province == canonical]

    def partner_of(self, name: str) -> Place | None:
        partner = self.get(name).partner
        return self._by_name[partner] if partner else None

    # --- matching machinery ----------------------------------------------------------------------

    @staticmethod
    def _pattern(entries: dict[str, object]) -> tuple[re.Pattern, dict[str, object]]:
        keys = sorted((k for k in entries if k), key=lambda k: (-len(k), k))
        parts = []
        for k in keys:
            body = re.escape(k)
            # whole words for Latin names; CJK names attach to particles and have no word breaks
            left = r"(?<![a-z0-9])" if _is_latin_word_char(k[0]) else ""
            right = r"(?![a-z0-9])" if _is_latin_word_char(k[-1]) else ""
            parts.append(f"{left}{body}{right}")
        return re.compile("|".join(parts)), entries

    @cached_property
    def _place_pattern(self) -> tuple[re.Pattern, dict[str, object]]:
        entries: dict[str, object] = {k: p for k, p in self._by_alias.items()}
        for p in self.places:
            for blocked in p.not_aliases:
                entries[fold(blocked)] = None
        return self._pattern(entries)

    @cached_property
    def _province_pattern(self) -> tuple[re.Pattern, dict[str, object]]:
        return self._pattern({k: pr.name for k, pr in self._province_by_alias.items()})

    @staticmethod
    def _scan(text: str, compiled: tuple[re.Pattern, dict[str, object]]) -> list[Mention]:
        if not text:
            return []
        pattern, entries = compiled
        folded, index = fold_text(text)
        out = []
        for m in pattern.finditer(folded):
            target = entries.get(m.group(0))
            if target is None:
                continue
            out.append(Mention(target, index[m.start()], index[m.end() - 1] + 1))  # type: ignore[arg-type]
        return out


def _place_from(entry: dict, source: str) -> Place:
    try:
        aliases = entry.get("aliases", {})
        return Place(
            name=entry["name"],
            country=entry["country"],
            province=entry["province"],
            lon=float(entry["lon"]),
            lat=float(entry["lat"]),
            radius_km=float(entry["radius_km"]),
            kind=entry.get("kind", "city"),
            prefecture=entry.get("prefecture"),
            partner=entry.get("partner"),
            partner_note=entry.get("partner_note"),
            aliases_en=tuple(aliases.get("en", ())),
            aliases_ko=tuple(aliases.get("ko", ())),
            aliases_zh=tuple(aliases.get("zh", ())),
            not_aliases=tuple(entry.get("not_aliases", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"gazetteer place {entry.get('name', '?')!r} is malformed: {exc!r}", source) from exc


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Load the gazetteer (the project's own ``data/gazetteer.json`` unless ``path`` is given)."""
    path = Path(path) if path is not None else DATA_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read gazetteer: {exc}", path) from exc
    if not isinstance(data, dict) or not isinstance(data.get("places"), list):
        raise InputError("gazetteer must be an object with a 'places' list", path)
    provinces = tuple(
        Province(p["name"], p["country"], tuple(p.get("aliases", ()))) for p in data.get("provinces", [])
    )
    places = tuple(_place_from(e, str(path)) for e in data["places"])
    return Gazetteer(places, provinces, source=str(path))


def default_areas(gazetteer: Gazetteer | None = None, places: list[str] | None = None):
    """The gazetteer's urban cores as a GeoDataFrame (name, parent, country, province, geometry) in
    EPSG:4326. Cores of cities facing each other across the river overlap; ``areas.prepare_areas``
    splits such overlaps by the documented rule."""
    import geopandas as gpd

    gaz = gazetteer or load_gazetteer()
    chosen = [gaz.get(n) for n in places] if places else list(gaz.places)
    return gpd.GeoDataFrame(
        {
            "name": [p.name for p in chosen],
            "parent": [None] * len(chosen),
            "country": [p.country for p in chosen],
            "province": [p.province for p in chosen],
        },
        geometry=[p.core_polygon() for p in chosen],
        crs="EPSG:4326",
    )
