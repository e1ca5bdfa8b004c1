"""Synaptic operations and energy per layer (``evaluation/synops.py``), on golden spike counts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from scnn_plugin.evaluation.synops import PJ_PER_AC, PJ_PER_MAC, OpCounter, format_table
from scnn_plugin.snn import SNNConv2d


class SpikesThenConv(nn.Module):
    """A 1x1 spiking layer (one channel always fires, one never) read by a 3x3 convolution."""

    def __init__(self) -> None:
        super().__init__()
        self.snn = SNNConv2d(1, 2, kernel_size=1, timesteps=4)
        self.read = nn.Conv2d(2, 5, 3, padding=1)
        self.dense = nn.Conv2d(5, 3, 1)
        with torch.no_grad():
            self.snn.conv.weight.zero_()
            self.snn.conv.bias.copy_(torch.tensor([10.0, -10.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.read(self.snn(x)))


def test_spikes_times_fan_out_are_counted_exactly_and_dense_layers_as_macs():
    model = SpikesThenConv()
    with OpCounter(model) as counter, torch.no_grad():
        model(torch.zeros(1, 1, 6, 6))
        counter.images += 1
    rows = {r.name: r for r in counter.result()}
    read, dense = rows["read"], rows["dense"]
    assert not rows["snn.conv"].reads_spikes  # the current into the neurons: dense pixels
    # 36 pixels fire 4 times in channel 0; each spike reaches 5 channels at every 3x3 position it
    # falls in: 4 x 5 x (the 6x6 map convolved with ones, padded) = 4 x 5 x 256.
    assert read.reads_spikes and read.macs == 0
    assert read.synops == 4 * 5 * 256
    assert read.twin_macs == 36 * 5 * 2 * 9  # every output of the twin: fan-in 2 x 3 x 3
    assert read.spike_rate == pytest.approx(0.5)
    assert not dense.reads_spikes and dense.macs == dense.twin_macs == 36 * 3 * 5
    assert read.mj == pytest.approx(4 * 5 * 256 * PJ_PER_AC * 1e-9)
    assert dense.mj == pytest.approx(36 * 3 * 5 * PJ_PER_MAC * 1e-9)
    assert counter.neuron_updates == 2 * 36 * 4
    table = format_table("tiny", counter.result(), counter.neuron_updates, 6)
    assert "| read | spikes | 0.0 | 0.0 | 0.01 | 0.5000 |" in table
    assert "LIF state updates (not counted above): 0.0 M" in table


def test_hooks_are_removed_on_exit():
    model = SpikesThenConv()
    with OpCounter(model) as counter, torch.no_grad():
        model(torch.zeros(1, 1, 4, 4))
    model(torch.zeros(1, 1, 4, 4))
    read = next(r for r in counter.result() if r.name == "read")
    assert read.twin_macs == 16 * 5 * 18  # one forward counted, not two
