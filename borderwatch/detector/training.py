"""Moved to :mod:`borderwatch.training.trainer`; this alias stays only for scripts/train_overhead.py
until it imports the new path."""

from borderwatch.training.trainer import train  # noqa: F401
