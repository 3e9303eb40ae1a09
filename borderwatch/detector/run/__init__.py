"""A detection run, as a package: config, model, resume parts, the frame runner, engines, tables
and the driver that writes ``run.json``. Import what you need from here; the submodules are:

- ``config``: ``DetectConfig``, the options of a run and its resume key;
- ``model``: ``ModelHandle`` and how a config's model (weights or a predictor factory) is resolved;
- ``parts``: the per-frame resume files under ``parts/``;
- ``runner``: ``FrameRunner`` (prepare, commit, fail a frame) and ``compute_detections``;
- ``engines``: the ``Engine`` protocol, ``LocalEngine`` and ``engine_for``; ``engine_ray``: Ray;
- ``tables``: detections and frames rebuilt from the parts;
- ``driver``: ``detect``, which runs it all and writes ``run.json``.
"""

import importlib

# Loaded on first use, so reading DetectConfig's fields (the CLI does, to build its options) does not
# import the engine, numpy and the rasters.
_EXPORTS = {
    "READER_VERSION": "config",
    "DetectConfig": "config",
    "DetectSummary": "driver",
    "RunInterrupted": "driver",
    "detect": "driver",
    "ModelHandle": "model",
    "ModelLoadError": "model",
    "resolve_model_handle": "model",
    "PARTS_DIR": "parts",
    "RUN_JSON": "parts",
    "part_path": "parts",
    "read_part": "parts",
    "FrameResult": "runner",
    "FrameRunner": "runner",
    "compute_detections": "runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
