"""The test session cannot see the developer's home: no cache or setting there decides a test."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path

import platformdirs

from scnn_plugin.training.data import default_pool_dir


def test_home_and_the_user_folders_are_a_temporary_folder_not_the_accounts():
    account_home = Path(pwd.getpwuid(os.getuid()).pw_dir).resolve()
    home = Path.home().resolve()
    assert home != account_home
    assert home.is_relative_to(Path(tempfile.gettempdir()).resolve())
    for folder in (
        platformdirs.user_cache_dir("scnn-inpaint"),
        platformdirs.user_config_dir("scnn-inpaint"),
        platformdirs.user_data_dir("scnn-inpaint"),
    ):
        assert Path(folder).resolve().is_relative_to(home)
    assert not default_pool_dir().exists()  # the training photos' cache: never the developer's


def test_a_command_a_test_starts_inherits_the_temporary_home():
    ask = "import platformdirs; print(platformdirs.user_cache_dir('scnn-inpaint'))"
    out = subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).resolve().is_relative_to(Path.home().resolve())
