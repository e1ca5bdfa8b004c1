"""Classical fills the network works with: the membrane base it refines, the photo's own texture.

``membrane``: the harmonic interpolant that is the default model's first guess (structure).
``patch_match``: a nearest-neighbour field from hole pixels to known pixels (where to copy from).
``completion``: the hole completed from the photo's patches coarse to fine, the network's fill
as its layout (structure from 1 to ~8 px).
``texture``: which of completion, the periodic copy or the network's own fill applies where.
``periodic``: on a regular pattern, the hole copied from the known pixels one period away.
``filters``: the blur and luminance these share.
"""

from .membrane import membrane_fill
from .texture import add_texture

__all__ = ["add_texture", "membrane_fill"]
