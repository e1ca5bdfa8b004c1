"""The window uses one public fine-tuning entry point and no engine internals it does not need."""

from __future__ import annotations

import ast
from pathlib import Path

import scnn_plugin.app
import scnn_plugin.weights
from scnn_plugin.training import finetune

APP = Path(scnn_plugin.app.__file__).parent


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    package = ["scnn_plugin", "app"]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_window_reaches_training_only_through_finetune():
    for path in sorted(APP.glob("*.py")):
        for name in _imports(path):
            if name.startswith("scnn_plugin.training."):
                assert name.startswith("scnn_plugin.training.finetune"), f"{path.name}: {name}"
            assert not name.startswith("scnn_plugin.views"), f"{path.name}: {name}"


def test_everything_the_window_takes_from_finetune_is_public_api():
    for path in sorted(APP.glob("*.py")):
        for name in _imports(path):
            prefix = "scnn_plugin.training.finetune."
            if name.startswith(prefix):
                assert name[len(prefix) :] in finetune.__all__, f"{path.name}: {name}"
    assert finetune.finetuned_dir is scnn_plugin.weights.finetuned_dir
