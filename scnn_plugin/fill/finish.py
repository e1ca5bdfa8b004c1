"""The completion's last touches at full resolution: the grain each pixel's own match has, and
the photo's band energy where voting flattened it."""

from __future__ import annotations

import torch

from .filters import gaussian_blur, luma
from .membrane import membrane_fill


def own_grain(
    estimate: torch.Tensor,
    image: torch.Tensor,
    field: torch.Tensor,
    targets: torch.Tensor,
    region: torch.Tensor,
    sigma: float,
) -> torch.Tensor:
    """The estimate's finest band (below ``sigma`` px) taken from each pixel's own match instead
    of the vote: overlapping patches agree on structure but not on the grain, and their average
    wipes it out."""
    c, h, w = image.shape
    own = estimate.reshape(c, -1).clone()
    own[:, targets] = image.reshape(c, -1)[:, field]
    own = own.view(c, h, w)
    bands = torch.stack([own, estimate])
    fine = bands - gaussian_blur(bands, sigma)
    return torch.where(region, (estimate - fine[1] + fine[0]).clamp(0, 1), estimate)


def surroundings_energy(
    fill: torch.Tensor, known: torch.Tensor, guide_sigma: float, energy_sigma: float
) -> torch.Tensor:
    """``[1, H, W]``: the local band energy (luminance above ``guide_sigma`` px) the known pixels
    of ``fill`` show within about ``energy_sigma`` px, carried smoothly into the hole. It needs
    nothing the completion makes, so it is measured while the completion runs."""
    photo = luma(fill - gaussian_blur(fill[None], guide_sigma)[0])
    weight = known.to(fill.dtype)[None, None]
    around = gaussian_blur((photo.square() * weight[0])[None], energy_sigma)
    cover = gaussian_blur(weight, energy_sigma)
    return membrane_fill(around / cover.clamp_min(1e-6), (cover > 0.5).to(fill.dtype))[0]


def matched_energy(
    estimate: torch.Tensor,
    expected: torch.Tensor,
    region: torch.Tensor,
    guide_sigma: float,
    energy_sigma: float,
    max_gain: float,
) -> torch.Tensor:
    """The photo's bands in ``region`` scaled towards the local energy its surroundings show
    (``expected``, from ``surroundings_energy``), by at most ``max_gain``: where overlapping
    patches disagreed their vote is an average, flatter than any of them, and where a match came
    from next to an edge it is busier than its place."""
    low = gaussian_blur(estimate[None], guide_sigma)[0]
    high = luma(estimate - low)
    energy = gaussian_blur(high.square()[None], energy_sigma)[0]
    gain = (expected / energy.clamp_min(1e-8)).sqrt().clamp(max=max_gain)
    scaled = (low + (estimate - low) * gain).clamp(0, 1)
    return torch.where(region, scaled, estimate)
