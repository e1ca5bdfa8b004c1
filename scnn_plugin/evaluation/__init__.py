"""Measuring: SC-NN against the classical fills, speed, synaptic operations, training curves.

Beside the core and above training, whose photos, masks and held-out set it reads; nothing imports
it but its own command-line tools (scnn-eval, scnn-bench) and tests.
"""
