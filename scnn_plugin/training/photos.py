"""Build the training / validation photo pool from Debian packages, reproducibly.

No image hub is reachable, so every photo comes from a Debian package fetched with
``apt-get download`` and unpacked with ``dpkg -x``. Validation photos come from packages that
never feed training, so a score on them measures generalisation, not memory. Photos are not
committed: this module is the recipe, ``DIR/manifest.json`` records what it produced and under
which licence.

    python -m scnn_plugin.training.photos --cache DIR [--debs DIR]
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..atomic import atomic_write
from ..errors import ScnnError
from .data import default_pool_dir

MIN_SHORT_SIDE = 256
MAX_SHORT_SIDE = 1024
MAX_WALLPAPER_WIDTH = 2560
UFOAI_MIN_SIDE = 512
UFOAI_SAMPLE = 120
GNOME_MAX = 10
SIGNATURE_SIZE = 32
# Set from the pool itself: stereo pair aloeL/R scores 0.59, the closest distinct photos 0.54.
DUPLICATE_CORRELATION = 0.57
MAX_SHIFT = 3
LICENCE_EXCERPT_CHARS = 1500
PROG = "scnn_plugin.training.photos"  # how messages name this command (run with python -m)

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


def looks_like_photo(img: Image.Image) -> bool:
    """Whether ``img`` is a colour photograph worth learning to inpaint from.

    Rejects, in order: a short side under 256 px (too little context); meaningful transparency,
    i.e. more than 0.5 % of pixels with alpha below 250 (cartoons and cut-outs on nothing);
    greyscale, a mean channel spread under 4 levels (the model fills colour images); and flat
    artwork: diagrams, screenshots and cartoons are drawn with few colours and large areas of
    exactly one value, while a photo carries sensor noise and texture nearly everywhere, so
    the image is rejected when over 45 % of its pixels sit in a 3x3 neighbourhood that varies
    by at most 1 level, or when it uses under 2 % distinct colours per pixel. Clipped black
    or white is not counted as flat, so night skies and blown highlights do not fail a photo.
    """
    if min(img.size) < MIN_SHORT_SIDE:
        return False
    if "A" in img.getbands() or "transparency" in img.info:
        alpha = np.asarray(img.convert("RGBA").getchannel("A"))
        if (alpha < 250).mean() > 0.005:
            return False
    rgb = img.convert("RGB")
    rgb.thumbnail((512, 512), Image.Resampling.NEAREST)  # keeps noise and flat areas intact
    px = np.asarray(rgb).astype(np.int16)
    if (px.max(axis=2) - px.min(axis=2)).mean() < 4:
        return False
    return _flat_fraction(px) <= 0.45 and _colour_ratio(px) >= 0.02


def _flat_fraction(px: np.ndarray) -> float:
    """Share of unclipped pixels whose 3x3 neighbourhood spans at most 1 level per channel."""
    h, w, _ = px.shape
    windows = [px[dy : h - 2 + dy, dx : w - 2 + dx] for dy in range(3) for dx in range(3)]
    span = (np.max(windows, axis=0) - np.min(windows, axis=0)).max(axis=2)
    centre = px[1:-1, 1:-1]
    clipped = (centre.max(axis=2) <= 8) | (centre.min(axis=2) >= 247)
    flat = (span <= 1) & ~clipped
    return float(flat.mean())


def _colour_ratio(px: np.ndarray) -> float:
    """Distinct colours per pixel: high for photos, low for palettes of drawn art."""
    packed = (px[..., 0].astype(np.int32) << 16) | (px[..., 1] << 8) | px[..., 2]
    return len(np.unique(packed)) / packed.size


def downscale(img: Image.Image) -> Image.Image:
    """RGB copy whose short side is at most 1024 px, so crops at every scale stay cheap."""
    rgb = img.convert("RGB")
    scale = MAX_SHORT_SIDE / min(rgb.size)
    if scale < 1:
        size = (round(rgb.width * scale), round(rgb.height * scale))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    return rgb


def signature(img: Image.Image) -> np.ndarray:
    """Tiny perceptual fingerprint: the x and y gradients of a 33x33 greyscale thumbnail.

    Gradients rather than grey levels, because smooth unrelated pictures (two dusky lakes)
    correlate strongly in grey level but not in where their edges are.
    """
    n = SIGNATURE_SIZE + 1
    grey = np.asarray(img.convert("L").resize((n, n), Image.Resampling.BOX), dtype=np.float32)
    return np.concatenate([np.diff(grey, axis=1)[:-1], np.diff(grey, axis=0)[:, :-1]], axis=0)


def is_duplicate(sig: np.ndarray, seen: list[np.ndarray]) -> bool:
    """Whether ``sig`` matches a kept signature: a resize, re-encode, variant or stereo view.

    Two signatures match when their normalised correlation, at the best of a few horizontal
    shifts (stereo views are offset sideways), reaches DUPLICATE_CORRELATION.
    """
    if not seen:
        return False
    others = np.stack(seen)
    width = sig.shape[1]
    for dx in range(-MAX_SHIFT, MAX_SHIFT + 1):
        a = _normalise(sig[:, max(dx, 0) : width + min(dx, 0)])
        b = _normalise(others[:, :, max(-dx, 0) : width + min(-dx, 0)])
        if (np.einsum("hw,nhw->n", a, b) >= DUPLICATE_CORRELATION).any():
            return True
    return False


def _normalise(a: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=(-2, -1), keepdims=True)
    return a / (np.linalg.norm(a, axis=(-2, -1), keepdims=True) + 1e-6)


# --- Debian packages -------------------------------------------------------------------------


class DebianPackageError(ScnnError):
    """A Debian package cannot be fetched or unpacked here: no dpkg or apt-get, no mirror
    reachable, or a damaged .deb. Raised, never exited on, so ``main`` answers with one line."""


def require_tool(tool: str, why: str) -> None:
    """``DebianPackageError`` unless ``tool`` is on PATH."""
    if shutil.which(tool) is None:
        raise DebianPackageError(f"{tool} is needed to {why}, and it is not on PATH")


def fetch_deb(package: str, debs: Path) -> Path:
    """Path of ``package``'s .deb in ``debs``, downloading it (after one apt update if needed)."""
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    require_tool("apt-get", f"download {package} (or put its .deb in {debs})")
    download = ["apt-get", "download", package]
    if subprocess.run(download, cwd=debs, check=False).returncode != 0:
        # The package lists may be missing or stale: refresh them once and try again.
        refreshed = subprocess.run(["apt-get", "update"], check=False).returncode == 0
        if not refreshed or subprocess.run(download, cwd=debs, check=False).returncode != 0:
            raise DebianPackageError(
                f"apt-get download {package} failed: is a Debian mirror reachable? "
                f"(or put {package}_*.deb in {debs})"
            )
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        raise DebianPackageError(f"apt-get download {package} left no {package}_*.deb in {debs}")
    return found[-1]


def extract_deb(deb: Path, dest: Path) -> Path:
    """Unpack ``deb`` into ``dest`` with dpkg -x and return ``dest``."""
    require_tool("dpkg", "unpack the Debian packages")
    if subprocess.run(["dpkg", "-x", str(deb), str(dest)], check=False).returncode != 0:
        raise DebianPackageError(f"dpkg -x {deb} failed; delete the file to download it again")
    return dest


def read_copyright(root: Path, package: str) -> str:
    """The package's Debian copyright file, where its images' licences are stated."""
    return (root / "usr/share/doc" / package / "copyright").read_text(errors="replace")


def licence_for(copyright_text: str, path: str) -> str:
    """Short licence name for ``path`` from a machine-readable (DEP-5) copyright file.

    Debian lists source-tree paths, not installed ones, so a wildcard pattern matches when it
    matches any trailing part of ``path``, and a literal one when its trailing components agree
    with the path's (all but its first, as the source tree's top folder is gone on install).
    The last matching stanza wins, as DEP-5 says. Files that are not DEP-5 give their first
    "Licensed under ... License" phrase, or "see licence excerpt".
    """
    best = ""
    parts = path.strip(":/").split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    for patterns, licence in _dep5_stanzas(copyright_text):
        if any(_matches(p, parts, tails) for p in patterns):
            best = licence
    if best:
        return best
    said = re.search(r"Licensed under (.+?License)", copyright_text, re.DOTALL)
    return " ".join(said.group(1).split()) if said else "see licence excerpt"


def _matches(pattern: str, parts: list[str], tails: list[str]) -> bool:
    if any(c in pattern for c in "*?["):
        return any(fnmatch.fnmatchcase(t, pattern) for t in tails)
    own = pattern.split("/")
    k = max(1, min(len(own), len(parts)) - 1)
    return own[-k:] == parts[-k:]


def _dep5_stanzas(text: str) -> Iterator[tuple[list[str], str]]:
    """(Files patterns, License short name) for each files stanza of a DEP-5 file."""
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line[:1].isspace() and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Files" in fields and "License" in fields:
            yield fields["Files"].split(), fields["License"].splitlines()[0].strip()


# --- where each package keeps its photos ----------------------------------------------------


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


# --- the pool --------------------------------------------------------------------------------


def build_pool(cache: Path, debs: Path) -> dict:
    """Fill ``cache`` with every source's photos and return the manifest; done sources are kept.

    A source counts as done once the manifest lists it and all its files exist. A source cut
    short is redone from scratch: its files are removed first, and the manifest is rewritten
    after each source, so an interrupted run never leaves photos the manifest does not know.
    """
    require_tool("dpkg", "unpack the Debian packages")  # before anything is written
    for split in ("train", "val"):
        (cache / split).mkdir(parents=True, exist_ok=True)
    manifest_path = cache / "manifest.json"
    manifest = _load_manifest(manifest_path)
    for source in SOURCES:
        entries = [e for e in manifest["photos"] if e["source_package"] == source.package]
        if source.package in manifest["sources"] and all(
            (cache / e["file"]).exists() for e in entries
        ):
            print(f"{source.package}: {len(entries)} photos already cached")
            continue
        manifest["photos"] = [
            e for e in manifest["photos"] if e["source_package"] != source.package
        ]
        manifest["sources"].pop(source.package, None)
        for split in ("train", "val"):
            for stale in (cache / split).glob(f"{source.package}-*.png"):
                stale.unlink()
        seen = [signature(Image.open(cache / e["file"])) for e in manifest["photos"]]
        entries, note = _take_source(source, cache, debs, seen)
        manifest["photos"].extend(entries)
        manifest["sources"][source.package] = note
        text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
        atomic_write(manifest_path, lambda tmp, text=text: tmp.write_text(text))
        print(f"{source.package}: {len(entries)} photos for {source.split}")
    return manifest


def _take_source(
    source: Source, cache: Path, debs: Path, seen: list[np.ndarray]
) -> tuple[list[dict], dict]:
    """Extract one package, keep its distinct photos, and describe its licence."""
    deb = fetch_deb(source.package, debs)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".extract-") as tmp:
        root = extract_deb(deb, Path(tmp))
        copyright_text = read_copyright(root, source.package)
        entries: list[dict] = []
        names: set[str] = set()
        for cand in source.find(root):
            if source.limit is not None and len(entries) >= source.limit:
                break
            img = cand.load()
            if not looks_like_photo(img):
                continue
            photo = downscale(img)
            sig = signature(photo)
            if is_duplicate(sig, seen):
                continue
            name = _unique(_safe(cand.name), names)
            file = f"{source.split}/{source.package}-{name}.png"
            photo.save(cache / file, optimize=False)
            seen.append(sig)
            entries.append(
                {
                    "file": file,
                    "split": source.split,
                    "source_package": source.package,
                    "original_path": cand.original_path,
                    "width": photo.width,
                    "height": photo.height,
                    "licence_summary": licence_for(copyright_text, cand.original_path),
                }
            )
    note = {
        "split": source.split,
        "deb": deb.name,
        "count": len(entries),
        "licences": sorted({e["licence_summary"] for e in entries}),
        "licence_excerpt": copyright_text[:LICENCE_EXCERPT_CHARS],
    }
    return entries, note


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "image"


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``… when a source has two images with one stem."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def _load_manifest(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"version": 1, "photos": [], "sources": {}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="output folder (default: the user cache dir, scnn-inpaint/photos)",
    )
    parser.add_argument(
        "--debs", type=Path, default=None, help="where .debs are kept or downloaded"
    )
    args = parser.parse_args(argv)
    cache = (args.cache or default_pool_dir()).resolve()
    debs = (args.debs or cache / "debs").resolve()
    try:
        manifest = build_pool(cache, debs)
    except (ScnnError, OSError) as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"{PROG}: interrupted; run it again to finish (done sources are kept)", file=sys.stderr
        )
        return 130
    for split in ("train", "val"):
        print(f"{split}: {sum(e['split'] == split for e in manifest['photos'])} photos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
