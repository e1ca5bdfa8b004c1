"""``scnn-inpaint`` end to end: exit codes, one-line errors, batch mode, alpha as mask, demo."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from scnn_plugin.cli import main


def _box_mask(size: tuple[int, int]) -> Image.Image:
    """A mask with a 20 px box to fill and known pixels around it (a full mask is refused)."""
    mask = Image.new("L", size, 0)
    mask.paste(255, (20, 14, 40, 34))
    return mask


def test_single_image_with_mask(tmp_path, photo, object_mask, capsys):
    photo.save(tmp_path / "in.png")
    object_mask.save(tmp_path / "mask.png")
    assert (
        main(
            [
                str(tmp_path / "in.png"),
                "--mask",
                str(tmp_path / "mask.png"),
                "-o",
                str(tmp_path / "out.png"),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    out = np.asarray(Image.open(tmp_path / "out.png"))
    hole = np.asarray(object_mask) > 0
    assert np.array_equal(out[~hole], np.asarray(photo)[~hole])
    assert "out.png" in capsys.readouterr().out


def test_no_texture_gives_the_networks_smooth_fill(tmp_path, photo, object_mask, inpainter):
    from scnn_plugin import InpaintOptions

    photo.save(tmp_path / "in.png")
    object_mask.save(tmp_path / "mask.png")
    for name, extra in (("plain.png", ["--no-texture"]), ("textured.png", [])):
        argv = [
            str(tmp_path / "in.png"),
            "--mask",
            str(tmp_path / "mask.png"),
            "-o",
            str(tmp_path / name),
            "--device",
            "cpu",
            *extra,
        ]
        assert main(argv) == 0
    plain = np.asarray(Image.open(tmp_path / "plain.png"))
    smooth = inpainter.with_options(InpaintOptions(device="cpu", texture=False))
    assert np.array_equal(plain, np.asarray(smooth.inpaint(photo, object_mask)))
    assert not np.array_equal(plain, np.asarray(Image.open(tmp_path / "textured.png")))


def test_transparent_pixels_are_the_mask_without_mask_flag(tmp_path, photo):
    rgba = photo.convert("RGBA")
    alpha = np.full((512, 512), 255, np.uint8)
    alpha[200:240, 200:260] = 0
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(tmp_path / "cut.png")
    assert main([str(tmp_path / "cut.png"), "-o", str(tmp_path / "out.png")]) == 0
    out = np.asarray(Image.open(tmp_path / "out.png"))
    src = np.asarray(rgba)
    assert np.array_equal(out[alpha > 0], src[alpha > 0])
    assert (out[alpha == 0][:, :3] != src[alpha == 0][:, :3]).any()


def test_batch_folder_loads_model_once(tmp_path, photo, object_mask, monkeypatch):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "masks").mkdir()
    for name in ("a", "b"):
        photo.save(tmp_path / "imgs" / f"{name}.jpg", quality=95)
        object_mask.save(tmp_path / "masks" / f"{name}.png")
    from scnn_plugin import Inpainter

    loads = []
    real = Inpainter.from_pretrained.__func__
    monkeypatch.setattr(
        Inpainter,
        "from_pretrained",
        classmethod(lambda cls, *a, **k: loads.append(1) or real(cls, *a, **k)),
    )
    assert (
        main(
            [
                str(tmp_path / "imgs"),
                "--mask-dir",
                str(tmp_path / "masks"),
                "-o",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.jpg", "b.jpg"]
    assert loads == [1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.png", "--mask", "m.png", "-o", "o.png"], "no such file"),
        (["bad.png", "--mask", "m.png", "-o", "o.png"], "not an image"),
        (["ok.png", "--mask", "small.png", "-o", "o.png"], "must match"),
        (["ok.png", "-o", "o.png"], "no transparent pixels"),
        (
            ["ok.png", "--mask", "m.png", "-o", "o.png", "--weights", "nope.safetensors"],
            "not found",
        ),
        (["ok.png", "--mask", "m.png", "-o", "ok.png"], "refusing to overwrite"),
        (["ok.png", "--mask", "m.png", "-o", "o.xyz"], "unknown image file extension"),
    ],
)
def test_errors_are_one_readable_line_and_nonzero_exit(
    tmp_path, monkeypatch, capsys, args, message
):
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (64, 64), (9, 9, 9)).save("ok.png")
    _box_mask((64, 64)).save("m.png")
    Image.new("L", (10, 10), 255).save("small.png")
    (tmp_path / "bad.png").write_bytes(b"this is not a png")
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "o.png").exists()


def test_demo_writes_result_and_says_where(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scnn_plugin.cli", "--demo", "-o", str(tmp_path / "demo.png")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "demo.png") in result.stdout
    assert Image.open(tmp_path / "demo.png").size == (512, 512)


def _inputs(folder):
    Image.new("RGB", (64, 64), (9, 9, 9)).save(folder / "ok.png")
    _box_mask((64, 64)).save(folder / "m.png")


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--tile", "100"], "tile must be a multiple of 8"),
        (["--overlap", "999"], "overlap must be an integer"),
        (["--timesteps", "0"], "timesteps must be an integer"),
        (["--adapt", "501"], "adapt must be an integer in [0, 500]"),
        (["--views", "5"], "views must be an integer in [1, 4]"),
        (["--device", "tpu"], "unknown device 'tpu'"),
    ],
)
def test_bad_option_values_are_one_line(
    tmp_path, monkeypatch, capsys, fast_weights, extra, message
):
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    args = ["ok.png", "--mask", "m.png", "-o", "o.png", "--weights", str(fast_weights), *extra]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "o.png").exists()


def test_verbose_adds_the_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    assert (
        main(
            ["ok.png", "--mask", "m.png", "-o", "o.png", "--weights", "no.safetensors", "--verbose"]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("scnn-inpaint: error:")


def test_an_engine_bug_is_one_line_that_says_how_to_report_it(
    tmp_path, monkeypatch, capsys, fast_weights
):
    from scnn_plugin import Inpainter

    def broken(self, *args, **kwargs):
        raise RuntimeError("shape mismatch in layer 3")

    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    monkeypatch.setattr(Inpainter, "inpaint", broken)
    args = ["ok.png", "--mask", "m.png", "-o", "o.png", "--weights", str(fast_weights)]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error: RuntimeError: shape mismatch" in err[0]
    assert "--verbose" in err[0] and not (tmp_path / "o.png").exists()
    assert main([*args, "--verbose"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_batch_reports_each_bad_image_and_finishes_the_rest(tmp_path, capsys, fast_weights):
    for name in ("images", "masks"):
        (tmp_path / name).mkdir()
    for name in ("a", "c"):
        Image.new("RGB", (64, 48), (50, 60, 70)).save(tmp_path / "images" / f"{name}.png")
    (tmp_path / "images" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    Image.new("RGB", (64, 48)).save(tmp_path / "images" / "d.png")
    for name in ("a", "b", "c"):
        _box_mask((64, 48)).save(tmp_path / "masks" / f"{name}.png")
    Image.new("L", (10, 10), 255).save(tmp_path / "masks" / "d.png")  # wrong size
    code = main(
        [
            str(tmp_path / "images"),
            "--mask-dir",
            str(tmp_path / "masks"),
            "-o",
            str(tmp_path / "out"),
            "--weights",
            str(fast_weights),
            "--tile",
            "64",
            "--overlap",
            "16",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "b.png" in err[0] and "must match" in err[2]
    assert err[1] == f"scnn-inpaint: created the output folder {tmp_path / 'out'}"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "c.png"]


# --- what a newcomer types (issue 35) -------------------------------------------------------------


def test_an_all_black_mask_says_there_is_nothing_to_fill_and_writes_a_copy(
    tmp_path, monkeypatch, capsys, fast_weights
):
    monkeypatch.chdir(tmp_path)
    Image.effect_noise((64, 48), 60).convert("RGB").save("in.png")
    Image.new("L", (64, 48), 0).save("black.png")
    args = ["in.png", "--mask", "black.png", "-o", "out.png", "--weights", str(fast_weights)]
    assert main(args) == 0
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line == (
        "scnn-inpaint: in.png: the mask black.png is empty (no pixel is at least half white), "
        "nothing to fill; "
        "out.png is an unchanged copy"
    )
    assert captured.out == ""  # no "filled in 0.01 s" line beside it
    assert np.array_equal(np.asarray(Image.open("out.png")), np.asarray(Image.open("in.png")))


def test_a_folder_given_as_mask_says_it_is_a_folder_and_names_mask_dir(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (64, 48), (9, 9, 9)).save("in.png")
    (tmp_path / "adir").mkdir()
    assert main(["in.png", "--mask", "adir/", "-o", "out.png"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("scnn-inpaint: error: adir: is a folder, not a mask image")
    assert "--mask-dir" in line and "no such file" not in line
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("transparent", [False, True])
def test_an_all_white_mask_is_refused_naming_the_image_and_the_mask_file(
    tmp_path, monkeypatch, capsys, fast_weights, transparent
):
    """One message for every front end (masks.FillMask), naming the files: the engine once spoke
    of "the context margin", an option only GIMP has."""
    monkeypatch.chdir(tmp_path)
    image = Image.new("RGBA", (64, 48), (9, 9, 9, 255))
    mask = Image.new("L", (64, 48), 255)
    if transparent:  # half the mask, the other half transparent: still nothing known
        mask.paste(0, (0, 0, 32, 48))
        image.paste((0, 0, 0, 0), (0, 0, 32, 48))
    image.save("in.png")
    mask.save("white.png")
    args = ["in.png", "--mask", "white.png", "-o", "out.png", "--weights", str(fast_weights)]
    assert main(args) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(
        "scnn-inpaint: error: in.png: nothing is left to fill from: the mask white.png "
    )
    assert "covers the whole image" in line and "mask less" in line
    assert ("transparent pixels" in line) == transparent
    assert "context margin" not in line and not (tmp_path / "out.png").exists()


def test_help_prints_without_loading_torch_and_shows_examples_defaults_and_required_output():
    probe = (
        "import sys\n"
        "from scnn_plugin.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0\n"
        "print('torch loaded:', 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.rstrip().endswith("torch loaded: False")
    usage = out.split("\n\n")[0]
    assert "scnn-inpaint IMAGE [--mask MASK] -o OUTPUT" in usage  # -o is not optional there
    assert "scnn-inpaint FOLDER --mask-dir MASKS -o OUTPUT_FOLDER" in usage
    flat = " ".join(out.split())  # argparse wraps help text at the terminal's width
    for shown in ("(default: 512)", "(default: 64)", "(default: as the weights were trained"):
        assert shown in flat
    assert "required with one IMAGE" in flat
    examples = [line for line in out.splitlines() if line.startswith("  scnn-inpaint ")]
    assert len(examples) == 3


def test_every_option_has_a_help_line_and_the_help_says_which_output_folders_are_made():
    import argparse

    from scnn_plugin.cli import build_parser

    parser = build_parser()
    options = [a for a in parser._actions if a.option_strings]
    assert {"--threads", "--mask", "-o"} <= {s for a in options for s in a.option_strings}
    for action in options:
        assert action.help and action.help != argparse.SUPPRESS, action.option_strings
    flat = " ".join(parser.format_help().split())
    assert "batch mode creates the output folder (and says so)" in flat
    assert "the folder of a single OUTPUT must exist" in flat
    assert "at least half white" in flat  # the mask rule, not "nonzero"
    assert "nonzero" not in flat
