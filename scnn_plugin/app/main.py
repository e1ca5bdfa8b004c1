"""``scnn-inpaint-gui [IMAGE]``: start the desktop window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PyQt6.QtWidgets import QApplication

from ..version import __version__
from .settings import SettingsStore
from .window import MainWindow


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scnn-inpaint-gui", description="Paint a mask over a photo and inpaint it."
    )
    p.add_argument("image", nargs="?", type=Path, help="image to open")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SC-NN Inpaint")
    app.setApplicationVersion(__version__)
    window = MainWindow(SettingsStore())
    window.show()
    if args.image is not None:
        window.open_path(args.image)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
