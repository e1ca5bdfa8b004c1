"""Turn whatever the user painted or selected into the boolean mask the engine works with."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .errors import InputError


def mask_array(mask: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """``[H, W]`` bool, True = fill. ``size`` is the image's (width, height).

    Nonzero pixels fill. A mask with an alpha channel or a transparent colour (e.g. white strokes on a
    transparent layer, a GIF) fills where it is both opaque and nonzero, so its transparent background
    never counts.
    """
    if mask.size != size:
        raise InputError(
            f"mask is {mask.width}x{mask.height} but the image is {size[0]}x{size[1]}; they must match"
        )
    if "transparency" in mask.info and mask.mode in ("P", "L", "RGB"):
        mask = mask.convert("RGBA")  # e.g. a GIF mask: its transparent background never fills
    if mask.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = np.asarray(mask.getchannel("A")) > 0
        return alpha & (np.asarray(mask.convert("RGB").convert("L")) > 0)
    if mask.mode in ("1", "L"):
        return np.asarray(mask) > 0
    if mask.mode in ("I", "I;16", "I;16L", "I;16B", "F"):
        return np.nan_to_num(np.asarray(mask)) > 0
    return np.asarray(mask.convert("L")) > 0


def alpha_mask(image: Image.Image) -> np.ndarray:
    """``[H, W]`` bool of fully transparent pixels: the mask when the user gives none."""
    if "A" not in image.getbands() and "transparency" not in image.info:
        raise InputError("no mask given and the image has no transparent pixels to fill")
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    return np.asarray(rgba.getchannel("A")) == 0
