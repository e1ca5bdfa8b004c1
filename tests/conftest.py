"""Shared fixtures: a real photograph, a realistic mask, and inpainters on real weights.

The session is hermetic: ``HOME`` and the user's ``XDG_*`` folders point at one empty temporary
folder, so no cache, setting or fine-tuning run of the developer's can make a test pass (or fail),
and no test writes into the real home. The real-GIMP tests are unaffected: their Debian roots live
under ``/opt`` (``SCNN_GIMP_CACHE``) and GIMP gets a HOME of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The per-user folders platformdirs, Qt and GLib read on Linux; the system-wide *_DIRS lists stay.
USER_DIRS = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
    "XDG_RUNTIME_DIR": "runtime",
}
HOME_KEY = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Point HOME and the XDG user folders at an empty temporary folder for the whole session
    (subprocesses the tests start inherit it)."""
    home = Path(tempfile.mkdtemp(prefix="scnn-test-home-"))
    config.stash[HOME_KEY] = home
    os.environ["HOME"] = str(home)
    for name, sub in USER_DIRS.items():
        os.environ[name] = str(home / sub)
    runtime = home / USER_DIRS["XDG_RUNTIME_DIR"]
    runtime.mkdir(mode=0o700)  # Qt refuses a runtime folder others may read


def pytest_unconfigure(config: pytest.Config) -> None:
    home = config.stash.get(HOME_KEY, None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


SAMPLES = Path(str(resources.files("scnn_plugin.samples")))


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    """A real 512x512 RGB photograph (NASA, public domain)."""
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        return im.convert("RGB")


@pytest.fixture(scope="session")
def pool(tmp_path_factory, photo) -> Path:
    """A tiny photo pool for the training commands: train/ holds four 200 px views of the
    astronaut, val/ a fifth one a run never trains on. Read only."""
    root = tmp_path_factory.mktemp("pool")
    for i, (y, x) in enumerate([(0, 0), (0, 300), (300, 0), (300, 300), (150, 150)]):
        folder = root / ("val" if i == 4 else "train")
        folder.mkdir(exist_ok=True)
        photo.crop((x, y, x + 200, y + 200)).save(folder / f"view{i}.png")
    return root


@pytest.fixture(scope="session")
def object_mask() -> Image.Image:
    """A hand-drawn L mask over an object in ``photo`` (nonzero = fill)."""
    with Image.open(SAMPLES / "astronaut_mask.png") as im:
        return im.convert("L")


@pytest.fixture(scope="session")
def stroke_mask() -> Image.Image:
    """A seeded medium free-form mask, as users paint with a brush."""
    from scnn_plugin.training.hole_masks import make_mask

    hole = make_mask("medium", 512, 512, np.random.default_rng(7))
    return Image.fromarray(hole.astype(np.uint8) * 255)


@pytest.fixture(scope="session")
def inpainter():
    """The shipped default weights on the CPU."""
    from scnn_plugin import Inpainter

    return Inpainter.from_pretrained(device="cpu")


@pytest.fixture(scope="session")
def paper_inpainter():
    """The shipped paper-configuration weights on the CPU."""
    from scnn_plugin import Inpainter

    return Inpainter.from_pretrained(device="cpu", config="paper")


@pytest.fixture(scope="session")
def default_weights() -> Path:
    """The shipped default weights file, verified against the manifest."""
    from scnn_plugin.weights import resolve_weights

    return resolve_weights(None, "default")


@pytest.fixture(scope="session")
def photo_folder(tmp_path_factory) -> Path:
    """A small nested folder of real photos for fine-tuning: nine 160 px views of the astronaut
    (shifted, flipped, rotated; jpg / png / webp / tiff), plus a corrupt jpg, a 40 px png that is
    too small to train on, and a text file that is not a photo."""
    root = tmp_path_factory.mktemp("my photos")
    with Image.open(SAMPLES / "astronaut.jpg") as im:
        source = im.convert("RGB")
    suffixes = [".jpg", ".png", ".webp", ".tiff"]
    for i, (y, x) in enumerate((y, x) for y in (0, 176, 352) for x in (0, 176, 352)):
        view = source.crop((x, y, x + 160, y + 160))
        view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if i % 2 else view
        view = view.rotate(90 * (i % 3))
        folder = root / ("trip" if i < 5 else "trip/day 2")
        folder.mkdir(parents=True, exist_ok=True)
        view.save(folder / f"view{i}{suffixes[i % len(suffixes)]}")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    source.resize((40, 40)).save(root / "tiny.png")
    (root / "notes.txt").write_text("not a photo")
    return root


@pytest.fixture(scope="session")
def fast_weights(tmp_path_factory) -> Path:
    """A tiny untrained ``paper`` model (width 8): for tests of the pipeline, not of fill quality."""
    import torch

    from scnn_plugin.models import build_model
    from scnn_plugin.weights import save_weights

    path = tmp_path_factory.mktemp("fast-weights") / "paper-w8.safetensors"
    torch.manual_seed(0)
    save_weights(path, build_model("paper", width=8), "paper", {"width": 8}, "0.1.0")
    return path


@pytest.fixture(scope="session")
def fast_inpainter(fast_weights):
    """``fast_weights`` on the CPU with small tiles and one timestep: milliseconds per image."""
    from scnn_plugin import Inpainter, InpaintOptions

    options = InpaintOptions(tile=64, overlap=16, timesteps=1)
    return Inpainter.from_pretrained(fast_weights, device="cpu", options=options)


@pytest.fixture(scope="session")
def dark_weights(tmp_path_factory) -> Path:
    """An untrained ``paper`` model (width 8) whose output is biased to near-black: weights with
    real room to improve, so a few fine-tuning steps measurably raise the held-back PSNR."""
    import torch

    from scnn_plugin.models import build_model
    from scnn_plugin.weights import save_weights

    torch.manual_seed(0)
    model = build_model("paper", width=8)
    with torch.no_grad():
        model.convs[-2].bias.fill_(-3.0)
    path = tmp_path_factory.mktemp("dark-weights") / "dark.safetensors"
    save_weights(path, model, "paper", {"width": 8}, "0.1.0")
    return path
