"""Reading and writing image files: clear errors for bad files, atomic saves that keep metadata.

``read_header`` and ``check_output`` answer, in milliseconds and before any model loads, whether a
file can be read and its result saved; ``load_image`` and ``save_image`` apply the same rules when
the pixels move.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from . import rgb16
from .atomic import atomic_write
from .errors import InputError

# Pillow warns above this many pixels and refuses twice as many (a decompression bomb). 100 MP photos
# must open, so the guard sits just above that: warn above 110 MP, refuse above 220 MP.
Image.MAX_IMAGE_PIXELS = 110_000_000


@dataclass(frozen=True)
class Header:
    """What an image file says before its pixels are decoded."""

    mode: str  # the Pillow mode ``load_image`` gives (a 16-bit colour file: RGB / RGBA)
    deep: bool  # 16 bits per colour sample, which only a PNG output keeps (``rgb16``)
    size: tuple[int, int]  # (width, height) as stored, before EXIF orientation


def read_header(path: str | os.PathLike) -> Header:
    """The file's ``Header``, reading only its header (and a GIF's frame list); ``InputError`` for
    what ``load_image`` would refuse that can be seen this early: no file, an empty file, not an
    image, several frames."""
    path = _existing_file(path)
    try:
        with Image.open(path) as im:
            _refuse_frames(path, im)
            return Header(im.mode, rgb16.is_deep(im), im.size)
    except InputError:
        raise
    except Exception as err:  # noqa: BLE001 - the same words as load_image's for the same file
        raise _read_error(path, err) from None


def load_image(path: str | os.PathLike) -> Image.Image:
    """Open and fully decode ``path`` with its EXIF orientation applied; ``InputError`` on any failure.

    A file of several frames (an animated GIF, PNG or WebP, a multi-page TIFF) is refused, naming
    the count: filling only its first frame would drop the rest without a word. The file is closed
    before returning. A file with 16 bits per colour sample opens as 8-bit ``RGB``/``RGBA``
    carrying its full values for ``save_image`` (see ``rgb16``).
    """
    path = _existing_file(path)
    try:
        with Image.open(path) as im:
            _refuse_frames(path, im)
            deep_tiles = list(im.tile) if rgb16.is_deep(im) else None
            im.load()
            fmt = im.format
            oriented = ImageOps.exif_transpose(im)
            image = oriented if oriented is not im else im.copy()
            if deep_tiles:  # 16 bits a sample: Pillow gave the high bytes, fetch the low ones
                values = rgb16.full_values(im, rgb16.read_low_bytes(path, deep_tiles))
                image.info[rgb16.INFO_KEY] = rgb16.transposed(values, im)
    except InputError:
        raise
    except (
        Image.DecompressionBombError,
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
    ) as err:
        raise _read_error(path, err) from None
    image.format = fmt  # copies lose it; saving wants to know what the file was
    return image


def _existing_file(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    return path


# Formats whose extra frames are not the picture's content: a camera's MPO JPEG carries a preview
# (or a second eye) after the photo, which is what every viewer shows.
_SINGLE_PICTURE_FORMATS = {"MPO"}


def _refuse_frames(path: Path, im: Image.Image) -> None:
    frames = getattr(im, "n_frames", 1)
    if frames > 1 and im.format not in _SINGLE_PICTURE_FORMATS:
        raise InputError(
            f"{path}: has {frames} frames (an animation or a multi-page file); only a single "
            "picture can be filled: save the frame to fill as a file of its own"
        )


def _read_error(path: Path, err: Exception) -> InputError:
    if isinstance(err, Image.DecompressionBombError):
        return InputError(f"{path}: refused as a possible decompression bomb ({err})")
    if isinstance(err, UnidentifiedImageError):
        return InputError(f"{path}: not an image file Pillow can read")
    return InputError(f"{path}: the image is corrupt or truncated ({err})")


def check_output(path: str | os.PathLike, header: Header, check_folder: bool = True) -> str:
    """The Pillow format ``path`` will be saved in; ``InputError`` (one line) for an output that
    could not be written, checked without writing it: an existing folder or device, no or an
    unknown extension, a format that cannot store ``header``'s mode or depth, and (unless the
    caller checked the folder itself) a missing folder or one this process cannot create files
    in."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name such as {path / 'name.png'}")
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: is not a regular file (a device or pipe)")
    fmt = output_format(path)
    check_format_stores(path, fmt, header.mode, header.deep)
    folder = path.parent
    if not check_folder:
        return fmt
    if not folder.exists():
        raise InputError(f"{path}: the folder {folder} does not exist")
    check_folder_writable(folder)
    return fmt


def output_format(path: Path) -> str:
    """The Pillow format named by ``path``'s extension; ``InputError`` if none or not writable."""
    ext = path.suffix.lower()
    if not ext:
        raise InputError(
            f"{path}: no file extension; end the name with one such as .png, .jpg or .tif"
        )
    fmt = Image.registered_extensions().get(ext)
    if fmt is None:
        raise InputError(f"{path}: unknown image file extension {ext!r}")
    if fmt not in Image.SAVE:
        raise InputError(f"{path}: Pillow reads {ext} files but cannot write them")
    return fmt


def check_format_stores(path: Path, fmt: str, mode: str, deep: bool) -> None:
    """``InputError`` unless ``fmt`` can store an image of ``mode`` (``deep``: 16 bits per colour
    sample), naming the formats that can."""
    if deep and fmt != "PNG" and fmt not in _EIGHT_BIT_FORMATS:
        raise InputError(
            f"{path}: the image has 16 bits per channel and {fmt} would be written with 8 here; "
            "save it as .png to keep them (.jpg or .webp store 8 bits)"
        )
    if not _stores(fmt, mode):
        wide = mode in _WIDE_MODES  # an 8-bit format would cut it: not a suggestion
        able = [
            ext
            for f, ext in _SUGGESTED
            if _stores(f, mode) and not (wide and f in _EIGHT_BIT_FORMATS)
        ]
        hint = f"; save as {_either(able)}" if able else ""
        raise InputError(f"{path}: {fmt} cannot store a {mode} image{hint}")


# Formats that hold 8 bits a sample whatever the source: a 16-bit photo saved as one is a choice.
_EIGHT_BIT_FORMATS = {"JPEG", "WEBP"}
_WIDE_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}  # more than 8 bits a sample
_SUGGESTED = (("PNG", ".png"), ("TIFF", ".tif"), ("WEBP", ".webp"))


@cache
def _stores(fmt: str, mode: str) -> bool:
    """Whether Pillow writes a ``mode`` image as ``fmt``: a 1x1 one, saved to memory."""
    try:
        Image.new(mode, (1, 1)).save(io.BytesIO(), format=fmt)
    except Exception:  # noqa: BLE001 - OSError, ValueError, KeyError: each plugin says no its way
        return False
    return True


def _either(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def check_folder_writable(folder: Path) -> None:
    """``InputError`` unless a file can be created in ``folder`` (which exists): a real try, so a
    read-only mount or an ACL answers, not only the mode bits."""
    try:
        fd, name = tempfile.mkstemp(prefix=".scnn-write-test-", dir=folder)
    except OSError as err:
        raise InputError(f"{folder}: cannot write in this folder ({err.strerror or err})") from None
    os.close(fd)
    os.unlink(name)


def save_image(image: Image.Image, path: str | os.PathLike) -> None:
    """Save atomically in the format named by ``path``'s extension, keeping EXIF and ICC profile.

    A failure (unsupported mode for the format, full disk, read-only folder) raises ``InputError``
    and leaves any existing file at ``path`` untouched.
    """
    path = Path(path)
    fmt = output_format(path)
    params: dict = {}
    for key in ("exif", "icc_profile", "dpi"):
        if image.info.get(key):
            params[key] = image.info[key]
    deep = rgb16.merge(image)
    if deep is not None and fmt == "PNG":
        _save_atomically(path, fmt, lambda tmp: rgb16.save_png(deep, tmp, image.info))
        return
    check_format_stores(path, fmt, image.mode, deep is not None)
    if fmt == "JPEG":
        params.update(quality=95, subsampling=0)
    _save_atomically(path, fmt, lambda tmp: image.save(tmp, format=fmt, **params))


def _save_atomically(path: Path, fmt: str, write: Callable[[Path], None]) -> None:
    try:
        atomic_write(path, write)
    except OSError as err:
        raise InputError(f"{path}: could not save ({err.strerror or err})") from None
    except (ValueError, KeyError) as err:
        raise InputError(f"{path}: {fmt} cannot store this image ({err})") from None
