"""Engines: who runs the frames. Each takes the frames in input order and appends one result per
frame; the frame runner does the preparing and committing, so engines differ only in where the
model runs.

- ``local``: frames one after another in this process (``LocalEngine``);
- ``ray``: a pool of Ray actors, one model each (``borderwatch.detector.run.engine_ray``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from borderwatch.detector.frames import FrameInput
from borderwatch.detector.run.config import DetectConfig
from borderwatch.detector.run.runner import FrameResult, FrameRunner


class Engine(Protocol):
    """Runs ``frames``, appending one FrameResult per frame to ``results`` in input order.

    ``advance`` is called once per finished frame; ``progress`` is an optional rich Progress for
    per-frame tile bars. Results committed before an error propagates are appended first.
    """

    def run(
        self,
        runner: FrameRunner,
        frames: list[FrameInput],
        results: list[FrameResult],
        advance: Callable[[], None],
        progress=None,
    ) -> None: ...


class LocalEngine:
    """Frames one after another in this process, with a tile bar for big rasters."""

    def run(self, runner, frames, results, advance, progress=None) -> None:
        for fi in frames:
            results.append(runner.process(fi, progress))
            advance()


def engine_for(config: DetectConfig) -> Engine:
    """The engine ``config.engine`` names (Ray is imported only when asked for)."""
    if config.engine == "ray":
        from borderwatch.detector.run.engine_ray import RayEngine

        return RayEngine()
    return LocalEngine()
