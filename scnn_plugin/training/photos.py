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
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from ..atomic import atomic_write
from ..errors import ScnnError
from .data import default_pool_dir
from .debian import extract_deb, fetch_deb, licence_for, read_copyright, require_tool
from .photo_filter import downscale, is_duplicate, looks_like_photo, signature
from .photo_sources import SOURCES, Source

LICENCE_EXCERPT_CHARS = 1500
PROG = "scnn_plugin.training.photos"  # how messages name this command (run with python -m)


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
