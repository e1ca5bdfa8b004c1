"""SC-NN Inpaint: hybrid spiking-convolutional inpainting for photographs.

A doorway, not a warehouse: importing the package (for its version or its error types) loads no
torch. ``Inpainter`` is imported from the engine on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import Cancelled, DeviceError, InputError, ScnnError, WeightsError
from .options import InpaintOptions
from .version import __version__

if TYPE_CHECKING:
    from .engine import Inpainter

__all__ = [
    "Cancelled",
    "DeviceError",
    "InpaintOptions",
    "Inpainter",
    "InputError",
    "ScnnError",
    "WeightsError",
    "__version__",
]

# Names served by the engine, which imports torch: loaded by ``__getattr__`` when first asked for.
_ENGINE_NAMES = {"Inpainter"}


def __getattr__(name: str) -> Any:
    if name in _ENGINE_NAMES:
        from . import engine

        value = globals()[name] = getattr(engine, name)  # once: later lookups skip this hook
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _ENGINE_NAMES)
