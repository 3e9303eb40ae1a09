"""``DetectConfig``: everything a ``detect`` run depends on, and the resume key it makes.

Its fields are the option groups of ``borderwatch.detector.options`` plus what only a ``detect``
run has (the model, the manifests, the class map).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field, model_validator

from borderwatch.detector.options import EngineOptions, ModelOptions, ReadOptions, SliceParams

if TYPE_CHECKING:
    from borderwatch.detector.card import ModelCard
    from borderwatch.detector.frames import Frame
    from borderwatch.detector.thresholds import ClassMerge, ClassThresholds

READER_VERSION = "1"
"""Part of the params hash: bump when reading or stretching pixels changes what the model sees."""


class DetectConfig(ModelOptions, ReadOptions, EngineOptions):
    """Everything a ``detect`` run depends on; stored in run.json."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="weights path (.pt, .onnx, OpenVINO folder) or a name from `borderwatch models`")
    slicing: SliceParams = Field(default_factory=SliceParams)
    manifests: list[Path] = Field(
        default_factory=list, description="CSV/YAML manifests (path, captured_at, area, lon, lat, kind)"
    )
    class_map: Path | None = Field(
        None, description="YAML/JSON {source_class: car|truck|bus|two_wheeler|heavy_equipment|null} overrides"
    )

    @model_validator(mode="after")
    def _ray_options_need_ray(self) -> DetectConfig:
        if self.engine != "ray" and (self.ray_address or self.ray_workers):
            raise ValueError("ray_address and ray_workers need engine 'ray'")
        return self

    def for_card(self, card: ModelCard | None) -> DetectConfig:
        """This config with the slicing the model card gives where the user set none (tile, overlap,
        threshold, model GSD); what the run, its resume key and run.json use."""
        resolved = self.slicing.resolved(card.inference if card is not None else None)
        return self if resolved == self.slicing else self.model_copy(update={"slicing": resolved})

    def class_thresholds(self, card: ModelCard | None) -> ClassThresholds:
        """Each class's score threshold: the user's ``conf`` for all when set, else the card's (its
        ``conf_per_class`` exceptions included). Call it on the config before ``for_card``, which
        sets ``conf`` (to the lowest of them)."""
        from borderwatch.detector.options import SLICE_DEFAULTS
        from borderwatch.detector.thresholds import class_thresholds

        return class_thresholds(self.slicing.conf, card.inference if card is not None else None, SLICE_DEFAULTS["conf"])

    def class_merge(self, card: ModelCard | None) -> ClassMerge:
        """Each class's merge method: the user's ``merge`` for all when set, else the card's (its
        ``merge_per_class`` exceptions included; none with ``class_agnostic``). Like ``class_thresholds``,
        call it before ``for_card``, which sets ``merge``."""
        from borderwatch.detector.options import SLICE_DEFAULTS
        from borderwatch.detector.thresholds import class_merge

        inference = card.inference if card is not None else None
        return class_merge(self.slicing.merge, inference, self.slicing.class_agnostic, SLICE_DEFAULTS["merge"])

    def params_hash(
        self, model_sha256: str, thresholds: ClassThresholds | None = None, merges: ClassMerge | None = None
    ) -> str:
        """The resume key: model bytes, runtime, effective slicing (model-input tile, overlap, threshold,
        model GSD), per-class thresholds and merge methods when they differ, full-frame mode and reader version.

        The runtime is part of it because an int8 export (or another runtime's numerics) gives
        slightly different boxes: a resumed run must not mix frames detected by different runtimes.
        The window a frame is read in follows from these and the frame's own GSD (its bytes).
        """
        extra = [f"runtime={self.runtime}", f"full_frame={self.full_frame}", f"reader={READER_VERSION}"]
        for per_class in (thresholds, merges):
            part = per_class.hash_part() if per_class is not None else None
            if part:  # only then: runs at one threshold and one method keep the key they always had
                extra.append(part)
        return self.slicing.resolved().params_hash(model_sha256, *extra)

    def params_for(self, frame: Frame) -> SliceParams:
        """The engine's slicing for ``frame``: its window side in the frame's own pixels."""
        gsd = frame.gsd_m if frame.kind == "overhead" and frame.georeferenced else None
        return self.params_for_size(frame.kind, gsd, frame.width, frame.height)

    def params_for_size(self, kind: str, gsd_m: float | None, width: int | None, height: int | None) -> SliceParams:
        """``params_for`` of a frame of that kind, GSD (None: unknown or a photo) and size."""
        from borderwatch.detector.scale import frame_scale

        s = self.slicing.resolved()
        if kind != "overhead":
            s = s.model_copy(update={"model_gsd_m": None})  # photos are never resampled
        if self.full_frame and kind == "photo" and width and height:
            return s.model_copy(update={"tile_size": max(width, height), "overlap": 0.0})
        scale = frame_scale(s.tile_size, s.model_gsd_m, gsd_m if kind == "overhead" else None)
        return s if scale.window == s.tile_size else s.model_copy(update={"tile_size": scale.window})
