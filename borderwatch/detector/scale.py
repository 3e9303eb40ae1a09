"""Scale-aware slicing: which window of a frame the model sees, so that it sees its own scale.

A model card states the ground sample distance (``inference.gsd_m``) its input should have and the
tile side in model-input pixels (``inference.tile``). For a georeferenced raster of another GSD the
window read from the raster is ``tile * model_gsd / raster_gsd`` of the raster's own pixels, and the
predictor's letterbox resizes it to ``tile``: 30 cm imagery under a 15 cm model is read in 512-px
windows and enlarged 2x to a 1024 input. Boxes come back in the raster's pixels because the
letterbox undoes its own resize. Photos (no GSD), and models whose card states none, are read
at the model-input tile size, unscaled.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_WINDOW = 32  # below this a window holds too little context to detect anything
MAX_FACTOR = 8.0  # enlarging more invents detail; finer rasters are shrunk without this limit


@dataclass(frozen=True)
class FrameScale:
    """How one frame is sliced: window side in frame pixels and how much each window is resized."""

    window: int  # window side, frame pixels
    model_tile: int  # side the window is resized to, model-input pixels
    factor: float  # model-input pixels per frame pixel (2.0: enlarged 2x)
    model_gsd_m: float | None  # the GSD the model sees; None when the frame is not resampled

    @property
    def resampled(self) -> bool:
        return self.factor != 1.0


def frame_scale(model_tile: int, model_gsd_m: float | None, frame_gsd_m: float | None) -> FrameScale:
    """The slicing of a frame of GSD ``frame_gsd_m`` (None: a photo, or unknown) for a model that
    wants ``model_gsd_m`` (None: any) in ``model_tile`` px tiles."""
    if not model_gsd_m or not frame_gsd_m or frame_gsd_m <= 0:
        return FrameScale(model_tile, model_tile, 1.0, None)
    factor = min(frame_gsd_m / model_gsd_m, MAX_FACTOR)
    window = max(MIN_WINDOW, round(model_tile / factor))
    if window == model_tile:
        return FrameScale(model_tile, model_tile, 1.0, model_gsd_m)
    return FrameScale(window, model_tile, model_tile / window, model_gsd_m)
