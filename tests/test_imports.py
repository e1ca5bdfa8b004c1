"""Imports run one way: front ends -> engine -> parts (models, tiling, fill, ...) -> snn.

Beside the core: training (tools) and, above it, measuring (evaluation), which reads training's
photos, masks and held-out set. The core imports neither, training never imports evaluation, and a
front end imports neither (the window only training's public fine-tuning entry point).

Read from the source with ``ast`` (nothing is imported, so a wrong import is caught even in code no
other test runs, lazy imports inside functions included). Every module of ``scnn_plugin`` must sit
in a layer below; a new module fails here until it is given one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "scnn_plugin"
PLUGIN = ROOT / "gimp" / "scnn-inpaint" / "scnn-inpaint.py"

# Layer of each module, by its first name under the package ("" = the package's __init__).
LAYERS: dict[str, str] = {
    **dict.fromkeys(["errors", "atomic", "samples", "version", "cpu_threads"], "base"),
    "snn": "snn",
    **dict.fromkeys(
        [
            "models",
            "tiling",
            "fill",
            "masks",
            "imaging",
            "image_io",
            "rgb16",
            "raw_pixels",
            "views",
            "options",
            "arguments",
            "devices",
            "weights",
            "losses",
        ],
        "parts",
    ),
    **dict.fromkeys(["", "engine", "adapt"], "engine"),
    "training": "tools",
    "evaluation": "measure",
    **dict.fromkeys(["cli", "bridge", "app"], "front"),
}
BELOW: dict[str, set[str]] = {  # what each layer may import (besides its own layer)
    "base": set(),
    "snn": {"base"},
    "parts": {"base", "snn"},
    "engine": {"base", "snn", "parts"},
    "tools": {"base", "snn", "parts", "engine"},
    "measure": {"base", "snn", "parts", "engine", "tools"},
    "front": {"base", "snn", "parts", "engine"},
}
# The window's one way into training: the public fine-tuning entry point.
APP_MAY_USE = {"training.finetune"}
QT = "PyQt6"


def module_name(path: Path, root: Path) -> str:
    """``root/a/b.py`` -> ``a.b``; ``root/a/__init__.py`` -> ``a`` (relative to the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = [PACKAGE, *name.split(".")] if name else [PACKAGE]
    package = here if is_package else here[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from . import x`` may name a submodule: count the deepest name that is one.
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def _inside(target: str, modules: set[str]) -> str | None:
    """The package-relative module ``target`` names (deepest existing prefix), or None if outside."""
    if target != PACKAGE and not target.startswith(PACKAGE + "."):
        return None
    parts = target.split(".")[1:]
    while parts and ".".join(parts) not in modules:
        parts.pop()
    return ".".join(parts)


def violations(root: Path) -> list[str]:
    """Every wrong-way import under package folder ``root``, one readable line each."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    problems = []
    for name, path in files.items():
        layer = LAYERS.get(name.split(".")[0])
        if layer is None:
            problems.append(
                f"{path.relative_to(root.parent)}: module {name!r} is in no layer; add it to LAYERS"
            )
            continue
        seen = set()
        for line, target in imports_of(path, name, path.name == "__init__.py"):
            where = f"{path.relative_to(root.parent)}:{line}"
            if target.split(".")[0] == QT and layer not in ("front", "tools"):
                problems.append(f"{where}: the core imports {target}")
            inner = _inside(target, set(files))
            if inner is None or (line, inner) in seen:
                continue
            seen.add((line, inner))
            other = LAYERS.get(inner.split(".")[0])
            if other is None or other == layer or other in BELOW[layer]:
                continue  # a module in no layer is reported once, as itself
            if name.startswith("app") and any(inner.startswith(m) for m in APP_MAY_USE):
                continue
            if layer == "front" and other == "front" and inner.split(".")[0] != name.split(".")[0]:
                problems.append(f"{where}: front end {name} imports another front end, {inner}")
                continue
            if layer == "front" and other in ("tools", "measure"):
                kind = "training" if other == "tools" else "measuring"
                problems.append(f"{where}: {name} imports {kind} code {inner}")
                continue
            problems.append(f"{where}: {layer} module {name} imports {other} module {inner}")
    return problems


def plugin_violations(path: Path) -> list[str]:
    """The GIMP plug-in runs on GIMP's own Python: no torch and nothing of the package."""
    bad = ("torch", PACKAGE)
    return [
        f"{path.name}:{line}: the GIMP plug-in imports {target}"
        for line, target in imports_of(path, "", False)
        if target.split(".")[0] in bad
    ]


def test_imports_run_one_way():
    problems = violations(ROOT / PACKAGE)
    assert not problems, "\n".join(problems)


def test_the_gimp_plugin_never_imports_torch_or_the_package():
    assert PLUGIN.is_file()
    assert not plugin_violations(PLUGIN)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / PACKAGE
    for rel, text in {"__init__.py": "from .engine import Inpainter\n", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_checker_catches_each_kind_of_wrong_way_import(tmp_path):
    # A synthetic package laid out like ours, with one planted wrong-way import per rule.
    root = _tree(
        tmp_path,
        {
            "engine.py": "from .models import build\nfrom .cli import main\n",
            "cli.py": "from .engine import Inpainter\nfrom .training.trainer import Trainer\n",
            "adapt.py": "from .training.losses import hole_loss\n",
            "models/__init__.py": "from ..snn import LIF\n",
            "models/hybrid.py": "def build():\n    from ..engine import Inpainter\n",
            "snn/__init__.py": "from .. import fill\n",
            "fill.py": "import PyQt6.QtCore\n",
            "training/__init__.py": "",
            "training/trainer.py": "from ..engine import Inpainter\nfrom ..app import window\n",
            "training/losses.py": "",
            "training/finetune.py": "",
            "training/widen.py": "from ..evaluation.metrics import masked_psnr\n",
            "evaluation/__init__.py": "",
            "evaluation/metrics.py": "from ..training.validation import masked_psnr\n",
            "evaluation/bench.py": "from ..engine import Inpainter\nfrom ..app import window\n",
            "training/validation.py": "",
            "app/__init__.py": "",
            "app/window.py": "from PyQt6 import QtWidgets\nfrom ..training import finetune\n"
            "from ..training.trainer import Trainer\nfrom ..evaluation import bench\n",
            "texture.py": "",
        },
    )
    found = "\n".join(violations(root))
    for expected in (
        "engine.py:2: engine module engine imports front module cli",
        "cli.py:2: cli imports training code training.trainer",
        "adapt.py:1: engine module adapt imports tools module training.losses",
        "hybrid.py:2: parts module models.hybrid imports engine module engine",
        "snn/__init__.py:1: snn module snn imports parts module fill",
        "fill.py:1: the core imports PyQt6.QtCore",
        "trainer.py:2: tools module training.trainer imports front module app",
        "window.py:3: app.window imports training code training.trainer",
        "window.py:4: app.window imports measuring code evaluation.bench",
        "widen.py:1: tools module training.widen imports measure module evaluation.metrics",
        "bench.py:2: measure module evaluation.bench imports front module app",
        "module 'texture' is in no layer",
    ):
        assert expected in found, f"{expected!r} not in:\n{found}"
    # ... and nothing else: the allowed imports (engine -> models, window -> training.finetune,
    # training -> engine, evaluation -> training and engine, models -> snn, the front end's own
    # Qt) are not reported.
    assert len(found.splitlines()) == 12, found


def test_the_checker_catches_torch_in_the_gimp_plugin(tmp_path):
    plugin = tmp_path / "plug-in.py"
    plugin.write_text(
        "import json\n\ndef run():\n    import torch.nn\n    from scnn_plugin import x\n"
    )
    assert plugin_violations(plugin) == [
        "plug-in.py:4: the GIMP plug-in imports torch.nn",
        "plug-in.py:5: the GIMP plug-in imports scnn_plugin.x",
    ]


def test_the_package_and_its_light_front_doors_load_no_torch():
    """Issue 35: ``import scnn_plugin`` loaded torch (2 s, and a broken torch broke diagnostics):
    the version, the error types and the options come without it; ``Inpainter`` on first use."""
    probe = (
        "import sys\n"
        "import scnn_plugin, scnn_plugin.bridge, scnn_plugin.cli, scnn_plugin.version\n"
        "from scnn_plugin import InpaintOptions, InputError, __version__\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))\n"
        "from scnn_plugin import Inpainter\n"
        "print(Inpainter.__module__, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "scnn_plugin.engine True"]


def test_the_window_imports_no_torch_of_its_own():
    """Issue 35: the fine-tuning panel imported torch to work out the device again; devices.py
    owns that question, the engine and the training entry point the rest."""
    app = ROOT / PACKAGE / "app"
    found = [
        f"{path.name}:{line}: {target}"
        for path in sorted(app.rglob("*.py"))
        for line, target in imports_of(path, module_name(path, ROOT / PACKAGE), False)
        if target.split(".")[0] == "torch"
    ]
    assert not found, found
