"""Reading a detection run: frames.parquet, detections.parquet, run.json and the model card.

Readers are defensive: a table may be GeoParquet or plain Parquet with WKB geometry (or none, for
runs of photos only), times may be naive (taken as UTC), run.json may be missing or partial.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from borderwatch.errors import InputError, warn_geo
from borderwatch.geoparquet import read_frame
from borderwatch.tables import DETECTIONS, FRAMES, Table, cell_float

RUN_JSON = "run.json"


def _utc(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC")
    return pd.to_datetime(series, utc=True, errors="coerce")


def read_table(path: Path, spec: Table):
    """A run table as a GeoDataFrame in EPSG:4326 (geometry may be all null)."""
    if not path.exists():
        raise InputError(f"{spec.name} not found (run `borderwatch detect` first)", path)
    try:
        df = read_frame(path)
    except Exception as exc:
        raise InputError(f"cannot read {spec.name}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}", path) from exc
    spec.validate(df, str(path))
    if "captured_at" in df.columns:
        df["captured_at"] = _utc(df["captured_at"])
    return df


def read_run(run_dir: str | Path):
    """(frames, detections, run_info) of a run folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError("run folder not found", run_dir)
    frames = read_table(run_dir / FRAMES.name, FRAMES)
    detections = read_table(run_dir / DETECTIONS.name, DETECTIONS)
    info = read_run_json(run_dir)
    return frames, detections, info


def read_run_json(run_dir: Path) -> dict:
    path = Path(run_dir) / RUN_JSON
    if not path.exists():
        warn_geo(f"{path}: missing; the detection run may be unfinished (counting the tables as they are)")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        warn_geo(f"{path}: unreadable ({exc}); no model card will be found from it")
        return {}
    return data if isinstance(data, dict) else {}


def _model_entries(info: dict) -> list[dict]:
    """Model descriptions in run.json, wherever the writer put them."""
    found: list[dict] = []
    if isinstance(info.get("card_path"), str):  # a RunManifest kind entry names its card's file
        found.append({"card_path": info["card_path"], "name": info.get("card"), "sha256": info.get("weights_sha256")})
    candidates = [info.get("model"), (info.get("config") or {}).get("model") if isinstance(info.get("config"), dict) else None]
    models = info.get("models")
    if isinstance(models, list):
        candidates.extend(models)
    elif isinstance(models, dict):
        candidates.extend(models.values())
    for c in candidates:
        if isinstance(c, dict):
            found.append(c)
        elif isinstance(c, str) and c:
            found.append({"name": c})
    return found


def find_card(info: dict, card=None, run_dir: Path | None = None):
    """The model card to calibrate with: ``card`` (a ModelCard or a path to one) when given, else the
    card of the model run.json names (by card path, then sha256, then name, in the model folders)."""
    from borderwatch.detector.card import ModelCard, load_card

    if isinstance(card, ModelCard):
        return card
    if card is not None:
        return load_card(card)
    entries = _model_entries(info)
    for e in entries:
        path = e.get("card") or e.get("card_path")
        if isinstance(path, str):
            p = Path(path)
            if not p.is_absolute() and run_dir is not None:
                p = run_dir / p
            if p.exists():
                return load_card(p)
    try:
        from borderwatch.detector.registry import iter_cards
    except ImportError:  # the registry is optional for counting
        return None
    try:
        cards = [entry.card for entry in iter_cards()]
    except InputError as exc:
        warn_geo(f"model cards unreadable: {exc}")
        return None
    for e in entries:
        sha = e.get("sha256")
        if isinstance(sha, str):
            match = next((c for c in cards if c.sha256 and c.sha256.lower() == sha.lower()), None)
            if match is not None:
                return match
    for e in entries:
        name = e.get("name")
        if isinstance(name, str):
            match = next((c for c in cards if c.name == name), None)
            if match is not None:
                return match
    return None


@dataclass(frozen=True)
class KindRun:
    """What detected the frames of one kind (photo or overhead): model name, its card, the score
    threshold (``conf_per_class``: the classes kept at another one) and the model-input GSD it ran at
    (None when run.json does not say), and the taxonomy classes the model can output (None: not
    recorded, every class)."""

    model: str | None
    card: object | None
    conf: float | None
    gsd_m: float | None
    conf_per_class: dict[str, float] = field(default_factory=dict)
    classes: tuple[str, ...] | None = None

    def threshold(self, vehicle_class: str) -> float | None:
        """The score threshold the detections of ``vehicle_class`` were kept at."""
        return self.conf_per_class.get(vehicle_class, self.conf)


def _kind_section(info: dict, kind: str) -> dict:
    """The part of run.json about one kind of frame: the RunManifest's per-kind entry, the merged
    run's per-kind run.json (two models), or the whole run (one model for every frame)."""
    for key in ("kinds", "per_kind"):
        section = info.get(key)
        if isinstance(section, dict) and isinstance(section.get(kind), dict):
            inner = section[kind].get("kinds") if key == "per_kind" else None
            if isinstance(inner, dict) and isinstance(inner.get(kind), dict):
                # a merged run: that kind's own run.json, whose RunManifest entry says how it ran
                return {**section[kind], **inner[kind], "model": section[kind].get("model")}
            return section[kind]
    models = info.get("models")
    if isinstance(models, dict) and isinstance(models.get(kind), dict):
        return {**info, "model": models[kind], "models": None}
    return info


def kind_run(info: dict, kind: str, card=None, run_dir: Path | None = None) -> KindRun:
    """The model, card, threshold and GSD the frames of ``kind`` were detected with (see ``_kind_section``)."""
    section = _kind_section(info, kind)
    model = section.get("model")
    name = model.get("name") if isinstance(model, dict) else (model if isinstance(model, str) else None)
    found = find_card(section, card, run_dir)
    config = section.get("config") if isinstance(section.get("config"), dict) else {}
    slicing = config.get("slicing") if isinstance(config.get("slicing"), dict) else {}
    conf = cell_float(section.get("conf")) or cell_float(slicing.get("conf"))
    gsd = cell_float(section.get("gsd_m")) or cell_float(section.get("model_gsd_m"))
    inference = getattr(found, "inference", None)
    if gsd is None and inference is not None:
        gsd = cell_float(getattr(inference, "gsd_m", None))
    per_class: dict[str, float] = {}
    if conf is None and inference is not None:  # run.json says nothing: the card's thresholds
        conf = cell_float(getattr(inference, "conf", None))
        per_class = dict(getattr(inference, "conf_per_class", None) or {})
    recorded = section.get("conf_per_class")
    if isinstance(recorded, dict):
        per_class = {str(k): f for k, v in recorded.items() if (f := cell_float(v)) is not None}
    classes = section.get("classes")
    classes = tuple(str(c) for c in classes) if isinstance(classes, list) else None
    return KindRun(name, found, conf, gsd, per_class, classes)
