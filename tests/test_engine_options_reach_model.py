"""The request's timesteps reach the network: the option is passed to every forward and changes the
fill on the shipped weights (a run that ignored it would give the trained default every time)."""

from __future__ import annotations

import numpy as np
import pytest

from scnn_plugin import InpaintOptions


def timesteps_seen(inpainter, photo, mask) -> set[int]:
    """The ``timesteps`` keyword of every model forward while ``inpainter`` fills ``mask``."""
    seen: set[int] = set()

    def record(module, args, kwargs):
        seen.add(kwargs["timesteps"])

    handle = inpainter.model.register_forward_pre_hook(record, with_kwargs=True)
    try:
        inpainter.inpaint(photo, mask)
    finally:
        handle.remove()
    return seen


@pytest.mark.parametrize("timesteps", [1, 3, 7])
def test_timesteps_option_reaches_every_model_forward(
    fast_inpainter, photo, object_mask, timesteps
):
    options = InpaintOptions(tile=64, overlap=16, timesteps=timesteps)
    assert timesteps_seen(fast_inpainter.with_options(options), photo, object_mask) == {timesteps}


def test_no_timesteps_option_runs_as_trained(inpainter, photo, object_mask):
    assert inpainter.info.timesteps == 4
    assert timesteps_seen(inpainter.with_options(InpaintOptions()), photo, object_mask) == {4}


def test_one_timestep_fills_differently_from_the_trained_four(inpainter, photo, object_mask):
    """On the shipped weights and the sample photo, T=1 vs T=4 differ by ~9 levels in the hole."""
    inside = np.asarray(object_mask) > 0
    fills = {
        t: np.asarray(
            inpainter.with_options(InpaintOptions(timesteps=t)).inpaint(photo, object_mask)
        )
        for t in (1, 4)
    }
    diff = np.abs(fills[1].astype(int) - fills[4].astype(int))
    assert diff[inside].mean() > 3
    assert np.array_equal(fills[1][~inside], fills[4][~inside])  # only the hole depends on T
