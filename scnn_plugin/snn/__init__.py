"""Spiking building blocks: surrogate spike functions, the LIF neuron, and SNNConv2d."""

from .layers import SNNConv2d
from .lif import LIF, lif_step
from .surrogate import SURROGATES, spike_fn

__all__ = ["LIF", "SURROGATES", "SNNConv2d", "lif_step", "spike_fn"]
