"""The Pillow boundary: every image mode in, an RGB view for the model, the same mode out.

The output starts as a copy of the input and only masked pixels are ever written, so everything outside
the mask stays bit-identical whatever the mode (8/16-bit, float, palette, CMYK, alpha).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from .errors import InputError

if TYPE_CHECKING:  # torch loads with the tensor helpers: the mask rules here must not pay for it
    import torch

    from .masks import FillMask

_ALPHA_MODES = {"RGBA": "RGB", "LA": "L", "PA": "P"}
NUMERIC_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}  # one number a pixel, beyond 8 bits
_CONVERTIBLE_MODES = {"RGB", "L", "1", "P", "CMYK", "YCbCr", "LAB", "HSV"}
SUPPORTED_MODES = tuple(sorted(_CONVERTIBLE_MODES | set(_ALPHA_MODES) | NUMERIC_MODES))


@dataclass
class Canvas:
    """An image as the engine sees it, read and written window by window.

    ``read`` gives the model an RGB uint8 view of one window and ``holes`` the pixels in it that
    the network fills (the mask's holes and fully transparent pixels alike); ``write`` converts
    model RGB back into the image's own representation for the given pixels only and pastes them
    into ``output``, a copy of the input made by Pillow. No whole-image colour array is ever made, so
    memory stays near one copy of the image whatever its size.
    """

    image: Image.Image
    output: Image.Image
    color_mode: str  # the mode of the colour part (alpha split off)
    value_range: tuple[float, float]  # numeric modes: the input range mapped to [0, 1]
    # ``[H, W]`` bool, True = the network fills it, taking none of it as context: the mask's holes
    # and the fully transparent pixels (``FillMask.network_holes``). Only the mask's are written.
    holes: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return self.image.height, self.image.width

    def read(self, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """``[y1 - y0, x1 - x0, 3]`` uint8 RGB of the input window, as stored: where ``holes``
        is True it is no context, so callers hand ``holes`` to the network as its mask."""
        crop = self.image.crop((x0, y0, x1, y1))
        mode = self.image.mode
        if mode in ("RGB", "RGBA"):
            return np.asarray(crop)[..., :3]
        if mode in NUMERIC_MODES:
            lo, hi = self.value_range
            grey = np.clip((np.asarray(crop, np.float32) - lo) / (hi - lo) * 255 + 0.5, 0, 255)
            grey = np.nan_to_num(grey, nan=0.0)  # NaN pixels in a float image: black to the model
            return np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)
        return np.asarray(crop.convert("RGB"))

    def write(self, y0: int, x0: int, rgb01: np.ndarray, where: np.ndarray) -> None:
        """Write ``rgb01`` (``[h, w, 3]`` floats in [0, 1]) at (y0, x0) where ``where`` is True."""
        rows, cols = np.flatnonzero(where.any(axis=1)), np.flatnonzero(where.any(axis=0))
        if rows.size == 0:
            return
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1  # only the touched box
        where, rgb01 = where[r0:r1, c0:c1], rgb01[r0:r1, c0:c1]
        box = (x0 + c0, y0 + r0, x0 + c1, y0 + r1)
        region = np.array(self.output.crop(box))
        values = _from_rgb(rgb01[where], self, region.dtype)
        if self.color_mode != self.image.mode:  # alpha kept, colour written
            values = values.reshape(len(values), -1)
            region[..., : values.shape[-1]][where] = values
        else:
            region[where] = values
        self.output.paste(_as_image(region, self.image.mode), box[:2])

    def to_image(self) -> Image.Image:
        """The result: the input's mode, size, palette and metadata."""
        return self.output


def _as_image(array: np.ndarray, mode: str) -> Image.Image:
    image = Image.fromarray(array)
    if image.mode != mode:  # same bytes, a mode numpy cannot name (P, PA, CMYK, YCbCr, ...)
        image = Image.frombytes(mode, (array.shape[1], array.shape[0]), array.tobytes())
    return image


def decode(image: Image.Image, what: str) -> None:
    """Decode ``image`` now: ``Image.open`` reads only the header, so a cut or corrupt file would
    otherwise surface as Pillow's own error wherever the pixels are first touched."""
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as err:  # what Pillow's decoders raise
        raise InputError(f"the {what} could not be decoded: {err}") from None


def open_canvas(image: Image.Image, fill: FillMask) -> Canvas:
    """Wrap ``image`` whose ``fill`` (of its size) is to be filled.

    ``InputError`` for unsupported modes (naming the supported ones), an empty image, and a mask
    that leaves nothing to fill from (``FillMask.network_holes``), in that order.
    """
    mode = image.mode
    if mode not in SUPPORTED_MODES:
        raise InputError(
            f"unsupported image mode {mode!r}; supported: {', '.join(SUPPORTED_MODES)}"
        )
    if image.width < 1 or image.height < 1:
        raise InputError(f"image is empty ({image.width}x{image.height})")
    holes = fill.network_holes(image)
    value_range = numeric_range(image) if mode in NUMERIC_MODES else (0.0, 1.0)
    return Canvas(image, image.copy(), _ALPHA_MODES.get(mode, mode), value_range, holes)


def alpha_channel(image: Image.Image) -> np.ndarray | None:
    """``[H, W]`` uint8 opacity of an image with an alpha channel or a transparent colour (a
    palette index, a keyed grey or RGB value: 0 there, 255 elsewhere); None for any other image."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return np.asarray(image.getchannel("A"))
    if "transparency" in image.info and image.mode in ("P", "L", "RGB"):
        return np.asarray(image.convert("RGBA").getchannel("A"))
    return None


def transparent_pixels(image: Image.Image) -> np.ndarray | None:
    """``[H, W]`` bool of fully transparent pixels (alpha 0, or a palette's transparent index);
    None for an image without transparency."""
    alpha = alpha_channel(image)
    return None if alpha is None else alpha == 0


def numeric_range(image: Image.Image) -> tuple[float, float]:
    """(black, white) of a ``NUMERIC_MODES`` image: the value range its pixels are meant in.

    16-bit modes are 0..65535; a 32-bit ``I`` image holding 8- or 16-bit data is read as such, and
    wider data (or a float image beyond [0, 1]) by its own finite extremes.
    """
    if image.mode == "F":
        pixels = np.asarray(image)
        finite = pixels[np.isfinite(pixels)]  # NaN / inf would make the whole view NaN
        if finite.size == 0:
            return 0.0, 1.0
        lo, hi = float(finite.min()), float(finite.max())
        return (0.0, 1.0) if 0.0 <= lo and hi <= 1.0 else (lo, hi if hi > lo else lo + 1.0)
    if image.mode != "I":
        return 0.0, 65535.0  # I;16 and its byte orders
    lo, hi = image.getextrema()  # 32-bit: 8-bit or 16-bit data stored wide, or any range at all
    if lo >= 0 and hi <= 255:
        return 0.0, 255.0
    if lo >= 0 and hi <= 65535:
        return 0.0, 65535.0
    return float(lo), float(hi if hi > lo else lo + 1)  # beyond 16 bits: the image's own range


def _from_rgb(rgb01: np.ndarray, canvas: Canvas, dtype: np.dtype) -> np.ndarray:
    """``[n, 3]`` floats -> ``[n, ...]`` values in the canvas's colour representation."""
    mode = canvas.color_mode
    rgb8 = np.clip(rgb01 * 255 + 0.5, 0, 255).astype(np.uint8)
    if mode == "RGB":
        return rgb8
    if mode in NUMERIC_MODES:
        lo, hi = canvas.value_range
        grey = rgb01 @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        values = lo + np.clip(grey, 0, 1) * (hi - lo)
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


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """``[H, W, 3]`` or ``[N, H, W, 3]`` uint8 RGB -> ``[N, 3, H, W]`` float32 in [0, 1] (CPU).

    The one place pixels enter the core's tensor convention. The result is a permuted view, so it
    is channels-last in memory, which the convolutions prefer.
    """
    import torch

    array = np.asarray(rgb)
    if array.dtype != np.uint8 or array.ndim not in (3, 4) or array.shape[-1] != 3:
        raise ValueError(
            f"expected uint8 [H, W, 3] or [N, H, W, 3], got {array.dtype} {list(array.shape)}"
        )
    if not array.flags.writeable:  # e.g. np.asarray of a PIL image; torch wants writable memory
        array = array.copy()
    batch = torch.from_numpy(array if array.ndim == 4 else array[None])
    return batch.permute(0, 3, 1, 2).float().div_(255)


def to_rgb(images: torch.Tensor) -> np.ndarray:
    """``[N, 3, H, W]`` floats in [0, 1] -> ``[N, H, W, 3]`` float32 numpy on the CPU, unrounded.

    Unrounded, so overlapping windows blend before anything is quantised; ``Canvas.write`` rounds.
    """
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"expected [N, 3, H, W], got {list(images.shape)}")
    return images.permute(0, 2, 3, 1).float().cpu().numpy()
