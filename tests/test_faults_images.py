"""Bad image files and every image mode: one clear ``InputError`` or a correct result, never a crash.

Each case goes through the file boundary (``load_image`` -> ``inpaint`` -> ``save_image`` -> reload),
which is what the CLI and the window do; ``test_engine.py`` covers the same modes through the API only.
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scnn_plugin import InputError
from scnn_plugin.image_io import load_image, read_header, save_image


def _png_with_size(width: int, height: int) -> bytes:
    """A real 8x8 PNG whose header claims ``width`` x ``height``: how a bomb announces itself."""
    out = io.BytesIO()
    Image.new("L", (8, 8), 0).save(out, "PNG")
    data = bytearray(out.getvalue())
    data[16:24] = struct.pack(">II", width, height)  # IHDR width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def _photo_bytes(photo: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    photo.crop((0, 0, 128, 96)).save(out, fmt)
    return out.getvalue()


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _corrupt_idat(photo: Image.Image) -> bytes:
    data = bytearray(_photo_bytes(photo, "PNG"))
    start = data.index(b"IDAT") + 40
    data[start : start + 8] = b"\xff" * 8  # breaks the chunk's CRC and the deflate stream
    return bytes(data)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.png", lambda p: b"", "the file is empty"),
        ("text.png", lambda p: b"hello, I am a text file\n", "not an image file"),
        ("random.jpg", lambda p: np.random.default_rng(0).bytes(4000), "not an image file"),
        ("cut.png", lambda p: _half(_photo_bytes(p, "PNG")), "corrupt or truncated"),
        ("cut.jpg", lambda p: _half(_photo_bytes(p, "JPEG")), "corrupt or truncated"),
        ("header.jpg", lambda p: _photo_bytes(p, "JPEG")[:200], "corrupt or truncated"),
        ("header.png", lambda p: _photo_bytes(p, "PNG")[:40], "not an image file"),
        ("crc.png", _corrupt_idat, "corrupt or truncated"),
        ("cut.gif", lambda p: _half(_photo_bytes(p, "GIF")), "corrupt or truncated"),
        ("cut.tif", lambda p: _half(_photo_bytes(p, "TIFF")), "corrupt or truncated"),
    ],
)
def test_unreadable_file_is_one_clear_input_error(tmp_path, photo, name, content, message):
    path = tmp_path / name
    path.write_bytes(content(photo))
    with pytest.raises(InputError, match=message) as info:
        load_image(path)
    text = str(info.value)
    assert name in text and "\n" not in text


@pytest.mark.parametrize("which", ["image", "mask"])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_lazily_opened_truncated_file_is_one_clear_input_error(
    tmp_path, fast_inpainter, photo, fmt, which
):
    """Issue 25: ``Image.open`` decodes lazily, so the engine met Pillow's own OSError."""
    source = photo if which == "image" else Image.new("L", photo.size, 255)
    whole = io.BytesIO()
    source.save(whole, fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(_half(whole.getvalue()))
    hole = Image.new("L", photo.size, 0)
    hole.paste(255, (200, 200, 240, 240))
    with Image.open(path) as cut:  # not loaded yet: the header alone is read
        image, mask = (cut, hole) if which == "image" else (photo, cut)
        with pytest.raises(InputError, match=f"the {which} .*truncated") as info:
            fast_inpainter.inpaint(image, mask)
    assert "\n" not in str(info.value)


def test_missing_file_and_folder_say_no_such_file(tmp_path):
    for path in (tmp_path / "gone.png", tmp_path):
        with pytest.raises(InputError, match="no such file"):
            load_image(path)


def test_decompression_bomb_is_refused_with_a_message(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_with_size(30_000, 30_000))  # 900 MP announced by a 100-byte file
    with pytest.raises(InputError, match="decompression bomb"):
        load_image(path)


def test_a_100_megapixel_header_passes_the_bomb_guard(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(_png_with_size(10_000, 10_000))
    with pytest.raises(InputError) as info:  # its pixel data is missing, but it is not a bomb
        load_image(path)
    assert "bomb" not in str(info.value) and "truncated" in str(info.value)


@pytest.mark.slow
def test_100_megapixel_image_costs_follow_the_mask(tmp_path):
    """100 MP with a 40x40 hole: one tile runs, and peak memory stays a small multiple of the image."""
    script = f"""
import json, resource, time
from PIL import Image
from scnn_plugin import Inpainter, InpaintOptions
inp = Inpainter.from_pretrained({str(_weights(tmp_path))!r}, device="cpu",
                                options=InpaintOptions(tile=64, overlap=16, timesteps=1))
image = Image.new("RGB", (10_000, 10_000), (90, 100, 110))
mask = Image.new("L", image.size, 0)
mask.paste(255, (5000, 5000, 5040, 5040))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
out = inp.inpaint(image, mask)
seconds = time.monotonic() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
same = out.size == image.size and out.getpixel((0, 0)) == (90, 100, 110)
print(json.dumps({{"seconds": seconds, "extra_mb": (peak - before) / 1024, "same": same}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["same"]
    # The image is 300 MB; the run needs its copy, the boolean mask and the output: < 4x the image.
    assert report["extra_mb"] < 4 * 300, report
    assert report["seconds"] < 60, report


def _weights(folder: Path) -> Path:
    import torch

    from scnn_plugin.models import build_model
    from scnn_plugin.weights import save_weights

    torch.manual_seed(0)
    path = folder / "tiny.safetensors"
    save_weights(path, build_model("paper", width=8), "paper", {"width": 8}, "0.1.0")
    return path


def _changed(a: Image.Image, b: Image.Image) -> np.ndarray:
    d = np.asarray(a) != np.asarray(b)
    return d.reshape(d.shape[0], d.shape[1], -1).any(axis=-1)


def _round_trip(inpainter, image: Image.Image, suffix: str, folder: Path) -> tuple:
    """Save ``image``, load it as a user would, fill a box, save, reload: (loaded, hole, reloaded)."""
    src, dst = folder / f"in{suffix}", folder / f"out{suffix}"
    save_image(image, src)
    loaded = load_image(src)
    hole = np.zeros((loaded.height, loaded.width), bool)
    hole[loaded.height // 4 : loaded.height // 2 + 1, loaded.width // 3 : loaded.width // 2 + 1] = (
        True
    )
    out = inpainter.inpaint(loaded, Image.fromarray(hole))
    save_image(out, dst)
    return loaded, hole, load_image(dst)


def _grey16(photo: Image.Image) -> Image.Image:
    grey = np.asarray(photo.convert("L"), np.uint16) * 257
    return Image.fromarray(grey)


@pytest.mark.parametrize(
    "mode, suffix",
    [
        ("1", ".png"),
        ("L", ".png"),
        ("LA", ".png"),
        ("P", ".png"),
        ("RGB", ".png"),
        ("RGB", ".jpg"),
        ("RGBA", ".webp"),
        ("CMYK", ".tif"),
        ("CMYK", ".jpg"),
        ("I;16", ".png"),
        ("I", ".tif"),
        ("F", ".tif"),
        ("YCbCr", ".jpg"),
    ],
)
def test_every_mode_survives_load_fill_save(tmp_path, fast_inpainter, photo, mode, suffix):
    small = photo.resize((96, 72))
    if mode == "I;16":
        image = _grey16(small)
    elif mode in ("I", "F"):
        image = small.convert("L").convert(mode)
    else:
        image = small.convert(mode)
    loaded, hole, reloaded = _round_trip(fast_inpainter, image, suffix, tmp_path)
    assert reloaded.size == loaded.size
    assert reloaded.mode == loaded.mode
    if suffix not in (".jpg", ".webp"):  # lossy formats change every pixel on save
        assert not _changed(loaded, reloaded)[~hole].any()


def test_sixteen_bit_png_keeps_full_precision_outside_the_mask(tmp_path, fast_inpainter):
    ramp = (np.arange(80 * 60, dtype=np.uint32).reshape(60, 80) * 13 % 65536).astype(np.uint16)
    loaded, hole, reloaded = _round_trip(fast_inpainter, Image.fromarray(ramp), ".png", tmp_path)
    assert loaded.mode == reloaded.mode == "I;16"
    values = np.asarray(reloaded)
    assert np.array_equal(values[~hole], ramp[~hole]) and values.max() > 255


def test_exif_orientation_is_applied_once(tmp_path, fast_inpainter, photo):
    wide = photo.crop((0, 0, 120, 80))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": the stored pixels are sideways
    wide.save(tmp_path / "sideways.jpg", exif=exif, quality=95)
    loaded = load_image(tmp_path / "sideways.jpg")
    assert loaded.size == (80, 120)
    mask = Image.new("L", loaded.size, 0)
    mask.paste(255, (10, 10, 30, 40))
    save_image(fast_inpainter.inpaint(loaded, mask), tmp_path / "out.jpg")
    again = load_image(tmp_path / "out.jpg")
    assert again.size == (80, 120)  # the saved file is upright and not rotated a second time
    assert Image.open(tmp_path / "out.jpg").getexif().get(0x0112, 1) == 1


def _frames(count: int) -> list[Image.Image]:
    return [Image.new("RGB", (40, 30), (60 * i, 255 - 60 * i, 90)) for i in range(count)]


@pytest.mark.parametrize(
    "name, save",
    [
        ("anim.gif", {"save_all": True, "duration": 50}),
        ("anim.png", {"save_all": True, "duration": 50}),  # APNG
        ("pages.tif", {"save_all": True}),
        ("anim.webp", {"save_all": True, "duration": 50, "lossless": True}),
    ],
)
def test_a_file_of_several_frames_is_refused_naming_the_count(tmp_path, name, save):
    """Filling the first frame dropped the others without a word (issue 43)."""
    frames = _frames(3)
    frames[0].save(tmp_path / name, append_images=frames[1:], **save)
    assert Image.open(tmp_path / name).n_frames == 3
    message = f"{tmp_path / name}: has 3 frames (an animation or a multi-page file)"
    with pytest.raises(InputError, match=re.escape(message)):
        load_image(tmp_path / name)
    with pytest.raises(InputError, match=re.escape(message)):
        read_header(tmp_path / name)


def test_a_one_frame_gif_still_opens(tmp_path):
    _frames(1)[0].save(tmp_path / "still.gif")
    assert load_image(tmp_path / "still.gif").size == (40, 30)


def test_the_command_line_refuses_an_animated_mask_before_the_model_loads(tmp_path, capsys):
    from scnn_plugin.cli import main

    Image.new("RGB", (40, 30)).save(tmp_path / "in.png")
    frames = [Image.new("L", (40, 30), v) for v in (0, 255)]
    frames[0].save(tmp_path / "mask.gif", save_all=True, append_images=frames[1:])
    args = [str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.gif")]
    assert main([*args, "-o", str(tmp_path / "out.png"), "--weights", "absent.safetensors"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.endswith(
        "mask.gif: has 2 frames (an animation or a multi-page file); only a "
        "single picture can be filled: save the frame to fill as a file of its own"
    )


@pytest.mark.parametrize("size", [(2, 3), (1, 37), (53, 1)])  # 1x1 masked: refused, see masks
def test_one_pixel_wide_files_round_trip(tmp_path, fast_inpainter, size):
    image = Image.fromarray(np.random.default_rng(3).integers(0, 255, (*size[::-1], 3), np.uint8))
    loaded, hole, reloaded = _round_trip(fast_inpainter, image, ".png", tmp_path)
    assert reloaded.size == image.size
    assert not _changed(loaded, reloaded)[~hole].any()


def test_unsupported_mode_and_non_images_are_input_errors(fast_inpainter):
    with pytest.raises(InputError, match="unsupported image mode 'RGBX'.*RGBA"):
        fast_inpainter.inpaint(Image.new("RGBX", (8, 8)), Image.new("L", (8, 8), 255))
    with pytest.raises(InputError, match="image must be a PIL image, got ndarray"):
        fast_inpainter.inpaint(np.zeros((8, 8, 3), np.uint8), Image.new("L", (8, 8), 255))


def test_float_image_with_nan_and_inf_is_filled_without_warnings(fast_inpainter, recwarn):
    values = np.linspace(0, 4, 24 * 16, dtype=np.float32).reshape(16, 24)
    values[0, 0], values[1, 1], values[2, 2] = np.nan, np.inf, -np.inf
    mask = np.zeros((16, 24), np.uint8)
    mask[5:10, 5:12] = 255
    out = np.asarray(fast_inpainter.inpaint(Image.fromarray(values), Image.fromarray(mask)))
    assert np.isfinite(out[5:10, 5:12]).all() and 0 <= out[5:10, 5:12].min() <= 4
    outside = mask == 0
    assert np.array_equal(out[outside], values[outside], equal_nan=True)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("offset", [162_000, -70_000, 2_000_000_000])
def test_32_bit_integer_image_beyond_16_bits_is_filled_in_its_own_range(inpainter, photo, offset):
    """Issue 25: mode I above 65535 was read as if clipped to 16 bits and filled far too dark."""
    grey = np.asarray(photo.convert("L").resize((128, 96)), np.int64)
    values = (offset + grey * 40).astype(np.int32)
    hole = np.zeros(values.shape, bool)
    hole[40:56, 50:70] = True
    out = np.asarray(inpainter.inpaint(Image.fromarray(values, "I"), Image.fromarray(hole)))
    assert np.array_equal(out[~hole], values[~hole])
    ring = np.zeros_like(hole)
    ring[34:62, 44:76] = True
    ring &= ~hole
    fill, around = out[hole].astype(np.float64), values[ring].astype(np.float64)
    assert abs(fill.mean() - around.mean()) < 0.15 * (values.max() - values.min())
    assert values.min() <= fill.min() and fill.max() <= values.max()
