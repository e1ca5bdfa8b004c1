"""Reading and writing image files: clear errors for bad files, atomic saves that keep metadata."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from . import rgb16
from .atomic import atomic_write
from .errors import InputError

# Pillow warns above this many pixels and refuses twice as many (a decompression bomb). 100 MP photos
# must open, so the guard sits just above that: warn above 110 MP, refuse above 220 MP.
Image.MAX_IMAGE_PIXELS = 110_000_000


def load_image(path: str | os.PathLike) -> Image.Image:
    """Open and fully decode ``path`` with its EXIF orientation applied; ``InputError`` on any failure.

    Animated images give their first frame. The file is closed before returning. A file with 16 bits
    per colour sample opens as 8-bit ``RGB``/``RGBA`` carrying its full values for ``save_image``
    (see ``rgb16``).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    try:
        with Image.open(path) as im:
            im.seek(0)
            deep_tiles = list(im.tile) if rgb16.is_deep(im) else None
            im.load()
            fmt = im.format
            oriented = ImageOps.exif_transpose(im)
            image = oriented if oriented is not im else im.copy()
            if deep_tiles:  # 16 bits a sample: Pillow gave the high bytes, fetch the low ones
                values = rgb16.full_values(im, rgb16.read_low_bytes(path, deep_tiles))
                image.info[rgb16.INFO_KEY] = rgb16.transposed(values, im)
    except Image.DecompressionBombError as err:
        raise InputError(f"{path}: refused as a possible decompression bomb ({err})") from None
    except UnidentifiedImageError:
        raise InputError(f"{path}: not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise InputError(f"{path}: the image is corrupt or truncated ({err})") from None
    image.format = fmt  # copies lose it; saving wants to know what the file was
    return image


def save_image(image: Image.Image, path: str | os.PathLike) -> None:
    """Save atomically in the format named by ``path``'s extension, keeping EXIF and ICC profile.

    A failure (unsupported mode for the format, full disk, read-only folder) raises ``InputError``
    and leaves any existing file at ``path`` untouched.
    """
    path = Path(path)
    ext = path.suffix.lower()
    fmt = Image.registered_extensions().get(ext)
    if fmt is None:
        raise InputError(f"{path}: unknown image file extension {ext!r}")
    params: dict = {}
    for key in ("exif", "icc_profile", "dpi"):
        if image.info.get(key):
            params[key] = image.info[key]
    deep = rgb16.merge(image)
    if deep is not None and fmt == "PNG":
        _save_atomically(path, fmt, lambda tmp: rgb16.save_png(deep, tmp, image.info))
        return
    if deep is not None and fmt not in _EIGHT_BIT_FORMATS:
        raise InputError(
            f"{path}: the image has 16 bits per channel and {fmt} would be written with 8 here; "
            "save it as .png to keep them (.jpg or .webp store 8 bits)"
        )
    if fmt == "JPEG":
        params.update(quality=95, subsampling=0)
        if image.mode not in ("RGB", "L", "CMYK", "YCbCr"):
            raise InputError(f"{path}: JPEG cannot store a {image.mode} image; save as PNG or TIFF")
    _save_atomically(path, fmt, lambda tmp: image.save(tmp, format=fmt, **params))


# Formats that hold 8 bits a sample whatever the source: a 16-bit photo saved as one is a choice.
_EIGHT_BIT_FORMATS = {"JPEG", "WEBP"}


def _save_atomically(path: Path, fmt: str, write: Callable[[Path], None]) -> None:
    try:
        atomic_write(path, write)
    except OSError as err:
        raise InputError(f"{path}: could not save ({err.strerror or err})") from None
    except (ValueError, KeyError) as err:
        raise InputError(f"{path}: {fmt} cannot store this image ({err})") from None
