"""Shipped weights; installed as the package ``scnn_plugin.shipped_weights`` (see pyproject.toml)."""
