"""The training and measuring tools' command lines: ``--help`` answers at once, without torch, in
plain text with a line for every option and examples; scnn-eval and scnn-bench name the ``eval``
extra in one line, before any work, when a package of it is missing."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
TOOLS = ["scnn-train", "scnn-finetune", "scnn-eval", "scnn-bench"]


def _entry(tool: str) -> tuple[str, str]:
    module, _, function = SCRIPTS[tool].partition(":")
    return module, function


def _run_entry(tool: str, argv: list[str], before: str = "") -> subprocess.CompletedProcess:
    """Run ``tool``'s console-script entry point with ``argv`` in a fresh interpreter, after
    ``before``; it prints, last, whether torch was imported."""
    module, function = _entry(tool)
    probe = (
        "import sys\n"
        f"{before}\n"
        f"sys.argv = [{tool!r}, *{argv!r}]\n"
        f"from {module} import {function} as main\n"
        "try:\n"
        "    code = main()\n"
        "except SystemExit as exit_:\n"
        "    code = exit_.code\n"
        "print('torch loaded:', 'torch' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def _parser(tool: str) -> argparse.ArgumentParser:
    module, _ = _entry(tool)
    return import_module(module).parser()


@pytest.mark.parametrize("tool", TOOLS)
def test_help_loads_no_torch(tool):
    run = _run_entry(tool, ["--help"])
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith("torch loaded: False"), run.stdout[-300:]
    assert f"usage: {tool}" in run.stdout


@pytest.mark.parametrize("tool", TOOLS)
def test_help_is_plain_text_with_examples(tool):
    text = _parser(tool).format_help()
    assert "``" not in text and ":class:" not in text, text
    examples = text.split("examples:\n", 1)[1].splitlines()
    commands = [line for line in examples if line.lstrip().startswith(f"{tool} ")]
    assert 2 <= len(commands) <= 3, examples


@pytest.mark.parametrize("tool", TOOLS)
def test_every_option_has_a_help_line(tool):
    bare = [
        "/".join(a.option_strings) or a.dest
        for a in _parser(tool)._actions
        if not a.help or a.help == argparse.SUPPRESS
    ]
    assert not bare, f"{tool}: no help for {bare}"


HIDE = "sys.modules[{module!r}] = None  # as if the package were not installed"


@pytest.mark.parametrize(
    "tool, module, package, argv",
    [
        ("scnn-eval", "skimage", "scikit-image", ["--out", "{out}"]),
        ("scnn-eval", "patchmatch", "pypatchmatch", ["--out", "{out}", "--methods", "patchmatch"]),
        ("scnn-bench", "matplotlib", "matplotlib", ["--out", "{out}", "--sweep", ""]),
        ("scnn-bench", "cv2", "opencv-contrib-python-headless", ["--out", "{out}"]),
    ],
)
def test_a_missing_eval_package_is_one_line_naming_the_extra_before_any_work(
    tmp_path, tool, module, package, argv
):
    out = tmp_path / "results"
    run = _run_entry(tool, [a.format(out=out) for a in argv], HIDE.format(module=module))
    assert run.returncode == 2, run.stdout + run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"{tool}: ") and package in line
    assert "pip install 'scnn-inpaint[eval]'" in line
    assert run.stdout.strip() == "torch loaded: False"  # refused before any work
    assert not out.exists()


def test_a_fill_left_out_needs_no_package(tmp_path):
    """scnn-eval asks only for what the asked fills need: without scikit-image, the fills that
    do not use it still run (here: none at all, refused later for the missing photos)."""
    argv = ["--out", str(tmp_path / "r"), "--methods", "telea", "--photos", str(tmp_path)]
    run = _run_entry("scnn-eval", argv, HIDE.format(module="skimage"))
    assert run.returncode == 2
    assert "eval]" not in run.stderr and "no photos in" in run.stderr


# Records the thread settings torch loads under: OpenMP reads them only then.
WATCH_TORCH = """
import importlib.abc, os
class _Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not hasattr(sys, "torch_env"):
            sys.torch_env = (os.environ.get("OMP_WAIT_POLICY"), os.environ.get("OMP_NUM_THREADS"))
            print("torch loads under", *sys.torch_env)
        return None
sys.meta_path.insert(0, _Watch())
os.environ.pop("OMP_WAIT_POLICY", None)
"""


@pytest.mark.parametrize(
    "tool, argv",
    [
        ("scnn-train", ["--run-dir", "{tmp}/run", "--photos", "{tmp}"]),
        ("scnn-finetune", ["{tmp}"]),
        ("scnn-eval", ["--photos", "{tmp}", "--out", "{tmp}/out", "--methods", "none"]),
        ("scnn-bench", ["--photos", "{tmp}", "--out", "{tmp}/out", "--methods", "telea"]),
    ],
)
def test_torch_loads_with_idle_threads_asleep_and_the_asked_count(tmp_path, tool, argv):
    """Each tool sets the wait policy and --threads before torch loads (cpu_threads.py); the
    runs here stop at once for want of photos."""
    argv = [a.format(tmp=tmp_path) for a in argv] + ["--threads", "3"]
    run = _run_entry(tool, argv, WATCH_TORCH)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "torch loads under PASSIVE 3" in run.stdout.splitlines()


@pytest.mark.parametrize("tool", TOOLS)
def test_a_bad_thread_count_is_one_line_before_torch_loads(tmp_path, tool):
    argv = {"scnn-train": ["--run-dir", str(tmp_path)], "scnn-finetune": [str(tmp_path)]}
    argv = argv.get(tool, ["--out", str(tmp_path / "out")]) + ["--threads", "100000"]
    run = _run_entry(tool, argv)
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"{tool}: --threads must be an integer in [0, ")
    assert run.stdout.strip() == "torch loaded: False"
