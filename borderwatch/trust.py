"""Which weights may run code: the one trust check every load path goes through.

A ``.pt`` checkpoint (and a TorchScript archive) is a pickle: loading it runs whatever code its author
chose. borderwatch loads such a file only when one of these vouches for its exact bytes (sha256):

1. a model card **shipped with borderwatch** (the ``models/`` folder of the checkout, or the copy pip
   installed under ``<prefix>/share/borderwatch/models``);
2. a **pin** the user made on the command line with ``borderwatch models trust PATH``, kept in the
   user's own config folder (``$BORDERWATCH_CONFIG``, else ``$XDG_CONFIG_HOME/borderwatch``, else
   ``~/.config/borderwatch``) in ``trusted.yaml``; checkpoints ``borderwatch train`` writes itself are
   pinned there too, so ``train --resume`` continues them;
3. ``--trust-weights`` given for this one command.

Nothing else grants trust: cards in ``$BORDERWATCH_MODELS``, ``--models-dir`` or a config's
``models_dir`` describe models (classes, metrics) but a sha256 written there vouches for nothing, and a
run config cannot say ``trust_weights``. The check hashes the file's bytes and never unpickles, so a
refused file has had no chance to run. ONNX and OpenVINO files are data and need no trust, but any
folder or file handed to ultralytics must be one ultralytics itself reads as that format: a folder
named ``*_ncnn_model`` would make it pip-install a runtime. Ultralytics' pip auto-install is switched
off in every process borderwatch starts (:func:`disable_autoinstall`).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.errors import InputError, UntrustedWeightsError

PICKLE_FORMATS = frozenset({"pt", "torchscript"})
ENV_CONFIG = "BORDERWATCH_CONFIG"
TRUSTED_FILE = "trusted.yaml"
_CHUNK = 1 << 20

Source = str  # "shipped card", "pinned", "--trust-weights", "not a pickle"


def disable_autoinstall() -> None:
    """Switch off ultralytics' pip auto-install, here and in every child process.

    Ultralytics reads ``YOLO_AUTOINSTALL`` once, when it is imported, and then pip-installs missing
    runtimes (ncnn, paddle, tensorflow ...) whenever a model path looks like theirs. The variable is
    set for this process and whatever it starts (Ray workers, subprocesses); a copy of ultralytics
    already imported has its flag turned off too.
    """
    os.environ["YOLO_AUTOINSTALL"] = "False"
    os.environ.setdefault("YOLO_OFFLINE", "1")
    for name in ("ultralytics.utils", "ultralytics.utils.checks", "ultralytics.utils.export.tensorflow"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "AUTOINSTALL", False):
            module.AUTOINSTALL = False


def needs_trust(fmt: str) -> bool:
    return fmt in PICKLE_FORMATS


def shipped_models_dir() -> Path:
    """The ``models/`` folder shipped with borderwatch: beside the package in a checkout, else where
    pip put the data files (``<prefix>/share/borderwatch/models``)."""
    checkout = Path(__file__).resolve().parents[1] / "models"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "borderwatch" / "models"


def is_shipped(path: str | Path) -> bool:
    """Is ``path`` (a card or a file) inside the shipped models folder, after resolving symlinks?"""
    try:
        return Path(path).resolve().is_relative_to(shipped_models_dir().resolve())
    except OSError:
        return False


def shipped_hashes() -> dict[str, Path]:
    """sha256 -> card path, for every card shipped with borderwatch that lists one."""
    from borderwatch.detector.card import load_card

    out: dict[str, Path] = {}
    folder = shipped_models_dir()
    if not folder.is_dir():
        return out
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
            try:
                card = load_card(path)
            except InputError:
                continue  # a broken shipped card vouches for nothing
            if card.sha256:
                out[card.sha256.lower()] = path
    return out


def config_dir() -> Path:
    """The user's own borderwatch config folder (never a run folder, never a data folder)."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".config") / "borderwatch"


def trusted_file() -> Path:
    return config_dir() / TRUSTED_FILE


def _writable_by_others(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    foreign_owner = hasattr(os, "getuid") and st.st_uid not in (os.getuid(), 0)
    return foreign_owner or bool(st.st_mode & 0o022)


def pinned_hashes() -> dict[str, dict]:
    """sha256 -> pin record from the user's ``trusted.yaml``; empty when there is none.

    A pins file someone else could write (another owner, or group/world-writable) is ignored: it
    would let them grant trust in the user's name.
    """
    from borderwatch.yamlsafe import YamlRefused, load_yaml_file

    path = trusted_file()
    if not path.is_file() or _writable_by_others(path) or _writable_by_others(path.parent):
        return {}
    try:
        data = load_yaml_file(path, "trusted weights list", max_bytes=4 << 20)
    except (InputError, YamlRefused):
        return {}
    pins = data.get("pins") if isinstance(data, dict) else None
    out: dict[str, dict] = {}
    for pin in pins if isinstance(pins, list) else []:
        if isinstance(pin, dict) and isinstance(pin.get("sha256"), str):
            out[pin["sha256"].lower()] = pin
    return out


def sha256_file(path: str | Path) -> str:
    """sha256 of one regular file's bytes (read in 1 MiB chunks)."""
    return sha256_files([Path(path)], Path(path))


def sha256_files(files: list[Path], path: Path) -> str:
    """sha256 of the bytes of ``files`` one after the other (an OpenVINO .xml then its .bin);
    errors name ``path``, the file or folder the user gave."""
    digest = hashlib.sha256()
    for file in files:
        if file.exists() and not file.is_file():  # a FIFO or a device would block or never end
            raise InputError("not a regular file", file)
    try:
        for file in files:
            with open(file, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read weights: {exc.strerror or exc}", path) from exc
    return digest.hexdigest()


@dataclass(frozen=True)
class Verdict:
    """Why a file may be loaded (``source``), or None when nothing vouches for it."""

    sha256: str
    source: Source | None
    detail: str = ""

    @property
    def trusted(self) -> bool:
        return self.source is not None


def vouch(sha256: str, fmt: str, explicit: bool = False) -> Verdict:
    """Who vouches for weights of ``fmt`` with this sha256 (no file access beyond the trust lists)."""
    sha = sha256.lower()
    if not needs_trust(fmt):
        return Verdict(sha, "not a pickle")
    card = shipped_hashes().get(sha)
    if card is not None:
        return Verdict(sha, "shipped card", str(card))
    pin = pinned_hashes().get(sha)
    if pin is not None:
        return Verdict(sha, "pinned", str(trusted_file()))
    if explicit:
        return Verdict(sha, "--trust-weights")
    return Verdict(sha, None)


def check_ultralytics_format(path: str | Path, fmt: str) -> None:
    """Refuse a path ultralytics would read as another format than ``fmt``.

    Ultralytics picks its backend from the name alone (``x_ncnn_model/``, ``x_paddle_model/``,
    ``best.pt.tflite`` ...) and pip-installs that backend's runtime when missing. borderwatch decided
    the format from the same path, so the two must agree before the path is handed over.
    """
    try:
        from ultralytics.nn.autobackend import AutoBackend
    except ImportError:
        return
    disable_autoinstall()
    try:
        theirs = AutoBackend._model_type(str(path))
    except Exception:  # an unknown suffix: ultralytics would refuse it itself
        return
    ours = {"openvino-int8": "openvino", "tflite": "litert"}.get(fmt, fmt)  # ultralytics calls TFLite "litert"
    if theirs is not None and theirs != ours:
        raise UntrustedWeightsError(
            f"ultralytics would read this as {theirs!r}, not {ours!r} (it decides from the name); "
            f"rename it so the name ends as a {ours} model does",
            path,
        )


def require_trusted(
    path: str | Path,
    fmt: str,
    *,
    expected_sha256: str | None = None,
    explicit: bool = False,
    what: str = "weights",
) -> Verdict:
    """The one check before anything loads weights: raises ``UntrustedWeightsError`` unless allowed.

    Hashes ``path`` (never unpickles it). ``expected_sha256``: the hash the file was resolved with; a
    file swapped since is refused. ``explicit``: the user passed ``--trust-weights`` to this command.
    """
    path = Path(path)
    check_ultralytics_format(path, fmt)
    if not needs_trust(fmt):
        return Verdict(expected_sha256 or "", "not a pickle")
    actual = sha256_file(path)
    if expected_sha256 is not None and actual != expected_sha256.lower():
        raise UntrustedWeightsError(
            f"{what} changed since they were checked: sha256 {actual}, expected {expected_sha256}", path
        )
    verdict = vouch(actual, fmt, explicit)
    if not verdict.trusted:
        raise refusal(path, fmt, actual, what)
    return verdict


def refusal(path: str | Path, fmt: str, sha256: str, what: str = "weights") -> UntrustedWeightsError:
    """The error for a pickle nothing vouches for: what it is, and the two ways to vouch for it."""
    return UntrustedWeightsError(
        f"refusing to load {fmt} {what} (a pickle can run code when loaded): sha256 {sha256} is in no "
        "model card shipped with borderwatch and not pinned by you (cards in other folders describe "
        "models but do not vouch for them); if you trust this file pass --trust-weights, or pin it "
        f"once with `borderwatch models trust {path}`; or use an ONNX/OpenVINO export",
        path,
    )


def pin(path: str | Path, note: str = "pinned with `borderwatch models trust`") -> tuple[str, Path]:
    """Pin ``path``'s sha256 in the user's trusted.yaml (atomically); returns (sha256, pins file).

    A later pin for the same resolved path replaces its earlier entry, so a training run that pins
    its checkpoints each epoch keeps one entry per file, not one per epoch.
    """
    from borderwatch.atomic import write_text
    from borderwatch.yamlsafe import dump_yaml

    path = Path(path)
    if not path.is_file():
        raise InputError("no such weights file to trust", path)
    sha = sha256_file(path)
    where = str(path.resolve())
    pins = [p for p in pinned_hashes().values() if p.get("path") != where and p.get("sha256") != sha]
    pins.append({"sha256": sha, "path": where, "pinned_at": datetime.now(UTC).isoformat(timespec="seconds"),
                 "note": note})
    target = trusted_file()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    header = "# weights whose code borderwatch may run: written by `borderwatch models trust`; edit with care\n"
    write_text(target, header + dump_yaml({"pins": pins}), mode=0o600)
    return sha, target
