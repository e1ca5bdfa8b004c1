"""Where each Debian package keeps its photos: one scanner per package, and the list of sources.

A scanner yields ``Candidate`` images (decoded only when asked) from an unpacked package; the
photo filter decides which are kept. Validation packages never feed training.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

MAX_WALLPAPER_WIDTH = 2560
UFOAI_MIN_SIDE = 512
UFOAI_SAMPLE = 120
GNOME_MAX = 10

# Chosen by eye: the other Plasma wallpapers are renders or abstract art, and Grey and
# ColdRipple are black-and-white photographs, which the greyscale rule drops anyway.
PLASMA_PHOTOS = (
    "BytheWater",
    "ColorfulCups",
    "DarkestHour",
    "EveningGlow",
    "FallenLeaf",
    "Kite",
    "OneStandsOut",
    "Path",
    "summer_1am",
)
# Chosen by eye: digital art in the validation packages that the photo rule lets through.
VAL_NOT_PHOTOS = (
    "umang_by_Abhishek_Mudgal",
    "Fossa_by_Jasper_Roks",
    "Infinite-Sea_by_Aury88",
    "Painting-Colors_by__herobrine7gamer",
)
# Chosen by eye: a 3D-rendered robot and synthetic noise squares that pass the photo rule.
OPENCV_NOT_PHOTOS = ("ml", "pic2")
# GNOME's wallpapers are all renders; these few add fine, photo-like texture.
GNOME_TEXTURES = ("wood-l", "wood-d", "grid-l", "grid-d", "truchet-l", "truchet-d")
# Normal, specular, glow and height maps sit beside the ufoai colour textures.
UFOAI_MAP_SUFFIX = re.compile(r"_(nm|sm|gm|hm|rm|bump|glow|spec)$")


@dataclass(frozen=True)
class Candidate:
    """One image found in a package, decoded only when asked."""

    name: str
    original_path: str
    load: Callable[[], Image.Image]


@dataclass(frozen=True)
class Source:
    """A Debian package, the split it feeds, and how to find its images once unpacked."""

    package: str
    split: str
    find: Callable[[Path], Iterator[Candidate]]
    limit: int | None = None


def _file(root: Path, path: Path, name: str) -> Candidate:
    return Candidate(name, str(path.relative_to(root)), lambda: Image.open(path))


def _plasma(root: Path) -> Iterator[Candidate]:
    """One size per photographic wallpaper: the widest that is at most 2560 px wide."""
    base = root / "usr/share/wallpapers"
    for wallpaper in PLASMA_PHOTOS:
        sizes = [
            (int(m.group(1)), p)
            for p in (base / wallpaper / "contents/images").iterdir()
            if (m := re.match(r"(\d+)x(\d+)\.", p.name)) and int(m.group(1)) <= MAX_WALLPAPER_WIDTH
        ]
        if sizes:
            yield _file(root, max(sizes)[1], wallpaper)


def _gcompris(root: Path) -> Iterator[Candidate]:
    """Images inside the activities' Qt resource bundles, read through QResource."""
    from PyQt6.QtCore import QDirIterator, QFile, QIODevice, QResource  # only this source needs Qt

    for rcc in sorted((root / "usr/share/gcompris-qt/rcc").glob("*.rcc")):
        if not QResource.registerResource(str(rcc)):
            raise OSError(f"Qt could not register resource bundle {rcc}")
        try:
            it = QDirIterator(":/", QDirIterator.IteratorFlag.Subdirectories)
            paths = []
            while it.hasNext():
                p = it.next()
                if p.lower().endswith((".webp", ".jpg", ".jpeg", ".png")):
                    paths.append(p)
            for p in sorted(paths):
                f = QFile(p)
                if not f.open(QIODevice.OpenModeFlag.ReadOnly):
                    continue
                data = bytes(f.readAll())
                f.close()
                name = f"{rcc.stem}-{Path(p).stem}"
                original = p.removeprefix(":/gcompris/")
                yield Candidate(name, original, lambda d=data: Image.open(io.BytesIO(d)))
        finally:
            QResource.unregisterResource(str(rcc))


def _opencv(root: Path) -> Iterator[Candidate]:
    """Sample images of OpenCV's examples; many are diagrams or masks, left to the filter."""
    base = root / "usr/share/doc/opencv-doc/examples"
    for p in sorted(base.rglob("*")):
        if p.suffix.lower() in (".jpg", ".png") and p.is_file() and p.stem not in OPENCV_NOT_PHOTOS:
            rel = p.relative_to(base).with_suffix("")
            yield _file(root, p, "_".join(rel.parts[-2:]) if rel.parts[0] != "data" else rel.name)


def _ufoai(root: Path) -> Iterator[Candidate]:
    """Colour textures of at least 512x512 from the game's texture archive, in a fixed shuffle.

    Sorting by a hash of the path makes the sample reproducible yet spread across categories.
    """
    with zipfile.ZipFile(root / "usr/share/games/ufoai/base/0textures.pk3") as pk3:
        names = [
            n
            for n in pk3.namelist()
            if n.lower().endswith((".jpg", ".png")) and not UFOAI_MAP_SUFFIX.search(Path(n).stem)
        ]
        names.sort(key=lambda n: hashlib.sha256(n.encode()).hexdigest())
        for n in names:
            data = pk3.read(n)
            img = Image.open(io.BytesIO(data))
            if min(img.size) >= UFOAI_MIN_SIDE:
                yield Candidate(f"{Path(n).parent.name}-{Path(n).stem}", n, lambda i=img: i)


def _gnome(root: Path) -> Iterator[Candidate]:
    base = root / "usr/share/backgrounds/gnome"
    for stem in GNOME_TEXTURES:
        yield _file(root, base / f"{stem}.webp", stem)


def _backgrounds(root: Path) -> Iterator[Candidate]:
    """Lomiri's wallpapers, less the digital art among them."""
    for p in sorted((root / "usr/share/backgrounds").glob("*.jpg")):
        if p.stem not in VAL_NOT_PHOTOS:
            yield _file(root, p, p.stem)


def _palapeli(root: Path) -> Iterator[Candidate]:
    """The puzzle collection's photographs; its backgrounds are painted textures."""
    for p in sorted((root / "usr/share/palapeli/collection").glob("*.jpg")):
        yield _file(root, p, p.stem)


# Validation first, so a picture that also sits in a training package stays out of training.
SOURCES = (
    Source("lomiri-wallpapers-16.04", "val", _backgrounds),
    Source("lomiri-wallpapers-20.04", "val", _backgrounds),
    Source("palapeli-data", "val", _palapeli),
    Source("plasma-workspace-wallpapers", "train", _plasma),
    Source("gcompris-qt-data", "train", _gcompris),
    Source("opencv-doc", "train", _opencv),
    Source("ufoai-textures", "train", _ufoai, limit=UFOAI_SAMPLE),
    Source("gnome-backgrounds", "train", _gnome, limit=GNOME_MAX),
)
