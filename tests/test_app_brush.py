"""Round-brush geometry: exactly the pixels whose centres lie within the radius of the stroke."""

from __future__ import annotations

import numpy as np
import pytest

from scnn_plugin.app.brush import stamp_segment


def _capsule(shape: tuple[int, int], p0, p1, radius: float) -> np.ndarray:
    """Brute force: distance of every pixel centre to the segment, one pixel at a time."""
    out = np.zeros(shape, bool)
    a, b = np.array(p0, float), np.array(p1, float)
    for i in range(shape[0]):
        for j in range(shape[1]):
            c = np.array([j + 0.5, i + 0.5])
            d = b - a
            t = 0.0 if not d.any() else np.clip((c - a) @ d / (d @ d), 0, 1)
            out[i, j] = np.linalg.norm(c - (a + t * d)) <= radius
    return out


@pytest.mark.parametrize(
    ("p0", "p1", "radius"),
    [
        ((10.0, 12.0), (10.0, 12.0), 4.0),  # a single dab
        ((3.2, 5.7), (30.1, 22.4), 2.5),  # a diagonal drag
        ((-5.0, 20.0), (45.0, 20.0), 3.0),  # starts and ends outside the mask
        ((20.0, 20.0), (20.5, 20.0), 0.5),  # a one-pixel brush
    ],
)
def test_segment_paints_exactly_the_pixels_within_radius(p0, p1, radius):
    mask = np.zeros((40, 40), np.uint8)
    box = stamp_segment(mask, p0, p1, radius, 255)
    expected = _capsule(mask.shape, p0, p1, radius)
    np.testing.assert_array_equal(mask == 255, expected)
    assert set(np.unique(mask)) <= {0, 255}
    x0, y0, x1, y1 = box
    outside = np.ones_like(expected)
    outside[y0:y1, x0:x1] = False
    assert not (expected & outside).any(), "the returned box must cover every changed pixel"


def test_eraser_value_clears_only_under_the_stroke():
    mask = np.full((20, 20), 255, np.uint8)
    stamp_segment(mask, (10.0, 10.0), (10.0, 10.0), 3.0, 0)
    assert mask[10, 10] == 0 and mask[0, 0] == 255
    assert (mask == 0).sum() == _capsule(mask.shape, (10, 10), (10, 10), 3.0).sum()


def test_segment_entirely_outside_returns_none_and_changes_nothing():
    mask = np.zeros((10, 10), np.uint8)
    assert stamp_segment(mask, (-20.0, -20.0), (-15.0, -30.0), 3.0, 255) is None
    assert not mask.any()
