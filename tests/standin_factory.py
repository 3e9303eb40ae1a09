"""Stand-in predictors reachable by name (``predictor_factory="standin_factory:bright_boxes"``).

Subprocesses (the crash test's ``borderwatch detect``) and Ray workers import this module by name,
so it lives in tests/ and is found through PYTHONPATH (the Ray engine hands its workers the
driver's import path).
"""

from __future__ import annotations

import time

from helpers_raster import BrightBoxPredictor

NAMES = {0: "car", 1: "person", 2: "zeppelin"}


def class_by_level(level: float) -> int:
    """Cars are drawn at 230, people at 180, zeppelins at 140 (see helpers_raster.draw_vehicles)."""
    if level >= 205:
        return 0
    return 1 if level >= 160 else 2


def bright_boxes(config) -> BrightBoxPredictor:
    """The deterministic stand-in: each bright blob is one detection, its class from its brightness."""
    return BrightBoxPredictor(names=NAMES, class_of_level=class_by_level)


class _Slow(BrightBoxPredictor):
    def predict(self, tiles):
        time.sleep(0.01 * len(tiles))  # a model that takes time, so kills land mid-frame too
        return super().predict(tiles)


def slow_bright_boxes(config) -> BrightBoxPredictor:
    return _Slow(names=NAMES, class_of_level=class_by_level)


def failing(config) -> BrightBoxPredictor:
    """A model that loads, then crashes on its 7th batch (a broken runtime, not a bad frame)."""
    return BrightBoxPredictor(names=NAMES, class_of_level=class_by_level, fail_after=6)


POISON = 77
"""A PNG whose top-left pixel has this red value kills the process that detects in it."""


class _Poisoned(BrightBoxPredictor):
    def predict(self, tiles):
        import os

        for tile in tiles:
            if int(tile[0, 0, 0]) == POISON:
                os._exit(3)  # what a segfault in a decoder or a runtime does to a worker
        return super().predict(tiles)


def poisoned(config) -> BrightBoxPredictor:
    return _Poisoned(names=NAMES, class_of_level=class_by_level)
