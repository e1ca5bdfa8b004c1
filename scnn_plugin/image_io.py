"""Reading and writing image files: clear errors for bad files, atomic saves that keep metadata."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import atomic_write
from .errors import InputError

# Pillow warns above this many pixels and refuses twice as many (a decompression bomb). 100 MP photos
# must open, so the guard sits just above that: warn above 110 MP, refuse above 220 MP.
Image.MAX_IMAGE_PIXELS = 110_000_000


def load_image(path: str | os.PathLike) -> Image.Image:
    """Open and fully decode ``path`` with its EXIF orientation applied; ``InputError`` on any failure.

    Animated images give their first frame. The file is closed before returning.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    try:
        with Image.open(path) as im:
            im.seek(0)
            im.load()
            fmt = im.format
            oriented = ImageOps.exif_transpose(im)
            image = oriented if oriented is not im else im.copy()
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
    if fmt == "JPEG":
        params.update(quality=95, subsampling=0)
        if image.mode not in ("RGB", "L", "CMYK", "YCbCr"):
            raise InputError(f"{path}: JPEG cannot store a {image.mode} image; save as PNG or TIFF")
    try:
        atomic_write(path, lambda tmp: image.save(tmp, format=fmt, **params))
    except OSError as err:
        raise InputError(f"{path}: could not save ({err.strerror or err})") from None
    except (ValueError, KeyError) as err:
        raise InputError(f"{path}: {fmt} cannot store this image ({err})") from None
