"""Tile planning and seamless blending: pure geometry and arrays, no model.

Tiles lie on a grid over the holes' bounding box (plus context) and only those whose window holds
hole pixels run, so the cost follows the mask. Neighbouring tiles overlap; each contributes with a
weight that ramps down towards its inner edges, and finished rows leave the blender as soon as no
later tile can touch them, so memory stays bounded by a band of tiles whatever the image size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """A window ``[y0, y0 + h) x [x0, x0 + w)`` in image pixels."""

    y0: int
    x0: int
    h: int
    w: int


def axis_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of windows of size ``min(tile, length)`` covering ``[0, length)``.

    Windows overlap by at least ``overlap``; the first starts at 0 and the last ends at ``length``.
    """
    if length <= tile:
        return [0]
    n = math.ceil((length - overlap) / (tile - overlap))
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def plan_tiles(holes: np.ndarray, tile: int, overlap: int) -> list[Tile]:
    """Windows over ``holes`` (``[H, W]`` bool, True = fill) that hold at least one hole pixel,
    row-major.

    The grid is laid over the holes' bounding box grown by ``overlap`` px of context, not over the
    image, so a selection that fits one window is one window, centred on it.
    """
    rows, cols = np.flatnonzero(holes.any(axis=1)), np.flatnonzero(holes.any(axis=0))
    if rows.size == 0:
        return []
    height, width = holes.shape
    th, tw = min(tile, height), min(tile, width)
    row_starts = span_starts(rows[0], rows[-1] + 1, height, tile, overlap)
    col_starts = span_starts(cols[0], cols[-1] + 1, width, tile, overlap)
    tiles = []
    for y0 in _occupied(holes.any(axis=1), row_starts, th):
        columns = holes[y0 : y0 + th].any(axis=0)
        tiles.extend(Tile(y0, x0, th, tw) for x0 in _occupied(columns, col_starts, tw))
    return tiles


def span_starts(lo: int, hi: int, length: int, tile: int, overlap: int) -> list[int]:
    """Window starts covering the holes' span ``[lo, hi)`` of an axis of ``length`` px.

    A span that fits one window gets one window centred on it (clamped to the image), so the context
    is shared evenly; a longer span gets a grid over it grown by ``overlap`` px of context.
    """
    size = min(tile, length)
    if hi - lo <= size:
        return [min(max(0, (lo + hi - size) // 2), length - size)]
    lo, hi = max(0, lo - overlap), min(length, hi + overlap)
    return [lo + s for s in axis_starts(hi - lo, tile, overlap)]


def _occupied(flags: np.ndarray, starts: list[int], size: int) -> list[int]:
    return [s for s in starts if flags[s : s + size].any()]


def feather(tile: Tile, shape: tuple[int, int], overlap: int) -> np.ndarray:
    """``[h, w]`` float32 blend weight: 1 inside, ramping to ~0 over ``overlap`` px at inner edges.

    Edges on the image border keep full weight, since no neighbour shares them.
    """
    height, width = shape

    def ramp(n: int, lo_inner: bool, hi_inner: bool) -> np.ndarray:
        r = np.ones(n, np.float32)
        k = min(overlap, n // 2)
        if k > 0:
            up = (np.arange(1, k + 1, dtype=np.float32)) / (k + 1)
            if lo_inner:
                r[:k] = up
            if hi_inner:
                r[n - k :] = up[::-1]
        return r

    ry = ramp(tile.h, tile.y0 > 0, tile.y0 + tile.h < height)
    rx = ramp(tile.w, tile.x0 > 0, tile.x0 + tile.w < width)
    return ry[:, None] * rx[None, :]


class RowBlender:
    """Accumulates weighted tile predictions; hands finished rows to ``sink(y0, x0, rows)``.

    ``rows`` is ``[n, w, 3]`` float32, the weighted mean of every tile that covered them (zero where
    none did). Columns are limited to ``[x_lo, x_hi)`` to keep the band narrow.
    """

    def __init__(self, x_lo: int, x_hi: int, sink: Callable[[int, int, np.ndarray], None]) -> None:
        self.x_lo, self.width, self.sink = x_lo, x_hi - x_lo, sink
        self.top = 0
        self.acc = np.zeros((0, self.width, 3), np.float32)
        self.weight = np.zeros((0, self.width), np.float32)

    def add(self, tile: Tile, pred: np.ndarray, weight: np.ndarray) -> None:
        """Add ``pred`` (``[h, w, 3]``) with ``weight`` (``[h, w]``); ``tile.y0`` must be >= flushed rows."""
        if tile.y0 < self.top:
            raise ValueError(
                f"tile at row {tile.y0} arrived after rows up to {self.top} were flushed"
            )
        if tile.y0 >= self.top + len(self.acc):  # a gap no tile covers: skip it, do not buffer it
            self.flush()
            self.top = tile.y0
        need = tile.y0 + tile.h - self.top
        if need > len(self.acc):
            grow = need - len(self.acc)
            self.acc = np.concatenate([self.acc, np.zeros((grow, self.width, 3), np.float32)])
            self.weight = np.concatenate([self.weight, np.zeros((grow, self.width), np.float32)])
        ys = slice(tile.y0 - self.top, tile.y0 - self.top + tile.h)
        xs = slice(tile.x0 - self.x_lo, tile.x0 - self.x_lo + tile.w)
        self.acc[ys, xs] += pred * weight[..., None]
        self.weight[ys, xs] += weight

    def flush(self, upto: int | None = None) -> None:
        """Emit rows above ``upto`` (all rows when None); no later tile may start above it."""
        n = len(self.acc) if upto is None else max(0, min(upto - self.top, len(self.acc)))
        if n == 0:
            return
        rows = self.acc[:n] / np.maximum(self.weight[:n], 1e-12)[..., None]
        self.sink(self.top, self.x_lo, rows)
        self.acc, self.weight = self.acc[n:], self.weight[n:]
        self.top += n
