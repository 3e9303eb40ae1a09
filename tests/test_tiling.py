"""The window grid: inside the frame, covering it, one shape per frame, overlap as promised."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.tiling import axis_starts, count_windows, iter_windows, stride_for, window_grid

frames = st.integers(min_value=1, max_value=3000)
tiles = st.integers(min_value=16, max_value=1024)
overlaps = st.floats(min_value=0.0, max_value=0.8, allow_nan=False)


def test_frame_smaller_than_a_tile_is_one_window():
    assert window_grid(300, 200, 640, 0.2) == [window_grid(300, 200, 640, 0.2)[0]]
    w = window_grid(300, 200, 640, 0.2)[0]
    assert (w.col, w.row, w.width, w.height) == (0, 0, 300, 200)


def test_one_axis_smaller_than_a_tile():
    grid = window_grid(2000, 100, 640, 0.25)
    assert {(w.width, w.height) for w in grid} == {(640, 100)}
    assert [w.col for w in grid] == [0, 480, 960, 1360]  # stride 480, last snapped to 2000 - 640


def test_last_window_snaps_to_the_edge():
    assert axis_starts(1000, 640, 512) == [0, 360]
    assert axis_starts(640, 640, 512) == [0]
    assert axis_starts(641, 640, 512) == [0, 1]
    assert axis_starts(1152, 640, 512) == [0, 512]


def test_row_major_order_and_count():
    grid = window_grid(1500, 1300, 640, 0.2)
    assert len(grid) == count_windows(1500, 1300, 640, 0.2) == 9
    assert [(w.row, w.col) for w in grid] == sorted((w.row, w.col) for w in grid)


@pytest.mark.parametrize("tile, overlap", [(0, 0.2), (640, -0.1), (640, 1.0), (640, 1.5)])
def test_bad_parameters_are_refused(tile, overlap):
    with pytest.raises(ValueError):
        list(iter_windows(1000, 1000, tile, overlap))


def test_bad_frame_is_refused():
    with pytest.raises(ValueError):
        window_grid(0, 100, 64, 0.2)


def test_windows_are_lazy():
    it = iter_windows(10_000_000, 10_000_000, 640, 0.2)
    first = next(it)
    assert (first.col, first.row) == (0, 0)


@settings(max_examples=200, deadline=None)
@given(frames, frames, tiles, overlaps)
def test_grid_properties(width, height, tile, overlap):
    grid = window_grid(width, height, tile, overlap)
    assert len(grid) == count_windows(width, height, tile, overlap)
    assert len({(w.width, w.height) for w in grid}) == 1  # one shape: tiles stack into a batch
    for w in grid:
        assert w.col >= 0 and w.row >= 0
        assert w.col + w.width <= width and w.row + w.height <= height
    covered = np.zeros((height, width), bool) if width * height <= 2_000_000 else None
    if covered is not None:
        for w in grid:
            covered[w.row : w.row + w.height, w.col : w.col + w.width] = True
        assert covered.all()


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5000), tiles, overlaps, st.data())
def test_any_span_within_the_overlap_fits_in_one_window(length, tile, overlap, data):
    """The guarantee merging relies on: an object no longer than the overlap is whole in some tile."""
    stride = stride_for(tile, overlap)
    starts = axis_starts(length, tile, stride)
    size = min(length, tile)
    span = min(tile - stride, length)
    lo = data.draw(st.integers(0, length - span))
    assert any(s <= lo and lo + span <= s + size for s in starts)
    assert all(b - a <= stride for a, b in zip(starts, starts[1:], strict=False))
