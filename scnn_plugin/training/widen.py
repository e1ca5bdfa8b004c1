"""Function-preserving widening: a wider network that starts as exactly the trained narrow one.

``scnn-train --widen-from WEIGHTS --model-kwargs '{"width": 32}'`` builds the wide model fresh, then
puts every narrow tensor in the leading channels of its wide twin. Weights from new input channels
into old output channels are set to zero, so no old channel ever reads a new one: every old channel
computes exactly what it did, and the output layer (whose outputs are the 3 colours, all old) reads
old channels only. New channels keep their fresh initialisation and feed only new channels until
training moves the zeros. BatchNorm statistics and affine parameters and the LIF units' per-channel
leak and threshold are copied channel by channel, so the fill is bit-identical in train and in eval
mode before the first step (tests/test_widen.py). Issue 34's candidate A was made this way.

The rule holds for networks whose channels mix only through a weight's second dimension and are
otherwise treated one by one (convolutions, per-channel norms and neurons, residual sums,
resampling): both configs here. A tensor whose shape does not fit is refused by name.
"""

from __future__ import annotations

import torch
from torch import nn


def widen(narrow: nn.Module, wide: nn.Module) -> nn.Module:
    """Write ``narrow``'s tensors into the leading channels of ``wide``'s, in place; return ``wide``.

    Both must be the same architecture (the same tensor names); every wide tensor must be at least
    as large as its narrow twin in its first two dimensions and equal in the rest (kernel sizes).
    """
    small, big = narrow.state_dict(), wide.state_dict()
    if set(small) != set(big):
        odd = sorted(set(small) ^ set(big))
        raise ValueError(f"the networks differ in more than width: {odd[0]} is in one only")
    problems = [name for name, s in small.items() if not _fits(s, big[name])]
    if problems:
        name = problems[0]
        raise ValueError(
            f"{name} is {tuple(small[name].shape)} in the narrow network and "
            f"{tuple(big[name].shape)} in the wide one: it cannot be widened into"
        )
    with torch.no_grad():
        for name, s in small.items():
            b = big[name]  # shares storage with the wide model's parameter or buffer
            if s.dim() >= 2:
                b[: s.shape[0], s.shape[1] :] = 0  # old outputs never read new inputs
            b[tuple(slice(0, n) for n in s.shape)] = s
    return wide


def _fits(small: torch.Tensor, big: torch.Tensor) -> bool:
    if small.dim() != big.dim() or small.dtype != big.dtype:
        return False
    lead = min(2, small.dim())
    grows = all(a <= b for a, b in zip(small.shape[:lead], big.shape[:lead]))
    return grows and small.shape[lead:] == big.shape[lead:]
