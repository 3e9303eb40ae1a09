"""The one tiling grid: how a frame (for inference) or an image (for training chips) is cut into tiles.

Windows are ``tile_size`` square with a fractional overlap between neighbours (as SAHI slices). The
last row and column are snapped to the frame's far edge instead of running past it, so every window
lies wholly inside the frame and all windows of one frame share one shape (which lets the engine
stack them into a batch without padding). A frame smaller than a tile along an axis gets a single
window that spans that axis. ``tile_starts`` is the same grid along one axis with the overlap given
in pixels (datasets' chips and the evaluator's tiles).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """A pixel window of a frame: column and row offset, width and height."""

    col: int
    row: int
    width: int
    height: int


def stride_for(tile_size: int, overlap: float) -> int:
    """Step between window origins: ``tile_size`` less the overlap, at least one pixel."""
    if tile_size < 1:
        raise ValueError(f"tile size must be at least 1 pixel, got {tile_size}")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    return max(1, tile_size - int(round(tile_size * overlap)))


def axis_starts(length: int, tile_size: int, stride: int) -> list[int]:
    """Window origins along one axis of ``length`` pixels; the last window ends exactly at the edge."""
    if length < 1:
        raise ValueError(f"frame side must be at least 1 pixel, got {length}")
    if length <= tile_size:
        return [0]
    last = length - tile_size
    starts = list(range(0, last, stride))
    starts.append(last)  # snapped: the final window ends at the edge, overlapping its neighbour more
    return starts


def window_grid(width: int, height: int, tile_size: int, overlap: float) -> list[Window]:
    """All windows of a ``width`` x ``height`` frame, row by row."""
    return list(iter_windows(width, height, tile_size, overlap))


def iter_windows(width: int, height: int, tile_size: int, overlap: float) -> Iterator[Window]:
    """The windows of :func:`window_grid`, lazily (a 100k-pixel raster has tens of thousands)."""
    stride = stride_for(tile_size, overlap)
    cols = axis_starts(width, tile_size, stride)
    rows = axis_starts(height, tile_size, stride)
    w = min(width, tile_size)
    h = min(height, tile_size)
    for row in rows:
        for col in cols:
            yield Window(col=col, row=row, width=w, height=h)


def count_windows(width: int, height: int, tile_size: int, overlap: float) -> int:
    stride = stride_for(tile_size, overlap)
    return len(axis_starts(width, tile_size, stride)) * len(axis_starts(height, tile_size, stride))


def tile_starts(length: int, size: int, overlap: int) -> list[int]:
    """Start offsets covering ``[0, length)`` with tiles of ``size`` overlapping by at least
    ``overlap`` pixels; the last tile is flush with the end, so none hangs out."""
    return axis_starts(max(length, 1), size, max(1, size - overlap))
