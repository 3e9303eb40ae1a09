"""Frames: what the user pointed ``detect`` at, found, identified and opened.

``discover`` turns command-line inputs (files, folders searched recursively, globs, manifests) into
``FrameInput``s, and reports what it could not use instead of dropping it: an unsupported file named
on the command line fails, one found in a folder is listed as skipped. ``open_frame`` reads a frame's
header (EXIF, raster metadata) and hands back a tile source; pixels are read later, by the engine.

A frame's id is the first 16 hex digits of the sha256 of its bytes, so renaming or moving a file
keeps its id (and its finished detections, when a run is resumed), and the same picture saved twice
is recognised as one frame.

Folders are searched through symlinked subfolders too (each real folder once, so a link back up the
tree ends instead of looping; a folder reached twice is reported, not silently dropped). Only regular
files are read: a FIFO or a link to a device (``/dev/zero``) fails as that frame instead of blocking
or feeding the reader forever. Inputs that hold no image at all are a usage error.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from borderwatch.detector.manifest import is_manifest, read_manifest
from borderwatch.errors import ConfigError, InputError
from borderwatch.safe_read import not_regular_reason

PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
RASTER_EXTENSIONS = (".tif", ".tiff")
FRAME_EXTENSIONS = PHOTO_EXTENSIONS + RASTER_EXTENSIONS
WORLD_FILE_SUFFIXES = (".jgw", ".jpgw", ".pgw", ".pngw", ".wld", ".aux.xml")
KINDS = ("photo", "overhead")
KIND_CHOICES = ("auto", "photo", "overhead")
_GLOB_CHARS = set("*?[")
_CHUNK = 1 << 20


@dataclass
class FrameInput:
    """A file to treat as a frame, with whatever a manifest said about it."""

    path: Path  # absolute
    kind: str = "auto"  # auto, photo or overhead
    captured_at: datetime | None = None
    area: str | None = None
    lon: float | None = None
    lat: float | None = None
    origin: str = "argument"  # where it came from, for messages
    from_manifest: bool = False


@dataclass
class InputProblem:
    """Something named as input that is not a usable frame; becomes a row of frames.parquet."""

    path: Path
    reason: str  # one line, without the path itself (it may name the manifest that listed the file)
    status: str = "failed"  # failed, or skipped for unsupported files found in a folder
    kind: str = "photo"


@dataclass
class Discovery:
    frames: list[FrameInput] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Frame:
    """One frame as the tables describe it. Raster fields stay None for photos."""

    frame_id: str
    source_path: str
    kind: str
    captured_at: datetime | None = None
    area: str | None = None
    lon: float | None = None
    lat: float | None = None
    width: int | None = None
    height: int | None = None
    bands: int | None = None
    dtype: str | None = None
    crs: str | None = None
    transform: tuple[float, ...] | None = None
    gsd_m: float | None = None
    footprint: object | None = None  # shapely geometry in EPSG:4326; filled when the frame is processed

    @property
    def georeferenced(self) -> bool:
        return self.crs is not None and self.transform is not None


def _abs(path: Path) -> Path:
    """Absolute and without ``..`` (symlinks kept, so paths read as the user laid them out)."""
    return Path(os.path.abspath(path))


def frame_id_of(path: str | Path) -> str:
    """First 16 hex digits of the sha256 of the file's bytes, read in 1 MiB chunks.

    Raises OSError (EINVAL, saying what it is) for anything but a regular file: opening a FIFO
    blocks until someone writes to it, and a device never ends.
    """
    reason = not_regular_reason(path)
    if reason is not None:
        raise OSError(errno.EINVAL, reason, str(path))
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def placeholder_id(path: str | Path, origin: str = "") -> str:
    """An id for an input whose bytes cannot be read (missing file, bad manifest row)."""
    return hashlib.sha256(f"unreadable:{path}#{origin}".encode()).hexdigest()[:16]


def _is_frame_file(path: Path) -> bool:
    return path.suffix.lower() in FRAME_EXTENSIONS


def _belongs_to_frame(path: Path, frame_keys: set[str]) -> bool:
    """A sidecar such as ``scene.tif.aux.xml``, ``scene.tfw`` or ``scene.xmp`` of a frame in the same folder.

    GDAL reads these with the frame itself; they are not inputs of their own. ``frame_keys`` holds
    the folder's frame file names and their stems.
    """
    name = path.name
    dot = name.find(".")
    while dot > 0:
        if name[:dot] in frame_keys:
            return True
        dot = name.find(".", dot + 1)
    return False


def _walk(folder: Path, out: Discovery | None = None) -> Iterable[Path]:
    """Files under ``folder``, sorted, skipping hidden files and folders (.git, .DS_Store).

    Symlinked subfolders are followed; each real folder is visited once (a link that leads back up
    the tree, or to a folder already searched, is reported in ``out`` as skipped).
    """
    seen: dict[tuple[int, int], Path] = {}
    try:
        st = os.stat(folder)
        seen[(st.st_dev, st.st_ino)] = Path(folder)
    except OSError:
        pass
    for root, dirs, files in os.walk(folder, followlinks=True):
        keep = []
        for d in sorted(d for d in dirs if not d.startswith(".")):
            sub = Path(root) / d
            try:
                st = os.stat(sub)
            except OSError as exc:  # a dangling link to a folder
                if out is not None:
                    out.problems.append(InputProblem(_abs(sub), f"skipped: cannot enter folder ({exc.strerror or exc})",
                                                     status="skipped"))
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                if out is not None:
                    out.problems.append(InputProblem(
                        _abs(sub), f"skipped: the same folder as {seen[key]} (a symlink), searched once", status="skipped"))
                continue
            seen[key] = sub
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def _scan_folder(folder: Path, out: Discovery) -> list[FrameInput]:
    found: list[FrameInput] = []
    by_dir: dict[Path, list[Path]] = {}
    for path in _walk(folder, out):
        by_dir.setdefault(path.parent, []).append(path)
    for directory in sorted(by_dir):
        files = by_dir[directory]
        frame_keys = {key for p in files if _is_frame_file(p) for key in (p.name, p.stem)}
        unsupported: list[Path] = []
        for path in files:
            if _is_frame_file(path):
                found.append(FrameInput(_abs(path), origin=f"folder {folder}"))
            elif _belongs_to_frame(path, frame_keys):
                continue
            else:
                unsupported.append(path)
        for path in unsupported:
            why = (
                "a manifest inside a folder is not read; pass it as INPUT or with --manifest"
                if is_manifest(path)
                else f"unsupported file type {path.suffix or '(no extension)'!r}; "
                f"frames are {', '.join(e.lstrip('.') for e in FRAME_EXTENSIONS)}"
            )
            out.problems.append(InputProblem(_abs(path), f"skipped: {why}", status="skipped"))
    return found


def _expand(item: str, out: Discovery) -> tuple[list[FrameInput], list[Path]]:
    """Frames and manifests named by one command-line input."""
    path = Path(item).expanduser()
    if path.is_dir():
        return _scan_folder(path, out), []
    if path.is_file() or path.is_symlink():
        if is_manifest(path):
            return [], [path]
        if not _is_frame_file(path):
            out.problems.append(
                InputProblem(
                    _abs(path),
                    f"unsupported file type {path.suffix or '(no extension)'!r}; "
                    f"frames are {', '.join(e.lstrip('.') for e in FRAME_EXTENSIONS)}",
                )
            )
            return [], []
        return [FrameInput(_abs(path))], []
    if path.exists():  # neither file nor folder: a FIFO, a socket, a device
        out.problems.append(InputProblem(_abs(path), not_regular_reason(path) or "not a regular file; refused"))
        return [], []
    if _GLOB_CHARS & set(item):
        matches = sorted(glob.glob(str(path), recursive=True))
        if not matches:
            raise ConfigError(f"no file matches the pattern {item!r}")
        frames: list[FrameInput] = []
        manifests: list[Path] = []
        for match in matches:
            f, m = _expand(match, out)
            for fi in f:
                fi.origin = f"pattern {item}"
            frames += f
            manifests += m
        return frames, manifests
    raise ConfigError(f"no such file or folder: {item}")


def _manifest_frames(manifest_paths: list[Path], tz: tzinfo, out: Discovery) -> list[FrameInput]:
    """The frames the manifests name, each with its row's metadata; a manifest's problems go to ``out``."""
    from_manifests: list[FrameInput] = []
    for mpath in dict.fromkeys(_abs(p) for p in manifest_paths):
        try:
            manifest = read_manifest(mpath, tz)
        except InputError as exc:
            out.problems.append(InputProblem(mpath, exc.reason))
            continue
        out.warnings += manifest.warnings
        for entry in manifest.entries:
            from_manifests.append(
                FrameInput(
                    entry.path,
                    kind=entry.kind,
                    captured_at=entry.captured_at,
                    area=entry.area,
                    lon=entry.lon,
                    lat=entry.lat,
                    origin=f"{mpath.name} row {entry.row}",
                    from_manifest=True,
                )
            )
        for problem in manifest.problems:
            # a row naming a file: "<file>: <manifest>: row ..."; a row naming none: "<manifest>: row ..."
            reason = str(problem.error) if problem.path is not None else problem.error.reason
            out.problems.append(InputProblem(problem.path or mpath, reason))
    return from_manifests


def discover(
    inputs: Sequence[str | Path],
    manifests: Sequence[str | Path] = (),
    kind: str = "auto",
    tz: tzinfo | None = None,
) -> Discovery:
    """Every frame named by ``inputs`` (files, folders, globs, manifests) and ``manifests``.

    ``kind`` applies to frames whose manifest row does not name one. A file named twice is one frame;
    a manifest row's metadata wins over a bare mention. Raises ConfigError for a path or pattern that
    names nothing (a typo in the command, not bad data).
    """
    from datetime import UTC

    if kind not in KIND_CHOICES:
        raise ConfigError(f"kind must be one of {', '.join(KIND_CHOICES)}, got {kind!r}")
    tz = tz or UTC
    out = Discovery()
    plain: list[FrameInput] = []
    manifest_paths: list[Path] = []
    for item in inputs:
        f, m = _expand(str(item), out)
        plain += f
        manifest_paths += m
    for m in manifests:
        m = Path(m).expanduser()
        if not m.is_file():
            raise ConfigError(f"no such manifest: {m}")
        manifest_paths.append(m)

    from_manifests = _manifest_frames(manifest_paths, tz, out)

    # A file whose manifest row is bad fails with that row's reason rather than running without the
    # metadata the analyst meant it to have; a manifest given as input is not also a skipped file.
    refused = {Path(os.path.normpath(p.path)) for p in out.problems if p.status == "failed"}
    used = {_abs(p) for p in manifest_paths}
    out.problems = [p for p in out.problems if not (p.status == "skipped" and Path(os.path.normpath(p.path)) in used)]
    chosen: dict[Path, FrameInput] = {}
    for fi in from_manifests + plain:  # manifest rows first: their metadata wins
        key = Path(os.path.normpath(fi.path))
        if key in chosen or key in refused:
            continue
        if fi.kind == "auto":
            fi.kind = kind
        chosen[key] = fi
    # Keep the order the user gave: plain inputs where they were named, manifest rows after.
    order: dict[Path, int] = {}
    for i, fi in enumerate(plain + from_manifests):
        order.setdefault(Path(os.path.normpath(fi.path)), i)
    out.frames = sorted(chosen.values(), key=lambda fi: order[Path(os.path.normpath(fi.path))])
    if not out.frames and not any(p.status == "failed" for p in out.problems):
        # only skipped files (or nothing): a wrong folder, not a batch with bad frames
        skipped = len(out.problems)
        named = ", ".join(str(i) for i in [*inputs, *manifests]) or "(nothing)"
        raise ConfigError(
            f"no images in {named}: frames are {', '.join(e.lstrip('.') for e in FRAME_EXTENSIONS)}"
            + (f" ({skipped} other file(s) skipped)" if skipped else "")
        )
    return out


def has_world_file(path: Path) -> bool:
    return any(
        path.with_name(path.name + s).exists() or path.with_suffix(s).exists() for s in WORLD_FILE_SUFFIXES
    )


def resolve_kind(fi: FrameInput) -> str:
    """photo or overhead: as given, else overhead for TIFFs and world-filed images, photo otherwise."""
    if fi.kind in KINDS:
        return fi.kind
    suffix = fi.path.suffix.lower()
    return "overhead" if suffix in RASTER_EXTENSIONS or has_world_file(fi.path) else "photo"


@dataclass
class OpenedFrame:
    frame: Frame
    source: object  # ImageSource or RasterSource (both TileSource)
    warnings: list[str]

    def close(self) -> None:
        self.source.close()


def open_frame(fi: FrameInput, frame_id: str, tz: tzinfo, max_photo_pixels: int | None = None) -> OpenedFrame:
    """Read a frame's header and metadata and open its tile source; raises InputError for bad files.

    Times and places from a manifest win over EXIF and TIFF tags.
    """
    from borderwatch.detector.rasters import MAX_PHOTO_PIXELS, ImageSource, RasterSource

    kind = resolve_kind(fi)
    frame = Frame(frame_id, str(fi.path), kind, fi.captured_at, fi.area, fi.lon, fi.lat)
    warnings: list[str] = []
    if fi.path.stat().st_size == 0:
        raise InputError("empty file (0 bytes)", fi.path)
    if kind == "overhead" or fi.path.suffix.lower() in RASTER_EXTENSIONS:
        source = RasterSource(fi.path, tz, georeferenced=kind == "overhead")
        warnings += source.warnings
        frame.crs, frame.transform, frame.gsd_m = source.crs, source.transform, source.gsd_m
        if frame.captured_at is None:
            frame.captured_at = source.captured_at
    else:
        source = ImageSource(fi.path, tz, max_pixels=max_photo_pixels or MAX_PHOTO_PIXELS)
        warnings += source.exif.warnings
        if frame.captured_at is None:
            frame.captured_at = source.exif.captured_at
        if frame.lon is None and source.exif.lon is not None:
            frame.lon, frame.lat = source.exif.lon, source.exif.lat
    frame.width, frame.height, frame.bands, frame.dtype = source.width, source.height, source.bands, source.dtype
    return OpenedFrame(frame, source, warnings)
