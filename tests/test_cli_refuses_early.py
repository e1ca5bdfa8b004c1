"""Issue 43: ``scnn-inpaint`` refuses a request it cannot save before any model loads.

Each case is one line on stderr, exit 1, nothing written, and the weights were never looked up (a
fill took 10-28 s, minutes with ``--adapt``, before these were found at save time).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scnn_plugin import cli
from scnn_plugin.cli import main
from scnn_plugin.rgb16 import save_png


@pytest.fixture
def no_model(monkeypatch) -> list[str]:
    """Fails the test if the run reaches the weights; the list records any attempt."""
    reached: list[str] = []

    def weights_path(args):
        reached.append("weights")
        raise AssertionError("the model was about to load")

    monkeypatch.setattr(cli, "weights_path", weights_path)
    return reached


def _inputs(folder: Path, mode: str = "RGB") -> None:
    Image.new(mode, (64, 48)).save(folder / "in.png")
    mask = Image.new("L", (64, 48), 0)
    mask.paste(255, (20, 14, 40, 34))
    mask.save(folder / "m.png")


def _refused(capsys, no_model, args: list[str]) -> str:
    assert main(args) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert no_model == []
    return lines[0]


@pytest.mark.parametrize(
    "output, message",
    [
        ("out", "out: no file extension; end the name with one such as .png, .jpg or .tif"),
        ("out.xyz", "out.xyz: unknown image file extension '.xyz'"),
        ("out.psd", "out.psd: Pillow reads .psd files but cannot write them"),
        ("sub", "sub: is a folder; give a file name such as sub/name.png"),
        ("missing/out.png", "missing/out.png: the folder missing does not exist"),
    ],
)
def test_an_output_path_that_cannot_be_written_is_refused_before_the_model_loads(
    tmp_path, monkeypatch, capsys, no_model, output, message
):
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    (tmp_path / "sub").mkdir()
    line = _refused(capsys, no_model, ["in.png", "--mask", "m.png", "-o", output])
    assert line == f"scnn-inpaint: error: {message}"
    assert not (tmp_path / "missing").exists()  # a single output's folder is never created


@pytest.mark.parametrize("device", [os.devnull, "/dev/full"])
def test_a_device_as_output_is_refused_and_left_alone(
    tmp_path, monkeypatch, capsys, no_model, device
):
    """As root, the atomic save would have renamed a PNG over the device."""
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    line = _refused(capsys, no_model, ["in.png", "--mask", "m.png", "-o", device])
    assert line == f"scnn-inpaint: error: {device}: is not a regular file (a device or pipe)"
    assert Path(device).is_char_device()


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: read-only for a user; /sys for root."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if not Path("/sys").is_dir():
        pytest.skip("running as root without /sys: no folder is read-only to this process")
    return Path("/sys")


def test_a_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch, capsys, no_model):
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    folder = _unwritable_folder(tmp_path)
    line = _refused(capsys, no_model, ["in.png", "--mask", "m.png", "-o", f"{folder}/out.png"])
    assert line.startswith(f"scnn-inpaint: error: {folder}: cannot write in this folder (")


@pytest.mark.parametrize(
    "mode, output, message",
    [
        ("RGBA", "out.jpg", "out.jpg: JPEG cannot store a RGBA image; save as .png, .tif or .webp"),
        ("I;16", "out.jpg", "out.jpg: JPEG cannot store a I;16 image; save as .png or .tif"),
        ("I;16", "out.bmp", "out.bmp: BMP cannot store a I;16 image; save as .png or .tif"),
        ("LA", "out.bmp", "out.bmp: BMP cannot store a LA image; save as .png, .tif or .webp"),
    ],
)
def test_a_format_that_cannot_store_the_images_mode_is_refused_before_the_model_loads(
    tmp_path, monkeypatch, capsys, no_model, mode, output, message
):
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path, mode)
    line = _refused(capsys, no_model, ["in.png", "--mask", "m.png", "-o", output])
    assert line == f"scnn-inpaint: error: {message}"
    assert not (tmp_path / output).exists()


def test_sixteen_bit_colour_to_tiff_is_refused_before_the_model_loads(
    tmp_path, monkeypatch, capsys, no_model
):
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    values = np.random.default_rng(0).integers(0, 65535, (48, 64, 3), dtype=np.uint16)
    save_png(values, tmp_path / "deep.png", {})
    line = _refused(capsys, no_model, ["deep.png", "--mask", "m.png", "-o", "out.tif"])
    assert "out.tif: the image has 16 bits per channel" in line and ".png" in line


def test_batch_output_folder_is_created_and_said_so(tmp_path, capsys, fast_weights):
    for name in ("images", "masks"):
        (tmp_path / name).mkdir()
    _inputs(tmp_path / "images")
    (tmp_path / "images" / "m.png").rename(tmp_path / "masks" / "in.png")
    out = tmp_path / "new" / "out"
    args = [str(tmp_path / "images"), "--mask-dir", str(tmp_path / "masks"), "-o", str(out)]
    assert main([*args, "--weights", str(fast_weights), "--tile", "64", "--overlap", "16"]) == 0
    assert [p.name for p in out.iterdir()] == ["in.png"]
    assert f"scnn-inpaint: created the output folder {out}" in capsys.readouterr().err


def test_batch_refuses_an_output_folder_it_cannot_make(tmp_path, capsys, no_model):
    for name in ("images", "masks"):
        (tmp_path / name).mkdir()
    _inputs(tmp_path / "images")
    (tmp_path / "images" / "m.png").rename(tmp_path / "masks" / "in.png")
    (tmp_path / "a file").write_text("not a folder")
    args = [str(tmp_path / "images"), "--mask-dir", str(tmp_path / "masks"), "-o"]
    line = _refused(capsys, no_model, [*args, str(tmp_path / "a file")])
    assert line.endswith("a file: is a file; in batch mode -o names the output folder")
    line = _refused(capsys, no_model, [*args, str(tmp_path / "a file" / "out")])
    assert "a file: is a file, not a folder" in line
    folder = _unwritable_folder(tmp_path)
    line = _refused(capsys, no_model, [*args, str(folder / "out")])
    assert line.startswith(f"scnn-inpaint: error: {folder}: cannot write in this folder (")


def test_batch_reports_each_refused_image_before_the_model_loads_and_fills_the_rest(
    tmp_path, monkeypatch, capsys, fast_weights
):
    for name in ("images", "masks"):
        (tmp_path / name).mkdir()
    for name in ("a", "c"):
        _inputs(tmp_path / "images")
        (tmp_path / "images" / "in.png").rename(tmp_path / "images" / f"{name}.png")
        (tmp_path / "images" / "m.png").rename(tmp_path / "masks" / f"{name}.png")
    frames = [Image.new("L", (64, 48), 80 * i) for i in range(3)]  # frames that differ
    frames[0].save(tmp_path / "images" / "b.gif", save_all=True, append_images=frames[1:])
    Image.new("L", (64, 48), 255).save(tmp_path / "masks" / "b.png")
    real = cli.weights_path

    def weights_path(args):
        print("loading the model", file=sys.stderr)
        return real(args)

    monkeypatch.setattr(cli, "weights_path", weights_path)
    args = [str(tmp_path / "images"), "--mask-dir", str(tmp_path / "masks"), "-o"]
    out = tmp_path / "out"
    code = main(
        [*args, str(out), "--weights", str(fast_weights), "--tile", "64", "--overlap", "16"]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "b.gif: has 3 frames" in err[0] and err[1] == "loading the model"
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]
