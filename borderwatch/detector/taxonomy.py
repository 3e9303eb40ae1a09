"""Moved to :mod:`borderwatch.taxonomy`; this alias stays only for scripts/prepare_overhead.py until it imports the new path."""

from borderwatch.taxonomy import CLASSES, mapping_for  # noqa: F401
