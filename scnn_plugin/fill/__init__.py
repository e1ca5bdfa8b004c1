"""Classical fills the network works with: the membrane base it refines, the photo's own texture.

``membrane``: the harmonic interpolant that is the default model's first guess (structure).
``patch_match``: a nearest-neighbour field from hole pixels to known pixels (where to copy from).
``texture``: the network's fill low-passed plus the high-pass of matched known pixels (grain).
``periodic``: on a regular pattern, the hole copied from the known pixels one period away.
``filters``: the blur and luminance these share.
"""

from .membrane import membrane_fill
from .texture import add_texture

__all__ = ["add_texture", "membrane_fill"]
