"""Classical fills the network works with: the membrane base it refines, the photo's own texture.

``membrane``: the harmonic interpolant that is the default model's first guess (structure).
``texture``: which of completion, the periodic copy or the network's own fill applies where.
``completion``: the hole completed from the photo's patches coarse to fine, the network's fill
as its layout near the edge; its steps live beside it:
``patch_basis`` (patches as 40 cosine coordinates), ``patch_match`` (the nearest-neighbour search),
``offsets`` (the photo's dominant self-similar shifts), ``vote`` (overlapping copies averaged),
``finish`` (each pixel's own grain, the surroundings' band energy) and ``shift_map`` (deep in the
hole, one shift per pixel chosen by ``graph_cut``'s expansion moves, so a material comes in whole
pieces, blended in the gradient domain).
``periodic``: on a regular pattern, the hole copied from the known pixels one period away.
``filters``: the blur and luminance these share; ``beside``: their independent parts on a second
core.
"""

from .membrane import membrane_fill
from .texture import add_texture

__all__ = ["add_texture", "membrane_fill"]
