"""The photo filter keeps photographs and drops drawn art, so the training pool stays natural;
building the pool where Debian's tools or mirror are missing is one line, not a traceback."""

import subprocess

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scnn_plugin.training import debian, photos
from scnn_plugin.training.debian import licence_for
from scnn_plugin.training.photo_filter import (
    downscale,
    is_duplicate,
    looks_like_photo,
    signature,
)


def _natural_photo() -> Image.Image:
    """A real photograph when scikit-image is there, else smooth shading plus sensor-like noise."""
    try:
        from skimage import data
    except ImportError:
        rng = np.random.default_rng(0)
        y, x = np.mgrid[0:384, 0:512] / 512.0
        base = np.stack([0.6 * x + 0.2, 0.5 * y + 0.3, 0.4 + 0.3 * np.sin(6 * x * y)], axis=-1)
        noisy = base * 255 + rng.normal(0, 6, base.shape)
        return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    return Image.fromarray(data.astronaut())


def _diagram() -> Image.Image:
    """Boxes and lines in four colours on a tinted page, like a flow chart.

    The tint keeps the greyscale rule out of it: only the flat-artwork rule can reject this.
    """
    img = Image.new("RGB", (512, 384), (225, 238, 250))
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 200, 140), fill=(200, 220, 255), outline="black", width=3)
    draw.rectangle((300, 200, 470, 340), fill=(255, 230, 180), outline="black", width=3)
    draw.line((200, 90, 300, 270), fill=(200, 0, 0), width=4)
    return img


def _rgba_cartoon() -> Image.Image:
    """A photo-textured figure on a transparent background, like a cut-out sticker."""
    img = _natural_photo().convert("RGBA").resize((512, 512))
    alpha = Image.new("L", img.size, 0)
    ImageDraw.Draw(alpha).ellipse((100, 100, 400, 420), fill=255)
    img.putalpha(alpha)
    return img


def test_real_photo_is_kept() -> None:
    assert looks_like_photo(_natural_photo())


def test_flat_diagram_is_dropped() -> None:
    assert not looks_like_photo(_diagram())


def test_rgba_cartoon_is_dropped_but_opaque_rgba_photo_is_kept() -> None:
    assert not looks_like_photo(_rgba_cartoon())
    assert looks_like_photo(_natural_photo().convert("RGBA"))


def test_greyscale_and_tiny_photos_are_dropped() -> None:
    photo = _natural_photo()
    assert not looks_like_photo(photo.convert("L").convert("RGB"))
    assert not looks_like_photo(photo.resize((300, 200)))


def test_downscale_caps_short_side_and_keeps_aspect() -> None:
    out = downscale(Image.new("RGBA", (3000, 2000)))
    assert (out.mode, out.size) == ("RGB", (1536, 1024))
    assert downscale(Image.new("RGB", (800, 600))).size == (800, 600)


@pytest.mark.parametrize("size", [(256, 256), (1024, 1024)])
def test_resized_copy_is_a_duplicate_but_another_picture_is_not(size: tuple[int, int]) -> None:
    photo = _natural_photo()
    shifted = photo.crop((8, 0, photo.width, photo.height)).resize(photo.size)  # a stereo view
    seen = [signature(photo)]
    assert is_duplicate(signature(photo.resize(size)), seen)
    assert is_duplicate(signature(shifted), seen)
    assert not is_duplicate(signature(photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)), seen)


DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
License: GPL-2+

Files: 16.04/bridge.jpg
Copyright: someone
License: CC-BY-SA-4.0

Files:
 base/textures/tex_a/wall.png
License: CC0-1.0
"""


def test_licence_follows_the_last_matching_copyright_stanza() -> None:
    assert licence_for(DEP5, "usr/share/backgrounds/bridge.jpg") == "CC-BY-SA-4.0"
    assert licence_for(DEP5, "textures/tex_a/wall.png") == "CC0-1.0"
    assert licence_for(DEP5, "textures/tex_b/wall.png") == "GPL-2+"


def test_no_dpkg_is_one_line_and_nothing_is_written(tmp_path, monkeypatch, capsys) -> None:
    """Issue 35: main raised SystemExit itself; build_pool now raises a typed error and main
    answers it with one line and exit 1, before the cache folder is made."""
    monkeypatch.setattr(debian.shutil, "which", lambda tool: None)
    cache = tmp_path / "pool"
    with pytest.raises(debian.DebianPackageError, match="dpkg is needed to unpack"):
        photos.build_pool(cache, tmp_path / "debs")  # a function raises, never exits
    assert photos.main(["--cache", str(cache)]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert (
        line
        == f"{photos.PROG}: dpkg is needed to unpack the Debian packages, and it is not on PATH"
    )
    assert not cache.exists()


def test_a_package_apt_cannot_download_is_a_typed_error_naming_it(tmp_path, monkeypatch) -> None:
    calls = []

    def apt(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 100)

    monkeypatch.setattr(debian.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(debian.subprocess, "run", apt)
    with pytest.raises(debian.DebianPackageError, match=r"apt-get download gnome-backgrounds fail"):
        debian.fetch_deb("gnome-backgrounds", tmp_path)
    assert calls == [["apt-get", "download", "gnome-backgrounds"], ["apt-get", "update"]]
    cached = tmp_path / "gnome-backgrounds_48.0-1_all.deb"
    cached.write_bytes(b"")
    assert debian.fetch_deb("gnome-backgrounds", tmp_path) == cached  # a kept .deb needs no apt
    assert len(calls) == 2


def test_the_silhouette_builder_answers_a_missing_tool_with_one_line(
    tmp_path, monkeypatch, capsys
) -> None:
    from scnn_plugin.training import object_masks

    monkeypatch.setattr(debian.shutil, "which", lambda tool: None)
    argv = ["--out", str(tmp_path / "shapes"), "--debs", str(tmp_path / "debs")]
    assert object_masks.main(argv) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("scnn_plugin.training.object_masks: apt-get is needed to download")
    assert not list((tmp_path / "shapes").iterdir())
