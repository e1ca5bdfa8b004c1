"""16-bit-per-channel colour files (48/64-bit PNG and TIFF), which Pillow only knows as 8-bit.

Pillow has no 16-bit RGB mode: it opens such a file as ``RGB``/``RGBA`` holding each sample's high
byte. Decoding the same file a second time with the byte order swapped (``RGB;16B`` read as
``RGB;16L``) gives the low bytes, through Pillow's own decoder (PNG filters, interlacing, TIFF
strips), so the full values come back without another dependency. The engine works on the 8-bit
view; the full values travel in ``image.info[INFO_KEY]`` and ``merge`` puts them back: every pixel
the engine did not change keeps its 16-bit values, a changed one gets its 8-bit fill times 257 (a
filled pixel that came out equal to the 8-bit view keeps the input's value, which is within the
fill's 8-bit step of it). Alpha is never filled and keeps its 16 bits.
``save_png`` writes the result as a 16-bit PNG, which Pillow cannot do either.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# The ``info`` key carrying the full-precision samples: ``[H, W, C]`` uint16, as displayed.
INFO_KEY = "scnn_inpaint.rgb16"

_SWAPPED = {
    "RGB;16B": "RGB;16L",
    "RGB;16L": "RGB;16B",
    "RGBA;16B": "RGBA;16L",
    "RGBA;16L": "RGBA;16B",
}
_NATIVE = {"RGB;16N": "RGB;16" + ("L" if np.little_endian else "B")}
_NATIVE["RGBA;16N"] = "RGBA;16" + _NATIVE["RGB;16N"][-1]


def _rawmode(tile: tuple) -> str | None:
    args = tile[3]
    raw = (
        args if isinstance(args, str) else (args[0] if args and isinstance(args[0], str) else None)
    )
    return _NATIVE.get(raw, raw)


def _with_rawmode(tile: tuple, raw: str) -> tuple:
    args = tile[3]
    args = raw if isinstance(args, str) else (raw, *args[1:])
    return tile._replace(args=args) if hasattr(tile, "_replace") else (*tile[:3], args)


def is_deep(im: Image.Image) -> bool:
    """True for an opened, not yet loaded file whose colour samples are 16 bits."""
    return bool(im.tile) and all(_rawmode(t) in _SWAPPED for t in im.tile)


def read_low_bytes(path: Path, frame_tiles: list) -> np.ndarray:
    """The low byte of every sample: ``path`` decoded again with the byte order swapped."""
    with Image.open(path) as again:
        again.tile = [_with_rawmode(t, _SWAPPED[_rawmode(t)]) for t in frame_tiles]
        again.load()
        return np.asarray(again)


def full_values(high: Image.Image, low: np.ndarray) -> np.ndarray:
    """``[H, W, C]`` uint16 from the two decodes."""
    return np.asarray(high).astype(np.uint16) << 8 | low.astype(np.uint16)


def transposed(values: np.ndarray, image: Image.Image) -> np.ndarray:
    """``values`` turned as ``ImageOps.exif_transpose`` turns ``image`` (its EXIF orientation)."""
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1))
    if method is None:
        return values
    channels = [
        Image.fromarray(np.ascontiguousarray(values[..., c])) for c in range(values.shape[2])
    ]
    return np.stack([np.asarray(ch.transpose(method)) for ch in channels], axis=2)


def merge(image: Image.Image) -> np.ndarray | None:
    """The 16-bit samples of ``image`` (an engine result), or None when it carries none / no longer
    fits them (another size or mode)."""
    values = image.info.get(INFO_KEY)
    if not isinstance(values, np.ndarray) or image.mode not in ("RGB", "RGBA"):
        return None
    now = np.asarray(image)
    if now.shape != values.shape:
        return None
    colour = slice(0, 3)  # alpha is never written by the engine: it keeps its 16 bits as is
    changed = (now[..., colour] != (values[..., colour] >> 8)).any(axis=2)
    out = values.copy()
    out[..., colour][changed] = now[..., colour][changed].astype(np.uint16) * 257
    return out


def save_png(values: np.ndarray, path: Path, info: dict) -> None:
    """Write ``[H, W, 3|4]`` uint16 as a 16-bit PNG, with ``info``'s ICC profile, EXIF and dpi."""
    height, width, channels = values.shape
    colour_type = 2 if channels == 3 else 6
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))]
    if info.get("icc_profile"):
        chunks.append((b"iCCP", b"ICC Profile\0\0" + zlib.compress(info["icc_profile"])))
    if info.get("dpi"):
        ppm = [round(float(d) / 0.0254) for d in info["dpi"]]
        chunks.append((b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    exif = info.get("exif")
    if isinstance(exif, bytes) and exif:
        chunks.append((b"eXIf", exif[6:] if exif.startswith(b"Exif\0\0") else exif))
    packer = zlib.compressobj(6)
    idat = []
    above = np.zeros((1, width * channels * 2), np.uint8)
    for y in range(0, height, _ROWS):  # a block of rows at a time: memory stays near the image
        raw = values[y : y + _ROWS].astype(">u2").view(np.uint8).reshape(-1, width * channels * 2)
        idat.append(packer.compress(_paeth_rows(raw, above, channels * 2).tobytes()))
        above = raw[-1:]
    idat.append(packer.flush())
    chunks += [(b"IDAT", b"".join(idat)), (b"IEND", b"")]
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        for kind, data in chunks:
            f.write(struct.pack(">I", len(data)) + kind + data)
            f.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


_ROWS = 256


def _paeth_rows(raw: np.ndarray, above: np.ndarray, bpp: int) -> np.ndarray:
    """``raw``'s rows Paeth-filtered (PNG filter 4), each behind its filter-type byte; ``above`` is
    the unfiltered row before them (zeros for the first).

    Encoding predicts from the unfiltered bytes, so it vectorises (only decoding is sequential).
    """
    up = np.concatenate([above, raw[:-1]])
    a = np.zeros_like(raw)  # left
    a[:, bpp:] = raw[:, :-bpp]
    c = np.zeros_like(raw)  # up-left
    c[:, bpp:] = up[:, :-bpp]
    ai, bi, ci = (x.astype(np.int16) for x in (a, up, c))
    p = ai + bi - ci
    pa, pb, pc = np.abs(p - ai), np.abs(p - bi), np.abs(p - ci)
    pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, up, c))
    out = np.empty((raw.shape[0], raw.shape[1] + 1), np.uint8)
    out[:, 0] = 4
    out[:, 1:] = raw - pred  # uint8 arithmetic wraps modulo 256, as PNG wants
    return out
