"""Tile planning is geometry, tested with tables; blending is a feathered weighted mean."""

import itertools

import numpy as np
import pytest

from scnn_plugin.tiling import RowBlender, Tile, axis_starts, feather, plan_tiles, span_starts


@pytest.mark.parametrize(
    "length, tile, overlap, expected",
    [
        (1, 512, 64, [0]),
        (512, 512, 64, [0]),
        (513, 512, 64, [0, 1]),
        (960, 512, 64, [0, 448]),
        (1000, 512, 64, [0, 244, 488]),
        (1200, 512, 64, [0, 344, 688]),
        (4000, 512, 64, [round(i * 3488 / 8) for i in range(9)]),
    ],
)
def test_axis_starts_cover_with_overlap(length, tile, overlap, expected):
    starts = axis_starts(length, tile, overlap)
    assert starts == expected
    size = min(tile, length)
    assert starts[0] == 0 and starts[-1] + size == length
    assert all(b - a <= size - overlap for a, b in itertools.pairwise(starts))


@pytest.mark.parametrize(
    "lo, hi, length, expected",
    [
        (1000, 1400, 4000, [944]),  # fits one window: centred on the span
        (0, 100, 4000, [0]),  # clamped at the image start
        (3950, 4000, 4000, [3488]),  # clamped at the image end
        (1000, 2000, 4000, [936, 1244, 1552]),  # longer than a window: grid over the span + overlap
        (0, 3, 3, [0]),  # shorter image than a window
    ],
)
def test_span_starts_follow_the_mask_not_the_image_grid(lo, hi, length, expected):
    assert span_starts(lo, hi, length, 512, 64) == expected


def test_a_selection_that_fits_one_window_costs_one_window():
    mask = np.zeros((2828, 4243), bool)
    mask[900:1220, 2400:2878] = (
        True  # 1 % of a 12 MP photo, straddling the image-aligned grid lines
    )
    tiles = plan_tiles(mask, 512, 64)
    assert len(tiles) == 1
    t = tiles[0]
    assert t.y0 <= 900 - 64 and t.y0 + t.h >= 1220 + 64  # context on every side
    assert t.x0 <= 2400 - 17 and t.x0 + t.w >= 2878 + 17


def test_plan_only_tiles_that_hold_mask_pixels():
    mask = np.zeros((2000, 3000), bool)
    mask[100:110, 2900:2950] = True  # one small selection near the top right
    tiles = plan_tiles(mask, 512, 64)
    assert len(tiles) == 1
    t = tiles[0]
    assert t.y0 <= 100 and t.y0 + t.h >= 110 and t.x0 <= 2900 and t.x0 + t.w >= 2950
    assert not plan_tiles(np.zeros((50, 50), bool), 512, 64)


def test_every_mask_pixel_is_covered_and_tiles_are_row_major():
    rng = np.random.default_rng(0)
    mask = rng.random((1500, 1700)) > 0.999
    tiles = plan_tiles(mask, 256, 32)
    covered = np.zeros_like(mask)
    for t in tiles:
        covered[t.y0 : t.y0 + t.h, t.x0 : t.x0 + t.w] = True
    assert covered[mask].all()
    assert [(t.y0, t.x0) for t in tiles] == sorted((t.y0, t.x0) for t in tiles)


def test_small_image_is_one_tile_of_its_own_size():
    assert plan_tiles(np.ones((3, 5000), bool), 512, 64)[0] == Tile(0, 0, 3, 512)
    assert plan_tiles(np.ones((1, 1), bool), 512, 64) == [Tile(0, 0, 1, 1)]


def test_feather_ramps_only_on_inner_edges():
    w = feather(Tile(0, 100, 64, 64), (64, 300), 16)
    assert w[:, -1].max() < 0.1 and w[:, 0].max() < 0.1  # inner left and right edges
    assert w[0, 32] == 1.0 and w[-1, 32] == 1.0  # top and bottom are image borders
    assert w[32, 32] == 1.0 and w.min() > 0


def test_blender_weighted_mean_and_bounded_band():
    emitted = {}

    def sink(y0, x0, rows):
        for i, row in enumerate(rows):
            emitted[y0 + i] = row.copy()

    blender = RowBlender(0, 4, sink)
    a, b = Tile(0, 0, 4, 4), Tile(2, 0, 4, 4)
    blender.add(a, np.full((4, 4, 3), 1.0, np.float32), np.full((4, 4), 1.0, np.float32))
    blender.flush(2)  # rows 0-1 are final: no later tile starts above row 2
    assert sorted(emitted) == [0, 1] and len(blender.acc) == 2
    blender.add(b, np.full((4, 4, 3), 4.0, np.float32), np.full((4, 4), 3.0, np.float32))
    blender.flush()
    assert emitted[1][0, 0] == 1.0
    assert emitted[3][0, 0] == pytest.approx((1 * 1 + 4 * 3) / 4)  # weighted mean of the overlap
    assert emitted[5][0, 0] == 4.0
    with pytest.raises(ValueError, match="flushed"):
        blender.add(a, np.zeros((4, 4, 3), np.float32), np.ones((4, 4), np.float32))


def test_blender_does_not_buffer_gaps_between_tiles():
    rows_seen = []
    blender = RowBlender(0, 8, lambda y0, x0, rows: rows_seen.append((y0, len(rows))))
    blender.add(Tile(0, 0, 4, 8), np.zeros((4, 8, 3), np.float32), np.ones((4, 8), np.float32))
    blender.add(Tile(10_000, 0, 4, 8), np.zeros((4, 8, 3), np.float32), np.ones((4, 8), np.float32))
    assert len(blender.acc) == 4  # not 10 004 rows
    blender.flush()
    assert rows_seen == [(0, 4), (10_000, 4)]
