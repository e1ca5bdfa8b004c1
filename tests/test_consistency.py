"""One version, one bridge protocol, one application name and one torch pin, wherever they are
written: pyproject, the package, the bridge, the GIMP plug-in, the installer, the README, docs/ and CI.

The plug-in runs on GIMP's Python (no torch, no package), so it is read as source (AST), never
imported; a copy that drifts from the engine's would only show on a user's machine.
"""

from __future__ import annotations

import ast
import re
import shlex
import tomllib
from pathlib import Path

import scnn_plugin
from scnn_plugin import bridge

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PLUGIN = ROOT / "gimp/scnn-inpaint/scnn-inpaint.py"
INSTALLER = ROOT / "installer/install.py"
SOURCES = sorted(
    [*(ROOT / "scnn_plugin").rglob("*.py"), *(ROOT / "installer").glob("*.py"), PLUGIN]
)


def constants(path: Path) -> dict[str, object]:
    """The module-level ``NAME = <literal>`` assignments of ``path``."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def torch_pin() -> str:
    pins = [d for d in PROJECT["dependencies"] if d.replace(" ", "").startswith("torch==")]
    assert len(pins) == 1, PROJECT["dependencies"]
    return pins[0].replace(" ", "")


def test_version_is_one_everywhere():
    version = PROJECT["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert scnn_plugin.__version__ == version
    assert bridge.diagnostics()["scnn-inpaint"] == version  # what the engine tells the plug-in
    assert constants(PLUGIN)["PLUGIN_VERSION"] == version
    assert constants(INSTALLER)["VERSION"] == version


def test_bridge_protocol_is_the_plugins():
    assert isinstance(bridge.PROTOCOL, int)
    assert constants(PLUGIN)["PROTOCOL"] == bridge.PROTOCOL
    assert bridge.diagnostics()["protocol"] == bridge.PROTOCOL


def app_names() -> dict[str, str]:
    """Every place an application name is written: ``APP_NAME = "..."`` and the literal first
    argument of a ``platformdirs.user_*_dir(...)`` call, keyed ``file:line``."""
    found = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and any(isinstance(t, ast.Name) and t.id == "APP_NAME" for t in node.targets)
            ):
                found[where] = node.value.value
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and re.fullmatch(r"user_\w+_dir", node.func.attr)
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found[where] = node.args[0].value
    return found


def test_app_name_is_the_project_name_everywhere():
    names = app_names()
    # the engine's data, the window's settings, the installer and the plug-in each name it
    assert len(names) >= 4, names
    assert {where: PROJECT["name"] for where in names} == names
    assert constants(PLUGIN)["APP_NAME"] == PROJECT["name"]


def test_torch_pin_is_one_everywhere():
    pin = torch_pin()
    version = pin.split("==")[1]
    assert constants(INSTALLER)["TORCH_PIN"] == pin
    dev_env = (ROOT / "installer/dev-env.sh").read_text()
    assert f'TORCH_PIN="{pin}"' in dev_env
    assert re.findall(r"!= '(\d+\.\d+\.\d+)'", dev_env) == [version]  # its "already there" check
    docs = sorted((ROOT / "docs").rglob("*.md"))
    others = (ROOT / "installer/dev-env.sh", INSTALLER, ROOT / ".ci/run")
    for path in (ROOT / "README.md", *docs, *others):
        written = set(re.findall(r"torch==[\w.+]+", path.read_text()))
        assert written <= {pin}, f"{path.name} names {written}, pyproject pins {pin}"
    assert "torch==" in (ROOT / "README.md").read_text()
    assert "torch==" in (ROOT / "docs/install.md").read_text()  # where the torch step is explained


def readme_test_command() -> str:
    """The README quick start's second command: what "runs the whole test suite"."""
    for line in (ROOT / "README.md").read_text().splitlines():
        if "run the whole test suite" in line:
            command = line.split("#")[0].split("&&")[-1].strip()
            assert "pytest" in command, line
            return command
    raise AssertionError("the README's quick start has no whole-test-suite command")


def test_ci_runs_the_readme_test_command_and_it_deselects_nothing():
    command = readme_test_command()
    ci = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert command in ci
    assert any(line.startswith(".venv/bin/ruff check") for line in ci)
    # checks and tests run with an empty temporary HOME: no cache of whoever runs CI counts
    hermetic = next(i for i, line in enumerate(ci) if line.startswith('export HOME="$home"'))
    assert hermetic < ci.index(command) and "mktemp -d" in "".join(ci[:hermetic])
    # the default run leaves the slow tests out; the README's command must bring them back
    addopts = shlex.split(PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"])
    assert addopts[addopts.index("-m") + 1] == "not slow"
    words = shlex.split(command)
    assert words[words.index("pytest") + 1 :] == ["-m", ""]  # pytest's -m: select everything


# The held-out figures: docs/eval-results.md is what scnn-eval wrote; the README, the model card and
# docs/quality.md quote it. A new run must reach all of them.
CLASSICAL_NAMES = {"fsr-fast": "FSR", "telea": "Telea", "patchmatch": "PatchMatch"}
KINDS = ("thin", "medium", "thick", "object")


def table_rows(text: str) -> list[list[str]]:
    """The cells of every markdown table row in ``text``, bold marks dropped."""
    return [
        [cell.strip().replace("**", "") for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]


def eval_results() -> dict[str, dict[str, str]]:
    """Per hole kind, the figures the README's quality table quotes, from docs/eval-results.md."""
    text = (ROOT / "docs/eval-results.md").read_text(encoding="utf-8")
    summary = next(row for row in table_rows(text) if row[0] == "SC-NN default")
    found = {}
    for kind, cell in zip(KINDS, summary[1:]):
        margin, worst, bands = (part.strip() for part in cell.split("/"))
        section = text.split(f"## {kind} holes", 1)[1].split("\n## ", 1)[0]
        rows = {row[0]: row for row in table_rows(section)}
        best = next(
            line.split("|")[1].strip()
            for line in section.splitlines()
            if line.startswith("| ") and line.count("**") >= 4 and "−" not in line
        )
        found[kind] = {
            "psnr": rows["SC-NN default"][1],
            "network": rows["SC-NN default, no texture"][1],
            "margin": margin,
            "worst": worst,
            "bands": " ".join(bands.split()[:3]),
            "best": f"{CLASSICAL_NAMES.get(best, best)} {rows[best][1]}",
            "patchmatch": rows["patchmatch"][1],
            "patchmatch bands": " ".join(rows["patchmatch"][5].split()[:3]),
        }
    return found


def test_readme_quality_table_quotes_the_latest_eval_run():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quality", 1)[1].split("\n## ", 1)[0]
    rows = {row[0].split()[0].rstrip("s"): row for row in table_rows(section)[1:]}
    for kind, fig in eval_results().items():
        assert rows[kind][1:] == [
            f"{fig['psnr']} ({fig['margin']})",
            fig["worst"],
            fig["best"],
            fig["patchmatch"],
            f"{fig['bands']} / {fig['patchmatch bands']}",
        ], kind


def test_model_card_and_quality_doc_quote_the_latest_eval_run():
    card = (ROOT / "weights/README.md").read_text(encoding="utf-8")
    rows = {row[0]: row for row in table_rows(card)}
    for kind, fig in eval_results().items():
        expected = [fig["network"], fig["psnr"], fig["best"], fig["margin"], fig["worst"]]
        assert rows[kind][1:] == expected, kind
    results = (ROOT / "docs/eval-results.md").read_text(encoding="utf-8")
    quality = (ROOT / "docs/quality.md").read_text(encoding="utf-8")
    summary, quoted = {}, {}  # the first table naming a row is the summary; later ones are per kind
    for table, text in ((summary, results), (quoted, quality)):
        for row in table_rows(text):
            if row[0].startswith("SC-NN"):
                table.setdefault(row[0], row[1:])
    quoted["SC-NN default"] = quoted.pop("SC-NN default (texture on: what users get)")
    for name in ("SC-NN default", "SC-NN default, no texture", "SC-NN paper"):
        assert quoted[name] == summary[name], name
