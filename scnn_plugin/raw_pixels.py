"""Raw pixel buffers of the GIMP pipe protocol, to and from the PIL images the engine fills.

The plug-in writes a layer's pixels as raw interleaved unsigned ints (Y, YA, RGB or RGBA, 8 or 16
bit, native-endian, row-major) and reads the result back in the same layout, or with alpha added
for a new layer. These functions are that conversion and nothing else: no protocol, no engine.
"""

from __future__ import annotations

import os
import stat

import numpy as np
from PIL import Image

from .errors import InputError


def read_pixels(
    path: str, width: int, height: int, channels: int, depth: int, name: str = "image"
) -> np.ndarray:
    """``[H, W, C]`` uint8 or uint16 from a raw file; ``InputError`` unless it is a regular file
    of exactly the layout's size, so a device or pipe (``/dev/zero``) is never read without end."""
    dtype = np.dtype(np.uint8 if depth == 8 else np.uint16)
    expected = width * height * channels * dtype.itemsize
    try:
        info = os.stat(path)
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise InputError(f"{name} {path} cannot be read: {_reason(err)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{name} {path} is not a regular file")
    size = info.st_size
    if size == expected:
        try:
            with open(path, "rb") as file:
                data = file.read(expected)
        except OSError as err:
            raise InputError(f"{name} {path} cannot be read: {_reason(err)}") from None
        size = len(data)
    if size != expected:
        raise InputError(
            f"{name} {path} holds {size} bytes; "
            f"{width}x{height}x{channels} at {depth} bit needs {expected}"
        )
    return np.frombuffer(data, dtype=dtype).reshape(height, width, channels)


def to_engine_image(pixels: np.ndarray) -> Image.Image:
    """The PIL image the engine fills: 8-bit Y/YA/RGB/RGBA as is, 16-bit Y as ``I;16``.

    16-bit YA, RGB and RGBA have no Pillow mode, so the engine sees them rounded to 8 bit, alpha 0
    exactly where the layer's is: the engine takes fully transparent pixels as unknown, never as
    context. ``from_engine_image`` keeps every unfilled pixel at full precision.
    """
    channels = pixels.shape[2]
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    if pixels.dtype == np.uint8:
        return Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)
    if channels == 1:
        return Image.fromarray(np.ascontiguousarray(pixels[..., 0]))  # I;16
    eight = ((pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if channels in (2, 4):  # rounded up: an alpha of 1..128 is not fully transparent
        eight[..., -1] = (pixels[..., -1].astype(np.uint32) + 256) // 257
    return Image.fromarray(eight, mode)


def from_engine_image(filled: Image.Image, pixels: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """Engine output back in the request's layout; pixels outside ``holes`` are the input's, exactly."""
    out = np.array(pixels)
    result = np.asarray(filled)
    if result.ndim == 2:
        result = result[..., None]
    colour = 1 if pixels.shape[2] <= 2 else 3
    values = result[..., :colour]
    if pixels.dtype == np.uint16 and values.dtype == np.uint8:
        values = values.astype(np.uint16) * 257
    out[..., :colour][holes] = values[holes].astype(out.dtype)
    return out


def as_layer(pixels: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """Add (or keep) alpha and multiply it by the selection coverage (``[H, W]`` uint8 0..255)."""
    has_alpha = pixels.shape[2] in (2, 4)
    top = np.iinfo(pixels.dtype).max
    alpha = (
        pixels[..., -1].astype(np.float64) if has_alpha else np.full(pixels.shape[:2], float(top))
    )
    alpha = np.rint(alpha * coverage / 255.0).astype(pixels.dtype)
    colour = pixels[..., :-1] if has_alpha else pixels
    return np.concatenate([colour, alpha[..., None]], axis=2)


def _reason(err: Exception) -> str:
    """``No such file or directory``, not the errno and the path again."""
    return getattr(err, "strerror", None) or str(err)
