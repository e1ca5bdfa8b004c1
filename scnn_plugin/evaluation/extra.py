"""The ``eval`` extra: which of its packages a measuring command needs, checked before any work.

``scnn-eval`` and ``scnn-bench`` measure SC-NN against the classical fills users already have
(OpenCV, scikit-image, PatchMatch) and draw plots (matplotlib); none of these ship with the
inpainter. A command asks ``missing_line`` first, so a missing package is one line naming it and the
extra, before a photo is read or a model loaded, not a traceback after minutes of work.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

INSTALL = "pip install 'scnn-inpaint[eval]'"
# Each package of the extra (as pyproject.toml names it) and the module it is imported as.
MODULES = {
    "opencv-contrib-python-headless": "cv2",
    "scikit-image": "skimage",
    "pypatchmatch": "patchmatch",
    "matplotlib": "matplotlib",
}
# The package each classical fill (classical.FILLS) needs; ours need none.
FILL_PACKAGES = {
    "telea": "opencv-contrib-python-headless",
    "navier-stokes": "opencv-contrib-python-headless",
    "fsr-fast": "opencv-contrib-python-headless",
    "biharmonic": "scikit-image",
    "patchmatch": "pypatchmatch",
}


def packages_for_fills(fills: Iterable[str]) -> list[str]:
    """The packages the classical fills ``fills`` need, each once, in the order asked."""
    return list(dict.fromkeys(FILL_PACKAGES[f] for f in fills if f in FILL_PACKAGES))


def missing(packages: Iterable[str]) -> list[str]:
    """Those of ``packages`` (keys of ``MODULES``) that are not installed."""
    return [p for p in dict.fromkeys(packages) if importlib.util.find_spec(MODULES[p]) is None]


def missing_line(prog: str, packages: Iterable[str], hint: str = "") -> str | None:
    """One line for the user when any of ``packages`` is missing, naming them and the extra
    (``hint`` adds how to do without them); None when all are installed."""
    absent = missing(packages)
    if not absent:
        return None
    verb = "is" if len(absent) == 1 else "are"
    tail = f" ({hint})" if hint else ""
    return (
        f"{prog}: {', '.join(absent)} {verb} not installed; install the eval extra: {INSTALL}{tail}"
    )
