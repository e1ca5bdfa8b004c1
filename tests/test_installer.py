"""The one-command installer (``installer/install.py``) on fake home folders."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("scnn_installer", ROOT / "installer" / "install.py")
installer = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = installer
spec.loader.exec_module(installer)
Places = installer.Places


@pytest.fixture
def home(tmp_path) -> Path:
    """A home where GIMP 3.0 and 3.2 have run, plus an old 2.10 profile and another plug-in."""
    for profile in (".config/GIMP/3.0", ".config/GIMP/3.2", ".config/GIMP/2.10"):
        (tmp_path / profile).mkdir(parents=True)
    other = tmp_path / ".config/GIMP/3.0/plug-ins/other/other.py"
    other.parent.mkdir(parents=True)
    other.write_text("#!/usr/bin/env python3\n")
    return tmp_path


def reachable(url: str) -> None:
    """Every index answers (no test reaches the network)."""


def places(home: Path, system: str = "Linux", nvidia: bool = False, **environ) -> Places:
    return Places(environ=environ, system=system, home=home, nvidia=nvidia, reach=reachable)


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_finds_every_gimp3_profile_including_flatpak(home):
    flatpak = home / ".var/app/org.gimp.GIMP/config/GIMP/3.0"
    flatpak.mkdir(parents=True)
    found = places(home).find_profiles()
    assert found == [home / ".config/GIMP/3.0", home / ".config/GIMP/3.2", flatpak]


def test_profile_roots_on_windows_and_macos(tmp_path):
    win = places(tmp_path, "Windows", APPDATA=str(tmp_path / "Roaming"))
    assert win.gimp_config_roots() == [tmp_path / "Roaming" / "GIMP"]
    mac = places(tmp_path, "Darwin")
    assert mac.gimp_config_roots() == [tmp_path / "Library/Application Support/GIMP"]
    assert mac.config_dir() == tmp_path / "Library/Application Support/scnn-inpaint"


def test_config_dir_is_platformdirs_user_config_dir(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert Places().config_dir() == Path(platformdirs.user_config_dir("scnn-inpaint"))
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert Places().config_dir() == Path(platformdirs.user_config_dir("scnn-inpaint"))


def test_torch_pin_matches_pyproject():
    assert f'"{installer.TORCH_PIN}"' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.slow
def test_install_check_reinstall_uninstall_with_an_existing_python(home, capsys):
    where = places(home)
    before = files_under(home)
    assert installer.main(["--python", sys.executable], where) == 0
    config = home / ".config/scnn-inpaint"
    for profile in ("3.0", "3.2"):
        target = home / f".config/GIMP/{profile}/plug-ins/scnn-inpaint/scnn-inpaint.py"
        assert target.read_bytes() == installer.PLUGIN_SOURCE.read_bytes()
        assert os.access(target, os.X_OK)
    assert not (home / ".config/GIMP/2.10/plug-ins").exists()
    assert f'"python": "{sys.executable}"' in (config / "engine.json").read_text()
    assert (config / "installed-version").read_text().strip() == installer.VERSION
    assert not (config / "install.incomplete").exists()
    out = capsys.readouterr().out
    assert "plug-in: installed" in out and "engine: scnn-inpaint" in out

    target = home / ".config/GIMP/3.0/plug-ins/scnn-inpaint/scnn-inpaint.py"
    mtime = target.stat().st_mtime_ns
    assert installer.main(["--python", sys.executable], where) == 0  # idempotent
    assert target.stat().st_mtime_ns == mtime  # unchanged: GIMP does not re-query it
    assert "plug-in: unchanged" in capsys.readouterr().out

    assert installer.main(["--check"], where) == 0
    assert "OK: GIMP will show Filters > SC-NN Inpaint" in capsys.readouterr().out

    assert installer.main(["--uninstall"], where) == 0
    assert files_under(home) == before  # exactly what it installed, nothing else
    assert installer.main(["--check"], where) == 1
    assert "not installed" in capsys.readouterr().out


def test_gimp_dir_override_takes_a_profile_or_its_plugins_folder(tmp_path, capsys):
    profile, plugins = tmp_path / "GIMP/3.0", tmp_path / "other/plug-ins"
    argv = ["--python", sys.executable, "--gimp-dir", str(profile), "--gimp-dir", str(plugins)]
    assert installer.main(argv, places(tmp_path / "home")) == 0
    assert (profile / "plug-ins/scnn-inpaint/scnn-inpaint.py").is_file()
    assert (plugins / "scnn-inpaint/scnn-inpaint.py").is_file()


def test_no_gimp_profile_says_what_to_do(tmp_path, capsys):
    assert installer.main(["--python", sys.executable], places(tmp_path)) == 1
    assert "Start GIMP 3 once" in capsys.readouterr().err


class FakePip:
    """Stands in for venv + pip: records commands, makes the venv's python, can fail on one step."""

    def __init__(self, fail_on: str | None = None, torch_version: str = "") -> None:
        self.commands: list[list[str]] = []
        self.fail_on = fail_on
        self.torch_version = torch_version  # what the version probe answers once torch is in

    def __call__(self, command, cwd=None, env=None):
        command = [str(c) for c in command]
        self.commands.append(command)
        if self.fail_on and self.fail_on in " ".join(command):
            raise installer.InstallError(f"failed: {self.fail_on}")
        if command[1:3] == ["-m", "venv"]:
            for name in ("bin/python", "Scripts/python.exe"):  # Linux and macOS, Windows
                python = Path(command[3]) / name
                python.parent.mkdir(parents=True, exist_ok=True)
                python.write_text("")
        if "--diagnose" in command:
            return '{"scnn-inpaint": "0.1.0", "torch": "2.13.0", "python": "3.11"}'
        if installer.WEIGHTS_PROBE in command:
            return "ok\n"
        if installer.TORCH_VERSION_PROBE in command:
            installed = any(installer.TORCH_PIN in c for c in self.commands)
            return self.torch_version + "\n" if installed else "\n"
        return ""


def test_creates_the_venv_installing_pinned_torch_before_the_package(home):
    """Issue 25: uninstall left the three folders above the venv that creating it had made."""
    where, pip = places(home), FakePip()
    before = files_under(home)
    args = installer.parse_args([])
    assert installer.install(args, where, run=pip) == 0
    venv = home / ".local/share/scnn-inpaint/venv"
    installs = [c for c in pip.commands if "install" in c]
    assert installs[0][-1] == installer.TORCH_PIN and installs[1][-1] == str(installer.SOURCE)
    assert pip.commands[0][1:] == ["-m", "venv", str(venv)]
    assert installer.Record(home / ".config/scnn-inpaint/install-record.json").created_venv
    assert installer.main(["--uninstall"], where) == 0
    assert not venv.exists()
    assert files_under(home) == before  # .local, .local/share, .local/share/scnn-inpaint too


def test_failed_step_rolls_back_and_check_reports_incomplete(home, capsys):
    where = places(home)
    args = installer.parse_args(["--gimp-dir", str(home / ".config/GIMP/3.0")])
    with pytest.raises(installer.InstallError):
        installer.install(args, where, run=FakePip(fail_on="--diagnose"))
    assert not (home / ".config/GIMP/3.0/plug-ins/scnn-inpaint").exists()
    assert (home / ".config/scnn-inpaint/install.incomplete").is_file()
    assert installer.check(args, where, run=FakePip()) == 1
    assert "did not finish" in capsys.readouterr().out


def test_check_names_why_gimp_would_skip_the_plugin(tmp_path):
    target = tmp_path / "scnn-inpaint" / "scnn-inpaint.py"
    target.parent.mkdir()
    target.write_text("print('no shebang')\n")
    target.chmod(0o644)
    problems = installer.plugin_problems(target, b"#!/usr/bin/env python3\n")
    assert "not executable" in problems and any("#!" in p for p in problems)
    assert any("differs" in p for p in problems)


def test_failure_after_files_were_written_rolls_every_one_back(home, monkeypatch):
    """The last step (``installed-version``) fails after the plug-in and engine.json are written:
    every file and folder this run made is gone again, and the files it replaced are restored."""
    old_plugin = home / ".config/GIMP/3.2/plug-ins/scnn-inpaint/scnn-inpaint.py"
    old_plugin.parent.mkdir(parents=True)
    old_plugin.write_bytes(b"#!/usr/bin/env python3\n# an older release\n")
    flatpak = home / ".var/app/org.gimp.GIMP/config/GIMP/3.0"
    flatpak.mkdir(parents=True)
    before = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    before_paths = files_under(home)
    written = []
    real_write_text = installer.write_text

    def write_then_fail_last(path, text):
        if path.name == "installed-version":
            written.extend(
                p for p in home.rglob("*") if p.name in ("engine.json", "scnn-inpaint.py")
            )
            raise OSError("disk full")
        real_write_text(path, text)

    monkeypatch.setattr(installer, "write_text", write_then_fail_last)
    with pytest.raises(OSError, match="disk full"):
        installer.install(installer.parse_args(["--python", sys.executable]), places(home))
    # the failure really came after the writes: 3 plug-in copies, 2 engine.json (native + Flatpak)
    assert sorted(p.name for p in written) == ["engine.json"] * 2 + ["scnn-inpaint.py"] * 3
    config = home / ".config/scnn-inpaint"
    left = files_under(home) - before_paths
    # only the marker that tells --check the install did not finish (and its folder, its record)
    assert left <= {
        str(p.relative_to(home))
        for p in (config, config / "install.incomplete", config / "install-record.json")
    }
    assert (config / "install.incomplete").is_file()
    assert {p: p.read_bytes() for p in home.rglob("*") if p in before} == before


# -- which torch: the CPU-only index where no NVIDIA GPU can use the CUDA build (issue 25) ---------

CPU = ["--extra-index-url", "https://download.pytorch.org/whl/cpu"]


@pytest.mark.parametrize(
    "system, nvidia, argv, environ, index",
    [
        ("Linux", False, [], {}, CPU),  # PyPI's Linux torch would be the multi-GB CUDA build
        ("Linux", True, [], {}, []),  # a GPU the CUDA build can use
        ("Linux", True, ["--cpu"], {}, CPU),
        ("Linux", True, [], {"SCNN_TORCH_INDEX": "cpu"}, CPU),
        ("Linux", False, [], {"SCNN_TORCH_INDEX": "pip"}, []),  # a mirror or wheel folder only
        (
            "Linux",
            False,
            [],
            {"SCNN_TORCH_INDEX": "https://mirror/t"},
            ["--index-url", "https://mirror/t"],
        ),
        (
            "Linux",
            False,
            ["--torch-index-url", "https://a/t"],
            {"SCNN_TORCH_INDEX": "https://b/t"},
            ["--index-url", "https://a/t"],
        ),
        ("Windows", False, [], {}, []),  # PyPI's torch there has no CUDA part
        ("Darwin", False, [], {}, []),
    ],
)
def test_torch_index_follows_the_gpu_the_option_and_the_environment(
    home, system, nvidia, argv, environ, index
):
    pip = FakePip()
    where = places(home, system, nvidia, **environ)
    args = installer.parse_args([*argv, "--gimp-dir", str(home / ".config/GIMP/3.0")])
    assert installer.install(args, where, run=pip) == 0
    [torch] = [c for c in pip.commands if installer.TORCH_PIN in c]
    assert torch[-1] == installer.TORCH_PIN and torch[5:-1] == index
    [package] = [c for c in pip.commands if c[-1] == str(installer.SOURCE)]
    assert not {"--index-url", "--extra-index-url"} & set(package)  # for the torch step only


def fake_tools(folder: Path, index_answers: bool = True, torch_version: str = "") -> Path:
    """A ``python3`` that logs its calls and makes a venv of copies of itself (python, pip), and a
    ``dpkg`` that finds every system library: dev-env.sh runs for real, nothing is installed.
    ``index_answers=False``: probing PyTorch's index fails, as offline; ``torch_version`` is what
    asking for the installed torch's version answers."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text(
        "#!/bin/sh\n"
        # one line a call, a multi-line -c script too
        'echo "$(echo "$(basename "$0") $*" | tr "\\n" " " | sed "s/ *$//")" >> "$LOG"\n'
        'if [ "$1 $2" = "-m venv" ]; then\n'
        '  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && cp "$0" "$3/bin/pip"\n'
        "fi\n"
        'case "$*" in *"import torch"*) exit 1 ;; esac\n'  # torch is not installed yet
        + f'case "$*" in *"m.version(\'torch\')"*) echo "{torch_version}"; exit 0 ;; esac\n'
        + (
            ""
            if index_answers
            else 'case "$*" in *urlopen*) echo "timed out" >&2; exit 1 ;; esac\n'
        )
    )
    (bin_dir / "dpkg").write_text("#!/bin/sh\nexit 0\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return bin_dir


def run_dev_env(
    tmp_path: Path, argv: tuple[str, ...] = (), environ: dict[str, str] | None = None, **tools
) -> tuple[subprocess.CompletedProcess, list[str]]:
    """dev-env.sh, copied into a bare repo, run with ``fake_tools(**tools)`` first on PATH and
    ``environ`` set (``SCNN_TORCH_INDEX`` only if given); its output and the fake tools' calls."""
    repo = tmp_path / "repo"
    (repo / "installer").mkdir(parents=True)
    (repo / "installer/dev-env.sh").write_bytes((ROOT / "installer/dev-env.sh").read_bytes())
    bin_dir = fake_tools(tmp_path, **tools)
    log = tmp_path / "log"
    env = {k: v for k, v in os.environ.items() if k != "SCNN_TORCH_INDEX"}
    env.update(
        environ or {},
        PATH=f"{bin_dir}:{env['PATH']}",
        LOG=str(log),
        PYTHON=str(bin_dir / "python3"),
    )
    done = subprocess.run(
        ["bash", str(repo / "installer/dev-env.sh"), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done, log.read_text().splitlines()


@pytest.mark.parametrize(
    "argv, environ, index",
    [
        ([], {}, CPU),  # this machine: Linux without an NVIDIA GPU
        (["--cpu"], {"SCNN_TORCH_INDEX": "pip"}, CPU),
        ([], {"SCNN_TORCH_INDEX": "pip"}, []),
        ([], {"SCNN_TORCH_INDEX": "https://mirror/t"}, ["--index-url", "https://mirror/t"]),
    ],
)
def test_dev_env_takes_torch_from_the_cpu_index_likewise(tmp_path, argv, environ, index):
    if Path("/proc/driver/nvidia/version").exists() and not (argv or environ):
        pytest.skip("this machine has an NVIDIA GPU: the default is the CUDA build")
    _, calls = run_dev_env(tmp_path, tuple(argv), environ)
    [torch] = [c for c in calls if c.startswith("pip") and installer.TORCH_PIN in c]
    assert torch == " ".join(["pip install -q", *index, installer.TORCH_PIN])
    [package] = [c for c in calls if c.startswith("pip") and "-e" in c.split()]
    assert "index-url" not in package


# -- --check sees only what is installed (issue 25) -----------------------------------------------


def python_without_the_package(folder: Path) -> Path:
    """A venv that sees this environment's packages (torch, numpy, Pillow) but not scnn_plugin:
    a plain path in a .pth file adds the folder without running the .pth files inside it, and
    the editable install of scnn_plugin is one of those."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin/python"
    ask = [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    site = Path(subprocess.run(ask, capture_output=True, text=True, check=True).stdout.strip())
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_check_from_the_source_folder_sees_only_what_is_installed(home, tmp_path):
    """Run from the repository, --check imported ./scnn_plugin and said OK for a Python without
    the package, which the plug-in (started elsewhere) then could not run."""
    bare = python_without_the_package(tmp_path / "bare")
    args = installer.parse_args(["--python", str(bare)])
    assert installer.install(args, places(home), run=FakePip()) == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        ["sh", "installer/install.sh", "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ENGINE BROKEN" in done.stdout and "scnn_plugin" in done.stdout, done.stdout


def test_engine_check_runs_where_the_plugin_runs_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.chdir(ROOT)
    seen = {}

    def run(command, cwd=None, env=None):
        seen.update(cwd=cwd, env=env)
        return FakePip()(command)

    installer.check_engine_python(Path(sys.executable), run)
    assert seen["cwd"] is not None and Path(seen["cwd"]).resolve() != ROOT
    assert "PYTHONPATH" not in seen["env"]


# -- weights named at install must exist and load (issue 25) --------------------------------------


def test_install_refuses_weights_that_do_not_exist(home, capsys):
    before = files_under(home)
    missing = home / "nowhere.safetensors"
    assert (
        installer.main(["--python", sys.executable, "--weights", str(missing)], places(home)) == 1
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(missing) in err[0] and "no such file" in err[0]
    assert files_under(home) == before  # refused before anything was written


def test_check_reports_recorded_weights_that_went_missing(home, fast_weights, tmp_path, capsys):
    weights = tmp_path / "mine.safetensors"
    weights.write_bytes(fast_weights.read_bytes())
    args = installer.parse_args(["--python", sys.executable, "--weights", str(weights)])
    assert installer.install(args, places(home), run=FakePip()) == 0
    assert installer.check(args, places(home), run=FakePip()) == 0
    weights.unlink()
    capsys.readouterr()
    assert installer.check(args, places(home), run=FakePip()) == 1
    out = capsys.readouterr().out
    assert str(weights) in out and "no such file" in out


@pytest.mark.slow  # two real engine processes: each imports torch
def test_check_loads_the_recorded_weights_in_the_engine(home, fast_weights, tmp_path, capsys):
    weights = tmp_path / "mine.safetensors"
    weights.write_bytes(fast_weights.read_bytes())
    args = installer.parse_args(["--python", sys.executable, "--weights", str(weights)])
    assert installer.install(args, places(home), run=FakePip()) == 0
    weights.write_bytes(fast_weights.read_bytes()[:-100])  # cut short
    capsys.readouterr()
    assert installer.check(args, places(home)) == 1
    out = capsys.readouterr().out
    assert "WEIGHTS BROKEN" in out and str(weights) in out


# -- rollback and uninstall remove exactly what the installer made (issue 25) ---------------------


def test_a_failed_torch_step_is_removed_whole_by_uninstall(home, capsys):
    before = files_under(home)
    where = places(home)
    with pytest.raises(installer.InstallError):
        installer.install(installer.parse_args([]), where, run=FakePip(fail_on="torch=="))
    config = home / ".config/scnn-inpaint"
    assert (config / "install.incomplete").is_file()  # --check says so
    assert (home / ".local/share/scnn-inpaint/venv/bin/python").exists()  # kept for a re-run
    assert installer.main(["--uninstall"], where) == 0
    assert files_under(home) == before


def test_uninstall_keeps_folders_that_were_there_before(home):
    (home / ".local").mkdir()  # the user's, empty: the installer makes share/scnn-inpaint in it
    before = files_under(home)
    where = places(home)
    assert installer.install(installer.parse_args([]), where, run=FakePip()) == 0
    assert installer.main(["--uninstall"], where) == 0
    assert files_under(home) == before and (home / ".local").is_dir()


def test_a_venv_folder_that_is_not_a_venv_is_refused_and_left_alone(home, tmp_path):
    mine = tmp_path / "projects"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    where = places(home)
    with pytest.raises(installer.InstallError, match="not a virtual environment"):
        installer.install(installer.parse_args(["--venv", str(mine)]), where, run=FakePip())
    assert installer.main(["--uninstall"], where) == 0
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


# -- one short probe of PyTorch's CPU index, one line on where torch came from (issue 43) ---------


def test_an_unreachable_cpu_index_is_probed_once_and_torch_comes_from_pips_own(home, capsys):
    """pip printed 50 "Retrying" warnings (5 per package) before it fell back by itself."""
    probed = []
    where = Places(
        environ={},
        system="Linux",
        home=home,
        nvidia=False,
        reach=lambda url: probed.append(url) or "timed out after 5 s",
    )
    pip = FakePip(torch_version="2.13.0")
    args = installer.parse_args(["--gimp-dir", str(home / ".config/GIMP/3.0")])
    assert installer.install(args, where, run=pip) == 0
    [torch] = [c for c in pip.commands if installer.TORCH_PIN in c]
    assert not {"--index-url", "--extra-index-url"} & set(torch)
    assert probed == ["https://download.pytorch.org/whl/cpu/torch/"]
    out = capsys.readouterr().out.splitlines()
    said = [line for line in out if "download.pytorch.org" in line]
    assert said == [
        (
            "torch: PyTorch's CPU index https://download.pytorch.org/whl/cpu cannot be reached "
            "(timed out after 5 s); taking torch from pip's own index"
        )
    ]
    assert "torch: 2.13.0 came from pip's own index" in out


@pytest.mark.parametrize(
    "argv, environ, version, source",
    [
        ([], {}, "2.13.0+cpu", "PyTorch's CPU index https://download.pytorch.org/whl/cpu"),
        ([], {"SCNN_TORCH_INDEX": "pip"}, "2.13.0", "pip's own index"),
        ([], {"SCNN_TORCH_INDEX": "https://mirror/t"}, "2.13.0+cpu", "https://mirror/t"),
    ],
)
def test_the_installer_says_in_one_line_where_torch_came_from(
    home, capsys, argv, environ, version, source
):
    pip = FakePip(torch_version=version)
    args = installer.parse_args([*argv, "--gimp-dir", str(home / ".config/GIMP/3.0")])
    assert installer.install(args, places(home, **environ), run=pip) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"torch: {version} came from {source}" in out


def test_dev_env_probes_the_cpu_index_once_and_falls_back_in_one_line(tmp_path):
    done, calls = run_dev_env(tmp_path, environ={"SCNN_TORCH_INDEX": "cpu"}, index_answers=False)
    assert len([c for c in calls if "urlopen" in c]) == 1  # one probe
    [torch] = [c for c in calls if c.startswith("pip") and installer.TORCH_PIN in c]
    assert torch == f"pip install -q {installer.TORCH_PIN}"
    said = [line for line in done.stdout.splitlines() if "download.pytorch.org" in line]
    assert said == [
        (
            "dev-env: PyTorch's CPU index https://download.pytorch.org/whl/cpu cannot be reached; "
            "taking torch from pip's own index"
        )
    ]


def test_no_installer_module_is_over_450_lines_and_each_runs_as_install_py_does():
    modules = sorted((ROOT / "installer").glob("*.py"))
    assert len(modules) > 1
    for path in modules:
        assert len(path.read_text().splitlines()) <= 450, path.name
    done = subprocess.run(
        [sys.executable, str(ROOT / "installer/install.py"), "--help"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--uninstall" in done.stdout


@pytest.mark.parametrize("nvidia, warned", [(False, True), (True, False)])
def test_the_cuda_build_on_a_machine_without_an_nvidia_gpu_is_named_with_the_way_out(
    home, capsys, nvidia, warned
):
    """Where the CPU index cannot be reached, pip's own index gives Linux the multi-GB CUDA build."""
    where = Places(
        environ={}, system="Linux", home=home, nvidia=nvidia, reach=lambda url: "timed out"
    )
    pip = FakePip(torch_version="2.13.0+cu130")
    args = installer.parse_args(["--gimp-dir", str(home / ".config/GIMP/3.0")])
    assert installer.install(args, where, run=pip) == 0
    out = capsys.readouterr().out.splitlines()
    assert "torch: 2.13.0+cu130 came from pip's own index" in out
    said = [line for line in out if "CUDA build" in line]
    assert len(said) == warned
    if warned:
        assert "no NVIDIA GPU" in said[0] and "SCNN_TORCH_INDEX=URL" in said[0]


def test_dev_env_names_the_cuda_build_on_a_machine_without_an_nvidia_gpu(tmp_path):
    if Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi"):
        pytest.skip("this machine has an NVIDIA GPU, for which the CUDA build is the right one")
    done, _ = run_dev_env(tmp_path, index_answers=False, torch_version="2.13.0+cu130")
    out = done.stdout.splitlines()
    assert "dev-env: torch 2.13.0+cu130 came from pip's own index" in out
    [said] = [line for line in out if "CUDA build" in line]
    assert "no NVIDIA GPU" in said and "SCNN_TORCH_INDEX=URL" in said
