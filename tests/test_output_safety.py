"""Nothing the user gave is ever replaced: outputs that are inputs are refused, names never clash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from scnn_plugin.atomic import atomic_write
from scnn_plugin.cli import main


def _pair(folder: Path, stem: str = "photo") -> tuple[Path, Path]:
    image, mask = folder / f"{stem}.png", folder / f"{stem}-mask.png"
    Image.new("RGB", (64, 64), (90, 40, 10)).save(image)
    m = Image.new("L", (64, 64), 0)
    m.paste(255, (20, 20, 40, 40))
    m.save(mask)
    return image, mask


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_output_equal_to_the_mask_is_refused_and_the_mask_kept(tmp_path):
    image, mask = _pair(tmp_path)
    before = _snapshot(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "scnn_plugin.cli", str(image), "--mask", str(mask), "-o", str(mask)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to overwrite the input" in lines[0], result.stderr
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("spelling", ["dotdot", "symlink", "hardlink"])
def test_other_spellings_of_an_input_are_refused(tmp_path, capsys, spelling):
    image, mask = _pair(tmp_path)
    (tmp_path / "sub").mkdir()
    if spelling == "dotdot":
        out = tmp_path / "sub" / ".." / mask.name
    elif spelling == "symlink":
        out = tmp_path / "sub" / "link.png"
        out.symlink_to(mask)
    else:
        out = tmp_path / "sub" / "hard.png"
        os.link(mask, out)
    before = _snapshot(tmp_path)
    assert main([str(image), "--mask", str(mask), "-o", str(out)]) == 1
    assert "refusing to overwrite the input" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


def test_batch_output_folder_equal_to_the_mask_folder_replaces_no_mask(tmp_path, capsys):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "masks").mkdir()
    for stem in ("a", "b"):
        Image.new("RGB", (64, 64), (9, 99, 9)).save(tmp_path / "imgs" / f"{stem}.png")
        Image.new("L", (64, 64), 255).save(tmp_path / "masks" / f"{stem}.png")
    before = _snapshot(tmp_path)
    args = [str(tmp_path / "imgs"), "--mask-dir", str(tmp_path / "masks")]
    assert main([*args, "-o", str(tmp_path / "masks")]) == 1
    assert "refusing to overwrite the input" in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "imgs")]) == 1  # and the image folder
    assert _snapshot(tmp_path) == before


def test_exclusive_write_never_replaces_an_existing_file(tmp_path):
    target = tmp_path / "weights.safetensors"
    target.write_bytes(b"first run")
    with pytest.raises(FileExistsError):
        atomic_write(target, lambda tmp: tmp.write_bytes(b"second run"), exclusive=True)
    assert target.read_bytes() == b"first run" and os.listdir(tmp_path) == [target.name]
    atomic_write(tmp_path / "new.bin", lambda tmp: tmp.write_bytes(b"x"), exclusive=True)
    assert (tmp_path / "new.bin").read_bytes() == b"x"
