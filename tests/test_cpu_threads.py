"""Issue 43: every process that runs the engine uses a chosen number of threads that sleep when idle.

The policy is read by OpenMP only when torch loads, so the process-level tests run a fresh Python
with no OpenMP variables and look at the environment at the moment the work starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from scnn_plugin.cpu_threads import (
    MAX_THREADS,
    THREADS_ENV,
    check_threads,
    choose_threads,
    configure_threads,
    physical_cores,
)
from scnn_plugin.errors import InputError

OMP_VARIABLES = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", THREADS_ENV)


def _clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OMP_VARIABLES}
    env.update(extra)
    return env


def test_idle_threads_sleep_and_the_count_is_in_the_environment():
    environ: dict[str, str] = {}
    count = configure_threads(3, environ)
    assert count == 3
    assert environ == {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "3"}


def test_a_wait_policy_the_user_set_is_kept():
    environ = {"OMP_WAIT_POLICY": "ACTIVE"}
    configure_threads(2, environ)
    assert environ["OMP_WAIT_POLICY"] == "ACTIVE"


@pytest.mark.parametrize(
    "requested, environ, expected",
    [
        (5, {THREADS_ENV: "2", "OMP_NUM_THREADS": "3"}, 5),  # --threads / the setting first
        (0, {THREADS_ENV: "2", "OMP_NUM_THREADS": "3"}, 2),  # 0 = automatic: the variable
        (None, {"OMP_NUM_THREADS": "3"}, 3),  # the user's OpenMP count
        (None, {THREADS_ENV: "0", "OMP_NUM_THREADS": "4"}, 4),
    ],
)
def test_the_thread_count_comes_from_the_first_source_that_gives_one(requested, environ, expected):
    assert choose_threads(requested, environ) == expected


def test_automatic_is_the_physical_cores_this_process_may_use():
    cores = physical_cores()
    assert 1 <= cores <= len(os.sched_getaffinity(0))
    assert choose_threads(None, {}) == cores == choose_threads(0, {})


@pytest.mark.parametrize(
    "requested, environ, named",
    [
        (-1, {}, "--threads"),
        (MAX_THREADS + 1, {}, "--threads"),
        (None, {THREADS_ENV: "many"}, THREADS_ENV),
        (None, {"OMP_NUM_THREADS": "-2"}, "OMP_NUM_THREADS"),
    ],
)
def test_a_bad_thread_count_is_one_line_naming_where_it_came_from(requested, environ, named):
    with pytest.raises(InputError, match=f"^{named} must be an integer in \\[0, {MAX_THREADS}\\]"):
        choose_threads(requested, environ)


def test_check_threads_refuses_booleans_and_text():
    assert check_threads(0) == 0
    for bad in (True, "2", 2.0):
        with pytest.raises(InputError, match="threads must be an integer"):
            check_threads(bad)


def test_a_later_call_sets_the_count_of_a_torch_already_loaded():
    import torch

    before = torch.get_num_threads()
    try:
        configure_threads(1, {})
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


PROBE_CLI = """
import json, os, sys
import scnn_plugin.cli as cli
def run(args):
    print(json.dumps({"torch": "torch" in sys.modules, "threads": args.threads,
                      "policy": os.environ.get("OMP_WAIT_POLICY"),
                      "count": os.environ.get("OMP_NUM_THREADS")}))
    return 0
cli.run = run
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("given, expected", [([], None), (["--threads", "1"], "1")])
def test_the_command_line_sets_threads_and_wait_policy_before_torch_loads(given, expected):
    done = subprocess.run(
        [sys.executable, "-c", PROBE_CLI, "in.png", "-o", "out.png", *given],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_environment(),
        check=True,
    )
    seen = json.loads(done.stdout)
    assert seen["torch"] is False and seen["policy"] == "PASSIVE"
    assert seen["count"] == (expected or str(physical_cores()))


def test_the_threads_variable_reaches_the_command_line():
    done = subprocess.run(
        [sys.executable, "-c", PROBE_CLI, "in.png", "-o", "out.png"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_environment(**{THREADS_ENV: "1", "OMP_WAIT_POLICY": "ACTIVE"}),
        check=True,
    )
    seen = json.loads(done.stdout)
    assert (seen["count"], seen["policy"]) == ("1", "ACTIVE")


def test_a_fill_from_the_command_line_runs_on_the_requested_threads(tmp_path, fast_weights, photo):
    photo.resize((64, 64)).save(tmp_path / "in.png")
    mask = photo.resize((64, 64)).convert("L").point(lambda v: 0)
    mask.paste(255, (20, 20, 40, 40))
    mask.save(tmp_path / "mask.png")
    probe = (
        "import sys, torch\n"
        "from scnn_plugin.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print('threads', torch.get_num_threads(), 'code', code)\n"
    )
    args = ["in.png", "--mask", "mask.png", "-o", "out.png", "--weights", str(fast_weights)]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args, "--tile", "64", "--overlap", "16", "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=_clean_environment(OMP_NUM_THREADS="2"),
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "threads 1 code 0", done.stderr
    assert (tmp_path / "out.png").is_file()


def test_a_bad_threads_value_is_one_line_before_any_work(capsys):
    from scnn_plugin.cli import main

    assert main(["in.png", "-o", "out.png", "--threads", "999"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    expected = f"--threads must be an integer in [0, {MAX_THREADS}] (0 = automatic), got 999"
    assert err == [f"scnn-inpaint: error: {expected}"]


def test_the_gimp_bridge_reports_its_threads_and_wait_policy():
    done = subprocess.run(
        [sys.executable, "-m", "scnn_plugin.bridge", "--diagnose"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_environment(**{THREADS_ENV: "1"}),
        check=True,
    )
    info = json.loads(done.stdout)
    assert info["threads"] == 1 and info["omp_wait_policy"] == "PASSIVE"


def test_the_windows_thread_setting_is_saved_and_a_bad_one_falls_back(tmp_path):
    from dataclasses import replace

    from scnn_plugin.app.settings import AppSettings, SettingsStore

    store = SettingsStore(tmp_path / "settings.json")
    store.save(replace(AppSettings(), threads=3))
    assert store.load() == (replace(AppSettings(), threads=3), None)
    data = json.loads(store.path.read_text())
    data["threads"] = -4
    store.path.write_text(json.dumps(data))
    settings, warning = store.load()
    assert settings.threads == AppSettings().threads == 0 and "threads" in warning


def test_the_window_sets_threads_before_torch_loads(monkeypatch):
    """``main`` configures the threads before Qt or the window (which loads the engine)."""
    from scnn_plugin.app import main as app_main

    seen = []
    monkeypatch.setattr(app_main, "configure_threads", lambda *a: seen.append(a) or 2)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(app_main.sys, "platform", "linux")
    assert app_main.main([]) == 1  # no display: it stops right after the thread setup
    assert seen == [()]
