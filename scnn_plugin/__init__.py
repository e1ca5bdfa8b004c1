"""SC-NN Inpaint: hybrid spiking-convolutional inpainting for photographs.

A doorway, not a warehouse: importing the package (for its version or its error types) loads no
torch. ``Inpainter`` (from the engine) and ``FillMask`` (the mask type it takes, from masks) are
imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import Cancelled, DeviceError, InputError, ScnnError, WeightsError
from .options import InpaintOptions
from .version import __version__

if TYPE_CHECKING:
    from .engine import Inpainter
    from .masks import FillMask

__all__ = [
    "Cancelled",
    "DeviceError",
    "FillMask",
    "InpaintOptions",
    "Inpainter",
    "InputError",
    "ScnnError",
    "WeightsError",
    "__version__",
]

# Names loaded by ``__getattr__`` when first asked for, and their modules: the engine imports torch,
# masks numpy and Pillow.
_LAZY_NAMES = {"Inpainter": "engine", "FillMask": "masks"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        module = import_module(f".{_LAZY_NAMES[name]}", __name__)
        value = globals()[name] = getattr(module, name)  # once: later lookups skip this hook
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_NAMES))
