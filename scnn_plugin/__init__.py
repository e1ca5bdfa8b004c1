"""SC-NN Inpaint: hybrid spiking-convolutional inpainting for photographs."""

from .engine import Inpainter
from .errors import Cancelled, DeviceError, InputError, ScnnError, WeightsError
from .options import InpaintOptions

__version__ = "0.1.0"

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
