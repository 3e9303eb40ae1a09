"""The model of a run: resolved up front, its predictor loaded only when a frame needs it.

A ``ModelHandle`` is what the frame runner and the engines hold: name, sha256 (part of the resume
key), class mapping and a picklable loader (a Ray worker loads its own copy with it).
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.detector.card import ModelCard
from borderwatch.detector.run.config import DetectConfig
from borderwatch.detector.thresholds import ClassMerge, ClassThresholds
from borderwatch.detector.types import Predictor
from borderwatch.errors import BorderwatchError, ConfigError, one_line
from borderwatch.taxonomy import ClassMapping, guess_mapping


class ModelLoadError(ConfigError):
    """The model resolved but could not be loaded; no frame is to blame."""


@dataclass
class ModelHandle:
    """A resolved model whose predictor is loaded only when a frame actually needs it."""

    name: str
    sha256: str
    mapping: ClassMapping
    loader: Callable[[], Predictor]
    format: str = "unknown"
    path: str | None = None
    origin: str = "path"
    _predictor: Predictor | None = field(default=None, repr=False)
    remote_names: dict[int, str] | None = None  # class names a remote worker's copy of the model reported
    card: ModelCard | None = None  # its model card: detect's default slicing, and what count calibrates with
    thresholds: ClassThresholds | None = None  # per-class score thresholds the loaded predictor applies (None: conf)
    merges: ClassMerge | None = None  # per-class merge methods the engine applies (None: the run's merge for all)

    @property
    def loaded(self) -> bool:
        return self._predictor is not None

    @property
    def predictor(self) -> Predictor:
        if self._predictor is None:
            try:
                self._predictor = self.loader()
            except BorderwatchError as exc:  # the model, not a frame, is at fault: stop the run
                raise ModelLoadError(f"cannot load model {self.name!r}: {exc.reason}", exc.path) from exc
            except Exception as exc:  # a corrupt graph, a runtime that refuses it: still the model's fault
                raise ModelLoadError(f"cannot load model {self.name!r}: {one_line(exc)}", self.path) from exc
        return self._predictor

    @classmethod
    def from_predictor(
        cls, predictor: Predictor, name: str = "stand-in", mapping: ClassMapping | None = None, sha256: str | None = None
    ) -> ModelHandle:
        """Wrap an in-memory predictor (tests, notebooks); its hash covers its name and class names."""
        digest = sha256 or hashlib.sha256(json.dumps([name, sorted(predictor.names.items())]).encode()).hexdigest()
        return cls(name, digest, mapping or guess_mapping(()), lambda: predictor, "in-memory", None, "memory", predictor)


def import_factory(spec: str) -> Callable:
    """The callable named by ``'module:callable'`` (``module:Class.method`` works too)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name.strip() or not attr.strip():
        raise ConfigError(f"predictor factory must read 'module:callable', got {spec!r}")
    try:
        obj = importlib.import_module(module_name.strip())
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} for the predictor factory: {one_line(exc)}") from exc
    for part in attr.strip().split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"predictor factory {spec!r}: {module_name} has no {attr!r}") from None
    if not callable(obj):
        raise ConfigError(f"predictor factory {spec!r} is not callable")
    return obj


@dataclass(frozen=True)
class FactoryLoader:
    """Builds the predictor of a ``predictor_factory`` where it runs (here, or in a Ray worker)."""

    spec: str
    config: DetectConfig

    def __call__(self) -> Predictor:
        predictor = import_factory(self.spec)(self.config)
        if not isinstance(predictor, Predictor):
            raise ConfigError(
                f"predictor factory {self.spec!r} returned {type(predictor).__name__}, which has no names/predict"
            )
        return predictor


def factory_model_handle(config: DetectConfig) -> ModelHandle:
    """A model made by ``config.predictor_factory``; its resume key covers the spec, the model name
    and the bytes of the factory's module, so editing the factory recomputes the frames."""
    spec = config.predictor_factory or ""
    import_factory(spec)  # fail now, with a clear message, rather than in a worker
    module = importlib.import_module(spec.partition(":")[0].strip())
    source = getattr(module, "__file__", None)
    digest = hashlib.sha256(json.dumps(["factory", spec, config.model]).encode())
    if source and Path(source).is_file():
        digest.update(Path(source).read_bytes())
    return ModelHandle(
        config.model, digest.hexdigest(), guess_mapping(()), FactoryLoader(spec, config), "factory", source, "factory"
    )


def resolve_model_handle(config: DetectConfig) -> ModelHandle:
    """The model ``config`` names: a predictor factory's, or weights found by the registry, loaded lazily."""
    if config.predictor_factory:
        return factory_model_handle(config)
    from borderwatch.detector.registry import resolve_model

    resolved = resolve_model(
        config.model, models_dir=config.models_dir, allow_download=config.allow_download, trust_weights=config.trust_weights
    )

    effective = config.for_card(resolved.card)  # the card's tile, threshold and GSD where the user set none
    # per-class thresholds: the predictor runs at the lowest (effective conf) and drops each box under its class's
    thresholds = config.class_thresholds(resolved.card)
    merges = config.class_merge(resolved.card)  # per-class merge methods, applied by the engine (merge_tiles)
    mapping = resolved.mapping

    def load() -> Predictor:
        from borderwatch.detector.predictor import load_predictor
        from borderwatch.detector.thresholds import ThresholdFilter

        predictor = load_predictor(
            resolved,
            effective.slicing,
            device=effective.device,
            imgsz=effective.slicing.tile_size,
            runtime=effective.runtime,
            calibration=effective.calibration or None,
        )
        return predictor if thresholds.uniform else ThresholdFilter(predictor, mapping, thresholds)

    return ModelHandle(
        resolved.name,
        resolved.sha256,
        resolved.mapping,
        load,
        resolved.format,
        str(resolved.path),
        resolved.origin,
        card=resolved.card,
        thresholds=thresholds,
        merges=merges,
    )
