"""Training: ultralytics YOLO with settings that never reach the network and can be resumed.

Offline safety: ultralytics keeps a settings file in ``YOLO_CONFIG_DIR`` and, given a bare name like
``yolo11n.pt``, downloads it. Here the settings go in the run folder when the user has not chosen a
place, ``YOLO_OFFLINE`` is set, plots are off by default (they fetch a font), AMP is off on CPU (its
check downloads a model), and the architecture comes from the bundled ``yolo11n.yaml`` — the only way
a pretrained start happens is a weights file the user names, loaded through the registry's trust rules.

Resuming loads ``weights/last.pt``, a pickle, so it passes the same trust check as any weights
(``borderwatch.trust``): the checkpoints a training run writes are pinned in the user's trust list
as they are saved, so a run this user started resumes, while a ``last.pt`` planted in a run folder
(or one from a folder someone sent) is refused unless ``trust_weights`` is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.errors import ConfigError, InputError

DEFAULT_ARCH = "yolo11n.yaml"


@dataclass
class TrainResult:
    run_dir: Path
    best: Path | None
    last: Path | None
    epochs_done: int | None = None
    metrics: dict = field(default_factory=dict)


def offline_env(run_dir: Path) -> None:
    """Point ultralytics at a settings folder of ours and forbid downloads (before it is imported)."""
    if not os.environ.get("YOLO_CONFIG_DIR"):
        settings = run_dir / ".ultralytics"
        settings.mkdir(parents=True, exist_ok=True)
        os.environ["YOLO_CONFIG_DIR"] = str(settings)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")


def pick_device(device: str = "auto") -> str:
    """``auto``: the first CUDA GPU, else Apple MPS, else CPU; anything else is passed through."""
    if device != "auto":
        return device
    import torch

    if torch.cuda.is_available():
        return "0"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _check_data(data_yaml: Path) -> None:
    if not data_yaml.is_file():
        raise InputError("training data not found (give an ultralytics data.yaml)", data_yaml)
    from borderwatch.yamlsafe import load_yaml_file

    data = load_yaml_file(data_yaml, "data yaml", max_bytes=16 << 20)
    if not isinstance(data, dict) or "names" not in data or "train" not in data:
        raise InputError("data yaml needs 'names' and 'train'", data_yaml)


def _pin_checkpoints(trainer) -> None:
    """ultralytics callback (on_model_save, on_train_end): vouch for the checkpoints this training
    just wrote — last, best and the per-epoch copies (a crashed run resumes from one of those), and
    again after ultralytics strips the optimizer at the end (which changes the bytes)."""
    from borderwatch.trust import pin

    wdir = getattr(trainer, "wdir", None)
    paths = sorted(Path(wdir).glob("*.pt")) if wdir is not None and Path(wdir).is_dir() else []
    for attr in ("last", "best"):
        path = getattr(trainer, attr, None)
        if path is not None and Path(path).is_file() and Path(path) not in paths:
            paths.append(Path(path))
    for path in paths:
        pin(path, note="written by borderwatch train")


def _check_resumable(last: Path, trust_weights: bool) -> None:
    """A finished run's last.pt has its optimizer stripped; ultralytics would then silently start a new
    training on its default dataset (and try to download it), so refuse instead. The checkpoint is
    a pickle: nothing unpickles it before the trust check."""
    from borderwatch.trust import require_trusted

    require_trusted(last, "pt", explicit=trust_weights, what="checkpoint")
    import torch

    ckpt = torch.load(last, map_location="cpu", weights_only=False)
    if not isinstance(ckpt, dict) or ckpt.get("optimizer") is None or int(ckpt.get("epoch", -1)) < 0:
        raise InputError("nothing to resume: this run finished (its last.pt has no optimizer state)", last)


def _load_start(model: str | None, trust_weights: bool):
    """A YOLO object: the architecture yaml, or trusted weights resolved through the registry."""
    from ultralytics import YOLO

    if model is None or model.endswith((".yaml", ".yml")):
        arch = model or DEFAULT_ARCH
        if Path(arch).exists() or "/" not in arch:
            return YOLO(arch, task="detect")
        raise InputError("architecture yaml not found", arch)
    from borderwatch.detector.registry import resolve_model
    from borderwatch.detector.weights import ensure_loadable

    resolved = resolve_model(model, allow_download=False, trust_weights=trust_weights)
    if resolved.format != "pt":
        raise ConfigError(f"training starts from .pt weights or an architecture .yaml, not {resolved.format}", model)
    ensure_loadable(resolved)
    return YOLO(str(resolved.path), task="detect")


def train(
    data_yaml: str | Path,
    model: str | None = None,
    epochs: int = 50,
    imgsz: int = 640,
    batch: int = 16,
    device: str = "auto",
    resume: bool = False,
    out_dir: str | Path = "runs/train",
    name: str = "borderwatch",
    time_hours: float | None = None,
    workers: int = 0,
    plots: bool = False,
    patience: int = 50,
    save_period: int = 1,
    trust_weights: bool = False,
    seed: int = 0,
    **overrides,
) -> TrainResult:
    """Train a detector; ``model`` is an architecture yaml (from scratch, default ``yolo11n.yaml``) or a
    ``.pt`` to fine-tune (registry name or path; pickles need a registry card or ``trust_weights``).

    ``resume=True`` continues ``<out_dir>/<name>/weights/last.pt`` with its saved arguments.
    ``time_hours`` caps the wall time (ultralytics then fits the epochs into it and stops by itself).
    Extra keyword arguments go to ultralytics unchanged (``mosaic``, ``close_mosaic``, ``lr0`` ...).
    """
    out_dir = Path(out_dir).resolve()
    run_dir = out_dir / name
    offline_env(run_dir)
    dev = pick_device(device)
    if resume:
        last = run_dir / "weights" / "last.pt"
        if not last.is_file():
            raise InputError("nothing to resume: no weights/last.pt", run_dir)
        _check_resumable(last, trust_weights)
        from ultralytics import YOLO

        yolo = YOLO(str(last), task="detect")  # checked just above
        yolo.add_callback("on_model_save", _pin_checkpoints)
        yolo.add_callback("on_train_end", _pin_checkpoints)
        try:
            yolo.train(resume=True, device=dev, workers=workers, plots=plots)
        except AssertionError as exc:  # ultralytics' way of saying the run is already complete
            raise InputError(f"cannot resume: {exc}", last) from exc
    else:
        data_yaml = Path(data_yaml).resolve()
        _check_data(data_yaml)
        yolo = _load_start(model, trust_weights)
        args = dict(
            data=str(data_yaml), epochs=epochs, imgsz=imgsz, batch=batch, device=dev, project=str(out_dir),
            name=name, exist_ok=True, workers=workers, plots=plots, patience=patience,
            save_period=save_period, seed=seed, deterministic=False, verbose=False,
        )
        if dev == "cpu":
            args["amp"] = False
        if time_hours is not None:
            args["time"] = float(time_hours)
        args.update(overrides)
        yolo.add_callback("on_model_save", _pin_checkpoints)
        yolo.add_callback("on_train_end", _pin_checkpoints)
        yolo.train(**args)
    trainer = getattr(yolo, "trainer", None)
    save_dir = Path(trainer.save_dir) if trainer is not None else run_dir
    best = save_dir / "weights" / "best.pt"
    last = save_dir / "weights" / "last.pt"
    for done in (best, last):  # the final stripped copies have new bytes
        if done.is_file():
            from borderwatch.trust import pin

            pin(done, note="written by borderwatch train")
    metrics = {}
    if trainer is not None and getattr(trainer, "metrics", None):
        metrics = {k: float(v) for k, v in trainer.metrics.items() if isinstance(v, int | float)}
    return TrainResult(
        run_dir=save_dir,
        best=best if best.is_file() else None,
        last=last if last.is_file() else None,
        epochs_done=(getattr(trainer, "epoch", -1) + 1) if trainer is not None else None,
        metrics=metrics,
    )
