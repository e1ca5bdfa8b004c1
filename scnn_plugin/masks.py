"""Turn whatever the user painted or selected into the boolean mask the engine works with.

One rule for a painted mask, whatever its mode: a pixel is painted where its value is at least half
its range (128 of 255, 32768 of 65535, 0.5 of 1.0), and, when the mask has an alpha channel, where
it is at least half opaque too. Half, not "nonzero": a mask saved as JPEG carries a faint halo of
compression noise around every stroke, which filled as much as a fifth more than was painted.
A selection's coverage is no painted mask: ``selected`` keeps every pixel it touches.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .errors import InputError
from .imaging import NUMERIC_MODES, numeric_range, transparent_pixels

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def mask_array(mask: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """``[H, W]`` bool, True = fill. ``size`` is the image's (width, height).

    Painted = at least half the mode's range (see the module). A colour mask counts its brightest
    channel, so red strokes fill as white ones do. A mask with an alpha channel or a transparent
    colour (white strokes on a transparent layer, a GIF) fills where it is painted and at least half
    opaque, so its transparent background never counts.
    """
    if mask.size != size:
        raise InputError(
            f"mask is {mask.width}x{mask.height} but the image is {size[0]}x{size[1]}; they must match"
        )
    if "transparency" in mask.info and mask.mode in ("P", "L", "RGB"):
        mask = mask.convert("RGBA")  # e.g. a GIF mask: its transparent background never fills
    if mask.mode in _ALPHA_MODES:
        opaque = _at_least_half(np.asarray(mask.getchannel("A")))
        return opaque & _brightest_at_least_half(mask.convert("RGB"))
    if mask.mode == "1":
        return np.asarray(mask, bool)
    if mask.mode == "L":
        return _at_least_half(np.asarray(mask))
    if mask.mode in NUMERIC_MODES:
        lo, hi = numeric_range(mask)
        values = np.asarray(mask, np.float64)
        return np.nan_to_num(values, nan=lo) >= (lo + hi) / 2
    return _brightest_at_least_half(mask if mask.mode == "RGB" else mask.convert("RGB"))


def _at_least_half(values: np.ndarray) -> np.ndarray:
    return values >= 128  # of 0..255


def _brightest_at_least_half(rgb: Image.Image) -> np.ndarray:
    return _at_least_half(np.asarray(rgb).max(axis=-1))


def selected(coverage: np.ndarray) -> np.ndarray:
    """``[H, W]`` bool, True = fill, from a selection's ``[H, W]`` uint8 coverage (GIMP's).

    Every pixel the selection touches at all: GIMP blends the result by the coverage, so a feathered
    edge fades into the fill only if the whole feather was filled.
    """
    return coverage > 0


def alpha_mask(image: Image.Image) -> np.ndarray:
    """``[H, W]`` bool of fully transparent pixels: the mask when the user gives none."""
    hidden = transparent_pixels(image)
    if hidden is None:
        raise InputError("no mask given and the image has no transparent pixels to fill")
    return hidden
