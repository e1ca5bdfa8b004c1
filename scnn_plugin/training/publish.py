"""Make a run's best weights the shipped ones: copy into ``weights/`` and pin them in the manifest."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..atomic import atomic_write
from ..weights import file_sha256, load_weights, shipped_dir


def publish(source: Path, name: str, directory: Path | None = None) -> Path:
    """Verify ``source`` loads, copy it to ``directory/name.safetensors``, record its sha256."""
    directory = directory or shipped_dir()
    _, info = load_weights(source)  # refuses anything broken before it can replace good weights
    target = directory / f"{name}.safetensors"
    atomic_write(target, lambda tmp: shutil.copyfile(source, tmp))
    manifest_path = directory / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[name] = {"file": target.name, "sha256": file_sha256(target), "config": info.config}
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    atomic_write(manifest_path, lambda tmp: tmp.write_text(text))
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scnn_plugin.training.publish", description=__doc__)
    p.add_argument("source", type=Path, help="e.g. runs/default/best.safetensors")
    p.add_argument("name", help="shipped name: default or paper")
    args = p.parse_args(argv)
    print(publish(args.source, args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
