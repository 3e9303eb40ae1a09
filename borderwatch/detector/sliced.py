"""Sliced inference: a frame of any size, cut into overlapping tiles, detected batch by batch, merged.

``detect_source`` never holds more than a few batches of tiles: windows are generated lazily, a
reader thread reads them from the ``TileSource`` (for a GeoTIFF, window by window from disk) into a
short queue while the model runs on the previous batch, and only detections accumulate. Memory is
therefore bounded by the batch size and the number of vehicles, not by the frame's size.

Tiles that are (almost) all nodata, or a single flat colour, are skipped without a forward pass.
Boxes come back in frame pixels; a box whose centre lies on invalid pixels is dropped; then
``merging.merge_detections`` resolves the duplicates that overlapping tiles produce.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from borderwatch.detector.merging import merge_by_class
from borderwatch.detector.options import MergeMethod, SliceParams
from borderwatch.detector.types import Detections, Predictor, TileData, TileSource
from borderwatch.tiling import Window, count_windows, iter_windows

Progress = Callable[[int, int], None]
"""Called as ``progress(windows_done, windows_total)`` after every batch."""


@dataclass
class SliceStats:
    """What happened to a frame's tiles; filled by ``detect_source`` when passed in."""

    windows: int = 0
    predicted: int = 0
    skipped_nodata: int = 0
    skipped_flat: int = 0
    raw_detections: int = 0
    dropped_on_nodata: int = 0
    merged_detections: int = 0
    seconds_read_wait: float = 0.0  # time the model waited for the reader: I/O not hidden by compute
    seconds_predict: float = 0.0
    seconds_merge: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)


def _is_flat(rgb: np.ndarray) -> bool:
    """A single colour (say, zero-filled margin without a nodata flag): nothing to detect."""
    sample = rgb[::7, ::7]
    if sample.min() != sample.max():
        return False
    return bool(rgb.min() == rgb.max())


def _usable(tile: TileData, params: SliceParams, stats: SliceStats) -> bool:
    if tile.valid is not None and params.min_valid_fraction > 0:
        if float(np.count_nonzero(tile.valid)) < params.min_valid_fraction * tile.valid.size:
            stats.skipped_nodata += 1
            return False
    if _is_flat(tile.rgb):
        stats.skipped_flat += 1
        return False
    return True


def _padded(tile: TileData, side: int) -> TileData:
    """A window smaller than the tile (a frame smaller than one window) padded to the tile, the
    padding invalid: resized as a whole window is, it keeps the model's scale instead of being
    stretched to fill the model input."""
    h, w = tile.rgb.shape[:2]
    if h >= side and w >= side:
        return tile
    from borderwatch.detector.letterbox import PAD_VALUE

    rgb = np.full((max(h, side), max(w, side), 3), PAD_VALUE, np.uint8)
    rgb[:h, :w] = tile.rgb
    valid = np.zeros(rgb.shape[:2], bool)
    valid[:h, :w] = True if tile.valid is None else tile.valid
    return TileData(tile.window, rgb, valid)


def _read_batches(
    source: TileSource, windows: Iterator[Window], params: SliceParams, stats: SliceStats
) -> Iterator[tuple[list[TileData], int]]:
    """Batches of usable tiles, each with the number of windows it consumed (skipped ones included)."""
    batch: list[TileData] = []
    consumed = 0
    for window in windows:
        consumed += 1
        tile = source.read(window)
        if _usable(tile, params, stats):
            batch.append(_padded(tile, params.tile_size) if params.model_gsd_m else tile)
        if len(batch) == params.batch_size:
            yield batch, consumed
            batch, consumed = [], 0
    if batch or consumed:
        yield batch, consumed


_DONE = object()


class _Prefetch:
    """Runs an iterator in a thread, ``depth`` items ahead; errors re-raise in the consumer.

    GDAL decompression and numpy release the GIL, so reading the next windows overlaps the forward
    pass of the current batch. ``close`` stops the thread when the consumer gives up early.
    """

    def __init__(self, items: Iterator, depth: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), name="bw-tile-reader", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterator) -> None:
        try:
            for item in items:
                if not self._put((item, None)):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put((None, exc))
            return
        self._put((_DONE, None))

    def __iter__(self):
        while True:
            item, exc = self._queue.get()
            if exc is not None:
                raise exc
            if item is _DONE:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _tile_detections(
    det: Detections, tile: TileData, source: TileSource, params: SliceParams, stats: SliceStats
) -> tuple[Detections, np.ndarray]:
    """Filter one tile's boxes, flag those cut by an interior tile edge, shift them to frame pixels."""
    keep = det.scores >= params.conf
    if tile.valid is not None and len(det):
        h, w = tile.valid.shape
        cx = np.clip(((det.boxes[:, 0] + det.boxes[:, 2]) / 2).astype(np.int64), 0, w - 1)
        cy = np.clip(((det.boxes[:, 1] + det.boxes[:, 3]) / 2).astype(np.int64), 0, h - 1)
        on_data = tile.valid[cy, cx]
        stats.dropped_on_nodata += int(np.count_nonzero(keep & ~on_data))
        keep &= on_data
    if not keep.all():
        det = det.take(keep)
    if len(det) > params.max_det_per_tile:
        det = det.take(np.argsort(-det.scores, kind="stable")[: params.max_det_per_tile])
    win, m = tile.window, params.edge_margin
    b = det.boxes
    partial = (
        ((b[:, 0] <= m) & (win.col > 0))
        | ((b[:, 1] <= m) & (win.row > 0))
        | ((b[:, 2] >= win.width - m) & (win.col + win.width < source.width))
        | ((b[:, 3] >= win.height - m) & (win.row + win.height < source.height))
    )
    return det.shifted(win.col, win.row), partial


@dataclass
class TileBoxes:
    """A frame's boxes from all its tiles, in frame pixels, before merging.

    ``partial`` flags boxes cut by an interior tile edge, ``tile_ids`` the tile each came from: what
    ``merging.merge_detections`` needs to join a vehicle seen by several tiles.
    """

    dets: Detections
    partial: np.ndarray
    tile_ids: np.ndarray

    def at_least(self, score: float) -> TileBoxes:
        """The boxes a run at threshold ``score`` would have kept (NMS and the tile filters keep a
        box whatever lower-scored boxes there are, so filtering afterwards is exact)."""
        keep = self.dets.scores >= score
        return TileBoxes(self.dets.take(keep), self.partial[keep], self.tile_ids[keep])


def collect_tiles(
    source: TileSource,
    predictor: Predictor,
    params: SliceParams | None = None,
    progress: Progress | None = None,
    stats: SliceStats | None = None,
    prefetch: int = 2,
) -> TileBoxes:
    """Every tile of a frame through ``predictor``; the boxes in frame pixels, not yet merged."""
    params = (params or SliceParams()).resolved()
    stats = stats if stats is not None else SliceStats()
    total = count_windows(source.width, source.height, params.tile_size, params.overlap)
    stats.windows = total
    windows = iter_windows(source.width, source.height, params.tile_size, params.overlap)
    batches = _read_batches(source, windows, params, stats)
    reader = _Prefetch(batches, prefetch) if prefetch > 0 else None
    parts: list[Detections] = []
    partial_parts: list[np.ndarray] = []
    tile_parts: list[np.ndarray] = []
    done = 0
    tile_index = 0
    try:
        iterator = iter(reader) if reader is not None else batches
        while True:
            t0 = time.perf_counter()
            try:
                tiles, consumed = next(iterator)
            except StopIteration:
                break
            t1 = time.perf_counter()
            stats.seconds_read_wait += t1 - t0
            if tiles:
                outputs = predictor.predict([t.rgb for t in tiles])
                if len(outputs) != len(tiles):
                    raise RuntimeError(f"predictor returned {len(outputs)} results for {len(tiles)} tiles")
                stats.predicted += len(tiles)
                stats.batch_sizes.append(len(tiles))
                for tile, det in zip(tiles, outputs, strict=True):
                    stats.raw_detections += len(det)
                    shifted, partial = _tile_detections(det, tile, source, params, stats)
                    if len(shifted):
                        parts.append(shifted)
                        partial_parts.append(partial)
                        tile_parts.append(np.full(len(shifted), tile_index, np.int64))
                    tile_index += 1
            stats.seconds_predict += time.perf_counter() - t1
            done += consumed
            if progress is not None:
                progress(done, total)
    finally:
        if reader is not None:
            reader.close()
    if not parts:
        return TileBoxes(Detections.empty(), np.zeros(0, bool), np.zeros(0, np.int64))
    return TileBoxes(Detections.concat(parts), np.concatenate(partial_parts), np.concatenate(tile_parts))


def merge_tiles(
    tiles: TileBoxes,
    params: SliceParams | None = None,
    stats: SliceStats | None = None,
    class_methods: Mapping[int, MergeMethod] | None = None,
) -> Detections:
    """One box per vehicle from a frame's tile boxes (``merging.merge_by_class`` with ``params``):
    ``params.merge`` for every class but those in ``class_methods`` (class id -> method,
    ``thresholds.ClassMerge.by_id``)."""
    params = (params or SliceParams()).resolved()
    t0 = time.perf_counter()
    if len(tiles.dets) == 0:
        merged = Detections.empty()
    else:
        merged = merge_by_class(
            tiles.dets,
            class_methods or {},
            params.merge,
            params.merge_threshold,
            partial=tiles.partial,
            tile_ids=tiles.tile_ids,
            class_agnostic=params.class_agnostic,
        )
    if stats is not None:
        stats.seconds_merge = time.perf_counter() - t0
        stats.merged_detections = len(merged)
    return merged


def detect_source(
    source: TileSource,
    predictor: Predictor,
    params: SliceParams | None = None,
    progress: Progress | None = None,
    stats: SliceStats | None = None,
    prefetch: int = 2,
    class_methods: Mapping[int, MergeMethod] | None = None,
) -> Detections:
    """Detect objects in a whole frame, tile by tile; boxes in frame pixels, ``class_ids`` per ``predictor.names``.

    ``prefetch`` batches are read ahead in a thread (0 reads in the calling thread); ``class_methods``
    are per-class merge methods (``merge_tiles``).
    """
    stats = stats if stats is not None else SliceStats()
    tiles = collect_tiles(source, predictor, params, progress, stats, prefetch)
    return merge_tiles(tiles, params, stats, class_methods)
