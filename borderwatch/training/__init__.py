"""Making and measuring models: ``train`` (ultralytics, offline), ``eval`` (AP and counting metrics
on held-out data) and the model card written from an evaluation.

Submodules: ``trainer`` (``train``), ``evaluation`` (``evaluate``, ``calibrate_threshold``,
``write_model_card``), ``commands`` (the ``train`` and ``eval`` subcommands).
"""

from borderwatch.training.trainer import train

__all__ = ["train"]
