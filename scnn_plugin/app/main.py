"""``scnn-inpaint-gui [IMAGE]``: start the desktop window."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from ..cpu_threads import configure_threads
from ..errors import InputError
from ..version import __version__

# Qt's own platform choice on Linux and the BSDs needs one of these; without them it aborts the
# process (exit 134) with a hint about missing xcb libraries, which misleads when they are there.
DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scnn-inpaint-gui", description="Paint a mask over a photo and inpaint it."
    )
    p.add_argument("image", nargs="?", type=Path, help="image to open")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p.parse_args(argv)


def display_problem(environ: Mapping[str, str], platform: str) -> str | None:
    """Why the window cannot open here, in one line; None when it can (or Qt is told where to draw).

    Only the X11 / Wayland desktops need a display named in the environment; macOS and Windows
    always have one, and ``QT_QPA_PLATFORM`` (e.g. ``offscreen``) is the user's own choice.
    """
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    if environ.get("QT_QPA_PLATFORM") or any(environ.get(v) for v in DISPLAY_VARIABLES):
        return None
    return (
        "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set): run it in a desktop "
        "session, or with QT_QPA_PLATFORM=offscreen for tests"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        configure_threads()  # before torch loads; the window applies its own setting later
    except InputError as err:  # a bad SCNN_THREADS / OMP_NUM_THREADS
        print(f"scnn-inpaint-gui: error: {err}", file=sys.stderr)
        return 1
    problem = display_problem(os.environ, sys.platform)
    if problem is not None:
        print(f"scnn-inpaint-gui: error: {problem}", file=sys.stderr)
        return 1
    # Qt and the window (which loads the engine) only once a window can open.
    from PyQt6.QtWidgets import QApplication

    from . import crash_guard
    from .settings import SettingsStore
    from .window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SC-NN Inpaint")
    app.setApplicationVersion(__version__)
    crash_guard.install()  # a bug in a slot shows a dialog instead of aborting with the work
    window = MainWindow(SettingsStore())
    window.show()
    if args.image is not None:
        window.open_path(args.image)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
