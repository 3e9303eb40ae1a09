"""The model registry: model cards in ``models/`` (and ``$BORDERWATCH_MODELS``) resolved to files.

``resolve_model(spec)`` turns what a user typed after ``--model`` into a file, in this order:

1. an explicit path to a weights file or an OpenVINO folder;
2. a model named by a card (or a weights file named so) in a local models folder: the
   ``models_dir`` argument, then ``$BORDERWATCH_MODELS``, then the ``models/`` folder of this checkout;
3. the card's file already downloaded into the user cache (``$BORDERWATCH_CACHE/models`` or
   ``~/.cache/borderwatch/models``);
4. a download from the card's ``url`` into that cache, streamed to a temporary file, checked against
   the card's sha256 and only then renamed into place;
5. otherwise ``ModelNotFoundError`` naming the model and the folders to put it in.

Nothing here touches the network at import; only step 4 does, and only when ``allow_download``.

Cards describe; only some vouch. Whether a pickle may be loaded is decided by ``borderwatch.trust``
alone (a card shipped with borderwatch, a pin the user made, or ``--trust-weights``); a card in
``models_dir`` or ``$BORDERWATCH_MODELS`` lends its name, classes and metrics, never trust. Nor may
such a card take the name of a shipped model: that clash is an error naming both cards.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from borderwatch.detector.card import ModelCard, load_card
from borderwatch.detector.resolved import ResolvedModel
from borderwatch.detector.weights import cache_root, detect_format, needs_trust, sha256_of
from borderwatch.errors import InputError, ModelNotFoundError, UntrustedWeightsError
from borderwatch.taxonomy import ClassMapping, guess_mapping, mapping_for

ENV_MODELS = "BORDERWATCH_MODELS"
CARD_SUFFIXES = (".yaml", ".yml")
DOWNLOAD_TIMEOUT_S = 60


def package_models_dir() -> Path:
    """The project's ``models/`` folder: beside the package in a checkout, else where pip put it.

    A wheel installs the folder as data files under ``<prefix>/share/borderwatch/models``.
    """
    from borderwatch.trust import shipped_models_dir

    return shipped_models_dir()


def models_dirs(models_dir: Path | None = None) -> list[Path]:
    """Local model folders in resolution order (existing ones only, no repeats)."""
    candidates: list[Path] = []
    if models_dir is not None:
        candidates.append(Path(models_dir))
    env = os.environ.get(ENV_MODELS)
    if env:
        candidates.extend(Path(p).expanduser() for p in env.split(os.pathsep) if p)
    candidates.append(package_models_dir())
    seen: set[Path] = set()
    out = []
    for c in candidates:
        key = c.resolve()
        if key not in seen and c.is_dir():
            seen.add(key)
            out.append(c)
    return out


def download_dir() -> Path:
    return cache_root() / "models"


@dataclass(frozen=True)
class CardEntry:
    """A model card and where it was found."""

    card: ModelCard
    card_path: Path

    @property
    def local_file(self) -> Path | None:
        """The card's weights beside the card, if present."""
        if not self.card.file:
            return None
        path = self.card_path.parent / self.card.file
        return path if path.exists() else None

    @property
    def cached_file(self) -> Path | None:
        name = self.download_name
        path = download_dir() / name if name else None
        return path if path is not None and path.exists() else None

    @property
    def download_name(self) -> str | None:
        if self.card.file:
            return Path(self.card.file).name
        if self.card.url:
            return Path(self.card.url.split("?")[0]).name or None
        return None


def iter_cards(models_dir: Path | None = None, problems: list[InputError] | None = None) -> Iterable[CardEntry]:
    """Valid cards of the local folders; a broken card is skipped (and appended to ``problems``).

    One malformed card in a shared models folder must not stop every other model from resolving.
    """
    for folder in models_dirs(models_dir):
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in CARD_SUFFIXES and path.is_file():
                try:
                    yield CardEntry(load_card(path), path)
                except InputError as exc:
                    if problems is not None:
                        problems.append(exc)


class CardClash(InputError):
    """A card outside the shipped models folder uses the name of a shipped model."""

    def __init__(self, name: str, planted: Path, shipped: Path):
        self.name = name
        super().__init__(
            f"model card uses the name {name!r} of the model card shipped with borderwatch ({shipped}); a card "
            "outside the shipped models folder cannot replace a shipped model: give it another name",
            planted,
        )


def list_models(models_dir: Path | None = None, problems: list[InputError] | None = None) -> list[CardEntry]:
    """Every card in the local model folders; a name in an earlier folder hides later ones, except
    that no card may take a shipped model's name (a ``CardClash`` in ``problems``, and the shipped
    card is the one listed)."""
    from borderwatch.trust import is_shipped

    entries = list(iter_cards(models_dir, problems))
    shipped = {key: e.card_path for e in entries if is_shipped(e.card_path) for key in (e.card.name, e.card_path.stem)}
    seen: set[str] = set()
    out = []
    for entry in entries:
        if not is_shipped(entry.card_path):
            clash = next((k for k in (entry.card.name, entry.card_path.stem) if k in shipped), None)
            if clash is not None:
                if problems is not None:
                    problems.append(CardClash(clash, entry.card_path, shipped[clash]))
                continue
        if entry.card.name not in seen:
            seen.add(entry.card.name)
            out.append(entry)
    return out


def find_weights(entry: CardEntry, models_dir: Path | None = None) -> Path | None:
    """A card's weights on disk, where ``detect`` looks: beside the card, then under the card's file
    name in any local models folder (a shipped card whose weights the user keeps in
    ``$BORDERWATCH_MODELS``). The user cache is ``entry.cached_file``."""
    if entry.local_file is not None or not entry.card.file:
        return entry.local_file
    wanted = Path(entry.card.file).name
    return next((folder / wanted for folder in models_dirs(models_dir) if (folder / wanted).exists()), None)


def card_mapping(card: ModelCard | None) -> ClassMapping:
    """The class mapping a card declares (built-in source plus overrides), or the union of all tables."""
    if card is None:
        return guess_mapping(())
    if card.class_source:
        base = mapping_for(card.class_source)
        return base.with_overrides(card.mapping) if card.mapping else base
    if card.mapping:
        return ClassMapping(dict(card.mapping), source=card.name)
    return guess_mapping(card.source_classes)


def _card_by_sha(sha: str, models_dir: Path | None) -> ModelCard | None:
    for entry in iter_cards(models_dir):
        if entry.card.sha256 and entry.card.sha256.lower() == sha:
            return entry.card
    return None


def _build(
    name: str, path: Path, card: ModelCard | None, origin: str, trust_weights: bool, models_dir: Path | None
) -> ResolvedModel:
    fmt = detect_format(path)
    if path.suffix.lower() == ".xml":
        path = path.parent
    sha = sha256_of(path)
    if card is not None and card.sha256 and card.sha256.lower() != sha:
        raise InputError(
            f"sha256 {sha} does not match model card {card.name!r} ({card.sha256}); the file is not the "
            "model the card describes",
            path,
        )
    if card is None:
        card = _card_by_sha(sha, models_dir)  # a card describes the file (classes, metrics), nothing more
    from borderwatch.trust import refusal, vouch

    verdict = vouch(sha, fmt, explicit=trust_weights)
    if not verdict.trusted:
        raise refusal(path, fmt, sha)
    return ResolvedModel(
        name=card.name if card is not None else name,
        path=path,
        format=fmt,
        sha256=sha,
        card=card,
        mapping=card_mapping(card),
        trusted=True,
        origin=origin,
        trust_given=trust_weights,
    )


def _find_named(spec: str, models_dir: Path | None) -> tuple[CardEntry | None, Path | None]:
    """The card called ``spec`` and/or a weights file named ``spec`` in the local folders."""
    problems: list[InputError] = []
    entries = list_models(models_dir, problems)
    for problem in problems:
        if isinstance(problem, CardClash) and spec in (problem.name, Path(problem.path or "").stem):
            raise problem  # a planted card named like a shipped model: never pick either silently
    entry = next((e for e in entries if e.card.name == spec or e.card_path.stem == spec), None)
    if entry is not None:
        return entry, find_weights(entry, models_dir)
    for problem in problems:
        if problem.path and Path(problem.path).stem == spec:
            raise problem  # the user asked for exactly the card that is broken: say why
    for folder in models_dirs(models_dir):
        for candidate in (folder / spec, *(folder / f"{spec}{s}" for s in (".pt", ".onnx", "_openvino_model"))):
            if candidate.exists() and candidate.suffix.lower() not in CARD_SUFFIXES:
                return None, candidate
    return None, None


def download(url: str, target: Path, sha256: str | None, name: str) -> Path:
    """Stream ``url`` into ``target`` through a temporary file; a wrong sha256 deletes it and fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    while chunk := response.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise ModelNotFoundError(
                    f"model {name!r} is not available locally and downloading {url} failed ({reason}); "
                    f"download it yourself and put {target.name} in {target.parent} or in a folder named by "
                    f"${ENV_MODELS}",
                    target,
                ) from exc
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if sha256 and actual != sha256.lower():
            raise ModelNotFoundError(
                f"downloaded {url} but its sha256 is {actual}, expected {sha256}; the file was deleted", target
            )
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def resolve_model(
    spec: str | Path,
    models_dir: Path | None = None,
    allow_download: bool = True,
    trust_weights: bool = False,
) -> ResolvedModel:
    """Resolve ``spec`` (a path or a registry name) to a loadable model; see the module doc for the order."""
    spec_str = str(spec)
    path = Path(spec_str).expanduser()
    if path.exists():
        return _build(path.stem, path, None, "path", trust_weights, models_dir)
    looks_like_path = os.sep in spec_str or (os.altsep and os.altsep in spec_str)
    if looks_like_path:
        raise ModelNotFoundError("no such model file or folder", spec_str)

    entry, local = _find_named(spec_str, models_dir)
    card = entry.card if entry is not None else None
    if card is not None and card.format == "ensemble":
        return resolve_ensemble(entry, models_dir, allow_download, trust_weights)
    if local is not None:
        return _build(spec_str, local, card, "models_dir", trust_weights, models_dir)
    if entry is not None:
        cached = entry.cached_file
        if cached is not None:
            return _build(spec_str, cached, card, "cache", trust_weights, models_dir)
        if card.url and allow_download:
            if needs_trust(card.format) and not card.sha256 and not trust_weights:
                raise UntrustedWeightsError(
                    f"model card {card.name!r} gives no sha256, so its download cannot be checked; "
                    "pass --trust-weights to download and load it anyway",
                    entry.card_path,
                )
            target = download_dir() / (entry.download_name or f"{card.name}.pt")
            download(card.url, target, card.sha256, card.name)
            return _build(spec_str, target, card, "download", trust_weights, models_dir)
    places = [str(d) for d in models_dirs(models_dir)] or [str(package_models_dir())]
    if entry is not None:
        wanted = entry.download_name or card.file or card.name
        how = f"download it from {card.url} or " if card.url else ""
        raise ModelNotFoundError(
            f"model {card.name!r} has a card ({entry.card_path}) but its weights {wanted!r} are missing; "
            f"{how}put {wanted} beside the card or in {download_dir()}"
            + ("" if allow_download or not card.url else " (downloads are switched off)"),
            spec_str,
        )
    raise ModelNotFoundError(
        f"unknown model {spec_str!r}: not a file, and no model card or weights of that name in "
        f"{', '.join(places)}; give a path to .pt/.onnx/OpenVINO weights, or put them (or a card) in "
        f"one of those folders or in ${ENV_MODELS}",
        spec_str,
    )



def resolve_ensemble(
    entry: CardEntry, models_dir: Path | None = None, allow_download: bool = True, trust_weights: bool = False
) -> ResolvedModel:
    """A ``format: ensemble`` card with every member resolved as if named alone (so each one passes
    the trust check on its own bytes); a missing member is an error naming the member and where to put it."""
    from borderwatch.detector.ensemble import FusionRule, ResolvedEnsemble, ensemble_sha256

    card = entry.card
    if not card.members:
        raise InputError(f"ensemble model card {card.name!r} lists no members", entry.card_path)
    members = []
    for member in card.members:
        misses: list[str] = []
        found = None
        for spec in (member.model, *member.fallback):
            beside = entry.card_path.parent / spec
            try:
                if Path(spec).suffix and beside.is_file():
                    found = _build(beside.stem, beside, None, "models_dir", trust_weights, models_dir)
                else:
                    found = resolve_model(spec, models_dir, allow_download, trust_weights)
                break
            except ModelNotFoundError as exc:
                misses.append(exc.reason)
        if found is None:
            raise ModelNotFoundError(
                f"model {card.name!r} is an ensemble whose member {member.model!r} is missing: " + "; then ".join(misses),
                entry.card_path,
            )
        if found.format == "ensemble":
            raise InputError(f"ensemble {card.name!r}: member {member.model!r} is itself an ensemble", entry.card_path)
        members.append((found, tuple(member.classes), member.conf))
    inference = card.inference
    by_thresholds = [t for t in (inference.threshold_of(c) for c in card.fusion.by) if t is not None] if inference else []
    fusion = FusionRule(tuple(card.fusion.suppress), tuple(card.fusion.by), card.fusion.iou, card.fusion.ios,
                        min_score=max(by_thresholds, default=0.0))
    return ResolvedEnsemble(
        name=card.name,
        path=entry.card_path,
        format="ensemble",
        sha256=ensemble_sha256(card.name, members, fusion),
        card=card,
        mapping=card_mapping(card),
        trusted=all(m.trusted for m, _, _ in members),
        origin="models_dir",
        trust_given=trust_weights,
        members=tuple(members),
        fusion=fusion,
    )
