"""The Pillow boundary: every image mode in, an RGB view for the model, the same mode out.

The output starts as a copy of the input's own pixel array and only masked pixels are ever written, so
everything outside the mask stays bit-identical whatever the mode (8/16-bit, float, palette, CMYK, alpha).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .errors import InputError

_ALPHA_MODES = {"RGBA": "RGB", "LA": "L", "PA": "P"}
_NUMERIC_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}
_CONVERTIBLE_MODES = {"RGB", "L", "1", "P", "CMYK", "YCbCr", "LAB", "HSV"}
SUPPORTED_MODES = tuple(sorted(_CONVERTIBLE_MODES | set(_ALPHA_MODES) | _NUMERIC_MODES))


@dataclass
class Canvas:
    """An image as the engine sees it.

    ``rgb``: ``[H, W, 3]`` uint8 input for the model. ``pixels``: the output array in the image's own
    representation, initially a copy of the input. ``write`` converts model RGB back into that
    representation for the given pixels only.
    """

    image: Image.Image
    rgb: np.ndarray
    pixels: np.ndarray
    color_mode: str  # the mode of the colour part (alpha split off)
    value_range: tuple[float, float]  # numeric modes: the input range mapped to [0, 1]

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return self.rgb.shape[0], self.rgb.shape[1]

    def write(self, y0: int, x0: int, rgb01: np.ndarray, where: np.ndarray) -> None:
        """Write ``rgb01`` (``[h, w, 3]`` floats in [0, 1]) at (y0, x0) where ``where`` is True."""
        if not where.any():
            return
        h, w = where.shape
        values = _from_rgb(rgb01[where], self)
        region = self.pixels[y0 : y0 + h, x0 : x0 + w]
        if self.color_mode != self.image.mode:  # alpha kept, colour written
            values = values.reshape(len(values), -1)
            region[..., : values.shape[-1]][where] = values
        else:
            region[where] = values

    def to_image(self) -> Image.Image:
        """A new image of the input's mode and size, with its palette and metadata."""
        mode = self.image.mode
        out = Image.fromarray(self.pixels)
        if out.mode != mode:  # same bytes, a mode numpy cannot name (P, PA, CMYK, YCbCr, ...)
            out = Image.frombytes(mode, self.image.size, self.pixels.tobytes())
        if self.image.mode in ("P", "PA"):
            out.putpalette(self.image.getpalette())
        out.info = dict(self.image.info)
        return out


def open_canvas(image: Image.Image) -> Canvas:
    """Wrap ``image``; unsupported modes raise ``InputError`` naming the supported ones."""
    mode = image.mode
    if mode not in SUPPORTED_MODES:
        raise InputError(f"unsupported image mode {mode!r}; supported: {', '.join(SUPPORTED_MODES)}")
    if image.width < 1 or image.height < 1:
        raise InputError(f"image is empty ({image.width}x{image.height})")
    pixels = np.array(image)
    color_mode = _ALPHA_MODES.get(mode, mode)
    value_range = (0.0, 1.0)
    if mode == "RGB" or mode == "RGBA":
        rgb = pixels[..., :3]
    elif mode in _NUMERIC_MODES:
        lo, hi = _numeric_range(mode, pixels)
        value_range = (lo, hi)
        grey = np.clip((pixels.astype(np.float32) - lo) / (hi - lo) * 255 + 0.5, 0, 255)
        grey = np.nan_to_num(grey, nan=0.0)  # NaN pixels in a float image: black in the model's view
        rgb = np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)
    else:
        rgb = np.asarray(image.convert("RGB"))
    return Canvas(image, rgb, pixels, color_mode, value_range)


def _numeric_range(mode: str, pixels: np.ndarray) -> tuple[float, float]:
    if mode == "F":
        finite = pixels[np.isfinite(pixels)]  # NaN / inf would make the whole view NaN
        if finite.size == 0:
            return 0.0, 1.0
        lo, hi = float(finite.min()), float(finite.max())
        return (0.0, 1.0) if 0.0 <= lo and hi <= 1.0 else (lo, hi if hi > lo else lo + 1.0)
    return 0.0, 65535.0 if mode != "I" or pixels.max() > 255 else 255.0


def _from_rgb(rgb01: np.ndarray, canvas: Canvas) -> np.ndarray:
    """``[n, 3]`` floats -> ``[n, ...]`` values in the canvas's colour representation."""
    mode = canvas.color_mode
    rgb8 = np.clip(rgb01 * 255 + 0.5, 0, 255).astype(np.uint8)
    if mode == "RGB":
        return rgb8
    if mode in _NUMERIC_MODES:
        lo, hi = canvas.value_range
        grey = rgb01 @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        values = lo + np.clip(grey, 0, 1) * (hi - lo)
        dtype = canvas.pixels.dtype
        return values if dtype.kind == "f" else np.rint(values).astype(dtype)
    strip = Image.fromarray(rgb8[None], mode="RGB")
    if mode == "P":
        palette = Image.new("P", (1, 1))
        palette.putpalette(canvas.image.getpalette())
        strip = strip.quantize(palette=palette, dither=Image.Dither.NONE)
    elif mode == "1":
        strip = strip.convert("1", dither=Image.Dither.NONE)
    else:
        strip = strip.convert(mode)
    return np.asarray(strip)[0]
