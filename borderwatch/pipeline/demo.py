"""``borderwatch demo``: the whole pipeline on sample imagery and a few fictional articles.

Where the samples come from, in order: ``$BORDERWATCH_SAMPLES`` (a folder with ``street/`` and
``geotiffs/``), the sample pack already in the user cache, or the sample pack downloaded now (URLs
and sha256 in ``data/demo/samples.yaml``). ``data/demo/demo.yaml`` says where and when each sample
is placed: photos get an area and a time through a manifest, GeoTIFFs are copied with their
georeference moved into a border city. Nothing in the demo is a real observation of those cities,
and the report says so at the top.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from borderwatch.errors import BorderwatchError, InputError, warn_run
from borderwatch.progress import SILENT, Progress

ENV_SAMPLES = "BORDERWATCH_SAMPLES"
ENV_MODELS = "BORDERWATCH_MODELS"
# The shipped photo default (models/borderwatch-photo.yaml), a fused ensemble: its COCO member
# yolo11n_coco_from_int8.pt is found in $BORDERWATCH_MODELS; without it the card falls back to the
# registry's yolo11n (downloaded once, sha256-checked). Its heavy-equipment member ships in models/.
PHOTO_MODEL = "borderwatch-photo"
OVERHEAD_MODEL = "borderwatch-overhead"
DOWNLOAD_TIMEOUT_S = 60


class DemoUnavailable(BorderwatchError):
    """The demo has no sample imagery to run on; the message says what to do."""


def demo_data() -> Path:
    return Path(str(resources.files("borderwatch.pipeline") / "data" / "demo"))


def _spec() -> dict:
    return yaml.safe_load((demo_data() / "demo.yaml").read_text(encoding="utf-8"))


def _pack() -> dict:
    return yaml.safe_load((demo_data() / "samples.yaml").read_text(encoding="utf-8"))


def _wanted(spec: dict) -> list[str]:
    return [item["sample"] for item in spec.get("photos", []) + spec.get("rasters", [])]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def pack_dir() -> Path:
    from borderwatch.detector.weights import cache_root

    return cache_root() / "samples" / str(_pack()["pack"])


def download_pack(target: Path, quiet: bool = False, progress: Progress = SILENT) -> Path:
    """Fetch every file of the pinned pack into ``target``, each checked against its sha256."""
    progress = SILENT if quiet else progress
    pack = _pack()
    for entry in pack["files"]:
        dest = target / entry["path"]
        if dest.exists() and _sha256(dest) == entry["sha256"]:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        progress.note(f"downloading {entry['url']}")
        try:
            with urllib.request.urlopen(entry["url"], timeout=DOWNLOAD_TIMEOUT_S) as response, open(tmp, "wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            reason = getattr(exc, "reason", exc)
            raise DemoUnavailable(_no_samples_message(f"downloading the sample pack failed ({reason})")) from exc
        actual = _sha256(tmp)
        if actual != entry["sha256"]:
            tmp.unlink(missing_ok=True)
            raise DemoUnavailable(
                f"{entry['url']} has sha256 {actual}, expected {entry['sha256']}; the file was not kept. "
                + _no_samples_message("")
            )
        os.replace(tmp, dest)
    return target


def _no_samples_message(why: str) -> str:
    lead = f"{why}. " if why else ""
    return (
        f"{lead}The demo needs sample imagery: set {ENV_SAMPLES} to a folder holding street/ and geotiffs/ "
        f"(for a checkout with its shared data: export {ENV_SAMPLES}=/path/to/shared/data), or run "
        f"`borderwatch demo` once on a machine with a network so it can download its sample pack "
        f"(a few MB, sha256-checked) into {pack_dir()} (or copy a downloaded pack there)."
    )


def find_samples(progress: Progress = SILENT, allow_download: bool = True) -> Path:
    """The folder of sample imagery to use (see the module doc for the order)."""
    wanted = _wanted(_spec())
    env = os.environ.get(ENV_SAMPLES)
    if env:
        folder = Path(env).expanduser()
        if not folder.is_dir():
            raise DemoUnavailable(f"{ENV_SAMPLES}={env} is not a folder. " + _no_samples_message(""))
        if not any((folder / w).is_file() for w in wanted):
            raise DemoUnavailable(
                f"{ENV_SAMPLES}={env} holds none of the demo's samples ({', '.join(wanted)}). "
                + _no_samples_message("")
            )
        return folder
    cached = pack_dir()
    if all((cached / e["path"]).is_file() for e in _pack()["files"]):
        return cached
    if not allow_download:
        raise DemoUnavailable(_no_samples_message(f"{ENV_SAMPLES} is not set and no sample pack is cached"))
    progress.note(f"{ENV_SAMPLES} is not set; fetching the demo's sample pack into {cached}")
    return download_pack(cached, progress=progress)


def place_raster(source: Path, target: Path, lon: float, lat: float) -> Path:
    """Copy a GeoTIFF block by block with its georeference moved to be centred on (lon, lat).

    Pixels, bands, nodata and alpha are unchanged; the ground sample distance is kept and the CRS
    becomes the UTM zone of (lon, lat). The original CRS and transform go into the copy's tags.
    """
    import rasterio
    from affine import Affine
    from pyproj import Transformer

    zone = int((lon + 180) // 6) + 1
    utm = f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"
    x, y = Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(lon, lat)
    tmp = target.with_name(f".{target.name}.part")
    with rasterio.open(source) as src:
        if src.crs is None or not src.crs.is_projected:
            raise InputError("the demo places projected GeoTIFFs only (metres per pixel)", source)
        gsd_x, gsd_y = abs(src.transform.a), abs(src.transform.e)
        transform = Affine(gsd_x, 0.0, x - src.width * gsd_x / 2, 0.0, -gsd_y, y + src.height * gsd_y / 2)
        profile = src.profile.copy()
        profile.update(crs=utm, transform=transform, driver="GTiff")
        with rasterio.open(tmp, "w", **profile) as dst:
            for _, window in src.block_windows(1):
                dst.write(src.read(window=window), window=window)
            dst.colorinterp = src.colorinterp
            dst.update_tags(
                **src.tags(),
                BORDERWATCH_DEMO_NOTE="sample imagery relocated for the borderwatch demo; not a real observation",
                BORDERWATCH_DEMO_ORIGINAL_CRS=src.crs.to_string(),
                BORDERWATCH_DEMO_ORIGINAL_TRANSFORM=",".join(f"{v:.6f}" for v in tuple(src.transform)[:6]),
            )
    os.replace(tmp, target)
    return target


def _link(source: Path, target: Path) -> None:
    """A hard link (no copy on one file system) or a copy of a sample photo. Not a symlink: manifests
    refuse paths that lead through one out of their folder."""
    if target.exists() or target.is_symlink():
        target.unlink()
    try:
        os.link(source.resolve(), target)
    except OSError:
        shutil.copy2(source, target)


def _models() -> dict:
    """The shipped photo model; the project's overhead model if present (else the photo model reads the rasters)."""
    from borderwatch.detector.registry import resolve_model

    try:
        resolve_model(OVERHEAD_MODEL, allow_download=False)
        overhead = OVERHEAD_MODEL
    except BorderwatchError:
        overhead = None  # not trained/installed here: the photo model reads the rasters too
    return {"photo": PHOTO_MODEL, "overhead": overhead}


def check_photo_model(progress: Progress = SILENT, allow_download: bool = True) -> None:
    """Resolve the demo's photo model before any stage runs, so a missing member weight stops the demo
    with one line saying what to set, not a failed detect stage. Without the COCO member in
    $BORDERWATCH_MODELS the card's fallback (the registry's yolo11n) is downloaded once, if allowed."""
    from borderwatch.detector.registry import download_dir, resolve_model

    try:
        resolve_model(PHOTO_MODEL, allow_download=False)
        return
    except BorderwatchError as exc:
        reason = getattr(exc, "reason", None) or str(exc)
    where = (f"set {ENV_MODELS} to a folder holding yolo11n_coco_from_int8.pt (for a checkout with its shared "
             f"data: export {ENV_MODELS}=/path/to/shared/models)")
    if allow_download:
        progress.note(f"{PHOTO_MODEL}: its COCO member is not here; using the fallback yolo11n from the registry "
                      f"(downloaded once into {download_dir()}); to use the int8-derived member, {where}")
        try:
            resolve_model(PHOTO_MODEL, allow_download=True)
            return
        except BorderwatchError as exc:
            reason = getattr(exc, "reason", None) or str(exc)
    raise DemoUnavailable(
        f"the demo's photo model {PHOTO_MODEL} cannot be loaded ({reason}). To run the demo, {where}, or run it "
        f"once with a network so the fallback yolo11n is downloaded into {download_dir()}."
    )


def _overhead_threshold(models: dict) -> float | None:
    """The score threshold the overhead model's card measured precision and recall at, so the demo's
    overhead counts can be calibrated (a card with an ``inference.conf`` sets it itself)."""
    from borderwatch.detector.registry import resolve_model

    if not models.get("overhead"):
        return None
    try:
        card = resolve_model(models["overhead"], allow_download=False).card
    except BorderwatchError:
        return None
    if card is None or getattr(getattr(card, "inference", None), "conf", None) is not None:
        return None
    thresholds = {m.operating_threshold for m in card.metrics if m.operating_threshold is not None}
    return thresholds.pop() if len(thresholds) == 1 else None


@dataclass
class DemoSetup:
    config: Path
    samples: Path
    frames: int
    skipped: list[str]


def prepare_demo(out: Path, progress: Progress = SILENT, allow_download: bool = True) -> DemoSetup:
    """Write the demo's imagery folder, manifest, articles and config under ``out``."""
    spec = _spec()
    samples = find_samples(progress, allow_download)
    out = out.absolute()
    imagery = out / "imagery"
    imagery.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], []
    for item in spec.get("photos", []):
        source = samples / item["sample"]
        if not source.is_file():
            skipped.append(item["sample"])
            continue
        name = Path(item["sample"]).name
        _link(source, imagery / name)
        rows.append({"path": name, "kind": "photo", "area": item["area"], "captured_at": item["captured_at"]})
    for item in spec.get("rasters", []):
        source = samples / item["sample"]
        if not source.is_file():
            skipped.append(item["sample"])
            continue
        name = f"placed_{Path(item['sample']).name}"
        target = imagery / name
        if not target.exists():  # placing is deterministic; keeping the copy keeps detection's resume key
            place_raster(source, target, float(item["place_at"]["lon"]), float(item["place_at"]["lat"]))
        rows.append({"path": name, "kind": "overhead", "captured_at": item["captured_at"]})
    if not rows:
        raise DemoUnavailable(_no_samples_message(f"none of the demo's samples is in {samples}"))
    for name in skipped:
        warn_run(f"demo sample {name} is not in {samples}; the demo goes on without it")
    manifest = imagery / "manifest.yaml"
    manifest.write_text(
        "# The demo's manifest: which border city each sample is placed in, and when (invented).\n"
        + yaml.safe_dump({"frames": rows}, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    articles = out / "articles"
    articles.mkdir(exist_ok=True)
    for article in sorted((demo_data() / "articles").glob("*.json")):
        shutil.copyfile(article, articles / article.name)
    models = _models()
    detection = {"conf": conf} if (conf := _overhead_threshold(models)) is not None else {}
    config = {
        "title": spec["title"],
        "notice": " ".join(spec["notice"].split()),
        "demo": True,
        "inputs": ["imagery/manifest.yaml"],
        "models": models,
        **({"detection": detection} if detection else {}),
        "counts": spec.get("counts", {"by": "day"}),
        "articles": ["articles"],
        "outputs": {"run_dir": "run", "pdf": True},
    }
    path = out / "demo.yaml"
    path.write_text(
        "# Written by `borderwatch demo`; edit it and run `borderwatch run demo.yaml` to try changes.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return DemoSetup(path, samples, len(rows), skipped)


def run_demo(out: str | Path, quiet: bool = False, force: bool = False, models: dict | None = None,
             progress: Progress = SILENT):
    """Prepare the demo under ``out`` and run the pipeline; returns the PipelineResult.

    ``progress`` hears what is being done (``quiet``: nothing, and no bars); problems are warnings.
    """
    from borderwatch.pipeline.runner import run_pipeline

    progress = SILENT if quiet else progress
    setup = prepare_demo(Path(out), progress)
    if not (models or {}).get("photo"):  # a caller's own photo model needs no check here
        check_photo_model(progress)
    progress.note(f"demo: {setup.frames} sample frame(s) from {setup.samples}")
    return run_pipeline(setup.config, quiet=quiet, force=force, models=models, progress=progress)
